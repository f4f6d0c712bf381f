"""The online strategy: copy a snapshot while the source stays writable, follow its changes, freeze only to cut over.

start   preflight (online checks too); REPLICA IDENTITY FULL on the listed tables; a publication of the logged
        tables; a logical replication slot created with an exported snapshot (no gap, no overlap between the
        copy and the change stream); the engine's copy and full verification in that snapshot; the catalog
        fingerprint of the snapshot; the target prepared (state schema, user triggers disabled, FORCE RLS lifted);
        the detached follower (pg_follow.py) started; returns once it has caught up once.
status  follower alive, lag in bytes and seconds, transactions applied.
cutover freeze (as the offline strategy), lag 0, unlogged tables copied again, sequences set, target restored,
        verification of the changes (pg_verify.cmd_verify_changes), follower stopped, slot and publication
        dropped; the window from freeze to ready is measured. Refused (source unfrozen, slot kept) on DDL, a
        stopped follower or any difference.
abort   follower stopped, slot and publication dropped, replica identities reverted, freeze lifted if the cutover
        set it: the source as it was.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from psycopg import sql

from pg_follow import STATE_SCHEMA, lsn_int
from pg_freeze import cmd_freeze, cmd_unfreeze
from pg_preflight import cmd_preflight
from pg_session import (CREDENTIALS, CURRENT, Progress, StepError, conninfo, connect, load_state, rows,
                        save_result, save_state, snapshot_connection)
from pg_transfer import verified_copy
from pg_verify import catalog_fingerprint, cmd_verify_changes, fingerprint_changes, write_reports

FOLLOWER_APP = "lwo-db-migration-follower"
PUBLISHED_QUERY = """
    SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_' ORDER BY 1"""
COLUMNS_QUERY = """
    SELECT n.nspname || '.' || c.relname, a.attname, a.atttypid::int FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
    WHERE c.oid::regclass::text = ANY(%s) ORDER BY 1, a.attnum"""


def names() -> tuple[str, str]:
    """Slot and publication, one per source database (a second start on the same database finds them)."""
    base = "lwo_migration_" + re.sub(r"[^a-z0-9_]", "_", conninfo("source")["dbname"].lower())
    return base[:63], base[:63]


# ---------------------------------------------------------------------------------------------------- follower
def follower_pid(work: Path) -> int | None:
    """The follower's pid if it is running (its command line names the step, so a reused pid is not taken)."""
    try:
        pid = int((work / "follower.pid").read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if b"follow" in cmdline and any(str(work).encode() in part for part in cmdline) else None


def follower_status(work: Path) -> dict:
    path = work / "follower.json"
    return json.loads(path.read_text()) if path.exists() else {}


def spawn_follower(args) -> int:
    """The follower as a process of its own session: it outlives this step, the play and an AWX job. Credentials
    reach it on stdin, never in a file it keeps or on its command line."""
    work = Path(args.work_dir)
    argv = [a for a in args.argv if not a.startswith("--credentials")]
    argv = ["follow" if a == args.step else a for a in argv]
    (work / "follower.json").unlink(missing_ok=True)
    with (work / "follower.log").open("a") as log:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("pg_migrate.py")), *argv,
                                 "--credentials=-"], stdin=subprocess.PIPE, stdout=log, stderr=log,
                                start_new_session=True, close_fds=True, cwd=work)
    proc.stdin.write(json.dumps(CREDENTIALS).encode())
    proc.stdin.close()
    return proc.pid


def stop_follower(work: Path, progress: Progress) -> None:
    pid = follower_pid(work)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while follower_pid(work) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    if follower_pid(work) is not None:
        os.kill(pid, signal.SIGKILL)
    progress.say(f"follower {pid} stopped")


