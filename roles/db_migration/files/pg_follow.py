"""The online strategy's follower: decodes the source's changes since the snapshot and applies them to the target.

Decoding: the `pgoutput` plugin (shipped with PostgreSQL, the one built-in logical replication uses) through the SQL
interface, `pg_logical_slot_peek_binary_changes`, limited to the migration's publication. pgoutput's binary
protocol carries each value as length-prefixed text (no quoting to parse, unlike test_decoding), tells which
columns form the replica identity, sends TRUNCATE, and gives each transaction's commit LSN and time. The SQL
interface needs no walsender and no background streaming state: the follower peeks a batch of whole
transactions, applies them, then confirms them with `pg_replication_slot_advance`.

Applying: as the target's (non-superuser) login, one target transaction per source transaction, in commit order;
the same target transaction records the source commit's end LSN in lwo_migration.applied and the keys it touched in
lwo_migration.touched, so a follower killed at any point and restarted skips what it had applied and repeats
nothing. Values are cast to the column types, so text renders as the source rendered it (canonical session).
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from pg_session import CANONICAL_SESSION, connect, load_state
from pg_verify import catalog_fingerprint, fingerprint_changes

STATE_SCHEMA = "lwo_migration"
PG_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
BATCH_CHANGES = 20000
PIPELINED_TRANSACTIONS = 200
DDL_CHECK_SECONDS = 3.0


class FollowError(Exception):
    """The change stream holds something the follower must not apply silently (DDL, a row missing, ...)."""


@dataclass
class Relation:
    relid: int
    name: str  # schema-qualified, quoted for SQL
    label: str  # schema.name as the catalogs spell them, unquoted
    identity: str  # replica identity: d(efault), f(ull), i(ndex), n(othing)
    columns: list[tuple[str, int, bool]]  # name, type oid, part of the key


@dataclass
class Transaction:
    xid: int
    end_lsn: int = 0
    commit_time: datetime.datetime | None = None
    changes: list[tuple] = field(default_factory=list)


def lsn_text(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def lsn_int(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


class Reader:
    """pgoutput protocol version 1 message fields, read in order."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        value = struct.unpack_from("!" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("!" + fmt)
        return value[0]

    def string(self) -> str:
        end = self.data.index(b"\0", self.pos)
        value = self.data[self.pos:end].decode()
        self.pos = end + 1
        return value

    def tuple(self) -> list:
        """Column values as text; None for NULL; Ellipsis for an unchanged TOASTed value (not sent)."""
        values = []
        for _column in range(self.take("h")):
            kind = self.take("c")
            if kind == b"n":
                values.append(None)
            elif kind == b"u":
                values.append(...)
            else:
                length = self.take("i")
                values.append(self.data[self.pos:self.pos + length].decode())
                self.pos += length
        return values


def decode(rows: list[tuple], relations: dict[int, Relation]) -> list[Transaction]:
    """Whole transactions from pgoutput messages (each row: lsn, xid, data)."""
    done, current = [], None
    for _lsn, _xid, data in rows:
        msg = Reader(bytes(data))
        kind = msg.take("c")
        if kind == b"B":
            msg.take("q")
            commit_time = PG_EPOCH + datetime.timedelta(microseconds=msg.take("q"))
            current = Transaction(xid=msg.take("i"), commit_time=commit_time)
        elif kind == b"C":
            msg.take("b")
            msg.take("q")
            current.end_lsn = msg.take("q")
            done.append(current)
            current = None
        elif kind == b"R":
            relid = msg.take("i")
            schema, name = msg.string(), msg.string()
            identity = msg.take("c").decode()
            columns = []
            for _column in range(msg.take("h")):
                flags = msg.take("b")
                column = msg.string()
                columns.append((column, msg.take("i"), bool(flags & 1)))
                msg.take("i")
            relations[relid] = Relation(relid, sql.Identifier(schema, name).as_string(None), f"{schema}.{name}",
                                        identity, columns)
        elif kind == b"I":
            relid = msg.take("i")
            msg.take("c")
            current.changes.append(("insert", relations[relid], None, msg.tuple()))
        elif kind == b"U":
            relid = msg.take("i")
            marker, old = msg.take("c"), None
            if marker in (b"K", b"O"):
                old = msg.tuple()
                msg.take("c")
            current.changes.append(("update", relations[relid], old, msg.tuple()))
        elif kind == b"D":
            relid = msg.take("i")
            msg.take("c")
            current.changes.append(("delete", relations[relid], msg.tuple(), None))
        elif kind == b"T":
            count, options = msg.take("i"), msg.take("b")
            current.changes.append(("truncate", [relations[msg.take("i")] for _index in range(count)], options, None))
        # O (origin) and Y (type) carry nothing the apply needs.
    return done


