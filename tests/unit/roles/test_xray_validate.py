# -*- coding: utf-8 -*-
"""roles/xray/tasks/validate.yml runs when X-Ray is on (xray_enabled): the staging inventory's rules pass it, a
priority or rate outside X-Ray's bounds fails it naming the entry. No AWS call (the validation runs before any)."""

import re

import pytest

from tests.unit.playbooks.test_staging_inventory import VALIDATE, _playbook


def test_xray_validation_accepts_the_default_rules():
    proc = _playbook("inventories/staging", VALIDATE, extra={"xray_enabled": True})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "xray" in re.findall(r"main argument spec of (\w+)", proc.stdout), proc.stdout[-3000:]


@pytest.mark.parametrize("rule", [
    {"suffix": "default", "priority": 0, "fixed_rate": 0.05, "reservoir_size": 1},      # priority below 1
    {"suffix": "default", "priority": 10000, "fixed_rate": 0.05, "reservoir_size": 1},  # priority above 9999
    {"suffix": "default", "priority": 1000, "fixed_rate": 1.5, "reservoir_size": 1},    # a rate above 1
])
def test_xray_validation_rejects_a_rule_outside_xrays_bounds(rule):
    proc = _playbook("inventories/staging", VALIDATE, extra={"xray_enabled": True, "xray_sampling_rules": [rule]})
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "xray_sampling_rules entry 'default'" in proc.stdout and "priority 1-9999, fixed_rate 0-1" in proc.stdout, (
        proc.stdout[-3000:])
