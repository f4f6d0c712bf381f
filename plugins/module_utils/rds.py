# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for RDS parameter groups and automated-backup replication, each with retries and error handling.

Errors surface as amazon.aws's ``AnsibleRDSError``; modules catch it and call ``module.fail_json_aws_error(e)``.
The generic instance/snapshot helpers stay in amazon.aws's own rds module_utils and are imported from there.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.rds import AnsibleRDSError

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry

# ModifyDBParameterGroup and ResetDBParameterGroup take at most 20 parameters per call.
PARAMETERS_PER_CALL = 20


class ParameterGroupErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DBParameterGroupNotFound")


class InstanceErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DBInstanceNotFound")


@ParameterGroupErrorHandler.list_error_handler("describe DB parameter group", None)
@aws_retry()
def get_parameter_group(client, name: str) -> Optional[Dict[str, Any]]:
    """The group, or None. Some endpoints answer an empty list instead of DBParameterGroupNotFound."""
    groups = client.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]
    return groups[0] if groups else None


@ParameterGroupErrorHandler.list_error_handler("describe DB parameters", [])
@aws_retry()
def describe_parameters(client, name: str) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("describe_db_parameters")
    return paginator.paginate(DBParameterGroupName=name).build_full_result()["Parameters"]


@ParameterGroupErrorHandler.common_error_handler("create DB parameter group")
@aws_retry()
def create_parameter_group(client, **params: Any) -> Dict[str, Any]:
    return client.create_db_parameter_group(**params)["DBParameterGroup"]


@ParameterGroupErrorHandler.common_error_handler("modify DB parameters")
@aws_retry()
def modify_parameters(client, name: str, parameters: List[Dict[str, Any]]) -> None:
    for start in range(0, len(parameters), PARAMETERS_PER_CALL):
        client.modify_db_parameter_group(
            DBParameterGroupName=name, Parameters=parameters[start:start + PARAMETERS_PER_CALL]
        )


@ParameterGroupErrorHandler.common_error_handler("reset DB parameters")
@aws_retry()
def reset_parameters(client, name: str, parameters: List[Dict[str, Any]]) -> None:
    for start in range(0, len(parameters), PARAMETERS_PER_CALL):
        client.reset_db_parameter_group(
            DBParameterGroupName=name, Parameters=parameters[start:start + PARAMETERS_PER_CALL]
        )


@ParameterGroupErrorHandler.deletion_error_handler("delete DB parameter group")
@aws_retry()
def delete_parameter_group(client, name: str) -> bool:
    client.delete_db_parameter_group(DBParameterGroupName=name)
    return True


@ParameterGroupErrorHandler.list_error_handler("list tags", [])
@aws_retry()
def list_tags(client, arn: str) -> List[Dict[str, str]]:
    return client.list_tags_for_resource(ResourceName=arn)["TagList"]


@ParameterGroupErrorHandler.common_error_handler("tag resource")
@aws_retry()
def add_tags(client, arn: str, tags: List[Dict[str, str]]) -> None:
    client.add_tags_to_resource(ResourceName=arn, Tags=tags)


@ParameterGroupErrorHandler.common_error_handler("untag resource")
@aws_retry()
def remove_tags(client, arn: str, keys: List[str]) -> None:
    client.remove_tags_from_resource(ResourceName=arn, TagKeys=keys)


@InstanceErrorHandler.list_error_handler("describe DB instance", None)
@aws_retry()
def get_instance(client, identifier: str) -> Optional[Dict[str, Any]]:
    instances = client.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    return instances[0] if instances else None


@InstanceErrorHandler.list_error_handler("describe replicated automated backups", [])
@aws_retry()
def describe_automated_backups(client, **params: Any) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("describe_db_instance_automated_backups")
    return paginator.paginate(**params).build_full_result()["DBInstanceAutomatedBackups"]


@InstanceErrorHandler.common_error_handler("start automated backup replication")
@aws_retry()
def start_backup_replication(client, **params: Any) -> Dict[str, Any]:
    return client.start_db_instance_automated_backups_replication(**params)["DBInstanceAutomatedBackup"]


@InstanceErrorHandler.common_error_handler("stop automated backup replication")
@aws_retry()
def stop_backup_replication(client, source_arn: str) -> Dict[str, Any]:
    return client.stop_db_instance_automated_backups_replication(SourceDBInstanceArn=source_arn)[
        "DBInstanceAutomatedBackup"
    ]


def parameter_value(value: Any) -> str:
    """Inventory values (int, bool, str) as RDS stores them: strings, booleans as 1/0."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