class Applier:
    """Applies decoded transactions on the target as its login."""

    def __init__(self, tgt: psycopg.Connection, slot: str, expected_columns: dict[str, list[list]]):
        self.tgt, self.slot, self.expected = tgt, slot, expected_columns
        self.types: dict[str, dict[str, tuple[str, bool]]] = {}
        self.regclass: dict[str, str] = {}

    def column_types(self, rel: Relation) -> dict[str, tuple[str, bool]]:
        """Target column type names and whether the column is GENERATED ALWAYS AS IDENTITY (not updatable)."""
        if rel.name not in self.types:
            seen = [[name, oid] for name, oid, _key in rel.columns]
            if self.expected.get(rel.label) != seen:
                # The source's table no longer has the columns it had at the snapshot: DDL during the follow.
                raise FollowError(f"DDL on the source during the follow: table {rel.label} changed its columns "
                                  f"(snapshot {self.expected.get(rel.label)}, now {seen})")
            self.regclass[rel.name] = self.tgt.execute("SELECT %s::regclass::text", (rel.name,)).fetchone()[0]
            self.types[rel.name] = {name: (kind, identity == "a") for name, kind, identity in self.tgt.execute(
                "SELECT attname, format_type(atttypid, atttypmod), attidentity::text FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", (rel.name,)).fetchall()}
        return self.types[rel.name]

    def value(self, rel: Relation, column: str) -> sql.Composable:
        return sql.SQL("CAST({} AS {})").format(sql.Placeholder(), sql.SQL(self.column_types(rel)[column][0]))

    def where(self, rel: Relation, old: list) -> tuple[sql.Composable, list]:
        """The row to change: by key columns, or (REPLICA IDENTITY FULL) by every column's text, one row only."""
        if rel.identity == "f":
            pairs = [(c[0], v) for c, v in zip(rel.columns, old) if v is not ...]
            match = sql.SQL(" AND ").join(sql.SQL("t.{}::text IS NOT DISTINCT FROM {}").format(
                sql.Identifier(name), sql.Placeholder()) for name, _v in pairs)
            return (sql.SQL("ctid = (SELECT ctid FROM ONLY {} AS t WHERE {} LIMIT 1)").format(sql.SQL(rel.name), match),
                    [v for _n, v in pairs])
        pairs = [(c[0], v) for c, v in zip(rel.columns, old) if c[2]]
        return (sql.SQL(" AND ").join(sql.SQL("{} = {}").format(sql.Identifier(name), self.value(rel, name))
                                      for name, _v in pairs), [v for _n, v in pairs])

    def key(self, rel: Relation, values: list) -> tuple[str, str]:
        """What the cutover verification compares again: (table as regclass text, key as a JSON array or *)."""
        self.column_types(rel)
        return (self.regclass[rel.name],
                "*" if rel.identity == "f" else json.dumps([v for c, v in zip(rel.columns, values) if c[2]]))

    def change(self, kind: str, rel, old, new, touched: set) -> None:
        if kind == "truncate":
            self.tgt.execute(sql.SQL("TRUNCATE ONLY {}{}").format(
                sql.SQL(", ").join(sql.SQL(r.name) for r in rel), sql.SQL(" CASCADE" if old & 1 else "")))
            touched.update((self.key(r, [])[0], "*") for r in rel)
            return
        if kind == "insert":
            names = [c[0] for c in rel.columns]
            self.tgt.execute(sql.SQL("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE VALUES ({})").format(
                sql.SQL(rel.name), sql.SQL(", ").join(map(sql.Identifier, names)),
                sql.SQL(", ").join(self.value(rel, n) for n in names)), new)
            touched.add(self.key(rel, new))
            return
        identity = old if old is not None else new
        condition, params = self.where(rel, identity)
        if kind == "delete":
            statement = sql.SQL("DELETE FROM ONLY {} WHERE {}").format(sql.SQL(rel.name), condition)
        else:
            types = self.column_types(rel)
            sets = [(c[0], v) for c, v in zip(rel.columns, new) if v is not ... and not types[c[0]][1]]
            statement = sql.SQL("UPDATE ONLY {} SET {} WHERE {}").format(sql.SQL(rel.name), sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(n), self.value(rel, n)) for n, _v in sets), condition)
            params = [v for _n, v in sets] + params
            touched.add(self.key(rel, new))
        touched.add(self.key(rel, identity))
        # The row count is checked by the server, inside the transaction: a miss aborts it before its commit.
        checked = sql.SQL("WITH changed AS ({} RETURNING 1) SELECT {}.expect_one(count(*), {}) FROM changed").format(
            statement, sql.Identifier(STATE_SCHEMA), sql.Placeholder())
        self.tgt.execute(checked, [*params, f"{kind} of {rel.label} row {self.key(rel, identity)[1]}"])
        return None

    def apply(self, txns: list[Transaction]) -> None:
        """Each source transaction in a target transaction of its own, in commit order, recording its end LSN: a
        restart resumes exactly after the last one committed. Statements are pipelined (sent without waiting for
        each answer); an error aborts its transaction and the pipeline, and stops the follower."""
        with self.tgt.pipeline() as pipeline:
            for txn in txns:
                touched: set[tuple[str, str]] = set()
                with self.tgt.transaction():
                    for kind, rel, old, new in txn.changes:
                        self.change(kind, rel, old, new, touched)
                    self.record(txn.end_lsn, txn.commit_time, 1)
                    if touched:
                        with self.tgt.cursor() as cur:
                            cur.executemany(f"INSERT INTO {STATE_SCHEMA}.touched (relation, key) VALUES (%s, %s) "
                                            "ON CONFLICT DO NOTHING", sorted(touched))
            pipeline.sync()

    def record(self, lsn: int, commit_time, txns: int) -> None:
        self.tgt.execute(f"UPDATE {STATE_SCHEMA}.applied SET lsn = %s::pg_lsn, txns = txns + %s, "
                         "last_commit = coalesce(%s, last_commit) WHERE slot = %s",
                         (lsn_text(lsn), txns, commit_time, self.slot))

    def position(self) -> tuple[int, int]:
        lsn, txns = self.tgt.execute(f"SELECT lsn::text, txns FROM {STATE_SCHEMA}.applied WHERE slot = %s",
                                     (self.slot,)).fetchone()
        return lsn_int(lsn), txns


