# -*- coding: utf-8 -*-
"""lifeworld.production.rds_instance_master_password against moto's in-process mock, which models the RDS-managed
master secret (ManageMasterUserPassword) but not its rotation."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import rds_instance_master_password

DB = "life-world-os-test-db"


@pytest.fixture
def keys(aws):
    kms = aws.client("kms")
    return [kms.create_key(Description=d)["KeyMetadata"]["Arn"] for d in ("secrets", "other")]


@pytest.fixture
def rds(aws):
    client = aws.client("rds")
    client.create_db_instance(DBInstanceIdentifier=DB, Engine="postgres", DBInstanceClass="db.t3.micro",
                              AllocatedStorage=20, MasterUsername="lifeworld_admin", MasterUserPassword="x" * 20)
    return client


def secret_of(rds):
    return rds.describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0].get("MasterUserSecret")


def run(run_module, args, **kwargs):
    result = run_module(rds_instance_master_password, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_a_self_managed_password_is_handed_to_rds(aws, rds, keys, run_module):
    result = run(run_module, {"db_instance_identifier": DB, "kms_key_id": keys[0]})

    secret = secret_of(rds)
    assert result["changed"] is True
    assert secret["KmsKeyId"] == keys[0]
    assert result["master_user_secret"]["secret_arn"] == secret["SecretArn"]
    # The secret RDS keeps holds the credentials as JSON username/password (the shape the application reads).
    value = aws.client("secretsmanager").get_secret_value(SecretId=secret["SecretArn"])["SecretString"]
    assert set(__import__("json").loads(value)) == {"username", "password"}


def test_second_run_changes_nothing(rds, keys, run_module):
    run(run_module, {"db_instance_identifier": DB, "kms_key_id": keys[0]})
    arn = secret_of(rds)["SecretArn"]

    assert run(run_module, {"db_instance_identifier": DB, "kms_key_id": keys[0]})["changed"] is False
    assert secret_of(rds)["SecretArn"] == arn


def test_check_mode_reports_and_changes_nothing(rds, keys, run_module):
    result = run(run_module, {"db_instance_identifier": DB, "kms_key_id": keys[0]}, check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["diff"] == {"before": {"managed": False, "kms_key_id": ""},
                              "after": {"managed": True, "kms_key_id": keys[0]}}
    assert secret_of(rds) is None


def test_another_key_is_switched_to(rds, keys, run_module):
    run(run_module, {"db_instance_identifier": DB, "kms_key_id": keys[0]})

    result = run(run_module, {"db_instance_identifier": DB, "kms_key_id": keys[1]}, diff=True)

    assert result["changed"] is True
    assert result["diff"]["after"] == {"kms_key_id": keys[1]}
    assert secret_of(rds)["KmsKeyId"] == keys[1]


def test_a_missing_instance_fails(aws, keys, run_module):
    result = run_module(rds_instance_master_password, {"db_instance_identifier": "nope", "kms_key_id": keys[0]})

    assert result.get("failed") is True
    assert "nope does not exist" in result["msg"]