def wait_for(work: Path, done, timeout: int, what: str) -> dict:
    """Polls the follower's status file until done(status) or the follower dies or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        status = follower_status(work)
        if status.get("error"):
            raise StepError(f"the follower stopped: {status['error']}")
        if done(status):
            return status
        if time.monotonic() > deadline:
            raise StepError(f"the follower did not {what} within {timeout}s (db_migration_follow_timeout); "
                            f"see {work}/follower.log")
        time.sleep(0.2)


def lag(src, slot: str) -> tuple[int | None, str | None]:
    found = rows(src, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
                      "confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = %s", (slot,))
    return found[0] if found else (None, None)


def lag_seconds(lag_bytes: int | None, status: dict) -> float | None:
    if not lag_bytes:
        return 0.0 if lag_bytes == 0 else None
    caught = status.get("caught_up_at")
    if not caught:
        return None
    return round((datetime.datetime.now(datetime.timezone.utc)
                  - datetime.datetime.fromisoformat(caught)).total_seconds(), 1)


# ---------------------------------------------------------------------------------------------------- target
def prepare_target(tgt, slot: str, lsn: str) -> dict:
    """State schema; user triggers disabled (the source's triggers already ran: their effects are in the stream);
    FORCE ROW LEVEL SECURITY lifted (the login is not BYPASSRLS). Both restored at cutover."""
    tgt.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(STATE_SCHEMA)))
    tgt.execute(f"CREATE TABLE {STATE_SCHEMA}.applied (slot text PRIMARY KEY, lsn pg_lsn NOT NULL, "
                "txns bigint NOT NULL DEFAULT 0, last_commit timestamptz)")
    tgt.execute(f"CREATE TABLE {STATE_SCHEMA}.touched (relation text, key text, PRIMARY KEY (relation, key))")
    tgt.execute(f"INSERT INTO {STATE_SCHEMA}.applied (slot, lsn) VALUES (%s, %s::pg_lsn)", (slot, lsn))
    tgt.execute(f"""CREATE FUNCTION {STATE_SCHEMA}.expect_one(n bigint, what text) RETURNS void LANGUAGE plpgsql AS
                    $$BEGIN IF n <> 1 THEN RAISE EXCEPTION '%: % target rows matched, 1 expected (the target was '
                    'changed by someone else?)', what, n; END IF; END$$""")
    triggers = rows(tgt, """
        SELECT t.tgrelid::regclass::text, t.tgname, t.tgenabled::text FROM pg_trigger t
        WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgrelid::regclass::text NOT LIKE 'pg_%%'
        ORDER BY t.tgparentid <> 0, 1, 2""")  # partitions' clones too, after their parents'
    triggers = [list(t) for t in triggers]
    for table, name, _enabled in triggers:
        tgt.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(sql.SQL(table), sql.Identifier(name)))
    forced = [r[0] for r in rows(tgt, "SELECT oid::regclass::text FROM pg_class WHERE relforcerowsecurity")]
    for table in forced:
        tgt.execute(sql.SQL("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY").format(sql.SQL(table)))
    return {"triggers": triggers, "forced_rls": forced}


def restore_target(tgt, adjusted: dict) -> None:
    enable = {"O": "ENABLE", "A": "ENABLE ALWAYS", "R": "ENABLE REPLICA"}
    for table, name, enabled in adjusted.get("triggers", []):
        tgt.execute(sql.SQL("ALTER TABLE {} {} TRIGGER {}").format(sql.SQL(table), sql.SQL(enable[enabled]),
                                                                   sql.Identifier(name)))
    for table in adjusted.get("forced_rls", []):
        tgt.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(sql.SQL(table)))
    tgt.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(STATE_SCHEMA)))


# ---------------------------------------------------------------------------------------------------- source
def undo_source(src, online: dict, progress: Progress) -> None:
    """Slot, publication and replica identities as they were before the start (each step safe to repeat)."""
    slot, publication = online["slot"], online["publication"]
    for pid in [r[0] for r in rows(src, "SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s "
                                        "AND active_pid IS NOT NULL", (slot,))]:
        rows(src, "SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.5)
    if rows(src, "SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (slot,)):
        src.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
        progress.say(f"replication slot {slot} dropped")
    src.execute(sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(publication)))
    for table, identity in online.get("replica_identity", {}).items():
        src.execute(sql.SQL("ALTER TABLE {} REPLICA IDENTITY {}").format(
            sql.SQL(table), sql.SQL({"d": "DEFAULT", "n": "NOTHING", "f": "FULL"}[identity])))


def prepare_source(args, src, progress: Progress) -> dict:
    slot, publication = names()
    online = {"slot": slot, "publication": publication, "replica_identity": {}, "phase": "starting"}
    for table, identity in rows(src, "SELECT oid::regclass::text, relreplident::text FROM pg_class "
                                     "WHERE oid::regclass::text = ANY(%s)", (args.replica_identity_full,)):
        online["replica_identity"][table] = identity
        save_state(args, online=online)
        src.execute(sql.SQL("ALTER TABLE {} REPLICA IDENTITY FULL").format(sql.SQL(table)))
    published = [r[0] for r in rows(src, PUBLISHED_QUERY)]
    save_state(args, online=online)
    src.execute(sql.SQL("CREATE PUBLICATION {} FOR TABLE {}").format(
        sql.Identifier(publication), sql.SQL(", ").join(map(sql.SQL, published))) if published else
        sql.SQL("CREATE PUBLICATION {}").format(sql.Identifier(publication)))
    progress.say(f"publication {publication} of {len(published)} tables; REPLICA IDENTITY FULL on "
                 f"{', '.join(online['replica_identity']) or 'no table'}")
    return online


# ---------------------------------------------------------------------------------------------------- steps
def cmd_online_start(args) -> dict:
    work = Path(args.work_dir)
    progress = Progress(work, "online-start")
    online = load_state(args).get("online")
    if online and online.get("phase") == "following":
        with connect("source") as src:
            if not lag(src, online["slot"])[1]:
                raise StepError(f"slot {online['slot']} is gone from the source: db_migration_mode=abort, then "
                                "start again")
        if follower_pid(work) is None:
            progress.say("restarting the follower")
            spawn_follower(args)
        CURRENT["step"] = "follow"
        return follow_summary(args, wait_caught_up(args), restarted=True)
    preflight = cmd_preflight(args)
    save_result(args, "preflight", preflight)
    if not preflight["ok"]:
        return {"ok": False, "errors": preflight["errors"], "preflight": preflight,
                "summary": ["Preflight failed: " + e for e in preflight["errors"]]}
    src = connect("source")
    online = prepare_source(args, src, progress)
    try:
        with connect("source", replication="database") as walsender:
            slot_row = walsender.execute(sql.SQL("CREATE_REPLICATION_SLOT {} LOGICAL pgoutput (SNAPSHOT 'export')")
                                         .format(sql.Identifier(online["slot"]))).fetchone()
            online.update(consistent_lsn=slot_row[1])
            save_state(args, online=online)
            progress.say(f"slot {online['slot']} created at {slot_row[1]}, snapshot {slot_row[2]}")
            CURRENT["step"] = "copy"
            copy, verification = verified_copy(args, slot_row[2])
            with snapshot_connection(slot_row[2]) as reader:
                published = [r[0] for r in rows(reader, PUBLISHED_QUERY)]
                columns: dict[str, list] = {}
                for table, column, type_oid in rows(reader, COLUMNS_QUERY, (published,)):
                    columns.setdefault(table, []).append([column, type_oid])
                fingerprint = {"catalog": catalog_fingerprint(reader), "columns": columns}
        if not verification["ok"]:
            raise StepError("the snapshot copy differs from the source: " + "; ".join(verification["differences"]))
        (work / "online-catalog.json").write_text(json.dumps(fingerprint))
        CURRENT["step"] = "online-start"
        with connect("target") as tgt:
            online["target"] = prepare_target(tgt, online["slot"], online["consistent_lsn"])
        online.update(phase="following", copy_verified_at=verification["checked_at"])
        save_state(args, online=online)
    except BaseException:
        # Nothing left behind on the source: a forgotten slot keeps WAL until the disk is full.
        undo_source(src, online, progress)
        save_state(args, online={**online, "phase": "aborted"})
        raise
    spawn_follower(args)
    CURRENT["step"] = "follow"  # a timeout from here on leaves a following migration: status, start again or abort
    status = wait_caught_up(args)
    result = follow_summary(args, status, restarted=False)
    result.update(copy=copy, verification={k: v for k, v in verification.items() if k != "tables"},
                  preflight=preflight)
    result["summary"].insert(1, f"Snapshot copy verified in full: no differences ({len(verification['tables'])} "
                                f"tables, report {args.report_dir}/verification.txt)")
    return result


def wait_caught_up(args) -> dict:
    started = datetime.datetime.now(datetime.timezone.utc).isoformat()
    return wait_for(Path(args.work_dir), lambda s: (s.get("caught_up_at") or "") > started, args.follow_timeout,
                    "catch up")


def follow_summary(args, status: dict, restarted: bool) -> dict:
    report = cmd_online_status(args)
    report["summary"].insert(0, "Follower " + ("restarted" if restarted else "started") + " and caught up once")
    return report


def cmd_online_status(args) -> dict:
    work = Path(args.work_dir)
    online = load_state(args).get("online") or {}
    if not online:
        raise StepError("no online migration in this work directory (start one with db_migration_strategy=online)")
    status = follower_status(work)
    with connect("source") as src:
        lag_bytes, confirmed = lag(src, online["slot"])
    alive = follower_pid(work) is not None
    seconds = lag_seconds(lag_bytes, status)
    result = {"phase": online.get("phase"), "follower_alive": alive, "lag_bytes": lag_bytes, "lag_seconds": seconds,
              "txns_applied": status.get("txns_applied"), "applied_lsn": status.get("applied_lsn"),
              "slot": online["slot"], "slot_confirmed_lsn": confirmed, "follower_error": status.get("error")}
    result["summary"] = [
        f"Online migration: {online.get('phase')}; follower {'alive' if alive else 'NOT RUNNING'}"
        + (f" (stopped: {status['error']})" if status.get("error") else ""),
        f"Lag: {lag_bytes} bytes, {seconds} s; {status.get('txns_applied')} transactions applied "
        f"(at {status.get('applied_lsn')}); slot {online['slot']}",
        f"Follower log: {work}/follower.log"]
    return result


def cmd_online_cutover(args) -> dict:
    work = Path(args.work_dir)
    progress = Progress(work, "cutover")
    online = load_state(args).get("online") or {}
    if online.get("phase") != "following":
        raise StepError(f"no online migration to cut over (phase {online.get('phase')}): "
                        + ("db_migration_mode=abort, then start again" if online.get("phase") == "cutover refused"
                           else "start one with db_migration_strategy=online"))
    refusal = follower_status(work).get("error")
    with connect("source") as src:
        fingerprint = json.loads((work / "online-catalog.json").read_text())
        changed = fingerprint_changes(fingerprint["catalog"], catalog_fingerprint(src))
    if refusal or changed:
        raise StepError("cutover refused, nothing was frozen: " + (refusal or "DDL (or a large-object change) on "
                        "the source during the follow: " + "; ".join(changed[:10])))
    if follower_pid(work) is None:
        progress.say("the follower is not running: restarting it")
        spawn_follower(args)
        wait_caught_up(args)
    frozen_at = time.monotonic()
    frozen_wall = datetime.datetime.now(datetime.timezone.utc).isoformat()
    cmd_freeze(args)
    target_restored = False
    try:
        with connect("source") as src:
            final = lsn_int(rows(src, "SELECT pg_current_wal_lsn()::text")[0][0])
            wait_for(work, lambda s: s.get("applied_lsn") and lsn_int(s["applied_lsn"]) >= final, args.follow_timeout,
                     "reach lag 0 after the freeze")
            changed = fingerprint_changes(fingerprint["catalog"], catalog_fingerprint(src))
            if changed:
                raise StepError("cutover refused: DDL (or a large-object change) on the source during the follow: "
                                + "; ".join(changed[:10]))
            stop_follower(work, progress)
            with connect("target") as tgt:
                copy_unlogged(src, tgt, progress)
                sequences = set_sequences(src, tgt)
                touched: dict[str, list[str] | None] = {}
                for relation, key in rows(tgt, f"SELECT relation, key FROM {STATE_SCHEMA}.touched"):
                    if key == "*" or touched.get(relation, []) is None:
                        touched[relation] = None
                    else:
                        touched.setdefault(relation, []).append(key)
                txns = rows(tgt, f"SELECT txns FROM {STATE_SCHEMA}.applied")[0][0]
                restore_target(tgt, online.get("target", {}))
                target_restored = True
        notes = [f"online strategy: snapshot copy verified in full at {online.get('copy_verified_at')}; "
                 f"{txns} source transactions applied since by the follower; {sequences} sequences set from the "
                 "source"]
        CURRENT["step"] = "verify"
        verification = cmd_verify_changes(args, touched, notes)
        save_result(args, "verify", verification)
        if not verification["ok"]:
            raise StepError("cutover refused, the target differs: " + "; ".join(verification["differences"][:20]))
        CURRENT["step"] = "online-cutover"
        with connect("source") as src:
            undo_source(src, online, progress)
    except BaseException:
        # Refused: the source takes writes again; the slot stays for an abort (or, if the target was not touched
        # yet, a new cutover).
        cmd_unfreeze(args)
        if target_restored:
            save_state(args, online={**online, "phase": "cutover refused"})
        raise
    window = round(time.monotonic() - frozen_at, 2)
    save_state(args, online={**online, "phase": "cut over", "window_seconds": window})
    verification["window_seconds"] = window
    verification["notes"].append(f"write-unavailability window (freeze {frozen_wall} to target ready): {window} s")
    write_reports(Path(args.report_dir), verification)
    progress.say(f"cut over: target ready {window}s after the freeze")
    return {"window_seconds": window, "verification": {k: v for k, v in verification.items() if k != "tables"},
            "summary": [f"Cut over: the target is ready for writes; write-unavailability window {window} s",
                        f"Verification: {verification['scope']}; no differences; report "
                        f"{args.report_dir}/verification.txt",
                        "The source stays read-only (write freeze); slot and publication dropped"]}


def copy_unlogged(src, tgt, progress: Progress) -> None:
    """Unlogged tables are not in the WAL, so not in the change stream: copied again inside the window."""
    for (table,) in rows(src, "SELECT oid::regclass::text FROM pg_class WHERE relkind = 'r' AND "
                              "relpersistence = 'u' AND relnamespace::regnamespace::text !~ '^pg_'"):
        with tgt.transaction():
            tgt.execute(sql.SQL("TRUNCATE ONLY {}").format(sql.SQL(table)))
            with src.cursor().copy(sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(sql.SQL(table))) as out, \
                    tgt.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(sql.SQL(table))) as into:
                for chunk in out:
                    into.write(chunk)
        progress.say(f"unlogged table {table} copied again")


def set_sequences(src, tgt) -> int:
    """Sequence positions are not in the change stream: every sequence takes the frozen source's value."""
    found = rows(src, """
        SELECT format('%I.%I', schemaname, sequencename), last_value, last_value IS NOT NULL
        FROM pg_sequences WHERE schemaname !~ '^pg_' AND schemaname <> 'information_schema'""")
    for name, value, called in found:
        if value is None:
            value = rows(src, "SELECT start_value FROM pg_sequences WHERE format('%%I.%%I', schemaname, "
                              "sequencename) = %s", (name,))[0][0]
        tgt.execute("SELECT setval(%s::regclass, %s, %s)", (name, value, called))
    return len(found)


def cmd_online_abort(args) -> dict:
    work = Path(args.work_dir)
    progress = Progress(work, "abort")
    state = load_state(args)
    online = state.get("online") or {}
    stop_follower(work, progress)
    slot, publication = names()
    online = {"slot": slot, "publication": publication, **online}
    with connect("source") as src:
        undo_source(src, online, progress)
        left = rows(src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s", (slot,))[0][0]
    unfrozen = bool(state.get("frozen")) and online.get("phase") in ("following", "starting", "cutover refused")
    if unfrozen:
        cmd_unfreeze(args)
    save_state(args, online={**online, "phase": "aborted"})
    return {"slot_left": bool(left), "unfrozen": unfrozen,
            "summary": [f"Aborted: follower stopped, slot {slot} and publication {publication} dropped, replica "
                        f"identities reverted ({', '.join(online.get('replica_identity', {})) or 'none changed'})",
                        "Write freeze lifted" if unfrozen else "The source was not frozen by this migration"]}


ONLINE_STEPS = {"online-start": cmd_online_start, "online-status": cmd_online_status,
                "online-cutover": cmd_online_cutover, "online-abort": cmd_online_abort}
