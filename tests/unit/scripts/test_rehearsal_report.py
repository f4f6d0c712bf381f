# -*- coding: utf-8 -*-
"""The rehearsal report of `make demo` when a run fails: the failed step says FAILED with its exit status, every
later step is named as not run because of it (never left out), and the sections the failure kept from running say so."""

import datetime
from pathlib import Path

from scripts.local_stack import rehearsal, rehearsal_report

PLAN_STEPS = ["Backup Current Production", "Create AWS Infrastructure", "Migrate Database", "Deploy Services",
              "Verify Deployment", "Update DNS", "Monitor and Validate"]


def test_a_failed_site_build_names_every_step_and_what_it_kept_from_running(tmp_path):
    runs = rehearsal.plan(tmp_path, tmp_path / "rehearsal", "migrate")
    runs[0].rc, runs[0].seconds, runs[0].started = 2, 31.0, "2026-12-05T12:00:00Z"   # site.yml failed
    report = rehearsal_report.render(runs, state=tmp_path, out=tmp_path / "rehearsal", migration_mode="migrate",
                                     began=datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.timezone.utc))
    rows = [line.strip("|").split(" | ") for line in report.split("## Migration Process", 1)[1].split("\n## ", 1)[0]
            .splitlines() if line.startswith("| ") and not line.startswith("| # ")]
    assert [row[1].strip() for row in rows] == PLAN_STEPS
    results = {row[1].strip(): row[4].strip() for row in rows}
    assert results["Create AWS Infrastructure"] == "FAILED (exit 2)"
    for step in ("Backup Current Production", "Migrate Database", "Deploy Services", "Verify Deployment",
                 "Update DNS", "Monitor and Validate"):
        assert results[step] == "not run (an earlier step failed)", (step, results[step])
    assert "Result: **FAILED at Create AWS Infrastructure: site.yml**" in report
    assert "Not recorded (" in report.split("## Pre-Migration Checklist", 1)[1]
    assert "## DR drill\n\nNot run: an earlier step failed." in report
    assert str(Path(runs[0].log)) in report


def test_the_backup_line_gives_the_size_of_a_stream_backup_directory(tmp_path):
    backups = tmp_path / "migration" / "backups"
    archive = backups / "lifeworld-20261206T050000Z.backup"
    (archive / "data").mkdir(parents=True)
    (archive / "data" / "0001.copy").write_bytes(b"r" * 3 * 2**20)
    (archive / "schema.dump").write_bytes(b"s" * 2**19)
    (backups / "LATEST").write_text(archive.name + "\n")
    assert "(3.5 MiB, checksum beside it)" in rehearsal_report._backup(tmp_path)  # pylint: disable=protected-access
