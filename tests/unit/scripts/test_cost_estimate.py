# -*- coding: utf-8 -*-
"""scripts/cost-estimate: the production inventory's monthly estimate falls in the plan's range, and it follows
the inventory (NAT per zone or single, task counts, DB class, Multi-AZ) by exactly the priced difference."""

import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "cost-estimate"
PRICES = yaml.safe_load((REPO / "scripts" / "cost-prices.yml").read_text())
HOURS = PRICES["hours_per_month"]


def _load_script():
    loader = importlib.machinery.SourceFileLoader("cost_estimate", str(SCRIPT))
    spec = importlib.util.spec_from_loader("cost_estimate", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


cost = _load_script()


def run(inventory, *extra):
    proc = subprocess.run([sys.executable, str(SCRIPT), "-i", str(inventory), "--format", "json", *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def production():
    return run(REPO / "inventories" / "production")


@pytest.fixture
def inventory_copy(tmp_path):
    """A copy of the production inventory to change one decision in."""
    target = tmp_path / "production"
    shutil.copytree(REPO / "inventories" / "production", target)

    def change(filename, **values):
        path = target / "group_vars" / "all" / filename
        data = yaml.safe_load(path.read_text()) if path.exists() else {}
        data.update(values)
        path.write_text(yaml.safe_dump(data))
        return target

    return change


def test_production_estimate_is_in_the_plans_range(production):
    assert production["environment"] == "production"
    assert 170 <= production["total"] <= 420, production["components"]
    assert production["prices_date"] == PRICES["date"] and production["region"] == "us-east-1"
    assert production["at_max_scale"] > production["total"]


def test_lines_add_up_and_cover_the_plans_items(production):
    assert production["total"] == pytest.approx(sum(line["monthly"] for line in production["lines"]), abs=0.02)
    items = " ".join(line["item"] for line in production["lines"])
    for expected in ("Fargate vCPU", "Fargate memory", "RDS db.t3.medium (Multi-AZ", "ALB", "NAT gateways",
                     "Route 53", "CloudWatch", "Secrets Manager", "Data transfer"):
        assert expected in items


def test_single_nat_gateway_saves_two_gateway_months(production, inventory_copy):
    # production spans three zones with a NAT gateway in each
    single = run(inventory_copy("network.yml", vpc_nat_mode="single"))
    assert production["total"] - single["total"] == pytest.approx(2 * HOURS * PRICES["nat_gateway"]["hour"], abs=0.02)


def test_desired_count_scales_fargate(production, inventory_copy):
    three = run(inventory_copy("compute.yml", ecs_desired_count=3))
    per_task = ((1024 + 256) / 1024 * PRICES["fargate"]["vcpu_hour"] + (2048 + 512) / 1024 * PRICES["fargate"]["gb_hour"]) * HOURS
    assert three["total"] - production["total"] == pytest.approx(per_task, abs=0.02)


def test_single_az_database_halves_instance_and_storage(production, inventory_copy):
    single = run(inventory_copy("data.yml", rds_multi_az=False))
    rds = PRICES["rds_postgresql"]
    saved = rds["instance_hour"]["db.t3.medium"] * HOURS + 100 * rds["storage_gb_month"]["gp3"]
    assert production["total"] - single["total"] == pytest.approx(saved, abs=0.02)


def test_an_unpriced_instance_class_is_named(inventory_copy):
    inventory = inventory_copy("data.yml", rds_instance_class="db.x9.huge")
    proc = subprocess.run([sys.executable, str(SCRIPT), "-i", str(inventory)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode != 0 and "db.x9.huge" in proc.stderr


def test_estimate_function_follows_settings_without_an_inventory():
    settings = {"vpc_availability_zone_ids": ["use1-az1", "use1-az2"], "vpc_nat_mode": "single", "ecs_backend_cpu": 512,
                "ecs_backend_memory": 1024, "ecs_frontend_cpu": 256, "ecs_frontend_memory": 512, "ecs_desired_count": 2,
                "ecs_min_tasks": 2, "ecs_max_tasks": 10, "rds_instance_class": "db.t3.medium", "rds_multi_az": True,
                "rds_allocated_storage_gb": 50}
    base = cost.estimate(settings, PRICES)
    with_waf = cost.estimate(dict(settings, waf_enabled=True), PRICES)
    assert with_waf["components"]["edge"] > base["components"]["edge"]
    vpn = cost.estimate(dict(settings, security_groups_access_mode="client_vpn"), PRICES)
    assert vpn["total"] - base["total"] >= 2 * HOURS * PRICES["client_vpn"]["association_hour"]


def test_cost_playbook_prints_the_total(production):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "inventories/production",
                           "playbooks/cost.yml"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "TOTAL %.2f per month" % production["total"] in proc.stdout


def test_docs_show_the_current_production_estimate(production):
    """docs/cost.md quotes the estimate; regenerate its table (--format markdown) when the inventory changes."""
    assert "%-14s %10.2f" % ("TOTAL", production["total"]) in (REPO / "docs" / "cost.md").read_text()
