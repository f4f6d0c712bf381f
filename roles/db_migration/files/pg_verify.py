"""Verification: source and target compared from their own catalogs and data, whatever the copy reported.

Imports nothing from the copy (pg_transfer, pg_copy): what it trusts is the two databases.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime
import json
import re
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql

from pg_roles import mapped_superusers, migrated_roles
from pg_session import (CANONICAL_SESSION, ENDS, Progress, connect, conninfo, rows, snapshot_connection,
                        target_identity)


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
    "indexes": """SELECT pg_get_indexdef(i.indexrelid) || ' replica_identity=' || i.indisreplident || ' clustered='
                  || i.indisclustered FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
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


@contextlib.contextmanager
def reading(end: str, table: str, forced_rls: bool, snapshot: str = ""):
    """A transaction that reads the table's rows as both ends render them alike, rolled back afterwards."""
    with (snapshot_connection(snapshot) if snapshot and end == "source" else connect(end, autocommit=False)) as conn:
        for key, value in CANONICAL_SESSION.items():
            conn.execute(sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(key), sql.Literal(value)))
        if forced_rls and end == "target":
            # The master is not BYPASSRLS: lift FORCE inside this transaction only (rolled back below).
            conn.execute(sql.SQL("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY").format(sql.SQL(table)))
        yield conn
        conn.rollback()


def table_checksum(end: str, table: str, forced_rls: bool, columns: list[tuple[str, bool]],
                   snapshot: str = "") -> tuple[int, str]:
    """Row count and an order-independent content checksum: the sum of a 64-bit hash of each row.

    A sum (not xor) still tells a duplicated row from a missing one. The column list (and which columns are
    hashed natively) comes from the source, so both ends compute the very same expression; with a snapshot the
    source is read as the copy step saw it."""
    with reading(end, table, forced_rls, snapshot) as conn:
        return conn.execute(sql.SQL("SELECT count(*), coalesce(sum({}), 0)::text FROM ONLY {} AS t").format(
            row_hash(columns), sql.SQL(table))).fetchone()


# The columns that identify a row for the change stream (replica identity index, else primary key), in column order
# as the online follower records them.
KEY_QUERY = """
    SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey::int2[])
    WHERE i.indexrelid = (SELECT indexrelid FROM pg_index WHERE indrelid = %(table)s::regclass
                          AND (indisreplident OR indisprimary) ORDER BY indisreplident DESC LIMIT 1)
    ORDER BY a.attnum"""


def keyed_hashes(end: str, table: str, forced_rls: bool, columns: list[tuple[str, bool]],
                 key: list[tuple[str, str]], keys: list[str]) -> dict[str, str | None]:
    """The hash of each row named by key (a JSON array of the key columns' text), None where there is no row."""
    match = sql.SQL(" AND ").join(sql.SQL("t.{} = CAST(x.k->>{} AS {})").format(
        sql.Identifier(name), sql.Literal(i), sql.SQL(kind)) for i, (name, kind) in enumerate(key))
    query = sql.SQL("SELECT x.k::text, (SELECT {}::text FROM ONLY {} AS t WHERE {}) "
                    "FROM jsonb_array_elements(%s::jsonb) AS x(k)").format(row_hash(columns), sql.SQL(table), match)
    found: dict[str, str | None] = {}
    with reading(end, table, forced_rls) as conn:
        for start in range(0, len(keys), 5000):
            found.update(conn.execute(query, ("[" + ",".join(keys[start:start + 5000]) + "]",)).fetchall())
    return found


class TableChecks:
    """Checksums of single tables taken while the copy is still running, as soon as a table's copy committed.

    The copy calls check(schema, name) from one of its workers once nothing will change the table's rows again;
    the table is read here as everywhere in this module: by SQL on both ends (the source in the copy's snapshot),
    never from what the copy sent. cmd_verify then takes these results instead of reading those tables again."""

    def __init__(self, snapshot: str):
        self.snapshot = snapshot
        self.results: dict[str, tuple] = {}  # table -> ((count, sum) source, (count, sum) target) or error text
        self.lock = threading.Lock()
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)  # both ends of one table at once

    def check(self, schema: str, name: str) -> None:
        with snapshot_connection(self.snapshot) as src:
            found = rows(src, """SELECT c.oid::regclass::text, c.relforcerowsecurity FROM pg_class c
                                 JOIN pg_namespace n ON n.oid = c.relnamespace
                                 WHERE n.nspname = %s AND c.relname = %s""", (schema, name))
            if not found:
                return  # cmd_verify reports the table as missing
            table, forced = found[0]
            columns = rows(src, COLUMNS_QUERY, {"table": table, "native": sorted(NATIVE_HASH_TYPES)})
        # The source's FORCE ROW LEVEL SECURITY flag for both ends: lifting it on a target that lacks it is a no-op.
        futures = [self.pool.submit(table_checksum, end, table, forced, columns, self.snapshot) for end in ENDS]
        try:
            result: tuple | str = tuple(f.result() for f in futures)
        except psycopg.Error as exc:
            result = str(exc).strip()
        with self.lock:
            self.results[table] = result

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def table_rows(end: str, table: str, forced_rls: bool) -> int:
    with reading(end, table, forced_rls) as conn:
        return conn.execute(sql.SQL("SELECT count(*) FROM ONLY {}").format(sql.SQL(table))).fetchone()[0]


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


