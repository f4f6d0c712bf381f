# -*- coding: utf-8 -*-
"""The network tier, built by real ansible-playbook runs against the emulator and read back with boto3."""

import ipaddress

import pytest

from .harness import api_calls_seen, run_playbook
from .tiers import TIERS_GROUP, changed_in_roles, shared_tiers

# The network tier is built once for the `tiers` group (tests/integration/tiers.py) with the other tiers' modules
# collected in the same session; alone (make test-quick) it is built with --tags network as before.
pytestmark = pytest.mark.xdist_group(TIERS_GROUP)
TIER_TAGS = "network"
VPC_NAME = "life-world-os-local-vpc"


def _our_vpcs(ec2):
    return ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [VPC_NAME]}])["Vpcs"]


def after_check_on_empty(emulator):
    ec2 = emulator.client("ec2")
    return {"vpcs_after_check_empty": _our_vpcs(ec2), "nat_after_check_empty": ec2.describe_nat_gateways()["NatGateways"]}


@pytest.fixture(scope="module")
def network(emulator, request):
    """Empty emulator → --check → converge → converge again → --check (the shared tiers build); every run kept."""
    tiers = shared_tiers(emulator, request).build()
    runs = dict(tiers.runs, **tiers.probes[__name__])
    vpc = _our_vpcs(emulator.client("ec2"))
    assert len(vpc) == 1, runs["first"].tail()
    runs["vpc"] = vpc[0]
    return runs


def test_check_mode_on_empty_account_creates_nothing(network):
    run = network["check_empty"]
    assert run.rc == 0, run.tail()
    assert run.changed >= 1, "check mode should report the VPC it would create"
    assert changed_in_roles(run, "vpc"), "check mode should report the VPC it would create: %s" % run.changed_tasks()
    assert network["vpcs_after_check_empty"] == []
    assert network["nat_after_check_empty"] == []


def test_first_run_converges(network):
    assert network["first"].rc == 0, network["first"].tail()
    assert network["first"].changed > 0
    assert changed_in_roles(network["first"], "vpc"), network["first"].changed_tasks()


def test_second_run_reports_no_change(network):
    run = network["second"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, "not idempotent: %s" % run.changed_tasks()


def test_check_mode_on_converged_network_reports_no_change(network):
    run = network["check_converged"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, "check mode sees drift on a converged network: %s" % run.changed_tasks()


def test_vpc_has_dns_support_and_hostnames(emulator, network):
    ec2 = emulator.client("ec2")
    vpc_id = network["vpc"]["VpcId"]
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[key]["Value"] is True
    tags = {t["Key"]: t["Value"] for t in network["vpc"]["Tags"]}
    assert tags["Project"] == "life-world-os" and tags["Environment"] == "local"
    assert tags["Component"] == "network" and tags["ManagedBy"] == "ansible"


def _subnets_by_tier(ec2, vpc_id):
    tiers = {}
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]:
        tier = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}.get("Tier")
        tiers.setdefault(tier, []).append(subnet)
    return tiers


def _default_route(ec2, subnet_id):
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
    assert len(tables["RouteTables"]) == 1, "subnet %s should have exactly one explicit route table" % subnet_id
    routes = [r for r in tables["RouteTables"][0]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    return routes[0] if routes else None


def test_every_tier_spans_at_least_two_zones_inside_the_vpc(emulator, network):
    tiers = _subnets_by_tier(emulator.client("ec2"), network["vpc"]["VpcId"])
    assert set(tiers) == {"public", "private", "isolated"}
    vpc_net = ipaddress.ip_network(network["vpc"]["CidrBlock"])
    for tier, subnets in tiers.items():
        assert len({s["AvailabilityZone"] for s in subnets}) >= 2, tier
        for subnet in subnets:
            assert ipaddress.ip_network(subnet["CidrBlock"]).subnet_of(vpc_net)
            assert subnet["MapPublicIpOnLaunch"] is (tier == "public"), subnet["SubnetId"]


def test_routes_public_to_igw_private_to_nat_isolated_nowhere(emulator, network):
    ec2 = emulator.client("ec2")
    tiers = _subnets_by_tier(ec2, network["vpc"]["VpcId"])
    nats = {n["NatGatewayId"]: n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] == "available"}
    for subnet in tiers["public"]:
        assert _default_route(ec2, subnet["SubnetId"])["GatewayId"].startswith("igw-")
    for subnet in tiers["private"]:
        route = _default_route(ec2, subnet["SubnetId"])
        assert route and route.get("NatGatewayId") in nats, "private subnet %s has no NAT route" % subnet["SubnetId"]
        # per_az in the local inventory: the NAT sits in a public subnet of the same zone
        nat_subnet = ec2.describe_subnets(SubnetIds=[nats[route["NatGatewayId"]]["SubnetId"]])["Subnets"][0]
        assert nat_subnet["AvailabilityZone"] == subnet["AvailabilityZone"]
    for subnet in tiers["isolated"]:
        tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}])
        routes = tables["RouteTables"][0]["Routes"]
        assert [r.get("DestinationCidrBlock") for r in routes] == [network["vpc"]["CidrBlock"]], routes


