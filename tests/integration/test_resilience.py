# -*- coding: utf-8 -*-
"""Resilience: a build under injected AWS faults, builds killed midway and rerun, and the API cost of a no-op run.

`make test` runs these against the tags in LWO_RESILIENCE_TAGS (default: network, about a minute a run);
`make test-resilience` runs them against the whole site.yml and is where docs/reliability.md's figures come from.
"""

import os
import signal
import subprocess
import time

import pytest

from tests.tools.faultproxy import FaultPlan, FaultProxy

from .census import census
from .harness import REPO, run_playbook

TAGS = os.environ.get("LWO_RESILIENCE_TAGS", "network") or None
FAULT_RATE = 0.10
# Task-name fragments at which a build is killed, by the tag whose run contains them.
KILL_POINTS_BY_TAG = {
    "network": ["Ensure NAT gateways", "Ensure the VPC's flow log is active"],
    "data": ["Ensure the PostgreSQL instance"],
    "edge": ["Ensure the load balancer and its listeners"],
    "compute": ["Register the Fargate task definitions"],
    "observability": ["Make the environment's alarm set match the plan"],
}
KILL_POINTS = [point for tag, points in KILL_POINTS_BY_TAG.items()
               if TAGS is None or tag in TAGS.split(",") for point in points]


@pytest.fixture(scope="module")
def clean_build(emulator):
    """An uninterrupted, fault-free build: the census every other build must match."""
    emulator.reset()
    run = run_playbook(emulator, tags=TAGS)
    assert run.rc == 0, run.tail()
    return {"census": census(emulator), "stdout": run.stdout}


def _via_proxy(emulator, plan):
    return FaultProxy(emulator.endpoint, plan)


def test_noop_run_describes_rather_than_rebuilds(emulator, clean_build, record_property):
    with _via_proxy(emulator, FaultPlan()) as proxy:
        run = run_playbook(emulator, tags=TAGS, env={"AWS_ENDPOINT_URL": proxy.endpoint})
        calls = dict(proxy.calls)
    assert run.rc == 0 and run.changed == 0, run.changed_tasks()
    mutating = {op: n for (service, op), n in calls.items()
                if op.startswith(("Create", "Put", "Modify", "Update", "Delete", "Register", "Attach", "Associate",
                                  "Authorize", "Revoke", "Tag", "Untag", "Allocate"))}
    resources = sum(clean_build["census"].values())
    record_property("figure:noop_api_calls", sum(calls.values()))
    record_property("figure:managed_resources", resources)
    record_property("figure:noop_calls_per_resource", round(sum(calls.values()) / resources, 2))
    record_property("figure:noop_calls_by_operation", dict(sorted(
        ("%s:%s" % key, n) for key, n in calls.items())))
    assert mutating == {}, "a no-op run should only read, but it called %s" % mutating


def test_build_converges_with_ten_percent_of_calls_failing(emulator, clean_build, record_property):
    emulator.reset()
    plan = FaultPlan(throttle=FAULT_RATE / 2, error=FAULT_RATE / 2, seed=20261128)
    with _via_proxy(emulator, plan) as proxy:
        run = run_playbook(emulator, tags=TAGS, env={"AWS_ENDPOINT_URL": proxy.endpoint})
        record_property("figure:faulty_build_calls", sum(proxy.calls.values()))
        record_property("figure:faults_injected", dict(proxy.faults))
    assert run.rc == 0, run.tail()
    assert census(emulator) == clean_build["census"], "the faulty build left a different set of resources"


def _kill_at(emulator, marker, timeout=900):
    """Start a build and SIGKILL its whole process group as soon as `marker`'s task starts."""
    env = dict(os.environ, **emulator.aws_env, ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    args = [os.path.join(os.path.dirname(os.sys.executable), "ansible-playbook"), "-i", "inventories/local", "site.yml"]
    if TAGS:
        args += ["--tags", TAGS]
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.time() + timeout
    for line in proc.stdout:
        if line.startswith("TASK [") and marker in line:
            time.sleep(0.5)  # let the task's first API calls go out, as a real interruption would
            os.killpg(proc.pid, signal.SIGKILL)
            break
        assert time.time() < deadline, "marker %r never reached" % marker
    proc.wait()
    return proc.returncode


@pytest.mark.parametrize("marker", KILL_POINTS)
def test_killed_build_reruns_to_the_same_resources(emulator, clean_build, marker, record_property):
    tasks = [line for line in clean_build["stdout"].splitlines() if line.startswith("TASK [")]
    assert any(marker in task for task in tasks), "no task named like %r any more: update KILL_POINTS_BY_TAG" % marker
    emulator.reset()
    assert _kill_at(emulator, marker) == -signal.SIGKILL
    rerun = run_playbook(emulator, tags=TAGS)
    assert rerun.rc == 0, rerun.tail()
    assert census(emulator) == clean_build["census"], "killed at %r, the rerun left different resources" % marker
    record_property("figure:killed_and_rerun_identical", marker)
