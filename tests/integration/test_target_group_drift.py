# -*- coding: utf-8 -*-
"""community.aws.elb_target_group has no check mode, so the alb role compares the target groups itself in check
mode: a health check changed behind the collection's back shows in a drift check (site.yml --check), and a real
run puts it back."""

import pytest

from .harness import SITE_GROUP

pytestmark = pytest.mark.xdist_group(SITE_GROUP)

TARGET_GROUP = "life-world-os-local-be"


def _target_group(elbv2):
    return [g for g in elbv2.describe_target_groups()["TargetGroups"] if g["TargetGroupName"] == TARGET_GROUP][0]


def test_check_mode_names_a_drifted_health_check_and_a_run_restores_it(emulator, site, playbook):
    site.build()
    elbv2 = emulator.client("elbv2")
    wanted = _target_group(elbv2)
    elbv2.modify_target_group(TargetGroupArn=wanted["TargetGroupArn"], HealthCheckPath="/tampered",
                              HealthCheckIntervalSeconds=wanted["HealthCheckIntervalSeconds"] + 30)
    try:
        check = playbook(tags="alb", check=True)
        assert check.rc == 0, check.tail()
        assert check.changed == 1, check.changed_tasks()
        assert ("Would update target group %s: health_check_path, health_check_interval_seconds" % TARGET_GROUP
                in check.stdout), check.tail()
        assert _target_group(elbv2)["HealthCheckPath"] == "/tampered", "check mode must not repair anything"
    finally:
        repair = playbook(tags="alb")
        if repair.rc != 0:
            site.spoil()
    assert repair.rc == 0, repair.tail()
    restored = _target_group(elbv2)
    assert (restored["HealthCheckPath"], restored["HealthCheckIntervalSeconds"]) == (
        wanted["HealthCheckPath"], wanted["HealthCheckIntervalSeconds"])
    again = playbook(tags="alb", check=True)
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
