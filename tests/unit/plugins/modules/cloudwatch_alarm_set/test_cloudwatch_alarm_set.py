# -*- coding: utf-8 -*-
"""lifeworld.production.cloudwatch_alarm_set against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import copy

import pytest

from ansible_collections.lifeworld.production.plugins.modules import cloudwatch_alarm_set

PREFIX = "lw-test-"
TOPIC = "arn:aws:sns:us-east-1:123456789012:lw-test-alerts"
LB = {"LoadBalancer": "app/lw-test-alb/0123456789abcdef"}


def _alb_sum(query_id, metric):
    return {"id": query_id, "return_data": False,
            "metric_stat": {"metric": {"namespace": "AWS/ApplicationELB", "metric_name": metric, "dimensions": LB},
                            "period": 300, "stat": "Sum"}}


CPU = {
    "name": PREFIX + "backend-cpu-high", "description": "CPU above 80 %",
    "namespace": "AWS/ECS", "metric_name": "CPUUtilization",
    "dimensions": {"ServiceName": "backend", "ClusterName": "lw-test"},
    "statistic": "Average", "period": 300, "evaluation_periods": 2, "threshold": 80,
    "comparison_operator": "GreaterThanThreshold", "alarm_actions": [TOPIC], "ok_actions": [TOPIC],
}
LATENCY = {
    "name": PREFIX + "alb-latency-p95", "namespace": "AWS/ApplicationELB", "metric_name": "TargetResponseTime",
    "dimensions": LB, "extended_statistic": "p95", "period": 300, "evaluation_periods": 3, "datapoints_to_alarm": 2,
    "threshold": 1, "comparison_operator": "GreaterThanThreshold", "alarm_actions": [TOPIC],
}
RATE = {
    "name": PREFIX + "alb-5xx-rate", "description": "5xx above 1 % of requests",
    "metrics": [
        {"id": "rate", "expression": "100 * (t5xx + e5xx) / requests", "label": "5xx rate (%)"},
        _alb_sum("t5xx", "HTTPCode_Target_5XX_Count"),
        _alb_sum("e5xx", "HTTPCode_ELB_5XX_Count"),
        _alb_sum("requests", "RequestCount"),
    ],
    "evaluation_periods": 1, "threshold": 1, "comparison_operator": "GreaterThanThreshold",
    "treat_missing_data": "notBreaching", "alarm_actions": [TOPIC], "ok_actions": [TOPIC],
}


@pytest.fixture
def cloudwatch(aws):
    return aws.client("cloudwatch")


def args(*alarms, **extra):
    result = {"name_prefix": PREFIX, "alarms": [copy.deepcopy(a) for a in alarms],
              "set_tags": {"AlarmSet": "lw-test"}, "tags": {"Project": "lw"}}
    result.update(extra)
    return result


def run(run_module, module_args, **kwargs):
    result = run_module(cloudwatch_alarm_set, module_args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def alarms_of(cloudwatch, prefix=PREFIX):
    kwargs = {"AlarmNamePrefix": prefix} if prefix else {}
    return {a["AlarmName"]: a for a in cloudwatch.describe_alarms(**kwargs)["MetricAlarms"]}


def tags_of(cloudwatch, alarm):
    return {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]}


def test_creates_every_declared_alarm_with_tags(cloudwatch, run_module):
    result = run(run_module, args(CPU, LATENCY, RATE))

    assert result["changed"] is True
    assert result["added"] == sorted([CPU["name"], LATENCY["name"], RATE["name"]])
    stored = alarms_of(cloudwatch)
    assert set(stored) == set(result["added"])
    assert stored[CPU["name"]]["Threshold"] == 80.0
    assert stored[LATENCY["name"]]["ExtendedStatistic"] == "p95"
    assert [q["Id"] for q in stored[RATE["name"]]["Metrics"]] == ["rate", "t5xx", "e5xx", "requests"]
    assert tags_of(cloudwatch, stored[RATE["name"]]) == {"Project": "lw", "AlarmSet": "lw-test"}


def test_second_run_with_metric_math_reports_no_change(cloudwatch, run_module):
    run(run_module, args(CPU, LATENCY, RATE))
    # Declaration order, dimension order and action order do not matter.
    shuffled = copy.deepcopy(RATE)
    shuffled["metrics"].reverse()
    shuffled["alarm_actions"] = [TOPIC]
    cpu = copy.deepcopy(CPU)
    cpu["dimensions"] = {"ClusterName": "lw-test", "ServiceName": "backend"}

    second = run(run_module, args(shuffled, LATENCY, cpu), diff=True)

    assert second["changed"] is False, second["diff"]
    assert (second["added"], second["updated"], second["removed"]) == ([], [], [])


def test_changing_one_threshold_updates_exactly_that_alarm(cloudwatch, run_module):
    run(run_module, args(CPU, LATENCY, RATE))
    rate = copy.deepcopy(RATE)
    rate["threshold"] = 2.5

    result = run(run_module, args(CPU, LATENCY, rate), diff=True)

    assert result["changed"] is True
    assert result["updated"] == [RATE["name"]] and result["added"] == [] and result["removed"] == []
    assert set(result["diff"]["before"]) == set(result["diff"]["after"]) == {RATE["name"]}
    assert result["diff"]["before"][RATE["name"]]["threshold"] == 1.0
    assert result["diff"]["after"][RATE["name"]]["threshold"] == 2.5
    assert result["diff"]["after_header"] == "updated: " + RATE["name"]
    assert alarms_of(cloudwatch)[RATE["name"]]["Threshold"] == 2.5


def test_undeclared_alarm_of_the_set_is_removed_others_are_kept(cloudwatch, run_module):
    run(run_module, args(CPU, LATENCY, RATE))
    # Same prefix but without the set tag: someone else's alarm.
    cloudwatch.put_metric_alarm(AlarmName=PREFIX + "foreign", Namespace="AWS/ECS", MetricName="CPUUtilization",
                                Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanThreshold")
    cloudwatch.put_metric_alarm(AlarmName="other-alarm", Namespace="AWS/ECS", MetricName="CPUUtilization",
                                Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanThreshold")

    result = run(run_module, args(CPU, RATE), diff=True)

    assert result["removed"] == [LATENCY["name"]]
    assert result["diff"]["after"] == {} and list(result["diff"]["before"]) == [LATENCY["name"]]
    assert result["diff"]["after_header"] == "removed: " + LATENCY["name"]
    assert set(alarms_of(cloudwatch)) == {CPU["name"], RATE["name"], PREFIX + "foreign"}
    assert "other-alarm" in alarms_of(cloudwatch, "other")


def test_purge_alarms_false_keeps_undeclared_alarms(cloudwatch, run_module):
    run(run_module, args(CPU, LATENCY))
    result = run(run_module, args(CPU, purge_alarms=False))
    assert result["changed"] is False
    assert set(alarms_of(cloudwatch)) == {CPU["name"], LATENCY["name"]}


def test_check_mode_reports_but_changes_nothing(cloudwatch, run_module):
    created = run(run_module, args(CPU, LATENCY), check_mode=True, diff=True)
    assert created["changed"] is True and created["added"] == sorted([CPU["name"], LATENCY["name"]])
    assert alarms_of(cloudwatch) == {}

    run(run_module, args(CPU, LATENCY))
    cpu = dict(CPU, threshold=90)
    changed = run(run_module, args(cpu, RATE), check_mode=True, diff=True)
    assert (changed["added"], changed["updated"], changed["removed"]) == ([RATE["name"]], [CPU["name"]], [LATENCY["name"]])
    stored = alarms_of(cloudwatch)
    assert set(stored) == {CPU["name"], LATENCY["name"]} and stored[CPU["name"]]["Threshold"] == 80.0


def test_tag_drift_is_corrected_without_redefining(cloudwatch, run_module):
    run(run_module, args(CPU))
    arn = alarms_of(cloudwatch)[CPU["name"]]["AlarmArn"]
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "Stray", "Value": "x"}])

    result = run(run_module, args(CPU))

    assert result["updated"] == [CPU["name"]]
    assert tags_of(cloudwatch, alarms_of(cloudwatch)[CPU["name"]]) == {"Project": "lw", "AlarmSet": "lw-test"}


def test_empty_declaration_removes_the_whole_set(cloudwatch, run_module):
    run(run_module, args(CPU, RATE))
    result = run(run_module, args())
    assert result["removed"] == sorted([CPU["name"], RATE["name"]])
    assert alarms_of(cloudwatch) == {}


@pytest.mark.parametrize(
    "alarm,message",
    [
        (dict(CPU, name="elsewhere-cpu"), "must start with name_prefix"),
        (dict(CPU, extended_statistic="p95"), "exactly one of statistic and extended_statistic"),
        (dict(LATENCY, extended_statistic="median"), "not a percentile"),
        (dict(CPU, datapoints_to_alarm=5), "datapoints_to_alarm cannot exceed"),
        (dict(RATE, metrics=RATE["metrics"][:1] + [dict(RATE["metrics"][1], return_data=True)]), "exactly one metric query"),
        (dict(RATE, namespace="AWS/ECS"), "metrics cannot be combined"),
    ],
)
def test_invalid_declarations_fail_before_any_call(cloudwatch, run_module, alarm, message):
    result = run_module(cloudwatch_alarm_set, args(alarm))
    assert result.get("failed") and message in result["msg"]
    assert alarms_of(cloudwatch, "") == {}


def test_duplicate_names_fail(cloudwatch, run_module):
    result = run_module(cloudwatch_alarm_set, args(CPU, CPU))
    assert result.get("failed") and "declared twice" in result["msg"]


def test_unknown_statistic_is_rejected(cloudwatch, run_module):
    result = run_module(cloudwatch_alarm_set, args(dict(CPU, statistic="Mean")))
    assert result.get("failed") and "statistic" in result["msg"]
