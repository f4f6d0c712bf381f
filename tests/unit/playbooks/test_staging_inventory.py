# -*- coding: utf-8 -*-
"""inventories/staging: the production shape at a smaller size. Judged with no AWS call (none is reachable): every
role's input checks and main argument spec accept it, the export and the cost estimate run on it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
VALIDATE = "tests/unit/playbooks/validate_inventory.yml"
# What Ansible Vault holds in a real staging checkout (group_vars/all/vault.yml); placeholders, not secrets.
VAULT = {"vault_secrets_api_keys": {"maps": "placeholder", "mail": "placeholder"}}


def _playbook(inventory, playbook, *args, extra=None):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID="none", AWS_SECRET_ACCESS_KEY="none")
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, playbook,
            "-e", json.dumps(dict(VAULT, **(extra or {}))), *args]
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)


def _vars(inventory):
    out = {}
    for path in sorted((REPO / inventory / "group_vars" / "all").glob("*.yml")):
        out.update(yaml.safe_load(path.read_text()) or {})
    return out


def test_every_role_accepts_the_staging_inventory():
    proc = _playbook("inventories/staging", VALIDATE)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    judged = set(re.findall(r"main argument spec of (\w+)", proc.stdout))
    assert judged >= {"vpc", "kms", "iam", "security_groups", "secrets", "rds", "ecr", "cloudwatch", "cloudtrail",
                      "route53", "acm", "alb", "waf", "ecs"}


@pytest.mark.parametrize("override, message", [
    ({"vpc_nat_mode": "sometimes"}, "vpc_nat_mode must be one of"),          # an argument spec
    ({"ecs_min_tasks": 5}, "ecs_min_tasks"),                                  # a role's own check
])
def test_the_judgement_rejects_a_bad_value(override, message):
    proc = _playbook("inventories/staging", VALIDATE, extra=override)
    assert proc.returncode != 0 and message in proc.stdout, proc.stdout[-3000:]


def test_staging_is_the_production_shape_at_a_smaller_size():
    staging, production = _vars("inventories/staging"), _vars("inventories/production")
    assert staging["lifeworld_environment"] == "staging" and staging["lifeworld_project"] == production["lifeworld_project"]
    assert staging["vpc_cidr"] != production["vpc_cidr"]
    assert len(staging["vpc_availability_zone_ids"]) >= 2, "still multi-AZ for the ALB and the ECS services"
    assert staging["ecs_max_tasks"] < production["ecs_max_tasks"]
    assert staging["ecs_backend_cpu"] <= production["ecs_backend_cpu"]
    assert staging["rds_allocated_storage_gb"] < production["rds_allocated_storage_gb"]
    # The same engine, alarm set, WAF rules and access mode as production: what staging exists to prove.
    for same in ("rds_engine_version", "cloudwatch_alarms", "waf_enabled", "waf_sqli_protection",
                 "security_groups_access_mode", "alb_ssl_policy", "ecs_backend_secrets"):
        assert staging[same] == production[same], same


def test_cost_estimate_of_staging_is_below_production():
    totals = {}
    for inventory in ("inventories/staging", "inventories/production"):
        proc = _playbook(inventory, "playbooks/cost.yml")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
        totals[inventory] = float(re.search(r"TOTAL ([0-9.]+) per month", proc.stdout).group(1))
    assert 0 < totals["inventories/staging"] < totals["inventories/production"]


def test_export_renders_the_staging_definitions(tmp_path):
    proc = _playbook("inventories/staging", "playbooks/export.yml", extra={"export_dir": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    task = json.loads((tmp_path / "ecs" / "task-definitions" / "backend-staging.json").read_text())
    assert task["family"] == "life-world-os-staging-backend"
    assert task["cpu"] == "512"
