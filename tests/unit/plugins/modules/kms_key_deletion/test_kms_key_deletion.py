# -*- coding: utf-8 -*-
"""lifeworld.production.kms_key_deletion against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import kms_key_deletion


@pytest.fixture
def kms(aws):
    client = aws.client("kms")
    keys = {}
    for name in ("rds", "logs", "other"):
        key = client.create_key(Description=name)["KeyMetadata"]
        client.create_alias(AliasName="alias/lwo-" + name, TargetKeyId=key["KeyId"])
        keys[name] = key["KeyId"]
    return client, keys


def _state(client, key_id):
    return client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


def _aliases(client):
    return sorted(a["AliasName"] for a in client.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/lwo-"))


def test_schedules_the_keys_and_removes_their_aliases_only(kms, run_module):
    client, keys = kms
    result = run_module(kms_key_deletion, {"aliases": ["alias/lwo-rds", "lwo-logs", "lwo-absent"], "pending_window": 7})
    assert result["changed"] is True
    assert result["scheduled"] == ["alias/lwo-rds", "alias/lwo-logs"]
    assert result["removed_aliases"] == ["alias/lwo-rds", "alias/lwo-logs"]
    assert [_state(client, keys[n]) for n in ("rds", "logs", "other")] == ["PendingDeletion", "PendingDeletion", "Enabled"]
    assert _aliases(client) == ["alias/lwo-other"]
    assert all(k["deletion_date"] for k in result["keys"])


def test_second_run_changes_nothing(kms, run_module):
    run_module(kms_key_deletion, {"aliases": ["lwo-rds"], "pending_window": 7})
    again = run_module(kms_key_deletion, {"aliases": ["lwo-rds"], "pending_window": 7})
    assert again["changed"] is False and again["scheduled"] == [] and again["removed_aliases"] == []


def test_alias_of_a_key_already_pending_deletion_is_removed_without_rescheduling(kms, run_module):
    client, keys = kms
    client.schedule_key_deletion(KeyId=keys["logs"], PendingWindowInDays=30)
    result = run_module(kms_key_deletion, {"aliases": ["lwo-logs"], "pending_window": 7})
    assert result["scheduled"] == [] and result["removed_aliases"] == ["alias/lwo-logs"]
    assert _aliases(client) == ["alias/lwo-other", "alias/lwo-rds"]


def test_check_mode_reports_and_touches_nothing(kms, run_module):
    client, keys = kms
    result = run_module(kms_key_deletion, {"aliases": ["lwo-rds"], "pending_window": 7}, check_mode=True)
    assert result["changed"] is True and result["scheduled"] == ["alias/lwo-rds"]
    assert _state(client, keys["rds"]) == "Enabled"
    assert _aliases(client) == ["alias/lwo-logs", "alias/lwo-other", "alias/lwo-rds"]


def test_a_window_kms_refuses_fails_before_any_call(kms, run_module):
    result = run_module(kms_key_deletion, {"aliases": ["lwo-rds"], "pending_window": 3})
    assert result["failed"] is True
    assert "between 7 and 30" in result["msg"]
    assert _state(kms[0], kms[1]["rds"]) == "Enabled"
