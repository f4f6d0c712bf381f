# -*- coding: utf-8 -*-
"""Make ``ansible_collections.lifeworld.production`` importable in every test layer.

``.collections/ansible_collections/lifeworld/production`` links to the repository root; the collections that ship
inside the ``ansible`` package (amazon.aws, community.aws, ...) come from the interpreter's site-packages.
"""

import os
import sys

import pytest

from tests.tools.xdist_groups import group_of

_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)


# What each xdist group costs one worker, in seconds (durations measured on the 2-core CI machine; docs/testing.md).
# pytest.ini hands the groups out in this order (--no-loadscope-reorder): longest first, so the long groups start at
# once and the short ones fill the gaps at the end, instead of xdist's default order (most tests first), which left
# `make demo` (5 tests, five minutes) for last on one worker while the other one idled. A group not listed here is
# a short one (unit tests, quality's doc renders) and keeps its collection order after these.
GROUP_SECONDS = {
    "site": 780,
    # test_network, test_security, test_iam_policies, test_audit: one build (tests/integration/tiers.py)
    "tiers": 280,
    "resilience-kill-1": 230,
    "empty-account": 190,
    "integration.test_demo": 200,
    "resilience-kill-2": 200,
    "integration.test_installed": 135,
    "resilience-faults": 110,
    "integration.test_bad_inputs": 95,
    "cutover": 80,
    "quality-sanity": 75,
    "resilience-noop": 60,
    "integration.test_observability": 55,
    "integration.migration.test_online": 50,
    "quality.test_quality": 50,
    "integration.test_drift_vault": 30,
    "integration.migration.test_migration": 25,
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """pytest.ini distributes with --dist loadgroup: ungrouped tests would go one by one to any worker, but modules
    keep state in module fixtures (a built environment, a sanity tree), so each module is its own group unless it
    declared one (tests/integration/conftest.py's SITE_GROUP, shared by the modules that use one site build)."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    first_seen = {}
    for index, item in enumerate(items):
        first_seen.setdefault(group_of(item), index)
    order = {id(item): index for index, item in enumerate(items)}

    # Longest group first (GROUP_SECONDS); inside a group, a module that leaves the shared site build changed
    # (SPOILS_SHARED_SITE = True) runs after the modules that read it, so the build is made once; every other
    # order is kept.
    def key(item):
        group = group_of(item)
        return (-GROUP_SECONDS.get(group, 0), first_seen[group], bool(getattr(item.module, "SPOILS_SHARED_SITE", False)),
                order[id(item)])

    items.sort(key=key)


# Where the wall time of a run went: per xdist group, the worker that ran it, when it started and ended (seconds
# from the first report) and the seconds its tests took. The last group to end is the run's critical path; these
# figures are what GROUP_SECONDS and docs/testing.md are written from.
_SCHEDULE = {}


def pytest_runtest_logreport(report):
    worker = getattr(getattr(report, "node", None), "gateway", None)
    group = report.nodeid.rpartition("@")[2] if "@" in report.nodeid else "-"
    entry = _SCHEDULE.setdefault(group, {"worker": worker.id if worker else "main", "start": report.start,
                                         "stop": report.stop, "seconds": 0.0})
    entry["start"], entry["stop"] = min(entry["start"], report.start), max(entry["stop"], report.stop)
    entry["seconds"] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _SCHEDULE:
        return
    origin = min(entry["start"] for entry in _SCHEDULE.values())
    terminalreporter.section("schedule (xdist groups of 30 s or more; seconds from the first test)")
    busy = {}
    for group, entry in sorted(_SCHEDULE.items(), key=lambda kv: kv[1]["start"]):
        busy[entry["worker"]] = busy.get(entry["worker"], 0.0) + entry["seconds"]
        if entry["seconds"] >= 30:
            terminalreporter.write_line("%-8s %-40s %7.1f → %7.1f  %6.1f s" % (
                entry["worker"], group, entry["start"] - origin, entry["stop"] - origin, entry["seconds"]))
    for worker, seconds in sorted(busy.items()):
        last = max(e["stop"] for e in _SCHEDULE.values() if e["worker"] == worker) - origin
        terminalreporter.write_line("%-8s busy %.1f s, last test ended at %.1f s" % (worker, seconds, last))
