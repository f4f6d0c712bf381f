# -*- coding: utf-8 -*-
"""Secrets hygiene (issue 8): no secret value in the output of a -vvv run, in an AWX job's output, or in a file a
run leaves on disk.

- site.yml runs once, at -vvv, through ansible-runner (the engine AWX runs jobs with, invoked as in
  test_awx_runner.py); the secret values are then read back from Secrets Manager with boto3 (JWT secret, database
  master password, API keys) and looked for in the runner's stdout and stderr and in every file of its artifacts
  directory (job_events/*.json, stdout, ...): that is the -vvv output and the AWX job output at once.
- playbooks/migrate_database.yml runs at -vvv against a private pair of local-stack PostgreSQL servers: their
  passwords must not be in its output; the backup must be 0600 in a 0700 directory; the credentials file the role
  hands to its engine (and any pgpass/service file) must be gone afterwards; no file left under the work, backup
  and report directories may hold a password or a password verifier, except the backup's own data (dumps, table files).

Every place a value turns up counts once in the figure `secrets_leaked` (target 0).
"""

import json
import stat

import pytest

from .harness import SITE_GROUP, private_postgres, run_playbook

pytestmark = pytest.mark.xdist_group(SITE_GROUP)

PROJECT, ENVIRONMENT = "life-world-os", "local"
# Files that carry connection credentials to PostgreSQL tools; none may outlive the run.
CREDENTIAL_FILES = ("credentials.json", ".pgpass", "pgpass", ".pg_service.conf", "pg_service.conf")
VERIFIER = "SCRAM-SHA-256$"


def _leaks(secrets, text):
    """Names (never values) of the secrets found in ``text``."""
    return sorted(name for name, value in secrets.items() if value and value in text)


def _files(*roots):
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def _scan_files(secrets, files):
    return {str(path): found for path in files
            for found in [_leaks(secrets, path.read_text(errors="replace"))] if found}


def _aws_secret_values(emulator):
    """The values the data tier stored, read back the way an attacker with the values would match them."""
    read = emulator.client("secretsmanager").get_secret_value
    path = "%s/%s/" % (PROJECT, ENVIRONMENT)
    managed_arn = json.loads(read(SecretId=path + "db-master")["SecretString"])["masterUserSecretArn"]
    values = {"jwt-secret": read(SecretId=path + "jwt-secret")["SecretString"],
              "db master password": json.loads(read(SecretId=managed_arn)["SecretString"])["password"]}
    for key, value in json.loads(read(SecretId=path + "api-keys")["SecretString"]).items():
        values["api-keys " + key] = value
    return values


@pytest.fixture(scope="module")
def awx_job(site):
    """site.yml at -vvv through ansible-runner on an empty emulator (the `site` group's shared build); returns
    (the run, its artifacts dir, the secrets read back)."""
    run = site.build()
    return run, site.job.artifacts, _aws_secret_values(site.emulator)


@pytest.fixture(scope="module")
def postgres_servers():
    """A private pair of local-stack PostgreSQL servers: state dir, exports, passwords."""
    from scripts.local_stack import postgres

    with private_postgres("lwo-hygiene-") as state_dir:
        yield state_dir, postgres.env_exports(state_dir), postgres.passwords(state_dir)


@pytest.fixture(scope="module")
def migration(emulator, postgres_servers, tmp_path_factory):
    state_dir, pg_env, passwords = postgres_servers
    work = tmp_path_factory.mktemp("hygiene-migration")
    dirs = {"work": work / "work", "backups": work / "backups", "report": work / "report"}
    run = run_playbook(emulator, "playbooks/migrate_database.yml", extra_args=(
        "-vvv", "--tags", "migrate", "-e", "db_migration_work_dir=%s" % dirs["work"],
        "-e", "db_migration_backup_dir=%s" % dirs["backups"], "-e", "db_migration_report_dir=%s" % dirs["report"]),
        env=dict(pg_env, LWO_STATE_DIR=str(state_dir)), timeout=900)
    assert run.rc == 0, run.tail()
    return run, dirs, {"postgres " + user: value for user, value in passwords.items()}


