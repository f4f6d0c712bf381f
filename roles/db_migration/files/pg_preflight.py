"""Preflight: what would stop the migration, found before anything is touched."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pg_roles import mapped_superusers
from pg_session import (FREEZE_SETTING, Progress, connect, conninfo, ident, load_state, rows, target_identity, tool,
                        version_tuple)

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


# Logged tables whose UPDATE/DELETE the change stream cannot identify: no primary key under the default replica
# identity, or replica identity NOTHING.
NO_IDENTITY_QUERY = """
    SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_'
      AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS (
           SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))
    ORDER BY 1"""


def online_errors(src, identity_full: list[str]) -> list[str]:
    """What the online strategy needs of the source, each error naming the setting and the fix."""
    errors = []
    settings = dict(rows(src, "SELECT name, setting FROM pg_settings WHERE name IN "
                              "('wal_level', 'max_replication_slots', 'max_wal_senders')"))
    if settings["wal_level"] != "logical":
        errors.append(f"wal_level is {settings['wal_level']} on the source: the online strategy decodes the WAL; "
                      "set wal_level = logical (ALTER SYSTEM SET wal_level = logical) and restart the source")
    slots_used = rows(src, "SELECT count(*) FROM pg_replication_slots")[0][0]
    if slots_used >= int(settings["max_replication_slots"]):
        errors.append(f"no free replication slot on the source (max_replication_slots = "
                      f"{settings['max_replication_slots']}, {slots_used} in use): raise max_replication_slots "
                      "(restart) or drop an unused slot")
    senders_used = rows(src, "SELECT count(*) FROM pg_stat_replication")[0][0]
    if senders_used >= int(settings["max_wal_senders"]):
        errors.append(f"no free WAL sender on the source for creating the slot (max_wal_senders = "
                      f"{settings['max_wal_senders']}, {senders_used} in use): raise max_wal_senders (restart)")
    # On RDS the login gets replication through membership of rds_replication, not the REPLICATION attribute.
    login, allowed = rows(src, """
        SELECT current_user, rolreplication OR rolsuper OR coalesce(pg_has_role(
               (SELECT oid FROM pg_roles WHERE rolname = 'rds_replication'), 'MEMBER'), false)
        FROM pg_roles WHERE rolname = current_user""")[0]
    if not allowed:
        errors.append(f"the source login {login} lacks the REPLICATION privilege, which creating the slot and "
                      f"decoding need: ALTER ROLE {ident(login)} REPLICATION as a superuser (on RDS: GRANT "
                      f"rds_replication TO {ident(login)}, with rds.logical_replication = 1)")
    missing = [t for t in rows(src, NO_IDENTITY_QUERY) if t[0] not in identity_full]
    if missing:
        errors.append("tables without primary key or replica identity, whose updates and deletes the change stream "
                      "cannot identify: " + ", ".join(t[0] for t in missing) + "; add a primary key, or list them "
                      "in db_migration_replica_identity_full (REPLICA IDENTITY FULL for the follow), or use the "
                      "offline strategy")
    known = {r[0] for r in rows(src, "SELECT oid::regclass::text FROM pg_class WHERE relkind = 'r' AND "
                                     "oid::regclass::text = ANY(%s)", (identity_full,))}
    if set(identity_full) - known:
        errors.append("db_migration_replica_identity_full names tables the source does not have: "
                      + ", ".join(sorted(set(identity_full) - known)))
    return errors


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
    if args.step == "online-start":
        errors += online_errors(src, args.replica_identity_full)
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
