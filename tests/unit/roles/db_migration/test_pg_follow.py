"""The online follower's pgoutput decoder and the engine's command line, without servers (the apply and the whole
online flow run against real PostgreSQL in tests/integration/migration/test_online.py)."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

pytest.importorskip("psycopg")
sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "roles" / "db_migration" / "files"))
import pg_follow  # noqa: E402  (the engine ships as plain files next to each other)
import pg_migrate  # noqa: E402


def cstring(text: str) -> bytes:
    return text.encode() + b"\0"


def tuple_data(*values) -> bytes:
    out = struct.pack("!h", len(values))
    for value in values:
        if value is None:
            out += b"n"
        elif value is ...:
            out += b"u"
        else:
            out += b"t" + struct.pack("!i", len(value.encode())) + value.encode()
    return out


RELATION = (b"R" + struct.pack("!i", 16400) + cstring("planner") + cstring("Odd Table") + b"d" + struct.pack("!h", 2)
            + struct.pack("!b", 1) + cstring("id") + struct.pack("!ii", 20, -1)
            + struct.pack("!b", 0) + cstring("body") + struct.pack("!ii", 25, -1))


def message_rows(*messages: bytes) -> list[tuple]:
    return [("0/0", 1, message) for message in messages]


def test_decoder_reads_whole_transactions_with_keys_nulls_and_unchanged_toast():
    begin = b"B" + struct.pack("!qqi", 0x1000, 86_400_000_000, 733)
    insert = b"I" + struct.pack("!i", 16400) + b"N" + tuple_data("7", "it's \"quoted\"\ntext")
    update = b"U" + struct.pack("!i", 16400) + b"K" + tuple_data("7", None) + b"N" + tuple_data("8", ...)
    delete = b"D" + struct.pack("!i", 16400) + b"K" + tuple_data("8", None)
    truncate = b"T" + struct.pack("!ib", 1, 1) + struct.pack("!i", 16400)
    commit = b"C" + struct.pack("!bqqq", 0, 0x1000, 0x1048, 86_400_000_000)
    relations = {}
    (txn,) = pg_follow.decode(message_rows(begin, RELATION, insert, update, delete, truncate, commit), relations)
    assert txn.xid == 733 and txn.end_lsn == 0x1048
    assert txn.commit_time.isoformat() == "2000-01-02T00:00:00+00:00"
    rel = relations[16400]
    assert rel.name == '"planner"."Odd Table"' and rel.label == "planner.Odd Table"
    assert rel.columns == [("id", 20, True), ("body", 25, False)]
    kinds = [(kind, old, new) for kind, _rel, old, new in txn.changes]
    assert kinds[0] == ("insert", None, ["7", "it's \"quoted\"\ntext"])
    assert kinds[1] == ("update", ["7", None], ["8", ...])
    assert kinds[2] == ("delete", ["8", None], None)
    assert txn.changes[3][0] == "truncate" and txn.changes[3][1] == [rel] and txn.changes[3][2] == 1


def test_an_unfinished_transaction_is_not_returned():
    begin = b"B" + struct.pack("!qqi", 0x2000, 0, 9)
    insert = b"I" + struct.pack("!i", 16400) + b"N" + tuple_data("1", "x")
    assert pg_follow.decode(message_rows(RELATION, begin, insert), {}) == []


@pytest.mark.parametrize("text", ["0/0", "0/1B0DD70", "16/B374D848", "FFFFFFFF/FFFFFFFF"])
def test_lsn_text_round_trips(text):
    assert pg_follow.lsn_text(pg_follow.lsn_int(text)) == text


def test_every_option_comes_from_the_role(tmp_path):
    """One set of defaults (the role's): the engine has none of its own, a missing option is an error."""
    full = ["verify", "--credentials=c.json", f"--work-dir={tmp_path}", "--backup-dir=b", "--report-dir=r",
            "--maintenance-work-mem=64MB", "--other-maintenance-work-mem=16MB", "--jobs=2", "--dump-format=custom", "--compress=0", "--disk-factor=1.2",
            "--allow-nonempty=false", "--write-freeze=false", "--pg-bin-dir=", "--target-maintenance-database=postgres",
            '--replica-identity-full=["public.t"]', "--follow-timeout=60"]
    args = pg_migrate.parse_args(full)
    assert args.replica_identity_full == ["public.t"] and args.jobs == 2 and args.argv == full
    for missing in full[1:]:
        with pytest.raises(SystemExit):
            pg_migrate.parse_args([a for a in full if a != missing])