def test_no_secret_in_the_vvv_output_of_the_awx_job(awx_job):
    proc, artifacts, secrets = awx_job
    assert "ESTABLISH LOCAL CONNECTION" in proc.stdout, "the job did not run at -vvv"
    # The emulator's RDS-managed master secret holds a fixed 9-character password (AWS generates a long one).
    assert len(secrets) >= 3 and all(len(v) >= (8 if k == "db master password" else 16) for k, v in secrets.items()), \
        "secret values not read back"
    leaked = {"runner stdout": _leaks(secrets, proc.stdout), "runner stderr": _leaks(secrets, proc.stderr)}
    assert not any(leaked.values()), leaked


def test_no_secret_in_the_awx_job_artifacts(awx_job):
    proc, artifacts, secrets = awx_job
    files = _files(artifacts)
    events = [p for p in files if p.parent.name == "job_events"]
    assert len(events) > 100 and (artifacts / "stdout").is_file(), "no job events to scan"
    # The events hold the task results: prove the scan reads what the secrets role produced (censored).
    assert any("the output has been hidden" in p.read_text() for p in events)
    assert _scan_files(secrets, files) == {}


def test_migration_output_holds_no_database_password(migration):
    run, dirs, passwords = migration
    assert "ESTABLISH LOCAL CONNECTION" in run.stdout
    assert _leaks(passwords, run.stdout + run.stderr) == []


def _holds_rows(path) -> bool:
    """The source's own data, which may hold anything its tables hold: pg_dump archives (the copy's schema
    archive too) and the stream backup's table files (pg_backup.py)."""
    return path.suffix == ".dump" or path.name.endswith((".copy", ".copy.gz"))


def _dumps(dirs):
    return [p for p in _files(dirs["backups"]) if _holds_rows(p)]


def test_backup_is_kept_in_a_private_directory(migration):
    """Kept where the inventory says (db_migration_backup_dir), in a 0700 directory. Its checksum and LATEST
    pointer hold no secret (checked below) and only need the directory's protection."""
    run, dirs, passwords = migration
    assert stat.S_IMODE(dirs["backups"].stat().st_mode) == 0o700
    assert _dumps(dirs), "no backup kept in %s: %s" % (dirs["backups"], _files(dirs["backups"]))


# The engine sets umask 077 itself (roles/db_migration/files/pg_migrate.py): the operator's umask does not matter.
def test_dump_is_readable_by_its_owner_only(migration):
    run, dirs, passwords = migration
    dumps = _dumps(dirs)
    assert dumps and {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in dumps} == {str(p): "0o600" for p in dumps}
    inner = [p for p in dirs["backups"].rglob("*") if p.is_dir()]
    assert inner and {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in inner} == {str(p): "0o700" for p in inner}


def test_credential_files_are_removed(migration):
    run, dirs, passwords = migration
    left = [str(p) for p in _files(*dirs.values()) if p.name in CREDENTIAL_FILES]
    assert left == []
    for directory in dirs.values():
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory


def test_no_password_or_verifier_in_files_left_except_the_dump(migration):
    run, dirs, passwords = migration
    others = [p for p in _files(*dirs.values()) if not _holds_rows(p)]
    assert others, "nothing left to scan"
    assert any(p.name == "manifest.json" for p in others)  # the stream backup's own files are scanned
    assert _scan_files(passwords, others) == {}
    assert [str(p) for p in others if VERIFIER in p.read_text(errors="replace")] == []


def test_secrets_leaked_figure(awx_job, migration, record_property):
    """Every (secret, place) pair found anywhere above; the issue's figure, target 0."""
    proc, artifacts, secrets = awx_job
    run, dirs, passwords = migration
    everything = dict(secrets, **passwords)
    places = [proc.stdout, proc.stderr, run.stdout, run.stderr]
    leaked = sum(len(_leaks(everything, text)) for text in places)
    files = _files(artifacts) + [p for p in _files(*dirs.values()) if not _holds_rows(p)]
    leaked += sum(len(found) for found in _scan_files(everything, files).values())
    record_property("figure:secrets_leaked", leaked)
    assert leaked == 0
