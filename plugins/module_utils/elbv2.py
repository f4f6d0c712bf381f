# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for Elastic Load Balancing v2 attributes, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleELBv2Error`` (amazon.aws's); modules call ``module.fail_json_aws_error(e)``.
"""

from typing import Any
from typing import Dict
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.elb_utils import AnsibleELBv2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry


class ELBv2ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleELBv2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("LoadBalancerNotFound")


@ELBv2ErrorHandler.list_error_handler("describe load balancer")
@aws_retry()
def describe_load_balancer(client, name: Optional[str] = None, arn: Optional[str] = None) -> Optional[Dict[str, Any]]:
    params = {"Names": [name]} if name else {"LoadBalancerArns": [arn]}
    balancers = client.describe_load_balancers(**params)["LoadBalancers"]
    return balancers[0] if balancers else None


@ELBv2ErrorHandler.common_error_handler("describe load balancer attributes")
@aws_retry()
def get_load_balancer_attributes(client, arn: str) -> Dict[str, str]:
    attributes = client.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    return {item["Key"]: item["Value"] for item in attributes}


@ELBv2ErrorHandler.common_error_handler("modify load balancer attributes")
@aws_retry()
def set_load_balancer_attributes(client, arn: str, attributes: Dict[str, str]) -> Dict[str, str]:
    response = client.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": key, "Value": value} for key, value in sorted(attributes.items())]
    )
    return {item["Key"]: item["Value"] for item in response.get("Attributes", [])}
