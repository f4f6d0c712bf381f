#!/usr/bin/env python
"""PostgreSQL migration engine used by the db_migration role.

One subcommand per step (preflight, freeze, unfreeze, backup, globals, restore, verify).  Connection settings come
from the environment (LWO_MIG_SOURCE_HOST ... LWO_MIG_TARGET_PASSWORD) so that no password ever reaches a command
line; each step prints one JSON document on stdout as its last line and progress on stderr and in the progress log.

The target login is assumed NOT to be a superuser (RDS): objects owned by the source's superusers are given to the
target login, role attributes a non-superuser cannot grant are stripped, and the steps that pg_restore would run
with superuser rights (SET SESSION AUTHORIZATION, ALTER ... OWNER TO <superuser>) are rewritten.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql

# The engine may run straight from the role's files: leave no bytecode next to them.
sys.dont_write_bytecode = True
import pg_copy  # noqa: E402  pylint: disable=wrong-import-position

ENDS = ("source", "target")
# Extensions Amazon RDS for PostgreSQL 15 offers (subset most applications use); others are reported.
RDS_EXTENSIONS = {
    "amcheck", "aws_commons", "aws_lambda", "aws_s3", "bloom", "btree_gin", "btree_gist", "citext", "cube",
    "dblink", "dict_int", "dict_xsyn", "earthdistance", "fuzzystrmatch", "hll", "hstore", "hypopg", "intagg",
    "intarray", "ip4r", "isn", "lo", "ltree", "orafce", "pg_buffercache", "pg_cron", "pg_freespacemap",
    "pg_hint_plan", "pg_partman", "pg_prewarm", "pg_repack", "pg_stat_statements", "pg_trgm", "pg_visibility",
    "pgaudit", "pgcrypto", "pglogical", "pgrouting", "pgrowlocks", "pgstattuple", "pgvector", "vector", "plcoffee",
    "plls", "plperl", "plpgsql", "plv8", "postgis", "postgis_raster", "postgis_tiger_geocoder", "postgis_topology",
    "postgres_fdw", "prefix", "rdkit", "seg", "sslinfo", "tablefunc", "tcn", "tsm_system_rows",
    "tsm_system_time", "unaccent", "uuid-ossp",
}
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


def load_credentials(path: str) -> None:
    """The role hands connection settings over in a 0600 file: neither argv nor a shell prefix shows them."""
    if path:
        CREDENTIALS.update(json.loads(Path(path).read_text()))


def conninfo(end: str, database: str | None = None) -> dict:
    given = CREDENTIALS.get(end, {})
    prefix = f"LWO_MIG_{end.upper()}_"

    def value(key: str, default: str | None = None) -> str:
        found = given.get(key, os.environ.get(prefix + key.upper(), default))
        if found is None:
            raise StepError(f"no {end} {key} given (credentials file or {prefix}{key.upper()})")
        return str(found)

    return {
        "host": value("host"),
        "port": int(value("port", "5432")),
        "user": value("user"),
        "password": value("password", ""),
        "dbname": database or value("database"),
        "sslmode": value("sslmode", "prefer"),
    }


def connect(end: str, database: str | None = None, autocommit: bool = True) -> psycopg.Connection:
    params = conninfo(end, database)
    try:
        conn = psycopg.connect(connect_timeout=10, application_name="lwo-db-migration", autocommit=autocommit,
                               **params)
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
    # The engine's own settings (both ends' passwords, when given this way) are not handed on to the tools.
    env = {key: value for key, value in os.environ.items() if not key.startswith("LWO_MIG_")}
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


# ---------------------------------------------------------------------------------------------------- roles
def mapped_superusers(src: psycopg.Connection) -> list[str]:
    """Source superusers whose objects go to the target master: the bootstrap superuser and the migration login."""
    return [r[0] for r in rows(src, "SELECT rolname FROM pg_roles WHERE rolsuper AND (oid = 10 OR rolname = "
                                    "current_user) ORDER BY 1")]


def migrated_roles(src: psycopg.Connection) -> list[dict]:
    query = """
        SELECT a.rolname, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, a.rolcanlogin,
               a.rolreplication, a.rolbypassrls, a.rolconnlimit, a.rolvaliduntil::text, a.rolpassword,
               shobj_description(a.oid, 'pg_authid')
        FROM pg_authid a
        WHERE a.rolname !~ '^pg_' AND NOT (a.rolsuper AND (a.oid = 10 OR a.rolname = current_user))
        ORDER BY a.rolname"""
    keys = ("name", "superuser", "inherit", "createrole", "createdb", "login", "replication", "bypassrls",
            "connlimit", "validuntil", "password", "comment")
    return [dict(zip(keys, r)) for r in rows(src, query)]


def role_statement(role: dict, exists: bool) -> sql.Composed:
    flags = [
        "INHERIT" if role["inherit"] else "NOINHERIT",
        "CREATEROLE" if role["createrole"] else "NOCREATEROLE",
        "CREATEDB" if role["createdb"] else "NOCREATEDB",
        "LOGIN" if role["login"] else "NOLOGIN",
    ]
    parts = [sql.SQL("ALTER ROLE" if exists else "CREATE ROLE"), sql.Identifier(role["name"]),
             sql.SQL(" ".join(flags)), sql.SQL("CONNECTION LIMIT"), sql.Literal(role["connlimit"])]
    if role["validuntil"]:
        parts += [sql.SQL("VALID UNTIL"), sql.Literal(role["validuntil"])]
    if role["password"]:
        # The stored SCRAM/MD5 verifier is passed through, so logins keep working without knowing the password.
        parts += [sql.SQL("PASSWORD"), sql.Literal(role["password"])]
    return sql.SQL(" ").join(parts)


def cmd_globals(args) -> dict:
    progress = Progress(Path(args.work_dir), "globals")
    src, tgt = connect("source"), connect("target")
    master = conninfo("target")["user"]
    existing = {r[0] for r in rows(tgt, "SELECT rolname FROM pg_roles")}
    created, altered, stripped, warnings = [], [], {}, []
    roles = [r for r in migrated_roles(src) if r["name"] != master]
    for role in roles:
        lost = [attr.upper() for attr in ("superuser", "replication", "bypassrls") if role[attr]]
        if lost:
            stripped[role["name"]] = lost
        try:
            tgt.execute(role_statement(role, role["name"] in existing))
        except psycopg.Error as exc:
            raise StepError(f"role {role['name']}: {exc.diag.message_primary}") from None
        (altered if role["name"] in existing else created).append(role["name"])
        if role["comment"] is not None:
            tgt.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(
                sql.Identifier(role["name"]), sql.Literal(role["comment"])))
    names = {r["name"] for r in roles}
    # The master must be able to act as every owner: ALTER ... OWNER TO and ownership checks need membership.
    members_of_master = {r[0] for r in rows(tgt, "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON "
                                                 "r.oid = m.roleid WHERE m.member = (SELECT oid FROM pg_roles "
                                                 "WHERE rolname = current_user)")}
    for name in sorted(names - members_of_master):
        tgt.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(name), sql.Identifier(master)))
    memberships = rows(src, """
        SELECT r.rolname, m.rolname, am.admin_option FROM pg_auth_members am
        JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member ORDER BY 1, 2""")
    granted = 0
    for role, member, admin in memberships:
        if member not in names or (role not in names and not role.startswith("pg_")):
            continue
        statement = sql.SQL("GRANT {} TO {}{}").format(sql.Identifier(role), sql.Identifier(member),
                                                       sql.SQL(" WITH ADMIN OPTION" if admin else ""))
        try:
            tgt.execute(statement)
            granted += 1
        except psycopg.Error as exc:
            warnings.append(f"GRANT {role} TO {member}: {exc.diag.message_primary}")
    # Role-wide settings (ALTER ROLE x SET ...); per-database ones go with the database in the restore step.
    for role, config in rows(src, """
            SELECT r.rolname, s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
            WHERE s.setdatabase = 0"""):
        if role in names:
            warnings += apply_settings(tgt, sql.SQL("ALTER ROLE {}").format(sql.Identifier(role)), config)
    for message in warnings:
        progress.say("warning: " + message)
    progress.say(f"{len(created)} roles created, {len(altered)} updated, {granted} memberships granted")
    return {"created": created, "altered": altered, "stripped": stripped, "memberships": granted,
            "mapped_to_master": mapped_superusers(src), "warnings": warnings}


LIST_SETTINGS = {"search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries"}


def setting_value(name: str, value: str) -> sql.Composable:
    """setconfig keeps list settings flattened ("a, \"B\""): give them back element by element."""
    if name not in LIST_SETTINGS:
        return sql.Literal(value)
    items = [quoted.replace('""', '"') if quoted else bare
             for quoted, bare in re.findall(r'"((?:[^"]|"")*)"|([^,\s]+)', value)]
    return sql.SQL(", ").join(sql.Literal(item) for item in items)


def apply_settings(conn, prefix: sql.Composable, config: list[str]) -> list[str]:
    warnings = []
    for item in config:
        name, _sep, value = item.partition("=")
        if name == FREEZE_SETTING:
            continue  # the write freeze's own marker must never travel to the target
        try:
            conn.execute(sql.SQL("{} SET {} = {}").format(prefix, sql.Identifier(name), setting_value(name, value)))
        except psycopg.Error as exc:
            warnings.append(f"{prefix.as_string(conn)} SET {name}: {exc.diag.message_primary}")
    return warnings


# ---------------------------------------------------------------------------------------------------- preflight
def user_object_count(conn) -> int:
    query = """
        SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
                  AND n.nspname !~ '^pg_temp')
             + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
             + (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema',
                'public') AND nspname !~ '^pg_')
             + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')
             + (SELECT count(*) FROM pg_largeobject_metadata)"""
    return rows(conn, query)[0][0]


def unsupported_report(src, mapped: list[str]) -> dict:
    superuser_owned = rows(src, """
        SELECT kind, count(*) FROM (
          SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                   WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' ELSE 'relation' END AS kind
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.oid = c.relowner
          WHERE r.rolname = ANY(%(m)s) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname !~ '^pg_toast' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          UNION ALL
          SELECT 'function' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          JOIN pg_roles r ON r.oid = p.proowner
          WHERE r.rolname = ANY(%(m)s) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
          UNION ALL
          SELECT 'schema' FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
          WHERE r.rolname = ANY(%(m)s) AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'public')
            AND n.nspname !~ '^pg_'
          UNION ALL
          SELECT 'large object' FROM pg_largeobject_metadata l JOIN pg_roles r ON r.oid = l.lomowner
          WHERE r.rolname = ANY(%(m)s)) s GROUP BY kind ORDER BY kind""", {"m": mapped})
    untrusted = rows(src, """
        SELECT DISTINCT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE NOT l.lanpltrusted AND l.lanname NOT IN ('internal', 'c')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')""")
    c_functions = rows(src, """
        SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE l.lanname = 'c' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')""")
    event_triggers = rows(src, "SELECT evtname FROM pg_event_trigger")
    extensions = [r[0] for r in rows(src, "SELECT extname FROM pg_extension ORDER BY 1")]
    return {
        "superuser_owned_mapped_to_master": dict(superuser_owned),
        "untrusted_languages": [r[0] for r in untrusted],
        "c_functions": [r[0] for r in c_functions],
        "event_triggers": [r[0] for r in event_triggers],
        "extensions_outside_rds": [e for e in extensions if e not in RDS_EXTENSIONS],
    }


