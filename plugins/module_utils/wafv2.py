# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for WAFv2 web ACL associations, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleWAFv2Error``; modules catch it and call ``module.fail_json_aws_error(e)``.
"""

from typing import Any
from typing import Dict
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry

# A resource (or web ACL) that AWS is still creating is reported as missing for a short while.
RETRY_CODES = ["WAFUnavailableEntityException", "WAFNonexistentItemException"]


class AnsibleWAFv2Error(AnsibleAWSError):
    pass


class WAFv2ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleWAFv2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("WAFNonexistentItemException")


@WAFv2ErrorHandler.list_error_handler("get the web ACL of the resource")
@aws_retry(["WAFUnavailableEntityException"])
def get_web_acl_for_resource(client, resource_arn: str) -> Optional[Dict[str, Any]]:
    return client.get_web_acl_for_resource(ResourceArn=resource_arn).get("WebACL")


@WAFv2ErrorHandler.common_error_handler("associate the web ACL")
@aws_retry(RETRY_CODES)
def associate_web_acl(client, web_acl_arn: str, resource_arn: str) -> None:
    client.associate_web_acl(WebACLArn=web_acl_arn, ResourceArn=resource_arn)


@WAFv2ErrorHandler.deletion_error_handler("disassociate the web ACL")
@aws_retry(["WAFUnavailableEntityException"])
def disassociate_web_acl(client, resource_arn: str) -> bool:
    client.disassociate_web_acl(ResourceArn=resource_arn)
    return True


@WAFv2ErrorHandler.list_error_handler("get the logging configuration of the web ACL")
@aws_retry(["WAFUnavailableEntityException"])
def get_logging_configuration(client, web_acl_arn: str) -> Optional[Dict[str, Any]]:
    """The web ACL's logging configuration; None when it has none (WAFNonexistentItemException)."""
    return client.get_logging_configuration(ResourceArn=web_acl_arn)["LoggingConfiguration"]


@WAFv2ErrorHandler.common_error_handler("put the logging configuration of the web ACL")
@aws_retry(RETRY_CODES)
def put_logging_configuration(client, configuration: Dict[str, Any]) -> Dict[str, Any]:
    return client.put_logging_configuration(LoggingConfiguration=configuration)["LoggingConfiguration"]


@WAFv2ErrorHandler.deletion_error_handler("delete the logging configuration of the web ACL")
@aws_retry(["WAFUnavailableEntityException"])
def delete_logging_configuration(client, web_acl_arn: str) -> bool:
    client.delete_logging_configuration(ResourceArn=web_acl_arn)
    return True
