"""The write freeze of the source database (default_transaction_read_only, sessions ended) and its lifting."""

from __future__ import annotations

from pathlib import Path

from psycopg import sql

from pg_session import Progress, connect, conninfo, rows, save_state


def cmd_freeze(args) -> dict:
    src = connect("source")
    database = conninfo("source")["dbname"]
    src.execute(sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(
        sql.Identifier(database)))
    ended = rows(src, """
        SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'""")
    save_state(args, frozen=True)
    Progress(Path(args.work_dir), "freeze").say(f"source {database} is read-only; {ended[0][0]} session(s) ended")
    return {"frozen": True, "sessions_ended": ended[0][0]}


def cmd_unfreeze(args) -> dict:
    src = connect("source")
    database = conninfo("source")["dbname"]
    src.execute(sql.SQL("ALTER DATABASE {} RESET default_transaction_read_only").format(sql.Identifier(database)))
    save_state(args, frozen=False)
    Progress(Path(args.work_dir), "unfreeze").say(f"source {database} is writable again")
    return {"frozen": False}

