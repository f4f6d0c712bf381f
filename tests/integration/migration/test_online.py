"""The online strategy end to end, against real PostgreSQL servers: the source keeps taking pgbench writes while the
snapshot is copied and followed; the target login is not a superuser.

Each scenario works on a copy of the rich dataset in a database of its own (online_src -> online, ...), so the
offline tests' `lifeworld` is never touched and the freeze of a cutover stays inside the scenario.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def clone_rich_dataset(stack, source_db: str, target_db: str) -> None:
    """A source database with the rich dataset (CREATE DATABASE ... TEMPLATE) and an empty target database."""
    with stack.connect("source", database="postgres") as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'lifeworld' "
                     "AND pid <> pg_backend_pid()")
        conn.execute(f"DROP DATABASE IF EXISTS {source_db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {source_db} TEMPLATE lifeworld OWNER lifeworld_app")
    with stack.connect("target", database="postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {target_db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {target_db}")


def online_args(source_db: str, target_db: str, *extra: str) -> list[str]:
    return ["-e", "db_migration_strategy=online", "-e", f"db_migration_source_database={source_db}",
            "-e", f"db_migration_target_database={target_db}", "-e", "db_migration_follow_timeout=120", *extra]


def follower(work: Path) -> dict:
    path = work / "work" / "follower.json"
    return json.loads(path.read_text()) if path.exists() else {}


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def source_leftovers(stack, database: str) -> tuple[int, int]:
    with stack.connect("source", database=database) as conn:
        return (conn.execute("SELECT count(*) FROM pg_replication_slots").fetchone()[0],
                conn.execute("SELECT count(*) FROM pg_publication").fetchone()[0])


def stop_follower(work: Path) -> None:
    """Teardown: no follower outlives the test (abort normally did it already)."""
    try:
        os.kill(int((work / "work" / "follower.pid").read_text()), signal.SIGKILL)
    except (OSError, ValueError):
        pass


# ------------------------------------------------------------------------------------------------- writers
# What logical decoding makes hard, done by the "application" while followed: a trigger on the source (its effect is
# in the stream, the target must not fire it again), FORCE ROW LEVEL SECURITY and a generated column on the target,
# an identity column GENERATED ALWAYS, bytea/jsonb/array/domain/enum/composite values, TRUNCATE, a sequence moved,
# an unlogged table (not in the WAL at all).
APP_CHANGES = """
    UPDATE planner.checkins SET note = 'moved on' WHERE habit_id = 60;
    DELETE FROM planner.journal WHERE id = 5;
    UPDATE planner.journal SET body = 'rewritten' WHERE id = 6;
    INSERT INTO planner.habits (owner_email, name, tags, score, mood, place, attrs, blob, weight_kg)
    VALUES ('Late@Example.org', 'after the snapshot', '{a,"b c"}', 42, 'ünïcödé', ROW(1.5, -2.25),
            '{"k": [1, 2.50, null]}', '\\x00ff', 70.10);
    TRUNCATE audit.log;
    SELECT setval('planner.ticket_seq', 500000);
    INSERT INTO analytics.cache VALUES ('k-after', '{}');
