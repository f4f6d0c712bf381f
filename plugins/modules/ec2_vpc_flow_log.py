#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_flow_log
version_added: 1.0.0
short_description: Manage VPC Flow Logs
description:
  - Create, replace, tag and delete a VPC Flow Log of a VPC, subnet or network interface.
  - A flow log is identified by its O(resource_id) and its destination (O(log_destination_type) plus
    O(log_group_name) or O(log_destination)).
  - The attributes of a flow log cannot be modified in AWS. When O(traffic_type), O(deliver_logs_permission_arn),
    O(max_aggregation_interval) or O(log_format) is set and differs from the existing flow log, the flow log is
    replaced (deleted and created again, keeping its tags unless O(tags) says otherwise).
  - An attribute whose option is not set is left as it is.
  - Tags are updated in place.
  - A delivery role that IAM has not propagated yet (InvalidParameter "Unable to assume given IAM role") is retried
    for up to two minutes.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  state:
    description:
      - Whether the flow log should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  resource_id:
    description:
      - The ID of the VPC, subnet or network interface whose traffic is logged.
    type: str
    required: true
  resource_type:
    description:
      - The type of O(resource_id).
    type: str
    choices: ['VPC', 'Subnet', 'NetworkInterface']
    default: VPC
  traffic_type:
    description:
      - The type of traffic to log.
      - Defaults to V(ALL) when the flow log is created. When not set, the traffic type of an existing flow log
        is left as it is.
      - With O(state=absent), only the flow logs of this traffic type are deleted; when not set, every flow log
        of O(resource_id) to the destination is deleted.
    type: str
    choices: ['ACCEPT', 'REJECT', 'ALL']
  log_destination_type:
    description:
      - Where the flow log data is published.
    type: str
    choices: ['cloud-watch-logs', 's3']
    default: cloud-watch-logs
  log_group_name:
    description:
      - The name of the CloudWatch Logs log group.
      - Required when O(log_destination_type=cloud-watch-logs); not allowed with V(s3).
    type: str
  log_destination:
    description:
      - The ARN of the S3 bucket (optionally with a folder) that receives the flow log data.
      - Required when O(log_destination_type=s3); not allowed with V(cloud-watch-logs).
    type: str
  deliver_logs_permission_arn:
    description:
      - The ARN of the IAM role that allows the flow log to publish to CloudWatch Logs.
      - Required to create a flow log when O(log_destination_type=cloud-watch-logs).
    type: str
  max_aggregation_interval:
    description:
      - The maximum interval of time, in seconds, during which a flow of packets is captured into a record.
      - AWS uses V(600) when the flow log is created without it.
    type: int
    choices: [60, 600]
  log_format:
    description:
      - The fields to include in the flow log record, for example
        V(${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${action} ${log-status}).
      - AWS uses its default format when the flow log is created without it.
    type: str
notes:
  - AWS accepts a flow log to a log group that does not exist yet and reports its delivery status as V(FAILED);
    the module then warns and returns RV(deliver_logs_status=FAILED).
  - Changing an immutable attribute deletes the flow log and creates a new one with a new ID.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log all VPC traffic to CloudWatch Logs every minute
  lifeworld.production.ec2_vpc_flow_log:
    resource_id: "{{ vpc.vpc.id }}"
    log_group_name: /lifeworld/production/vpc-flow-logs
    deliver_logs_permission_arn: "{{ flow_logs_role.iam_role.arn }}"
    traffic_type: ALL
    max_aggregation_interval: 60
    tags:
      Project: lifeworld
      Environment: production
      Component: network
      ManagedBy: ansible

- name: Log rejected traffic of a subnet to S3
  lifeworld.production.ec2_vpc_flow_log:
    resource_id: subnet-0123456789abcdef0
    resource_type: Subnet
    traffic_type: REJECT
    log_destination_type: s3
    log_destination: arn:aws:s3:::lifeworld-production-flow-logs/subnets/

- name: Add a tag without removing the others
  lifeworld.production.ec2_vpc_flow_log:
    resource_id: "{{ vpc.vpc.id }}"
    log_group_name: /lifeworld/production/vpc-flow-logs
    tags:
      CostCenter: platform
    purge_tags: false

- name: Remove the flow log
  lifeworld.production.ec2_vpc_flow_log:
    state: absent
    resource_id: "{{ vpc.vpc.id }}"
    log_group_name: /lifeworld/production/vpc-flow-logs
"""

RETURN = r"""
flow_log:
  description:
    - The flow log after the change. Empty when O(state=absent).
    - In check mode, the predicted flow log (without RV(flow_log.flow_log_id) when it would be created).
  returned: always
  type: dict
  contains:
    flow_log_id:
      description: The ID of the flow log.
      type: str
      sample: fl-0123456789abcdef0
    resource_id:
      description: The ID of the logged resource.
      type: str
      sample: vpc-0123456789abcdef0
    traffic_type:
      description: The type of traffic logged.
      type: str
      sample: ALL
    log_destination_type:
      description: The type of destination.
      type: str
      sample: cloud-watch-logs
    log_group_name:
      description: The CloudWatch Logs log group name.
      type: str
      sample: /lifeworld/production/vpc-flow-logs
    log_destination:
      description: The ARN of the destination.
      type: str
      sample: arn:aws:s3:::lifeworld-production-flow-logs
    deliver_logs_permission_arn:
      description: The ARN of the IAM role used to publish to CloudWatch Logs.
      type: str
      sample: arn:aws:iam::123456789012:role/lifeworld-production-flow-logs
    deliver_logs_status:
      description: The status of the logs delivery (V(SUCCESS) or V(FAILED)).
      type: str
      sample: SUCCESS
    deliver_logs_error_message:
      description: Why the delivery failed, when it did.
      type: str
      sample: Access error
    flow_log_status:
      description: The status of the flow log.
      type: str
      sample: ACTIVE
    max_aggregation_interval:
      description: The maximum aggregation interval in seconds.
      type: int
      sample: 60
    log_format:
      description: The format of the flow log records.
      type: str
      sample: ${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${action} ${log-status}
    creation_time:
      description: When the flow log was created.
      type: str
      sample: "2025-01-01T00:00:00+00:00"
    tags:
      description: The tags of the flow log.
      type: dict
      sample: {"Component": "network"}
deliver_logs_status:
  description:
    - The delivery status of the flow log (V(SUCCESS) or V(FAILED)); V(FAILED) usually means the log group or the
      IAM role is missing or wrong.
    - Not returned when the flow log is absent or only predicted in check mode.
  returned: when the flow log exists
  type: str
  sample: SUCCESS
replaced_flow_log_id:
  description: The ID of the flow log that was (or, in check mode, would be) deleted to apply an immutable change.
  returned: when the flow log was replaced
  type: str
  sample: fl-0123456789abcdef0
"""

from functools import partial
from typing import Any
from typing import Dict
from typing import Optional

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.lifeworld.production.plugins.module_utils.common import apply_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import changed_keys
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_absent
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import plan_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode
from ansible_collections.lifeworld.production.plugins.module_utils.ec2_flow_logs import create_flow_log
from ansible_collections.lifeworld.production.plugins.module_utils.ec2_flow_logs import delete_flow_log
from ansible_collections.lifeworld.production.plugins.module_utils.ec2_flow_logs import find_flow_logs
from ansible_collections.lifeworld.production.plugins.module_utils.ec2_flow_logs import get_flow_log
from ansible_collections.lifeworld.production.plugins.module_utils.ec2_flow_logs import tag_flow_log
from ansible_collections.lifeworld.production.plugins.module_utils.ec2_flow_logs import untag_flow_log
from ansible_collections.lifeworld.production.plugins.module_utils.iam import retry_while_propagating

# Attributes AWS cannot modify: a set option that differs forces a replacement.
IMMUTABLE_KEYS = ("traffic_type", "deliver_logs_permission_arn", "max_aggregation_interval", "log_format")
# What the diff shows, in snake_case as returned.
VIEW_KEYS = ("resource_id", "log_destination_type", "log_group_name", "log_destination") + IMMUTABLE_KEYS

# snake_case option -> CreateFlowLogs parameter
CREATE_PARAMS = {
    "resource_type": "ResourceType",
    "traffic_type": "TrafficType",
    "log_destination_type": "LogDestinationType",
    "log_group_name": "LogGroupName",
    "log_destination": "LogDestination",
    "deliver_logs_permission_arn": "DeliverLogsPermissionArn",
    "max_aggregation_interval": "MaxAggregationInterval",
    "log_format": "LogFormat",
}


def normalize_flow_log(flow_log: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """boto3 FlowLog -> snake_case dict with tags as a dict ({} when there is none)."""
    if not flow_log:
        return {}
    result = camel_dict_to_snake_dict(flow_log, ignore_list=["Tags"])
    result["tags"] = boto3_tag_list_to_ansible_dict(flow_log.get("Tags", []))
    return result


def view(flow_log: Dict[str, Any]) -> Dict[str, Any]:
    """The part of a flow log that the module manages, for the diff."""
    if not flow_log:
        return {}
    result = {key: flow_log[key] for key in VIEW_KEYS if flow_log.get(key) is not None}
    result["tags"] = flow_log.get("tags", {})
    return result


def validate_params(module: AnsibleAWSModule) -> None:
    params = module.params
    if params["log_destination_type"] == "cloud-watch-logs":
        if params["log_destination"] is not None:
            module.fail_json(msg="log_destination is for log_destination_type=s3; use log_group_name with cloud-watch-logs")
        if params["state"] == "present" and not params["deliver_logs_permission_arn"]:
            module.fail_json(
                msg="deliver_logs_permission_arn (an IAM role CloudWatch Logs delivery can assume) is required "
                "when log_destination_type=cloud-watch-logs"
            )
    elif params["log_group_name"] is not None:
        module.fail_json(msg="log_group_name is for log_destination_type=cloud-watch-logs; use log_destination with s3")


def select_flow_log(module: AnsibleAWSModule, matches, traffic_type: Optional[str]) -> Optional[Dict[str, Any]]:
    """The one existing flow log this task manages, or None."""
    if traffic_type:
        same_type = [flow_log for flow_log in matches if flow_log.get("TrafficType") == traffic_type]
        if same_type:
            matches = same_type
    if len(matches) > 1:
        ids = ", ".join(sorted(flow_log["FlowLogId"] for flow_log in matches))
        module.fail_json(
            msg=f"{len(matches)} flow logs of {module.params['resource_id']} deliver to the same destination ({ids}); "
            "set traffic_type to choose one, or remove the extra ones"
        )
    return matches[0] if matches else None


def create(client, params: Dict[str, Any], after: Dict[str, Any]) -> Dict[str, Any]:
    request = {CREATE_PARAMS[key]: after[key] for key in CREATE_PARAMS if after.get(key) is not None}
    request["ResourceType"] = params["resource_type"]
    request["ResourceIds"] = [params["resource_id"]]
    if after["tags"]:
        request["TagSpecifications"] = boto3_tag_specifications(after["tags"], ["vpc-flow-log"])
    # A delivery role created seconds ago is refused until IAM has propagated it ("InvalidParameter: Unable to
    # assume given IAM role"). EMULATOR: moto checks no role; tests inject that answer.
    flow_log_id = retry_while_propagating(create_flow_log, client, **request)
    return normalize_flow_log(get_flow_log(client, flow_log_id))


def ensure_absent(module: AnsibleAWSModule, client, matches) -> None:
    traffic_type = module.params["traffic_type"]
    targets = [fl for fl in matches if not traffic_type or fl.get("TrafficType") == traffic_type]
    if not targets:
        exit_with_result(module, False, diff=build_diff({}, {}), flow_log={})
    before = normalize_flow_log(targets[0]) if len(targets) == 1 else [normalize_flow_log(fl) for fl in targets]
    diff_before = view(before) if isinstance(before, dict) else {"flow_logs": [view(fl) for fl in before]}
    exit_absent(module, diff_before, lambda: [delete_flow_log(client, fl["FlowLogId"]) for fl in targets], flow_log={})


def ensure_present(module: AnsibleAWSModule, client, existing: Optional[Dict[str, Any]]) -> None:
    params = module.params
    current = normalize_flow_log(existing)
    replace_keys = changed_keys(current, params, IMMUTABLE_KEYS) if current else []

    # Predicted state: the current attributes, overridden by every option that is set.
    after = dict(current)
    for key in VIEW_KEYS:
        if params.get(key) is not None:
            after[key] = params[key]
    after.setdefault("traffic_type", "ALL")
    tags = plan_tags(current.get("tags", {}), params["tags"], params["purge_tags"])
    after["tags"] = tags.after

    before_view, after_view = view(current), view(after)
    changed = before_view != after_view
    result: Dict[str, Any] = {}

    if current and replace_keys:
        result["replaced_flow_log_id"] = current["flow_log_id"]
        unless_check_mode(module, delete_flow_log, client, current["flow_log_id"])

    if not current or replace_keys:
        # A new flow log: only what we send is known until AWS has created it.
        after = {key: after[key] for key in VIEW_KEYS + ("tags",) if after.get(key) is not None}
        after = unless_check_mode(module, create, client, params, after) or after
    elif changed:
        # Only the tags differ: they are the one thing AWS lets us change in place.
        flow_log_id = current["flow_log_id"]
        apply_tags(module, tags, partial(tag_flow_log, client, flow_log_id), partial(untag_flow_log, client, flow_log_id))
        after = unless_check_mode(module, lambda: normalize_flow_log(get_flow_log(client, flow_log_id))) or after

    if after.get("deliver_logs_status"):
        result["deliver_logs_status"] = after["deliver_logs_status"]
        if after["deliver_logs_status"] == "FAILED":
            module.warn(
                f"Flow log {after.get('flow_log_id')} cannot deliver its logs "
                f"({after.get('deliver_logs_error_message') or 'no reason given'}): check that the destination "
                "exists and that deliver_logs_permission_arn can be assumed by vpc-flow-logs.amazonaws.com"
            )

    exit_with_result(module, changed, diff=build_diff(before_view, view(after)), flow_log=after, **result)


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        resource_id=dict(type="str", required=True),
        resource_type=dict(type="str", default="VPC", choices=["VPC", "Subnet", "NetworkInterface"]),
        traffic_type=dict(type="str", choices=["ACCEPT", "REJECT", "ALL"]),
        log_destination_type=dict(type="str", default="cloud-watch-logs", choices=["cloud-watch-logs", "s3"]),
        log_group_name=dict(type="str"),
        log_destination=dict(type="str"),
        deliver_logs_permission_arn=dict(type="str"),
        max_aggregation_interval=dict(type="int", choices=[60, 600]),
        log_format=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    required_if = [
        ("log_destination_type", "cloud-watch-logs", ["log_group_name"]),
        ("log_destination_type", "s3", ["log_destination"]),
    ]

    module = AnsibleAWSModule(argument_spec=argument_spec, required_if=required_if, supports_check_mode=True)
    validate_params(module)
    client = module.client("ec2")
    params = module.params

    try:
        matches = find_flow_logs(
            client,
            params["resource_id"],
            params["log_destination_type"],
            log_group_name=params["log_group_name"],
            log_destination=params["log_destination"],
        )
        if params["state"] == "absent":
            ensure_absent(module, client, matches)
        ensure_present(module, client, select_flow_log(module, matches, params["traffic_type"]))
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
