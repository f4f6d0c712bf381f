# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dashboards of the plan, built from the real resource names: service health, resource utilisation, error
rates and trends, request patterns. Widgets that need the ALB are left out until it exists."""

from __future__ import annotations

WIDTH = 24


class _Grid:
    """Lays widgets out left to right, wrapping at the dashboard's 24 columns."""

    def __init__(self):
        self.x = self.y = self.row_height = 0
        self.widgets = []

    def add(self, widget, width=12, height=6):
        if self.x + width > WIDTH:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        widget.update(x=self.x, y=self.y, width=width, height=height)
        self.widgets.append(widget)
        self.x += width
        self.row_height = max(self.row_height, height)
        return self


def _metric_widget(title, metrics, region, stat="Average", period=60, view="timeSeries", y_axis=None, **extra):
    properties = {"title": title, "region": region, "metrics": metrics, "stat": stat, "period": period,
                  "view": view, "stacked": False}
    if y_axis:
        properties["yAxis"] = {"left": y_axis}
    properties.update(extra)
    return {"type": "metric", "properties": properties}


def _text(markdown):
    return {"type": "text", "properties": {"markdown": markdown}}


def _service_metrics(namespace, metric, c):
    return [[namespace, metric, "ClusterName", c["cluster"], "ServiceName", s["name"]] for s in c["services"]]


def _db(metric, c, **options):
    row = ["AWS/RDS", metric, "DBInstanceIdentifier", c["db_instance"]]
    return row + [options] if options else row


def _alb(metric, c, **options):
    row = ["AWS/ApplicationELB", metric, "LoadBalancer", c["alb"]]
    return row + [options] if options else row


def _per_target_group(metric, c, **options):
    rows = []
    for service in c["services"]:
        target_group = (c.get("target_groups") or {}).get(service.get("target_group"))
        if target_group:
            row = ["AWS/ApplicationELB", metric, "TargetGroup", target_group, "LoadBalancer", c["alb"]]
            rows.append(row + [dict(options, label="%s %s" % (service["name"], metric))])
    return rows


def _rate_expression(c):
    return [
        [{"expression": "100 * (FILL(m1, 0) + FILL(m2, 0)) / m3", "label": "5xx rate (%)", "id": "e1"}],
        _alb("HTTPCode_Target_5XX_Count", c, id="m1", visible=False, stat="Sum"),
        _alb("HTTPCode_ELB_5XX_Count", c, id="m2", visible=False, stat="Sum"),
        _alb("RequestCount", c, id="m3", visible=False, stat="Sum"),
    ]


def _service_health(c):
    region, grid = c["region"], _Grid()
    grid.add(_text("## %s: service health\nAlarm meanings and first steps: docs/monitoring.md" % c["prefix"]), 24, 2)
    if c.get("alarm_arns"):
        grid.add({"type": "alarm", "properties": {"title": "Alarms", "alarms": sorted(c["alarm_arns"])}}, 24, 3)
    grid.add(_metric_widget("Running tasks", _service_metrics("ECS/ContainerInsights", "RunningTaskCount", c),
                            region, stat="Minimum"))
    if c.get("alb"):
        grid.add(_metric_widget("Healthy / unhealthy targets",
                                _per_target_group("HealthyHostCount", c) + _per_target_group("UnHealthyHostCount", c),
                                region, stat="Maximum"))
        grid.add(_metric_widget("5xx rate (%)", _rate_expression(c), region, stat="Sum", period=300))
        grid.add(_metric_widget("Response time p95 (s)", [_alb("TargetResponseTime", c)], region, stat="p95"))
    grid.add(_metric_widget("DB connections", [_db("DatabaseConnections", c)], region, stat="Maximum"))
    return grid.widgets


