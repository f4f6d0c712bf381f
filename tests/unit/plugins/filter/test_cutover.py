# -*- coding: utf-8 -*-
"""The DNS cutover filters: legacy target checks and records, where the name points, and the TTL gate."""

import pytest

from ansible_collections.lifeworld.production.plugins.filter.cutover import (
    cutover_alb_records,
    cutover_differences,
    cutover_gate,
    cutover_legacy_records,
    cutover_marker,
    cutover_state,
    cutover_with_ttl,
    legacy_target_problems,
)

NAME = "prod.lifeworld.com"
ALB = {"dns_name": "life-world-os-production-alb-1.us-east-1.elb.amazonaws.com", "canonical_hosted_zone_id": "Z35SXDOTRQ7X7K"}


def a_record(values, ttl=300, record_type="A", name=NAME + "."):
    return {"name": name, "type": record_type, "ttl": ttl, "resource_records": [{"value": v} for v in values]}


def alias_record(dns_name=ALB["dns_name"], record_type="A"):
    return {"name": NAME + ".", "type": record_type,
            "alias_target": {"dns_name": dns_name, "hosted_zone_id": "Z35SXDOTRQ7X7K", "evaluate_target_health": True}}


@pytest.mark.parametrize("target, fragment", [
    ({}, "route53_legacy_target: set {addresses"),
    ({"addresses": ["203.0.113.10"], "cname": "old.example.net"}, "exactly one of addresses and cname"),
    ({"addresses": ["203.0.113.300"]}, "route53_legacy_target.addresses[0]: '203.0.113.300' is not an IP address"),
    ({"addresses": ["203.0.113.10", "203.0.113.10"]}, "duplicate addresses"),
    ({"cname": "not a name"}, "route53_legacy_target.cname"),
    ({"cname": "PROD.lifeworld.com."}, "is the site's own name"),
    ({"ip": "203.0.113.10"}, "unknown keys ['ip']"),
])
def test_bad_legacy_targets_are_named(target, fragment):
    problems = legacy_target_problems(target, NAME, "lifeworld.com")
    assert any(fragment in problem for problem in problems), problems


def test_a_cname_at_the_zone_apex_is_refused_and_good_targets_pass():
    assert "cannot be a CNAME" in legacy_target_problems({"cname": "old.example.net"}, "lifeworld.com", "lifeworld.com")[0]
    assert legacy_target_problems({"cname": "old.example.net"}, NAME, "lifeworld.com") == []
    assert legacy_target_problems({"addresses": ["203.0.113.10", "2001:db8::10"]}, NAME, "lifeworld.com") == []


def test_legacy_records_split_ipv4_and_ipv6_or_give_one_cname():
    assert cutover_legacy_records({"addresses": ["203.0.113.10", "2001:db8::10", "203.0.113.11"]}, 60) == [
        {"type": "A", "ttl": 60, "values": ["203.0.113.10", "203.0.113.11"]},
        {"type": "AAAA", "ttl": 60, "values": ["2001:db8::10"]},
    ]
    assert cutover_legacy_records({"cname": "old.example.net."}, 300) == [{"type": "CNAME", "ttl": 300, "values": ["old.example.net"]}]


def test_alb_records_match_the_route53_roles_alias():
    [record] = cutover_alb_records(ALB)
    assert record == {"type": "A", "alias": {"dns_name": ALB["dns_name"], "hosted_zone_id": "Z35SXDOTRQ7X7K",
                                             "evaluate_target_health": True}}
    assert [r["type"] for r in cutover_alb_records(ALB, ipv6=True)] == ["A", "AAAA"]
    assert cutover_alb_records({}) == []


