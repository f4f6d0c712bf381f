# -*- coding: utf-8 -*-
"""lifeworld.production.rds_parameter_group against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import rds_parameter_group

NAME = "lwo-test-pg16"
PARAMS = {"rds.force_ssl": 1, "log_min_duration_statement": 500, "log_connections": True}


@pytest.fixture
def rds(aws):
    return aws.client("rds")


@pytest.fixture
def args():
    return {"name": NAME, "family": "postgres16", "description": "test group", "parameters": dict(PARAMS),
            "tags": {"Component": "data"}}


def stored(rds, name=NAME):
    pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=name)
    return {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}


def run(run_module, args, **kwargs):
    result = run_module(rds_parameter_group, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_create_sets_every_parameter_and_reads_them_back(rds, args, run_module):
    result = run(run_module, args)

    assert result["changed"] is True
    assert stored(rds) == {"rds.force_ssl": "1", "log_min_duration_statement": "500", "log_connections": "1"}
    assert result["parameter_group"]["parameters"] == stored(rds)
    assert result["parameter_group"]["family"] == "postgres16"
    assert result["parameter_group"]["tags"] == {"Component": "data"}


def test_second_run_is_unchanged(rds, args, run_module):
    run(run_module, args)
    assert run(run_module, args)["changed"] is False


def test_check_mode_creates_nothing_and_predicts_the_parameters(rds, args, run_module):
    result = run(run_module, args, check_mode=True, diff=True)

    assert result["changed"] is True
    assert rds.describe_db_parameter_groups()["DBParameterGroups"] == []
    assert result["diff"]["after"]["parameters"]["rds.force_ssl"] == "1"


def test_changed_value_is_applied_and_only_that_one_shows_in_the_diff(rds, args, run_module):
    run(run_module, args)
    args["parameters"]["log_min_duration_statement"] = 2000

    check = run(run_module, args, check_mode=True, diff=True)
    assert check["changed"] is True and stored(rds)["log_min_duration_statement"] == "500"
    assert check["diff"]["before"] == {"parameters": {"rds.force_ssl": "1", "log_min_duration_statement": "500",
                                                      "log_connections": "1"}}
    result = run(run_module, args, diff=True)

    assert result["changed"] is True
    assert stored(rds)["log_min_duration_statement"] == "2000"


def test_parameters_not_listed_are_left_alone_unless_purged(rds, args, run_module):
    run(run_module, args)
    args["parameters"] = {"rds.force_ssl": 1}

    assert run(run_module, args)["changed"] is False
    assert "log_connections" in stored(rds)
    # moto does not implement ResetDBParameterGroup: prove the plan in check mode, which makes no call.
    result = run(run_module, dict(args, purge_parameters=True), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["after"]["reset_parameters"] == ["log_connections", "log_min_duration_statement"]


def test_a_different_family_fails_with_a_message(rds, args, run_module):
    run(run_module, args)
    result = run_module(rds_parameter_group, dict(args, family="postgres15"))

    assert result["failed"] is True
    assert "family" in result["msg"] and "postgres16" in result["msg"]


def test_absent_deletes_and_is_then_unchanged(rds, args, run_module):
    run(run_module, args)
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is True
    assert rds.describe_db_parameter_groups()["DBParameterGroups"] == []
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is False


def test_tags_are_replaced_in_place(rds, args, run_module):
    run(run_module, args)
    result = run(run_module, dict(args, tags={"Component": "database", "Owner": "platform"}))

    assert result["changed"] is True
    arn = rds.describe_db_parameter_groups(DBParameterGroupName=NAME)["DBParameterGroups"][0]["DBParameterGroupArn"]
    tags = {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]}
    assert tags == {"Component": "database", "Owner": "platform"}
