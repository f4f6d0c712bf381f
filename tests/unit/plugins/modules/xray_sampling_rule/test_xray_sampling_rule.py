# -*- coding: utf-8 -*-
"""lifeworld.production.xray_sampling_rule with botocore's Stubber: moto does not route the X-Ray rule API."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import xray_sampling_rule
from ansible_collections.lifeworld.production.tests.unit.stubbed_aws import stubbed_client

NAME = "lw-test-backend"
ARN = "arn:aws:xray:us-east-1:123456789012:sampling-rule/" + NAME


def rule(**overrides):
    result = {"RuleName": NAME, "RuleARN": ARN, "ResourceARN": "*", "Priority": 100, "FixedRate": 0.05,
              "ReservoirSize": 1, "ServiceName": "backend", "ServiceType": "*", "Host": "*", "HTTPMethod": "*",
              "URLPath": "*", "Version": 1, "Attributes": {}}
    result.update(overrides)
    return result


def record(**overrides):
    return {"SamplingRule": rule(**overrides)}


OTHER = {"SamplingRule": dict(rule(), RuleName="Default", RuleARN="arn:aws:xray:us-east-1:123456789012:sampling-rule/Default",
                              Priority=10000, ServiceName="*")}
ARGS = {"name": NAME, "priority": 100, "fixed_rate": 0.05, "reservoir_size": 1, "service_name": "backend",
        "tags": {"Component": "observability"}}
TAGS = [{"Key": "Component", "Value": "observability"}]


@pytest.fixture
def stub(monkeypatch, aws):
    client, stubber = stubbed_client(monkeypatch, "xray")
    yield stubber
    stubber.assert_no_pending_responses()


def run(run_module, args, **kwargs):
    result = run_module(xray_sampling_rule, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_creates_a_rule_with_defaults_for_unset_matchers(stub, run_module):
    stub.add_response("get_sampling_rules", {"SamplingRuleRecords": [OTHER]}, {})
    created = {k: v for k, v in rule().items() if k != "RuleARN"}
    stub.add_response("create_sampling_rule", {"SamplingRuleRecord": record()},
                      {"SamplingRule": created, "Tags": TAGS})
    result = run(run_module, ARGS)
    assert result["changed"] is True
    assert result["sampling_rule"]["rule_arn"] == ARN and result["sampling_rule"]["tags"] == ARGS["tags"]


def test_unchanged_rule_reports_no_change(stub, run_module):
    stub.add_response("get_sampling_rules", {"SamplingRuleRecords": [OTHER, record()]}, {})
    stub.add_response("list_tags_for_resource", {"Tags": TAGS}, {"ResourceARN": ARN})
    assert run(run_module, ARGS)["changed"] is False


def test_changed_rate_updates_and_diffs(stub, run_module):
    stub.add_response("get_sampling_rules", {"SamplingRuleRecords": [record(FixedRate=0.1)]}, {})
    stub.add_response("list_tags_for_resource", {"Tags": TAGS}, {"ResourceARN": ARN})
    update = {k: v for k, v in rule().items() if k not in ("RuleARN", "Version")}
    stub.add_response("update_sampling_rule", {"SamplingRuleRecord": record()}, {"SamplingRuleUpdate": update})
    result = run(run_module, ARGS, diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"fixed_rate": 0.1}, "after": {"fixed_rate": 0.05}}


def test_tag_drift_only_retags(stub, run_module):
    stub.add_response("get_sampling_rules", {"SamplingRuleRecords": [record()]}, {})
    stub.add_response("list_tags_for_resource", {"Tags": [{"Key": "Stray", "Value": "x"}]}, {"ResourceARN": ARN})
    stub.add_response("untag_resource", {}, {"ResourceARN": ARN, "TagKeys": ["Stray"]})
    stub.add_response("tag_resource", {}, {"ResourceARN": ARN, "Tags": TAGS})
    assert run(run_module, ARGS)["changed"] is True


def test_check_mode_makes_no_mutating_call(stub, run_module):
    stub.add_response("get_sampling_rules", {"SamplingRuleRecords": []}, {})
    result = run(run_module, ARGS, check_mode=True)
    assert result["changed"] is True and "rule_arn" not in result["sampling_rule"]


def test_create_needs_rates_and_priority(stub, run_module):
    stub.add_response("get_sampling_rules", {"SamplingRuleRecords": []}, {})
    result = run_module(xray_sampling_rule, {"name": NAME, "service_name": "backend"})
    assert result.get("failed") and "priority, fixed_rate, reservoir_size required" in result["msg"]


def test_fixed_rate_out_of_range_fails_before_any_call(stub, run_module):
    result = run_module(xray_sampling_rule, dict(ARGS, fixed_rate=5))
    assert result.get("failed") and "fixed_rate" in result["msg"]


def test_absent_deletes(stub, run_module):
    stub.add_response("get_sampling_rules", {"SamplingRuleRecords": [record()]}, {})
    stub.add_response("list_tags_for_resource", {"Tags": []}, {"ResourceARN": ARN})
    stub.add_response("delete_sampling_rule", {"SamplingRuleRecord": record()}, {"RuleName": NAME})
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is True
