# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for Secrets Manager, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleSecretsManagerError``; modules catch it and call ``module.fail_json_aws_error(e)``.
Secret values pass through these functions and are never logged or returned by them except to the caller.
"""

from typing import Any
from typing import Dict
from typing import Optional

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry


class AnsibleSecretsManagerError(AnsibleAWSError):
    pass


class SecretsManagerErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSecretsManagerError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


@SecretsManagerErrorHandler.list_error_handler("describe secret", None)
@aws_retry()
def describe_secret(client, secret_id: str) -> Optional[Dict[str, Any]]:
    """The secret's metadata (never its value), or None when it does not exist."""
    return client.describe_secret(SecretId=secret_id)


@SecretsManagerErrorHandler.list_error_handler("read secret value", None)
@aws_retry()
def get_secret_string(client, secret_id: str) -> Optional[str]:
    """The AWSCURRENT string value, or None when the secret has no current value."""
    return client.get_secret_value(SecretId=secret_id).get("SecretString")


@SecretsManagerErrorHandler.common_error_handler("generate a random password")
@aws_retry()
def get_random_password(client, **params: Any) -> str:
    return client.get_random_password(**params)["RandomPassword"]


@SecretsManagerErrorHandler.common_error_handler("create secret")
@aws_retry()
def create_secret(client, **params: Any) -> Dict[str, Any]:
    return client.create_secret(**params)


@SecretsManagerErrorHandler.common_error_handler("update secret")
@aws_retry()
def update_secret(client, **params: Any) -> Dict[str, Any]:
    return client.update_secret(**params)


@SecretsManagerErrorHandler.common_error_handler("store the secret value")
@aws_retry()
def put_secret_string(client, secret_id: str, secret_string: str) -> Dict[str, Any]:
    return client.put_secret_value(SecretId=secret_id, SecretString=secret_string)


@SecretsManagerErrorHandler.common_error_handler("restore secret")
@aws_retry()
def restore_secret(client, secret_id: str) -> Dict[str, Any]:
    return client.restore_secret(SecretId=secret_id)


@SecretsManagerErrorHandler.deletion_error_handler("delete secret")
@aws_retry()
def delete_secret(client, secret_id: str, recovery_window: int) -> bool:
    if recovery_window == 0:
        client.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)
    else:
        client.delete_secret(SecretId=secret_id, RecoveryWindowInDays=recovery_window)
    return True


@SecretsManagerErrorHandler.common_error_handler("configure secret rotation")
@aws_retry()
def rotate_secret(client, **params: Any) -> Dict[str, Any]:
    return client.rotate_secret(**params)


@SecretsManagerErrorHandler.common_error_handler("cancel secret rotation")
@aws_retry()
def cancel_rotate_secret(client, secret_id: str) -> Dict[str, Any]:
    return client.cancel_rotate_secret(SecretId=secret_id)


@SecretsManagerErrorHandler.common_error_handler("tag secret")
@aws_retry()
def tag_secret(client, secret_id: str, tags: list) -> None:
    client.tag_resource(SecretId=secret_id, Tags=tags)


@SecretsManagerErrorHandler.common_error_handler("untag secret")
@aws_retry()
def untag_secret(client, secret_id: str, tag_keys: list) -> None:
    client.untag_resource(SecretId=secret_id, TagKeys=tag_keys)


def same_kms_key(current: Optional[str], desired: Optional[str]) -> bool:
    """Whether two ways of naming a key (id, key ARN) name the same key; aliases only match literally."""
    if not current or not desired:
        return (current or None) == (desired or None)
    return current == desired or current.split("/")[-1] == desired.split("/")[-1]


def normalize(secret: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """describe_secret output -> snake_case metadata with tags as a dict ({} when there is no secret)."""
    if not secret:
        return {}
    secret = {k: v for k, v in secret.items() if k not in ("ResponseMetadata", "VersionIdsToStages")}
    result = camel_dict_to_snake_dict(secret, ignore_list=["Tags", "RotationRules"])
    result["tags"] = boto3_tag_list_to_ansible_dict(secret.get("Tags", []))
    result.pop("rotation_rules", None)
    if secret.get("RotationRules"):
        result["rotation_rules"] = camel_dict_to_snake_dict(secret["RotationRules"])
    result.setdefault("rotation_enabled", False)
    return result
