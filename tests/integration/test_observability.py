# -*- coding: utf-8 -*-
"""Observability built from the *production* inventory against the emulator, read back with boto3.

Only the connection differs from a real production run: the harness points AWS_ENDPOINT_URL at the session's
emulator. Logs Insights query definitions and X-Ray are skipped (`--skip-tags insights,xray`): the emulator lacks
those APIs, and their modules are unit-tested with botocore's Stubber.

The resources the alarms and dashboards watch (the logs KMS key, ALB and target groups, ECS cluster and services,
RDS instance) are created here with boto3 under their contract names (docs/CONTRACTS.md), so this module does not
depend on the other tiers' playbooks; the full-stack path is site.yml, where observability_watchers runs after
the edge and compute tiers.
"""

import copy
import json
import re

import pytest
import yaml

from .harness import REPO, api_calls_seen, run_playbook

PREFIX = "life-world-os-production"
INVENTORY = "inventories/production"
PLAYBOOK = "playbooks/observability.yml"
SKIP = ("--skip-tags", "insights,xray")
PROD_VARS = yaml.safe_load((REPO / INVENTORY / "group_vars/all/observability.yml").read_text())
TOPIC_SUFFIX = ":sns:us-east-1:123456789012:%s-alerts" % PREFIX

# The plan's alarms ("Monitoring and Alerting") and their thresholds, as stored in CloudWatch.
# db.t3.medium: 4 GiB / 9531392 = 450 max_connections, 80 % -> 360.
PLAN = {
    PREFIX + "-backend-cpu-high": ("AWS/ECS", "CPUUtilization", "GreaterThanThreshold", 80.0),
    PREFIX + "-frontend-cpu-high": ("AWS/ECS", "CPUUtilization", "GreaterThanThreshold", 80.0),
    PREFIX + "-backend-memory-high": ("AWS/ECS", "MemoryUtilization", "GreaterThanThreshold", 80.0),
    PREFIX + "-frontend-memory-high": ("AWS/ECS", "MemoryUtilization", "GreaterThanThreshold", 80.0),
    PREFIX + "-alb-5xx-rate": (None, None, "GreaterThanThreshold", 1.0),
    PREFIX + "-alb-latency-p95": ("AWS/ApplicationELB", "TargetResponseTime", "GreaterThanThreshold", 1.0),
    PREFIX + "-db-connections-high": ("AWS/RDS", "DatabaseConnections", "GreaterThanThreshold", 360.0),
    PREFIX + "-db-cpu-high": ("AWS/RDS", "CPUUtilization", "GreaterThanThreshold", 80.0),
    PREFIX + "-db-free-storage-low": ("AWS/RDS", "FreeStorageSpace", "LessThanThreshold", 10.0 * 1024 ** 3),
    PREFIX + "-backend-unhealthy-targets": ("AWS/ApplicationELB", "UnHealthyHostCount", "GreaterThanThreshold", 0.0),
    PREFIX + "-frontend-unhealthy-targets": ("AWS/ApplicationELB", "UnHealthyHostCount", "GreaterThanThreshold", 0.0),
    PREFIX + "-backend-running-tasks-low": ("ECS/ContainerInsights", "RunningTaskCount", "LessThanThreshold", 2.0),
    PREFIX + "-frontend-running-tasks-low": ("ECS/ContainerInsights", "RunningTaskCount", "LessThanThreshold", 2.0),
}


def build_watched_resources(emulator):
    """The other tiers' resources, under their contract names, so the alarms and dashboards have real targets."""
    kms = emulator.client("kms")
    key = kms.create_key(Description="logs")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/%s-logs" % PREFIX, TargetKeyId=key)
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.%d.0/24" % i, AvailabilityZone=az)["Subnet"]["SubnetId"]
               for i, az in enumerate(["us-east-1a", "us-east-1b"])]
    sg = ec2.create_security_group(GroupName=PREFIX + "-alb", Description="alb", VpcId=vpc)["GroupId"]
    elbv2 = emulator.client("elbv2")
    alb = elbv2.create_load_balancer(Name=PREFIX + "-alb", Subnets=subnets, SecurityGroups=[sg],
                                     Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    for suffix, port in (("be", 3001), ("fe", 80)):
        elbv2.create_target_group(Name="%s-%s" % (PREFIX, suffix), Protocol="HTTP", Port=port, VpcId=vpc,
                                  TargetType="ip")
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName=PREFIX)
    for service in ("backend", "frontend"):
        family = "%s-%s" % (PREFIX, service)
        ecs.register_task_definition(family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                                     cpu="256", memory="512",
                                     containerDefinitions=[{"name": service, "image": "x", "memory": 512}])
        ecs.create_service(cluster=PREFIX, serviceName=service, taskDefinition=family, desiredCount=2,
                           launchType="FARGATE",
                           networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}})
    emulator.client("rds").create_db_instance(
        DBInstanceIdentifier=PREFIX + "-db", DBInstanceClass="db.t3.medium", Engine="postgres",
        MasterUsername="lwo", MasterUserPassword="not-a-secret-1", AllocatedStorage=20)
    return alb


