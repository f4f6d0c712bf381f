# -*- coding: utf-8 -*-
"""lifeworld.production.wafv2_web_acl_association against moto's in-process mock."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import wafv2_web_acl_association


def _web_acl(wafv2, name):
    return wafv2.create_web_acl(
        Name=name,
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": name},
    )["Summary"]["ARN"]


@pytest.fixture
def setup(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.42.0.0/24", "us-east-1a"), ("10.42.1.0/24", "us-east-1b"))
    ]
    alb = aws.client("elbv2").create_load_balancer(Name="lifeworld-test-alb", Subnets=subnets)["LoadBalancers"][0]
    wafv2 = aws.client("wafv2")
    return {"wafv2": wafv2, "alb": alb["LoadBalancerArn"], "acl": _web_acl(wafv2, "ours"), "other": _web_acl(wafv2, "theirs")}


def associated(setup):
    return (setup["wafv2"].get_web_acl_for_resource(ResourceArn=setup["alb"]).get("WebACL") or {}).get("ARN")


def run(run_module, args, **kwargs):
    result = run_module(wafv2_web_acl_association, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_associates_and_then_reports_no_change(setup, run_module):
    args = {"resource_arn": setup["alb"], "web_acl_arn": setup["acl"]}

    first = run(run_module, args)
    second = run(run_module, args)

    assert first["changed"] is True and second["changed"] is False
    assert associated(setup) == setup["acl"]
    assert second["web_acl_arn"] == setup["acl"]


def test_check_mode_reports_without_associating(setup, run_module):
    result = run(run_module, {"resource_arn": setup["alb"], "web_acl_arn": setup["acl"]}, check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["diff"] == {"before": {}, "after": {"web_acl_arn": setup["acl"]}}
    assert associated(setup) is None


def test_replaces_another_web_acl(setup, run_module):
    setup["wafv2"].associate_web_acl(WebACLArn=setup["other"], ResourceArn=setup["alb"])

    result = run(run_module, {"resource_arn": setup["alb"], "web_acl_arn": setup["acl"]})

    assert result["changed"] is True and result["previous_web_acl_arn"] == setup["other"]
    assert associated(setup) == setup["acl"]


def test_absent_with_an_arn_leaves_another_web_acls_association(setup, run_module):
    setup["wafv2"].associate_web_acl(WebACLArn=setup["other"], ResourceArn=setup["alb"])

    result = run(run_module, {"resource_arn": setup["alb"], "web_acl_arn": setup["acl"], "state": "absent"})

    assert result["changed"] is False
    assert associated(setup) == setup["other"]


def test_absent_disassociates(setup, run_module):
    run(run_module, {"resource_arn": setup["alb"], "web_acl_arn": setup["acl"]})

    check = run(run_module, {"resource_arn": setup["alb"], "state": "absent"}, check_mode=True)
    assert check["changed"] is True and associated(setup) == setup["acl"]
    result = run(run_module, {"resource_arn": setup["alb"], "state": "absent"})
    again = run(run_module, {"resource_arn": setup["alb"], "state": "absent"})

    assert result["changed"] is True and again["changed"] is False
    assert associated(setup) is None
