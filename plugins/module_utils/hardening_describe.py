# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read-only boto3 calls of the hardening check (describe/get/list only), each wrapped in a retry decorator and an
error handler. A missing resource answers None (or the given default); other errors raise
``AnsibleHardeningError``, which the module turns into ``fail_json_aws_error``.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry
# The collection's reader of the environment: the calls both it and this check make are written once, there.
from ansible_collections.lifeworld.production.plugins.module_utils.environment_read import paginate as _paginate
from ansible_collections.lifeworld.production.plugins.module_utils.environment_read import role_documents
from ansible_collections.lifeworld.production.plugins.module_utils.environment_read import vpcs

# The "does not exist" codes of the services read here.
MISSING = [
    "NoSuchEntity",  # IAM
    "ResourceNotFoundException",  # Secrets Manager, Logs
    "NotFoundException",  # KMS
    "LoadBalancerNotFound",  # ELBv2
    "SSLPolicyNotFound",  # ELBv2
    "ClusterNotFoundException",  # ECS
    "DBParameterGroupNotFound",  # RDS
    "DBInstanceNotFound",  # RDS
    "TrailNotFoundException",  # CloudTrail
    "NoSuchPublicAccessBlockConfiguration",  # S3
    "NoSuchBucketPolicy",  # S3
    "NoSuchBucket",  # S3
]


class AnsibleHardeningError(AnsibleAWSError):
    pass


class HardeningErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleHardeningError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(MISSING)


@HardeningErrorHandler.common_error_handler("describe the VPC")
def find_vpc_id(client, name: str) -> Optional[str]:
    found = vpcs(client, [name], managed=False).get(name)
    return found["VpcId"] if found else None


@HardeningErrorHandler.common_error_handler("describe security groups")
def security_groups(client, vpc_id: str) -> List[Dict[str, Any]]:
    return _paginate(client, "describe_security_groups", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]).get(
        "SecurityGroups", [])


@HardeningErrorHandler.common_error_handler("describe managed prefix lists")
def prefix_list_ids(client, names: List[str]) -> List[str]:
    """Ids of the managed prefix lists named ``names`` (AWS-managed ones included); an unknown name adds none."""
    if not names:
        return []
    found = _paginate(client, "describe_managed_prefix_lists",
                      Filters=[{"Name": "prefix-list-name", "Values": list(names)}]).get("PrefixLists", [])
    return [pl["PrefixListId"] for pl in found]


@HardeningErrorHandler.list_error_handler("read IAM role")
def iam_role(client, name: str) -> Optional[Dict[str, Any]]:
    """The role with its inline policies and the default version of every attached policy, by name/ARN."""
    role = aws_retry()(client.get_role)(RoleName=name)["Role"]
    inline, attached = role_documents(client, name)
    return dict(role, InlinePolicies=inline, AttachedPolicies=attached)


@HardeningErrorHandler.common_error_handler("describe DB instances")
def db_instances(client, identifier: str) -> List[Dict[str, Any]]:
    """The instance and those named after it (<id>-replica, <id>-pitr, ...)."""
    instances = _paginate(client, "describe_db_instances").get("DBInstances", [])
    return [i for i in instances if i["DBInstanceIdentifier"] == identifier
            or i["DBInstanceIdentifier"].startswith(identifier + "-")]


@HardeningErrorHandler.list_error_handler("describe DB parameters")
def db_parameters(client, group: str) -> Optional[List[Dict[str, Any]]]:
    return _paginate(client, "describe_db_parameters", DBParameterGroupName=group).get("Parameters", [])


@HardeningErrorHandler.list_error_handler("describe the load balancer")
@aws_retry()
def load_balancer(client, name: str) -> Optional[Dict[str, Any]]:
    balancers = client.describe_load_balancers(Names=[name])["LoadBalancers"]
    return balancers[0] if balancers else None


