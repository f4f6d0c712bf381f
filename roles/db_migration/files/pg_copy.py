"""Parallel data copy for the db_migration engine (pg_migrate.py).

Table data is streamed with COPY (binary) from the source straight into the target: no intermediate file, every
source read inside one exported snapshot, so all workers (and the backup) see the same database state.
Each target table is truncated and loaded in one transaction with COPY ... FREEZE, so its rows are written frozen
and later reads (the verification, the application) do not rewrite every page to set hint bits.  A table's
indexes and primary/unique/exclusion constraints are built as soon as its data is in, by the same pool of workers,
while other tables are still being copied; the largest pieces of work are scheduled first. A primary key or unique
constraint is built as a plain CREATE UNIQUE INDEX beside the table's other indexes (in parallel with them) and then
attached with ALTER TABLE ... ADD CONSTRAINT ... USING INDEX, a catalog-only change (pgcopydb's way). Once a table's
last index is in, the same pool ANALYZEs it and then verifies it (a callback the caller passes; the pipeline never
changes a copied table's rows again), at the lowest priority, so those tasks fill the workers a long index build
leaves idle instead of waiting for the whole copy.
"""

from __future__ import annotations

import heapq
import itertools
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import psycopg
from psycopg import sql

# The tables whose data is streamed: ordinary tables (partitions included), not extension members (pg_dump keeps
# the data of extension configuration tables, which only it knows how to select), not temporary.
TABLES_QUERY = """
    SELECT c.oid, n.nspname, c.relname, pg_table_size(c.oid),
           coalesce((SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),
                    '{}'),
           NOT c.relispartition AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE c.oid IN (i.inhrelid, i.inhparent))
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND c.relpersistence <> 't'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e')
    ORDER BY 4 DESC, 1"""
# Which table each index and index-backed constraint belongs to (TOC entries carry only the object's own OID).
INDEX_OWNERS_QUERY = """
    SELECT 'INDEX', i.indexrelid, i.indrelid, am.amname FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
    UNION ALL
    SELECT 'CONSTRAINT', c.oid, c.conrelid, CASE c.contype WHEN 'x' THEN 'gist' ELSE 'btree' END
    FROM pg_constraint c WHERE c.contype IN ('p', 'u', 'x')"""
# Build cost of an index relative to copying its table (measured on the benchmark: a btree over a few columns
# costs about a fifth of the copy, a GIN over jsonb several times the copy).
INDEX_WEIGHT = {"btree": 0.2, "hash": 0.2, "brin": 0.05}
OTHER_INDEX_WEIGHT = 3.0
CONSTRAINT_WEIGHT = 0.2
# Primary keys and unique constraints that can be built as an index and attached afterwards: not on partitioned
# or inheritance tables (plain tables only reach here), no tablespace of their own (pg_restore would set it). The
# statements are rendered on the source under the engine's search_path (pg_catalog), so every user name in them is
# schema-qualified. The attach also carries what pg_dump writes into the constraint's own entry: the replica
# identity (the online strategy depends on it) and CLUSTER ON.
UNIQUE_AS_INDEX_QUERY = """
    SELECT c.oid, pg_get_indexdef(c.conindid),
           format('ALTER TABLE ONLY %I.%I ADD CONSTRAINT %I %s USING INDEX %I%s', n.nspname, t.relname, c.conname,
                  CASE c.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END, i.relname,
                  CASE WHEN c.condeferred THEN ' DEFERRABLE INITIALLY DEFERRED'
                       WHEN c.condeferrable THEN ' DEFERRABLE' ELSE '' END)
           || CASE WHEN x.indisreplident THEN format('; ALTER TABLE ONLY %I.%I REPLICA IDENTITY USING INDEX %I',
                                                     n.nspname, t.relname, c.conname) ELSE '' END
           || CASE WHEN x.indisclustered THEN format('; ALTER TABLE ONLY %I.%I CLUSTER ON %I',
                                                     n.nspname, t.relname, c.conname) ELSE '' END
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_class i ON i.oid = c.conindid JOIN pg_index x ON x.indexrelid = c.conindid
    WHERE c.contype IN ('p', 'u') AND i.reltablespace = 0 AND t.relkind = 'r'"""
