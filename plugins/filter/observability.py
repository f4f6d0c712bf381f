# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Observability filters: validate the inventory's alarm plan, and turn it into the alarm set and dashboards.

The plan (``cloudwatch_alarms``) names each alarm by its kind; this module knows what each kind measures, so the
inventory only carries decisions (thresholds, statistics, periods) and every check can name the variable at fault
before any AWS call.
"""

from __future__ import annotations

import math
import re

PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d+)?|100)$")
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
ALARM_OPTIONS = ("threshold", "statistic", "period", "evaluation_periods", "datapoints_to_alarm", "treat_missing_data")
GIB = 1024 ** 3

# Memory of each RDS instance class, in GiB (AWS's published sizes). RDS PostgreSQL's default max_connections is
# LEAST({DBInstanceClassMemory/9531392}, 5000); DBInstanceClassMemory is the class memory minus what the OS and
# RDS processes keep, so the nominal size slightly overstates it: thresholds computed from it err on the high side
# by a few percent. Add a class here before using it.
DB_CLASS_MEMORY_GIB = {
    "db.t3.micro": 1, "db.t3.small": 2, "db.t3.medium": 4, "db.t3.large": 8, "db.t3.xlarge": 16, "db.t3.2xlarge": 32,
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8, "db.t4g.xlarge": 16,
    "db.t4g.2xlarge": 32,
    "db.m5.large": 8, "db.m5.xlarge": 16, "db.m5.2xlarge": 32, "db.m5.4xlarge": 64, "db.m5.8xlarge": 128,
    "db.m6g.large": 8, "db.m6g.xlarge": 16, "db.m6g.2xlarge": 32, "db.m6g.4xlarge": 64,
    "db.m6i.large": 8, "db.m6i.xlarge": 16, "db.m6i.2xlarge": 32, "db.m6i.4xlarge": 64,
    "db.m7g.large": 8, "db.m7g.xlarge": 16, "db.m7g.2xlarge": 32, "db.m7g.4xlarge": 64,
    "db.r5.large": 16, "db.r5.xlarge": 32, "db.r5.2xlarge": 64, "db.r5.4xlarge": 128,
    "db.r6g.large": 16, "db.r6g.xlarge": 32, "db.r6g.2xlarge": 64, "db.r6g.4xlarge": 128,
    "db.r6i.large": 16, "db.r6i.xlarge": 32, "db.r6i.2xlarge": 64, "db.r6i.4xlarge": 128,
    "db.r7g.large": 16, "db.r7g.xlarge": 32, "db.r7g.2xlarge": 64, "db.r7g.4xlarge": 128,
}
MAX_CONNECTIONS_DIVISOR = 9531392
MAX_CONNECTIONS_CAP = 5000

# What each alarm kind of the plan measures. scope: one alarm per ECS service, per target group, or one alarm.
# unit: how the threshold is read (percent 0-100, seconds, count, GiB). threshold: False when derived elsewhere.
KINDS = {
    "ecs_cpu_high": dict(scope="service", unit="percent", suffix="cpu-high", namespace="AWS/ECS",
                         metric="CPUUtilization", statistic="Average", op="GreaterThanThreshold",
                         text="{service} CPU above {threshold:g} % of its reservation"),
    "ecs_memory_high": dict(scope="service", unit="percent", suffix="memory-high", namespace="AWS/ECS",
                            metric="MemoryUtilization", statistic="Average", op="GreaterThanThreshold",
                            text="{service} memory above {threshold:g} % of its reservation"),
    "ecs_running_tasks_low": dict(scope="service", unit="tasks", suffix="running-tasks-low",
                                  namespace="ECS/ContainerInsights", metric="RunningTaskCount", statistic="Minimum",
                                  op="LessThanThreshold", threshold=False, missing="breaching",
                                  text="{service} runs fewer than {threshold:g} tasks (its minimum)"),
    "alb_5xx_rate": dict(scope="alb", unit="percent", suffix="alb-5xx-rate", statistic=False,
                         op="GreaterThanThreshold", missing="notBreaching",
                         text="5xx responses (target + load balancer) above {threshold:g} % of requests"),
    "alb_latency_p95": dict(scope="alb", unit="seconds", suffix="alb-latency-p95", namespace="AWS/ApplicationELB",
                            metric="TargetResponseTime", statistic="p95", op="GreaterThanThreshold",
                            missing="notBreaching", text="Target response time ({statistic}) above {threshold:g} s"),
    "alb_unhealthy_targets": dict(scope="target_group", unit="count", suffix="unhealthy-targets",
                                  namespace="AWS/ApplicationELB", metric="UnHealthyHostCount", statistic="Maximum",
                                  op="GreaterThanThreshold", text="{service} has more than {threshold:g} unhealthy targets"),
    "db_connections_high": dict(scope="db", unit="percent", suffix="db-connections-high", namespace="AWS/RDS",
                                metric="DatabaseConnections", statistic="Maximum", op="GreaterThanThreshold",
                                text="DB connections above {percent:g} % of max_connections "
                                     "({threshold:g} of {max_connections} for {db_class})"),
    "rds_cpu_high": dict(scope="db", unit="percent", suffix="db-cpu-high", namespace="AWS/RDS",
                         metric="CPUUtilization", statistic="Average", op="GreaterThanThreshold",
                         text="DB CPU above {threshold:g} %"),
    "rds_free_storage_low": dict(scope="db", unit="gib", suffix="db-free-storage-low", namespace="AWS/RDS",
                                 metric="FreeStorageSpace", statistic="Minimum", op="LessThanThreshold",
                                 text="DB free storage below {gib:g} GiB"),
}
ALB_KINDS = tuple(kind for kind, spec in KINDS.items() if spec["scope"] in ("alb", "target_group"))


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_statistic(value):
    return value in STATISTICS or bool(PERCENTILE.match(str(value)))


def rds_max_connections(db_class):
    """RDS PostgreSQL's default max_connections for an instance class (see DB_CLASS_MEMORY_GIB)."""
    if db_class not in DB_CLASS_MEMORY_GIB:
        raise ValueError("unknown DB instance class %s" % db_class)
    return min(DB_CLASS_MEMORY_GIB[db_class] * GIB // MAX_CONNECTIONS_DIVISOR, MAX_CONNECTIONS_CAP)


def _alarm_problems(kind, options, var):
    problems = []
    label = "%s.%s" % (var, kind)
    if kind not in KINDS:
        return ["%s: unknown alarm '%s'; known alarms: %s" % (var, kind, ", ".join(sorted(KINDS)))]
    if not isinstance(options, dict):
        return ["%s: must be a mapping of %s" % (label, ", ".join(ALARM_OPTIONS))]
    spec = KINDS[kind]
    for key in sorted(set(options) - set(ALARM_OPTIONS)):
        problems.append("%s.%s: unknown option; allowed: %s" % (label, key, ", ".join(ALARM_OPTIONS)))
    if spec.get("threshold") is False:
        if "threshold" in options:
            problems.append("%s.threshold: not settable, the threshold is each service's min_tasks" % label)
    elif "threshold" not in options:
        problems.append("%s.threshold: required" % label)
    else:
        value = options["threshold"]
        unit = spec["unit"]
        if not _is_number(value):
            problems.append("%s.threshold: must be a number, got %r" % (label, value))
        elif unit == "percent" and not 0 < value <= 100:
            problems.append("%s.threshold: %s is a percentage and must be within 0-100 (above 0)" % (label, value))
        elif unit in ("seconds", "gib") and value <= 0:
            problems.append("%s.threshold: must be above 0, got %s" % (label, value))
        elif value < 0:
            problems.append("%s.threshold: must not be negative, got %s" % (label, value))
    if "statistic" in options:
        if spec["statistic"] is False:
            problems.append("%s.statistic: not settable, the rate is computed from Sum counts" % label)
        elif not _is_statistic(options["statistic"]):
            problems.append(
                "%s.statistic: unknown statistic %r; use one of %s or a percentile like p95"
                % (label, options["statistic"], ", ".join(STATISTICS))
            )
    period = options.get("period", 300)
    if not isinstance(period, int) or isinstance(period, bool) or not (period in (10, 30) or (period > 0 and period % 60 == 0)):
        problems.append("%s.period: must be 10, 30 or a multiple of 60 seconds, got %r" % (label, period))
    periods = options.get("evaluation_periods", 1)
    if not isinstance(periods, int) or isinstance(periods, bool) or periods < 1:
        problems.append("%s.evaluation_periods: must be a whole number of at least 1, got %r" % (label, periods))
    elif "datapoints_to_alarm" in options:
        points = options["datapoints_to_alarm"]
        if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= periods:
            problems.append("%s.datapoints_to_alarm: must be 1 to evaluation_periods (%s), got %r" % (label, periods, points))
    if "treat_missing_data" in options and options["treat_missing_data"] not in TREAT_MISSING:
        problems.append(
            "%s.treat_missing_data: %r is not one of %s" % (label, options["treat_missing_data"], ", ".join(TREAT_MISSING))
        )
    return problems


def observability_problems(settings):
    """Every problem of the observability inputs, each naming its variable. ``settings`` maps variable -> value."""
    problems = []
    alarms = settings.get("cloudwatch_alarms")
    if not isinstance(alarms, dict):
        problems.append("cloudwatch_alarms: must be a mapping of alarm name to its options")
        alarms = {}
    for kind, options in alarms.items():
        problems.extend(_alarm_problems(kind, options, "cloudwatch_alarms"))

    services = settings.get("cloudwatch_ecs_services") or []
    names = [s.get("name") for s in services if isinstance(s, dict)]
    for index, service in enumerate(services):
        label = "cloudwatch_ecs_services[%d]" % index
        if not isinstance(service, dict) or not service.get("name"):
            problems.append("%s: needs a name" % label)
            continue
        min_tasks = service.get("min_tasks")
        if not isinstance(min_tasks, int) or isinstance(min_tasks, bool) or min_tasks < 1:
            problems.append("%s.min_tasks: must be a whole number of at least 1, got %r" % (label, min_tasks))
    if len(set(names)) != len(names):
        problems.append("cloudwatch_ecs_services: service names repeat: %s" % names)

    if "db_connections_high" in alarms and settings.get("cloudwatch_db_instance_class") not in DB_CLASS_MEMORY_GIB:
        problems.append(
            "cloudwatch_db_instance_class: unknown class %r, so max_connections cannot be computed; add its memory "
            "to DB_CLASS_MEMORY_GIB in plugins/filter/observability.py" % settings.get("cloudwatch_db_instance_class")
        )

    subscriptions = settings.get("cloudwatch_alert_subscriptions") or []
    for index, sub in enumerate(subscriptions):
        label = "cloudwatch_alert_subscriptions[%d]" % index
        protocol = (sub or {}).get("protocol") if isinstance(sub, dict) else None
        endpoint = str(sub.get("endpoint", "")) if isinstance(sub, dict) else ""
        if protocol == "email" and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", endpoint):
            problems.append("%s.endpoint: %r is not an email address" % (label, endpoint))
        elif protocol == "https" and not endpoint.startswith("https://"):
            problems.append("%s.endpoint: an https subscription needs an https:// URL" % label)
        elif protocol not in ("email", "https"):
            problems.append("%s.protocol: must be email or https, got %r" % (label, protocol))
    if settings.get("cloudwatch_alert_subscriptions_required") and not subscriptions:
        problems.append(
            "cloudwatch_alert_subscriptions: empty, but this environment requires someone to receive alerts "
            "(cloudwatch_alert_subscriptions_required); add an email or https subscription"
        )
    return problems


def _dims(**dims):
    return {name: value for name, value in dims.items() if value}


def _base(kind, options, name, alarm_actions):
    spec = KINDS[kind]
    statistic = str(options.get("statistic", spec["statistic"]))
    alarm = {
        "name": name,
        "period": options.get("period", 300),
        "evaluation_periods": options.get("evaluation_periods", 1),
        "comparison_operator": spec["op"],
        "treat_missing_data": options.get("treat_missing_data", spec.get("missing", "missing")),
        "alarm_actions": list(alarm_actions),
        "ok_actions": list(alarm_actions),
    }
    if "datapoints_to_alarm" in options:
        alarm["datapoints_to_alarm"] = options["datapoints_to_alarm"]
    if spec.get("metric"):
        alarm["namespace"] = spec["namespace"]
        alarm["metric_name"] = spec["metric"]
        alarm["extended_statistic" if PERCENTILE.match(statistic) else "statistic"] = statistic
    return alarm, statistic


def _rate_metrics(load_balancer, period):
    def count(query_id, metric):
        return {"id": query_id, "return_data": False,
                "metric_stat": {"metric": {"namespace": "AWS/ApplicationELB", "metric_name": metric,
                                           "dimensions": {"LoadBalancer": load_balancer}},
                                "period": period, "stat": "Sum"}}

    return [
        # The 5xx counts are only reported when non-zero: FILL keeps the sum defined when one of them is absent.
        {"id": "rate", "expression": "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests",
         "label": "5xx rate (%)", "return_data": True},
        count("target5xx", "HTTPCode_Target_5XX_Count"),
        count("elb5xx", "HTTPCode_ELB_5XX_Count"),
        count("requests", "RequestCount"),
    ]


def observability_alarms(alarms, context):
    """The declared alarm set, in the shape of cloudwatch_alarm_set's ``alarms``.

    ``context``: prefix, cluster, services ([{name, target_group, min_tasks}]), db_instance, db_class,
    alb (LoadBalancer dimension, empty when the ALB does not exist yet), target_groups ({suffix: TargetGroup
    dimension}), actions (ARNs notified on ALARM and OK).
    """
    prefix = context["prefix"]
    alb = context.get("alb") or ""
    target_groups = context.get("target_groups") or {}
    actions = context.get("actions") or []
    result = []
    for kind in sorted(alarms):
        options = alarms[kind] or {}
        spec = KINDS[kind]
        if spec["scope"] in ("alb", "target_group") and not alb:
            continue
        targets = []
        if spec["scope"] == "service":
            targets = [(s, "%s-%s-%s" % (prefix, s["name"], spec["suffix"])) for s in context["services"]]
        elif spec["scope"] == "target_group":
            targets = [(s, "%s-%s-%s" % (prefix, s["name"], spec["suffix"])) for s in context["services"]
                       if target_groups.get(s.get("target_group"))]
        else:
            targets = [(None, "%s-%s" % (prefix, spec["suffix"]))]
        for service, name in targets:
            alarm, statistic = _base(kind, options, name, actions)
            threshold = options.get("threshold")
            words = {"service": service["name"] if service else "", "statistic": statistic}
            if kind == "ecs_running_tasks_low":
                threshold = service["min_tasks"]
            if spec["scope"] == "service":
                alarm["dimensions"] = _dims(ClusterName=context["cluster"], ServiceName=service["name"])
            elif spec["scope"] == "target_group":
                alarm["dimensions"] = _dims(TargetGroup=target_groups[service["target_group"]], LoadBalancer=alb)
            elif spec["scope"] == "db":
                alarm["dimensions"] = _dims(DBInstanceIdentifier=context["db_instance"])
            elif kind == "alb_5xx_rate":
                alarm["metrics"] = _rate_metrics(alb, alarm.pop("period"))
            else:
                alarm["dimensions"] = _dims(LoadBalancer=alb)
            if kind == "db_connections_high":
                max_connections = rds_max_connections(context["db_class"])
                words.update(percent=threshold, max_connections=max_connections, db_class=context["db_class"])
                threshold = math.floor(max_connections * threshold / 100.0)
            if kind == "rds_free_storage_low":
                words["gib"] = threshold
                threshold = threshold * GIB
            words["threshold"] = threshold
            alarm["threshold"] = threshold
            alarm["description"] = spec["text"].format(**words) + " (%s)" % kind
            result.append(alarm)
    return result


def elbv2_arn_suffix(arn):
    """The CloudWatch dimension of an ALB or target group ARN: app/<name>/<id> or targetgroup/<name>/<id>."""
    if not arn:
        return ""
    resource = str(arn).split(":", 5)[-1]
    return resource.split("loadbalancer/", 1)[-1] if resource.startswith("loadbalancer/") else resource


def target_group_dimensions(target_groups, prefix):
    """{suffix: TargetGroup dimension} for the target groups named <prefix>-<suffix> (elb_target_group_info)."""
    result = {}
    for group in target_groups or []:
        name = group.get("target_group_name", "")
        if name.startswith(prefix + "-"):
            result[name[len(prefix) + 1:]] = elbv2_arn_suffix(group.get("target_group_arn"))
    return result


def rds_log_groups(exports, instance, retention):
    """[{name, retention}] of the log groups RDS publishes the instance's exported log types to."""
    return [{"name": "/aws/rds/instance/%s/%s" % (instance, export), "retention": retention} for export in exports or []]


class FilterModule:
    def filters(self):
        return {
            "observability_problems": observability_problems,
            "observability_alarms": observability_alarms,
            "rds_max_connections": rds_max_connections,
            "elbv2_arn_suffix": elbv2_arn_suffix,
            "target_group_dimensions": target_group_dimensions,
            "rds_log_groups": rds_log_groups,
        }
