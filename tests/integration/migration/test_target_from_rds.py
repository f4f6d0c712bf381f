# -*- coding: utf-8 -*-
"""The db_migration role owns its target (issue 12 item 4): with db_migration_target_from_rds it reads the RDS
endpoint from the rds role's connection secret and the master login from the secret RDS manages, with the
inventory's AWS connection (the moto server here), so no inventory makes that AWS call."""

import json

from ..harness import run_playbook

# docs/CONTRACTS.md: <project>/<environment>/db-master, for the local inventory's life-world-os / local.
CONNECTION_SECRET = "life-world-os/local/db-master"


def _run(emulator):
    return run_playbook(emulator, "tests/integration/playbooks/migration_target.yml", timeout=600,
                        extra_vars={"migration_target_expected_password": "managed-by-rds-0123"})


def test_the_role_reads_endpoint_and_rds_managed_login_itself(scratch_emulator):
    scratch_emulator.reset()
    secrets = scratch_emulator.client("secretsmanager")
    managed = secrets.create_secret(Name="rds!db-0123", SecretString=json.dumps(
        {"username": "lifeworld_admin", "password": "managed-by-rds-0123"}))["ARN"]
    secrets.create_secret(Name=CONNECTION_SECRET, SecretString=json.dumps(
        {"host": "db.example.internal", "port": 6432, "dbname": "lifeworld_app", "username": "lifeworld_admin",
         "masterUserSecretArn": managed}))

    run = _run(scratch_emulator)

    assert run.rc == 0, run.tail()
    assert "TARGET lifeworld_admin@db.example.internal:6432/lifeworld_app password_matches=True" in run.stdout
    assert "managed-by-rds-0123" not in run.stdout


def test_a_secret_without_host_stops_saying_to_build_the_database(scratch_emulator):
    scratch_emulator.reset()
    scratch_emulator.client("secretsmanager").create_secret(Name=CONNECTION_SECRET, SecretString=json.dumps(
        {"username": "lifeworld_admin", "password": "x"}))

    run = _run(scratch_emulator)

    assert run.rc != 0
    assert "holds no host yet" in run.stdout and "--tags data" in run.stdout
