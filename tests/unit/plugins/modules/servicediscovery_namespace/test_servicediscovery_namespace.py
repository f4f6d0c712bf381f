# -*- coding: utf-8 -*-
"""lifeworld.production.servicediscovery_namespace against moto's in-process mock."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import servicediscovery_namespace

NAME = "test.life-world-os.internal"


@pytest.fixture
def vpc_id(aws):
    return aws.client("ec2").create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]


@pytest.fixture
def args(vpc_id):
    return {"name": NAME, "vpc_id": vpc_id, "description": "service discovery", "tags": {"Component": "compute"}}


def namespaces(aws):
    return [ns for ns in aws.client("servicediscovery").list_namespaces()["Namespaces"] if ns["Name"] == NAME]


def run(run_module, args, **kwargs):
    result = run_module(servicediscovery_namespace, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_create_makes_a_private_dns_namespace_with_tags(aws, args, run_module):
    result = run(run_module, args)

    [namespace] = namespaces(aws)
    assert result["changed"] is True
    assert namespace["Type"] == "DNS_PRIVATE" and namespace["Description"] == "service discovery"
    assert result["namespace"]["id"] == namespace["Id"]
    tags = aws.client("servicediscovery").list_tags_for_resource(ResourceARN=namespace["Arn"])["Tags"]
    assert tags == [{"Key": "Component", "Value": "compute"}]


def test_second_run_is_a_no_op_and_creates_no_duplicate(aws, args, run_module):
    first = run(run_module, args)
    second = run(run_module, args)

    assert second["changed"] is False
    assert second["namespace"]["id"] == first["namespace"]["id"]
    assert len(namespaces(aws)) == 1


def test_check_mode_creates_nothing(aws, args, run_module):
    result = run(run_module, args, check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["diff"]["before"] == {} and result["diff"]["after"]["name"] == NAME
    assert namespaces(aws) == []


def test_description_and_tags_are_updated_in_place(aws, args, run_module):
    first = run(run_module, args)

    result = run(run_module, dict(args, description="new", tags={"Component": "compute", "Owner": "platform"}), diff=True)

    assert result["changed"] is True
    assert result["namespace"]["id"] == first["namespace"]["id"]
    assert result["diff"]["after"] == {"description": "new", "tags": {"Component": "compute", "Owner": "platform"}}
    client = aws.client("servicediscovery")
    assert client.get_namespace(Id=first["namespace"]["id"])["Namespace"]["Description"] == "new"
    arn = first["namespace"]["arn"]
    assert {t["Key"] for t in client.list_tags_for_resource(ResourceARN=arn)["Tags"]} == {"Component", "Owner"}


def test_check_mode_on_changes_touches_nothing(aws, args, run_module):
    run(run_module, args)

    result = run(run_module, dict(args, description="new", tags={}), check_mode=True)

    assert result["changed"] is True
    [namespace] = namespaces(aws)
    assert namespace["Description"] == "service discovery"
    client = aws.client("servicediscovery")
    assert client.list_tags_for_resource(ResourceARN=namespace["Arn"])["Tags"] != []


def test_create_without_vpc_fails_naming_vpc_id(aws, run_module):
    result = run_module(servicediscovery_namespace, {"name": NAME})

    assert result.get("failed") is True and "vpc_id" in result["msg"]


def test_absent_deletes_and_then_is_a_no_op(aws, args, run_module):
    run(run_module, args)

    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is True
    assert namespaces(aws) == []
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is False
