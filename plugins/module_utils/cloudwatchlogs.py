# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for CloudWatch Logs Insights query definitions, each wrapped in a retry decorator and an error
handler. Errors surface as ``AnsibleCloudWatchLogsError``."""

from typing import Any
from typing import Dict
from typing import List

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry


class AnsibleCloudWatchLogsError(AnsibleAWSError):
    pass


class CloudWatchLogsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCloudWatchLogsError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


@CloudWatchLogsErrorHandler.list_error_handler("describe query definitions", [])
@aws_retry()
def describe_query_definitions(client, name_prefix: str) -> List[Dict[str, Any]]:
    """Every query definition whose name starts with ``name_prefix`` (the API has no paginator: follow nextToken)."""
    params: Dict[str, Any] = {"queryDefinitionNamePrefix": name_prefix, "maxResults": 1000}
    definitions: List[Dict[str, Any]] = []
    while True:
        response = client.describe_query_definitions(**params)
        definitions.extend(response.get("queryDefinitions", []))
        if not response.get("nextToken"):
            return definitions
        params["nextToken"] = response["nextToken"]


@CloudWatchLogsErrorHandler.common_error_handler("put query definition")
@aws_retry()
def put_query_definition(client, **params: Any) -> str:
    return client.put_query_definition(**params)["queryDefinitionId"]


@CloudWatchLogsErrorHandler.deletion_error_handler("delete query definition")
@aws_retry()
def delete_query_definition(client, query_definition_id: str) -> bool:
    return client.delete_query_definition(queryDefinitionId=query_definition_id).get("success", True)


@CloudWatchLogsErrorHandler.list_error_handler("describe log groups", None)
@aws_retry()
def get_log_group(client, name: str) -> Dict[str, Any]:
    """The log group called ``name`` exactly, or None."""
    for page in client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name):
        for group in page.get("logGroups", []):
            if group["logGroupName"] == name:
                return group
    return None


@CloudWatchLogsErrorHandler.common_error_handler("associate KMS key")
@aws_retry()
def associate_kms_key(client, name: str, kms_key_id: str) -> None:
    client.associate_kms_key(logGroupName=name, kmsKeyId=kms_key_id)


@CloudWatchLogsErrorHandler.common_error_handler("disassociate KMS key")
@aws_retry()
def disassociate_kms_key(client, name: str) -> None:
    client.disassociate_kms_key(logGroupName=name)
