# -*- coding: utf-8 -*-
"""lifeworld.production.wafv2_logging_configuration against moto's in-process mock (moto implements
Put/Get/DeleteLoggingConfiguration; it checks neither the destination's name nor that it exists, which the module
does itself for the name)."""

import botocore.client
import pytest

from ansible_collections.lifeworld.production.plugins.modules import wafv2_logging_configuration

GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-p-test"


@pytest.fixture
def acl(aws):
    wafv2 = aws.client("wafv2")
    arn = wafv2.create_web_acl(
        Name="p-test-web-acl", Scope="REGIONAL", DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"},
    )["Summary"]["ARN"]
    return {"wafv2": wafv2, "arn": arn}


def stored(acl):
    try:
        return acl["wafv2"].get_logging_configuration(ResourceArn=acl["arn"])["LoggingConfiguration"]
    except acl["wafv2"].exceptions.WAFNonexistentItemException:
        return None


def run(run_module, args, **kwargs):
    result = run_module(wafv2_logging_configuration, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def _args(acl, **extra):
    return dict({"web_acl_arn": acl["arn"], "log_destination_configs": [GROUP],
                 "redacted_headers": ["Authorization", "cookie"]}, **extra)


def test_sets_destination_and_redacted_headers_then_reports_no_change(acl, run_module):
    first = run(run_module, _args(acl))
    second = run(run_module, _args(acl))
    assert first["changed"] is True and second["changed"] is False
    configuration = stored(acl)
    assert configuration["LogDestinationConfigs"] == [GROUP]
    assert sorted(f["SingleHeader"]["Name"] for f in configuration["RedactedFields"]) == ["authorization", "cookie"]
    assert second["logging_configuration"]["log_destination_configs"] == [GROUP]


def test_check_mode_reports_with_a_diff_and_writes_nothing(acl, run_module):
    result = run(run_module, _args(acl), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {"log_destination_configs": [GROUP], "redacted_headers": ["authorization", "cookie"]}
    assert stored(acl) is None


def test_a_header_no_longer_redacted_is_put_back_and_a_filter_is_kept(acl, run_module):
    log_filter = {"DefaultBehavior": "KEEP", "Filters": [{"Behavior": "DROP", "Requirement": "MEETS_ANY", "Conditions": [
        {"ActionCondition": {"Action": "ALLOW"}}]}]}
    acl["wafv2"].put_logging_configuration(LoggingConfiguration={
        "ResourceArn": acl["arn"], "LogDestinationConfigs": [GROUP],
        "RedactedFields": [{"SingleHeader": {"Name": "cookie"}}], "LoggingFilter": log_filter})
    check = run(run_module, _args(acl), check_mode=True, diff=True)
    assert check["changed"] is True
    assert check["diff"] == {"before": {"redacted_headers": ["cookie"]},
                             "after": {"redacted_headers": ["authorization", "cookie"]}}
    run(run_module, _args(acl))
    configuration = stored(acl)
    assert {f["SingleHeader"]["Name"] for f in configuration["RedactedFields"]} == {"authorization", "cookie"}
    assert configuration["LoggingFilter"] == log_filter


def test_a_destination_without_the_aws_waf_logs_prefix_fails_before_any_call(acl, run_module, monkeypatch):
    calls = []
    original = botocore.client.BaseClient._make_api_call
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call",
                        lambda self, op, params: calls.append(op) or original(self, op, params))
    bad = "arn:aws:logs:us-east-1:123456789012:log-group:p-test-waf"
    result = run_module(wafv2_logging_configuration, _args(acl, log_destination_configs=[bad]))
    assert result["failed"] and "aws-waf-logs-" in result["msg"] and bad in result["msg"]
    assert calls == []
    assert stored(acl) is None


def test_absent_removes_the_configuration(acl, run_module):
    run(run_module, _args(acl))
    check = run(run_module, {"web_acl_arn": acl["arn"], "state": "absent"}, check_mode=True)
    assert check["changed"] is True and stored(acl) is not None
    removed = run(run_module, {"web_acl_arn": acl["arn"], "state": "absent"})
    again = run(run_module, {"web_acl_arn": acl["arn"], "state": "absent"})
    assert removed["changed"] is True and again["changed"] is False
    assert stored(acl) is None
