# -*- coding: utf-8 -*-
"""The data tier (Secrets Manager secrets, RDS PostgreSQL), built by real ansible-playbook runs against the
emulator and read back with boto3: convergence, check mode, what RDS reports, secrets kept out of the output,
a point-in-time restore, and bad input stopped before any AWS call.

The data tier is read from the whole-site build the `site` group shares (tests/integration/conftest.py), which is
an AWX job at -vvv: building network, security and data again in a module of its own cost over three minutes for
what the shared build already holds. The second run is the `site` group's whole-site one (conftest.py:
site.second_run()), read from the data step's play (check mode on an empty account: test_empty_account.py); check
mode on the converged tier runs on the shared build with only the data tag. Deleting the database
(rds_state=absent) is shown in check mode here, since the build is shared; the deletion itself, with its final
snapshot, is test_teardown's (playbooks/teardown.yml runs the same roles/rds/tasks/absent.yml)."""

import json

import pytest

from .harness import SITE_GROUP, api_calls_seen, run_playbook

pytestmark = pytest.mark.xdist_group(SITE_GROUP)

PREFIX = "life-world-os-local"
SECRET_PATH = "life-world-os/local"
SECRETS = {"jwt": SECRET_PATH + "/jwt-secret", "db": SECRET_PATH + "/db-master", "api": SECRET_PATH + "/api-keys"}
INSTANCE = PREFIX + "-db"
PITR = PREFIX + "-db-pitr"
PARAMETER_GROUP = PREFIX + "-pg16"


def _data_resources(emulator):
    """What of the data tier exists: secrets, instances, parameter groups and subnet groups by name."""
    rds = emulator.client("rds")
    return {
        "secrets": sorted(s["Name"] for s in emulator.client("secretsmanager").list_secrets()["SecretList"]),
        "instances": sorted(i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]),
        "parameter_groups": sorted(g["DBParameterGroupName"] for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
                                   if g["DBParameterGroupName"].startswith(PREFIX)),
        "subnet_groups": sorted(g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]),
    }


def _secret_values(emulator):
    """Every secret value the data tier stored: the JWT secret, the master password and each API key."""
    sm = emulator.client("secretsmanager")

    def read(name):
        return sm.get_secret_value(SecretId=SECRETS[name])["SecretString"]

    managed = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=INSTANCE)["DBInstances"][0]
    master = json.loads(sm.get_secret_value(SecretId=managed["MasterUserSecret"]["SecretArn"])["SecretString"])
    return [read("jwt"), master["password"]] + list(json.loads(read("api")).values())


@pytest.fixture(scope="module")
def data(emulator, site):
    """Every tier at -vvv (the shared site build) → site.yml again (the group's one whole-site second run) → data
    --check; every run kept. Check mode on an empty account: test_empty_account.py."""
    runs = {"first": site.build()}
    assert runs["first"].rc == 0, runs["first"].tail()
    second = site.second_run()
    runs["second"], runs["data_second"] = second.run, second.play("Data")
    runs["check_converged"] = run_playbook(emulator, tags="data", check=True, diff=True)
    return runs


def _instance(emulator):
    return emulator.client("rds").describe_db_instances(DBInstanceIdentifier=INSTANCE)["DBInstances"][0]


def test_first_run_builds_the_data_tier(emulator, data):
    assert data["first"].changed > 0
    found = _data_resources(emulator)
    # Besides ours, the secret RDS created for the master password it manages (rds!db-<uuid>).
    managed = emulator.client("secretsmanager").describe_secret(
        SecretId=_instance(emulator)["MasterUserSecret"]["SecretArn"])["Name"]
    assert managed.startswith("rds!db-")
    assert found["secrets"] == sorted(list(SECRETS.values()) + [managed])
    assert found["instances"] == [INSTANCE]
    assert found["parameter_groups"] == [PARAMETER_GROUP]
    assert found["subnet_groups"] == [INSTANCE]


def test_second_run_reports_no_change(data):
    """From the whole-site second run (test_compute asserts changed=0 for all of it): the data step's play ran its
    tasks and none reported a change."""
    run, play = data["second"], data["data_second"]
    assert run.rc == 0, run.tail()
    assert play.ran("secrets : Ensure the JWT, database master and API key secrets"), play
    assert play.ran("rds : Ensure the PostgreSQL instance (Multi-AZ, encrypted, backed up, monitored, private)"), play
    assert play.changed == [], "not idempotent: %s" % play.changed


