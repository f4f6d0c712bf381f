# -*- coding: utf-8 -*-
"""Every AWX job template's playbook runs in the execution environment it ships in, and that environment holds
exactly what execution-environment.yml puts in the image (tests/integration/ee.py builds it as a clean venv: the
pinned ansible-core, ansible-runner and Python packages, the collections of requirements.yml, nothing of the
development venv, whose `ansible` package carries dozens of collections a job could otherwise lean on unnoticed).

- syntax: every playbook a job template runs (playbooks/vars/awx.yml, and site.yml of the component templates),
  through the EE's ansible-runner;
- real runs against the emulator: site.yml is the `site` group's shared build, which conftest runs as an AWX job
  inside this EE (so no second whole-site build); the scheduled jobs (drift, hardening, DR drill) then run on it.
"""

import json
import re
import shutil
import subprocess

import pytest
import yaml
from packaging.requirements import Requirement

from . import ee
from .harness import REPO, SITE_GROUP, run_through_runner

pytestmark = pytest.mark.xdist_group(SITE_GROUP)

AWX = yaml.safe_load((REPO / "playbooks" / "vars" / "awx.yml").read_text())
JOB_PLAYBOOKS = sorted({op["playbook"] for op in AWX["awx_operations"]} | {"site.yml"})
# What AWX runs on a schedule (awx_schedules), run for real here.
SCHEDULED = sorted({schedule["operation"] for schedule in AWX["awx_schedules"]})
DRIFT_COMPONENTS = ["registry", "security"]


