# -*- coding: utf-8 -*-
"""The observability filters: alarm-plan validation, the alarm set and the dashboards built from it."""

import copy

import pytest
import yaml

from ansible_collections.lifeworld.production.plugins.filter.dashboards import observability_dashboards
from ansible_collections.lifeworld.production.plugins.filter.observability import (
    elbv2_arn_suffix,
    observability_alarms,
    observability_problems,
    rds_log_groups,
    rds_max_connections,
    target_group_dimensions,
)

DEFAULTS = yaml.safe_load(open(__file__.rsplit("/tests/", 1)[0] + "/roles/cloudwatch/defaults/main.yml"))
ALARMS = DEFAULTS["cloudwatch_alarms"]
SERVICES = [{"name": "backend", "target_group": "be", "min_tasks": 2}, {"name": "frontend", "target_group": "fe", "min_tasks": 2}]
ALB = "app/lw-alb/0123456789abcdef"
CONTEXT = {"prefix": "lw", "cluster": "lw", "services": SERVICES, "db_instance": "lw-db", "db_class": "db.t3.medium",
           "alb": ALB, "target_groups": {"be": "targetgroup/lw-be/1", "fe": "targetgroup/lw-fe/2"},
           "actions": ["arn:aws:sns:us-east-1:123456789012:lw-alerts"]}


def settings(**overrides):
    result = {"cloudwatch_alarms": copy.deepcopy(ALARMS), "cloudwatch_ecs_services": SERVICES,
              "cloudwatch_db_instance_class": "db.t3.medium",
              "cloudwatch_alert_subscriptions": [{"protocol": "email", "endpoint": "a@example.com"}],
              "cloudwatch_alert_subscriptions_required": True}
    result.update(overrides)
    return result


@pytest.mark.parametrize("db_class,expected", [("db.t3.micro", 112), ("db.t3.medium", 450), ("db.r6g.4xlarge", 5000)])
def test_max_connections_follows_rds_formula_and_cap(db_class, expected):
    assert rds_max_connections(db_class) == expected


def test_the_defaults_are_valid():
    assert observability_problems(settings()) == []


@pytest.mark.parametrize(
    "kind,options,message",
    [
        ("ecs_cpu_high", {"threshold": 101}, "cloudwatch_alarms.ecs_cpu_high.threshold: 101 is a percentage"),
        ("ecs_cpu_high", {"threshold": 0}, "cloudwatch_alarms.ecs_cpu_high.threshold"),
        ("alb_latency_p95", {"threshold": 1, "statistic": "Median"}, "cloudwatch_alarms.alb_latency_p95.statistic: unknown"),
        ("alb_latency_p95", {"threshold": "fast"}, "cloudwatch_alarms.alb_latency_p95.threshold: must be a number"),
        ("alb_5xx_rate", {"threshold": 1, "statistic": "Average"}, "cloudwatch_alarms.alb_5xx_rate.statistic: not settable"),
        ("rds_cpu_high", {"threshold": 80, "period": 45}, "cloudwatch_alarms.rds_cpu_high.period"),
        ("rds_cpu_high", {"threshold": 80, "evaluation_periods": 2, "datapoints_to_alarm": 3},
         "cloudwatch_alarms.rds_cpu_high.datapoints_to_alarm"),
        ("rds_cpu_high", {"threshold": 80, "treat_missing_data": "zero"}, "cloudwatch_alarms.rds_cpu_high.treat_missing_data"),
        ("rds_cpu_high", {"threshold": 80, "colour": "red"}, "cloudwatch_alarms.rds_cpu_high.colour: unknown option"),
        ("ecs_running_tasks_low", {"threshold": 1}, "cloudwatch_alarms.ecs_running_tasks_low.threshold: not settable"),
        ("rds_free_storage_low", {}, "cloudwatch_alarms.rds_free_storage_low.threshold: required"),
        ("disk_full", {"threshold": 1}, "cloudwatch_alarms: unknown alarm 'disk_full'"),
    ],
)
def test_alarm_plan_problems_name_the_variable(kind, options, message):
    alarms = copy.deepcopy(ALARMS)
    alarms[kind] = options
    problems = observability_problems(settings(cloudwatch_alarms=alarms))
    assert any(problem.startswith(message) for problem in problems), problems


