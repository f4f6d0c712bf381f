# -*- coding: utf-8 -*-
"""The KMS key plan follows docs/CONTRACTS.md's aliases, shared or per service."""

from ansible_collections.lifeworld.production.plugins.filter.kms import (
    kms_key_arns_by_service,
    kms_key_plan,
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