def _closure_problems(environment):
    """Distributions installed in the EE that no pinned requirement pulls in (directly or through another), and
    pins installed at another version; computed with the EE's own interpreter and metadata."""
    code = r'''
import json, sys
from importlib import metadata
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
pins = [Requirement(r) for r in json.loads(sys.argv[1])]
installed = {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions()}
wrong = {str(p): installed[canonicalize_name(p.name)].version for p in pins
         if canonicalize_name(p.name) not in installed or installed[canonicalize_name(p.name)].version not in p.specifier}
seen, todo = set(), [(p, tuple(p.extras)) for p in pins]
while todo:
    requirement, extras = todo.pop()
    name = canonicalize_name(requirement.name)
    if name in seen and not extras or name not in installed:
        continue
    seen.add(name)
    for line in installed[name].requires or []:
        sub = Requirement(line)
        if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras or ("",)):
            todo.append((sub, tuple(sub.extras)))
# pip, setuptools: what `python -m venv` installs (the image's python has them too), not part of the EE's list.
extra = sorted(set(installed) - seen - {"pip", "setuptools"})
print(json.dumps({"wrong": wrong, "extra": extra}))
'''
    out = subprocess.run([str(environment.bin / "python"), "-c", code, json.dumps(ee.pip_requirements())],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return json.loads(out)


def test_the_ee_holds_exactly_what_execution_environment_yml_lists(execution_environment):
    problems = _closure_problems(execution_environment)
    assert problems == {"wrong": {}, "extra": []}, problems
    installed = execution_environment.installed()
    for requirement in map(Requirement, ee.pip_requirements()):
        assert requirement.name.lower() in installed
    # The development venv's tools and the `ansible` package (with its dozens of collections) are not in the image.
    assert not {"ansible", "moto", "pytest", "ansible-lint", "molecule"} & set(installed)
    collections = {"%s.%s" % (path.parent.name, path.name)
                   for path in (execution_environment.collections / "ansible_collections").glob("*/*")}
    assert collections == {c["name"] for c in ee.galaxy_requirements()}
    sys_path = json.loads(execution_environment.python("import json, sys; print(json.dumps(sys.path))"))
    assert not [p for p in sys_path if str(REPO) in p or "/.venv" in p], sys_path


def test_the_ee_cannot_reach_a_collection_it_does_not_declare(execution_environment, emulator, tmp_path):
    """The check can fail: a playbook using community.general (in the dev venv's `ansible` package, not in the EE)
    is refused in the EE."""
    probe = REPO / "playbooks" / (".ee-probe-%s.yml" % tmp_path.name)
    probe.write_text("---\n- name: Probe\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
                     "    - name: Undeclared collection\n      community.general.read_csv:\n        path: /dev/null\n")
    try:
        job = run_through_runner(emulator, tmp_path / "job", str(probe.relative_to(REPO)), ident="probe",
                                 cmdline="--syntax-check", ee=execution_environment, timeout=600)
    finally:
        probe.unlink()
    assert job.run.rc != 0 and "community.general.read_csv" in job.run.stdout, job.run.tail()


@pytest.mark.parametrize("playbook", JOB_PLAYBOOKS)
def test_every_job_template_playbook_passes_syntax_check_in_the_ee(execution_environment, emulator, tmp_path, playbook):
    job = run_through_runner(emulator, tmp_path / "job", playbook, ident="syntax", cmdline="--syntax-check",
                             ee=execution_environment, timeout=900)
    assert job.run.rc == 0, job.run.tail()
    assert "playbook: %s" % playbook in job.run.stdout, job.run.tail()


def test_site_ran_as_a_job_in_the_ee(execution_environment, site):
    site.build()
    command = json.loads((site.job.artifacts / "command").read_text())
    # The job's ansible-playbook (and every program it starts) is the EE's; its collections are the EE's.
    assert shutil.which(command["command"][0], path=command["env"]["PATH"]) == str(execution_environment.bin / "ansible-playbook")
    assert str(REPO) not in command["env"]["PATH"] and "/.venv" not in command["env"]["PATH"]
    assert command["env"]["ANSIBLE_COLLECTIONS_PATH"].endswith(str(execution_environment.collections))
    assert (site.job.artifacts / "status").read_text() == "successful"


@pytest.fixture(scope="module")
def scheduled_jobs(execution_environment, emulator, site, tmp_path_factory):
    site.build()
    jobs = {}
    # Other modules of the group change the shared site (deploys, rules, weaknesses): report, do not fail on it.
    # Drift on two components only: each is a whole nested site.yml --check (about a minute here), and the shared
    # build has run every role in this EE already; what drift adds is its own machinery (nested runs, the
    # ansible.posix.json callback, the vault hand-over), the same for any component.
    extra = {"drift": "-e '%s'" % json.dumps({"drift_fail_on_drift": False, "drift_components": DRIFT_COMPONENTS}),
             "hardening": "-e '%s'" % json.dumps({"hardening_fail_on_findings": False})}
    for operation in SCHEDULED:
        playbook = [op["playbook"] for op in AWX["awx_operations"] if op["name"] == operation][0]
        jobs[operation] = run_through_runner(emulator, tmp_path_factory.mktemp("ee-" + operation), playbook,
                                             ident=operation, cmdline=extra.get(operation, ""),
                                             ee=execution_environment, timeout=2400)
    return jobs


def test_scheduled_jobs_are_drift_hardening_and_the_dr_drill():
    assert SCHEDULED == ["dr_drill", "drift", "hardening"]


def test_the_nightly_drift_check_runs_in_the_ee(scheduled_jobs):
    job = scheduled_jobs["drift"]
    assert job.run.rc == 0, job.run.tail()
    statuses = dict(re.findall(r"^\s*- (\w+)\s{2,}(clean|drifted|failed)$", job.run.stdout, re.M))
    # Drift may find what other modules changed; a component whose check failed (a module or package missing in
    # the EE) may not appear.
    assert sorted(statuses) == sorted(DRIFT_COMPONENTS) and "failed" not in statuses.values(), job.run.tail()


def test_the_nightly_hardening_check_runs_in_the_ee(scheduled_jobs):
    job = scheduled_jobs["hardening"]
    assert job.run.rc == 0, job.run.tail()
    assert re.search(r"\d+ finding\(s\), \d+ not checkable here", job.run.stdout), job.run.tail()


def test_the_weekly_dr_drill_runs_in_the_ee(scheduled_jobs):
    job = scheduled_jobs["dr_drill"]
    assert job.run.rc == 0, job.run.tail()
    assert "RPO " in job.run.stdout and "RTO " in job.run.stdout