class Follower:
    def __init__(self, args, online: dict):
        self.work = Path(args.work_dir)
        self.online = online
        self.state_file = self.work / "follower.json"
        self.stop = False
        self.status = {"pid": os.getpid(), "started_at": now(), "error": None, "caught_up_at": None,
                       "txns_applied": 0, "applied_lsn": None}

    def save(self, **changes) -> None:
        self.status.update(changes, updated_at=now())
        partial = self.state_file.with_suffix(".tmp")
        partial.write_text(json.dumps(self.status, default=str))
        partial.replace(self.state_file)

    def log(self, message: str) -> None:
        print(f"{datetime.datetime.now().strftime('%H:%M:%S')} [follow] {message}", flush=True)

    def run(self) -> dict:
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stop", True))
        (self.work / "follower.pid").write_text(f"{os.getpid()}\n")
        slot, publication = self.online["slot"], self.online["publication"]
        src = connect("source", application_name="lwo-db-migration-follower")
        for key, value in CANONICAL_SESSION.items():
            # pgoutput renders values with this session's output functions: as the verification renders them.
            src.execute(sql.SQL("SET {} = {}").format(sql.Identifier(key), sql.Literal(value)))
        tgt = connect("target", autocommit=False, application_name="lwo-db-migration-follower")
        for key, value in CANONICAL_SESSION.items():
            tgt.execute(sql.SQL("SET {} = {}").format(sql.Identifier(key), sql.Literal(value)))
        tgt.commit()
        fingerprint = json.loads((self.work / "online-catalog.json").read_text())
        applier = Applier(tgt, slot, fingerprint["columns"])
        relations: dict[int, Relation] = {}
        applied, txns = applier.position()
        tgt.commit()
        self.log(f"following slot {slot} from {lsn_text(applied)} ({txns} transactions applied before)")
        self.save(applied_lsn=lsn_text(applied), txns_applied=txns)
        last_check = 0.0
        try:
            while not self.stop:
                if time.monotonic() - last_check > DDL_CHECK_SECONDS:
                    changed = fingerprint_changes(fingerprint["catalog"], catalog_fingerprint(src))
                    if changed:
                        raise FollowError("DDL (or a large-object change) on the source during the follow, which "
                                          "logical decoding does not carry: " + "; ".join(changed[:10]))
                    last_check = time.monotonic()
                # The flushed position: decoding reads no further, so nothing between it and the insert position
                # (synchronous_commit = off commits) may be counted as decoded.
                upto = src.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()[0]
                batch = src.execute(
                    "SELECT lsn, xid, data FROM pg_logical_slot_peek_binary_changes(%s, %s::pg_lsn, %s, "
                    "'proto_version', '1', 'publication_names', %s)",
                    (slot, upto, BATCH_CHANGES, publication)).fetchall()
                # Skipped: applied before a restart, not yet confirmed on the slot.
                pending = [t for t in decode(batch, relations) if t.end_lsn > applied]
                done = len(pending)
                for start in range(0, len(pending), PIPELINED_TRANSACTIONS):
                    group = pending[start:start + PIPELINED_TRANSACTIONS]
                    applier.apply(group)
                    applied, txns = group[-1].end_lsn, txns + len(group)
                    src.execute("SELECT pg_replication_slot_advance(%s, %s::pg_lsn)", (slot, lsn_text(applied)))
                if len(batch) < BATCH_CHANGES:
                    # Everything up to `upto` was decoded: the position moves there even without a transaction.
                    applied = max(applied, lsn_int(upto))
                    with tgt.transaction():
                        applier.record(applied, None, 0)
                    src.execute("SELECT pg_replication_slot_advance(%s, %s::pg_lsn)", (slot, lsn_text(applied)))
                    self.save(applied_lsn=lsn_text(applied), txns_applied=txns, caught_up_at=now())
                else:
                    self.save(applied_lsn=lsn_text(applied), txns_applied=txns)
                if done:
                    self.log(f"{done} transaction(s) applied, at {lsn_text(applied)} ({txns} in all)")
                elif len(batch) < BATCH_CHANGES:
                    time.sleep(0.2)
        except Exception as exc:
            message = str(exc) if isinstance(exc, FollowError) else f"{type(exc).__name__}: {str(exc).strip()}"
            self.log("stopped: " + message)
            self.save(error=message, stopped_at=now())
            raise
        self.log(f"stopped on request at {lsn_text(applied)}")
        self.save(stopped_at=now())
        return {"applied_lsn": lsn_text(applied), "txns_applied": txns}


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def cmd_follow(args) -> dict:
    """Runs until stopped (SIGTERM from cutover or abort) or until something must not be applied silently."""
    online = load_state(args).get("online")
    if not online:
        print("no online migration in this work directory", file=sys.stderr)
        return {"ok": False, "error": "no online migration in this work directory"}
    return Follower(args, online).run()
