# -*- coding: utf-8 -*-
"""The KMS key plan follows docs/CONTRACTS.md's aliases, shared or per service."""

from ansible_collections.lifeworld.production.plugins.filter.kms import (
    kms_key_arns_by_service,
    kms_key_plan,
    kms_use_problems,
    log_group_pattern_problems,
)

PREFIX = "life-world-os-production"


def test_one_key_per_service_by_default():
    plan = kms_key_plan(PREFIX)
    assert [k["alias"] for k in plan] == [PREFIX + "-rds", PREFIX + "-secrets", PREFIX + "-logs"]
    assert [k["services"] for k in plan] == [["rds"], ["secretsmanager"], ["logs"]]
    assert all(k["extra_aliases"] == [] for k in plan)


def test_single_key_carries_all_three_aliases():
    plan = kms_key_plan(PREFIX, True)
    assert len(plan) == 1
    assert [plan[0]["alias"]] + plan[0]["extra_aliases"] == [PREFIX + "-rds", PREFIX + "-secrets", PREFIX + "-logs"]
    assert plan[0]["services"] == ["rds", "secretsmanager", "logs"]


def test_key_arns_by_service_skip_keys_check_mode_did_not_create():
    plan = kms_key_plan(PREFIX)
    results = [{"item": plan[0], "key_arn": "arn:aws:kms:us-east-1:1:key/a"}, {"item": plan[1], "changed": True},
               {"item": plan[2], "key_arn": "arn:aws:kms:us-east-1:1:key/c"}]
    assert kms_key_arns_by_service(results) == {"rds": "arn:aws:kms:us-east-1:1:key/a",
                                                "logs": "arn:aws:kms:us-east-1:1:key/c"}
    shared = [{"item": kms_key_plan(PREFIX, True)[0], "key_arn": "arn:k"}]
    assert kms_key_arns_by_service(shared) == {"rds": "arn:k", "secretsmanager": "arn:k", "logs": "arn:k"}


def test_log_group_patterns():
    assert log_group_pattern_problems(["/ecs/%s/*" % PREFIX, PREFIX + "-*"]) == []
    problems = log_group_pattern_problems(["/ecs/x/*", "bad name", "*"])
    assert [p.split(":")[0] for p in problems] == ["kms_logs_log_group_patterns[1]", "kms_logs_log_group_patterns[2]"]
    assert log_group_pattern_problems([]) == ["kms_logs_log_group_patterns: at least one log-group pattern is required"]


def test_each_key_is_used_through_its_own_service_only_by_default():
    plan = {k["alias"]: k for k in kms_key_plan(PREFIX)}
    assert plan[PREFIX + "-rds"]["via_statements"] == [{"sid": "UseThroughRds", "service": "rds"}]
    assert plan[PREFIX + "-secrets"]["via_statements"] == [{"sid": "UseThroughSecretsmanager", "service": "secretsmanager"}]
    # CloudWatch Logs uses its key as a service principal (its own statement in the template), not via a service.
    assert plan[PREFIX + "-logs"]["via_statements"] == [] and plan[PREFIX + "-logs"]["principal_statements"] == []


def test_further_uses_land_on_the_named_key_and_merge_on_a_shared_one():
    via, principals = {"secrets": ["ecr"], "logs": ["sns"]}, {"logs": ["cloudwatch.amazonaws.com"]}
    plan = {k["alias"]: k for k in kms_key_plan(PREFIX, False, via, principals)}
    assert plan[PREFIX + "-secrets"]["via_services"] == ["secretsmanager", "ecr"]
    assert plan[PREFIX + "-logs"]["via_services"] == ["sns"]
    assert plan[PREFIX + "-logs"]["principal_statements"] == [
        {"sid": "ServicePrincipalCloudwatch", "principal": "cloudwatch.amazonaws.com"}]
    assert plan[PREFIX + "-rds"]["via_services"] == ["rds"] and plan[PREFIX + "-rds"]["principal_statements"] == []
    (shared,) = kms_key_plan(PREFIX, True, dict(via, rds=["ecr"]), principals)
    assert shared["via_services"] == ["rds", "ecr", "secretsmanager", "sns"]  # ecr once
    assert shared["service_principals"] == ["cloudwatch.amazonaws.com"]


def test_further_uses_are_checked():
    assert kms_use_problems({"secrets": ["ecr"]}, "kms_via_services", "via") == []
    assert kms_use_problems({"logs": ["cloudwatch.amazonaws.com"]}, "kms_service_principals", "principal") == []
    problems = kms_use_problems({"secret": ["ecr"], "logs": "sns", "rds": ["ECR"]}, "kms_via_services", "via")
    assert [p.split(":")[0] for p in problems] == [
        "kms_via_services", "kms_via_services.logs", "kms_via_services.rds[0]"], problems
    assert kms_use_problems({"logs": ["cloudwatch"]}, "kms_service_principals", "principal")[0].startswith(
        "kms_service_principals.logs[0]")
    assert kms_use_problems(["ecr"], "kms_via_services", "via")[0].startswith("kms_via_services: must be a dict")