def _resource_utilisation(c):
    region, grid = c["region"], _Grid()
    grid.add(_metric_widget("ECS CPU (% of reservation)", _service_metrics("AWS/ECS", "CPUUtilization", c), region,
                            y_axis={"min": 0, "max": 100}))
    grid.add(_metric_widget("ECS memory (% of reservation)", _service_metrics("AWS/ECS", "MemoryUtilization", c),
                            region, y_axis={"min": 0, "max": 100}))
    grid.add(_metric_widget("DB CPU (%)", [_db("CPUUtilization", c)], region, y_axis={"min": 0, "max": 100}))
    grid.add(_metric_widget("DB freeable memory and free storage (bytes)",
                            [_db("FreeableMemory", c), _db("FreeStorageSpace", c, yAxis="right")], region,
                            stat="Minimum"))
    grid.add(_metric_widget("DB read / write IOPS", [_db("ReadIOPS", c), _db("WriteIOPS", c)], region))
    grid.add(_metric_widget("DB connections", [_db("DatabaseConnections", c)], region, stat="Maximum"))
    return grid.widgets


def _error_rates(c):
    region, grid = c["region"], _Grid()
    if c.get("alb"):
        grid.add(_metric_widget("5xx rate (%), 1 h periods over a week", _rate_expression(c), region, stat="Sum",
                                period=3600, start="-P7D"), 24)
        grid.add(_metric_widget("5xx and 4xx counts",
                                [_alb("HTTPCode_Target_5XX_Count", c), _alb("HTTPCode_ELB_5XX_Count", c),
                                 _alb("HTTPCode_Target_4XX_Count", c), _alb("HTTPCode_ELB_4XX_Count", c)],
                                region, stat="Sum", period=300))
        grid.add(_metric_widget("Target 5xx by service", _per_target_group("HTTPCode_Target_5XX_Count", c), region,
                                stat="Sum", period=300))
    if c.get("log_groups"):
        sources = " | ".join("SOURCE '%s'" % group for group in c["log_groups"])
        grid.add({"type": "log", "properties": {
            "title": "Recent errors in the application logs", "region": region, "view": "table",
            "query": "%s | fields @timestamp, @log, @message | filter @message like /(?i)(error|exception)/ "
                     "| sort @timestamp desc | limit 50" % sources}}, 24)
    return grid.widgets


def _request_patterns(c):
    region, grid = c["region"], _Grid()
    if c.get("alb"):
        grid.add(_metric_widget("Requests", [_alb("RequestCount", c)], region, stat="Sum", period=300), 24)
        grid.add(_metric_widget("Requests per target", _per_target_group("RequestCountPerTarget", c), region,
                                stat="Sum", period=300))
        grid.add(_metric_widget("Response time p50 / p95 / p99 (s)",
                                [_alb("TargetResponseTime", c, stat="p50", label="p50"),
                                 _alb("TargetResponseTime", c, stat="p95", label="p95"),
                                 _alb("TargetResponseTime", c, stat="p99", label="p99")], region))
        grid.add(_metric_widget("Connections", [_alb("ActiveConnectionCount", c), _alb("NewConnectionCount", c)],
                                region, stat="Sum", period=300))
    grid.add(_metric_widget("Running tasks (scaling)", _service_metrics("ECS/ContainerInsights", "RunningTaskCount", c),
                            region, stat="Average"))
    return grid.widgets


DASHBOARDS = {
    "service-health": _service_health,
    "resource-utilisation": _resource_utilisation,
    "error-rates": _error_rates,
    "request-patterns": _request_patterns,
}


def observability_dashboards(context):
    """[{name, body}] for every dashboard of the plan.

    ``context``: prefix, region, cluster, services ([{name, target_group}]), db_instance, alb (LoadBalancer
    dimension or empty), target_groups ({suffix: TargetGroup dimension}), alarm_arns, log_groups.
    """
    return [{"name": "%s-%s" % (context["prefix"], name), "body": {"widgets": build(context)}}
            for name, build in DASHBOARDS.items()]


class FilterModule:
    def filters(self):
        return {"observability_dashboards": observability_dashboards}