def settings_the_target_refuses(src, tgt, target_is_superuser: bool) -> list[str]:
    """Database and role settings a non-superuser cannot ALTER ... SET (superuser-only or unknown placeholders)."""
    if target_is_superuser:
        return []
    names = {r[0] for r in rows(src, """
        SELECT split_part(cfg, '=', 1) FROM pg_db_role_setting s, unnest(s.setconfig) cfg
        WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))""")}
    names.discard(FREEZE_SETTING)
    settable = dict(rows(tgt, "SELECT name, context FROM pg_settings WHERE name = ANY(%s)", (list(names),)))
    refused = sorted(n for n in names if settable.get(n) != "user")
    if not refused:
        return []
    return ["settings the non-superuser target cannot take (set them in the RDS parameter group or drop them "
            "from the source with ALTER DATABASE/ROLE ... RESET): " + ", ".join(refused)]


def cmd_preflight(args) -> dict:
    progress = Progress(Path(args.work_dir), "preflight")
    errors, warnings = [], []
    client = subprocess.run([tool(args, "pg_dump"), "--version"], capture_output=True, text=True, check=True)
    client_version = version_tuple(client.stdout.split(")", 1)[-1])
    src = connect("source")
    tgt = connect("target")
    source_version = version_tuple(rows(src, "SHOW server_version")[0][0])
    target_version = version_tuple(rows(tgt, "SHOW server_version")[0][0])
    if client_version[0] < source_version[0]:
        errors.append(f"client tools {client_version[0]}.{client_version[1]} are older than the source server "
                      f"{source_version[0]}.{source_version[1]}; install postgresql-client-{source_version[0]} "
                      "or point db_migration_pg_bin_dir at newer tools")
    if target_version[0] < source_version[0]:
        errors.append(f"target server {target_version[0]} is older than the source {source_version[0]}")
    if not rows(src, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0][0]:
        warnings.append("the source login is not a superuser: objects it cannot read will fail the dump")
    master_super = rows(tgt, "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user")[0]
    if not master_super[0] and not master_super[1]:
        errors.append("the target login lacks CREATEROLE, which the roles step needs")

    objects = user_object_count(tgt)
    state = load_state(args)
    resumable = state.get("restore_started") == target_identity()
    if objects and not (args.allow_nonempty == "true" or resumable):
        errors.append(f"target database {conninfo('target')['dbname']} is not empty ({objects} objects); "
                      "empty it or set db_migration_allow_nonempty: true")
    elif objects and resumable:
        warnings.append("target holds a partial restore from an earlier failed run: it will be recreated")

    data_bytes = rows(src, """
        SELECT coalesce(sum(pg_table_size(c.oid)), 0) FROM pg_class c
        WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't'""")[0][0]
    backup_dir = Path(args.backup_dir)
    backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    free = shutil.disk_usage(backup_dir).free
    needed = int(float(data_bytes) * args.disk_factor)
    if free < needed:
        errors.append(f"{backup_dir} has {free // 2**20} MiB free, the dump needs about {needed // 2**20} MiB "
                      "(table data x db_migration_disk_factor); free space or change db_migration_backup_dir")

    in_use = [r[0] for r in rows(src, "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")]
    available = dict(rows(tgt, """
        SELECT name, bool_or(trusted) FROM pg_available_extension_versions GROUP BY name"""))
    rds_allowed = rows(tgt, "SELECT current_setting('rds.extensions', true)")[0][0]
    allowed = set(rds_allowed.split(",")) if rds_allowed else None
    for ext in in_use:
        if ext not in available:
            errors.append(f"extension {ext} is not available on the target")
        elif not master_super[0] and not available[ext] and (allowed is None or ext not in allowed):
            errors.append(f"extension {ext} is not trusted and the target login is not a superuser")
    errors += settings_the_target_refuses(src, tgt, master_super[0])
    report = unsupported_report(src, mapped_superusers(src))
    for key in ("untrusted_languages", "c_functions", "event_triggers"):
        if report[key]:
            errors.append(f"{key.replace('_', ' ')} cannot be created by a non-superuser target: "
                          + ", ".join(report[key]))
    if report["extensions_outside_rds"]:
        warnings.append("extensions outside Amazon RDS's list: " + ", ".join(report["extensions_outside_rds"]))
    for kind, count in report["superuser_owned_mapped_to_master"].items():
        warnings.append(f"{count} {kind}(s) owned by a source superuser will be owned by "
                        f"{conninfo('target')['user']}")
    for message in warnings:
        progress.say("warning: " + message)
    progress.say(f"source {source_version} target {target_version} client {client_version}; "
                 f"{data_bytes // 2**20} MiB of table data; {len(errors)} error(s)")
    return {"ok": not errors, "errors": errors, "warnings": warnings, "report": report,
            "source_version": ".".join(map(str, source_version)),
            "target_version": ".".join(map(str, target_version)),
            "client_version": ".".join(map(str, client_version)), "data_bytes": data_bytes,
            "free_bytes": free, "resume": bool(objects and resumable)}