def test_one_nat_gateway_per_zone_and_no_duplicates(emulator, network):
    nats = [n for n in emulator.client("ec2").describe_nat_gateways()["NatGateways"] if n["State"] == "available"]
    assert len(nats) == 2
    assert all({t["Key"]: t["Value"] for t in n.get("Tags", [])}.get("Component") == "network" for n in nats)


def test_flow_logs_active_to_a_log_group_with_retention(emulator, network):
    logs = emulator.client("logs")
    flow = emulator.client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [network["vpc"]["VpcId"]]}]
    )["FlowLogs"]
    assert len(flow) == 1
    assert flow[0]["FlowLogStatus"] == "ACTIVE" and flow[0]["DeliverLogsStatus"] == "SUCCESS"
    assert flow[0]["TrafficType"] == "ALL"
    group = logs.describe_log_groups(logGroupNamePrefix=flow[0]["LogGroupName"])["logGroups"][0]
    assert group["retentionInDays"] == 30
    role = flow[0]["DeliverLogsPermissionArn"].split("/")[-1]
    policy = emulator.client("iam").get_role_policy(RoleName=role, PolicyName="deliver-flow-logs")["PolicyDocument"]
    resources = [s["Resource"] for s in policy["Statement"]]
    assert all(r.endswith(":log-group:%s:*" % flow[0]["LogGroupName"]) for r in resources), resources


def test_subnets_are_in_the_inventorys_zone_ids(emulator, network):
    """inventories/local names zone IDs; the emulator's own names for them are whatever it pairs them with."""
    ec2 = emulator.client("ec2")
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [network["vpc"]["VpcId"]]}])["Subnets"]
    names = {z["ZoneId"]: z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}
    assert len(subnets) == 6
    assert {s["AvailabilityZoneId"] for s in subnets} == {"use1-az1", "use1-az2"}
    assert all(names[s["AvailabilityZoneId"]] == s["AvailabilityZone"] for s in subnets)


BAD_INPUTS = [
    ({"vpc_cidr": "10.40.0.0/33"}, "vpc_cidr"),
    ({"vpc_cidr": "10.40.0.1/16"}, "vpc_cidr"),
    ({"vpc_private_subnet_cidrs": ["10.40.10.0/24", "10.99.11.0/24"]}, "vpc_private_subnet_cidrs[1]"),
    ({"vpc_isolated_subnet_cidrs": ["10.40.20.0/24", "10.40.10.0/25"]}, "vpc_isolated_subnet_cidrs[1]"),
    ({"vpc_availability_zone_ids": ["use1-az1"], "vpc_public_subnet_cidrs": ["10.40.0.0/24"],
      "vpc_private_subnet_cidrs": ["10.40.10.0/24"], "vpc_isolated_subnet_cidrs": ["10.40.20.0/24"]},
     "vpc_availability_zone_ids"),
    ({"vpc_availability_zone_ids": [], "vpc_availability_zone_count": 3}, "vpc_availability_zone_count"),
    ({"vpc_nat_mode": "per_region"}, "vpc_nat_mode"),
    ({"vpc_flow_logs_retention_days": 13}, "vpc_flow_logs_retention_days"),
]


@pytest.mark.parametrize("override,variable", BAD_INPUTS, ids=[case[1] for case in BAD_INPUTS])
def test_bad_input_fails_before_any_aws_call(scratch_emulator, override, variable):
    # On the scratch emulator: the session emulator holds the shared tiers build.
    scratch_emulator.reset()
    calls_before = api_calls_seen(scratch_emulator)
    run = run_playbook(scratch_emulator, tags="network", extra_vars=override)
    assert run.rc != 0
    assert variable in run.stdout, "the failure should name %s:\n%s" % (variable, run.tail())
    assert api_calls_seen(scratch_emulator) == calls_before, "an AWS call was made before validation failed"
    assert _our_vpcs(scratch_emulator.client("ec2")) == []


def test_an_unknown_zone_id_stops_before_anything_is_created_naming_the_regions_ids(scratch_emulator):
    # On the scratch emulator, empty: the session emulator holds the shared tiers build.
    emulator = scratch_emulator
    emulator.reset()
    ec2 = emulator.client("ec2")
    offered = sorted(z["ZoneId"] for z in ec2.describe_availability_zones()["AvailabilityZones"])
    run = run_playbook(emulator, tags="network", extra_vars={"vpc_availability_zone_ids": ["use1-az1", "use1-az9"]})
    output = run.stdout + run.stderr
    assert run.rc != 0
    assert "vpc_availability_zone_ids: use1-az9 not available in us-east-1" in output, run.tail()
    assert "this region offers " + ", ".join(offered) in output, run.tail()
    assert _our_vpcs(ec2) == []
    assert emulator.client("logs").describe_log_groups()["logGroups"] == []
    assert emulator.client("iam").list_roles()["Roles"] == []
