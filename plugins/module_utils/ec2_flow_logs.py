# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for VPC Flow Logs, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleEC2Error``; modules catch it and call ``module.fail_json_aws_error(e)``.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry


class EC2FlowLogErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidFlowLogId.NotFound")


@EC2FlowLogErrorHandler.list_error_handler("describe flow logs", [])
@aws_retry()
def describe_flow_logs(client, **params: Any) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("describe_flow_logs")
    return paginator.paginate(**params).build_full_result()["FlowLogs"]


@EC2FlowLogErrorHandler.common_error_handler("create flow log")
@aws_retry()
def create_flow_log(client, **params: Any) -> str:
    """Create one flow log and return its id; a per-resource failure (``Unsuccessful``) raises."""
    response = client.create_flow_logs(**params)
    unsuccessful = response.get("Unsuccessful") or []
    if unsuccessful or not response.get("FlowLogIds"):
        errors = "; ".join(
            f"{item.get('ResourceId')}: {item.get('Error', {}).get('Code')} {item.get('Error', {}).get('Message')}"
            for item in unsuccessful
        )
        raise AnsibleEC2Error(message=f"Failed to create flow log: {errors or 'no flow log id returned'}")
    return response["FlowLogIds"][0]


@EC2FlowLogErrorHandler.deletion_error_handler("delete flow log")
@aws_retry()
def delete_flow_log(client, flow_log_id: str) -> bool:
    """Delete one flow log; False when it was already gone."""
    response = client.delete_flow_logs(FlowLogIds=[flow_log_id])
    # moto omits the Unsuccessful key; AWS returns it (empty on success).
    unsuccessful = response.get("Unsuccessful") or []
    for item in unsuccessful:
        error = item.get("Error", {})
        if error.get("Code") == "InvalidFlowLogId.NotFound":
            return False
        raise AnsibleEC2Error(message=f"Failed to delete flow log {flow_log_id}: {error.get('Code')} {error.get('Message')}")
    return True


def find_flow_logs(
    client,
    resource_id: str,
    log_destination_type: str,
    log_group_name: Optional[str] = None,
    log_destination: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """Flow logs of ``resource_id`` that deliver to the given destination (log group name or destination ARN)."""
    filters = {"resource-id": resource_id, "log-destination-type": log_destination_type}
    flow_logs = describe_flow_logs(client, Filters=ansible_dict_to_boto3_filter_list(filters))
    matches = []
    for flow_log in flow_logs:
        if log_group_name is not None and flow_log.get("LogGroupName") != log_group_name:
            continue
        if log_destination is not None and flow_log.get("LogDestination") != log_destination:
            continue
        matches.append(flow_log)
    return matches


def get_flow_log(client, flow_log_id: str) -> Optional[Dict[str, Any]]:
    flow_logs = describe_flow_logs(client, FlowLogIds=[flow_log_id])
    return flow_logs[0] if flow_logs else None


@EC2FlowLogErrorHandler.common_error_handler("tag flow log")
@aws_retry()
def tag_flow_log(client, flow_log_id: str, tags: Dict[str, str]) -> None:
    client.create_tags(Resources=[flow_log_id], Tags=ansible_dict_to_boto3_tag_list(tags))


@EC2FlowLogErrorHandler.common_error_handler("untag flow log")
@aws_retry()
def untag_flow_log(client, flow_log_id: str, keys: List[str]) -> None:
    client.delete_tags(Resources=[flow_log_id], Tags=[{"Key": key} for key in keys])
