"""Connections and run state of the db_migration engine: credentials, connections to both ends, the pg client
tools' environment, progress log, state file, step results, exported snapshots. Every other engine module builds
on this one."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import shutil
import sys
import threading
from pathlib import Path

import psycopg
from psycopg import sql

ENDS = ("source", "target")
# The session settings under which row text is rendered identically on both ends.
CANONICAL_SESSION = {
    "TimeZone": "UTC", "DateStyle": "ISO, YMD", "IntervalStyle": "postgres", "extra_float_digits": "3",
    "bytea_output": "hex", "search_path": "pg_catalog", "lc_monetary": "C", "statement_timeout": "0",
}
FREEZE_SETTING = "default_transaction_read_only"


class StepError(Exception):
    """A failure the operator can act on; the message says what to do next."""


# The step being run, so that a failure inside the combined "copy" step names the part that failed.
CURRENT = {"step": ""}


# ---------------------------------------------------------------------------------------------------- plumbing
CREDENTIALS: dict = {}


def load_credentials(text: str) -> None:
    """The role hands connection settings over on stdin (as the online start does to the follower): neither argv nor the
    environment shows them. Every key is given by the role (defaults/main.yml is the only place defaults live)."""
    CREDENTIALS.update(json.loads(text))


CONNECTION_KEYS = ("host", "port", "user", "password", "database", "sslmode")


def conninfo(end: str, database: str | None = None) -> dict:
    given = CREDENTIALS.get(end, {})
    missing = [key for key in CONNECTION_KEYS if key not in given]
    if missing:
        raise StepError(f"the credentials file gives no {end} {', '.join(missing)}")
    return {"host": str(given["host"]), "port": int(given["port"]), "user": str(given["user"]),
            "password": str(given["password"]), "dbname": database or str(given["database"]),
            "sslmode": str(given["sslmode"])}


def connect(end: str, database: str | None = None, autocommit: bool = True,
            application_name: str = "lwo-db-migration", **extra) -> psycopg.Connection:
    params = conninfo(end, database)
    try:
        conn = psycopg.connect(connect_timeout=10, application_name=application_name, autocommit=autocommit,
                               **params, **extra)
    except psycopg.OperationalError as exc:
        raise StepError(f"cannot connect to the {end} {params['host']}:{params['port']}/{params['dbname']} as "
                        f"{params['user']}: {str(exc).strip()}") from None
    # A frozen source would refuse even our read-only helpers' temp work otherwise.
    conn.execute("SET default_transaction_read_only = off")
    # Qualified names in every regclass/regtype rendering, whatever search_path the database sets.
    conn.execute("SET search_path = pg_catalog")
    return conn


def pg_env(end: str, database: str | None = None, options: str = "") -> dict:
    """Environment for the pg_* client tools: the password travels here, never in argv."""
    params = conninfo(end, database)
    env = dict(os.environ)
    env.update(PGHOST=params["host"], PGPORT=str(params["port"]), PGUSER=params["user"],
               PGPASSWORD=params["password"], PGDATABASE=params["dbname"], PGSSLMODE=params["sslmode"],
               PGAPPNAME="lwo-db-migration",
               PGOPTIONS=" ".join(["-c default_transaction_read_only=off", options]).strip())
    return env


def rows(conn: psycopg.Connection, query: str, params=None) -> list[tuple]:
    return conn.execute(query, params).fetchall()


def tool(args: argparse.Namespace, name: str) -> str:
    path = Path(args.pg_bin_dir) / name if args.pg_bin_dir else shutil.which(name)
    if not path or not Path(path).exists():
        raise StepError(f"{name} not found (db_migration_pg_bin_dir={args.pg_bin_dir or 'PATH'}); "
                        "install postgresql-client of the source's major version or newer")
    return str(path)


class Progress:
    """Progress lines to stderr and to a log the operator can tail while Ansible waits."""

    def __init__(self, work_dir: Path, step: str):
        self.log = (work_dir / "progress.log").open("a")
        self.step = step
        self.lock = threading.Lock()

    def say(self, message: str) -> None:
        line = f"{datetime.datetime.now().strftime('%H:%M:%S')} [{self.step}] {message}"
        with self.lock:
            print(line, file=sys.stderr, flush=True)
            self.log.write(line + "\n")
            self.log.flush()


def state_path(args) -> Path:
    return Path(args.work_dir) / "state.json"


def load_state(args) -> dict:
    path = state_path(args)
    return json.loads(path.read_text()) if path.exists() else {}


def save_state(args, **changes) -> None:
    state = load_state(args)
    state.update(changes)
    path = state_path(args)
    path.write_text(json.dumps(state, indent=2))
    path.chmod(0o600)


def target_identity() -> str:
    params = conninfo("target")
    return f"{params['host']}:{params['port']}/{params['dbname']}"


def version_tuple(text: str) -> tuple[int, int]:
    match = re.search(r"(\d+)(?:\.(\d+))?", text)
    return (int(match.group(1)), int(match.group(2) or 0)) if match else (0, 0)


def ident(name: str) -> str:
    """Quote like pg_dump's fmtId so rewritten role names match dump text."""
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


@contextlib.contextmanager
def exported_snapshot():
    """The id of a source snapshot every reader of the copy step imports; its transaction stays open for the block."""
    conn = connect("source")
    try:
        conn.execute("SET idle_in_transaction_session_timeout = 0")
        conn.autocommit = False
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        yield rows(conn, "SELECT pg_export_snapshot()")[0][0]
    finally:
        conn.close()


def snapshot_connection(snapshot: str) -> psycopg.Connection:
    """A source connection whose transaction sees exactly what the exported snapshot saw."""
    conn = connect("source")
    conn.autocommit = False
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
    return conn


def save_result(args, step: str, result: dict) -> None:
    # Kept per step so operators (and the benchmark) can read timings after the play.
    document = json.dumps({"ok": result.get("ok", True), "step": step, **result}, default=str)
    (Path(args.work_dir) / f"result-{step}.json").write_text(document)
