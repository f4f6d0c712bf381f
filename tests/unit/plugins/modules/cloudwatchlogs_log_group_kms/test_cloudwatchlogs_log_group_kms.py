# -*- coding: utf-8 -*-
"""lifeworld.production.cloudwatchlogs_log_group_kms with botocore's Stubber: moto lacks AssociateKmsKey."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import cloudwatchlogs_log_group_kms
from ansible_collections.lifeworld.production.tests.unit.stubbed_aws import stubbed_client

NAME = "/aws/rds/instance/lw-db/postgresql"
KEY = "arn:aws:kms:us-east-1:123456789012:key/0c3f8b1e-5d7a-4a43-9a59-3d2f1c0e9a11"
DESCRIBE = {"logGroupNamePrefix": NAME}


@pytest.fixture
def stub(monkeypatch, aws):
    client, stubber = stubbed_client(monkeypatch, "logs")
    yield stubber
    stubber.assert_no_pending_responses()


def groups(*entries):
    return {"logGroups": [dict(logGroupName=name, **({"kmsKeyId": key} if key else {})) for name, key in entries]}


def run(run_module, args, **kwargs):
    result = run_module(cloudwatchlogs_log_group_kms, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_associates_the_key_with_a_group_that_has_none(stub, run_module):
    stub.add_response("describe_log_groups", groups((NAME + "-other", KEY), (NAME, None)), DESCRIBE)
    stub.add_response("associate_kms_key", {}, {"logGroupName": NAME, "kmsKeyId": KEY})
    result = run(run_module, {"log_group_name": NAME, "kms_key_id": KEY}, diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"kms_key_id": ""}, "after": {"kms_key_id": KEY}}


def test_same_key_is_no_change(stub, run_module):
    stub.add_response("describe_log_groups", groups((NAME, KEY)), DESCRIBE)
    assert run(run_module, {"log_group_name": NAME, "kms_key_id": KEY})["changed"] is False


def test_empty_key_disassociates(stub, run_module):
    stub.add_response("describe_log_groups", groups((NAME, KEY)), DESCRIBE)
    stub.add_response("disassociate_kms_key", {}, {"logGroupName": NAME})
    assert run(run_module, {"log_group_name": NAME, "kms_key_id": ""})["changed"] is True


def test_check_mode_makes_no_mutating_call(stub, run_module):
    stub.add_response("describe_log_groups", groups((NAME, None)), DESCRIBE)
    assert run(run_module, {"log_group_name": NAME, "kms_key_id": KEY}, check_mode=True)["changed"] is True


def test_missing_group_fails_outside_check_mode(stub, run_module):
    stub.add_response("describe_log_groups", groups(), DESCRIBE)
    result = run_module(cloudwatchlogs_log_group_kms, {"log_group_name": NAME, "kms_key_id": KEY})
    assert result.get("failed") and "does not exist" in result["msg"]
    stub.add_response("describe_log_groups", groups(), DESCRIBE)
    assert run(run_module, {"log_group_name": NAME, "kms_key_id": KEY}, check_mode=True)["changed"] is False
