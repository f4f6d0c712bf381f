"""The db_migration role end to end, against real PostgreSQL servers (the target login is not a superuser)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from .conftest import database_content

pytestmark = pytest.mark.integration


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


# ------------------------------------------------------------------------------------------------- the happy path
def test_rich_dataset_migrates_with_zero_differences(migrated):
    result = migrated["result"]
    assert result.returncode == 0, output(result)[-4000:]
    report = migrated["report"]
    assert report["ok"] and report["differences"] == []
    assert report["tables"]["planner.habits"]["source_rows"] == 5000
    assert [t["source_rows"] for name, t in report["tables"].items() if "Order Lines" in name] == [300]
    assert all(t["checksum_match"] for t in report["tables"].values())
    assert (migrated["work"] / "report" / "verification.txt").read_text().count("NO DIFFERENCES") == 1


def test_target_is_what_a_non_superuser_restore_must_produce(stack, migrated):
    with stack.connect("target") as conn:
        def one(query, params=None):
            return conn.execute(query, params).fetchone()[0]

        assert one("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
        # Superuser-owned objects went to the master login; the others kept their owners.
        assert one("SELECT relowner::regrole::text FROM pg_class WHERE oid = 'audit.log'::regclass") == "lwo_master"
        assert one("SELECT relowner::regrole::text FROM pg_class WHERE oid = 'planner.habits'::regclass") == "app_owner"
        # Attributes a non-superuser cannot grant were stripped; the rest kept.
        assert one("SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = 'ops_admin'") is False
        assert one("SELECT rolbypassrls FROM pg_roles WHERE rolname = 'reporting'") is False
        assert one("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'app_writer'") == 7
        assert one("SELECT last_value FROM planner.ticket_seq") == 424242
        assert one("SELECT relispopulated FROM pg_class WHERE oid = 'analytics.daily_checkins'::regclass") is True
        assert one("SELECT count(*) FROM pg_largeobject_metadata") == 3
        # The primary keys were built as indexes and attached (USING INDEX): still constraints, and what the source
        # set on them (replica identity, CLUSTER ON) came along.
        assert one("SELECT contype FROM pg_constraint WHERE conname = 'bookings_pkey'") == "p"
        assert one("SELECT indisclustered FROM pg_index WHERE indexrelid = 'planner.bookings_pkey'::regclass") is True
        assert one("SELECT indisreplident FROM pg_index WHERE indexrelid = 'audit.log_pkey'::regclass") is True
        assert one("SELECT count(*) FROM pg_policies WHERE tablename = 'journal'") == 2
        assert one("SELECT setconfig::text FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase = "
                   "(SELECT oid FROM pg_database WHERE datname = 'lifeworld')") == "{statement_timeout=45s}"
        assert one("SELECT count(*) FROM pg_extension WHERE extname IN "
                   "('pgcrypto', 'citext', 'pg_trgm', 'btree_gist')") == 4
    # Password verifiers travelled: the application role logs in with its old password.
    with stack.connect("target", user="app_writer", password="writer-secret") as conn:
        assert conn.execute("SELECT count(*) FROM planner.journal").fetchone()[0] == 1500  # RLS: own rows only


def test_backup_is_kept_with_a_valid_checksum(migrated):
    """The default backup is written from the copy's stream: a table file per streamed table, each checked by
    coreutils against the sha256 the engine computed as the rows passed; the schema archive holds the rest."""
    backups = migrated["work"] / "backups"
    (archive,) = backups.glob("*.backup")
    assert not list(backups.glob("*.partial"))
    check = subprocess.run(["sha256sum", "-c", archive.name + ".sha256"], cwd=backups, capture_output=True,
                           text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    manifest = json.loads((archive / "manifest.json").read_text())
    streamed = {(t["schema"], t["name"]): t for t in manifest["tables"]}
    assert ("planner", "Order Lines") in streamed and ("planner", "checkins_2025") in streamed
    assert streamed[("planner", "habits")]["bytes"] > 100_000
    for entry in streamed.values():
        assert f"{archive.name}/{entry['file']}: OK" in check.stdout
    listing = subprocess.run(["pg_restore", "-l", str(archive / "schema.dump")], capture_output=True, text=True,
                             check=True).stdout
    assert "TABLE planner habits" in listing and "BLOB" in listing
    assert "TABLE DATA planner habits" not in listing  # its rows are in the stream, not read a second time


def test_backup_restores_to_the_migrated_state(stack, migrated):
    """The rollback artefact is not just files with checksums: its own restore.sh (pg_restore and psql only)
    rebuilds the source database from it, row for row and large object for large object."""
    from scripts.local_stack import postgres  # pylint: disable=import-outside-toplevel

    assert migrated["result"].returncode == 0, "the migration itself failed; see the first test"
    (archive,) = (migrated["work"] / "backups").glob("*.backup")
    env = dict(os.environ, PGHOST=stack.env["LWO_PG_SOURCE_HOST"], PGPORT=stack.env["LWO_PG_SOURCE_PORT"],
               PGUSER=stack.env["LWO_PG_SOURCE_USER"], PGPASSWORD=stack.env["LWO_PG_SOURCE_PASSWORD"],
               PATH=f"{postgres.pg_bin_dir()}:{os.environ['PATH']}")
    with stack.connect("source", database="postgres") as conn:
        conn.execute("DROP DATABASE IF EXISTS restored_backup WITH (FORCE)")
        conn.execute("CREATE DATABASE restored_backup")
    try:
        restore = subprocess.run([str(archive / "restore.sh"), "restored_backup", "2"], env=env, cwd="/",
                                 capture_output=True, text=True, check=False, timeout=300)
        assert restore.returncode == 0, restore.stdout[-1000:] + restore.stderr[-3000:]
        # Compared with the source as the fixture read it right after the migration (frozen: the backup's state).
        expected = migrated["source_content"]
        with stack.connect("source", database="restored_backup") as restored:
            actual = database_content(restored)
        assert len(expected) > 10 and expected["planner.habits"][0] == 5000
        assert actual == expected
    finally:
        with stack.connect("source", database="postgres") as conn:
            conn.execute("DROP DATABASE IF EXISTS restored_backup WITH (FORCE)")


def test_write_freeze_holds_until_unfrozen(stack, migrated):
    # The session's migration ran with db_migration_write_freeze=true, as a cutover would.
    with stack.connect("source") as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO audit.log (what) VALUES ('frozen?')")
    unfreeze = stack.run_playbook(migrated["work"], "-e", "db_migration_mode=unfreeze")
    assert unfreeze.returncode == 0, output(unfreeze)[-3000:]
    with stack.connect("source") as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone()[0] == "off"
        with conn.transaction(force_rollback=True):
            conn.execute("INSERT INTO audit.log (what) VALUES ('writable again')")


# ------------------------------------------------------------------------------------------------- verification
NEGATIVE_CASES = {
    "corrupted row": (
        "UPDATE planner.habits SET name = name || ' (corrupted)' WHERE id = 60",
        "UPDATE planner.habits SET name = replace(name, ' (corrupted)', '') WHERE id = 60",
        "table planner.habits: same row count (5000) but content differs",
    ),
    "missing grant": (
        "REVOKE SELECT ON planner.journal FROM reporting",
        "GRANT SELECT ON planner.journal TO reporting",
        "relations: only on source: r planner.journal",
    ),
    "wrong sequence value": (
        "SELECT setval('planner.ticket_seq', 5)",
        "SELECT setval('planner.ticket_seq', 424242)",
        "sequences: only on source: planner.ticket_seq",
    ),
    "missing large object": (
        "SELECT lo_unlink({lo})",
        "SELECT lo_from_bytea({lo}, '{data}'::bytea)",
        "large_objects: only on source: {lo} ",
    ),
}


def test_verification_catches_each_kind_of_damage(stack, migrated, tmp_path):
    """All four kinds of damage at once, in one verification run: each must be named on its own."""
    assert migrated["result"].returncode == 0, "the migration itself failed; see the first test"
    with stack.connect("target") as conn:
        lo, data = conn.execute("SELECT oid, encode(lo_get(oid), 'hex') FROM pg_largeobject_metadata "
                                "WHERE lomowner = 'lwo_master'::regrole").fetchone()
        fill = {"lo": lo, "data": "\\x" + data}
        for mutate, _revert, _expected in NEGATIVE_CASES.values():
            conn.execute(mutate.format(**fill))
        try:
            result = stack.run_playbook(tmp_path, "-e", "db_migration_mode=verify")
        finally:
            for _mutate, revert, _expected in NEGATIVE_CASES.values():
                conn.execute(revert.format(**fill))
    assert result.returncode != 0, "verification passed although the target was damaged"
    text = output(result)
    assert "failed at step 'verify'" in text, text[-3000:]
    report = json.loads((tmp_path / "report" / "verification.json").read_text())
    assert not report["ok"]
    for case, (_mutate, _revert, expected) in NEGATIVE_CASES.items():
        named = [d for d in report["differences"] if d.startswith(expected.format(**fill))]
        assert named, f"{case} not caught; differences: {report['differences']}"
        assert expected.format(**fill) in text, f"{case} not named in the play's failure message"


# ------------------------------------------------------------------------------------------------- failure
def kill_everything_started_for(work: Path, group: int) -> None:
    """The playbook's process group, plus the async step that detached from it (its argv names our work dir)."""
    os.killpg(group, signal.SIGKILL)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(work) in cmdline and int(proc.name) != os.getpid():
            try:
                os.kill(int(proc.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_restore_killed_midway_then_rerun_completes(stack, tmp_path):
    stack.reset_target()
    progress = tmp_path / "work" / "progress.log"
    proc = subprocess.Popen(stack.playbook_command(tmp_path, "-e", "db_migration_jobs=1"), env=stack.playbook_env(),
                            cwd=stack.state_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if progress.exists() and "[restore] data and post-data" in progress.read_text():
            break
        assert proc.poll() is None, "the playbook ended before the restore started"
        time.sleep(0.1)
    else:
        pytest.fail("the restore never started")
    time.sleep(0.5)
    kill_everything_started_for(tmp_path, proc.pid)
    proc.wait(timeout=30)
    assert not (tmp_path / "work" / "result-restore.json").exists(), "the restore finished before the kill"

    with stack.connect("source") as conn:  # the source never stopped being writable
        with conn.transaction(force_rollback=True):
            conn.execute("INSERT INTO planner.journal (author, body) VALUES ('reporting', 'after the kill')")

    rerun = stack.run_playbook(tmp_path)
    assert rerun.returncode == 0, output(rerun)[-4000:]
    assert "recreating target database lifeworld" in progress.read_text()
    # The killed run's backup was cut short: the rerun removed it and wrote one whole backup.
    backups = tmp_path / "backups"
    assert not list(backups.glob("*.partial")) and len(list(backups.glob("*.backup"))) == 1
    report = json.loads((tmp_path / "report" / "verification.json").read_text())
    assert report["ok"] and report["differences"] == []


def test_write_freeze_is_lifted_when_the_migration_fails(stack, tmp_path):
    # The target still holds the previous migration: with allow_nonempty the run gets past preflight, freezes the
    # source, and then the restore collides with the existing objects.
    result = stack.run_playbook(tmp_path, "-e", "db_migration_write_freeze=true", "-e",
                                "db_migration_allow_nonempty=true")
    assert result.returncode != 0
    text = output(result)
    assert "failed at step 'restore'" in text, text[-3000:]
    assert "write freeze was lifted" in text
    assert "[freeze] source lifeworld is read-only" in (tmp_path / "work" / "progress.log").read_text()
    with stack.connect("source") as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone()[0] == "off"
        with conn.transaction(force_rollback=True):
            conn.execute("INSERT INTO audit.log (what) VALUES ('writable after the failure')")


# ------------------------------------------------------------------------------------------------- bad input
BAD_INPUT = {
    "db_migration_source_port": "db_migration_source_port=not-a-port",
    "db_migration_target_port": "db_migration_target_port=70000",
    "db_migration_mode": "db_migration_mode=explode",
    "db_migration_dump_format": "db_migration_dump_format=tar",
    "db_migration_jobs": "db_migration_jobs=-2",
    "db_migration_target_host": "db_migration_target_host=",
}


@pytest.mark.parametrize("variable", list(BAD_INPUT))
def test_bad_input_fails_before_any_connection(stack, tmp_path, variable):
    result = stack.run_playbook(tmp_path, "-e", BAD_INPUT[variable])
    assert result.returncode != 0
    assert variable in output(result), output(result)[-3000:]
    # The engine never ran: it writes its progress log before it opens any connection.
    assert not (tmp_path / "work" / "progress.log").exists()
    assert "Run step" not in result.stdout
