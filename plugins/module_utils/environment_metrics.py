# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudWatch figures of the plan's "Verify Deployment" step (``aws cloudwatch get-metric-statistics``) over the last
minutes: the ALB's requests and 5xx answers, the healthy hosts of each target group, the running tasks of each ECS
service (Container Insights). Read by environment_report (lifeworld.production.environment_info with
metrics_minutes) for playbooks/verify.yml.

A figure is None when CloudWatch holds no datapoint for it in the window; what that means is for the judge
(lifeworld.production.metric_findings) to say. Emulator: moto never emits ALB or ECS metrics, so the tests and the
demo put them with put_metric_data (scripts/local_stack/standins.py); against moto nothing else makes this pass.
"""

import datetime

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry


def _figure(cloudwatch, namespace, name, dimensions, statistic, start, end, period):
    points = aws_retry()(cloudwatch.get_metric_statistics)(
        Namespace=namespace, MetricName=name, StartTime=start, EndTime=end, Period=period, Statistics=[statistic],
        Dimensions=[{"Name": key, "Value": value} for key, value in dimensions.items()])["Datapoints"]
    if not points:
        return None
    values = [point[statistic] for point in points]
    # Sum over the window for counts; the lowest minute for levels that must hold the whole time.
    return sum(values) if statistic == "Sum" else min(values)


def alb_dimension(arn):
    """The LoadBalancer (app/<name>/<id>) or TargetGroup (targetgroup/<name>/<id>) dimension value of an ARN."""
    return arn.split(":loadbalancer/", 1)[-1] if ":loadbalancer/" in arn else arn.rsplit(":", 1)[-1]


def metrics(client_for, cluster, load_balancer, services, minutes, now=None):
    """{window_minutes, load_balancer: {requests, elb_5xx, target_5xx} | None, target_groups: [{name, healthy}],
    services: [{name, running}]} from the environment facts' load_balancer and services."""
    cloudwatch = client_for("cloudwatch")
    period = 60
    now = now or datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(minutes=minutes)
    # The window runs to the end of the current minute: a datapoint of this very second counts (moto also drops the
    # sub-second part of EndTime, which would leave out a datapoint put a moment ago).
    end = now + datetime.timedelta(seconds=period)

    def figure(namespace, name, dimensions, statistic):
        return _figure(cloudwatch, namespace, name, dimensions, statistic, start, end, period)

    facts = {"window_minutes": minutes, "load_balancer": None, "target_groups": [], "services": []}
    if load_balancer:
        lb = {"LoadBalancer": alb_dimension(load_balancer["arn"])}
        facts["load_balancer"] = {
            "name": load_balancer["name"],
            "requests": figure("AWS/ApplicationELB", "RequestCount", lb, "Sum"),
            "elb_5xx": figure("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, "Sum"),
            "target_5xx": figure("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb, "Sum"),
        }
        for group in load_balancer.get("target_groups", []):
            dimensions = dict(lb, TargetGroup=alb_dimension(group["arn"]))
            facts["target_groups"].append({"name": group["name"], "healthy": figure(
                "AWS/ApplicationELB", "HealthyHostCount", dimensions, "Minimum")})
    for service in services:
        facts["services"].append({"name": service["name"], "running": figure(
            "ECS/ContainerInsights", "RunningTaskCount", {"ClusterName": cluster, "ServiceName": service["name"]},
            "Minimum")})
    return facts