def test_check_mode_on_converged_stack_reports_no_change(data):
    run = data["check_converged"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, "check mode sees drift on a converged data tier: %s" % run.changed_tasks()


def test_instance_is_multi_az_encrypted_with_our_key_backed_up_protected_and_private(emulator, data):
    db = _instance(emulator)
    rds_key = emulator.client("kms").describe_key(KeyId="alias/%s-rds" % PREFIX)["KeyMetadata"]["Arn"]
    assert db["Engine"] == "postgres" and db["EngineVersion"] == "16.4"
    assert db["MultiAZ"] is True
    assert db["StorageEncrypted"] is True and db["KmsKeyId"] == rds_key
    assert db["BackupRetentionPeriod"] == 7
    assert db["PreferredBackupWindow"] == "03:00-03:30"
    assert db["PreferredMaintenanceWindow"] == "sun:04:00-sun:04:30"
    assert db["DeletionProtection"] is True
    assert db["PubliclyAccessible"] is False
    assert sorted(db["EnabledCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    role = emulator.client("iam").get_role(RoleName=PREFIX + "-rds-monitoring")["Role"]["Arn"]
    assert db["MonitoringInterval"] == 60 and db["MonitoringRoleArn"] == role


def test_instance_sits_in_the_isolated_subnets_behind_the_rds_group(emulator, data):
    ec2, db = emulator.client("ec2"), _instance(emulator)
    isolated = ec2.describe_subnets(Filters=[{"Name": "tag:Tier", "Values": ["isolated"]},
                                             {"Name": "tag:Name", "Values": [PREFIX + "-isolated-*"]}])["Subnets"]
    assert len(isolated) == 2
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] == INSTANCE
    assert sorted(s["SubnetIdentifier"] for s in db["DBSubnetGroup"]["Subnets"]) == sorted(s["SubnetId"] for s in isolated)
    rds_group = ec2.describe_security_groups(Filters=[{"Name": "tag:Name", "Values": [PREFIX + "-rds"]}])["SecurityGroups"]
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [rds_group[0]["GroupId"]]


def test_parameter_group_is_attached_with_ssl_forced_and_logging(emulator, data):
    rds, db = emulator.client("rds"), _instance(emulator)
    assert [g["DBParameterGroupName"] for g in db["DBParameterGroups"]] == [PARAMETER_GROUP]
    group = rds.describe_db_parameter_groups(DBParameterGroupName=PARAMETER_GROUP)["DBParameterGroups"][0]
    assert group["DBParameterGroupFamily"] == "postgres16"
    params = {p["ParameterName"]: p.get("ParameterValue")
              for p in rds.describe_db_parameters(DBParameterGroupName=PARAMETER_GROUP)["Parameters"]}
    assert params["rds.force_ssl"] == "1"
    assert params["log_min_duration_statement"] == "1000"
    assert params["log_connections"] == "1" and params["log_disconnections"] == "1"


def test_secrets_are_encrypted_with_our_key_and_hold_generated_credentials(emulator, data):
    sm = emulator.client("secretsmanager")
    key = emulator.client("kms").describe_key(KeyId="alias/%s-secrets" % PREFIX)["KeyMetadata"]["Arn"]
    for name in SECRETS.values():
        described = sm.describe_secret(SecretId=name)
        assert described["KmsKeyId"] == key, name
        assert {t["Key"]: t["Value"] for t in described["Tags"]}["Component"] == "data"
    # db-master holds the connection and points at the secret RDS keeps (and rotates) the password in: no stale
    # password copy, no rotation Lambda.
    master = json.loads(sm.get_secret_value(SecretId=SECRETS["db"])["SecretString"])
    instance = _instance(emulator)
    assert master["username"] == instance["MasterUsername"] == "lifeworld_admin"
    assert "password" not in master
    assert master["host"] == instance["Endpoint"]["Address"]
    assert (master["port"], master["dbname"]) == (instance["Endpoint"]["Port"], "lifeworld")
    assert master["masterUserSecretArn"] == instance["MasterUserSecret"]["SecretArn"]
    assert instance["MasterUserSecret"]["KmsKeyId"] == key
    assert len(sm.get_secret_value(SecretId=SECRETS["jwt"])["SecretString"]) == 64
    assert json.loads(sm.get_secret_value(SecretId=SECRETS["api"])["SecretString"]).keys() == {"maps", "mail"}


def test_no_secret_value_appears_in_any_output(emulator, data):
    values = _secret_values(emulator)
    # The generated values are long; the emulator's RDS-managed secret holds a fixed 9-character password (AWS
    # generates a long one), the master password's place in this list since RDS manages it.
    assert len(values) == 4 and all(len(v) >= 20 for i, v in enumerate(values) if i != 1) and len(values[1]) >= 8
    # Not the check on an empty account (test_empty_account.py): it ran on another emulator, where this build's
    # values never existed, so looking for them in its output could not fail.
    for name in ("first", "second", "check_converged"):
        run = data[name]
        output = run.stdout + run.stderr
        leaked = [v[:4] + "…" for v in values if v in output]
        assert not leaked, "secret values in the output of the %s run: %s" % (name, leaked)
    # The shared build's runner command line carries -vvv inside its --cmdline argument.
    assert any("-vvv" in arg for arg in data["first"].args) and "ESTABLISH LOCAL CONNECTION" in data["first"].stdout


def test_point_in_time_restore_to_a_scratch_instance_and_cleanup(emulator, data):
    rds = emulator.client("rds")
    secret_arn = emulator.client("secretsmanager").describe_secret(SecretId=SECRETS["db"])["ARN"]

    restore = run_playbook(emulator, "tests/integration/playbooks/rds_pitr.yml")

    assert restore.rc == 0, restore.tail()
    assert "rds__endpoint=%s " % _instance(emulator)["Endpoint"]["Address"] in restore.stdout
    assert "rds__master_secret_arn=%s" % secret_arn in restore.stdout
    scratch = rds.describe_db_instances(DBInstanceIdentifier=PITR)["DBInstances"][0]
    assert scratch["DBSubnetGroup"]["DBSubnetGroupName"] == INSTANCE
    assert scratch["PubliclyAccessible"] is False
    assert "rds__pitr_endpoint=%s" % scratch["Endpoint"]["Address"] in restore.stdout

    cleanup = run_playbook(emulator, "tests/integration/playbooks/rds_pitr.yml", extra_vars={"rds_pitr_state": "absent"})

    assert cleanup.rc == 0, cleanup.tail()
    assert [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]] == [INSTANCE]


def test_state_absent_would_delete_the_database_keeping_a_final_snapshot(emulator, data):
    """rds_state=absent takes the role to its absent.yml: in check mode it reports the deletion and deletes nothing
    (the build is shared). The deletion and its final snapshot are asserted by test_teardown
    (test_the_final_db_snapshot_is_kept, test_teardown_leaves_only_the_keys_pending_deletion), whose
    playbooks/teardown.yml runs the same tasks file."""
    rds = emulator.client("rds")

    run = run_playbook(emulator, tags="rds", check=True, extra_vars={"rds_state": "absent"})

    assert run.rc == 0, run.tail()
    assert any(task.endswith(": Delete the instance, keeping a final snapshot") for task in run.changed_tasks()), \
        "check mode should report the deletion: %s" % run.tail()
    assert [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]] == [INSTANCE]
    assert rds.describe_db_snapshots(DBInstanceIdentifier=INSTANCE, SnapshotType="manual")["DBSnapshots"] == []