def compare_catalog(src, tgt) -> tuple[dict, list[str]]:
    """Every user object by kind, roles and memberships: counts per kind and the differences, each named."""
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
    return catalog, differences


def catalog_fingerprint(conn) -> dict[str, list[str]]:
    """The source's catalog as the online follower watches it for DDL (and large-object changes, which logical
    decoding does not carry): the verification's object lists, sequence positions left out (they move with every
    nextval and are set at cutover)."""
    return {name: sorted(re.sub(r" last=\S+$", "", r[0]) if name == "sequences" else r[0]
                         for r in rows(conn, query) if r[0] is not None)
            for name, query in CATALOG_QUERIES.items()}


def fingerprint_changes(before: dict[str, list[str]], now: dict[str, list[str]]) -> list[str]:
    return [d for name in before for d in diff_lists(name, before[name], now.get(name, []))]


def compare_tables(args, src, tgt, snapshot: str, differences: list[str], progress: Progress,
                   early: TableChecks | None = None) -> dict:
    """Row count and content checksum of every table, both ends in parallel, largest first; the tables checked
    during the copy (early) are not read again."""
    source_tables, target_tables = list_tables(src), list_tables(tgt)
    differences += diff_lists("tables", list(source_tables), list(target_tables))
    # Largest first, so that the biggest table does not start last; columns as the source has them.
    sizes = dict(rows(src, "SELECT c.oid::regclass::text, pg_table_size(c.oid) FROM pg_class c"))
    common = sorted((t for t in source_tables if t in target_tables), key=lambda t: (-sizes.get(t, 0), t))
    native = sorted(NATIVE_HASH_TYPES)
    done_early = early.results if early is not None else {}
    late = [t for t in common if t not in done_early]
    columns = {t: rows(src, COLUMNS_QUERY, {"table": t, "native": native}) for t in late}
    tables = {}
    progress.say(f"{len(common) - len(late)} tables were checksummed on both ends as soon as their copy committed; "
                 f"checksumming the other {len(late)} with {args.jobs} job(s)")
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {(table, end): pool.submit(table_checksum, end, table,
                                             (source_tables if end == "source" else target_tables)[table],
                                             columns[table], snapshot)
                   for table in late for end in ENDS}
        for done_count, table in enumerate(common, 1):
            try:
                if isinstance(done_early.get(table), str):
                    raise psycopg.Error(done_early[table])
                (src_count, src_sum), (tgt_count, tgt_sum) = (
                    done_early[table] if table in done_early else (futures[(table, end)].result() for end in ENDS))
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
    return tables


def cmd_verify(args, snapshot: str = "", early: TableChecks | None = None) -> dict:
    """The catalog and every table of both ends; early holds the tables already checksummed during the copy."""
    progress = Progress(Path(args.work_dir), "verify")
    started = time.monotonic()
    src, tgt = (snapshot_connection(snapshot) if snapshot else connect("source")), connect("target")
    catalog, differences = compare_catalog(src, tgt)
    tables = compare_tables(args, src, tgt, snapshot, differences, progress, early)
    seconds = round(time.monotonic() - started, 1)
    result = {"ok": not differences, "differences": differences, "tables": tables, "objects": catalog,
              "seconds": seconds, "source": conninfo("source")["dbname"], "target": target_identity(),
              "checked_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
              "scope": "every row of every table (row count and content checksum on both ends) and the catalog"}
    write_reports(Path(args.report_dir), result)
    progress.say(f"{len(tables)} tables, {sum(v['source'] for v in catalog.values())} catalog items compared in "
                 f"{seconds}s: {len(differences)} difference(s)")
    return result


def write_reports(report_dir: Path, result: dict) -> None:
    report_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (report_dir / "verification.json").write_text(json.dumps(result, indent=2))
    lines = [f"Migration verification {result['checked_at']}",
             f"source database {result['source']} -> target {result['target']}",
             f"result: {'NO DIFFERENCES' if result['ok'] else str(len(result['differences'])) + ' DIFFERENCE(S)'}",
             f"compared: {result['scope']}", *result.get("notes", []), "", "Objects (source / target):"]
    lines += [f"  {name:<24} {v['source']:>8} / {v['target']:<8}" for name, v in result["objects"].items()]
    lines += ["", "Tables (rows source / target, content):"]
    lines += [f"  {name:<48} {str(v['source_rows']):>10} / {str(v['target_rows']):<10} "
              f"{'ok' if v['checksum_match'] else 'DIFFERS'}{' (' + v['compared'] + ')' if 'compared' in v else ''}"
              for name, v in result["tables"].items()]
    if result["differences"]:
        lines += ["", "Differences:"] + [f"  - {d}" for d in result["differences"]]
    (report_dir / "verification.txt").write_text("\n".join(lines) + "\n")