def test_state_tells_legacy_alb_other_alias_none_and_routed_apart():
    txt = {"name": NAME + ".", "type": "TXT", "ttl": 60, "resource_records": [{"value": '"x"'}]}
    others = [a_record(["192.0.2.1"], name="other.lifeworld.com."), txt]
    legacy = cutover_state(others + [a_record(["203.0.113.10"]), a_record(["2001:db8::10"], 900, "AAAA")], NAME, ALB)
    assert (legacy["kind"], legacy["ttl"]) == ("legacy", 900)
    assert legacy["summary"] == "A 203.0.113.10 (TTL 300 s); AAAA 2001:db8::10 (TTL 900 s)"
    assert cutover_state(others + [alias_record("dualstack." + ALB["dns_name"].upper() + ".")], NAME, ALB)["kind"] == "alb"
    assert cutover_state([alias_record("d111.cloudfront.net")], NAME, ALB)["kind"] == "alias"
    assert cutover_state(others, NAME, ALB)["kind"] == "none"
    routed = dict(alias_record(), set_identifier="primary", failover="PRIMARY")
    assert cutover_state([routed], NAME, ALB)["kind"] == "routed"


def test_with_ttl_only_lowers_and_leaves_aliases():
    records = [{"type": "A", "ttl": 300, "values": ["203.0.113.10"]}, {"type": "AAAA", "ttl": 30, "values": ["2001:db8::10"]},
               {"type": "A", "alias": {"dns_name": "x"}}]
    assert [r.get("ttl") for r in cutover_with_ttl(records, 60)] == [60, 30, None]


def test_marker_is_read_from_the_txt_note():
    note = a_record(['"lowered_at=1700000000 old_ttl=3600"'], 60, "TXT", "_cutover." + NAME + ".")
    assert cutover_marker([a_record(["203.0.113.10"]), note], NAME) == {"lowered_at": 1700000000, "old_ttl": 3600}
    assert cutover_marker([a_record(["203.0.113.10"])], NAME) == {}


@pytest.mark.parametrize("state, marker, now, ready, fragment", [
    ({"kind": "legacy", "ttl": 3600}, {}, 0, False, "the TTL is 3600 s, not lowered"),
    ({"kind": "legacy", "ttl": 60}, {}, 0, False, "no record of when the TTL was lowered"),
    ({"kind": "legacy", "ttl": 60}, {"lowered_at": 1000, "old_ttl": 3600}, 1100, False, "wait 3500 s more"),
    ({"kind": "legacy", "ttl": 60}, {"lowered_at": 1000, "old_ttl": 3600}, 4600, True, "lowered 3600 s ago"),
    ({"kind": "alb", "ttl": None}, {}, 0, True, "already points at the ALB"),
    ({"kind": "alias", "ttl": None}, {}, 0, True, "alias records have no TTL"),
    ({"kind": "none", "ttl": None}, {}, 0, True, "no record yet"),
    ({"kind": "routed", "ttl": None, "summary": "records with a routing policy (primary)"}, {}, 0, False, "simple records only"),
])
def test_gate_waits_out_the_old_ttl(state, marker, now, ready, fragment):
    gate = cutover_gate(state, marker, now, 60)
    assert gate["ready"] is ready and fragment in gate["reason"], gate


def test_differences_ignore_order_case_and_dualstack():
    state = cutover_state([alias_record("DUALSTACK." + ALB["dns_name"] + ".")], NAME, ALB)
    assert cutover_differences(state, cutover_alb_records(ALB)) == []
    legacy = cutover_state([a_record(["203.0.113.11", "203.0.113.10"], 60)], NAME, ALB)
    assert cutover_differences(legacy, [{"type": "A", "ttl": 60, "values": ["203.0.113.10", "203.0.113.11"]}]) == []
    assert cutover_differences(legacy, [{"type": "A", "ttl": 300, "values": ["203.0.113.10", "203.0.113.11"]}])
    [difference] = cutover_differences(legacy, cutover_alb_records(ALB))
    assert "published: A 203.0.113.11, 203.0.113.10 (TTL 60 s)" in difference and "expected: A alias" in difference
