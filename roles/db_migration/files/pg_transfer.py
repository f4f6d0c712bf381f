"""Backup, schema and data restore: what moves the source's contents to the target (pg_copy.py streams the rows,
pg_backup.py keeps them as the backup on their way).

The target login is assumed NOT to be a superuser (RDS): objects owned by the source's superusers are given to the
target login, and the steps that pg_restore would run with superuser rights (SET SESSION AUTHORIZATION, ALTER ...
OWNER TO <superuser>) are rewritten.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql

import pg_copy
from pg_backup import StreamBackup, sha256_of
from pg_preflight import user_object_count
from pg_roles import apply_settings, cmd_globals, mapped_superusers
from pg_session import (CURRENT, Progress, StepError, connect, conninfo, ident, load_state, pg_env, rows,
                        save_result, save_state, snapshot_connection, target_identity, tool)
from pg_verify import TableChecks, cmd_verify


def archive_files(archive: Path) -> list[Path]:
    return sorted(p for p in archive.rglob("*") if p.is_file()) if archive.is_dir() else [archive]


def write_checksums(archive: Path) -> Path:
    """sha256sum-compatible file next to the archive: `sha256sum -c` checks it by hand."""
    base = archive if archive.is_dir() else archive.parent
    lines = [f"{sha256_of(p)}  {p.relative_to(base.parent if archive.is_dir() else base)}"
             for p in archive_files(archive)]
    checksum = archive.with_name(archive.name + ".sha256")
    checksum.write_text("\n".join(lines) + "\n")
    return checksum


# pg_dump processes of a running backup: the copy step stops them when another part of it fails.
RUNNING: list[subprocess.Popen] = []


def lower_priority() -> None:
    """The backup is not on the copy's critical path: its client process yields the CPU to the copy's."""
    os.nice(10)


def stream_to_file(proc: subprocess.Popen, path: Path, digest) -> None:
    """pg_dump's output written to the archive with its checksum computed as it passes (no second read)."""
    with path.open("wb") as out:
        while chunk := proc.stdout.read(1 << 20):
            out.write(chunk)
            digest.update(chunk)


def cmd_backup(args, snapshot: str = "") -> dict:
    """pg_dump of the whole source; with a snapshot (the copy step's) it shows exactly the state being copied.

    A custom-format archive comes through a pipe, hashed as it is written (pg_restore reads such an archive, in
    parallel too, by scanning for the data blocks instead of seeking to recorded offsets); a directory archive is
    written by pg_dump -j itself and hashed afterwards. pg_dump runs at a lower CPU priority than the copy."""
    progress = Progress(Path(args.work_dir), "backup")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    database = conninfo("source")["dbname"]
    backup_dir = Path(args.backup_dir)
    backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    streamed = args.dump_format != "directory"
    if streamed:
        archive = backup_dir / f"{database}-{stamp}.dump"
        format_args = ["-Fc"]
    else:
        archive = backup_dir / f"{database}-{stamp}.dir"
        format_args = ["-Fd", "-j", str(args.jobs)]
    partial = archive.with_name(archive.name + ".partial")
    command = [tool(args, "pg_dump"), *format_args, "-Z", str(args.compress),
               *([] if streamed else ["-f", str(partial)]), "--no-subscriptions", "--no-publications", *([f"--snapshot={snapshot}"] if snapshot else [])]
    progress.say(f"dumping {database} to {archive}")
    started = time.monotonic()
    digest = hashlib.sha256()
    with tempfile.TemporaryFile("w+", dir=args.work_dir) as errors:
        proc = subprocess.Popen(command, env=pg_env("source"), stdout=subprocess.PIPE if streamed else None,
                                stderr=errors, preexec_fn=lower_priority)  # pylint: disable=subprocess-popen-preexec-fn
        RUNNING.append(proc)
        stop = threading.Event()

        def report_size():
            while not stop.wait(5):
                size = sum(p.stat().st_size for p in archive_files(partial)) if partial.exists() else 0
                progress.say(f"{size / 2**20:.0f} MiB written")

        threading.Thread(target=report_size, daemon=True).start()
        try:
            if streamed:
                stream_to_file(proc, partial, digest)
        finally:
            proc.wait()
            stop.set()
        errors.seek(0)
        stderr = errors.read()
    if proc.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True) if partial.is_dir() else partial.unlink(missing_ok=True)
        raise StepError(f"pg_dump failed: {stderr.strip()}")
    partial.rename(archive)
    if streamed:
        checksum = archive.with_name(archive.name + ".sha256")
        checksum.write_text(f"{digest.hexdigest()}  {archive.name}\n")  # sha256sum -c format
    else:
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


