# -*- coding: utf-8 -*-
"""Resilience: a build under injected AWS faults, builds killed midway and rerun, and the API cost of a no-op run.

`make test` runs these against the tags in LWO_RESILIENCE_TAGS (default: network, about a minute a run);
`make test-resilience` runs them against the whole site.yml, one test per pytest-xdist worker (each worker has its
own emulator), and is where docs/reliability.md's figures come from.

The reference, an uninterrupted fault-free build, is made once per pytest session: the no-op test makes it on its
own emulator (it needs a converged stack anyway) and the others read its census when they compare theirs.
"""

import collections
import fcntl
import json
import os
import signal
import subprocess
import threading
import time

import pytest

from tests.tools.faultproxy import FaultPlan, FaultProxy

from .census import census
from .harness import REPO, PlaybookRun, playbook_command, run_playbook

TAGS = os.environ.get("LWO_RESILIENCE_TAGS", "network") or None
FAULT_RATE = 0.10
# A whole-site build takes 10 to 40 minutes on a loaded 2-core machine; a chain of killed builds several times that.
RUN_TIMEOUT = 1800 if TAGS else 3 * 3600
pytestmark = pytest.mark.timeout(RUN_TIMEOUT if TAGS else 5 * 3600)
# Where builds are killed: (tag of the run, task-name fragment, API call, chain). The build is SIGKILLed from inside
# the proxy right after the emulator carried the call out and before its answer reaches the module: AWS made the
# resource but the run never learnt its id, the worst moment for idempotency. Each chain is one fresh build killed
# at its points in turn (every rerun completes what the last kill interrupted, then meets the next point), then
# rerun to the end. The whole site's two chains run side by side under pytest-xdist (`make test-resilience`); a
# tagged run (make test: the network tier's three points) is one chain, which saves a fresh build and a rerun and
# still kills at every point: each rerun must first finish what the last kill left (the tagged Elastic IP, then the
# NAT gateway) before it meets the next point.
KILL_POINTS = [
    ("network", "Ensure an Elastic IP for each NAT gateway", "AllocateAddress", 1),
    ("network", "Ensure NAT gateways", "CreateNatGateway", 2),
    ("network", "Ensure the VPC's flow log is active", "CreateFlowLogs", 1),
    ("data", "Ensure the PostgreSQL instance", "CreateDBInstance", 1),
    ("edge", "Ensure the load balancer and its listeners", "CreateLoadBalancer", 2),
    ("compute", "Register the Fargate task definitions", "RegisterTaskDefinition", 1),
    ("observability", "Make the environment's alarm set match the plan", "PutMetricAlarm", 2),
]
CHAINS = {}
for _tag, _marker, _operation, _chain in KILL_POINTS:
    if TAGS is None or _tag in TAGS.split(","):
        CHAINS.setdefault(_chain if TAGS is None else 1, []).append((_marker, _operation))


def _build(emulator, **kwargs):
    return run_playbook(emulator, tags=TAGS, timeout=RUN_TIMEOUT, **kwargs)


