# -*- coding: utf-8 -*-
"""What runs on an empty account, on an emulator of its own and in an xdist group of its own (so not on the `site`
worker, the longest): `site.yml --check` (conftest.py's site_check_empty), read play by play for the registry,
compute, edge and data steps, with each tier's readers proving nothing was created; then the pre-migration
checklist on the same still-empty account, which must name every unmet item, and the compute tier alone, which
must say what to build first and create nothing. These were the first runs of
test_compute, test_edge, test_data and test_operations (and test_compute's run on the scratch emulator); the
assertions are theirs, unchanged."""

import pytest

from .harness import run_playbook
from .test_compute import _compute_resources
from .test_data import _data_resources
from .test_edge import _edge_resources

pytestmark = pytest.mark.xdist_group("empty-account")


@pytest.fixture(scope="module")
def empty(site_check_empty):
    emulator = site_check_empty.emulator
    runs = {"check_empty": site_check_empty.run,
            "compute_after": _compute_resources(emulator), "edge_after": _edge_resources(emulator),
            "data_after": _data_resources(emulator),
            "registry": site_check_empty.play("Registry"), "compute": site_check_empty.play("Compute"),
            "edge": site_check_empty.play("Edge"), "data": site_check_empty.play("Data")}
    # The checklist reads; on an account where check mode created nothing every item is unmet.
    runs["preflight_empty"] = run_playbook(emulator, "playbooks/preflight.yml")
    runs["compute_alone"] = run_playbook(emulator, tags="compute")
    runs["clusters_after_compute_alone"] = _compute_resources(emulator)["clusters"]
    return runs


def test_compute_check_mode_on_an_empty_account_creates_nothing(empty):
    run = empty["check_empty"]
    assert run.rc == 0, run.tail()
    assert any(task.endswith("ecs : Ensure the cluster with Container Insights on Fargate")
               for task in empty["compute"].changed), \
        "check mode should report the cluster it would create: %s" % empty["compute"].changed
    # The registry's step ran in check mode too (its validation and key lookup; no key, so nothing to ensure).
    assert empty["registry"].ran("ecr : Check repository names, image count and promotions"), empty["registry"]
    assert all(not value for value in empty["compute_after"].values()), empty["compute_after"]


def test_edge_check_mode_on_an_empty_account_creates_nothing(empty):
    run, play = empty["check_empty"], empty["edge"]
    assert run.rc == 0, run.tail()
    for task in ("route53 : Ensure the public hosted zone", "acm : Request (or find) the DNS-validated certificate"):
        assert any(name.endswith(task) for name in play.changed), \
            "check mode should report the zone and certificate it would create: %s" % play.changed
    assert all(not value for value in empty["edge_after"].values()), empty["edge_after"]


def test_data_check_mode_on_empty_account_creates_nothing(empty):
    run, play = empty["check_empty"], empty["data"]
    assert run.rc == 0, run.tail()
    # The data step ran in check mode to its end: both roles' validations, then the publishing of what exists.
    for task in ("secrets : Check usernames, API key values and the rotation settings",
                 "rds : Check engine version, retention, instance classes, windows, secret name and backup replication",
                 "rds : Publish the endpoint and the master secret's ARN"):
        assert play.ran(task), (task, play)
    assert empty["data_after"] == {"secrets": [], "instances": [], "parameter_groups": [], "subnet_groups": []}


def test_preflight_lists_every_unmet_item_on_an_empty_account(empty):
    run = empty["preflight_empty"]
    assert run.rc != 0, run.tail()
    for item in ("Release images in ECR", "Monitoring and alerting configured", "SSL/TLS certificate issued",
                 "Route 53 hosted zone present", "Secrets stored in Secrets Manager", "Security groups reviewed",
                 "IAM roles reviewed", "Database backups enabled"):
        assert "[UNMET] " + item in run.stdout, item
    assert "unmet:" in run.stdout


def test_compute_on_an_account_without_its_parents_says_what_to_build_and_creates_nothing(empty):
    run = empty["compute_alone"]
    assert run.rc != 0
    assert "--tags network" in run.stdout, run.tail()
    assert empty["clusters_after_compute_alone"] == []