def test_missing_subscription_is_a_problem_only_when_required():
    assert any(p.startswith("cloudwatch_alert_subscriptions: empty") for p in
               observability_problems(settings(cloudwatch_alert_subscriptions=[])))
    assert observability_problems(settings(cloudwatch_alert_subscriptions=[],
                                           cloudwatch_alert_subscriptions_required=False)) == []


def test_bad_subscriptions_services_and_db_class_are_named():
    problems = observability_problems(settings(
        cloudwatch_alert_subscriptions=[{"protocol": "email", "endpoint": "nobody"},
                                        {"protocol": "https", "endpoint": "http://x"}],
        cloudwatch_ecs_services=[{"name": "a", "target_group": "a", "min_tasks": 0}],
        cloudwatch_db_instance_class="db.x1.tiny"))
    for prefix in ("cloudwatch_alert_subscriptions[0].endpoint", "cloudwatch_alert_subscriptions[1].endpoint",
                   "cloudwatch_ecs_services[0].min_tasks", "cloudwatch_db_instance_class"):
        assert any(p.startswith(prefix) for p in problems), (prefix, problems)


def test_alarm_set_has_one_alarm_per_service_target_group_and_db_kind():
    alarms = {a["name"]: a for a in observability_alarms(ALARMS, CONTEXT)}
    assert len(alarms) == 13
    assert alarms["lw-db-connections-high"]["threshold"] == 360
    assert alarms["lw-db-free-storage-low"]["threshold"] == 5 * 1024 ** 3
    assert alarms["lw-backend-running-tasks-low"]["threshold"] == 2
    assert alarms["lw-alb-latency-p95"]["extended_statistic"] == "p95" and "statistic" not in alarms["lw-alb-latency-p95"]
    assert alarms["lw-frontend-unhealthy-targets"]["dimensions"] == {"TargetGroup": "targetgroup/lw-fe/2",
                                                                     "LoadBalancer": ALB}
    rate = alarms["lw-alb-5xx-rate"]
    assert "period" not in rate and [q["id"] for q in rate["metrics"]] == ["rate", "target5xx", "elb5xx", "requests"]
    assert all(a["alarm_actions"] == a["ok_actions"] == CONTEXT["actions"] for a in alarms.values())


def test_without_the_alb_its_alarms_are_left_out():
    names = {a["name"] for a in observability_alarms(ALARMS, dict(CONTEXT, alb="", target_groups={}))}
    assert len(names) == 9 and not any("alb" in n or "unhealthy" in n for n in names)


def test_arn_suffixes_are_the_cloudwatch_dimensions():
    assert elbv2_arn_suffix("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/lw-alb/abc") == "app/lw-alb/abc"
    assert elbv2_arn_suffix("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/lw-be/def") == "targetgroup/lw-be/def"
    assert elbv2_arn_suffix("") == ""
    groups = [{"target_group_name": "lw-be", "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/lw-be/d"},
              {"target_group_name": "other-be", "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/other-be/e"}]
    assert target_group_dimensions(groups, "lw") == {"be": "targetgroup/lw-be/d"}


def _dimension_values(dashboards):
    values = set()
    for dashboard in dashboards:
        for widget in dashboard["body"]["widgets"]:
            assert widget["x"] + widget["width"] <= 24
            for row in widget["properties"].get("metrics", []):
                names = [item for item in row if isinstance(item, str)]
                values.update(names[3::2])
    return values


def test_dashboards_use_the_real_names_and_drop_alb_widgets_without_an_alb():
    context = dict(CONTEXT, region="us-east-1", alarm_arns=["arn:aws:cloudwatch:us-east-1:1:alarm:lw-x"],
                   log_groups=["/ecs/lw/backend"])
    dashboards = observability_dashboards(context)
    assert [d["name"] for d in dashboards] == ["lw-service-health", "lw-resource-utilisation", "lw-error-rates",
                                               "lw-request-patterns"]
    assert _dimension_values(dashboards) == {"lw", "backend", "frontend", "lw-db", ALB, "targetgroup/lw-be/1",
                                             "targetgroup/lw-fe/2"}
    without_alb = observability_dashboards(dict(context, alb="", target_groups={}))
    assert _dimension_values(without_alb) == {"lw", "backend", "frontend", "lw-db"}


def test_rds_log_groups_follow_the_exported_log_types():
    assert rds_log_groups(["postgresql", "upgrade"], "lw-db", 30) == [
        {"name": "/aws/rds/instance/lw-db/postgresql", "retention": 30},
        {"name": "/aws/rds/instance/lw-db/upgrade", "retention": 30}]