def our_alarms(emulator):
    alarms = emulator.client("cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]
    return {alarm["AlarmName"]: alarm for alarm in alarms}


def run(emulator, *, alarms=None, tags=None, check=False, diff=False, extra_vars=None):
    extra = dict(extra_vars or {})
    if alarms is not None:
        extra["cloudwatch_alarms"] = alarms
    return run_playbook(emulator, PLAYBOOK, inventory=INVENTORY, tags=tags, check=check, diff=diff,
                        extra_vars=extra or None, extra_args=SKIP)


@pytest.fixture(scope="module")
def prod(emulator):
    """Empty → --check → (other tiers via boto3) → converge → again → --check → one threshold → one alarm less."""
    emulator.reset()
    runs = {"check_empty": run(emulator, check=True)}
    cw, logs, sns = emulator.client("cloudwatch"), emulator.client("logs"), emulator.client("sns")
    runs["after_check_empty"] = {
        "alarms": cw.describe_alarms()["MetricAlarms"],
        "dashboards": cw.list_dashboards()["DashboardEntries"],
        "topics": sns.list_topics()["Topics"],
        "log_groups": logs.describe_log_groups()["logGroups"],
    }
    runs["alb_arn"] = build_watched_resources(emulator)
    runs["first"] = run(emulator)
    runs["second"] = run(emulator)
    runs["check_converged"] = run(emulator, check=True, diff=True)
    runs["converged_alarms"] = our_alarms(emulator)

    changed = copy.deepcopy(PROD_VARS["cloudwatch_alarms"])
    changed["rds_cpu_high"]["threshold"] = 90
    runs["threshold"] = run(emulator, alarms=changed, tags="alarms", diff=True)
    runs["after_threshold"] = our_alarms(emulator)

    del changed["rds_free_storage_low"]
    # With the dashboards: the service-health dashboard's alarm widget lists the set's alarms.
    runs["removal"] = run(emulator, alarms=changed, tags="alarms,dashboards", diff=True)
    runs["after_removal"] = our_alarms(emulator)
    return runs


def test_check_mode_on_an_empty_account_creates_nothing(prod):
    run_ = prod["check_empty"]
    assert run_.rc == 0, run_.tail()
    assert run_.changed >= 3, "check mode should report the log groups, topic, alarms and dashboards it would create"
    assert prod["after_check_empty"] == {"alarms": [], "dashboards": [], "topics": [], "log_groups": []}


def test_first_run_converges_and_second_reports_no_change(prod):
    assert prod["first"].rc == 0, prod["first"].tail()
    assert prod["first"].changed > 0
    assert prod["second"].rc == 0, prod["second"].tail()
    assert prod["second"].changed == 0, "not idempotent: %s" % prod["second"].changed_tasks()


def test_check_mode_on_the_converged_stack_reports_no_change(prod):
    run_ = prod["check_converged"]
    assert run_.rc == 0, run_.tail()
    assert run_.changed == 0, "check mode sees drift: %s" % run_.changed_tasks()


def test_production_alarm_set_is_exactly_the_plan(prod):
    alarms = prod["converged_alarms"]
    assert sorted(alarms) == sorted(PLAN)
    for name, (namespace, metric, operator, threshold) in PLAN.items():
        alarm = alarms[name]
        assert (alarm.get("Namespace"), alarm.get("MetricName")) == (namespace, metric), name
        assert alarm["ComparisonOperator"] == operator, name
        assert alarm["Threshold"] == threshold, name
        assert [a.endswith(TOPIC_SUFFIX) for a in alarm["AlarmActions"]] == [True], name
        assert [a.endswith(TOPIC_SUFFIX) for a in alarm["OKActions"]] == [True], name
    assert alarms[PREFIX + "-alb-latency-p95"]["ExtendedStatistic"] == "p95"
    assert alarms[PREFIX + "-backend-running-tasks-low"]["Dimensions"] == [
        {"Name": "ClusterName", "Value": PREFIX}, {"Name": "ServiceName", "Value": "backend"}]


def test_5xx_rate_is_metric_math_over_both_5xx_counts_and_requests(prod):
    metrics = prod["converged_alarms"][PREFIX + "-alb-5xx-rate"]["Metrics"]
    expression = [m for m in metrics if m.get("ReturnData")]
    assert len(expression) == 1 and "/ requests" in expression[0]["Expression"]
    counted = {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m}
    assert sorted(counted.values()) == ["HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "RequestCount"]
    assert all(m["MetricStat"]["Stat"] == "Sum" for m in metrics if "MetricStat" in m)
    assert all(re.search(r"\b%s\b" % query_id, expression[0]["Expression"]) for query_id in counted)


def _diff_header(run_):
    """The alarm set's diff header: '+++ after: updated: <names>' (cloudwatch_alarm_set names every alarm)."""
    headers = re.findall(r"^\+\+\+ after: (.*)$", run_.stdout, re.M)
    assert len(headers) == 1, run_.tail()
    return headers[0]


def test_changing_one_threshold_updates_exactly_that_alarm(prod):
    run_ = prod["threshold"]
    assert run_.rc == 0, run_.tail()
    assert run_.changed == 1, run_.changed_tasks()
    assert _diff_header(run_) == "updated: %s-db-cpu-high" % PREFIX
    before, after = prod["converged_alarms"], prod["after_threshold"]
    assert after[PREFIX + "-db-cpu-high"]["Threshold"] == 90.0
    for name in before:
        if name != PREFIX + "-db-cpu-high":
            assert after[name] == before[name], "%s changed too" % name


def test_removing_an_alarm_from_the_inventory_deletes_it(prod):
    run_ = prod["removal"]
    assert run_.rc == 0, run_.tail()
    assert [task.split(" : ")[-1] for task in run_.changed_tasks()] == [
        "Ensure the dashboards (service health, resource utilisation, error rates, request patterns)",
        "Make the environment's alarm set match the plan"]
    assert _diff_header(run_) == "removed: %s-db-free-storage-low" % PREFIX
    assert set(prod["after_threshold"]) - set(prod["after_removal"]) == {PREFIX + "-db-free-storage-low"}
    assert set(prod["after_removal"]) < set(prod["after_threshold"])


def test_log_groups_have_retention_and_the_logs_key(emulator, prod):
    groups = {g["logGroupName"]: g for g in emulator.client("logs").describe_log_groups()["logGroups"]}
    key = emulator.client("kms").describe_key(KeyId="alias/%s-logs" % PREFIX)["KeyMetadata"]["Arn"]
    # One RDS group per exported log type, as the data tier's inventory exports them.
    data = yaml.safe_load((REPO / INVENTORY / "group_vars/all/data.yml").read_text())
    expected = {"/ecs/%s/backend" % PREFIX: 90, "/ecs/%s/frontend" % PREFIX: 90}
    expected.update({"/aws/rds/instance/%s-db/%s" % (PREFIX, export): 30
                     for export in data.get("rds_log_exports", ["postgresql"])})
    assert "/aws/rds/instance/%s-db/postgresql" % PREFIX in expected
    for name, days in expected.items():
        assert groups[name]["retentionInDays"] == days, name
        assert groups[name]["kmsKeyId"] == key, name


def test_alert_topic_is_encrypted_and_subscribed(emulator, prod):
    sns = emulator.client("sns")
    [arn] = [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(TOPIC_SUFFIX)]
    key = emulator.client("kms").describe_key(KeyId="alias/%s-logs" % PREFIX)["KeyMetadata"]["Arn"]
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"] == key
    subscribed = [(s["Protocol"], s["Endpoint"]) for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]]
    assert subscribed == [(s["protocol"], s["endpoint"]) for s in PROD_VARS["cloudwatch_alert_subscriptions"]]


def _existing_dimension_values(emulator):
    elbv2, ecs = emulator.client("elbv2"), emulator.client("ecs")

    def suffix(arn):
        return arn.split(":", 5)[-1].replace("loadbalancer/", "", 1)

    clusters = {c["clusterName"] for c in ecs.describe_clusters(clusters=[PREFIX])["clusters"] if c["status"] == "ACTIVE"}
    return {
        "ClusterName": clusters,
        "ServiceName": {s["serviceName"] for c in clusters
                        for s in ecs.describe_services(cluster=c, services=["backend", "frontend"])["services"]},
        "LoadBalancer": {suffix(lb["LoadBalancerArn"]) for lb in elbv2.describe_load_balancers()["LoadBalancers"]},
        "TargetGroup": {suffix(tg["TargetGroupArn"]) for tg in elbv2.describe_target_groups()["TargetGroups"]},
        "DBInstanceIdentifier": {db["DBInstanceIdentifier"]
                                 for db in emulator.client("rds").describe_db_instances()["DBInstances"]},
    }


def _metric_rows(widget):
    for row in widget["properties"].get("metrics", []):
        names = [item for item in row if isinstance(item, str)]
        if len(names) >= 2:  # rows that are only an expression carry no metric
            yield names[0], names[1], dict(zip(names[2::2], names[3::2]))


def test_every_dashboard_metric_refers_to_an_existing_resource(emulator, prod):
    cw = emulator.client("cloudwatch")
    existing = _existing_dimension_values(emulator)
    log_groups = {g["logGroupName"] for g in emulator.client("logs").describe_log_groups()["logGroups"]}
    alarm_arns = {a["AlarmArn"] for a in cw.describe_alarms()["MetricAlarms"]}
    names = sorted(d["DashboardName"] for d in cw.list_dashboards(DashboardNamePrefix=PREFIX)["DashboardEntries"])
    assert names == sorted("%s-%s" % (PREFIX, n) for n in
                           ("service-health", "resource-utilisation", "error-rates", "request-patterns"))
    seen = set()
    for name in names:
        for widget in json.loads(cw.get_dashboard(DashboardName=name)["DashboardBody"])["widgets"]:
            if widget["type"] == "metric":
                for namespace, metric, dims in _metric_rows(widget):
                    assert dims, "%s: %s/%s has no dimension" % (name, namespace, metric)
                    for dim, value in dims.items():
                        assert dim in existing, "%s: unexpected dimension %s" % (name, dim)
                        assert value in existing[dim], "%s: %s/%s %s=%s does not exist" % (name, namespace, metric, dim, value)
                        seen.add(dim)
            elif widget["type"] == "log":
                for group in re.findall(r"SOURCE '([^']+)'", widget["properties"]["query"]):
                    assert group in log_groups, "%s: log group %s does not exist" % (name, group)
            elif widget["type"] == "alarm":
                missing = set(widget["properties"]["alarms"]) - alarm_arns
                assert not missing, "%s: alarms that do not exist: %s" % (name, missing)
    assert seen == set(existing), "some resources are on no dashboard: %s" % (set(existing) - seen)


def test_alarm_dimensions_refer_to_existing_resources(emulator, prod):
    existing = _existing_dimension_values(emulator)
    for name, alarm in prod["converged_alarms"].items():
        dimensions = list(alarm.get("Dimensions") or [])
        for query in alarm.get("Metrics") or []:
            dimensions += query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])
        assert dimensions, name
        for dim in dimensions:
            assert dim["Value"] in existing[dim["Name"]], "%s: %s=%s does not exist" % (name, dim["Name"], dim["Value"])


