#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: application_autoscaling_target_tracking
version_added: 1.0.0
short_description: Manage an Application Auto Scaling target and its target-tracking policies together
description:
  - Registers a scalable target (for example an ECS service's desired count) with its minimum and maximum
    capacity, and makes its target-tracking policies exactly those listed in O(policies).
  - Written because M(community.aws.application_autoscaling_policy) registers targets and puts policies in check
    mode, and compares a second policy of the same resource with the first one, so it is never idempotent with
    two policies. This module reads every policy of the resource and compares each by name.
  - Check mode computes the change and calls nothing but describe operations.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  state:
    description:
      - V(present) registers the target and its policies; V(absent) deletes the policies and deregisters the target.
    type: str
    choices: ['present', 'absent']
    default: present
  service_namespace:
    description:
      - The namespace of the AWS service that owns the resource.
    type: str
    default: ecs
  resource_id:
    description:
      - The resource, for an ECS service V(service/<cluster>/<service>).
    type: str
    required: true
  scalable_dimension:
    description:
      - The scalable dimension.
    type: str
    default: ecs:service:DesiredCount
  min_capacity:
    description:
      - The minimum capacity. Required with O(state=present).
    type: int
  max_capacity:
    description:
      - The maximum capacity. Required with O(state=present).
    type: int
  policies:
    description:
      - The target-tracking policies of the target.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The policy name, unique per resource.
        type: str
        required: true
      predefined_metric:
        description: The predefined metric tracked, for example V(ECSServiceAverageCPUUtilization).
        type: str
        required: true
      resource_label:
        description: The resource label of the predefined metric (needed for V(ALBRequestCountPerTarget)).
        type: str
      target_value:
        description: The value the metric is kept at.
        type: float
        required: true
      scale_in_cooldown:
        description: Seconds after a scale-in before another scale-in.
        type: int
        default: 300
      scale_out_cooldown:
        description: Seconds after a scale-out before another scale-out.
        type: int
        default: 60
      disable_scale_in:
        description: Whether the policy never removes capacity.
        type: bool
        default: false
  purge_policies:
    description:
      - Delete the target-tracking policies of the resource that are not in O(policies).
      - Step-scaling policies are never touched.
    type: bool
    default: true
notes:
  - Needs the IAM actions C(application-autoscaling:DescribeScalableTargets),
    C(application-autoscaling:DescribeScalingPolicies), C(application-autoscaling:RegisterScalableTarget),
    C(application-autoscaling:DeregisterScalableTarget), C(application-autoscaling:PutScalingPolicy),
    C(application-autoscaling:DeleteScalingPolicy), plus C(iam:CreateServiceLinkedRole) the first time and
    C(cloudwatch:PutMetricAlarm)/C(cloudwatch:DeleteAlarms) for the alarms target tracking manages.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Scale the backend service between 2 and 10 tasks on CPU and memory
  lifeworld.production.application_autoscaling_target_tracking:
    resource_id: service/life-world-os-production/backend
    min_capacity: 2
    max_capacity: 10
    policies:
      - name: backend-cpu
        predefined_metric: ECSServiceAverageCPUUtilization
        target_value: 60
      - name: backend-memory
        predefined_metric: ECSServiceAverageMemoryUtilization
        target_value: 75
"""

RETURN = r"""
scalable_target:
  description: The scalable target after the run (predicted in check mode).
  returned: when O(state=present)
  type: dict
  contains:
    resource_id:
      description: The resource.
      type: str
      sample: service/life-world-os-production/backend
    min_capacity:
      description: The minimum capacity.
      type: int
      sample: 2
    max_capacity:
      description: The maximum capacity.
      type: int
      sample: 10
policies:
  description: The target-tracking policies after the run, by name (predicted in check mode).
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{"name": "backend-cpu", "predefined_metric": "ECSServiceAverageCPUUtilization", "target_value": 60.0,
            "scale_in_cooldown": 300, "scale_out_cooldown": 60, "disable_scale_in": false}]