def analyze_rest(tgt, analyzed: set[tuple[str, str]], progress: Progress) -> None:
    """Statistics for what the copy pipeline did not analyze table by table: partitioned and inheritance tables,
    materialized views, extension configuration tables (all small or refreshed by post-data)."""
    rest = [sql.Identifier(schema, name) for schema, name in rows(tgt, """
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'm') AND c.relpersistence <> 't'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'""")
            if (schema, name) not in analyzed]
    if rest:
        progress.say(f"analyze {len(rest)} relation(s) the pipeline did not")
        # One statement, no transaction block needed; a relation the login may not analyze is skipped with a
        # warning, as vacuumdb did.
        tgt.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(rest)))


def memory_setting(value: str) -> str:
    if not re.fullmatch(r"\d+\s*(kB|MB|GB)?", value):
        raise StepError(f"maintenance_work_mem {value!r} is not a size like 512MB")
    return value.replace(" ", "")


def build_options(args, method: str = "btree") -> str:
    """btree builds sort in memory instead of spilling to disk (RDS lets any login raise this for its session);
    GIN and the other access methods build faster with a small maintenance_work_mem (GIN's accumulator stays in
    the CPU caches: 4.0 s at 16MB against 6.7 s at 512MB for the benchmark's jsonb_path_ops index of 500 000 rows).
    A crash mid-load is handled by rerunning, so commits need not wait for the WAL flush."""
    memory = args.maintenance_work_mem if method == "btree" else args.other_maintenance_work_mem
    return f"-c maintenance_work_mem={memory_setting(memory)} -c synchronous_commit=off"


# The copy's pg_dump of everything but the streamed rows, in the work directory; the stream backup keeps it too.
SCHEMA_ARCHIVE = "schema.dump"


def dump_schema(args, snapshot: str, tables: list, progress: Progress) -> Path:
    """Everything but the streamed tables' rows (schema, sequence values, large objects, matview refreshes,
    extension configuration data), in the copy's snapshot: the input of the pre- and post-data restore."""
    archive = Path(args.work_dir) / SCHEMA_ARCHIVE
    # A new file, never the old one rewritten in place: the last stream backup holds a hard link to that one.
    archive.unlink(missing_ok=True)
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


def cmd_restore(args, snapshot: str, roles_ready=lambda: None, verify_table=None, sink=None) -> dict:
    """Schema, streamed data with per-table indexes and ANALYZE, the rest of post-data, ACLs, database properties.

    verify_table(schema, name), if given, is queued for each streamed table once its copy has committed;
    sink(table), if given, returns the file each table's streamed rows are also written to (pg_copy.Pipeline)."""
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
    unique_as_index = {oid: (create, attach) for oid, create, attach in rows(src, pg_copy.UNIQUE_AS_INDEX_QUERY)}
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
    post = pg_copy.assign_index_entries(tables, [e for e in rest if e not in acl_like], owners, unique_as_index)

    index_command = [tool(args, "pg_restore"), "--exit-on-error", "-d", conninfo("target")["dbname"], str(archive)]
    methods = {m for _k, _o, _t, m in owners} | {"btree"}
    index_envs = {m: pg_env("target", options=build_options(args, m)) for m in methods}
    big_memory = memory_setting(args.maintenance_work_mem)

    def build_indexes(conn, table, entries: list) -> None:
        for entry in entries:
            if isinstance(entry, (pg_copy.Build, pg_copy.Attach)):
                # A unique btree (large memory, as pg_restore's builds), or the catalog-only attach.
                conn.execute(sql.SQL("SET maintenance_work_mem = {}").format(sql.Literal(big_memory)))
                conn.execute(entry.statement)
                continue
            list_file = Path(args.work_dir) / f"indexes-{threading.get_ident()}.list"
            pg_copy.run_index_entries(index_command, index_envs[table.methods.get(entry, "btree")], [entry],
                                      list_file)
            list_file.unlink(missing_ok=True)

    def open_target() -> psycopg.Connection:
        conn = connect("target")
        conn.execute("SET synchronous_commit = off")
        return conn

    progress.say(f"data and post-data: streaming {len(tables)} tables "
                 f"({sum(t.bytes for t in tables) / 2**20:.0f} MiB on disk) with {args.jobs} job(s)")
    psql = tool(args, "psql")
    pipeline = pg_copy.Pipeline(tables, args.jobs, lambda t: pg_copy.source_copy_command(psql, snapshot, t),
                                pg_env("source"), open_target, build_indexes, progress.say,
                                verify=(lambda t: verify_table(t.schema, t.name)) if verify_table else None,
                                sink=sink)
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
    analyze_rest(tgt, {(t.schema, t.name) for t in tables}, progress)
    lap("analyze_rest")
    save_state(args, restore_done=True)
    seconds = round(time.monotonic() - started, 1)
    progress.say(f"restore done in {seconds}s ({', '.join(f'{k} {v}s' for k, v in timings.items())})")
    return {"seconds": seconds, "phases": timings, "table_seconds": pipeline.timings, "warnings": warnings,
            "tables": moved["tables"], "bytes": moved["bytes"]}


