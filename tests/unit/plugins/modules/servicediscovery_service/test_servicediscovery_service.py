# -*- coding: utf-8 -*-
"""lifeworld.production.servicediscovery_service against moto's in-process mock."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import servicediscovery_service


@pytest.fixture
def namespace_id(aws):
    client = aws.client("servicediscovery")
    vpc_id = aws.client("ec2").create_vpc(CidrBlock="10.51.0.0/16")["Vpc"]["VpcId"]
    operation = client.create_private_dns_namespace(Name="test.life-world-os.internal", Vpc=vpc_id)["OperationId"]
    return client.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]


@pytest.fixture
def args(namespace_id):
    return {"name": "backend", "namespace_id": namespace_id, "description": "backend tasks",
            "dns_records": [{"type": "A", "ttl": 10}], "tags": {"Component": "compute"}}


def services(aws, namespace_id):
    filters = [{"Name": "NAMESPACE_ID", "Values": [namespace_id]}]
    return aws.client("servicediscovery").list_services(Filters=filters)["Services"]


def run(run_module, args, **kwargs):
    result = run_module(servicediscovery_service, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_create_makes_a_multivalue_a_record_service_with_custom_health(aws, namespace_id, args, run_module):
    result = run(run_module, args)

    [service] = services(aws, namespace_id)
    assert result["changed"] is True
    assert result["service"]["arn"] == service["Arn"]
    assert service["DnsConfig"] == {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]}
    assert service["HealthCheckCustomConfig"] == {"FailureThreshold": 1}


def test_second_run_is_a_no_op(aws, namespace_id, args, run_module):
    first = run(run_module, args)
    second = run(run_module, args)

    assert second["changed"] is False
    assert second["service"]["id"] == first["service"]["id"]
    assert len(services(aws, namespace_id)) == 1


def test_check_mode_creates_nothing(aws, namespace_id, args, run_module):
    result = run(run_module, args, check_mode=True, diff=True)

    assert result["changed"] is True and result["diff"]["after"]["name"] == "backend"
    assert services(aws, namespace_id) == []


def test_ttl_and_description_are_updated_in_place(aws, namespace_id, args, run_module):
    first = run(run_module, args)

    result = run(run_module, dict(args, description="api", dns_records=[{"type": "A", "ttl": 30}]), diff=True)

    assert result["changed"] is True
    assert result["diff"]["before"] == {"description": "backend tasks", "dns_records": [{"type": "A", "ttl": 10}]}
    service = aws.client("servicediscovery").get_service(Id=first["service"]["id"])["Service"]
    assert service["Description"] == "api" and service["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 30}]


def test_check_mode_update_touches_nothing(aws, namespace_id, args, run_module):
    first = run(run_module, args)

    assert run(run_module, dict(args, dns_records=[{"type": "A", "ttl": 60}]), check_mode=True)["changed"] is True
    service = aws.client("servicediscovery").get_service(Id=first["service"]["id"])["Service"]
    assert service["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 10}]


def test_immutable_change_fails_and_says_why(aws, namespace_id, args, run_module):
    run(run_module, args)

    result = run_module(servicediscovery_service, dict(args, routing_policy="WEIGHTED"))

    assert result.get("failed") is True
    assert "routing_policy" in result["msg"] and "cannot be changed in place" in result["msg"]


def test_absent_deletes(aws, namespace_id, args, run_module):
    run(run_module, args)

    assert run(run_module, dict(args, state="absent"))["changed"] is True
    assert services(aws, namespace_id) == []
    assert run(run_module, dict(args, state="absent"))["changed"] is False