@HardeningErrorHandler.common_error_handler("describe listeners")
def listeners(client, arn: str) -> List[Dict[str, Any]]:
    return _paginate(client, "describe_listeners", LoadBalancerArn=arn).get("Listeners", [])


@HardeningErrorHandler.common_error_handler("describe listener rules")
@aws_retry()
def listener_rules(client, arn: str) -> List[Dict[str, Any]]:
    return client.describe_rules(ListenerArn=arn)["Rules"]


@HardeningErrorHandler.common_error_handler("describe load balancer attributes")
@aws_retry()
def load_balancer_attributes(client, arn: str) -> Dict[str, str]:
    return {a["Key"]: a["Value"] for a in client.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}


@HardeningErrorHandler.list_error_handler("describe the SSL policy")
@aws_retry()
def ssl_policy(client, name: str) -> Optional[Dict[str, Any]]:
    policies = client.describe_ssl_policies(Names=[name])["SslPolicies"]
    return policies[0] if policies else None


@HardeningErrorHandler.common_error_handler("describe the task definition")
def task_definition(client, family_or_arn: str) -> Optional[Dict[str, Any]]:
    """The latest ACTIVE revision of a family, or the given family:revision / ARN; None when there is none (ECS
    answers an unknown family with its generic ClientException, so only this call treats that as missing)."""
    try:
        return aws_retry()(client.describe_task_definition)(taskDefinition=family_or_arn)[
            "taskDefinition"]
    except is_boto3_error_code("ClientException"):
        return None


@HardeningErrorHandler.list_error_handler("describe ECS services", [])
def ecs_services(client, cluster: str) -> List[Dict[str, Any]]:
    arns = _paginate(client, "list_services", cluster=cluster).get("serviceArns", [])
    services = []
    for start in range(0, len(arns), 10):  # describe_services takes 10 at a time
        services += aws_retry()(client.describe_services)(
            cluster=cluster, services=arns[start:start + 10])["services"]
    return services


@HardeningErrorHandler.common_error_handler("describe log groups")
def log_groups(client, prefix: str) -> List[Dict[str, Any]]:
    return _paginate(client, "describe_log_groups", logGroupNamePrefix=prefix).get("logGroups", [])


@HardeningErrorHandler.list_error_handler("describe the secret")
@aws_retry()
def secret(client, name: str) -> Optional[Dict[str, Any]]:
    found = client.describe_secret(SecretId=name)
    return None if found.get("DeletedDate") else found


@HardeningErrorHandler.list_error_handler("describe the KMS key")
def kms_key(client, key_id: str) -> Optional[Dict[str, Any]]:
    """describe_key plus the rotation status (None where the caller may not read it)."""
    metadata = aws_retry()(client.describe_key)(KeyId=key_id)["KeyMetadata"]
    try:
        rotation = aws_retry()(client.get_key_rotation_status)(KeyId=metadata["KeyId"])[
            "KeyRotationEnabled"]
    except is_boto3_error_code(["AccessDeniedException", "UnsupportedOperationException"]):
        rotation = None
    return {"KeyMetadata": metadata, "KeyRotationEnabled": rotation}


@HardeningErrorHandler.list_error_handler("describe the trail")
@aws_retry()
def trail(client, name: str) -> Optional[Dict[str, Any]]:
    """The trail named ``name`` (shadow trails of other regions included, as describe_trails lists them)."""
    found = client.describe_trails(trailNameList=[name], includeShadowTrails=True).get("trailList", [])
    return found[0] if found else None


@HardeningErrorHandler.list_error_handler("read the trail status")
@aws_retry()
def trail_status(client, name: str) -> Optional[Dict[str, Any]]:
    return client.get_trail_status(Name=name)


@HardeningErrorHandler.list_error_handler("read the bucket's public access block")
@aws_retry()
def bucket_public_access(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]


@HardeningErrorHandler.list_error_handler("read the bucket policy")
@aws_retry()
def bucket_policy(client, bucket: str) -> Optional[str]:
    return client.get_bucket_policy(Bucket=bucket)["Policy"]
