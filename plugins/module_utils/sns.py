# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for SNS topics, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleSNSError``; modules catch it and call ``module.fail_json_aws_error(e)``.
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


class AnsibleSNSError(AnsibleAWSError):
    pass


class SNSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSNSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["NotFound", "ResourceNotFound"])


@SNSErrorHandler.list_error_handler("list topics", None)
@aws_retry()
def find_topic_arn(client, name: str) -> Optional[str]:
    for page in client.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].split(":")[-1] == name:
                return topic["TopicArn"]
    return None


@SNSErrorHandler.list_error_handler("get topic attributes", None)
@aws_retry()
def get_topic_attributes(client, arn: str) -> Optional[Dict[str, str]]:
    return client.get_topic_attributes(TopicArn=arn)["Attributes"]


@SNSErrorHandler.common_error_handler("create topic")
@aws_retry()
def create_topic(client, name: str, attributes: Dict[str, str], tags: Dict[str, str]) -> str:
    params: Dict[str, Any] = {"Name": name, "Attributes": attributes}
    if tags:
        params["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return client.create_topic(**params)["TopicArn"]


@SNSErrorHandler.common_error_handler("set topic attribute")
@aws_retry()
def set_topic_attribute(client, arn: str, name: str, value: str) -> None:
    client.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value)


@SNSErrorHandler.deletion_error_handler("delete topic")
@aws_retry()
def delete_topic(client, arn: str) -> bool:
    client.delete_topic(TopicArn=arn)
    return True


@SNSErrorHandler.list_error_handler("list subscriptions", [])
@aws_retry()
def list_subscriptions(client, arn: str) -> List[Dict[str, str]]:
    paginator = client.get_paginator("list_subscriptions_by_topic")
    return paginator.paginate(TopicArn=arn).build_full_result().get("Subscriptions", [])


@SNSErrorHandler.common_error_handler("subscribe")
@aws_retry()
def subscribe(client, arn: str, protocol: str, endpoint: str) -> None:
    client.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=endpoint)


@SNSErrorHandler.deletion_error_handler("unsubscribe")
@aws_retry()
def unsubscribe(client, subscription_arn: str) -> bool:
    client.unsubscribe(SubscriptionArn=subscription_arn)
    return True


@SNSErrorHandler.list_error_handler("list topic tags", {})
@aws_retry()
def list_tags(client, arn: str) -> Dict[str, str]:
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceArn=arn).get("Tags", []))


@SNSErrorHandler.common_error_handler("tag topic")
@aws_retry()
def tag_topic(client, arn: str, tags: Dict[str, str]) -> None:
    client.tag_resource(ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@SNSErrorHandler.common_error_handler("untag topic")
@aws_retry()
def untag_topic(client, arn: str, keys: List[str]) -> None:
    client.untag_resource(ResourceArn=arn, TagKeys=list(keys))
