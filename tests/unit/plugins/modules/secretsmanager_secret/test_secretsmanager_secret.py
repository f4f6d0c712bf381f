# -*- coding: utf-8 -*-
"""lifeworld.production.secretsmanager_secret: values and tags against moto's in-process mock."""

import json

import pytest

from ansible_collections.lifeworld.production.plugins.modules import secretsmanager_secret
from ansible_collections.lifeworld.production.plugins.modules import secretsmanager_secret_info

NAME = "lwo/test/db-master"


@pytest.fixture
def sm(aws):
    return aws.client("secretsmanager")


@pytest.fixture
def key_arn(aws):
    return aws.client("kms").create_key()["KeyMetadata"]["Arn"]


@pytest.fixture
def db_args(key_arn):
    return {
        "name": NAME,
        "description": "master credentials",
        "kms_key_id": key_arn,
        "json_secret": {"username": "lwo_admin", "engine": "postgres", "port": 5432},
        "generate_password": {"key": "password", "length": 40, "exclude_characters": "/@\" "},
        "tags": {"Component": "data"},
    }


def value(sm, name=NAME):
    return sm.get_secret_value(SecretId=name)["SecretString"]


def run(run_module, args, **kwargs):
    result = run_module(secretsmanager_secret, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_create_generates_a_password_once_and_never_returns_it(sm, db_args, key_arn, run_module):
    result = run(run_module, db_args, diff=True)

    stored = json.loads(value(sm))
    assert result["changed"] is True and result["value_changed"] is True
    assert stored["username"] == "lwo_admin" and stored["port"] == 5432
    assert len(stored["password"]) == 40 and not set("/@\" ") & set(stored["password"])
    assert stored["password"] not in json.dumps(result)
    described = sm.describe_secret(SecretId=NAME)
    assert described["KmsKeyId"] == key_arn
    assert result["secret"]["arn"] == described["ARN"]
    assert result["secret"]["tags"] == {"Component": "data"}


def test_second_run_keeps_the_password_and_reports_no_change(sm, db_args, run_module):
    run(run_module, db_args)
    first = value(sm)

    result = run(run_module, db_args)

    assert result["changed"] is False and result["value_changed"] is False
    assert value(sm) == first


def test_a_changed_non_secret_key_is_written_and_the_password_kept(sm, db_args, run_module):
    run(run_module, db_args)
    password = json.loads(value(sm))["password"]
    db_args["json_secret"]["port"] = 5433

    result = run(run_module, db_args, diff=True)

    assert result["changed"] is True
    assert json.loads(value(sm)) == {"username": "lwo_admin", "engine": "postgres", "port": 5433, "password": password}
    assert password not in json.dumps(result["diff"])


def test_check_mode_creates_nothing(sm, db_args, run_module):
    result = run(run_module, db_args, check_mode=True, diff=True)

    assert result["changed"] is True
    assert sm.list_secrets()["SecretList"] == []
    assert result["diff"]["after"]["name"] == NAME


def test_given_value_is_replaced_when_it_changes_with_update_always(sm, run_module):
    args = {"name": "lwo/test/api-keys", "json_secret": {"maps": "k1"}}
    run(run_module, args)
    assert run(run_module, args)["changed"] is False

    result = run(run_module, dict(args, json_secret={"maps": "k2"}))

    assert result["changed"] is True
    assert json.loads(value(sm, "lwo/test/api-keys")) == {"maps": "k2"}
    assert "k2" not in json.dumps(result)


def test_on_create_keeps_an_existing_value(sm, run_module):
    run(run_module, {"name": "lwo/test/jwt", "secret_string": "first"})

    result = run(run_module, {"name": "lwo/test/jwt", "secret_string": "second", "update_value": "on_create"})

    assert result["changed"] is False
    assert value(sm, "lwo/test/jwt") == "first"


def test_plain_generated_secret_is_kept(sm, run_module):
    args = {"name": "lwo/test/jwt", "generate_password": {"length": 64, "exclude_punctuation": True}}
    run(run_module, args)
    first = value(sm, "lwo/test/jwt")

    assert len(first) == 64 and first.isalnum()
    assert run(run_module, args)["changed"] is False
    assert value(sm, "lwo/test/jwt") == first


def test_unset_options_leave_the_secret_alone(sm, db_args, run_module):
    run(run_module, db_args)
    assert run(run_module, {"name": NAME})["changed"] is False
    assert sm.describe_secret(SecretId=NAME)["Description"] == "master credentials"


def test_tags_and_description_are_updated(sm, db_args, run_module):
    run(run_module, db_args)

    result = run(run_module, dict(db_args, description="new", tags={"Component": "data", "Owner": "platform"}))

    assert result["changed"] is True
    described = sm.describe_secret(SecretId=NAME)
    assert described["Description"] == "new"
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"Component": "data", "Owner": "platform"}


def test_absent_deletes_then_reports_no_change(sm, db_args, run_module):
    run(run_module, db_args)
    assert run(run_module, {"name": NAME, "state": "absent", "recovery_window": 0})["changed"] is True
    assert sm.list_secrets()["SecretList"] == []
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is False


@pytest.mark.parametrize("bad,message", [
    ({"generate_password": {"length": 20}}, "generate_password.key"),
    ({"rotation": {"lambda_arn": "arn:aws:lambda:us-east-1:123456789012:function:r"}}, "schedule_expression"),
    ({"recovery_window": 3}, "recovery_window"),
    ({"generate_password": {"length": 20}, "secret_string": "placeholder-value"}, "generate_password|secret_string"),
    ({"rotation": {"schedule_expression": "rate(30 days)", "automatically_after_days": 30}},
     "mutually exclusive: schedule_expression|automatically_after_days"),
])
def test_bad_options_fail_with_a_message(aws, db_args, run_module, bad, message):
    args = dict(db_args, **bad)
    if "generate_password" not in bad:
        args.pop("generate_password")
    result = run_module(secretsmanager_secret, args)
    assert result["failed"] is True and message in result["msg"]


def test_info_returns_metadata_and_no_value(sm, db_args, run_module):
    run(run_module, db_args)
    password = json.loads(value(sm))["password"]

    found = run_module(secretsmanager_secret_info, {"name": NAME})
    missing = run_module(secretsmanager_secret_info, {"name": "lwo/test/none"})

    assert found["exists"] is True and found["secret"]["arn"] == sm.describe_secret(SecretId=NAME)["ARN"]
    assert password not in json.dumps(found)
    assert missing["exists"] is False and missing["secret"] == {}
