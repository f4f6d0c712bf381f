# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Batched reads of the built environment by the contract's names: one listing or describe call per resource type
for every name of that type (filters by tag or name), never one call per resource. Used by the module
lifeworld.production.environment_info (and through it every lookup role), the hardening check and
scripts/show-environment.

Each reader takes a boto3 client and the names wanted and answers ``{name: resource}`` for those that exist; a name
that is absent is simply not in the answer. ``client_for(service)`` is how the callers give clients: the module's
``module.client`` or a boto3 session's ``client``.
"""

from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry

# Contract key -> resource type read for it (keys of plugins/module_utils/contract.py NAMES).
KEY_TYPES = {
    "vpc": "vpc",
    "kms_rds": "kms_alias", "kms_secrets": "kms_alias", "kms_logs": "kms_alias",
    "role_ecs_task_execution": "iam_role", "role_ecs_task": "iam_role", "role_rds_monitoring": "iam_role",
    "sg_alb": "security_group", "sg_ecs": "security_group", "sg_rds": "security_group",
    "secret_jwt": "secret", "secret_db_master": "secret", "secret_api_keys": "secret",
    "db_instance": "db_instance", "db_replica": "db_instance",
    "ecr_backend": "ecr_repository", "ecr_frontend": "ecr_repository",
    "log_group_backend": "log_group", "log_group_frontend": "log_group",
    "alerts_topic": "sns_topic",
    "alb": "load_balancer", "tg_backend": "target_group", "tg_frontend": "target_group",
    "ecs_cluster": "ecs_cluster",
}

# What a full read wants: everything the site builds unconditionally (the read replica is an inventory option).
DEFAULT_KEYS = tuple(key for key in KEY_TYPES if key != "db_replica")

# Resource type -> AWS service of its client.
SERVICES = {
    "vpc": "ec2", "security_group": "ec2", "iam_role": "iam", "kms_alias": "kms", "secret": "secretsmanager",
    "db_instance": "rds", "ecr_repository": "ecr", "log_group": "logs", "sns_topic": "sns",
    "load_balancer": "elbv2", "target_group": "elbv2", "ecs_cluster": "ecs",
}


def _tags(resource: Dict[str, Any], key: str = "Tags") -> Dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get(key) or []}


@aws_retry()
def paginate(client, operation: str, **params: Any) -> Dict[str, Any]:
    return client.get_paginator(operation).paginate(**params).build_full_result()


def vpcs(client, names: List[str], managed: bool = True, **_ignored) -> Dict[str, Dict[str, Any]]:
    """VPCs by Name tag; managed: only those tagged ManagedBy=ansible (a hand-made VPC of the same name is not the
    environment's)."""
    filters = [{"Name": "tag:Name", "Values": names}]
    if managed:
        filters.append({"Name": "tag:ManagedBy", "Values": ["ansible"]})
    found = paginate(client, "describe_vpcs", Filters=filters)
    return {_tags(vpc)["Name"]: vpc for vpc in found.get("Vpcs", [])}


def subnets(client, vpc_id: str) -> List[Dict[str, Any]]:
    """The VPC's subnets in the shape of amazon.aws.ec2_vpc_subnet_info (what the subnets_by_tier filter reads)."""
    found = paginate(client, "describe_subnets", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return [{"subnet_id": s["SubnetId"], "availability_zone": s["AvailabilityZone"], "cidr_block": s["CidrBlock"],
             "availability_zone_id": s.get("AvailabilityZoneId", ""), "tags": _tags(s)} for s in found.get("Subnets", [])]


def security_groups(client, names: List[str], vpc_id: Optional[str] = None, **_ignored) -> Dict[str, Dict[str, Any]]:
    filters = [{"Name": "tag:Name", "Values": names}]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    found = paginate(client, "describe_security_groups", Filters=filters).get("SecurityGroups", [])
    return {_tags(group)["Name"]: group for group in found}


def iam_roles(client, names: List[str], **_ignored) -> Dict[str, Dict[str, Any]]:
    """One ListRoles (paginated) for all the names: IAM has no filter by name, and GetRole costs a call each."""
    wanted = set(names)
    return {role["RoleName"]: role for role in paginate(client, "list_roles").get("Roles", [])
            if role["RoleName"] in wanted}


def role_documents(client, name: str, aws_managed: bool = True):
    """(inline policies by name, attached policy documents by ARN) of a role. AWS-managed policies are AWS's to
    scope: with aws_managed=False their documents are not read (the ARN still maps to None)."""
    inline = {}
    for policy in paginate(client, "list_role_policies", RoleName=name).get("PolicyNames", []):
        inline[policy] = aws_retry()(client.get_role_policy)(RoleName=name, PolicyName=policy)["PolicyDocument"]
    attached = {}
    for policy in paginate(client, "list_attached_role_policies", RoleName=name).get("AttachedPolicies", []):
        arn = policy["PolicyArn"]
        attached[arn] = None
        if aws_managed or ":aws:policy/" not in arn:
            version = aws_retry()(client.get_policy)(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            attached[arn] = aws_retry()(client.get_policy_version)(PolicyArn=arn, VersionId=version)[
                "PolicyVersion"]["Document"]
    return inline, attached


def kms_aliases(client, names: List[str], **_ignored) -> Dict[str, Dict[str, Any]]:
    """One ListAliases for all, then DescribeKey per alias found: a key pending deletion or disabled is no key any
    service can encrypt with, so it counts as absent (as amazon.aws.kms_key_info has it)."""
    qualified = {(n if n.startswith("alias/") else "alias/" + n): n for n in names}
    found = {}
    for alias in paginate(client, "list_aliases").get("Aliases", []):
        name = qualified.get(alias["AliasName"])
        if name and alias.get("TargetKeyId"):
            metadata = aws_retry()(client.describe_key)(KeyId=alias["TargetKeyId"])["KeyMetadata"]
            if metadata["KeyState"] == "Enabled":
                found[name] = metadata
    return found


def secrets(client, names: List[str], **_ignored) -> Dict[str, Dict[str, Any]]:
    """ListSecrets filtered by the names (a name filter matches a prefix, so the exact name is kept). Metadata
    only: never a secret's value. A secret scheduled for deletion is not listed."""
    found = {}
    for start in range(0, len(names), 10):  # a filter takes 10 values
        listed = paginate(client, "list_secrets", Filters=[{"Key": "name", "Values": names[start:start + 10]}])
        found.update({s["Name"]: s for s in listed.get("SecretList", []) if s["Name"] in names
                      and not s.get("DeletedDate")})
    return found


def db_instances(client, names: List[str], **_ignored) -> Dict[str, Dict[str, Any]]:
    found = paginate(client, "describe_db_instances", Filters=[{"Name": "db-instance-id", "Values": names}])
    return {db["DBInstanceIdentifier"]: db for db in found.get("DBInstances", [])
            if db["DBInstanceIdentifier"] in names}


def ecr_repositories(client, names: List[str], **_ignored) -> Dict[str, Dict[str, Any]]:
    # repositoryNames fails the whole call on the first absent name, so list them all (one page in practice).
    return {r["repositoryName"]: r for r in paginate(client, "describe_repositories").get("repositories", [])
            if r["repositoryName"] in names}


def log_groups(client, names: List[str], **_ignored) -> Dict[str, Dict[str, Any]]:
    """One DescribeLogGroups per directory of the names (/ecs/<prefix>/ holds both services' groups)."""
    found = {}
    for directory in sorted({name.rsplit("/", 1)[0] + "/" for name in names}):
        for group in paginate(client, "describe_log_groups", logGroupNamePrefix=directory).get("logGroups", []):
            if group["logGroupName"] in names:
                found[group["logGroupName"]] = group
    return found


def sns_topics(client, names: List[str], **_ignored) -> Dict[str, Dict[str, Any]]:
    return {t["TopicArn"].rsplit(":", 1)[-1]: t for t in paginate(client, "list_topics").get("Topics", [])
            if t["TopicArn"].rsplit(":", 1)[-1] in names}


def load_balancers(client, names: List[str], **_ignored) -> Dict[str, Dict[str, Any]]:
    # Names= fails the whole call on the first absent name (LoadBalancerNotFound), so list them all.
    return {lb["LoadBalancerName"]: lb for lb in paginate(client, "describe_load_balancers").get("LoadBalancers", [])
            if lb["LoadBalancerName"] in names}


def target_groups(client, names: List[str], vpc_id: Optional[str] = None, **_ignored) -> Dict[str, Dict[str, Any]]:
    return {tg["TargetGroupName"]: tg for tg in paginate(client, "describe_target_groups").get("TargetGroups", [])
            if tg["TargetGroupName"] in names and (not vpc_id or tg.get("VpcId") == vpc_id)}


def ecs_clusters(client, names: List[str], **_ignored) -> Dict[str, Dict[str, Any]]:
    described = aws_retry()(client.describe_clusters)(clusters=names)["clusters"]
    return {c["clusterName"]: c for c in described if c.get("status") == "ACTIVE"}


READERS = {
    "vpc": vpcs, "security_group": security_groups, "iam_role": iam_roles, "kms_alias": kms_aliases,
    "secret": secrets, "db_instance": db_instances, "ecr_repository": ecr_repositories, "log_group": log_groups,
    "sns_topic": sns_topics, "load_balancer": load_balancers, "target_group": target_groups,
    "ecs_cluster": ecs_clusters,
}

# The identifier a type answers with: what roles pass on to the modules that build on it.
IDENTIFIERS = {
    "vpc": "VpcId", "security_group": "GroupId", "iam_role": "Arn", "kms_alias": "Arn", "secret": "ARN",
    "db_instance": "DBInstanceArn", "ecr_repository": "repositoryUri", "log_group": "arn", "sns_topic": "TopicArn",
    "load_balancer": "LoadBalancerArn", "target_group": "TargetGroupArn", "ecs_cluster": "clusterArn",
}


def read(client_for: Callable[[str], Any], wanted: Iterable[tuple], vpc_id: Optional[str] = None) -> Dict[str, Any]:
    """Read ``wanted`` (``(type, name)`` pairs) with one batch per type. The VPC is read first so that security
    groups and target groups are looked for in it (unless ``vpc_id`` says which VPC).

    Returns ``{type: {name: resource}}`` of what exists.
    """
    by_type = {}
    for kind, name in wanted:
        by_type.setdefault(kind, [])
        if name not in by_type[kind]:
            by_type[kind].append(name)
    found = {}
    for kind in sorted(by_type, key=lambda k: k != "vpc"):
        if kind != "vpc" and not vpc_id and found.get("vpc"):
            vpc_id = next(iter(found["vpc"].values()))["VpcId"]
        found[kind] = READERS[kind](client_for(SERVICES[kind]), by_type[kind], vpc_id=vpc_id)
    return found


def identifier(kind: str, resource: Dict[str, Any]) -> str:
    return resource.get(IDENTIFIERS[kind], "")
