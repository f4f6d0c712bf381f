# -*- coding: utf-8 -*-
"""site.yml through ansible-runner, the engine AWX runs jobs with: the shared site build of the `site` group is such
a job (tests/integration/conftest.py: a private data directory holding a copy of the project as AWX checks it out,
the AWS settings injected as env/envvars as an AWX AWS credential does); its events are read back from the
artifacts. The database migration is left out: it needs the local PostgreSQL servers, which the migration tests
own."""

from pathlib import PurePosixPath

import pytest
import yaml

from .harness import SITE_GROUP

pytestmark = pytest.mark.xdist_group(SITE_GROUP)


def _site_play_names(project, playbook="site.yml"):
    """The plays site.yml runs, following its imports (site.yml -> playbooks/site.yml -> one playbook per step)."""
    names = []
    for entry in yaml.safe_load((project / playbook).read_text()):
        imported = entry.get("ansible.builtin.import_playbook")
        if imported:
            names += _site_play_names(project, str(PurePosixPath(playbook).parent / imported))
        else:
            names.append(entry["name"])
    return names


@pytest.fixture(scope="module")
def job(site):
    site.build()
    job = site.job
    return job.run, job.artifacts, job.events, _site_play_names(job.project)


def test_runner_reports_success(job):
    run, artifacts = job[:2]
    assert run.rc == 0, run.tail()
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
