# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM's eventual consistency: service-linked roles, and calls that name a role IAM has not propagated yet.

IAM is eventually consistent. A role created seconds ago, or a service-linked role a service created implicitly,
can be rejected by the service that must assume it, with a 400 whose *code* is the service's generic
invalid-parameter code: only the *message* tells the propagation delay from a real mistake. So the retry here is
on (code, message fragment) pairs, for a bounded time, and the last error goes through unchanged when time is up.

EMULATOR: moto enforces no IAM, creates no service-linked role implicitly and never answers with these errors; the
unit tests reproduce them with botocore's Stubber (tests/unit/plugins/module_utils/test_iam.py and the modules'
tests).
"""

import time
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import Optional
from typing import Tuple

try:
    import botocore
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry

# (error code, message fragment) of the known "role not assumable yet" answers.
PROPAGATION_ERRORS: Tuple[Tuple[str, str], ...] = (
    # ECS CreateCluster / PutClusterCapacityProviders on the first cluster of an account (AWSServiceRoleForECS).
    ("InvalidParameterException", "Unable to assume the service linked role"),
    # ECS CreateService / UpdateService naming a task or execution role created seconds ago.
    ("InvalidParameterException", "Unable to assume role"),
    # EC2 CreateFlowLogs with a delivery role created seconds ago (also reported per resource in Unsuccessful).
    ("InvalidParameter", "Unable to assume given IAM role"),
    # RDS CreateDBInstance / ModifyDBInstance with a monitoring role created seconds ago.
    ("InvalidParameterValue", "does not include the required permissions for: ENHANCED_MONITORING"),
)

# The seconds a propagation error is retried for: IAM documents "usually a few seconds", seen up to a minute or two.
PROPAGATION_TIMEOUT = 120


class AnsibleIAMError(AnsibleAWSError):
    pass


class IAMErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleIAMError


def error_code_and_message(error: BaseException) -> Tuple[str, str]:
    """(code, message) of a ClientError, of the ClientError an AnsibleAWSError wraps, or ("", str(error))."""
    client_error = error
    if not isinstance(error, botocore.exceptions.ClientError):
        client_error = getattr(error, "exception", None)
    if isinstance(client_error, botocore.exceptions.ClientError):
        details = client_error.response.get("Error", {})
        return details.get("Code", ""), details.get("Message", "")
    # Per-resource failures (EC2 Unsuccessful items) arrive as a message that quotes code and text.
    return "", str(error)


def is_propagation_error(error: BaseException, errors: Iterable[Tuple[str, str]] = PROPAGATION_ERRORS) -> bool:
    code, message = error_code_and_message(error)
    for known_code, fragment in errors:
        if fragment in message and (code == known_code or (not code and known_code in message)):
            return True
    return False


def retry_while_propagating(
    func: Callable[..., Any],
    *args: Any,
    timeout: float = PROPAGATION_TIMEOUT,
    delay: float = 5,
    sleep: Optional[Callable[[float], None]] = None,
    clock: Optional[Callable[[], float]] = None,
    errors: Iterable[Tuple[str, str]] = PROPAGATION_ERRORS,
    **kwargs: Any,
) -> Any:
    """``func(*args, **kwargs)``, again every ``delay`` seconds while it fails with a propagation error, for at most
    ``timeout`` seconds; any other error, or the propagation error after the timeout, is raised as it came."""
    # Looked up at call time, so tests can replace time.sleep/time.monotonic.
    sleep, clock = sleep or time.sleep, clock or time.monotonic
    errors = tuple(errors)
    deadline = clock() + timeout
    while True:
        try:
            return func(*args, **kwargs)
        except (AnsibleAWSError, botocore.exceptions.ClientError) as e:
            if not is_propagation_error(e, errors) or clock() + delay > deadline:
                raise
        sleep(delay)


def service_linked_role_path(service_name: str) -> str:
    """The path AWS gives every service-linked role of ``service_name`` (names differ per service; the path not)."""
    return f"/aws-service-role/{service_name}/"


@IAMErrorHandler.common_error_handler("list service-linked roles")
@aws_retry()
def find_service_linked_role(client, service_name: str) -> Optional[Dict[str, Any]]:
    """The service-linked role of ``service_name`` without a custom suffix, or None."""
    paginator = client.get_paginator("list_roles")
    roles = paginator.paginate(PathPrefix=service_linked_role_path(service_name)).build_full_result()["Roles"]
    # Some services allow several (custom suffixes); the plain one has the shortest name.
    roles = sorted(roles, key=lambda role: len(role["RoleName"]))
    return roles[0] if roles else None


@IAMErrorHandler.common_error_handler("create service-linked role")
@aws_retry()
def _create_service_linked_role(client, service_name: str, description: Optional[str]) -> Dict[str, Any]:
    params = {"AWSServiceName": service_name}
    if description:
        params["Description"] = description
    return client.create_service_linked_role(**params)["Role"]


def create_service_linked_role(client, service_name: str, description: Optional[str] = None) -> Dict[str, Any]:
    """Create the role; when a concurrent run (or the service itself) created it first, return that one.

    AWS answers a second creation with InvalidInput "Service role name ... has been taken in this account".
    """
    try:
        return _create_service_linked_role(client, service_name, description)
    except AnsibleIAMError as e:
        code, message = error_code_and_message(e)
        if code != "InvalidInput" or "has been taken" not in message:
            raise
    role = find_service_linked_role(client, service_name)
    if role is None:
        raise AnsibleIAMError(message=f"IAM says the service-linked role of {service_name} exists, but it is not listed")
    return role
