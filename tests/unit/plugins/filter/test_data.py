# -*- coding: utf-8 -*-
"""Input checks of the data tier (plugins/filter/data.py): every problem names its variable."""

import pytest

from ansible_collections.lifeworld.production.plugins.filter.data import engine_major
from ansible_collections.lifeworld.production.plugins.filter.data import rds_problems
from ansible_collections.lifeworld.production.plugins.filter.data import secrets_problems

RDS_OK = {
    "rds_engine_version": "16.4", "rds_backup_retention_days": 7, "rds_instance_class": "db.t3.medium",
    "rds_read_replica_instance_class": "db.r6g.large", "rds_master_secret_name": "p/e/db-master",
    "rds_backup_window": "03:00-03:30", "rds_maintenance_window": "sun:04:00-sun:04:30",
    "rds_allocated_storage_gb": 50, "rds_max_allocated_storage_gb": 200, "rds_region": "us-east-1",
    "rds_backup_replication_region": "", "rds_backup_replication_kms_key_arn": "",
}
SECRETS_OK = {
    "secrets_db_master_username": "lifeworld_admin", "secrets_db_master_database": "lifeworld",
    "secrets_api_keys": {"maps": "k"}, "secrets_db_master_rotation_lambda_arn": "",
    "secrets_db_master_rotation_schedule": "rate(30 days)",
}


def test_valid_inputs_have_no_problem():
    assert rds_problems(RDS_OK) == []
    assert secrets_problems(SECRETS_OK) == []
    assert rds_problems(dict(RDS_OK, rds_engine_version="16")) == []
    assert secrets_problems(dict(SECRETS_OK, secrets_db_master_rotation_schedule="cron(0 4 ? * SUN *)",
                                 secrets_db_master_rotation_lambda_arn="arn:aws:lambda:us-east-1:123456789012:function:r")) == []


@pytest.mark.parametrize("override,variable", [
    ({"rds_engine_version": "16.x"}, "rds_engine_version"),
    ({"rds_engine_version": "9"}, "rds_engine_version"),
    ({"rds_backup_retention_days": 0}, "rds_backup_retention_days"),
    ({"rds_backup_retention_days": 36}, "rds_backup_retention_days"),
    ({"rds_instance_class": "t3.medium"}, "rds_instance_class"),
    ({"rds_read_replica_instance_class": "m5.large"}, "rds_read_replica_instance_class"),
    ({"rds_master_secret_name": " "}, "rds_master_secret_name"),
    ({"rds_backup_window": "3:00-3:30"}, "rds_backup_window"),
    ({"rds_maintenance_window": "sunday:04:00-sunday:04:30"}, "rds_maintenance_window"),
    ({"rds_max_allocated_storage_gb": 20}, "rds_max_allocated_storage_gb"),
    ({"rds_backup_replication_region": "us-east-1",
      "rds_backup_replication_kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/abc"}, "rds_backup_replication_region"),
    ({"rds_backup_replication_region": "us-west-2"}, "rds_backup_replication_kms_key_arn"),
    ({"rds_backup_replication_region": "us-west-2",
      "rds_backup_replication_kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/abc"}, "rds_backup_replication_kms_key_arn"),
])
def test_each_rds_problem_names_its_variable(override, variable):
    problems = rds_problems(dict(RDS_OK, **override))
    assert len(problems) == 1 and problems[0].startswith(variable + ":"), problems


@pytest.mark.parametrize("override,variable", [
    ({"secrets_db_master_username": "postgres"}, "secrets_db_master_username"),
    ({"secrets_db_master_username": "1admin"}, "secrets_db_master_username"),
    ({"secrets_db_master_database": "life-world"}, "secrets_db_master_database"),
    ({"secrets_api_keys": {"maps": ""}}, "secrets_api_keys.maps"),
    ({"secrets_api_keys": ["maps"]}, "secrets_api_keys"),
    ({"secrets_db_master_rotation_lambda_arn": "rotation-fn"}, "secrets_db_master_rotation_lambda_arn"),
    ({"secrets_db_master_rotation_schedule": "monthly"}, "secrets_db_master_rotation_schedule"),
    ({"secrets_db_master_rotation_schedule": "rate(2 hours)"}, "secrets_db_master_rotation_schedule"),
])
def test_each_secrets_problem_names_its_variable(override, variable):
    problems = secrets_problems(dict(SECRETS_OK, **override))
    assert len(problems) == 1 and problems[0].startswith(variable + ":"), problems


def test_engine_major():
    assert engine_major("16.4") == "16" and engine_major("15") == "15" and engine_major("x") == ""
