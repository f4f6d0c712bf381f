# -*- coding: utf-8 -*-
"""lifeworld.production.cloudwatch_dashboard against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import json

import pytest

from ansible_collections.lifeworld.production.plugins.modules import cloudwatch_dashboard

NAME = "lw-test-service-health"
BODY = {"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
                     "properties": {"title": "CPU", "region": "us-east-1",
                                    "metrics": [["AWS/ECS", "CPUUtilization", "ClusterName", "lw-test"]]}}]}


@pytest.fixture
def cloudwatch(aws):
    return aws.client("cloudwatch")


def run(run_module, args, **kwargs):
    result = run_module(cloudwatch_dashboard, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def stored_body(cloudwatch):
    return json.loads(cloudwatch.get_dashboard(DashboardName=NAME)["DashboardBody"])


def test_creates_the_dashboard(cloudwatch, run_module):
    result = run(run_module, {"name": NAME, "body": BODY})
    assert result["changed"] is True
    assert stored_body(cloudwatch) == BODY
    assert result["dashboard"]["body"] == BODY and result["dashboard"]["arn"].endswith(NAME)


def test_same_body_as_json_string_with_other_key_order_is_no_change(cloudwatch, run_module):
    run(run_module, {"name": NAME, "body": BODY})
    reordered = json.dumps({"widgets": [dict(reversed(list(BODY["widgets"][0].items())))]}, indent=2)
    result = run(run_module, {"name": NAME, "body": reordered})
    assert result["changed"] is False


def test_changed_body_is_written_and_diffed(cloudwatch, run_module):
    run(run_module, {"name": NAME, "body": BODY})
    new = {"widgets": BODY["widgets"] + [{"type": "text", "x": 0, "y": 6, "width": 24, "height": 2,
                                          "properties": {"markdown": "# Runbook"}}]}
    result = run(run_module, {"name": NAME, "body": new}, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == BODY and result["diff"]["after"] == new
    assert stored_body(cloudwatch) == new


def test_check_mode_touches_nothing(cloudwatch, run_module):
    result = run(run_module, {"name": NAME, "body": BODY}, check_mode=True)
    assert result["changed"] is True
    assert cloudwatch.list_dashboards()["DashboardEntries"] == []
    run(run_module, {"name": NAME, "body": BODY})
    result = run(run_module, {"name": NAME, "body": {"widgets": []}}, check_mode=True)
    assert result["changed"] is True and stored_body(cloudwatch) == BODY
    result = run(run_module, {"name": NAME, "state": "absent"}, check_mode=True)
    assert result["changed"] is True and stored_body(cloudwatch) == BODY


def test_absent_deletes_and_is_idempotent(cloudwatch, run_module):
    run(run_module, {"name": NAME, "body": BODY})
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is True
    assert cloudwatch.list_dashboards()["DashboardEntries"] == []
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is False


def test_invalid_json_body_fails(cloudwatch, run_module):
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": "{not json"})
    assert result.get("failed") and "not valid JSON" in result["msg"]
