# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for CloudWatch alarms and dashboards, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleCloudWatchError``; modules catch it and call ``module.fail_json_aws_error(e)``.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry

# DeleteAlarms takes at most 100 names per call.
DELETE_BATCH = 100


class AnsibleCloudWatchError(AnsibleAWSError):
    pass


class CloudWatchErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCloudWatchError

    @classmethod
    def _is_missing(cls):
        # GetDashboard answers ResourceNotFound; tagging calls on a vanished alarm answer ResourceNotFoundException.
        return is_boto3_error_code(["ResourceNotFound", "ResourceNotFoundException"])


@CloudWatchErrorHandler.list_error_handler("describe alarms", [])
@aws_retry()
def describe_metric_alarms(client, name_prefix: str) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("describe_alarms")
    result = paginator.paginate(AlarmNamePrefix=name_prefix, AlarmTypes=["MetricAlarm"]).build_full_result()
    return result.get("MetricAlarms", [])


@CloudWatchErrorHandler.common_error_handler("put metric alarm")
@aws_retry()
def put_metric_alarm(client, **params: Any) -> None:
    client.put_metric_alarm(**params)


@CloudWatchErrorHandler.common_error_handler("delete alarms")
@aws_retry()
def delete_alarms(client, names: List[str]) -> None:
    for start in range(0, len(names), DELETE_BATCH):
        client.delete_alarms(AlarmNames=names[start:start + DELETE_BATCH])


@CloudWatchErrorHandler.list_error_handler("list tags", {})
@aws_retry()
def list_tags(client, arn: str) -> Dict[str, str]:
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceARN=arn).get("Tags", []))


@CloudWatchErrorHandler.common_error_handler("tag resource")
@aws_retry()
def tag_resource(client, arn: str, tags: Dict[str, str]) -> None:
    client.tag_resource(ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@CloudWatchErrorHandler.common_error_handler("untag resource")
@aws_retry()
def untag_resource(client, arn: str, keys: List[str]) -> None:
    client.untag_resource(ResourceARN=arn, TagKeys=list(keys))


@CloudWatchErrorHandler.list_error_handler("get dashboard", None)
@aws_retry()
def get_dashboard(client, name: str) -> Optional[Dict[str, Any]]:
    response = client.get_dashboard(DashboardName=name)
    return {"name": response["DashboardName"], "arn": response.get("DashboardArn"), "body": response["DashboardBody"]}


@CloudWatchErrorHandler.common_error_handler("put dashboard")
@aws_retry()
def put_dashboard(client, name: str, body: str) -> List[Dict[str, Any]]:
    """Store the dashboard; returns AWS's validation messages (warnings about the body), if any."""
    return client.put_dashboard(DashboardName=name, DashboardBody=body).get("DashboardValidationMessages", [])


@CloudWatchErrorHandler.deletion_error_handler("delete dashboard")
@aws_retry()
def delete_dashboard(client, name: str) -> bool:
    client.delete_dashboards(DashboardNames=[name])
    return True
