# -*- coding: utf-8 -*-
"""security_group_permissions shows a prefix-list source (the Route 53 health checkers on the ALB) as
DescribeSecurityGroups does, and leaves permissions without one exactly as before."""

from ansible_collections.lifeworld.production.plugins.filter.definitions import security_group_permissions


def test_a_prefix_list_source_is_exported_on_its_port():
    rules = [{"cidr_ip": ["203.0.113.0/26"], "ports": ["443", "80"], "rule_desc": "Clients"},
             {"ip_prefix": ["pl-0abc"], "ports": ["443"], "rule_desc": "Route 53 health checkers"}]

    by_port = {p["FromPort"]: p for p in security_group_permissions(rules)}

    assert by_port[443]["PrefixListIds"] == [{"PrefixListId": "pl-0abc", "Description": "Route 53 health checkers"}]
    assert by_port[443]["IpRanges"] == [{"CidrIp": "203.0.113.0/26", "Description": "Clients"}]
    assert "PrefixListIds" not in by_port[80]
