# -*- coding: utf-8 -*-
"""The migration's network path (issue 14 item 4): RDS sits in isolated subnets and admits no CIDR; the migration
host reaches it through the Client VPN, whose endpoint group the RDS group admits only while a migration window is
open. Real ansible-playbook runs against the emulator, read back with boto3: absent after a plain build, present
after migrate_database.yml opens it, gone after the close (the task file cutover.yml's switch runs), quiet reruns,
and check mode changing nothing."""

import pytest

from .harness import run_playbook
from .test_security import PREFIX, _groups, _rules, _vpc

VPN = {"security_groups_access_mode": "client_vpn", "security_groups_client_vpn_cidr": "10.99.0.0/22"}
OPEN = dict(VPN, db_migration_target_from_rds=True)
WINDOW = "migration window"


def _vpn_group(ec2):
    [group] = ec2.describe_security_groups(
        Filters=[{"Name": "tag:Name", "Values": [PREFIX + "-client-vpn"]}])["SecurityGroups"]
    return group["GroupId"]


def _window_rules(ec2):
    """The RDS group's ingress rules whose source is the Client VPN endpoint's group, with their description (read
    from describe_security_groups: EMULATOR, moto's describe_security_group_rules leaves Description out)."""
    rds = _groups(ec2)["rds"]
    vpn = _vpn_group(ec2)
    return [(p["FromPort"], p["ToPort"], pair.get("Description")) for p in rds.get("IpPermissions", [])
            for pair in p.get("UserIdGroupPairs", []) if pair["GroupId"] == vpn]


@pytest.fixture(scope="module")
def window(emulator):
    """Plain build (client_vpn mode) → open (check, real, again) → close (check, real, again); state read after each."""
    emulator.reset()
    ec2 = emulator.client("ec2")
    _vpc(ec2)
    runs = {"build": run_playbook(emulator, tags="security_groups", extra_vars=VPN)}
    runs["after_build"] = _window_rules(ec2)
    runs["rds_after_build"] = _rules(ec2, _groups(ec2)["rds"]["GroupId"], egress=False)
    runs["open_check"] = run_playbook(emulator, "playbooks/migrate_database.yml", tags="migration_window",
                                      check=True, extra_vars=OPEN)
    runs["after_open_check"] = _window_rules(ec2)
    runs["open"] = run_playbook(emulator, "playbooks/migrate_database.yml", tags="migration_window", extra_vars=OPEN)
    runs["after_open"] = _window_rules(ec2)
    runs["open_again"] = run_playbook(emulator, "playbooks/migrate_database.yml", tags="migration_window",
                                      extra_vars=OPEN)
    runs["close_check"] = run_playbook(emulator, "tests/integration/playbooks/migration_window.yml", check=True,
                                       extra_vars=dict(VPN, migration_window_open=False))
    runs["after_close_check"] = _window_rules(ec2)
    runs["close"] = run_playbook(emulator, "tests/integration/playbooks/migration_window.yml",
                                 extra_vars=dict(VPN, migration_window_open=False))
    runs["after_close"] = _window_rules(ec2)
    runs["rds_after_close"] = _rules(ec2, _groups(ec2)["rds"]["GroupId"], egress=False)
    runs["close_again"] = run_playbook(emulator, "tests/integration/playbooks/migration_window.yml",
                                       extra_vars=dict(VPN, migration_window_open=False))
    runs["rds_id"] = _groups(ec2)["rds"]["GroupId"]
    runs["ecs_id"] = _groups(ec2)["ecs"]["GroupId"]
    return runs


def test_a_plain_build_leaves_rds_closed_to_everything_but_ecs(window):
    """The reproduced gap: after site's security tier, nothing but ECS may reach PostgreSQL - no public CIDR (the
    old security_groups_migration_cidrs path) and no Client VPN rule, so the migration host has no way in."""
    assert window["build"].rc == 0, window["build"].tail()
    assert window["after_build"] == []
    assert window["rds_after_build"] == [("tcp", 5432, 5432, window["ecs_id"])]


def test_check_mode_opens_nothing(window):
    assert window["open_check"].rc == 0, window["open_check"].tail()
    assert window["open_check"].changed >= 1, "check mode should report the rule it would add"
    assert window["after_open_check"] == []


def test_migrate_database_opens_the_window_for_the_client_vpn_group_only(window):
    assert window["open"].rc == 0, window["open"].tail()
    assert window["after_open"] == [(5432, 5432, WINDOW)]
    assert window["open_again"].rc == 0, window["open_again"].tail()
    assert window["open_again"].changed == 0, window["open_again"].changed_tasks()


def test_closing_removes_the_rule_idempotently_and_check_mode_keeps_it(window):
    assert window["close_check"].rc == 0, window["close_check"].tail()
    assert window["after_close_check"] == [(5432, 5432, WINDOW)], "check mode must not revoke the rule"
    assert window["close"].rc == 0, window["close"].tail()
    assert window["after_close"] == []
    assert window["rds_after_close"] == [("tcp", 5432, 5432, window["ecs_id"])]
    assert window["close_again"].rc == 0, window["close_again"].tail()
    assert window["close_again"].changed == 0, window["close_again"].changed_tasks()


def test_the_window_refuses_ip_restricted_mode(emulator, window):
    """Without the Client VPN there is no path to open: the role says which variable to change."""
    run = run_playbook(emulator, "playbooks/migrate_database.yml", tags="migration_window",
                       extra_vars={"db_migration_target_from_rds": True})
    assert run.rc != 0
    assert "security_groups_migration_window" in run.stdout and "client_vpn" in run.stdout, run.tail()
