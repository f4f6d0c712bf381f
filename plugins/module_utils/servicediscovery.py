# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for AWS Cloud Map (servicediscovery), each wrapped in a retry decorator and an error handler.

Namespace operations are asynchronous: ``wait_for_operation`` polls GetOperation until it succeeds or fails.
Errors surface as ``AnsibleServiceDiscoveryError``; modules call ``module.fail_json_aws_error(e)``.
"""

import time
from functools import partial
import uuid
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.lifeworld.production.plugins.module_utils.common import TagPlan
from ansible_collections.lifeworld.production.plugins.module_utils.common import apply_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry
from ansible_collections.lifeworld.production.plugins.module_utils.common import plan_tags


class AnsibleServiceDiscoveryError(AnsibleAWSError):
    pass


class ServiceDiscoveryErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleServiceDiscoveryError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["NamespaceNotFound", "ServiceNotFound", "ResourceNotFoundException"])


def request_id() -> str:
    return str(uuid.uuid4())


@ServiceDiscoveryErrorHandler.list_error_handler("list namespaces", [])
@aws_retry()
def list_namespaces(client, name: str) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("list_namespaces")
    result = paginator.paginate(Filters=[{"Name": "NAME", "Values": [name], "Condition": "EQ"}]).build_full_result()
    # The NAME filter is not honoured by every endpoint: match exactly here.
    return [namespace for namespace in result["Namespaces"] if namespace["Name"] == name]


@ServiceDiscoveryErrorHandler.list_error_handler("get namespace", None)
@aws_retry()
def get_namespace(client, namespace_id: str) -> Optional[Dict[str, Any]]:
    return client.get_namespace(Id=namespace_id)["Namespace"]


@ServiceDiscoveryErrorHandler.common_error_handler("create private DNS namespace")
@aws_retry()
def create_private_dns_namespace(client, **params: Any) -> str:
    return client.create_private_dns_namespace(CreatorRequestId=request_id(), **params)["OperationId"]


@ServiceDiscoveryErrorHandler.common_error_handler("update private DNS namespace")
@aws_retry()
def update_private_dns_namespace(client, namespace_id: str, description: str) -> str:
    return client.update_private_dns_namespace(
        Id=namespace_id, UpdaterRequestId=request_id(), Namespace={"Description": description}
    )["OperationId"]


@ServiceDiscoveryErrorHandler.deletion_error_handler("delete namespace")
@aws_retry()
def delete_namespace(client, namespace_id: str) -> Optional[str]:
    return client.delete_namespace(Id=namespace_id).get("OperationId")


@ServiceDiscoveryErrorHandler.common_error_handler("get operation")
@aws_retry()
def get_operation(client, operation_id: str) -> Dict[str, Any]:
    return client.get_operation(OperationId=operation_id)["Operation"]


def wait_for_operation(client, operation_id: str, timeout: int = 300, delay: int = 2) -> Dict[str, Any]:
    """Poll a namespace operation until SUCCESS; FAIL or a timeout raise with AWS's reason."""
    deadline = time.time() + timeout
    while True:
        operation = get_operation(client, operation_id)
        if operation["Status"] == "SUCCESS":
            return operation
        if operation["Status"] == "FAIL":
            raise AnsibleServiceDiscoveryError(
                message=f"Cloud Map operation {operation_id} failed: {operation.get('ErrorCode')} "
                f"{operation.get('ErrorMessage')}"
            )
        if time.time() > deadline:
            raise AnsibleServiceDiscoveryError(
                message=f"Cloud Map operation {operation_id} still {operation['Status']} after {timeout}s"
            )
        time.sleep(delay)


@ServiceDiscoveryErrorHandler.list_error_handler("list services", [])
@aws_retry()
def list_services(client, namespace_id: str) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("list_services")
    filters = [{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}]
    return paginator.paginate(Filters=filters).build_full_result()["Services"]


@ServiceDiscoveryErrorHandler.list_error_handler("get service", None)
@aws_retry()
def get_service(client, service_id: str) -> Optional[Dict[str, Any]]:
    return client.get_service(Id=service_id)["Service"]


@ServiceDiscoveryErrorHandler.common_error_handler("create service")
@aws_retry()
def create_service(client, **params: Any) -> Dict[str, Any]:
    return client.create_service(CreatorRequestId=request_id(), **params)["Service"]


@ServiceDiscoveryErrorHandler.common_error_handler("update service")
@aws_retry()
def update_service(client, service_id: str, service: Dict[str, Any]) -> Optional[str]:
    return client.update_service(Id=service_id, Service=service).get("OperationId")


@ServiceDiscoveryErrorHandler.deletion_error_handler("delete service")
@aws_retry(["ResourceInUse"])
def delete_service(client, service_id: str) -> bool:
    client.delete_service(Id=service_id)
    return True


@ServiceDiscoveryErrorHandler.list_error_handler("list tags", {})
@aws_retry()
def list_tags(client, arn: str) -> Dict[str, str]:
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceARN=arn).get("Tags") or [])


@ServiceDiscoveryErrorHandler.common_error_handler("tag resource")
@aws_retry()
def tag_resource(client, arn: str, tags: Dict[str, str]) -> None:
    client.tag_resource(ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@ServiceDiscoveryErrorHandler.common_error_handler("untag resource")
@aws_retry()
def untag_resource(client, arn: str, keys: List[str]) -> None:
    client.untag_resource(ResourceARN=arn, TagKeys=keys)


def reconcile_tags(module, client, current: Dict[str, Any]) -> TagPlan:
    """The kernel's tag plan for an existing Cloud Map resource, carried out through the check-mode gate."""
    plan = plan_tags(current["tags"], module.params["tags"], module.params["purge_tags"])
    apply_tags(module, plan, partial(tag_resource, client, current["arn"]), partial(untag_resource, client, current["arn"]))
    return plan


def run_module(argument_spec: Dict[str, Any], find, ensure_absent, ensure_present) -> None:
    """The main() of every Cloud Map module: find the resource, then make it absent or present.

    ``ensure_absent`` and ``ensure_present`` end the module themselves (exit_json).
    """
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("servicediscovery")
    try:
        current = find(module, client)
        if module.params["state"] == "absent":
            ensure_absent(module, client, current)
        ensure_present(module, client, current)
    except AnsibleServiceDiscoveryError as e:
        module.fail_json_aws_error(e)