# Analyzing a table costs little beside copying it; verifying it (both ends read) about as much as the copy, but
# both go last: they only run when no copy or index build is waiting.
LAST = 1e-9
TOC_INDEX = re.compile(r"^\d+; \d+ (\d+) (INDEX|CONSTRAINT) (?!ATTACH )")


@dataclass(frozen=True)
class Build:
    """A unique index built with SQL (CREATE UNIQUE INDEX as on the source), to be attached as a constraint."""
    statement: str
    label: str


@dataclass(frozen=True)
class Attach:
    """ALTER TABLE ... ADD CONSTRAINT ... USING INDEX for a Build."""
    statement: str


@dataclass
class Table:
    oid: int
    schema: str
    name: str
    bytes: int
    columns: list[str]
    plain: bool  # neither partition nor inheritance parent/child: its indexes can be built on their own
    # TOC entries built right after the data: each plain index as a task of its own (CREATE INDEX runs
    # concurrently with others on the same table), then the constraints in one task (ADD CONSTRAINT locks the
    # table exclusively, so it waits for the table's index builds instead of holding them up).
    constraint_entries: list = field(default_factory=list)
    index_entries: list[tuple] = field(default_factory=list)  # (TOC entry or Build, relative cost)
    indexes_left: int = 0
    methods: dict[str, str] = field(default_factory=dict)  # TOC entry -> index access method

    @property
    def critical_path(self) -> float:
        """Copy, the slowest index build, the constraints: what a table adds to the end of the run at the least."""
        slowest = max((w for _e, w in self.index_entries), default=0)
        return self.bytes * (1 + slowest + (CONSTRAINT_WEIGHT if self.constraint_entries else 0))

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)

    def copy_statement(self, direction: str) -> sql.Composed:
        """COPY with an explicit column list (generated and dropped columns left out) so both ends agree."""
        columns = (sql.SQL(" ({})").format(sql.SQL(", ").join(map(sql.Identifier, self.columns)))
                   if self.columns else sql.SQL(""))
        if direction == "out":
            return sql.SQL("COPY {}{} TO STDOUT (FORMAT binary)").format(self.ident, columns)
        return sql.SQL("COPY {}{} FROM STDIN (FORMAT binary, FREEZE)").format(self.ident, columns)


def plan_tables(src: psycopg.Connection) -> list[Table]:
    """The tables to stream, largest first."""
    return [Table(*row) for row in src.execute(TABLES_QUERY).fetchall()]


def exclude_data_patterns(tables: list[Table]) -> list[str]:
    """pg_dump --exclude-table-data patterns naming exactly these tables (double quotes make every character
    literal, a doubled quote stands for one)."""
    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'
    return [f"--exclude-table-data={quoted(t.schema)}.{quoted(t.name)}" for t in tables]


def assign_index_entries(tables: list[Table], toc: list[str], owners: list[tuple],
                         unique_as_index: dict[int, tuple[str, str]] | None = None) -> list[str]:
    """Give each plain table the TOC entries of its indexes and index-backed constraints; return the entries left
    for the final post-data pass (everything else, including indexes of partitioned and inherited tables).

    unique_as_index maps a primary key's or unique constraint's OID to (CREATE UNIQUE INDEX, ALTER TABLE ... USING
    INDEX): such a constraint becomes an index build beside the others plus a catalog-only attach; exclusion
    constraints keep their TOC entry (ADD CONSTRAINT ... EXCLUDE builds its own index)."""
    owner_of = {(kind, oid): (table, method) for kind, oid, table, method in owners}
    by_oid = {t.oid: t for t in tables if t.plain}
    unique_as_index = unique_as_index or {}
    rest = []
    for entry in toc:
        match = TOC_INDEX.match(entry)
        table_oid, method = owner_of.get((match.group(2), int(match.group(1))), (None, "")) if match else (None, "")
        table = by_oid.get(table_oid)
        if table is None:
            rest.append(entry)
        elif match.group(2) == "CONSTRAINT" and int(match.group(1)) in unique_as_index:
            create, attach = unique_as_index[int(match.group(1))]
            table.index_entries.append((Build(create, entry), INDEX_WEIGHT["btree"]))
            table.constraint_entries.append(Attach(attach))
        elif match.group(2) == "CONSTRAINT":
            table.constraint_entries.append(entry)
            table.methods[entry] = method
        else:
            table.index_entries.append((entry, INDEX_WEIGHT.get(method, OTHER_INDEX_WEIGHT)))
            table.methods[entry] = method
    return rest


