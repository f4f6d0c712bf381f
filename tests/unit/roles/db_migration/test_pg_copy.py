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

    def __init__(self, tables, jobs, fail_on=None, verify=False):
        self.log, self.log_lock = [], threading.Lock()
        self.fail_on = fail_on
        super().__init__(tables, jobs, lambda t: [], {}, lambda: None, self.fake_build, lambda _m: None,
                         verify=self.fake_verify if verify else None)

    def copy(self, tgt, table):
        with self.log_lock:
            self.log.append(("copy", table.name))

    def analyze(self, tgt, table):
        with self.log_lock:
            self.log.append(("analyze", table.name))

    def fake_verify(self, table):
        with self.log_lock:
            self.log.append(("verify", table.name))

    def fake_build(self, _tgt, table, entries):
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
    assert sorted(e for e in pipeline.log if e[0] == "analyze") == [
        ("analyze", "accounts"), ("analyze", "documents"), ("analyze", "tellers")]


def test_each_table_is_analyzed_after_its_last_index_and_verified_after_its_copy():
    tables = list(scheduled_tables())
    pipeline = RecordingPipeline(tables, jobs=1, verify=True)
    pipeline.run()
    log = pipeline.log
    for t in tables:
        builds = [i for i, e in enumerate(log) if e[0] == "build" and e[1] == t.name]
        assert log.index(("analyze", t.name)) > max(builds)
        assert log.index(("verify", t.name)) > log.index(("copy", t.name))
    # Verification and analyze have the lowest priority: with one worker every copy and build comes first.
    last_build = max(i for i, e in enumerate(log) if e[0] in ("copy", "build"))
    assert all(e[0] in ("analyze", "verify") for e in log[last_build + 1:])
    assert len(log[last_build + 1:]) == 6


def test_unique_constraints_become_an_index_beside_the_others_then_an_attach():
    accounts = table(10, "accounts", 500)
    unique = {601: ("CREATE UNIQUE INDEX accounts_pkey ON public.accounts USING btree (aid)",
                    "ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX "
                    "accounts_pkey")}
    exclusion = "3011; 2606 605 CONSTRAINT public accounts accounts_excl owner"
    rest = pg_copy.assign_index_entries([accounts], TOC[:2] + [exclusion],
                                        OWNERS[:2] + [("CONSTRAINT", 605, 10, "gist")], unique)
    assert rest == []
    build = pg_copy.Build(unique[601][0], TOC[1])
    assert accounts.index_entries == [(TOC[0], pg_copy.INDEX_WEIGHT["btree"]), (build, pg_copy.INDEX_WEIGHT["btree"])]
    # The exclusion constraint keeps its TOC entry (it builds its own index), after the attach.
    assert accounts.constraint_entries == [pg_copy.Attach(unique[601][1]), exclusion]
    assert accounts.methods[exclusion] == "gist" and accounts.methods[TOC[0]] == "btree"
    pipeline = RecordingPipeline([accounts], jobs=2)
    pipeline.run()
    builds = [e for e in pipeline.log if e[0] == "build"]
    # Both indexes (one of them the future primary key) before the constraints task.
    assert builds[-1] == ("build", "accounts", (pg_copy.Attach(unique[601][1]), exclusion))
    assert {b[2] for b in builds[:2]} == {(TOC[0],), (build,)}


def test_a_failed_index_build_stops_the_pipeline_and_names_the_table():
    pipeline = RecordingPipeline(list(scheduled_tables()), jobs=2, fail_on=TOC[2])
    with pytest.raises(RuntimeError, match="index of public.documents: boom"):
        pipeline.run()