# ---------------------------------------------------------------------------------------------------- freeze
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


# ---------------------------------------------------------------------------------------------------- backup
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def archive_files(archive: Path) -> list[Path]:
    return sorted(p for p in archive.rglob("*") if p.is_file()) if archive.is_dir() else [archive]


def write_checksums(archive: Path) -> Path:
    """sha256sum-compatible file next to the archive: `sha256sum -c` checks it by hand."""
    base = archive if archive.is_dir() else archive.parent
    lines = [f"{sha256_file(p)}  {p.relative_to(base.parent if archive.is_dir() else base)}"
             for p in archive_files(archive)]
    checksum = archive.with_name(archive.name + ".sha256")
    checksum.write_text("\n".join(lines) + "\n")
    return checksum


# pg_dump processes of a running backup: the copy step stops them when another part of it fails.
RUNNING: list[subprocess.Popen] = []


def cmd_backup(args, snapshot: str = "") -> dict:
    """pg_dump of the whole source; with a snapshot (the copy step's) it shows exactly the state being copied."""
    progress = Progress(Path(args.work_dir), "backup")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    database = conninfo("source")["dbname"]
    backup_dir = Path(args.backup_dir)
    backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if args.dump_format == "directory":
        archive = backup_dir / f"{database}-{stamp}.dir"
        format_args = ["-Fd", "-j", str(args.jobs)]
    else:
        archive = backup_dir / f"{database}-{stamp}.dump"
        format_args = ["-Fc"]
    partial = archive.with_name(archive.name + ".partial")
    command = [tool(args, "pg_dump"), *format_args, "-Z", str(args.compress), "-f", str(partial),
               "--no-subscriptions", "--no-publications", *([f"--snapshot={snapshot}"] if snapshot else [])]
    progress.say(f"dumping {database} to {archive}")
    started = time.monotonic()
    proc = subprocess.Popen(command, env=pg_env("source"), stderr=subprocess.PIPE, text=True)
    RUNNING.append(proc)
    stop = threading.Event()

    def report_size():
        while not stop.wait(5):
            size = sum(p.stat().st_size for p in archive_files(partial)) if partial.exists() else 0
            progress.say(f"{size / 2**20:.0f} MiB written")

    reporter = threading.Thread(target=report_size, daemon=True)
    reporter.start()
    _stdout, stderr = proc.communicate()
    stop.set()
    if proc.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True) if partial.is_dir() else partial.unlink(missing_ok=True)
        raise StepError(f"pg_dump failed: {stderr.strip()}")
    partial.rename(archive)
    checksum = write_checksums(archive)
    size = sum(p.stat().st_size for p in archive_files(archive))
    progress.say(f"backup done: {size / 2**20:.1f} MiB in {time.monotonic() - started:.1f}s, checksum {checksum}")
    save_state(args, backup=str(archive))
    (backup_dir / "LATEST").write_text(archive.name + "\n")
    return {"path": str(archive), "checksum_file": str(checksum), "bytes": size,
            "seconds": round(time.monotonic() - started, 1)}


