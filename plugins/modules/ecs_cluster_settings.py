#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_cluster_settings
version_added: 1.0.0
short_description: Ensure an ECS cluster with its settings (Container Insights), capacity providers and tags
description:
  - Creates an Amazon ECS cluster with Container Insights, capacity providers and a default capacity provider
    strategy in one C(CreateCluster) call, or brings an existing cluster to that state.
  - Fills two gaps of M(community.aws.ecs_cluster), which has no option for cluster settings and reads back
    capacity-provider keys that some endpoints omit when a cluster was created without them.
  - An option that is not set leaves that attribute of an existing cluster as it is.
  - On the first cluster of an account ECS may fail to assume the service-linked role it has just created
    ("Unable to assume the service linked role"); the module retries that error for up to two minutes. Create
    the role first (M(lifeworld.production.iam_service_linked_role)) to avoid the wait.
  - Deleting a cluster is left to M(community.aws.ecs_cluster) with O(community.aws.ecs_cluster#module:state=absent).
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description:
      - The name of the cluster.
    type: str
    required: true
  container_insights:
    description:
      - The C(containerInsights) cluster setting.
      - Changed on an existing cluster with C(UpdateClusterSettings).
    type: str
    choices: ['enabled', 'disabled', 'enhanced']
  capacity_providers:
    description:
      - The capacity providers of the cluster, for example V(FARGATE) and V(FARGATE_SPOT).
    type: list
    elements: str
  capacity_provider_strategy:
    description:
      - The default capacity provider strategy of the cluster.
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description: The capacity provider.
        type: str
        required: true
      weight:
        description: The relative share of tasks placed with this provider.
        type: int
        default: 0
      base:
        description: The minimum number of tasks run with this provider.
        type: int
        default: 0
notes:
  - Needs the IAM actions C(ecs:DescribeClusters), C(ecs:CreateCluster), C(ecs:UpdateClusterSettings),
    C(ecs:PutClusterCapacityProviders), C(ecs:TagResource) and C(ecs:UntagResource).
  - C(UpdateClusterSettings) is not implemented by moto; that path is unit-tested with botocore's Stubber.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Fargate cluster with Container Insights
  lifeworld.production.ecs_cluster_settings:
    name: life-world-os-production
    container_insights: enabled
    capacity_providers: [FARGATE, FARGATE_SPOT]
    capacity_provider_strategy:
      - capacity_provider: FARGATE
        weight: 1
        base: 2
    tags:
      Project: life-world-os
      Component: compute
"""

RETURN = r"""
cluster:
  description: The cluster after the run (predicted in check mode, without ARN when it would be created).
  returned: always
  type: dict
  contains:
    cluster_arn:
      description: The ARN of the cluster.
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:cluster/life-world-os-production
    cluster_name:
      description: The name of the cluster.
      type: str
      sample: life-world-os-production
    container_insights:
      description: The C(containerInsights) setting.
      type: str
      sample: enabled
    capacity_providers:
      description: The capacity providers.
      type: list
      elements: str
      sample: [FARGATE, FARGATE_SPOT]
    capacity_provider_strategy:
      description: The default capacity provider strategy.
      type: list
      elements: dict
      sample: [{"capacity_provider": "FARGATE", "weight": 1, "base": 2}]
    tags:
      description: The tags of the cluster.
      type: dict
      sample: {"Component": "compute"}
"""

from functools import partial
from typing import Any
from typing import Dict
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.lifeworld.production.plugins.module_utils.common import apply_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import plan_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode
from ansible_collections.lifeworld.production.plugins.module_utils.ecs import AnsibleECSError
from ansible_collections.lifeworld.production.plugins.module_utils.ecs import create_cluster
from ansible_collections.lifeworld.production.plugins.module_utils.ecs import describe_cluster
from ansible_collections.lifeworld.production.plugins.module_utils.ecs import put_cluster_capacity_providers
from ansible_collections.lifeworld.production.plugins.module_utils.ecs import tag_resource
from ansible_collections.lifeworld.production.plugins.module_utils.ecs import untag_resource
from ansible_collections.lifeworld.production.plugins.module_utils.ecs import update_cluster_settings
from ansible_collections.lifeworld.production.plugins.module_utils.iam import retry_while_propagating

MANAGED_KEYS = ("container_insights", "capacity_providers", "capacity_provider_strategy")


def normalize(cluster: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """boto3 cluster -> the snake_case view this module manages."""
    if not cluster:
        return {}
    settings = {item["name"]: item["value"] for item in cluster.get("settings") or []}
    return {
        "cluster_arn": cluster["clusterArn"],
        "cluster_name": cluster["clusterName"],
        "status": cluster.get("status"),
        "container_insights": settings.get("containerInsights", "disabled"),
        "capacity_providers": list(cluster.get("capacityProviders") or []),
        "capacity_provider_strategy": [
            {"capacity_provider": item["capacityProvider"], "weight": item.get("weight", 0), "base": item.get("base", 0)}
            for item in cluster.get("defaultCapacityProviderStrategy") or []
        ],
        "tags": boto3_tag_list_to_ansible_dict(cluster.get("tags") or [], "key", "value"),
    }


def view(cluster: Dict[str, Any]) -> Dict[str, Any]:
    if not cluster:
        return {}
    result = {key: cluster.get(key) for key in ("cluster_name",) + MANAGED_KEYS}
    result["tags"] = cluster.get("tags", {})
    return result


def strategy_to_boto3(strategy):
    return [
        {"capacityProvider": item["capacity_provider"], "weight": item["weight"], "base": item["base"]}
        for item in strategy
    ]


def desired_state(module: AnsibleAWSModule, current: Dict[str, Any]) -> Dict[str, Any]:
    params = module.params
    after = dict(current) if current else {"cluster_name": params["name"], "container_insights": "disabled",
                                           "capacity_providers": [], "capacity_provider_strategy": [], "tags": {}}
    for key in MANAGED_KEYS:
        if params[key] is not None:
            after[key] = params[key]
    after["tags"] = plan_tags(after["tags"], params["tags"], params["purge_tags"]).after
    return after


def create(module: AnsibleAWSModule, client, after: Dict[str, Any]) -> Dict[str, Any]:
    params = {"clusterName": module.params["name"]}
    if module.params["container_insights"] is not None:
        params["settings"] = [{"name": "containerInsights", "value": after["container_insights"]}]
    if after["capacity_providers"]:
        params["capacityProviders"] = after["capacity_providers"]
    if after["capacity_provider_strategy"]:
        params["defaultCapacityProviderStrategy"] = strategy_to_boto3(after["capacity_provider_strategy"])
    if after["tags"]:
        params["tags"] = [{"key": key, "value": value} for key, value in after["tags"].items()]
    # On the first cluster of an account ECS creates its service-linked role itself and may fail to assume it
    # seconds later ("Unable to assume the service linked role"), sometimes after creating the cluster without
    # its capacity providers: retry, and bring a cluster that came into being to the desired state.
    # EMULATOR: moto never answers so (tests reproduce it with botocore's Stubber).
    try:
        retry_while_propagating(create_cluster, client, **params)
    except AnsibleECSError:
        current = normalize(describe_cluster(client, module.params["name"]))
        if not current:
            raise
        return update(module, client, current, after)
    return normalize(describe_cluster(client, module.params["name"]))


def update(module: AnsibleAWSModule, client, current: Dict[str, Any], after: Dict[str, Any]) -> Dict[str, Any]:
    name, arn = current["cluster_name"], current["cluster_arn"]
    if after["container_insights"] != current["container_insights"]:
        update_cluster_settings(client, name, [{"name": "containerInsights", "value": after["container_insights"]}])
    if (after["capacity_providers"], after["capacity_provider_strategy"]) != (
        current["capacity_providers"],
        current["capacity_provider_strategy"],
    ):
        retry_while_propagating(
            put_cluster_capacity_providers,
            client, name, after["capacity_providers"], strategy_to_boto3(after["capacity_provider_strategy"]),
        )
    apply_tags(module, plan_tags(current["tags"], after["tags"], purge_tags=True), partial(tag_resource, client, arn),
               partial(untag_resource, client, arn))
    return normalize(describe_cluster(client, name))


def converge(module: AnsibleAWSModule, client, current: Dict[str, Any], after: Dict[str, Any]) -> Dict[str, Any]:
    return update(module, client, current, after) if current else create(module, client, after)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        container_insights=dict(type="str", choices=["enabled", "disabled", "enhanced"]),
        capacity_providers=dict(type="list", elements="str"),
        capacity_provider_strategy=dict(
            type="list",
            elements="dict",
            options=dict(
                capacity_provider=dict(type="str", required=True),
                weight=dict(type="int", default=0),
                base=dict(type="int", default=0),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("ecs")
    try:
        current = normalize(describe_cluster(client, module.params["name"]))
        after = desired_state(module, current)
        changed = view(current) != view(after)
        if changed:
            after = unless_check_mode(module, converge, module, client, current, after) or after
        exit_with_result(module, changed, diff=build_diff(view(current), view(after)), cluster=after)
    except AnsibleECSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