@pytest.fixture(scope="session")
def reference(emulator, tmp_path_factory, worker_id):
    """Census and output of an uninterrupted, fault-free build, made by whichever worker asks first."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # shared by this session's xdist workers
    path = shared / ("resilience-reference-%s.json" % (TAGS or "site").replace(",", "-"))
    with open(shared / (path.name + ".lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            emulator.reset()
            run = _build(emulator)
            assert run.rc == 0, run.tail()
            path.write_text(json.dumps({"census": census(emulator), "stdout": run.stdout, "built_on": worker_id}))
        return json.loads(path.read_text())


def _differences(expected, actual):
    return {kind: (expected.get(kind, 0), actual.get(kind, 0)) for kind in sorted(set(expected) | set(actual))
            if expected.get(kind, 0) != actual.get(kind, 0)}


@pytest.mark.xdist_group("resilience-noop")
def test_noop_run_describes_rather_than_rebuilds(emulator, reference, worker_id, record_property):
    if reference["built_on"] != worker_id or census(emulator) != reference["census"]:
        emulator.reset()  # the reference was built on another worker's emulator: converge this one
        assert _build(emulator).rc == 0
    current, by_task = {"task": "(before the first task)"}, collections.Counter()

    def count(_call):
        by_task[current["task"]] += 1
        return False

    with FaultProxy(emulator.endpoint, FaultPlan(), after_forward=count) as proxy:
        build = _StreamedBuild(emulator, proxy.endpoint)
        for line in build.lines():
            current["task"] = _task_of(line) or current["task"]
        run = build.finish()
        calls = dict(proxy.calls)
    assert run.rc == 0 and run.changed == 0, run.changed_tasks()
    mutating = {op: n for (service, op), n in calls.items()
                if op.startswith(("Create", "Put", "Modify", "Update", "Delete", "Register", "Attach", "Associate",
                                  "Authorize", "Revoke", "Tag", "Untag", "Allocate"))}
    resources = sum(reference["census"].values())
    record_property("figure:managed_resources", resources)
    record_property("figure:census", reference["census"])
    record_property("figure:noop_api_calls", sum(calls.values()))
    record_property("figure:noop_calls_per_resource", round(sum(calls.values()) / resources, 2))
    record_property("figure:noop_calls_by_service", dict(sorted(_by_service(calls).items(), key=lambda kv: -kv[1])))
    record_property("figure:noop_calls_by_operation", dict(sorted(
        (("%s:%s" % key, n) for key, n in calls.items()), key=lambda kv: (-kv[1], kv[0]))))
    record_property("figure:noop_calls_by_task_top20", dict(sorted(by_task.items(), key=lambda kv: -kv[1])[:20]))
    assert mutating == {}, "a no-op run should only read, but it called %s" % mutating


def _by_service(calls):
    totals = {}
    for key, n in calls.items():
        totals[key[0]] = totals.get(key[0], 0) + n
    return totals


@pytest.mark.xdist_group("resilience-faults")
def test_build_converges_with_ten_percent_of_calls_failing(emulator, request, record_property):
    emulator.reset()
    plan = FaultPlan(throttle=FAULT_RATE / 2, error=FAULT_RATE / 2, seed=20261128)
    with FaultProxy(emulator.endpoint, plan) as proxy:
        run = _build(emulator, env={"AWS_ENDPOINT_URL": proxy.endpoint})
        calls, faults = sum(proxy.calls.values()), dict(proxy.faults)
    assert run.rc == 0, run.tail()
    after = census(emulator)
    expected = request.getfixturevalue("reference")["census"]  # only now: the reference may be building elsewhere
    assert not _differences(expected, after), \
        "the faulty build left different resources, (clean, faulty): %s" % _differences(expected, after)
    record_property("figure:faulty_build_calls", calls)
    record_property("figure:faults_injected", faults)
    record_property("figure:faulty_build_census_identical", sum(after.values()))


class _StreamedBuild:
    """ansible-playbook site.yml against `endpoint` (a proxy), its output read line by line while it runs."""

    def __init__(self, emulator, endpoint):
        self.args, env = playbook_command(emulator, tags=TAGS,
                                          env={"AWS_ENDPOINT_URL": endpoint, "PYTHONUNBUFFERED": "1"})
        self.proc = subprocess.Popen(self.args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)
        self.output = []
        self.deadline = time.time() + RUN_TIMEOUT

    def lines(self):
        for line in self.proc.stdout:
            self.output.append(line)
            yield line
            if time.time() > self.deadline:
                self.kill()

    def kill(self):
        """SIGKILL the run and everything it started. Ansible's workers detach into sessions of their own
        (os.setsid), so the process group alone would leave the running module alive to carry on and retry."""
        for pid in [self.proc.pid] + _descendants(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def finish(self):
        self.proc.wait()
        return PlaybookRun(args=self.args, rc=self.proc.returncode, stdout="".join(self.output), stderr="")


def _descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _task_of(line):
    return line[6:].split("]", 1)[0] if line.startswith("TASK [") else None


def _kill_at(emulator, marker, operation):
    """Start a build through a proxy and SIGKILL its whole process group the moment the emulator has carried out
    the first `operation` call made after `marker`'s task started. Returns the build's exit status."""
    armed, killed, state = threading.Event(), threading.Event(), {}

    def after_forward(call):
        if armed.is_set() and not killed.is_set() and call[1] == operation:
            state["build"].kill()
            killed.set()
        return killed.is_set()  # the killed run never hears back

    with FaultProxy(emulator.endpoint, FaultPlan(), after_forward=after_forward) as proxy:
        state["build"] = build = _StreamedBuild(emulator, proxy.endpoint)
        for line in build.lines():
            task = _task_of(line)
            if task and not killed.is_set():
                # Armed for the marker's task only: a task of that name can run more than once (the cloudwatch role
                # runs once before the edge tier exists, skipping its alarms, and once after the compute tier).
                if marker in task:
                    armed.set()
                else:
                    armed.clear()
        build.kill()
        run = build.finish()
    assert killed.is_set(), "no %s call in any run of task %r:\n%s" % (operation, marker, run.tail())
    return run.rc


@pytest.mark.parametrize("chain", [pytest.param(chain, marks=pytest.mark.xdist_group("resilience-kill-%d" % chain))
                                   for chain in sorted(CHAINS)])
def test_builds_killed_mid_call_rerun_to_the_same_resources(emulator, request, chain, record_property):
    """A fresh build killed at each point of the chain in turn, then rerun: the rerun must converge to exactly the
    clean build's resources (nothing duplicated: NAT gateways, Elastic IPs, load balancers, task definitions...)."""
    emulator.reset()
    for marker, operation in CHAINS[chain]:
        assert _kill_at(emulator, marker, operation) == -signal.SIGKILL
    rerun = _build(emulator)
    assert rerun.rc == 0, rerun.tail()
    after = census(emulator)
    expected = request.getfixturevalue("reference")["census"]
    assert not _differences(expected, after), \
        "killed and rerun, (clean, after) counts differ: %s" % _differences(expected, after)
    record_property("figure:killed_and_rerun_identical_chain_%d" % chain,
                    ["%s after %s" % point for point in CHAINS[chain]])
