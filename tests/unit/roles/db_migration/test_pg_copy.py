"""The db_migration engine's copy planner and scheduler (roles/db_migration/files/pg_copy.py), without servers."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "roles" / "db_migration" / "files"))
import pg_copy  # noqa: E402  (the engine ships as plain files next to each other)

psycopg = pytest.importorskip("psycopg")


def table(oid, name, size, plain=True, columns=("id", "body"), schema="public"):
    return pg_copy.Table(oid, schema, name, size, list(columns), plain)


def test_copy_statements_name_columns_and_freeze_the_load():
    t = table(1, 'Odd "name"', 10, schema="My Schema")
    out = t.copy_statement("out").as_string(None)
    into = t.copy_statement("in").as_string(None)
    assert out == 'COPY "My Schema"."Odd ""name""" ("id", "body") TO STDOUT (FORMAT binary)'
    assert into == 'COPY "My Schema"."Odd ""name""" ("id", "body") FROM STDIN (FORMAT binary, FREEZE)'
    # A table whose only columns are generated (left out) copies its rows without a column list.
    assert "()" not in table(2, "t", 1, columns=()).copy_statement("in").as_string(None)


def test_exclude_patterns_match_names_literally():
    patterns = pg_copy.exclude_data_patterns([table(1, "a*b", 1, schema='s"q'), table(2, "plain", 1)])
    assert patterns == ['--exclude-table-data="s""q"."a*b"', '--exclude-table-data="public"."plain"']


def test_source_command_runs_in_the_snapshot_and_refuses_odd_ids():
    command = pg_copy.source_copy_command("/usr/bin/psql", "00000003-0000001B-1", table(1, "t", 1))
    assert "SET TRANSACTION SNAPSHOT '00000003-0000001B-1'" in command
    assert command.index("-1") < command.index("SET TRANSACTION SNAPSHOT '00000003-0000001B-1'")
    assert "SET row_security = off" in command
    with pytest.raises(ValueError):
        pg_copy.source_copy_command("/usr/bin/psql", "x'; DROP TABLE t; --", table(1, "t", 1))


TOC = [
    "3001; 1259 501 INDEX public accounts_bid_idx owner",
    "3002; 2606 601 CONSTRAINT public accounts accounts_pkey owner",
    "3003; 1259 502 INDEX public documents_body_idx owner",
    "3004; 1259 503 INDEX public checkins_2024_pkey owner",
    "3005; 0 0 INDEX ATTACH public checkins_2024_pkey owner",
    "3006; 2606 602 FK CONSTRAINT public accounts accounts_bid_fkey owner",
    "3007; 2606 603 CONSTRAINT public checkins_2024 checkins_2024_pkey owner",
    "3008; 0 0 SEQUENCE SET public accounts_id_seq owner",
]
OWNERS = [("INDEX", 501, 10, "btree"), ("CONSTRAINT", 601, 10, "btree"), ("INDEX", 502, 20, "gin"),
          ("INDEX", 503, 30, "btree"), ("CONSTRAINT", 603, 30, "btree")]


def test_index_entries_go_to_plain_tables_and_the_rest_to_post_data():
    accounts, documents, partition = table(10, "accounts", 500), table(20, "documents", 200), \
        table(30, "checkins_2024", 5, plain=False)
    rest = pg_copy.assign_index_entries([accounts, documents, partition], TOC, OWNERS)
    assert accounts.constraint_entries == [TOC[1]]
    assert accounts.index_entries == [(TOC[0], pg_copy.INDEX_WEIGHT["btree"])]
    assert documents.index_entries == [(TOC[2], pg_copy.OTHER_INDEX_WEIGHT)]
    # Partitions, INDEX ATTACH, foreign keys and sequence values wait for the final post-data pass.
    assert rest == [TOC[3], TOC[4], TOC[5], TOC[6], TOC[7]]
    assert partition.index_entries == [] and partition.constraint_entries == []
    # A table with an expensive (GIN) index has the longer road ahead although it is smaller.
    assert documents.critical_path > accounts.critical_path


class RecordingPipeline(pg_copy.Pipeline):
    """The scheduler with the data movement replaced by a log of what ran in which order."""

    def __init__(self, tables, jobs, fail_on=None):
        self.log, self.log_lock = [], threading.Lock()
        self.fail_on = fail_on
        super().__init__(tables, jobs, lambda t: [], {}, lambda: None, self.fake_build, lambda _m: None)

    def copy(self, tgt, table):
        with self.log_lock:
            self.log.append(("copy", table.name))

    def fake_build(self, table, entries):
        if self.fail_on in entries:
            raise RuntimeError("boom")
        with self.log_lock:
            self.log.append(("build", table.name, tuple(entries)))


def scheduled_tables():
    big, gin, small = table(10, "accounts", 500), table(20, "documents", 250), table(30, "tellers", 1)
    pg_copy.assign_index_entries([big, gin, small], TOC[:3] + ["3010; 1259 504 INDEX public tellers_idx o"],
                                 OWNERS[:3] + [("INDEX", 504, 30, "btree")])
    return big, gin, small


def test_one_worker_runs_longest_road_first_and_indexes_before_constraints():
    big, gin, small = scheduled_tables()
    pipeline = RecordingPipeline([big, gin, small], jobs=1)
    result = pipeline.run()
    assert result["tables"] == 3 and result["indexes"] == 4
    log = pipeline.log
    # documents (GIN) first, its index built before the remaining copies; accounts' PK after its other index.
    assert log[0] == ("copy", "documents")
    assert log[1] == ("build", "documents", (TOC[2],))
    assert log.index(("build", "accounts", (TOC[0],))) < log.index(("build", "accounts", (TOC[1],)))
    assert all(log.index(("copy", t.name)) < i for i, entry in enumerate(log)
               for t in (big, gin, small) if entry[0] == "build" and entry[1] == t.name)


def test_parallel_workers_do_every_task_once():
    tables = list(scheduled_tables())
    pipeline = RecordingPipeline(tables, jobs=3)
    pipeline.run()
    copies = sorted(e for e in pipeline.log if e[0] == "copy")
    assert copies == [("copy", "accounts"), ("copy", "documents"), ("copy", "tellers")]
    assert len([e for e in pipeline.log if e[0] == "build"]) == 4


def test_a_failed_index_build_stops_the_pipeline_and_names_the_table():
    pipeline = RecordingPipeline(list(scheduled_tables()), jobs=2, fail_on=TOC[2])
    with pytest.raises(RuntimeError, match="index of public.documents: boom"):
        pipeline.run()
