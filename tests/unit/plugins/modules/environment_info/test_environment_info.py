# -*- coding: utf-8 -*-
"""lifeworld.production.environment_info against moto's in-process mock (fixtures in tests/unit/conftest.py).

The environment is half built here by hand (network, security, part of data/observability/registry/compute), so
the answer has both ids to match against what was created and missing parts whose --tags come from the plan's
steps (network, security, data, registry, observability, edge, compute).
"""

import collections
import json

import botocore.client
import pytest

from ansible_collections.lifeworld.production.plugins.modules import environment_info

PROJECT, ENVIRONMENT = "lwo", "test"
PREFIX = "lwo-test"
ASSUME = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _tag(name):
    return [{"ResourceType": "x", "Tags": [{"Key": "Name", "Value": name}, {"Key": "ManagedBy", "Value": "ansible"}]}]


@pytest.fixture
def built(aws):
    """What a run of --tags network,security and part of the later steps leaves, with the ids it got."""
    ec2, ids = aws.client("ec2"), {}
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=_tag(PREFIX + "-vpc")[0]["Tags"])
    ids["vpc"] = vpc
    # A hand-made VPC of the same name, not managed by Ansible: not the environment's.
    stray = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[stray], Tags=[{"Key": "Name", "Value": PREFIX + "-vpc"}])
    for index, (tier, zone) in enumerate((("public", "us-east-1a"), ("private", "us-east-1b"))):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.%d.0/24" % index, AvailabilityZone=zone)["Subnet"]
        ec2.create_tags(Resources=[subnet["SubnetId"]], Tags=[{"Key": "Tier", "Value": tier}])
        ids["subnet_" + tier] = subnet["SubnetId"]
    for part in ("alb", "ecs"):  # sg_rds is left out: missing
        group = ec2.create_security_group(GroupName=PREFIX + "-" + part, Description=part, VpcId=vpc)["GroupId"]
        ec2.create_tags(Resources=[group], Tags=[{"Key": "Name", "Value": PREFIX + "-" + part}])
        ids["sg_" + part] = group
    iam = aws.client("iam")
    for key, suffix in (("role_ecs_task_execution", "ecs-task-execution"), ("role_ecs_task", "ecs-task")):
        ids[key] = iam.create_role(RoleName=PREFIX + "-" + suffix, AssumeRolePolicyDocument=ASSUME)["Role"]["Arn"]
    iam.create_role(RoleName="someone-elses-role", AssumeRolePolicyDocument=ASSUME)
    kms = aws.client("kms")
    for part in ("rds", "secrets", "logs"):
        key = kms.create_key(Description=part)["KeyMetadata"]
        kms.create_alias(AliasName="alias/%s-%s" % (PREFIX, part), TargetKeyId=key["KeyId"])
        ids["kms_" + part] = key["Arn"]
        last_id = key["KeyId"]
    kms.schedule_key_deletion(KeyId=last_id, PendingWindowInDays=7)  # no usable key: missing
    del ids["kms_logs"]
    sm = aws.client("secretsmanager")
    ids["secret_db_master"] = sm.create_secret(Name="lwo/test/db-master", SecretString="{}")["ARN"]
    sm.create_secret(Name="lwo/test/db-master-old", SecretString="{}")  # shares the prefix, is not the secret
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="/ecs/%s/backend" % PREFIX)
    ids["alerts_topic"] = aws.client("sns").create_topic(Name=PREFIX + "-alerts")["TopicArn"]
    ids["ecr_backend"] = aws.client("ecr").create_repository(repositoryName="lwo/backend")["repository"][
        "repositoryUri"]
    ids["ecs_cluster"] = aws.client("ecs").create_cluster(clusterName=PREFIX)["cluster"]["clusterArn"]
    return ids


ARGS = {"name_prefix": PREFIX, "project": PROJECT, "environment": ENVIRONMENT}
FOUND = ("vpc", "sg_alb", "sg_ecs", "role_ecs_task_execution", "role_ecs_task", "kms_rds", "kms_secrets",
         "secret_db_master", "alerts_topic", "ecr_backend", "ecs_cluster")


