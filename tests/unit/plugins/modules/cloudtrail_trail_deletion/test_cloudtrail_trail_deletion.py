# -*- coding: utf-8 -*-
"""lifeworld.production.cloudtrail_trail_deletion against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import cloudtrail_trail_deletion


@pytest.fixture
def trails(aws):
    aws.client("s3").create_bucket(Bucket="lwo-trail-bucket")
    client = aws.client("cloudtrail")
    for name in ("lwo-trail", "other-trail"):
        client.create_trail(Name=name, S3BucketName="lwo-trail-bucket")
    return client


def _names(client):
    return sorted(t["Name"] for t in client.describe_trails()["trailList"])


def test_deletes_only_the_named_trail_then_changes_nothing(trails, run_module):
    result = run_module(cloudtrail_trail_deletion, {"name": "lwo-trail"})
    assert result["changed"] is True and result["trail_arn"].endswith(":trail/lwo-trail")
    assert _names(trails) == ["other-trail"]
    again = run_module(cloudtrail_trail_deletion, {"name": "lwo-trail"})
    assert again["changed"] is False and again["trail_arn"] == ""


def test_check_mode_reports_and_keeps_the_trail(trails, run_module):
    result = run_module(cloudtrail_trail_deletion, {"name": "lwo-trail"}, check_mode=True, diff=True)
    assert result["changed"] is True and result["diff"] == {"before": {"trail": "lwo-trail"}, "after": {"trail": None}}
    assert _names(trails) == ["lwo-trail", "other-trail"]
