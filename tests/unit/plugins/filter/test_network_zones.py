# -*- coding: utf-8 -*-
"""Zones chosen by zone ID: resolve_zone_ids maps the inventory's IDs to the names DescribeAvailabilityZones gives
this account (moto's us-east-1 here, read the way amazon.aws.aws_az_info returns it), and subnets_by_tier orders
subnets by those IDs."""

import boto3
import moto
import pytest
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.lifeworld.production.plugins.filter import network


@pytest.fixture
def zones(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto.mock_aws():
        answer = boto3.client("ec2", region_name="us-east-1").describe_availability_zones()["AvailabilityZones"]
    return [camel_dict_to_snake_dict(zone) for zone in answer]


def test_zone_ids_map_to_this_accounts_names(zones):
    expected = {zone["zone_id"]: zone["zone_name"] for zone in zones}
    resolved = network.resolve_zone_ids(zones, ["use1-az2", "use1-az1"])
    assert resolved["missing"] == []
    # Inventory order is kept, and each name is the one the endpoint pairs with that ID (not the alphabetical one).
    assert resolved["names"] == [expected["use1-az2"], expected["use1-az1"]]
    assert resolved["ids"] == ["use1-az2", "use1-az1"]


def test_an_unknown_zone_id_is_named_with_the_ones_available(zones):
    resolved = network.resolve_zone_ids(zones, ["use1-az1", "use1-az9"])
    assert resolved["missing"] == ["use1-az9"]
    assert resolved["available"] == sorted(zone["zone_id"] for zone in zones)
    assert "use1-az9" not in resolved["available"]


def test_a_count_takes_the_first_zones_in_zone_id_order(zones):
    by_id = sorted(zones, key=lambda zone: zone["zone_id"])
    resolved = network.resolve_zone_ids(zones, [], 3)
    assert resolved["ids"] == [zone["zone_id"] for zone in by_id[:3]]
    assert resolved["names"] == [zone["zone_name"] for zone in by_id[:3]]
    assert len(network.resolve_zone_ids(zones, [], 9)["names"]) == len(zones)


def test_an_unavailable_zone_counts_as_missing(zones):
    impaired = [dict(zone, state="impaired") if zone["zone_id"] == "use1-az1" else zone for zone in zones]
    assert network.resolve_zone_ids(impaired, ["use1-az1", "use1-az2"])["missing"] == ["use1-az1"]


def test_zone_plan_is_the_ids_or_placeholders_for_a_count():
    assert network.zone_plan(["use1-az1", "use1-az2"], 5) == ["use1-az1", "use1-az2"]
    assert len(network.zone_plan([], 3)) == 3
    assert network.network_problems("10.0.0.0/16", network.zone_plan([], 1), {}, "vpc_availability_zone_count")[0] \
        .startswith("vpc_availability_zone_count: at least 2")


def test_subnets_are_ordered_by_the_inventorys_zone_ids():
    subnets = [
        {"subnet_id": "subnet-a", "availability_zone": "us-east-1a", "availability_zone_id": "use1-az6",
         "cidr_block": "10.0.0.0/24", "tags": {"Tier": "public"}},
        {"subnet_id": "subnet-b", "availability_zone": "us-east-1b", "availability_zone_id": "use1-az1",
         "cidr_block": "10.0.1.0/24", "tags": {"Tier": "public"}},
    ]
    by_ids = network.subnets_by_tier(subnets, ["use1-az1", "use1-az6"])["public"]
    assert [s["id"] for s in by_ids] == ["subnet-b", "subnet-a"]
    assert by_ids[0]["az_id"] == "use1-az1"
    by_names = network.subnets_by_tier(subnets, ["us-east-1a", "us-east-1b"])["public"]
    assert [s["id"] for s in by_names] == ["subnet-a", "subnet-b"]
