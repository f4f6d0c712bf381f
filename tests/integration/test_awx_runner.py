# -*- coding: utf-8 -*-
"""site.yml through ansible-runner, the engine AWX runs jobs with: a private data directory holding a copy of the
project (as AWX checks it out), the AWS settings injected as env/envvars (as an AWX AWS credential does), the job's
events read back from the artifacts. The database migration is left out: it needs the local PostgreSQL servers,
which the migration tests own."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .harness import REPO

RUNNER = Path(sys.executable).parent / "ansible-runner"
NOT_PROJECT = (".venv", ".venv-tools", ".git", ".local-stack", ".pytest_cache", "artifacts", "__pycache__", "tests")


def _site_play_names(project):
    names = []
    for entry in yaml.safe_load((project / "site.yml").read_text()):
        for play in yaml.safe_load((project / entry["ansible.builtin.import_playbook"]).read_text()):
            names.append(play["name"])
    return names


@pytest.fixture(scope="module")
def job(emulator, tmp_path_factory):
    assert RUNNER.exists(), "ansible-runner is missing: pip install -r requirements-test.txt"
    emulator.reset()
    private = tmp_path_factory.mktemp("awx-job")
    shutil.copytree(REPO, private / "project", symlinks=True, ignore=shutil.ignore_patterns(*NOT_PROJECT))
    (private / "env").mkdir()
    (private / "env" / "envvars").write_text(yaml.safe_dump(dict(
        emulator.aws_env, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0")))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env["PATH"] = "%s:%s" % (RUNNER.parent, env.get("PATH", "/usr/bin:/bin"))
    proc = subprocess.run([str(RUNNER), "run", str(private), "-p", "site.yml", "-i", "job",
                           "--inventory", str(private / "project" / "inventories" / "local"),
                           "--cmdline", "--skip-tags migrate"],
                          env=env, capture_output=True, text=True, timeout=2700, check=False)
    artifacts = private / "artifacts" / "job"
    event_files = sorted((artifacts / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-")[0]))
    events = [json.loads(p.read_text()) for p in event_files]
    return proc, artifacts, events, _site_play_names(private / "project")


def test_runner_reports_success(job):
    proc, artifacts = job[:2]
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"


def test_every_play_of_site_ran_to_the_end(job):
    events, site_plays = job[2:]
    played = [e["event_data"]["play"] for e in events if e["event"] == "playbook_on_play_start"]
    assert played == site_plays
    stats = [e for e in events if e["event"] == "playbook_on_stats"]
    assert len(stats) == 1, "the run did not reach its recap"
    assert not stats[0]["event_data"]["failures"] and not stats[0]["event_data"]["dark"]
    assert stats[0]["event_data"]["changed"], "a first run on an empty emulator must have built something"


def test_the_job_built_the_network_in_the_emulator(emulator, job):
    vpcs = emulator.client("ec2").describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": ["life-world-os-local-vpc"]}])["Vpcs"]
    assert len(vpcs) == 1
