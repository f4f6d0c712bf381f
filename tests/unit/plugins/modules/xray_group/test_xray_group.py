# -*- coding: utf-8 -*-
"""lifeworld.production.xray_group with botocore's Stubber: moto does not route the X-Ray group API."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import xray_group
from ansible_collections.lifeworld.production.tests.unit.stubbed_aws import stubbed_client

NAME = "lw-test-faults"
ARN = "arn:aws:xray:us-east-1:123456789012:group/%s/ABCDEF" % NAME
EXPR = 'service("backend") AND fault = true'
TAGS = [{"Key": "Component", "Value": "observability"}]
ARGS = {"name": NAME, "filter_expression": EXPR, "insights_enabled": True, "tags": {"Component": "observability"}}


def group(expression=EXPR, insights=True):
    return {"GroupName": NAME, "GroupARN": ARN, "FilterExpression": expression,
            "InsightsConfiguration": {"InsightsEnabled": insights, "NotificationsEnabled": False}}


@pytest.fixture
def stub(monkeypatch, aws):
    client, stubber = stubbed_client(monkeypatch, "xray")
    yield stubber
    stubber.assert_no_pending_responses()


def run(run_module, args, **kwargs):
    result = run_module(xray_group, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_creates_a_group(stub, run_module):
    stub.add_response("get_groups", {"Groups": [dict(group(), GroupName="Default", GroupARN=ARN + "x")]}, {})
    stub.add_response("create_group", {"Group": group()},
                      {"GroupName": NAME, "FilterExpression": EXPR,
                       "InsightsConfiguration": {"InsightsEnabled": True, "NotificationsEnabled": False},
                       "Tags": TAGS})
    result = run(run_module, ARGS)
    assert result["changed"] is True and result["group"]["group_arn"] == ARN


def test_unchanged_group_reports_no_change(stub, run_module):
    stub.add_response("get_groups", {"Groups": [group()]}, {})
    stub.add_response("list_tags_for_resource", {"Tags": TAGS}, {"ResourceARN": ARN})
    assert run(run_module, ARGS)["changed"] is False


def test_changed_expression_updates(stub, run_module):
    stub.add_response("get_groups", {"Groups": [group(expression="fault = true")]}, {})
    stub.add_response("list_tags_for_resource", {"Tags": TAGS}, {"ResourceARN": ARN})
    stub.add_response("update_group", {"Group": group()},
                      {"GroupName": NAME, "FilterExpression": EXPR,
                       "InsightsConfiguration": {"InsightsEnabled": True, "NotificationsEnabled": False}})
    result = run(run_module, ARGS, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["filter_expression"] == "fault = true"
    assert result["diff"]["after"]["filter_expression"] == EXPR


def test_check_mode_makes_no_mutating_call(stub, run_module):
    stub.add_response("get_groups", {"Groups": []}, {})
    assert run(run_module, ARGS, check_mode=True)["changed"] is True


def test_absent_deletes_and_missing_is_no_change(stub, run_module):
    stub.add_response("get_groups", {"Groups": [group()]}, {})
    stub.add_response("list_tags_for_resource", {"Tags": []}, {"ResourceARN": ARN})
    stub.add_response("delete_group", {}, {"GroupName": NAME})
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is True
    stub.add_response("get_groups", {"Groups": []}, {})
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is False
