# -*- coding: utf-8 -*-
"""lifeworld.production.route53_records against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import route53_records

NAME = "prod.lifeworld.example.com"
ALB = {"dns_name": "life-world-os-production-alb-1.us-east-1.elb.amazonaws.com", "hosted_zone_id": "Z35SXDOTRQ7X7K",
       "evaluate_target_health": True}


@pytest.fixture
def route53(aws):
    return aws.client("route53")


@pytest.fixture
def zone_id(route53):
    return route53.create_hosted_zone(Name="lifeworld.example.com", CallerReference="unit")["HostedZone"]["Id"]


def seed(route53, zone_id, record_type, values, ttl=300, name=NAME):
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": name, "Type": record_type, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values]}}]})


def published(route53, zone_id, name=NAME):
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {r["Type"]: r for r in records if r["Name"] == name + "."}


def test_cname_becomes_an_alias_in_one_change_and_then_converges(route53, zone_id, run_module):
    seed(route53, zone_id, "CNAME", ["legacy.lifeworld.example.net"])
    args = {"hosted_zone_id": zone_id, "name": NAME, "records": [{"type": "A", "alias": ALB}], "wait": True}

    result = run_module(route53_records, args)
    assert result["changed"] is True, result
    assert result["status"] == "INSYNC"
    assert result["previous_records"][0]["values"] == ["legacy.lifeworld.example.net"]
    records = published(route53, zone_id)
    assert list(records) == ["A"]
    assert records["A"]["AliasTarget"]["DNSName"] == ALB["dns_name"]
    assert records["A"]["AliasTarget"]["EvaluateTargetHealth"] is True

    again = run_module(route53_records, args)
    assert again["changed"] is False, again
    assert "change_id" not in again


def test_dualstack_prefix_case_and_trailing_dot_are_no_difference(route53, zone_id, run_module):
    alias = dict(ALB, dns_name="dualstack." + ALB["dns_name"].upper() + ".")
    run_module(route53_records, {"hosted_zone_id": zone_id, "name": NAME, "records": [{"type": "A", "alias": alias}]})
    result = run_module(route53_records, {"hosted_zone_id": zone_id, "name": NAME, "records": [{"type": "A", "alias": ALB}]})
    assert result["changed"] is False, result


def test_lowering_the_ttl_keeps_the_values(route53, zone_id, run_module):
    seed(route53, zone_id, "A", ["192.0.2.10", "192.0.2.11"])
    args = {"hosted_zone_id": zone_id, "name": NAME + ".",
            "records": [{"type": "A", "ttl": 60, "values": ["192.0.2.11", "192.0.2.10"]}]}
    assert run_module(route53_records, args)["changed"] is True
    record = published(route53, zone_id)["A"]
    assert record["TTL"] == 60
    assert sorted(v["Value"] for v in record["ResourceRecords"]) == ["192.0.2.10", "192.0.2.11"]
    assert run_module(route53_records, args)["changed"] is False


def test_check_mode_reports_the_change_and_makes_none(route53, zone_id, run_module):
    seed(route53, zone_id, "A", ["192.0.2.10"])
    result = run_module(route53_records, {"hosted_zone_id": zone_id, "name": NAME, "records": [{"type": "A", "alias": ALB}]},
                        check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"][0]["values"] == ["192.0.2.10"]
    assert result["diff"]["after"][0]["alias"]["dns_name"] == ALB["dns_name"]
    assert published(route53, zone_id)["A"]["ResourceRecords"] == [{"Value": "192.0.2.10"}]


def test_alias_back_to_addresses_removes_the_aaaa_and_leaves_other_types(route53, zone_id, run_module):
    seed(route53, zone_id, "TXT", ['"keep me"'])
    run_module(route53_records, {"hosted_zone_id": zone_id, "name": NAME,
                                 "records": [{"type": "A", "alias": ALB}, {"type": "AAAA", "alias": ALB}]})
    result = run_module(route53_records, {"hosted_zone_id": zone_id, "name": NAME,
                                          "records": [{"type": "CNAME", "ttl": 60, "values": ["legacy.lifeworld.example.net"]}]})
    assert result["changed"] is True, result
    records = published(route53, zone_id)
    assert sorted(records) == ["CNAME", "TXT"]
    assert records["CNAME"]["TTL"] == 60


def test_empty_records_delete_the_managed_types(route53, zone_id, run_module):
    seed(route53, zone_id, "TXT", ['"lowered_at=1"'], name="_cutover." + NAME)
    args = {"hosted_zone_id": zone_id, "name": "_cutover." + NAME, "types": ["TXT"], "records": []}
    assert run_module(route53_records, args)["changed"] is True
    assert published(route53, zone_id, "_cutover." + NAME) == {}
    assert run_module(route53_records, args)["changed"] is False


@pytest.mark.parametrize("records, message", [
    # argument-spec rules (mutually_exclusive/required_one_of in the records suboptions) word this one now
    ([{"type": "A", "alias": ALB, "values": ["192.0.2.1"], "ttl": 60}], "mutually exclusive: alias|values"),
    ([{"type": "A", "ttl": 60}], "one of the following is required: alias, values"),
    ([{"type": "A", "values": ["192.0.2.1"]}], "ttl between 0"),
    ([{"type": "A", "ttl": 60, "values": ["192.0.2.1"]}, {"type": "A", "alias": ALB}], "a second A record set"),
    ([{"type": "CNAME", "ttl": 60, "values": ["x.example.net"]}, {"type": "A", "alias": ALB}], "CNAME cannot share"),
    ([{"type": "TXT", "ttl": 60, "values": ['"x"']}], "not one of types"),
])
def test_bad_records_fail_before_any_change(route53, zone_id, run_module, records, message):
    seed(route53, zone_id, "A", ["192.0.2.10"])
    result = run_module(route53_records, {"hosted_zone_id": zone_id, "name": NAME, "records": records})
    assert result.get("failed") is True and message in result["msg"], result
    assert published(route53, zone_id)["A"]["ResourceRecords"] == [{"Value": "192.0.2.10"}]


def test_records_with_a_routing_policy_are_refused(route53, zone_id, run_module):
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": NAME, "Type": "A", "SetIdentifier": "primary", "Failover": "PRIMARY", "AliasTarget": {
            "DNSName": ALB["dns_name"], "HostedZoneId": ALB["hosted_zone_id"], "EvaluateTargetHealth": True}}}]})
    result = run_module(route53_records, {"hosted_zone_id": zone_id, "name": NAME, "records": [{"type": "A", "ttl": 60, "values": ["192.0.2.1"]}]})
    assert result.get("failed") is True and "routing policy" in result["msg"], result


def test_a_missing_zone_is_named(route53, run_module):
    result = run_module(route53_records, {"hosted_zone_id": "/hostedzone/ZNOPE", "name": NAME, "records": []})
    assert result.get("failed") is True and "ZNOPE" in result["msg"], result
