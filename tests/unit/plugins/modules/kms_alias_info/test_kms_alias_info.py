# -*- coding: utf-8 -*-
"""lifeworld.production.kms_alias_info against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import collections

import pytest

from ansible_collections.lifeworld.production.plugins.modules import kms_alias_info


@pytest.fixture
def kms(aws):
    client = aws.client("kms")
    keys = {}
    for name in ("rds", "secrets", "old"):
        key = client.create_key(Description=name)["KeyMetadata"]
        client.create_alias(AliasName="alias/lwo-" + name, TargetKeyId=key["KeyId"])
        keys[name] = key["Arn"]
        last_id = key["KeyId"]
    client.schedule_key_deletion(KeyId=last_id, PendingWindowInDays=7)  # the "old" key
    return client, keys


def test_resolves_each_alias_as_given_and_names_the_missing(kms, run_module):
    keys = kms[1]
    result = run_module(kms_alias_info, {"aliases": ["alias/lwo-rds", "lwo-secrets", "alias/lwo-nope", "lwo-old"]})
    assert result["changed"] is False
    assert result["key_arns"] == {"alias/lwo-rds": keys["rds"], "lwo-secrets": keys["secrets"]}
    # Absent, and pending deletion: no service can encrypt with either.
    assert result["missing"] == ["alias/lwo-nope", "lwo-old"]
    assert {k["alias"]: k["key_state"] for k in result["keys"]} == {
        "alias/lwo-rds": "Enabled", "lwo-secrets": "Enabled", "lwo-old": "PendingDeletion"}


def test_check_mode_answers_the_same(kms, run_module):
    keys = kms[1]
    result = run_module(kms_alias_info, {"aliases": ["alias/lwo-rds"]}, check_mode=True)
    assert result["key_arns"] == {"alias/lwo-rds": keys["rds"]} and result["missing"] == []


def test_costs_one_listing_and_one_describe_per_alias_found(kms):
    client = kms[0]
    calls = collections.Counter()
    client.meta.events.register("before-call.kms.*", lambda model, **kw: calls.update([model.name]))
    kms_alias_info.resolve(client, ["alias/lwo-rds", "alias/lwo-secrets", "alias/lwo-nope"])
    assert calls == {"ListAliases": 1, "DescribeKey": 2}


def test_an_empty_account_has_every_alias_missing(aws, run_module):
    result = run_module(kms_alias_info, {"aliases": ["alias/lwo-rds"]})
    assert result["key_arns"] == {} and result["missing"] == ["alias/lwo-rds"] and result["keys"] == []
