"""Roles and cluster-wide settings (the "globals" step) for a target whose login is not a superuser."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
from psycopg import sql

from pg_session import FREEZE_SETTING, Progress, StepError, connect, conninfo, rows


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
