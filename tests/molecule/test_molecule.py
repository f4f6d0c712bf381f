# -*- coding: utf-8 -*-
"""One test per molecule scenario (extensions/molecule/<scenario>/): runs `molecule test -s <scenario>` the way an
Ansible engineer does, and asserts from molecule's own output that the scenario passed, that its idempotence step
(molecule's second converge) reported changed=0, and that check mode on the converged account (the scenario's
second `check`) changed nothing either.

Each scenario starts and stops its own emulator (and PostgreSQL servers) on free ports, so the tests run side by
side (each is its own xdist group): `make molecule`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS_DIR = REPO / "extensions" / "molecule"
SCENARIOS = sorted(p.parent.name for p in SCENARIOS_DIR.glob("*/molecule.yml"))
# Molecule's log of one action: "INFO     [vpc > idempotence] Executing" ... "[vpc > idempotence] Executed: ...".
ACTION = re.compile(r"^\S+\s+\[(?P<scenario>[^\]>]+) > (?P<action>\w+)\] Executing$", re.M)
RECAP = re.compile(r"^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
RESULT = re.compile(r"^(?P<scenario>\S+)\s+: actions=\d+\s+successful=\d+.*failed=(?P<failed>\d+)", re.M)


def actions(output: str) -> list[tuple[str, str]]:
    """(action, its output) in the order molecule ran them."""
    starts = list(ACTION.finditer(output))
    return [(m["action"], output[m.end():(starts[i + 1].start() if i + 1 < len(starts) else len(output))])
            for i, m in enumerate(starts)]


def changed(block: str) -> int:
    """changed= of the PLAY RECAP in one action's output (the sum over hosts)."""
    recaps = RECAP.findall(block)
    assert recaps, "no PLAY RECAP in:\n" + block[-3000:]
    return sum(int(recap[1]) for recap in recaps)


def run_molecule(scenario: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PY_COLORS="0",
               PATH="%s:%s" % (Path(sys.executable).parent, os.environ.get("PATH", "/usr/bin:/bin")))
    for key in [k for k in env if k.startswith("AWS_")]:
        env.pop(key)  # the scenario brings its own (fake) account: never a developer's real one
    # One stream: molecule logs its actions on stderr and ansible-playbook's output comes on stdout; merged, each
    # PLAY RECAP stands between its action's "Executing" and "Executed" lines.
    return subprocess.run([str(Path(sys.executable).parent / "molecule"), "test", "-s", scenario], cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=2400, check=False)


@pytest.mark.integration
@pytest.mark.parametrize("scenario", [pytest.param(s, marks=pytest.mark.xdist_group("molecule-" + s))
                                      for s in SCENARIOS])
def test_scenario_passes_and_converges_once(scenario, record_property):
    started = time.monotonic()
    proc = run_molecule(scenario)
    record_property("figure:molecule %s seconds" % scenario, round(time.monotonic() - started))
    output = proc.stdout
    if os.environ.get("LWO_MOLECULE_LOG_DIR"):  # keep each scenario's whole log, to read it during a long run
        Path(os.environ["LWO_MOLECULE_LOG_DIR"], scenario + ".log").write_text(output)
    tail = "\n".join(line for line in output.splitlines() if "Found installed collection" not in line)[-6000:]
    assert proc.returncode == 0, tail
    results = {m["scenario"]: int(m["failed"]) for m in RESULT.finditer(output)}
    assert results.get(scenario) == 0, tail

    steps = actions(output)
    names = [step[0] for step in steps]
    assert "idempotence" in names, names
    assert changed(dict(steps)["idempotence"]) == 0, dict(steps)["idempotence"][-4000:]
    checks = [block for name, block in steps if name == "check"]
    if checks:
        # The last check runs on the converged account (config.yml's test_sequence): nothing to change.
        assert changed(checks[-1]) == 0, checks[-1][-4000:]
    assert "verify" in names, names


def test_every_component_role_has_a_scenario():
    """Issue 16: one scenario per component role at least."""
    roles = {"vpc", "kms", "iam", "security_groups", "secrets", "rds", "ecr", "ecs", "alb", "acm", "waf", "route53",
             "cloudwatch", "xray", "client_vpn", "db_migration"}
    assert roles - set(SCENARIOS) == set()