def stop_backup() -> None:
    for proc in RUNNING:
        if proc.poll() is None:
            proc.terminate()


def finish_stream_backup(args, kept: StreamBackup, snapshot: str) -> dict:
    started = time.monotonic()
    result = kept.finish(Path(args.work_dir) / SCHEMA_ARCHIVE, snapshot)
    result["seconds"] = round(time.monotonic() - started, 1)
    save_state(args, backup=result["path"])
    Progress(Path(args.work_dir), "backup").say(
        f"backup written from the copy's stream: {result['path']} ({result['bytes'] / 2**20:.1f} MiB, "
        f"{result['tables']} table files), checksums {result['checksum_file']}, restore with {result['restore']}")
    return result


def copy_in_snapshot(args, snapshot: str, verify_table=None) -> dict:
    """Backup, roles and restore at once, all reading the source in one snapshot (verify_table: see cmd_restore).

    The backup (the rollback artefact) holds exactly what was copied: by default the copy's own stream and schema
    archive (pg_backup.py), or with dump_format custom/directory a pg_dump of that snapshot written alongside. The
    step only succeeds once the backup and its checksums are complete."""
    started = time.monotonic()
    clear_partial_target(args)
    kept = (StreamBackup(Path(args.backup_dir), conninfo("source")["dbname"], args.compress)
            if args.dump_format == "stream" else None)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        backup = pool.submit(cmd_backup, args, snapshot) if kept is None else None
        roles = pool.submit(cmd_globals, args)
        try:
            CURRENT["step"] = "restore"
            restore = cmd_restore(args, snapshot, roles_ready=roles.result, verify_table=verify_table,
                                  sink=kept.table if kept is not None else None)
            save_result(args, "restore", restore)
            CURRENT["step"] = "globals"
            roles_result = roles.result()
            save_result(args, "globals", roles_result)
            CURRENT["step"] = "backup"
            backup_result = backup.result() if kept is None else finish_stream_backup(args, kept, snapshot)
            save_result(args, "backup", backup_result)
        except BaseException:
            stop_backup()
            if kept is not None:
                kept.abandon()
            raise
    seconds = round(time.monotonic() - started, 1)
    Progress(Path(args.work_dir), "copy").say(
        f"copy done in {seconds}s (restore {restore['seconds']}s, backup {backup_result['seconds']}s alongside)")
    return {"seconds": seconds, "backup": backup_result, "globals": roles_result, "restore": restore}


def verified_copy(args, snapshot: str) -> tuple[dict, dict]:
    """The copy with its tables verified as they complete, then the rest of the verification (both strategies)."""
    checks = TableChecks(snapshot)
    try:
        copy = copy_in_snapshot(args, snapshot, verify_table=checks.check)
    finally:
        checks.close()
    save_result(args, "copy", copy)
    CURRENT["step"] = "verify"
    verification = cmd_verify(args, snapshot, early=checks)
    save_result(args, "verify", verification)
    return copy, verification
