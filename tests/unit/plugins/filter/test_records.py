# -*- coding: utf-8 -*-
"""staging_record_findings: what keeps staging's recorded verify.yml run from proving staging was tested."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lifeworld.production.plugins.filter.records import staging_record_findings

NOW = "2026-12-05T12:00:00Z"
GOOD = {"checklist": "verify", "environment": "staging", "recorded_at": "2026-12-01T09:30:00Z",
        "met_count": 7, "total": 7, "unmet": []}


def test_a_recent_fully_met_staging_verification_is_evidence():
    assert staging_record_findings(GOOD, NOW) == []


def test_no_record_is_not_evidence():
    assert staging_record_findings(None, NOW) == ["no recorded verify.yml run of the staging environment"]
    assert staging_record_findings({}, NOW) == ["no recorded verify.yml run of the staging environment"]


def test_an_unmet_item_in_the_recorded_run_is_named():
    record = dict(GOOD, met_count=6, unmet=["/api/health answers 200 (HTTP 503)"])
    assert staging_record_findings(record, NOW) == ["6 of 7 met in the recorded run (unmet: /api/health answers 200 (HTTP 503))"]


def test_a_run_that_checked_nothing_is_not_evidence():
    assert staging_record_findings(dict(GOOD, met_count=0, total=0), NOW) == ["the recorded run checked nothing"]


def test_another_environment_or_checklist_is_not_evidence():
    assert staging_record_findings(dict(GOOD, environment="local"), NOW) == ["the record is of the local environment, not staging"]
    assert staging_record_findings(dict(GOOD, checklist="preflight"), NOW) == ["the record is of preflight, not verify.yml"]


def test_a_stale_record_is_not_evidence():
    assert staging_record_findings(dict(GOOD, recorded_at="2026-11-01T12:00:00Z"), NOW) == [
        "recorded 2026-11-01T12:00:00Z, 34 days ago (at most 14)"]
    assert staging_record_findings(dict(GOOD, recorded_at="2026-11-25T12:00:00Z"), NOW, max_age_days=7) == [
        "recorded 2026-11-25T12:00:00Z, 10 days ago (at most 7)"]
    assert staging_record_findings(dict(GOOD, recorded_at="2026-12-06T12:00:00Z"), NOW) == [
        "recorded 2026-12-06T12:00:00Z, in the future"]


def test_an_unreadable_time_is_an_error():
    with pytest.raises(AnsibleFilterError):
        staging_record_findings(dict(GOOD, recorded_at="yesterday"), NOW)