def compare_changed_table(table: str, forced: tuple[bool, bool], columns, key, keys: list[str] | None,
                          pool) -> tuple[dict, list[str]]:
    """One table in the cutover window: row counts, then every row the change stream touched (by key) or, with
    keys None (TRUNCATE, no key, materialized or unlogged table), every row."""
    if keys is None:
        (src_count, src_sum), (tgt_count, tgt_sum) = (
            f.result() for f in [pool.submit(table_checksum, end, table, forced[i], columns)
                                 for i, end in enumerate(ENDS)])
        entry = {"source_rows": src_count, "target_rows": tgt_count, "checksum_match": src_sum == tgt_sum,
                 "compared": "all rows"}
        return entry, ([] if src_sum == tgt_sum else [f"table {table}: content differs"])
    src_count, tgt_count = (f.result() for f in [pool.submit(table_rows, end, table, forced[i])
                                                 for i, end in enumerate(ENDS)])
    differing = []
    if keys:
        src_rows, tgt_rows = (f.result() for f in [pool.submit(keyed_hashes, end, table, forced[i], columns, key,
                                                               keys) for i, end in enumerate(ENDS)])
        differing = sorted(k for k in src_rows if src_rows[k] != tgt_rows.get(k))
    entry = {"source_rows": src_count, "target_rows": tgt_count, "checksum_match": not differing,
             "compared": f"{len(keys)} changed row(s) by key" if keys else "row count (no change since the snapshot)"}
    found = [f"table {table}: row {k} differs (or is missing on one end)" for k in differing[:20]]
    if len(differing) > 20:
        found.append(f"table {table}: {len(differing) - 20} more differing rows")
    return entry, found


def cmd_verify_changes(args, touched: dict[str, list[str] | None], notes: list[str]) -> dict:
    """The online cutover's verification: the catalog of both ends, the row count of every table, and every row
    the change stream touched since the snapshot, compared by key on both ends (tables in `touched` with None,
    materialized views and unlogged tables: all their rows). The snapshot itself was verified in full by the start;
    together that compares every row of the final state without rescanning the unchanged ones."""
    progress = Progress(Path(args.work_dir), "verify")
    started = time.monotonic()
    src, tgt = connect("source"), connect("target")
    catalog, differences = compare_catalog(src, tgt)
    source_tables, target_tables = list_tables(src), list_tables(tgt)
    differences += diff_lists("tables", list(source_tables), list(target_tables))
    whole = {r[0] for r in rows(src, "SELECT oid::regclass::text FROM pg_class WHERE relkind = 'm' "
                                     "OR (relkind = 'r' AND relpersistence = 'u')")}
    native = sorted(NATIVE_HASH_TYPES)
    tables = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, args.jobs)) as pool:
        for table in sorted(t for t in source_tables if t in target_tables):
            columns = rows(src, COLUMNS_QUERY, {"table": table, "native": native})
            key = rows(src, KEY_QUERY, {"table": table})
            keys = None if table in whole or not key else touched.get(table, [])
            try:
                tables[table], found = compare_changed_table(
                    table, (source_tables[table], target_tables[table]), columns, key, keys, pool)
            except psycopg.Error as exc:
                tables[table] = {"source_rows": None, "target_rows": None, "checksum_match": False}
                found = [f"table {table}: cannot be compared: {str(exc).strip()}"]
            entry = tables[table]
            if entry["source_rows"] != entry["target_rows"]:
                found.insert(0, f"table {table}: {entry['source_rows']} rows on source, {entry['target_rows']} on "
                                "target")
            differences += found
    seconds = round(time.monotonic() - started, 1)
    changed = sum(len(k) for k in touched.values() if k)
    result = {"ok": not differences, "differences": differences, "tables": tables, "objects": catalog,
              "seconds": seconds, "source": conninfo("source")["dbname"], "target": target_identity(),
              "checked_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
              "scope": (f"the catalog of both ends, the row count of every table, and every row the change stream "
                        f"touched since the snapshot ({changed} row(s) by key on both ends; all rows of "
                        f"{len([t for t in tables if tables[t].get('compared') == 'all rows'])} table(s) that were "
                        "truncated, have no key, or are materialized or unlogged). Not a full rescan: every other "
                        "row is unchanged since the snapshot, which the start verified in full on both ends"),
              "notes": notes}
    write_reports(Path(args.report_dir), result)
    progress.say(f"{len(tables)} tables, {changed} changed rows compared in {seconds}s: "
                 f"{len(differences)} difference(s)")
    return result