"""


@pytest.fixture(scope="module")
def online_cutover(stack, tmp_path_factory):
    """start (pgbench writing throughout) -> follower SIGKILLed mid-stream -> start again -> status -> cutover."""
    from scripts.local_stack import postgres  # pylint: disable=import-outside-toplevel

    work = tmp_path_factory.mktemp("online")
    clone_rich_dataset(stack, "online_src", "online")
    env = dict(os.environ, PGHOST=stack.env["LWO_PG_SOURCE_HOST"], PGPORT=stack.env["LWO_PG_SOURCE_PORT"],
               PGUSER=stack.env["LWO_PG_SOURCE_USER"], PGPASSWORD=stack.env["LWO_PG_SOURCE_PASSWORD"])
    pgbench = str(postgres.pg_bin_dir() / "pgbench")
    subprocess.run([pgbench, "-i", "-q", "-s", "1", "online_src"], env=env, check=True, capture_output=True)
    # Two clients writing for the whole copy and follow; pgbench counts the transactions it saw committed.
    # Rate-limited (-R) so the catch-up stays quick on a loaded test machine; unthrottled in the benchmark.
    writers = subprocess.Popen([pgbench, "-n", "-c", "2", "-R", "60", "-T", "25", "online_src"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # This run keeps the pg_dump backup (custom format); the offline tests cover the default stream backup.
    args = online_args("online_src", "online", "-e", '{"db_migration_replica_identity_full": ["public.pgbench_history"]}',
                       "-e", "db_migration_dump_format=custom")
    runs, reports = {}, {}
    try:
        runs["start"] = stack.run_playbook(work, *args)
        if runs["start"].returncode == 0:
            # Mid-stream: the writers are still going; the follower dies without any chance to clean up.
            before = wait_until(lambda: follower(work).get("txns_applied", 0) > 20 and follower(work), 60,
                                "the follower to apply transactions")
            os.kill(before["pid"], signal.SIGKILL)
            runs["killed_after"] = before["txns_applied"]
            time.sleep(1)
            runs["restart"] = stack.run_playbook(work, *args)
            runs["status"] = stack.run_playbook(work, *args, "-e", "db_migration_mode=status")
        bench_output = writers.communicate(timeout=120)[0]
        with stack.connect("source", database="online_src") as conn:
            conn.execute(APP_CHANGES)
        runs["cutover"] = stack.run_playbook(work, *args, "-e", "db_migration_mode=cutover")
        reports = {name: (work / "report" / name).read_text() for name in ("verification.json", "verification.txt")
                   if (work / "report" / name).exists()}
        # The whole final state compared again, every row (the source is frozen now): zero differences.
        runs["verify"] = stack.run_playbook(work, *args, "-e", "db_migration_mode=verify")
    finally:
        if writers.poll() is None:
            writers.kill()
        stop_follower(work)
    committed = re.search(r"number of transactions actually processed: (\d+)", bench_output)
    yield {"work": work, "runs": runs, "committed": int(committed.group(1)) if committed else None,
           "bench": bench_output, "cutover_reports": reports}
    with stack.connect("source", database="postgres") as conn:
        conn.execute("ALTER DATABASE online_src RESET default_transaction_read_only")


def test_online_start_copies_verifies_and_follows(online_cutover):
    start = online_cutover["runs"]["start"]
    assert start.returncode == 0, output(start)[-4000:]
    assert "Follower started and caught up once" in start.stdout
    assert re.search(r"Lag: \d+ bytes", start.stdout)
    assert re.search(r"Snapshot copy verified in full: no differences \(\d+ tables", start.stdout), start.stdout[-3000:]


def test_online_start_keeps_a_pg_dump_backup_of_the_snapshot_when_asked(online_cutover):
    """db_migration_dump_format=custom: a pg_dump of the copy's snapshot beside the copy, checked by coreutils."""
    backups = online_cutover["work"] / "backups"
    (archive,) = backups.glob("*.dump")
    assert not list(backups.glob("*.backup")) and not list(backups.glob("*.partial"))
    check = subprocess.run(["sha256sum", "-c", archive.name + ".sha256"], cwd=backups, capture_output=True,
                           text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    listing = subprocess.run(["pg_restore", "-l", str(archive)], capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA planner habits" in listing and "TABLE DATA public pgbench_accounts" in listing


def test_follower_killed_midstream_restarts_where_it_stopped(online_cutover):
    runs = online_cutover["runs"]
    assert runs["restart"].returncode == 0, output(runs["restart"])[-4000:]
    assert "Follower restarted and caught up once" in runs["restart"].stdout
    log = (online_cutover["work"] / "work" / "follower.log").read_text()
    # The restarted follower resumed from the position the target recorded, not from zero.
    resumed = re.findall(r"\((\d+) transactions applied before\)", log)
    assert len(resumed) >= 2 and int(resumed[-1]) >= online_cutover["runs"]["killed_after"], log[-2000:]
    status = runs["status"]
    assert status.returncode == 0, output(status)[-3000:]
    assert "follower alive" in status.stdout and re.search(r"Lag: \d+ bytes, [\d.]+ s; \d+ transactions", status.stdout)


def test_cutover_loses_and_doubles_no_transaction(stack, online_cutover):
    cutover = online_cutover["runs"]["cutover"]
    assert cutover.returncode == 0, output(cutover)[-4000:]
    committed = online_cutover["committed"]
    assert committed and committed > 50, online_cutover["bench"][-2000:]
    # tpcb-like writes one pgbench_history row per committed transaction (the table was empty at pgbench -i).
    for end, database in (("source", "online_src"), ("target", "online")):
        with stack.connect(end, database=database) as conn:
            assert conn.execute("SELECT count(*) FROM pgbench_history").fetchone()[0] == committed, end
            assert conn.execute("SELECT sum(delta) = (SELECT sum(abalance) FROM pgbench_accounts) "
                                "FROM pgbench_history").fetchone()[0], end
    # A cut-over migration leaves nothing behind on the source, which stays frozen.
    assert source_leftovers(stack, "online_src") == (0, 0)
    with stack.connect("source", database="online_src") as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone()[0] == "on"
        identity = conn.execute("SELECT relreplident FROM pg_class WHERE oid = 'public.pgbench_history'::regclass")
        assert identity.fetchone()[0] == "d"  # REPLICA IDENTITY FULL reverted


def test_changes_logical_decoding_makes_hard_arrive_once(stack, online_cutover):
    assert online_cutover["runs"]["cutover"].returncode == 0, "the cutover failed; see the test above"
    with stack.connect("target", database="online") as conn:
        def one(query):
            return conn.execute(query).fetchone()[0]

        # The source's trigger appended ' (touched)' once; the target's own copy of it did not run again.
        assert one("SELECT count(*) FROM planner.checkins WHERE habit_id = 60 AND note = 'moved on (touched)'") > 0
        assert one("SELECT count(*) FROM audit.log") == 0
        assert one("SELECT last_value FROM planner.ticket_seq") == 500000
        assert one("SELECT count(*) FROM analytics.cache WHERE k = 'k-after'") == 1
        new_habit = "SELECT h::text FROM planner.habits h WHERE name = 'after the snapshot'"
        with stack.connect("source", database="online_src") as source:
            assert one(new_habit) == source.execute(new_habit).fetchone()[0]  # identity, generated column, types
        assert one("SELECT tgenabled::text FROM pg_trigger WHERE tgname = 'checkins_touch' "
                   "AND tgrelid = 'planner.checkins'::regclass") == "O"  # enabled again after the cutover


def test_cutover_report_says_what_it_compared_and_how_long_writes_stopped(online_cutover):
    report = json.loads(online_cutover["cutover_reports"]["verification.json"])
    assert report["ok"] and report["differences"] == []
    assert 0 < report["window_seconds"] < 60
    text = online_cutover["cutover_reports"]["verification.txt"]
    assert "every row the change stream touched since the snapshot" in text and "Not a full rescan" in text
    assert "write-unavailability window" in text
    changed = report["tables"]["public.pgbench_accounts"]["compared"]
    assert re.fullmatch(r"\d+ changed row\(s\) by key", changed) and int(changed.split()[0]) > 0
    assert report["tables"]["public.pgbench_history"]["compared"] == "all rows"  # no key: compared whole
    assert "write-unavailability window" in online_cutover["runs"]["cutover"].stdout


def test_rich_dataset_after_online_cutover_has_zero_differences(online_cutover):
    verify = online_cutover["runs"]["verify"]
    assert verify.returncode == 0, output(verify)[-4000:]
    report = json.loads((online_cutover["work"] / "report" / "verification.json").read_text())
    assert report["ok"] and report["differences"] == []
    assert report["scope"].startswith("every row of every table")
    assert report["tables"]["planner.habits"]["checksum_match"]
    assert len(report["tables"]) >= 15


# ------------------------------------------------------------------------------------------------- refusals
def test_ddl_and_large_object_change_during_follow_refuse_cutover_and_abort_leaves_no_slot(stack, tmp_path):
    clone_rich_dataset(stack, "online2_src", "online2")
    with stack.connect("source", database="online2_src") as conn:
        conn.execute("CREATE TABLE public.nokey (v int); INSERT INTO public.nokey VALUES (1), (2)")
    try:
        refused = stack.run_playbook(tmp_path, *online_args("online2_src", "online2"))
        assert refused.returncode != 0
        assert "public.nokey" in output(refused) and "db_migration_replica_identity_full" in output(refused)
        assert source_leftovers(stack, "online2_src") == (0, 0)

        args = online_args("online2_src", "online2", "-e", '{"db_migration_replica_identity_full": ["public.nokey"]}')
        start = stack.run_playbook(tmp_path, *args)
        assert start.returncode == 0, output(start)[-4000:]
        with stack.connect("source", database="online2_src") as conn:
            assert conn.execute("SELECT relreplident FROM pg_class WHERE oid = 'public.nokey'::regclass"
                                ).fetchone()[0] == "f"
            conn.execute("INSERT INTO public.nokey VALUES (3)")
            # Logical decoding carries neither DDL nor large-object writes: both in one transaction, so that the
            # follower's next catalog check sees both and must name each (never skip the large object).
            with conn.transaction():
                conn.execute("ALTER TABLE planner.habits ADD COLUMN added_during_follow int")
                lo = conn.execute("SELECT min(oid) FROM pg_largeobject_metadata").fetchone()[0]
                conn.execute("SELECT lo_put(%s, 0, 'changed during the follow'::bytea)", (lo,))
        stopped = wait_until(lambda: follower(tmp_path).get("error"), 60, "the follower to stop on the DDL")
        assert "planner.habits" in stopped and "DDL" in stopped
        assert f"large_objects: only on source: {lo} " in stopped, stopped

        cutover = stack.run_playbook(tmp_path, *args, "-e", "db_migration_mode=cutover")
        assert cutover.returncode != 0
        assert "cutover refused" in output(cutover) and "planner.habits" in output(cutover), output(cutover)[-3000:]
        assert f"large_objects: only on source: {lo} " in output(cutover), output(cutover)[-3000:]
        with stack.connect("source", database="online2_src") as conn:
            assert conn.execute("SHOW default_transaction_read_only").fetchone()[0] == "off"

        abort = stack.run_playbook(tmp_path, *args, "-e", "db_migration_mode=abort")
        assert abort.returncode == 0, output(abort)[-3000:]
        assert source_leftovers(stack, "online2_src") == (0, 0)
        with stack.connect("source", database="online2_src") as conn:
            assert conn.execute("SELECT relreplident FROM pg_class WHERE oid = 'public.nokey'::regclass"
                                ).fetchone()[0] == "d"
            with conn.transaction(force_rollback=True):
                conn.execute("INSERT INTO public.nokey VALUES (4)")  # writable: nothing was left frozen
    finally:
        stop_follower(tmp_path)


def test_online_preflight_names_the_setting_and_the_fix(stack):
    """Against a real server without logical decoding: the local stack's target runs with the default
    wal_level = replica."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "roles" / "db_migration" / "files"))
    import pg_preflight  # pylint: disable=import-outside-toplevel

    with stack.connect("target") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS public.preflight_nokey (v int)")
        conn.execute("SET search_path = pg_catalog")  # as the engine's sessions: qualified regclass names
        try:
            errors = pg_preflight.online_errors(conn, ["public.not_there"])
        finally:
            conn.execute("DROP TABLE public.preflight_nokey")
    assert any(e.startswith("wal_level is replica") and "wal_level = logical" in e for e in errors), errors
    assert any("public.preflight_nokey" in e and "db_migration_replica_identity_full" in e for e in errors), errors
    assert any("public.not_there" in e for e in errors), errors


def test_online_preflight_names_the_missing_replication_privilege_and_the_fix(stack):
    """A real login without REPLICATION (nor superuser, nor rds_replication) on the real source: the error names
    the login and the statement that fixes it; granting REPLICATION clears it."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "roles" / "db_migration" / "files"))
    import pg_preflight  # pylint: disable=import-outside-toplevel

    with stack.connect("source", database="postgres") as admin:
        admin.execute("DROP ROLE IF EXISTS norepl_login")
        admin.execute("CREATE ROLE norepl_login LOGIN PASSWORD 'norepl-secret'")
        try:
            with stack.connect("source", user="norepl_login", password="norepl-secret") as conn:
                errors = pg_preflight.online_errors(conn, [])
            admin.execute("ALTER ROLE norepl_login REPLICATION")
            with stack.connect("source", user="norepl_login", password="norepl-secret") as conn:
                after = pg_preflight.online_errors(conn, [])
        finally:
            admin.execute("DROP ROLE norepl_login")
    named = [e for e in errors if "REPLICATION privilege" in e]
    assert len(named) == 1, errors
    assert "norepl_login" in named[0] and "ALTER ROLE norepl_login REPLICATION" in named[0], named
    assert "GRANT rds_replication TO norepl_login" in named[0], named
    assert not [e for e in after if "REPLICATION privilege" in e], after