@dataclass(order=True)
class Task:
    priority: float
    seq: int
    kind: str = field(compare=False)  # "copy", "index", "constraints", "analyze" or "verify"
    table: Table = field(compare=False)
    entries: list[str] = field(compare=False, default_factory=list)


class Pipeline:
    """A fixed pool of workers over one priority queue: copies and per-table index builds, biggest first.

    source_command(table) is the psql command line that writes the table's rows (inside the exported snapshot)
    to stdout, run with source_env; open_target() returns a target connection; build_indexes(conn, table, entries)
    runs the given index entries (TOC entries, Build or Attach) of the table on the target; the pipeline ANALYZEs
    each table once it is complete, and calls verify(table) (optional) once its copy has committed."""

    def __init__(self, tables: list[Table], jobs: int, source_command: Callable[[Table], list[str]],
                 source_env: dict, open_target: Callable,
                 build_indexes: Callable[[psycopg.Connection, Table, list], None], say: Callable[[str], None],
                 verify: Callable[[Table], None] | None = None, sink: Callable[[Table], object] | None = None):
        self.tables, self.jobs = tables, max(1, jobs)
        self.source_command, self.source_env, self.open_target = source_command, source_env, open_target
        self.build_indexes, self.say, self.verify, self.sink = build_indexes, say, verify, sink
        self.queue: list[Task] = []
        self.seq = itertools.count()
        self.lock = threading.Condition()
        self.pending = 0
        self.error: BaseException | None = None
        self.copied = self.indexed = self.moved = self.analyzed = 0
        self.index_count = sum(len(t.index_entries) + len(t.constraint_entries) for t in tables)
        self.total_bytes = sum(t.bytes for t in tables) or 1
        self.timings: dict[str, float] = {}

    def push(self, kind: str, table: Table, weight: float, entries: list[str] | None = None) -> None:
        """The queue pops the task with the longest road ahead first (largest-processing-time scheduling)."""
        with self.lock:
            heapq.heappush(self.queue, Task(-weight, next(self.seq), kind, table, entries or []))
            self.pending += 1
            self.lock.notify()

    def after_copy(self, table: Table) -> None:
        table.indexes_left = len(table.index_entries)
        for entry, weight in table.index_entries:
            self.push("index", table, table.bytes * weight, [entry])
        if not table.index_entries:
            self.push_constraints(table)
        if self.verify is not None:
            # The rows are final once the COPY committed (indexes and constraints do not change them).
            self.push("verify", table, table.bytes * LAST)

    def after_index(self, table: Table) -> None:
        with self.lock:
            table.indexes_left -= 1
            last = table.indexes_left == 0
        if last:
            self.push_constraints(table)

    def push_constraints(self, table: Table) -> None:
        if table.constraint_entries:
            self.push("constraints", table, table.bytes * CONSTRAINT_WEIGHT, table.constraint_entries)
        else:
            self.push_analyze(table)

    def push_analyze(self, table: Table) -> None:
        """Statistics as soon as the table is complete (ANALYZE reads a sample; it waits for no other table)."""
        self.push("analyze", table, table.bytes * LAST * 2)

    def next_task(self) -> Task | None:
        with self.lock:
            while not self.queue and self.pending and self.error is None:
                self.lock.wait()
            if self.error is not None or not self.queue:
                return None
            return heapq.heappop(self.queue)

    def finish(self, error: BaseException | None = None) -> None:
        with self.lock:
            self.pending -= 1
            if error is not None and self.error is None:
                self.error = error
            self.lock.notify_all()

    def copy(self, tgt: psycopg.Connection, table: Table) -> None:
        """Source rows come from a psql COPY TO STDOUT inside the snapshot (libpq's per-row reads stay in C);
        they are relayed in 1 MiB chunks, counted for the progress report, into the target's COPY FROM STDIN, and
        into the sink's file for the table when there is one (the backup, pg_backup.py)."""
        started = time.monotonic()
        proc = subprocess.Popen(self.source_command(table), env=self.source_env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        kept = self.sink(table) if self.sink is not None else None
        try:
            with tgt.transaction():
                # Truncating in the loading transaction is what allows FREEZE (and makes a retry start clean).
                tgt.execute(sql.SQL("TRUNCATE ONLY {}").format(table.ident))
                with tgt.cursor().copy(table.copy_statement("in")) as into:
                    while chunk := proc.stdout.read(1 << 20):
                        into.write(chunk)
                        if kept is not None:
                            kept.write(chunk)
                        with self.lock:
                            self.moved += len(chunk)
                    if proc.wait() != 0:
                        raise RuntimeError("reading the source failed: " + proc.stderr.read().decode().strip())
            if kept is not None:
                kept.close()
                kept = None
        finally:
            if kept is not None:
                kept.discard()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        self.timings[f"copy {table.label}"] = round(time.monotonic() - started, 2)

    def analyze(self, tgt: psycopg.Connection, table: Table) -> None:
        tgt.execute(sql.SQL("ANALYZE {}").format(table.ident))

    def run_task(self, tgt: psycopg.Connection, task: Task) -> None:
        started = time.monotonic()
        if task.kind == "copy":
            self.copy(tgt, task.table)
            with self.lock:
                self.copied += 1
            self.after_copy(task.table)
        elif task.kind == "analyze":
            self.analyze(tgt, task.table)
            with self.lock:
                self.analyzed += 1
        elif task.kind == "verify":
            self.verify(task.table)
        else:
            self.build_indexes(tgt, task.table, task.entries)
            if task.kind == "index":
                self.after_index(task.table)
            else:
                self.push_analyze(task.table)
            with self.lock:
                self.indexed += len(task.entries)
        if task.kind != "copy":  # copy() records its own time
            self.timings[f"{task.kind} {task.table.label} {task.seq}"] = round(time.monotonic() - started, 2)

    def worker(self) -> None:
        tgt = None
        try:
            tgt = self.open_target()
            while (task := self.next_task()) is not None:
                try:
                    self.run_task(tgt, task)
                except Exception as exc:  # handed to the caller, naming the table
                    self.finish(RuntimeError(f"{task.kind} of {task.table.label}: {exc}"))
                    return
                self.finish()
        except Exception as exc:  # a worker that cannot connect stops the whole pipeline
            with self.lock:
                self.error = self.error or exc
                self.lock.notify_all()
        finally:
            if tgt is not None:
                tgt.close()

    def report(self, stop: threading.Event) -> None:
        while not stop.wait(3):
            self.say(self.status())

    def status(self) -> str:
        with self.lock:
            return (f"tables {self.copied}/{len(self.tables)}, {self.moved / 2**20:.0f} MiB streamed "
                    f"(~{min(100, 100 * self.moved / self.total_bytes):.0f}% of {self.total_bytes / 2**20:.0f} "
                    f"MiB on disk), indexes and constraints {self.indexed}/{self.index_count} built, "
                    f"{self.analyzed} analyzed")

    def run(self) -> dict:
        for table in self.tables:
            self.push("copy", table, table.critical_path)
        stop = threading.Event()
        reporter = threading.Thread(target=self.report, args=(stop,), daemon=True)
        reporter.start()
        workers = [threading.Thread(target=self.worker, name=f"copy-{n}", daemon=True) for n in range(self.jobs)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        stop.set()
        if self.error is not None:
            raise self.error
        self.say(self.status())
        return {"tables": len(self.tables), "bytes": self.moved, "indexes": self.indexed, "analyzed": self.analyzed}


def run_index_entries(command: list[str], env: dict, entries: list[str], list_file) -> None:
    """pg_restore of just these TOC entries (one table's indexes or exclusion constraints), in one process."""
    list_file.write_text("\n".join(entries) + "\n")
    result = subprocess.run(command + ["-L", str(list_file)], env=env, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())


SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+-[0-9]+$")


def source_copy_command(psql: str, snapshot: str, table: Table) -> list[str]:
    """psql writing one table's rows to stdout in binary COPY format, inside the exported snapshot."""
    if not SNAPSHOT_ID.match(snapshot):
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    return [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1",
            "-c", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            "-c", f"SET TRANSACTION SNAPSHOT '{snapshot}'",
            # As pg_dump does: fail rather than silently copy only the rows a policy lets the login see.
            "-c", "SET row_security = off",
            "-c", table.copy_statement("out").as_string(None)]
