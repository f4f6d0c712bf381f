# -*- coding: utf-8 -*-
"""lifeworld.production.elbv2_load_balancer_attributes against moto's in-process mock."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import elbv2_load_balancer_attributes

NAME = "lifeworld-test-alb"
WANTED = {
    "routing.http.drop_invalid_header_fields.enabled": True,
    "deletion_protection.enabled": True,
    "idle_timeout.timeout_seconds": 60,
}


@pytest.fixture
def elbv2(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.42.0.0/24", "us-east-1a"), ("10.42.1.0/24", "us-east-1b"))
    ]
    client = aws.client("elbv2")
    client.create_load_balancer(Name=NAME, Subnets=subnets, Scheme="internet-facing", Type="application")
    return client


def attributes(elbv2):
    arn = elbv2.describe_load_balancers(Names=[NAME])["LoadBalancers"][0]["LoadBalancerArn"]
    return {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}


def run(run_module, args, **kwargs):
    result = run_module(elbv2_load_balancer_attributes, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_sets_the_given_attributes_as_api_strings(elbv2, run_module):
    result = run(run_module, {"name": NAME, "attributes": WANTED})

    assert result["changed"] is True
    current = attributes(elbv2)
    assert current["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert current["deletion_protection.enabled"] == "true"
    assert current["idle_timeout.timeout_seconds"] == "60"
    assert sorted(result["changed_attributes"]) == sorted(WANTED)


def test_second_run_reports_no_change(elbv2, run_module):
    run(run_module, {"name": NAME, "attributes": WANTED})

    result = run(run_module, {"name": NAME, "attributes": WANTED})

    assert result["changed"] is False and result["changed_attributes"] == []


def test_check_mode_reports_the_diff_and_changes_nothing(elbv2, run_module):
    before = attributes(elbv2)

    result = run(run_module, {"name": NAME, "attributes": {"deletion_protection.enabled": True}}, check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["diff"]["before"] == {"deletion_protection.enabled": "false"}
    assert result["diff"]["after"] == {"deletion_protection.enabled": "true"}
    assert attributes(elbv2) == before


def test_other_attributes_are_left_alone(elbv2, run_module):
    run(run_module, {"name": NAME, "attributes": WANTED})

    result = run(run_module, {"name": NAME, "attributes": {"idle_timeout.timeout_seconds": 120}})

    assert result["changed_attributes"] == ["idle_timeout.timeout_seconds"]
    assert attributes(elbv2)["deletion_protection.enabled"] == "true"


def test_missing_load_balancer_fails_naming_it(elbv2, run_module):
    result = run_module(elbv2_load_balancer_attributes, {"name": "nope", "attributes": WANTED})

    assert result["failed"] is True and "nope" in result["msg"]
