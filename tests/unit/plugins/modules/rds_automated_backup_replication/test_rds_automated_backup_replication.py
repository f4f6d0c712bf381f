# -*- coding: utf-8 -*-
"""lifeworld.production.rds_automated_backup_replication, with botocore's Stubber.

moto does not implement Start/StopDBInstanceAutomatedBackupsReplication, so the calls are scripted: the Stubber
checks every request against the real RDS service model, and a call that is not scripted fails the test (which
is how "check mode calls nothing that mutates" is proven).
"""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.lifeworld.production.plugins.modules import rds_automated_backup_replication as module

SOURCE = "lwo-test-db"
SOURCE_ARN = "arn:aws:rds:us-east-1:123456789012:db:lwo-test-db"
BACKUP_ARN = "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-test"
KEY = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ARGS = {"source_db_instance_identifier": SOURCE, "destination_region": "us-west-2", "backup_retention_period": 7,
        "kms_key_id": KEY}


def source_instance(replicated):
    instance = {"DBInstanceIdentifier": SOURCE, "DBInstanceArn": SOURCE_ARN}
    if replicated:
        instance["DBInstanceAutomatedBackupsReplications"] = [{"DBInstanceAutomatedBackupsArn": BACKUP_ARN}]
    return {"DBInstances": [instance]}


def replicated_backup(retention=7):
    return {"DBInstanceArn": SOURCE_ARN, "DBInstanceAutomatedBackupsArn": BACKUP_ARN, "Region": "us-east-1",
            "BackupRetentionPeriod": retention, "KmsKeyId": KEY, "Status": "replicating"}


@pytest.fixture
def stubs(aws, monkeypatch):
    clients = {region: boto3.client("rds", region_name=region) for region in ("us-east-1", "us-west-2")}
    stubbers = {region: Stubber(client) for region, client in clients.items()}
    monkeypatch.setattr(module.AnsibleAWSModule, "client",
                        lambda self, service, region=None, **kw: clients[region or "us-east-1"])
    for stubber in stubbers.values():
        stubber.activate()
    yield stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def run(run_module, args, **kwargs):
    result = run_module(module, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_starts_replication_in_the_destination_region(stubs, run_module):
    stubs["us-east-1"].add_response("describe_db_instances", source_instance(False), {"DBInstanceIdentifier": SOURCE})
    stubs["us-west-2"].add_response(
        "start_db_instance_automated_backups_replication", {"DBInstanceAutomatedBackup": replicated_backup()},
        {"SourceDBInstanceArn": SOURCE_ARN, "SourceRegion": "us-east-1", "BackupRetentionPeriod": 7, "KmsKeyId": KEY})

    result = run(run_module, ARGS, diff=True)

    assert result["changed"] is True
    assert result["automated_backup"]["db_instance_automated_backups_arn"] == BACKUP_ARN
    assert result["diff"]["after"]["backup_retention_period"] == 7


def test_running_replication_with_same_settings_is_unchanged(stubs, run_module):
    stubs["us-east-1"].add_response("describe_db_instances", source_instance(True), {"DBInstanceIdentifier": SOURCE})
    stubs["us-west-2"].add_response("describe_db_instance_automated_backups",
                                    {"DBInstanceAutomatedBackups": [replicated_backup()]},
                                    {"DBInstanceAutomatedBackupsArn": BACKUP_ARN})

    assert run(run_module, ARGS)["changed"] is False


def test_check_mode_reports_the_start_and_calls_nothing_else(stubs, run_module):
    stubs["us-east-1"].add_response("describe_db_instances", source_instance(False), {"DBInstanceIdentifier": SOURCE})

    assert run(run_module, ARGS, check_mode=True)["changed"] is True


def test_new_retention_restarts_the_replication(stubs, run_module):
    stubs["us-east-1"].add_response("describe_db_instances", source_instance(True), {"DBInstanceIdentifier": SOURCE})
    stubs["us-west-2"].add_response("describe_db_instance_automated_backups",
                                    {"DBInstanceAutomatedBackups": [replicated_backup(7)]},
                                    {"DBInstanceAutomatedBackupsArn": BACKUP_ARN})
    stubs["us-west-2"].add_response("stop_db_instance_automated_backups_replication",
                                    {"DBInstanceAutomatedBackup": replicated_backup(7)}, {"SourceDBInstanceArn": SOURCE_ARN})
    stubs["us-west-2"].add_response(
        "start_db_instance_automated_backups_replication", {"DBInstanceAutomatedBackup": replicated_backup(14)},
        {"SourceDBInstanceArn": SOURCE_ARN, "SourceRegion": "us-east-1", "BackupRetentionPeriod": 14, "KmsKeyId": KEY})

    result = run(run_module, dict(ARGS, backup_retention_period=14), diff=True)

    assert result["changed"] is True
    assert result["diff"] == {"before": {"backup_retention_period": 7}, "after": {"backup_retention_period": 14}}


def test_absent_stops_a_running_replication(stubs, run_module):
    stubs["us-east-1"].add_response("describe_db_instances", source_instance(True), {"DBInstanceIdentifier": SOURCE})
    stubs["us-west-2"].add_response("describe_db_instance_automated_backups",
                                    {"DBInstanceAutomatedBackups": [replicated_backup()]},
                                    {"DBInstanceAutomatedBackupsArn": BACKUP_ARN})
    stubs["us-west-2"].add_response("stop_db_instance_automated_backups_replication",
                                    {"DBInstanceAutomatedBackup": replicated_backup()}, {"SourceDBInstanceArn": SOURCE_ARN})

    assert run(run_module, dict(ARGS, state="absent"))["changed"] is True


def test_absent_without_replication_is_unchanged(stubs, run_module):
    stubs["us-east-1"].add_response("describe_db_instances", source_instance(False), {"DBInstanceIdentifier": SOURCE})

    assert run(run_module, dict(ARGS, state="absent"))["changed"] is False


def test_missing_source_instance_fails_with_its_name(stubs, run_module):
    stubs["us-east-1"].add_client_error("describe_db_instances", service_error_code="DBInstanceNotFound",
                                        expected_params={"DBInstanceIdentifier": SOURCE})

    result = run_module(module, ARGS)

    assert result["failed"] is True and SOURCE in result["msg"]


@pytest.mark.parametrize("bad,message", [({"backup_retention_period": 0}, "backup_retention_period"),
                                         ({"destination_region": "us-east-1"}, "destination_region")])
def test_bad_options_fail_before_any_call(stubs, run_module, bad, message):
    result = run_module(module, dict(ARGS, **bad))
    assert result["failed"] is True and message in result["msg"]
