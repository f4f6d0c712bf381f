"""The write freeze of the source database (default_transaction_read_only, sessions ended) and its lifting."""

from __future__ import annotations

import time
from pathlib import Path

from psycopg import sql

from pg_session import Progress, connect, conninfo, rows, save_state


def cmd_freeze(args) -> dict:
    src = connect("source")
    database = conninfo("source")["dbname"]
    src.execute(sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(
        sql.Identifier(database)))
    # Every client session ends (its open transaction rolls back), except the online follower's, which only reads.
    # (Listed first, terminated after: in one WHERE clause the planner may call pg_terminate_backend on our own pid.)
    ended = [r[0] for r in rows(src, """
        SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
          AND application_name <> 'lwo-db-migration-follower'""")]
    rows(src, "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (ended,))
    # pg_terminate_backend only signals: wait until they are gone, so no write can commit after the freeze.
    deadline = time.monotonic() + 30
    while ended and time.monotonic() < deadline and rows(
            src, "SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (ended,)):
        time.sleep(0.05)
    save_state(args, frozen=True)
    Progress(Path(args.work_dir), "freeze").say(f"source {database} is read-only; {len(ended)} session(s) ended")
    return {"frozen": True, "sessions_ended": len(ended)}


def cmd_unfreeze(args) -> dict:
    src = connect("source")
    database = conninfo("source")["dbname"]
    src.execute(sql.SQL("ALTER DATABASE {} RESET default_transaction_read_only").format(sql.Identifier(database)))
    save_state(args, frozen=False)
    Progress(Path(args.work_dir), "unfreeze").say(f"source {database} is writable again")
    return {"frozen": False}
