# -*- coding: utf-8 -*-
"""Count what exists in the emulator, by kind: the yardstick for "no resource duplicated"."""

from __future__ import annotations

import collections

from botocore.exceptions import ClientError


def _safe(fn):
    try:
        return fn()
    except ClientError:
        return []


def census(emulator, prefix="life-world-os-local") -> dict:
    ec2, counts = emulator.client("ec2"), collections.Counter()
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [prefix + "-vpc"]}])["Vpcs"]
    counts["vpc"] = len(vpcs)
    vpc_ids = [v["VpcId"] for v in vpcs]
    if vpc_ids:
        in_vpc = [{"Name": "vpc-id", "Values": vpc_ids}]
        counts["subnet"] = len(ec2.describe_subnets(Filters=in_vpc)["Subnets"])
        counts["route_table"] = len(ec2.describe_route_tables(Filters=in_vpc)["RouteTables"])
        counts["security_group"] = len(ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"])
        counts["nat_gateway"] = len([n for n in ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]
                                     if n["State"] != "deleted"])
        counts["internet_gateway"] = len(ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": vpc_ids}])["InternetGateways"])
        counts["flow_log"] = len(ec2.describe_flow_logs(
            Filters=[{"Name": "resource-id", "Values": vpc_ids}])["FlowLogs"])
    counts["elastic_ip"] = len(ec2.describe_addresses()["Addresses"])
    counts["log_group"] = len(emulator.client("logs").describe_log_groups()["logGroups"])
    counts["iam_role"] = len([r for r in emulator.client("iam").list_roles()["Roles"] if r["RoleName"].startswith(prefix)])
    counts["kms_alias"] = len([a for a in emulator.client("kms").list_aliases()["Aliases"] if prefix in a["AliasName"]])
    counts["kms_key"] = len(emulator.client("kms").list_keys()["Keys"])
    counts["secret"] = len(emulator.client("secretsmanager").list_secrets()["SecretList"])
    counts["db_instance"] = len(_safe(lambda: emulator.client("rds").describe_db_instances()["DBInstances"]))
    counts["ecr_repository"] = len(emulator.client("ecr").describe_repositories()["repositories"])
    ecs = emulator.client("ecs")
    counts["task_definition"] = len(ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"])
    # AWS stops listing a deleted cluster or service; the emulator lists it on as INACTIVE, so only ACTIVE ones count.
    clusters = ecs.list_clusters()["clusterArns"]
    for cluster in ecs.describe_clusters(clusters=clusters)["clusters"] if clusters else []:
        if cluster["status"] != "ACTIVE":
            continue
        counts["ecs_cluster"] += 1
        services = ecs.list_services(cluster=cluster["clusterArn"])["serviceArns"]
        counts["ecs_service"] += len([s for s in ecs.describe_services(cluster=cluster["clusterArn"], services=services)[
            "services"] if s["status"] == "ACTIVE"]) if services else 0
    elbv2 = emulator.client("elbv2")
    balancers = elbv2.describe_load_balancers()["LoadBalancers"]
    counts["load_balancer"] = len(balancers)
    counts["target_group"] = len(elbv2.describe_target_groups()["TargetGroups"])
    for lb in balancers:
        counts["listener"] += len(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"])
    cloudwatch = emulator.client("cloudwatch")
    counts["alarm"] = len(cloudwatch.describe_alarms()["MetricAlarms"])
    counts["dashboard"] = len(cloudwatch.list_dashboards()["DashboardEntries"])
    counts["sns_topic"] = len(emulator.client("sns").list_topics()["Topics"])
    zones = emulator.client("route53").list_hosted_zones()["HostedZones"]
    counts["hosted_zone"] = len(zones)
    for zone in zones:
        counts["dns_record"] += len(emulator.client("route53").list_resource_record_sets(
            HostedZoneId=zone["Id"])["ResourceRecordSets"])
    counts["certificate"] = len(emulator.client("acm").list_certificates()["CertificateSummaryList"])
    return {kind: n for kind, n in sorted(counts.items()) if n}