# Several mistakes per run (each message must name every variable at fault), to keep the module's time down.
BAD_INPUTS = [
    ("rds", {"rds_engine_version": "16.x", "rds_backup_retention_days": 0, "rds_instance_class": "t3.medium",
             "rds_master_secret_name": ""},
     ["rds_engine_version", "rds_backup_retention_days", "rds_instance_class", "rds_master_secret_name"]),
    ("rds", {"rds_engine_version": "sixteen", "rds_backup_retention_days": 36},
     ["rds_engine_version", "rds_backup_retention_days"]),
    ("secrets", {"secrets_db_master_username": "postgres", "secrets_api_keys": {"maps": ""},
                 "secrets_db_master_rotation_schedule": "every month"},
     ["secrets_db_master_username", "secrets_api_keys.maps", "secrets_db_master_rotation_schedule"]),
]


@pytest.mark.parametrize("tags,override,variables", BAD_INPUTS, ids=["-".join(case[2]) for case in BAD_INPUTS])
def test_bad_input_fails_before_any_aws_call(emulator, tags, override, variables):
    calls_before = api_calls_seen(emulator)
    run = run_playbook(emulator, tags=tags, extra_vars=override)
    assert run.rc != 0
    unnamed = [v for v in variables if v + ":" not in run.stdout]
    assert not unnamed, "the failure should name %s:\n%s" % (unnamed, run.tail())
    assert api_calls_seen(emulator) == calls_before, "an AWS call was made before validation failed"
