# -*- coding: utf-8 -*-
"""Rotation of lifeworld.production.secretsmanager_secret, with botocore's Stubber.

moto stores a ScheduleExpression as AutomaticallyAfterDays=0 and fails RotateSecret without a runnable
Lambda, so these tests script the real API instead: the Stubber checks every request against the AWS model,
and any call not scripted (for example a RotateSecret in check mode) fails the test.
"""

import datetime

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.lifeworld.production.plugins.modules import secretsmanager_secret

NAME = "lwo/test/db-master"
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:lwo/test/db-master-AbCdEf"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:lwo-test-db-rotation"
ROTATION = {"lambda_arn": LAMBDA, "schedule_expression": "rate(30 days)", "duration": "4h"}


def described(rotation=None):
    secret = {"ARN": ARN, "Name": NAME, "Tags": [], "LastChangedDate": datetime.datetime(2026, 1, 1)}
    if rotation:
        secret.update({"RotationEnabled": True, "RotationLambdaARN": rotation["lambda_arn"],
                       "RotationRules": {"ScheduleExpression": rotation["schedule_expression"],
                                         "AutomaticallyAfterDays": 30, "Duration": rotation["duration"]}})
    return secret


@pytest.fixture
def stubbed(aws, monkeypatch):
    client = boto3.client("secretsmanager", region_name="us-east-1")
    stubber = Stubber(client)
    monkeypatch.setattr(secretsmanager_secret.AnsibleAWSModule, "client", lambda self, *a, **kw: client)
    with stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def run(run_module, args, **kwargs):
    result = run_module(secretsmanager_secret, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_rotation_is_configured_with_a_schedule_expression_without_rotating_now(stubbed, run_module):
    stubbed.add_response("describe_secret", described(), {"SecretId": NAME})
    stubbed.add_response("rotate_secret", {"ARN": ARN, "Name": NAME}, {
        "SecretId": NAME, "RotationLambdaARN": LAMBDA, "RotateImmediately": False,
        "RotationRules": {"ScheduleExpression": "rate(30 days)", "Duration": "4h"}})
    stubbed.add_response("describe_secret", described(ROTATION), {"SecretId": NAME})

    result = run(run_module, {"name": NAME, "rotation": ROTATION}, diff=True)

    assert result["changed"] is True
    assert result["secret"]["rotation_rules"]["schedule_expression"] == "rate(30 days)"
    assert result["diff"]["after"]["rotation_enabled"] is True


def test_check_mode_calls_neither_rotate_nor_cancel(stubbed, run_module):
    stubbed.add_response("describe_secret", described(), {"SecretId": NAME})
    result = run(run_module, {"name": NAME, "rotation": ROTATION}, check_mode=True)
    assert result["changed"] is True

    stubbed.add_response("describe_secret", described(ROTATION), {"SecretId": NAME})
    result = run(run_module, {"name": NAME, "rotation": {"enabled": False}}, check_mode=True)
    assert result["changed"] is True


def test_configured_rotation_is_unchanged_and_not_touched(stubbed, run_module):
    stubbed.add_response("describe_secret", described(ROTATION), {"SecretId": NAME})
    assert run(run_module, {"name": NAME, "rotation": ROTATION})["changed"] is False


def test_unset_rotation_leaves_existing_rotation_alone(stubbed, run_module):
    stubbed.add_response("describe_secret", described(ROTATION), {"SecretId": NAME})
    assert run(run_module, {"name": NAME, "description": None})["changed"] is False


def test_a_new_schedule_reconfigures_rotation(stubbed, run_module):
    stubbed.add_response("describe_secret", described(ROTATION), {"SecretId": NAME})
    stubbed.add_response("rotate_secret", {"ARN": ARN, "Name": NAME}, {
        "SecretId": NAME, "RotationLambdaARN": LAMBDA, "RotateImmediately": False,
        "RotationRules": {"ScheduleExpression": "rate(7 days)", "Duration": "4h"}})
    stubbed.add_response("describe_secret", described(dict(ROTATION, schedule_expression="rate(7 days)")),
                         {"SecretId": NAME})

    result = run(run_module, {"name": NAME, "rotation": dict(ROTATION, schedule_expression="rate(7 days)")})

    assert result["changed"] is True


def test_disabling_cancels_rotation(stubbed, run_module):
    stubbed.add_response("describe_secret", described(ROTATION), {"SecretId": NAME})
    stubbed.add_response("cancel_rotate_secret", {"ARN": ARN, "Name": NAME}, {"SecretId": NAME})
    stubbed.add_response("describe_secret", described(), {"SecretId": NAME})

    result = run(run_module, {"name": NAME, "rotation": {"enabled": False}})

    assert result["changed"] is True and result["secret"]["rotation_enabled"] is False
