# -*- coding: utf-8 -*-
"""The security-group input checks name the variable at fault; the ALB's sources follow the access mode."""

import pytest

from ansible_collections.lifeworld.production.plugins.filter.security_groups import (
    alb_ingress_cidrs,
    security_group_problems,
)

GOOD = {
    "security_groups_access_mode": "ip_restricted",
    "security_groups_allowed_cidrs": ["203.0.113.0/24"],
    "security_groups_client_vpn_cidr": "",
    "security_groups_alb_public": False,
    "security_groups_alb_ports": [443, 80],
    "security_groups_ecs_ports": [3001, 80],
    "security_groups_rds_port": 5432,
    "security_groups_migration_window": False,
    "security_groups_ecs_https_egress_cidrs": ["0.0.0.0/0"],
}


def settings(**overrides):
    return dict(GOOD, **overrides)


def test_sound_settings_have_no_problem():
    assert security_group_problems(GOOD) == []
    assert security_group_problems(settings(security_groups_access_mode="client_vpn",
                                            security_groups_allowed_cidrs=[],
                                            security_groups_client_vpn_cidr="10.99.0.0/22")) == []
    assert security_group_problems(settings(security_groups_access_mode="client_vpn",
                                            security_groups_allowed_cidrs=[],
                                            security_groups_client_vpn_cidr="10.99.0.0/22",
                                            security_groups_migration_window=True)) == []


BAD = [
    ({"security_groups_allowed_cidrs": ["0.0.0.0/0"]}, "security_groups_allowed_cidrs[0]", "whole internet"),
    ({"security_groups_allowed_cidrs": ["203.0.113.0/24", "10.0.0.1/8"]}, "security_groups_allowed_cidrs[1]", "not a valid"),
    ({"security_groups_allowed_cidrs": ["office"]}, "security_groups_allowed_cidrs[0]", "not a valid"),
    ({"security_groups_allowed_cidrs": []}, "security_groups_allowed_cidrs", "at least one"),
    ({"security_groups_access_mode": "open"}, "security_groups_access_mode", "not one of"),
    ({"security_groups_access_mode": "client_vpn"}, "security_groups_client_vpn_cidr", "required"),
    ({"security_groups_access_mode": "client_vpn", "security_groups_client_vpn_cidr": "10.99.0.0/33"},
     "security_groups_client_vpn_cidr", "not a valid"),
    # The standing public path is gone: an inventory still listing a CIDR is told where the path is now.
    ({"security_groups_migration_cidrs": ["0.0.0.0/0"]}, "security_groups_migration_cidrs", "admits no CIDR"),
    ({"security_groups_migration_cidrs": ["198.51.100.20/32"]}, "security_groups_migration_cidrs", "Client VPN"),
    ({"security_groups_migration_window": "True"}, "security_groups_migration_window", "client_vpn"),
    ({"security_groups_ecs_ports": [3001, 70000]}, "security_groups_ecs_ports[1]", "not a port"),
    ({"security_groups_alb_ports": []}, "security_groups_alb_ports", "at least one port"),
]


@pytest.mark.parametrize("overrides,variable,words", BAD, ids=[b[1] + "-" + b[2] for b in BAD])
def test_bad_settings_name_the_variable(overrides, variable, words):
    problems = security_group_problems(settings(**overrides))
    assert any(p.startswith(variable + ":") and words in p for p in problems), problems


def test_public_alb_may_list_the_internet():
    public = settings(security_groups_alb_public=True, security_groups_allowed_cidrs=["0.0.0.0/0"])
    assert security_group_problems(public) == []
    assert alb_ingress_cidrs(public) == ["0.0.0.0/0"]


def test_alb_sources_follow_the_access_mode():
    assert alb_ingress_cidrs(settings(security_groups_allowed_cidrs=["198.51.100.7/32", "203.0.113.0/24",
                                                                     "198.51.100.7/32"])) == [
        "198.51.100.7/32", "203.0.113.0/24"]
    vpn = settings(security_groups_access_mode="client_vpn", security_groups_client_vpn_cidr="10.99.0.0/22")
    assert alb_ingress_cidrs(vpn) == ["10.99.0.0/22"]