# ---------------------------------------------------------------------------------------------------- restore
def rewrite_for_master(text: str, superusers: list[str], master: str) -> str:
    """Make pg_restore's SQL runnable by a non-superuser that is a member of every owner role."""
    out = []
    names = "|".join(re.escape(ident(s)) for s in superusers) or r"(?!x)x"
    role_ref = re.compile(rf"(OWNER TO |FOR ROLE |\bTO |\bFROM |GRANTED BY )({names})(?=[;,\s]|$)")
    for line in text.splitlines():
        if line.startswith("SET SESSION AUTHORIZATION "):
            role = line[len("SET SESSION AUTHORIZATION "):].rstrip(";").strip("'")
            line = f"SET ROLE {ident(master) if role in superusers else ident(role)};"
        elif line.startswith("RESET SESSION AUTHORIZATION"):
            line = "RESET ROLE;"
        elif line.startswith(("ALTER ", "GRANT ", "REVOKE ")):
            line = role_ref.sub(lambda m: m.group(1) + ident(master), line)
        out.append(line)
    return "\n".join(out) + "\n"


def run_psql_script(args, script: str, label: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", dir=args.work_dir, delete=False) as handle:
        handle.write(script)
    try:
        result = subprocess.run([tool(args, "psql"), "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", handle.name],
                                env=pg_env("target"), capture_output=True, text=True, check=False)
    finally:
        os.unlink(handle.name)
    if result.returncode != 0:
        raise StepError(f"{label} failed on the target: {result.stderr.strip()}")


def toc_entries(args, archive: Path) -> list[str]:
    listing = subprocess.run([tool(args, "pg_restore"), "-l", str(archive)], capture_output=True, text=True,
                             check=True).stdout
    return [line for line in listing.splitlines() if line and not line.startswith(";")]


def recreate_target_database(args, progress: Progress) -> None:
    """Clean a partial restore by recreating the database: faster and surer than dropping object by object."""
    database = conninfo("target")["dbname"]
    maint = connect("target", args.target_maintenance_database)
    encoding, collate, ctype = rows(maint, "SELECT pg_encoding_to_char(encoding), datcollate, datctype "
                                           "FROM pg_database WHERE datname = %s", (database,))[0]
    progress.say(f"recreating target database {database} to clear the partial restore")
    maint.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
    maint.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
        sql.Identifier(database), sql.Literal(encoding), sql.Literal(collate), sql.Literal(ctype)))


def clear_partial_target(args) -> None:
    """A target left half-restored by an earlier run of ours is recreated (before anything else connects to it)."""
    CURRENT["step"] = "restore"
    with connect("target") as tgt:
        partial = user_object_count(tgt) and load_state(args).get("restore_started") == target_identity()
    if partial:
        recreate_target_database(args, Progress(Path(args.work_dir), "restore"))


def align_database_owner(src, tgt, superusers: list[str], master: str) -> None:
    """Give the target database the source's owner: the public schema (pg_database_owner) follows it, and with
    it the owner's right to create there, which ALTER ... OWNER TO needs for a non-superuser."""
    owner = rows(src, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")[0][0]
    owner = master if owner in superusers else owner
    tgt.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
        sql.Identifier(conninfo("target")["dbname"]), sql.Identifier(owner)))


def apply_database_properties(args, src, tgt) -> list[str]:
    """What pg_restore only restores with --create (which a non-superuser cannot use): settings, comment, ACL."""
    source_db, target_db = conninfo("source")["dbname"], conninfo("target")["dbname"]
    db_ident = sql.Identifier(target_db)
    warnings = []
    for role, config in rows(src, """
            SELECT r.rolname, s.setconfig FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole
            WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"""):
        prefix = (sql.SQL("ALTER DATABASE {}").format(db_ident) if role is None else
                  sql.SQL("ALTER ROLE {} IN DATABASE {}").format(sql.Identifier(role), db_ident))
        warnings += apply_settings(tgt, prefix, config)
    comment = rows(src, "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                   (source_db,))[0][0]
    if comment is not None:
        tgt.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(db_ident, sql.Literal(comment)))
    mapped = mapped_superusers(src)
    master = conninfo("target")["user"]
    for grantee, privilege, grantable in rows(src, """
            SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type,
                   a.is_grantable
            FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
            WHERE d.datname = current_database() AND a.grantee <> d.datdba"""):
        if grantee in mapped:
            grantee = master
        target_grantee = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
        tgt.execute(sql.SQL("GRANT {} ON DATABASE {} TO {}{}").format(
            sql.SQL(privilege), db_ident, target_grantee, sql.SQL(" WITH GRANT OPTION" if grantable else "")))
    return warnings


def run_parallel_restore(args, archive: Path, entries: list[str], progress: Progress) -> int:
    """pg_restore -j of the given TOC entries; its verbose log is turned into items-done progress."""
    list_file = Path(args.work_dir) / "post-data.list"
    list_file.write_text("\n".join(entries) + "\n")
    command = [tool(args, "pg_restore"), "-v", "-j", str(args.jobs), "--exit-on-error", "-L", str(list_file),
               "-d", conninfo("target")["dbname"], str(archive)]
    proc = subprocess.Popen(command, env=pg_env("target", options=build_options(args)), stderr=subprocess.PIPE,
                            text=True, bufsize=1)
    done, last, tail = 0, 0.0, []
    for line in proc.stderr:
        tail = (tail + [line.rstrip()])[-20:]
        if "finished item " in line:
            done += 1
            if time.monotonic() - last > 3 or done == len(entries):
                last = time.monotonic()
                progress.say(f"post-data items {done}/{len(entries)}")
    proc.wait()
    if proc.returncode != 0:
        errors = [t for t in tail if "error" in t.lower()] or tail[-5:]
        raise StepError("pg_restore failed: " + " | ".join(errors))
    return done


