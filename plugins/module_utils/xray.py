# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for X-Ray sampling rules and groups, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleXRayError``; modules catch it and call ``module.fail_json_aws_error(e)``.
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


class AnsibleXRayError(AnsibleAWSError):
    pass


class XRayErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleXRayError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


@XRayErrorHandler.list_error_handler("get sampling rules", None)
@aws_retry()
def get_sampling_rule(client, name: str) -> Optional[Dict[str, Any]]:
    for page in client.get_paginator("get_sampling_rules").paginate():
        for record in page.get("SamplingRuleRecords", []):
            if record["SamplingRule"]["RuleName"] == name:
                return record["SamplingRule"]
    return None


@XRayErrorHandler.common_error_handler("create sampling rule")
@aws_retry()
def create_sampling_rule(client, rule: Dict[str, Any], tags: Dict[str, str]) -> Dict[str, Any]:
    params: Dict[str, Any] = {"SamplingRule": rule}
    if tags:
        params["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return client.create_sampling_rule(**params)["SamplingRuleRecord"]["SamplingRule"]


@XRayErrorHandler.common_error_handler("update sampling rule")
@aws_retry()
def update_sampling_rule(client, update: Dict[str, Any]) -> Dict[str, Any]:
    return client.update_sampling_rule(SamplingRuleUpdate=update)["SamplingRuleRecord"]["SamplingRule"]


@XRayErrorHandler.deletion_error_handler("delete sampling rule")
@aws_retry()
def delete_sampling_rule(client, name: str) -> bool:
    client.delete_sampling_rule(RuleName=name)
    return True


@XRayErrorHandler.list_error_handler("get groups", None)
@aws_retry()
def get_group(client, name: str) -> Optional[Dict[str, Any]]:
    for page in client.get_paginator("get_groups").paginate():
        for group in page.get("Groups", []):
            if group["GroupName"] == name:
                return group
    return None


@XRayErrorHandler.common_error_handler("create group")
@aws_retry()
def create_group(client, params: Dict[str, Any], tags: Dict[str, str]) -> Dict[str, Any]:
    if tags:
        params = dict(params, Tags=ansible_dict_to_boto3_tag_list(tags))
    return client.create_group(**params)["Group"]


@XRayErrorHandler.common_error_handler("update group")
@aws_retry()
def update_group(client, params: Dict[str, Any]) -> Dict[str, Any]:
    return client.update_group(**params)["Group"]


@XRayErrorHandler.deletion_error_handler("delete group")
@aws_retry()
def delete_group(client, name: str) -> bool:
    client.delete_group(GroupName=name)
    return True


@XRayErrorHandler.list_error_handler("list tags", {})
@aws_retry()
def list_tags(client, arn: str) -> Dict[str, str]:
    tags: List[Dict[str, str]] = []
    params = {"ResourceARN": arn}
    while True:
        response = client.list_tags_for_resource(**params)
        tags.extend(response.get("Tags", []))
        if not response.get("NextToken"):
            return boto3_tag_list_to_ansible_dict(tags)
        params["NextToken"] = response["NextToken"]


@XRayErrorHandler.common_error_handler("tag resource")
@aws_retry()
def tag_resource(client, arn: str, tags: Dict[str, str]) -> None:
    client.tag_resource(ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@XRayErrorHandler.common_error_handler("untag resource")
@aws_retry()
def untag_resource(client, arn: str, keys: List[str]) -> None:
    client.untag_resource(ResourceARN=arn, TagKeys=list(keys))