"""

from typing import Any
from typing import Dict
from typing import List

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.application_autoscaling import (
    AnsibleApplicationAutoScalingError,
)
from ansible_collections.lifeworld.production.plugins.module_utils.application_autoscaling import delete_scaling_policy
from ansible_collections.lifeworld.production.plugins.module_utils.application_autoscaling import (
    deregister_scalable_target,
)
from ansible_collections.lifeworld.production.plugins.module_utils.application_autoscaling import (
    describe_scalable_target,
)
from ansible_collections.lifeworld.production.plugins.module_utils.application_autoscaling import (
    describe_scaling_policies,
)
from ansible_collections.lifeworld.production.plugins.module_utils.application_autoscaling import put_scaling_policy
from ansible_collections.lifeworld.production.plugins.module_utils.application_autoscaling import (
    register_scalable_target,
)
from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result

POLICY_KEYS = ("name", "predefined_metric", "resource_label", "target_value", "scale_in_cooldown",
               "scale_out_cooldown", "disable_scale_in")


def normalize_policy(policy: Dict[str, Any]) -> Dict[str, Any]:
    config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    metric = config.get("PredefinedMetricSpecification") or {}
    return {
        "name": policy["PolicyName"],
        "predefined_metric": metric.get("PredefinedMetricType"),
        "resource_label": metric.get("ResourceLabel"),
        "target_value": float(config.get("TargetValue", 0)),
        "scale_in_cooldown": config.get("ScaleInCooldown"),
        "scale_out_cooldown": config.get("ScaleOutCooldown"),
        "disable_scale_in": bool(config.get("DisableScaleIn", False)),
    }


def desired_policy(option: Dict[str, Any]) -> Dict[str, Any]:
    policy = {key: option.get(key) for key in POLICY_KEYS}
    policy["target_value"] = float(policy["target_value"])
    return policy


def policy_to_boto3(policy: Dict[str, Any]) -> Dict[str, Any]:
    metric = {"PredefinedMetricType": policy["predefined_metric"]}
    if policy["resource_label"]:
        metric["ResourceLabel"] = policy["resource_label"]
    return {
        "TargetValue": policy["target_value"],
        "PredefinedMetricSpecification": metric,
        "ScaleInCooldown": policy["scale_in_cooldown"],
        "ScaleOutCooldown": policy["scale_out_cooldown"],
        "DisableScaleIn": policy["disable_scale_in"],
    }


def by_name(policies: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {policy["name"]: policy for policy in policies}


def validate(module: AnsibleAWSModule) -> None:
    params = module.params
    if params["state"] != "present":
        return
    for key in ("min_capacity", "max_capacity"):
        if params[key] < 0:
            module.fail_json(msg=f"{key} must not be negative, got {params[key]}")
    if params["min_capacity"] > params["max_capacity"]:
        module.fail_json(
            msg=f"min_capacity ({params['min_capacity']}) is above max_capacity ({params['max_capacity']})"
        )
    names = [policy["name"] for policy in params["policies"]]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        module.fail_json(msg=f"policies: names must be unique, repeated: {', '.join(duplicates)}")


def ensure_present(module: AnsibleAWSModule, client, target, existing: List[Dict[str, Any]]) -> None:
    params = module.params
    ids = {"ServiceNamespace": params["service_namespace"], "ResourceId": params["resource_id"],
           "ScalableDimension": params["scalable_dimension"]}
    current_target = (
        {"resource_id": target["ResourceId"], "min_capacity": target["MinCapacity"], "max_capacity": target["MaxCapacity"]}
        if target else {}
    )
    after_target = {"resource_id": params["resource_id"], "min_capacity": params["min_capacity"],
                    "max_capacity": params["max_capacity"]}

    current = by_name(existing)
    wanted = by_name([desired_policy(policy) for policy in params["policies"]])
    to_put = [name for name, policy in wanted.items() if current.get(name) != policy]
    to_delete = sorted(set(current) - set(wanted)) if params["purge_policies"] else []
    after_policies = {name: policy for name, policy in current.items() if name not in to_delete}
    after_policies.update(wanted)

    target_changed = current_target != after_target
    changed = target_changed or bool(to_put) or bool(to_delete)
    if not module.check_mode:
        if target_changed:
            register_scalable_target(client, MinCapacity=params["min_capacity"], MaxCapacity=params["max_capacity"], **ids)
        for name in to_delete:
            delete_scaling_policy(client, name, params["service_namespace"], params["resource_id"],
                                  params["scalable_dimension"])
        for name in to_put:
            put_scaling_policy(client, PolicyName=name, PolicyType="TargetTrackingScaling",
                               TargetTrackingScalingPolicyConfiguration=policy_to_boto3(wanted[name]), **ids)

    policies_after = [after_policies[name] for name in sorted(after_policies)]
    diff = build_diff(
        {"scalable_target": current_target, "policies": [current[name] for name in sorted(current)]} if target else {},
        {"scalable_target": after_target, "policies": policies_after},
    )
    exit_with_result(module, changed, diff=diff, scalable_target=after_target, policies=policies_after)


def ensure_absent(module: AnsibleAWSModule, client, target, existing: List[Dict[str, Any]]) -> None:
    params = module.params
    if not target and not existing:
        exit_with_result(module, False, diff=build_diff({}, {}))
    if not module.check_mode:
        for policy in existing:
            delete_scaling_policy(client, policy["name"], params["service_namespace"], params["resource_id"],
                                  params["scalable_dimension"])
        if target:
            deregister_scalable_target(client, params["service_namespace"], params["resource_id"],
                                       params["scalable_dimension"])
    exit_with_result(module, True, diff=build_diff({"resource_id": params["resource_id"],
                                                    "policies": [p["name"] for p in existing]}, {}))


def main():
    policy_spec = dict(
        name=dict(type="str", required=True),
        predefined_metric=dict(type="str", required=True),
        resource_label=dict(type="str"),
        target_value=dict(type="float", required=True),
        scale_in_cooldown=dict(type="int", default=300),
        scale_out_cooldown=dict(type="int", default=60),
        disable_scale_in=dict(type="bool", default=False),
    )
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        service_namespace=dict(type="str", default="ecs"),
        resource_id=dict(type="str", required=True),
        scalable_dimension=dict(type="str", default="ecs:service:DesiredCount"),
        min_capacity=dict(type="int"),
        max_capacity=dict(type="int"),
        policies=dict(type="list", elements="dict", default=[], options=policy_spec),
        purge_policies=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, required_if=[("state", "present", ("min_capacity", "max_capacity"))],
                              supports_check_mode=True)
    validate(module)
    client = module.client("application-autoscaling")
    params = module.params
    try:
        target = describe_scalable_target(
            client, params["service_namespace"], params["resource_id"], params["scalable_dimension"]
        )
        existing = [
            normalize_policy(policy)
            for policy in describe_scaling_policies(
                client, params["service_namespace"], params["resource_id"], params["scalable_dimension"]
            )
            if policy.get("PolicyType") == "TargetTrackingScaling"
        ]
        if params["state"] == "absent":
            ensure_absent(module, client, target, existing)
        ensure_present(module, client, target, existing)
    except AnsibleApplicationAutoScalingError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
