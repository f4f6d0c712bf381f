# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for Application Auto Scaling, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleApplicationAutoScalingError``; modules call ``module.fail_json_aws_error(e)``.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry

# Concurrent updates of the same resource are refused with this code; they succeed when retried.
_RETRY_CODES = ["ConcurrentUpdateException"]


class AnsibleApplicationAutoScalingError(AnsibleAWSError):
    pass


class ApplicationAutoScalingErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleApplicationAutoScalingError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ObjectNotFoundException")


@ApplicationAutoScalingErrorHandler.list_error_handler("describe scalable targets", None)
@aws_retry(_RETRY_CODES)
def describe_scalable_target(client, namespace: str, resource_id: str, dimension: str) -> Optional[Dict[str, Any]]:
    targets = client.describe_scalable_targets(
        ServiceNamespace=namespace, ResourceIds=[resource_id], ScalableDimension=dimension
    ).get("ScalableTargets") or []
    matches = [t for t in targets if t["ResourceId"] == resource_id and t["ScalableDimension"] == dimension]
    return matches[0] if matches else None


@ApplicationAutoScalingErrorHandler.list_error_handler("describe scaling policies", [])
@aws_retry(_RETRY_CODES)
def describe_scaling_policies(client, namespace: str, resource_id: str, dimension: str) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("describe_scaling_policies")
    policies = paginator.paginate(
        ServiceNamespace=namespace, ResourceId=resource_id, ScalableDimension=dimension
    ).build_full_result()["ScalingPolicies"]
    # Some endpoints ignore the filters: keep only this resource's policies.
    return [p for p in policies if p["ResourceId"] == resource_id and p["ScalableDimension"] == dimension]


@ApplicationAutoScalingErrorHandler.common_error_handler("register scalable target")
@aws_retry(_RETRY_CODES)
def register_scalable_target(client, **params: Any) -> None:
    client.register_scalable_target(**params)


@ApplicationAutoScalingErrorHandler.deletion_error_handler("deregister scalable target")
@aws_retry(_RETRY_CODES)
def deregister_scalable_target(client, namespace: str, resource_id: str, dimension: str) -> bool:
    client.deregister_scalable_target(ServiceNamespace=namespace, ResourceId=resource_id, ScalableDimension=dimension)
    return True


@ApplicationAutoScalingErrorHandler.common_error_handler("put scaling policy")
@aws_retry(_RETRY_CODES)
def put_scaling_policy(client, **params: Any) -> Dict[str, Any]:
    return client.put_scaling_policy(**params)


@ApplicationAutoScalingErrorHandler.deletion_error_handler("delete scaling policy")
@aws_retry(_RETRY_CODES)
def delete_scaling_policy(client, name: str, namespace: str, resource_id: str, dimension: str) -> bool:
    client.delete_scaling_policy(
        PolicyName=name, ServiceNamespace=namespace, ResourceId=resource_id, ScalableDimension=dimension
    )
    return True