def _alarms_with(kind, **options):
    alarms = copy.deepcopy(PROD_VARS["cloudwatch_alarms"])
    alarms[kind].update(options)
    return alarms


# Validation reports every problem at once, so one run proves several alarm-plan checks.
BAD_ALARMS = _alarms_with("ecs_cpu_high", threshold=150)
BAD_ALARMS["alb_5xx_rate"]["threshold"] = -1
BAD_ALARMS["alb_latency_p95"]["statistic"] = "Median"
BAD_ALARMS["rds_cpu_high"]["period"] = 45
BAD_ALARMS["disk_full"] = {"threshold": 1}
BAD_INPUTS = [
    ({"cloudwatch_alarms": BAD_ALARMS},
     ["cloudwatch_alarms.ecs_cpu_high.threshold", "cloudwatch_alarms.alb_5xx_rate.threshold",
      "cloudwatch_alarms.alb_latency_p95.statistic", "cloudwatch_alarms.rds_cpu_high.period", "disk_full"]),
    ({"cloudwatch_alert_subscriptions": []}, ["cloudwatch_alert_subscriptions"]),
    ({"cloudwatch_db_instance_class": "db.z9.huge"}, ["cloudwatch_db_instance_class"]),
    ({"cloudwatch_app_log_retention_days": 31}, ["cloudwatch_app_log_retention_days"]),
]


@pytest.mark.parametrize("override,variables", BAD_INPUTS,
                         ids=["alarm-plan", "no-alert-subscription", "unknown-db-class", "retention"])
def test_bad_input_fails_before_any_aws_call(emulator, override, variables):
    calls_before = api_calls_seen(emulator)
    run_ = run(emulator, extra_vars=override)
    assert run_.rc != 0
    for variable in variables:
        assert variable in run_.stdout, "the failure should name %s:\n%s" % (variable, run_.tail())
    assert api_calls_seen(emulator) == calls_before, "an AWS call was made before validation failed"