def analyze(args, progress: Progress) -> None:
    """Fresh planner statistics before the application arrives; vacuumdb spreads the tables over the jobs."""
    progress.say(f"analyze with {args.jobs} job(s)")
    result = subprocess.run([tool(args, "vacuumdb"), "--analyze-only", "--jobs", str(args.jobs), "--quiet",
                             "--dbname", conninfo("target")["dbname"]], env=pg_env("target"), capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise StepError(f"vacuumdb --analyze-only failed: {result.stderr.strip()}")


def build_options(args) -> str:
    """Index builds sort in memory instead of spilling to disk (RDS lets any login raise this for its session);
    a crash mid-load is handled by rerunning, so commits need not wait for the WAL flush."""
    if not re.fullmatch(r"\d+\s*(kB|MB|GB)?", args.maintenance_work_mem):
        raise StepError(f"maintenance_work_mem {args.maintenance_work_mem!r} is not a size like 512MB")
    return f"-c maintenance_work_mem={args.maintenance_work_mem.replace(' ', '')} -c synchronous_commit=off"


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


def dump_schema(args, snapshot: str, tables: list, progress: Progress) -> Path:
    """Everything but the streamed tables' rows (schema, sequence values, large objects, matview refreshes,
    extension configuration data), in the copy's snapshot: the input of the pre- and post-data restore."""
    archive = Path(args.work_dir) / "schema.dump"
    command = [tool(args, "pg_dump"), "-Fc", "-Z", "0", "-f", str(archive), f"--snapshot={snapshot}",
               "--no-subscriptions", "--no-publications", *pg_copy.exclude_data_patterns(tables)]
    result = subprocess.run(command, env=pg_env("source"), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StepError(f"pg_dump of the schema failed: {result.stderr.strip()}")
    progress.say(f"schema archive written ({archive.stat().st_size / 2**20:.1f} MiB)")
    return archive


def restore_acls(args, archive: Path, entries: list[str], superusers: list[str], master: str) -> None:
    list_file = Path(args.work_dir) / "acl.list"
    list_file.write_text("\n".join(entries) + "\n")
    tail_sql = subprocess.run([tool(args, "pg_restore"), "-L", str(list_file), "-f", "-", str(archive)],
                              capture_output=True, text=True, check=True).stdout
    run_psql_script(args, rewrite_for_master(tail_sql, superusers, master), "default privileges and ACLs")


def cmd_restore(args, snapshot: str, roles_ready=lambda: None) -> dict:
    """Schema, streamed data with per-table indexes, the rest of post-data, ACLs, database properties, analyze."""
    progress = Progress(Path(args.work_dir), "restore")
    timings: dict[str, float] = {}
    clock = [time.monotonic()]

    def lap(name: str) -> None:
        now = time.monotonic()
        timings[name] = round(now - clock[0], 1)
        clock[0] = now

    started = clock[0]
    src = snapshot_connection(snapshot)
    superusers = mapped_superusers(src)
    master = conninfo("target")["user"]
    tables = pg_copy.plan_tables(src)
    owners = rows(src, pg_copy.INDEX_OWNERS_QUERY)
    src.close()
    tgt = connect("target")
    save_state(args, restore_started=target_identity(), restore_done=False)
    archive = dump_schema(args, snapshot, tables, progress)
    lap("schema_dump")

    # Pre-data as one rewritten transaction: ownership and ACLs need the superuser mapping (and the roles).
    pre = subprocess.run([tool(args, "pg_restore"), "--section=pre-data", "-f", "-", str(archive)],
                         capture_output=True, text=True, check=True).stdout
    CURRENT["step"] = "globals"
    roles_ready()
    CURRENT["step"] = "restore"
    with connect("source") as src:
        align_database_owner(src, tgt, superusers, master)
    progress.say(f"schema (pre-data) as {master}")
    run_psql_script(args, rewrite_for_master(pre, superusers, master), "schema (pre-data)")
    lap("pre_data")

    pre_ids = {e.split(";")[0] for e in subprocess.run(
        [tool(args, "pg_restore"), "-l", "--section=pre-data", str(archive)], capture_output=True, text=True,
        check=True).stdout.splitlines() if e and not e.startswith(";")}
    rest = [e for e in toc_entries(args, archive) if e.split(";")[0] not in pre_ids]
    acl_like = [e for e in rest if re.search(r"^\d+; \d+ \d+ (DEFAULT ACL|ACL) ", e)]
    post = pg_copy.assign_index_entries(tables, [e for e in rest if e not in acl_like], owners)

    index_command = [tool(args, "pg_restore"), "--exit-on-error", "-d", conninfo("target")["dbname"], str(archive)]
    index_env = pg_env("target", options=build_options(args))

    def build_indexes(_table, entries: list[str]) -> None:
        list_file = Path(args.work_dir) / f"indexes-{threading.get_ident()}.list"
        pg_copy.run_index_entries(index_command, index_env, entries, list_file)
        list_file.unlink(missing_ok=True)

    def open_target() -> psycopg.Connection:
        conn = connect("target")
        conn.execute("SET synchronous_commit = off")
        return conn

    progress.say(f"data and post-data: streaming {len(tables)} tables "
                 f"({sum(t.bytes for t in tables) / 2**20:.0f} MiB on disk) with {args.jobs} job(s)")
    psql = tool(args, "psql")
    pipeline = pg_copy.Pipeline(tables, args.jobs, lambda t: pg_copy.source_copy_command(psql, snapshot, t),
                                pg_env("source"), open_target, build_indexes, progress.say)
    try:
        moved = pipeline.run()
    except Exception as exc:
        raise StepError(f"data copy failed: {exc}") from None
    lap("data_and_table_indexes")
    progress.say(f"remaining post-data ({len(post)} items: foreign keys, triggers, policies, sequence values, "
                 "large objects, materialized views) ...")
    run_parallel_restore(args, archive, post, progress)
    lap("post_data")
    if acl_like:
        restore_acls(args, archive, acl_like, superusers, master)
    with connect("source") as src:
        warnings = apply_database_properties(args, src, tgt)
    lap("acls_and_database_properties")
    analyze(args, progress)
    lap("analyze")
    save_state(args, restore_done=True)
    seconds = round(time.monotonic() - started, 1)
    progress.say(f"restore done in {seconds}s ({', '.join(f'{k} {v}s' for k, v in timings.items())})")
    return {"seconds": seconds, "phases": timings, "table_seconds": pipeline.timings, "warnings": warnings,
            "tables": moved["tables"], "bytes": moved["bytes"]}


# ---------------------------------------------------------------------------------------------------- verify
CATALOG_QUERIES = {
    # Identity of every user object by kind: counts fall out of these, and a difference names the object.
    "schemas": """SELECT nspname || ' owner=' || pg_get_userbyid(nspowner) || ' acl=' || coalesce(nspacl, acldefault('n', nspowner))::text
                  FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')
                  AND nspname !~ '^pg_'""",
    "relations": """SELECT c.relkind::text || ' ' || c.oid::regclass::text || ' owner=' || pg_get_userbyid(c.relowner)
                    || ' persistence=' || c.relpersistence::text || ' rls=' || c.relrowsecurity || '/'
                    || c.relforcerowsecurity || ' acl=' || coalesce(c.relacl, acldefault(
                       (CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char", c.relowner))::text
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
                    AND c.relkind <> 't'""",
    "columns": """SELECT a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid,
                  a.atttypmod) || ' notnull=' || a.attnotnull || ' identity=' || a.attidentity::text || ' generated='
                  || a.attgenerated::text || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
                  || ' acl=' || coalesce(nullif(a.attacl::text, '{}'), '')
                  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'""",
    "functions": """SELECT p.oid::regprocedure::text || ' kind=' || p.prokind::text || ' owner='
                    || pg_get_userbyid(p.proowner) || ' acl=' || coalesce(p.proacl, acldefault('f', p.proowner))::text || ' md5='
                    || md5(CASE WHEN p.prokind = 'a' THEN '' ELSE pg_get_functiondef(p.oid) END)
                    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype IN ('e', 'i'))""",
    "types": """SELECT t.typtype::text || ' ' || t.oid::regtype::text || ' owner=' || pg_get_userbyid(t.typowner)
                || ' acl=' || coalesce(t.typacl, acldefault('T', t.typowner))::text
                || ' enum=' || coalesce((SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum
                   WHERE enumtypid = t.oid), '')
                FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
                AND t.typtype IN ('e', 'd', 'c', 'r', 'm') AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class
                WHERE oid = t.typrelid) = 'c')
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype IN ('e', 'i'))""",
    "constraints": """SELECT conrelid::regclass::text || ' ' || conname || ' ' || contype::text || ' '
                      || pg_get_constraintdef(c.oid) || ' deferrable=' || condeferrable || '/' || condeferred
                      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
                      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.contypid AND d.deptype = 'e')""",
    "indexes": """SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'""",
    "triggers": """SELECT tgrelid::regclass::text || ' ' || pg_get_triggerdef(oid) || ' enabled=' || tgenabled::text
                   FROM pg_trigger WHERE NOT tgisinternal""",
    "views": """SELECT c.oid::regclass::text || ' ' || md5(pg_get_viewdef(c.oid)) FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm')
                AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'""",
    "policies": """SELECT schemaname || '.' || tablename || ' ' || policyname || ' ' || permissive || ' ' || cmd
                   || ' roles=' || roles::text || ' using=' || coalesce(qual, '') || ' check='
                   || coalesce(with_check, '') FROM pg_policies""",
    "rules": """SELECT schemaname || '.' || tablename || ' ' || rulename || ' ' || md5(definition) FROM pg_rules
                WHERE schemaname NOT IN ('pg_catalog', 'information_schema')""",
    "extensions": "SELECT extname || ' ' || extversion || ' schema=' || extnamespace::regnamespace FROM pg_extension",
    "default_privileges": """SELECT pg_get_userbyid(defaclrole) || ' ' || coalesce(defaclnamespace::regnamespace::text,
                             '-') || ' ' || defaclobjtype::text || ' ' || defaclacl::text FROM pg_default_acl""",
    "comments": """SELECT pg_describe_object(classoid, objoid, objsubid) || ' = ' || md5(description)
                   FROM pg_description d WHERE objoid >= 16384
                   AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.objid = d.objoid AND x.deptype = 'e')""",
    "sequences": """SELECT s.seqrelid::regclass::text || ' start=' || s.seqstart || ' inc=' || s.seqincrement
                    || ' min=' || s.seqmin || ' max=' || s.seqmax || ' cache=' || s.seqcache || ' cycle='
                    || s.seqcycle || ' last=' || coalesce(ps.last_value::text, 'unset')
                    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    JOIN pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = c.relname""",
    "large_objects": """SELECT oid::text || ' owner=' || pg_get_userbyid(lomowner) || ' acl='
                        || coalesce(lomacl, acldefault('L', lomowner))::text || ' md5=' || md5(lo_get(oid))
                        FROM pg_largeobject_metadata""",
    "database": """SELECT 'setting ' || coalesce(pg_get_userbyid(NULLIF(setrole, 0)), '*') || ' ' || cfg
                   FROM pg_db_role_setting, unnest(setconfig) cfg
                   WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
                     AND cfg NOT LIKE 'default_transaction_read_only=%'
                   UNION ALL
                   SELECT 'comment ' || coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database
                   WHERE datname = current_database()
                   UNION ALL
                   SELECT 'acl ' || a.grantee::regrole::text || ' ' || a.privilege_type FROM pg_database d,
                   aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE d.datname = current_database() AND a.grantee NOT IN (0, d.datdba)
                   UNION ALL
                   SELECT 'acl PUBLIC ' || a.privilege_type FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                   WHERE d.datname = current_database() AND a.grantee = 0
                   UNION ALL
                   SELECT 'owner ' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()
                   UNION ALL
                   SELECT 'encoding ' || pg_encoding_to_char(encoding) FROM pg_database
                   WHERE datname = current_database()""",
}
ROLE_QUERY = """
    SELECT 'role ' || rolname || ' login=' || rolcanlogin || ' inherit=' || rolinherit || ' createdb='
           || rolcreatedb || ' createrole=' || rolcreaterole || ' connlimit=' || rolconnlimit || ' valid='
           || coalesce(rolvaliduntil::text, '') FROM pg_roles WHERE rolname = ANY(%(r)s)
    UNION ALL
    SELECT 'member ' || r.rolname || ' -> ' || m.rolname || ' admin=' || am.admin_option FROM pg_auth_members am
    JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member WHERE m.rolname = ANY(%(r)s)
    UNION ALL
    SELECT 'setting ' || r.rolname || ' ' || cfg FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole,
    unnest(s.setconfig) cfg WHERE s.setdatabase = 0 AND r.rolname = ANY(%(r)s)"""


def normalise(text: str, mapping: dict[str, str]) -> str:
    """Replace the source superusers' names by the target master's, as the migration maps their objects."""
    for old, new in mapping.items():
        text = re.sub(rf"(?<![\w$]){re.escape(old)}(?![\w$])", new, text)
    return text


# Column types whose built-in hash function tells apart exactly the values their text form tells apart; other
# types (numeric and float: 1.0 = 1.00 and -0 = 0 hash alike; citext, interval, jsonb, enums whose hash is the
# label's OID, composite and array types) are hashed through their text under the canonical session settings.
NATIVE_HASH_TYPES = {"int2", "int4", "int8", "bool", "oid", "bytea", "date", "timestamp", "timestamptz", "time",
                     "uuid", "text", "varchar", "bpchar", "char", "name"}
COLUMNS_QUERY = """
    SELECT a.attname, bt.typname = ANY(%(native)s) AND bt.typnamespace = 'pg_catalog'::regnamespace
           AND coalesce(co.collisdeterministic, true)
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
    LEFT JOIN pg_collation co ON co.oid = a.attcollation
    WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"""


def row_hash(columns: list[tuple[str, bool]]) -> sql.Composable:
    """A 64-bit hash of one row: hash_record_extended over its columns, each native or as text (see above).

    About twice as fast as hashing the row's whole text (no output function for integers, bytea, timestamps),
    and still stable across servers: these are the hash functions behind hash partitioning."""
    if not columns:
        return sql.SQL("0")
    parts = [sql.SQL("t.{}").format(sql.Identifier(name)) if native else
             sql.SQL("t.{}::text").format(sql.Identifier(name)) for name, native in columns]
    return sql.SQL("hash_record_extended(ROW({}), 0)").format(sql.SQL(", ").join(parts))


def table_checksum(end: str, table: str, forced_rls: bool, columns: list[tuple[str, bool]],
                   snapshot: str = "") -> tuple[int, str]:
    """Row count and an order-independent content checksum: the sum of a 64-bit hash of each row.

    A sum (not xor) still tells a duplicated row from a missing one. The column list (and which columns are
    hashed natively) comes from the source, so both ends compute the very same expression; with a snapshot the
    source is read as the copy step saw it."""
    with (snapshot_connection(snapshot) if snapshot and end == "source" else connect(end, autocommit=False)) as conn:
        for key, value in CANONICAL_SESSION.items():
            conn.execute(sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(key), sql.Literal(value)))
        if forced_rls and end == "target":
            # The master is not BYPASSRLS: lift FORCE inside this transaction only (rolled back below).
            conn.execute(sql.SQL("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY").format(sql.SQL(table)))
        count, digest = conn.execute(sql.SQL(
            "SELECT count(*), coalesce(sum({}), 0)::text FROM ONLY {} AS t").format(
                row_hash(columns), sql.SQL(table))).fetchone()
        conn.rollback()
    return count, digest


def list_tables(conn) -> dict[str, bool]:
    return dict(rows(conn, """
        SELECT c.oid::regclass::text, c.relforcerowsecurity FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname !~ '^pg_' AND c.relpersistence <> 't' ORDER BY 1"""))


def diff_lists(name: str, source: list[str], target: list[str]) -> list[str]:
    src_set, tgt_set = set(source), set(target)
    out = [f"{name}: only on source: {item}" for item in sorted(src_set - tgt_set)]
    out += [f"{name}: only on target: {item}" for item in sorted(tgt_set - src_set)]
    return out


def cmd_verify(args, snapshot: str = "") -> dict:
    progress = Progress(Path(args.work_dir), "verify")
    started = time.monotonic()
    src, tgt = (snapshot_connection(snapshot) if snapshot else connect("source")), connect("target")
    master = conninfo("target")["user"]
    mapping = {name: master for name in mapped_superusers(src)}
    roles = [r["name"] for r in migrated_roles(src) if r["name"] != master]
    differences: list[str] = []
    catalog = {}
    for name, query in CATALOG_QUERIES.items():
        source_items = sorted(normalise(r[0], mapping) for r in rows(src, query) if r[0] is not None)
        target_items = sorted(r[0] for r in rows(tgt, query) if r[0] is not None)
        catalog[name] = {"source": len(source_items), "target": len(target_items)}
        differences += diff_lists(name, source_items, target_items)
    role_src = sorted(normalise(r[0], mapping) for r in rows(src, ROLE_QUERY, {"r": roles}))
    # The master's own memberships are the migration's working grants, not part of the source's role graph.
    role_tgt = sorted(r[0] for r in rows(tgt, ROLE_QUERY, {"r": roles}))
    catalog["roles_and_memberships"] = {"source": len(role_src), "target": len(role_tgt)}
    differences += diff_lists("roles", role_src, role_tgt)

    source_tables, target_tables = list_tables(src), list_tables(tgt)
    differences += diff_lists("tables", list(source_tables), list(target_tables))
    # Largest first, so that the biggest table does not start last; columns as the source has them.
    sizes = dict(rows(src, "SELECT c.oid::regclass::text, pg_table_size(c.oid) FROM pg_class c"))
    common = sorted((t for t in source_tables if t in target_tables), key=lambda t: (-sizes.get(t, 0), t))
    native = sorted(NATIVE_HASH_TYPES)
    columns = {t: rows(src, COLUMNS_QUERY, {"table": t, "native": native}) for t in common}
    tables = {}
    progress.say(f"checksumming {len(common)} tables on both ends with {args.jobs} job(s)")
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {(table, end): pool.submit(table_checksum, end, table,
                                             (source_tables if end == "source" else target_tables)[table],
                                             columns[table], snapshot)
                   for table in common for end in ENDS}
        for done_count, table in enumerate(common, 1):
            try:
                (src_count, src_sum), (tgt_count, tgt_sum) = (futures[(table, end)].result() for end in ENDS)
            except psycopg.Error as exc:
                # A column missing on the target, say: the catalog comparison names it too, the table is reported.
                tables[table] = {"source_rows": None, "target_rows": None, "checksum_match": False}
                differences.append(f"table {table}: cannot be compared: {str(exc).strip()}")
                continue
            tables[table] = {"source_rows": src_count, "target_rows": tgt_count,
                             "checksum_match": src_sum == tgt_sum}
            if src_count != tgt_count:
                differences.append(f"table {table}: {src_count} rows on source, {tgt_count} on target")
            elif src_sum != tgt_sum:
                differences.append(f"table {table}: same row count ({src_count}) but content differs")
            if done_count % 20 == 0:
                progress.say(f"tables verified {done_count}/{len(common)}")
    seconds = round(time.monotonic() - started, 1)
    result = {"ok": not differences, "differences": differences, "tables": tables, "objects": catalog,
              "seconds": seconds, "source": conninfo("source")["dbname"], "target": target_identity(),
              "checked_at": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    write_reports(Path(args.report_dir), result)
    progress.say(f"{len(common)} tables, {sum(v['source'] for v in catalog.values())} catalog items compared in "
                 f"{seconds}s: {len(differences)} difference(s)")
    return result


def write_reports(report_dir: Path, result: dict) -> None:
    report_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (report_dir / "verification.json").write_text(json.dumps(result, indent=2))
    lines = [f"Migration verification {result['checked_at']}",
             f"source database {result['source']} -> target {result['target']}",
             f"result: {'NO DIFFERENCES' if result['ok'] else str(len(result['differences'])) + ' DIFFERENCE(S)'}",
             "", "Objects (source / target):"]
    lines += [f"  {name:<24} {v['source']:>8} / {v['target']:<8}" for name, v in result["objects"].items()]
    lines += ["", "Tables (rows source / target, checksum):"]
    lines += [f"  {name:<48} {str(v['source_rows']):>10} / {str(v['target_rows']):<10} "
              f"{'ok' if v['checksum_match'] else 'DIFFERS'}" for name, v in result["tables"].items()]
    if result["differences"]:
        lines += ["", "Differences:"] + [f"  - {d}" for d in result["differences"]]
    (report_dir / "verification.txt").write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------------- main
def save_result(args, step: str, result: dict) -> None:
    # Kept per step so operators (and the benchmark) can read timings after the play.
    document = json.dumps({"ok": result.get("ok", True), "step": step, **result}, default=str)
    (Path(args.work_dir) / f"result-{step}.json").write_text(document)


def run_one(args, step: str) -> dict:
    CURRENT["step"] = step
    result = STEPS[step](args)
    save_result(args, step, result)
    return result


def stop_backup() -> None:
    for proc in RUNNING:
        if proc.poll() is None:
            proc.terminate()


def copy_in_snapshot(args, snapshot: str) -> dict:
    """Backup, roles and restore at once, all reading the source in one snapshot.

    The backup (the rollback artefact) is a pg_dump of that snapshot written alongside the streamed copy, so it
    holds exactly what was copied; the step only succeeds once the backup and its checksum are complete."""
    started = time.monotonic()
    clear_partial_target(args)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        backup = pool.submit(cmd_backup, args, snapshot)
        roles = pool.submit(cmd_globals, args)
        try:
            CURRENT["step"] = "restore"
            restore = cmd_restore(args, snapshot, roles_ready=roles.result)
            save_result(args, "restore", restore)
            CURRENT["step"] = "globals"
            roles_result = roles.result()
            save_result(args, "globals", roles_result)
            CURRENT["step"] = "backup"
            backup_result = backup.result()
            save_result(args, "backup", backup_result)
        except BaseException:
            stop_backup()
            raise
    seconds = round(time.monotonic() - started, 1)
    Progress(Path(args.work_dir), "copy").say(
        f"copy done in {seconds}s (restore {restore['seconds']}s, backup {backup_result['seconds']}s alongside)")
    return {"seconds": seconds, "backup": backup_result, "globals": roles_result, "restore": restore}


def cmd_copy(args) -> dict:
    with exported_snapshot() as snapshot:
        return copy_in_snapshot(args, snapshot)


def cmd_migrate(args) -> dict:
    """The whole flow in one process (each Ansible task costs seconds on a busy host): preflight, the optional
    write freeze, the copy, then the verification with the source read in the copy's snapshot, so that the
    comparison is with exactly the state that was copied even if the source took writes meanwhile."""
    preflight = run_one(args, "preflight")
    if not preflight["ok"]:
        return {"ok": False, "errors": preflight["errors"], "preflight": preflight}
    if args.write_freeze == "true":
        run_one(args, "freeze")
    CURRENT["step"] = "copy"
    with exported_snapshot() as snapshot:
        copy = copy_in_snapshot(args, snapshot)
        save_result(args, "copy", copy)
        CURRENT["step"] = "verify"
        verification = cmd_verify(args, snapshot)
        save_result(args, "verify", verification)
    return {**copy, "ok": verification["ok"], "differences": verification["differences"], "preflight": preflight,
            "verification": {k: v for k, v in verification.items() if k != "tables"}}


STEPS = {"preflight": cmd_preflight, "freeze": cmd_freeze, "unfreeze": cmd_unfreeze, "backup": cmd_backup,
         "globals": cmd_globals, "verify": cmd_verify, "copy": cmd_copy, "migrate": cmd_migrate}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--credentials", default="", help="JSON file {source: {...}, target: {...}}")
    parser.add_argument("--backup-dir", default=".")
    parser.add_argument("--report-dir", default=".")
    parser.add_argument("--maintenance-work-mem", default="512MB")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dump-format", choices=("custom", "directory"), default="custom")
    parser.add_argument("--compress", type=int, default=0)
    parser.add_argument("--disk-factor", type=float, default=1.2)
    parser.add_argument("--allow-nonempty", choices=("true", "false"), default="false")
    parser.add_argument("--write-freeze", choices=("true", "false"), default="false")
    parser.add_argument("--pg-bin-dir", default="")
    parser.add_argument("--target-maintenance-database", default="postgres")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    # The dump, its checksum, the reports and the step results hold the source's data: owner-only, whatever the
    # caller's umask (pg_dump and psql create files with the mode the umask leaves).
    os.umask(0o077)
    args = parse_args(argv)
    Path(args.work_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        load_credentials(args.credentials)
        if args.jobs <= 0:
            args.jobs = len(os.sched_getaffinity(0))
        result = run_one(args, args.step)
    except Exception as exc:
        # Whatever broke, the play gets one JSON line naming the step; unexpected errors keep their type.
        message = str(exc) if isinstance(exc, StepError) else f"{type(exc).__name__}: {str(exc).strip()}"
        step = CURRENT["step"] or args.step
        print(json.dumps({"ok": False, "step": step, "error": message}))
        print(f"{step} failed: {message}", file=sys.stderr)
        return 1
    # A failed comparison names the part that found it (verify), not the umbrella step (migrate).
    step = args.step if result.get("ok", True) else (CURRENT["step"] or args.step)
    print(json.dumps({**result, "ok": result.get("ok", True), "step": step}, default=str))
    return 0 if result.get("ok", True) else 2


if __name__ == "__main__":
    sys.exit(main())