def test_returns_the_ids_of_what_exists_and_the_tags_that_build_the_rest(built, run_module):
    result = run_module(environment_info, ARGS)
    assert result["changed"] is False
    assert {key: result["ids"][key] for key in FOUND} == {key: built[key] for key in FOUND}
    assert result["ids"]["log_group_backend"].startswith("arn:aws:logs:")
    assert result["vpc"] == {"id": built["vpc"], "cidr": "10.20.0.0/16"}
    missing = {m["key"]: m["tags"] for m in result["missing"]}
    assert missing == {
        "kms_logs": "security", "role_rds_monitoring": "security", "sg_rds": "security",
        "secret_jwt": "data", "secret_api_keys": "data", "db_instance": "data",
        "ecr_frontend": "registry", "log_group_frontend": "observability",
        "alb": "edge", "tg_backend": "edge", "tg_frontend": "edge"}
    assert {m["key"]: m["name"] for m in result["missing"]}["sg_rds"] == PREFIX + "-rds"
    assert result["missing_tags"] == ["security", "data", "registry", "observability", "edge"]


def test_an_empty_account_misses_everything_and_says_build_from_the_network(aws, run_module):
    result = run_module(environment_info, dict(ARGS, resources=["vpc", "sg_rds"], subnets=True))
    assert result["ids"] == {} and result["vpc"] is None and result["subnets"] == []
    assert result["missing_tags"] == ["network", "security"]


def test_subnets_and_extra_names_for_a_role_with_names_of_its_own(built, run_module):
    result = run_module(environment_info, {
        "name_prefix": PREFIX, "resources": ["vpc"], "subnets": True, "security_groups": [PREFIX + "-ecs", "x-sg"],
        "iam_roles": [PREFIX + "-ecs-task"], "kms_aliases": [PREFIX + "-rds"]}, check_mode=True)
    assert {s["subnet_id"]: s["tags"]["Tier"] for s in result["subnets"]} == {
        built["subnet_public"]: "public", built["subnet_private"]: "private"}
    assert result["found"]["security_group"] == {PREFIX + "-ecs": built["sg_ecs"]}
    assert result["found"]["iam_role"] == {PREFIX + "-ecs-task": built["role_ecs_task"]}
    assert result["found"]["kms_alias"] == {PREFIX + "-rds": built["kms_rds"]}
    assert result["missing"] == [{"key": None, "type": "security_group", "name": "x-sg", "tags": "security"}]


def test_a_key_it_cannot_name_fails_clearly(aws, run_module):
    result = run_module(environment_info, {"name_prefix": PREFIX, "resources": ["secret_jwt"]})
    assert result["failed"] and "project and environment" in result["msg"]
    result = run_module(environment_info, {"name_prefix": PREFIX, "resources": ["nope"]})
    assert result["failed"] and "cannot read nope" in result["msg"]


@pytest.fixture
def calls(monkeypatch):
    counted = collections.Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(client, operation, params):
        counted[(client.meta.service_model.service_name, operation)] += 1
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    return counted


def test_one_call_per_resource_type_whatever_the_number_of_resources(built, run_module, calls):
    result = run_module(environment_info, ARGS)
    assert len(result["ids"]) == len(FOUND) + 1  # and the backend log group
    # 23 resources of 12 types: one call per type (moto answers each in one page), plus DescribeKey per alias
    # found (3: whether each key is usable; one is pending deletion).
    assert calls == {
        ("ec2", "DescribeVpcs"): 1, ("ec2", "DescribeSecurityGroups"): 1, ("iam", "ListRoles"): 1,
        ("kms", "ListAliases"): 1, ("kms", "DescribeKey"): 3, ("secretsmanager", "ListSecrets"): 1,
        ("rds", "DescribeDBInstances"): 1, ("ecr", "DescribeRepositories"): 1, ("logs", "DescribeLogGroups"): 1,
        ("sns", "ListTopics"): 1, ("elbv2", "DescribeLoadBalancers"): 1,
        ("elbv2", "DescribeTargetGroups"): 1, ("ecs", "DescribeClusters"): 1}


def test_report_reads_what_preflight_judges(built, run_module):
    result = run_module(environment_info, dict(ARGS, resources=[], report=True, image_tag="prod"))
    env = result["environment"]
    assert env["vpc"]["id"] == built["vpc"]
    assert sorted(s["tier"] for s in env["subnets"]) == ["private", "public"]
    assert set(env["security_groups"]) == {"alb", "ecs"}
    assert env["security_groups"]["alb"]["id"] == built["sg_alb"]
    assert {part: role["arn"] for part, role in env["iam_roles"].items()} == {
        "ecs-task-execution": built["role_ecs_task_execution"], "ecs-task": built["role_ecs_task"]}
    assert env["secrets"] == {"jwt-secret": False, "db-master": True, "api-keys": False}
    assert env["images"] == {"backend": None, "frontend": None}
    assert env["alert_topic"] == {"arn": built["alerts_topic"], "subscriptions": 0}
    assert env["load_balancer"] is None and env["databases"] == [] and env["services"] == []
