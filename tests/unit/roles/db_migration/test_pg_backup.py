"""The stream backup (roles/db_migration/files/pg_backup.py) without servers: files, checksums, the restore script.

The checksums are checked with coreutils' sha256sum, not with the module's own hashing; that the backup restores
a database row for row is tested against real servers in tests/integration/migration/test_migration.py."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "roles" / "db_migration" / "files"))
pytest.importorskip("psycopg")
import pg_backup  # noqa: E402  (the engine ships as plain files next to each other)
import pg_copy  # noqa: E402


def table(oid, name, columns=("id", "body"), schema="public"):
    return pg_copy.Table(oid, schema, name, 1, list(columns), True)


def write(backup, tbl, chunks):
    kept = backup.table(tbl)
    for chunk in chunks:
        kept.write(chunk)
    return kept


def sha256sum_check(backup_dir: Path, result: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["sha256sum", "-c", Path(result["checksum_file"]).name], cwd=backup_dir,
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize("compress", [0, 6])
def test_tables_written_as_they_pass_are_checksummed_and_listed(tmp_path, compress):
    schema = tmp_path / "schema.dump"
    schema.write_bytes(b"PGDMP schema archive")
    backup = pg_backup.StreamBackup(tmp_path / "backups", "lifeworld", compress)
    rows = [b"PGCOPY\n\xff\r\n\x00" + bytes(range(256)) * 50, b"\x00\x01" * 70000]
    write(backup, table(1, "big"), rows).close()
    write(backup, table(2, "small"), [b"x"]).close()
    result = backup.finish(schema, "00000003-0000001B-1")

    archive = Path(result["path"])
    assert archive.name.startswith("lifeworld-") and archive.name.endswith(".backup")
    assert not list((tmp_path / "backups").glob("*.partial"))
    assert (tmp_path / "backups" / "LATEST").read_text().strip() == archive.name
    check = sha256sum_check(tmp_path / "backups", result)
    assert check.returncode == 0, check.stdout + check.stderr
    checked = {line.split(": ")[0] for line in check.stdout.splitlines() if line.endswith(": OK")}
    assert {f"{archive.name}/{name}" for name in ("schema.dump", "data.sql", "restore.sh", "manifest.json")} <= checked
    manifest = json.loads((archive / "manifest.json").read_text())
    assert [(t["name"], t["columns"]) for t in manifest["tables"]] == [("big", ["id", "body"]), ("small", ["id", "body"])]
    assert manifest["snapshot"] == "00000003-0000001B-1"
    big = (archive / manifest["tables"][0]["file"]).read_bytes()
    assert (gzip.decompress(big) if compress else big) == b"".join(rows)
    assert (archive / "schema.dump").read_bytes() == b"PGDMP schema archive"


def test_a_damaged_file_fails_the_checksum(tmp_path):
    schema = tmp_path / "schema.dump"
    schema.write_bytes(b"PGDMP")
    backup = pg_backup.StreamBackup(tmp_path, "db", 0)
    write(backup, table(1, "t"), [b"rows of t"]).close()
    result = backup.finish(schema, "1-1-1")
    data = next((Path(result["path"]) / "data").iterdir())
    data.write_bytes(b"rows of T")
    check = sha256sum_check(tmp_path, result)
    assert check.returncode != 0 and "FAILED" in check.stdout


def test_a_table_whose_copy_failed_leaves_no_file_and_no_entry(tmp_path):
    schema = tmp_path / "schema.dump"
    schema.write_bytes(b"PGDMP")
    backup = pg_backup.StreamBackup(tmp_path, "db", 0)
    write(backup, table(1, "failed"), [b"half"]).discard()
    write(backup, table(2, "done"), [b"rows"]).close()
    result = backup.finish(schema, "1-1-1")
    manifest = json.loads((Path(result["path"]) / "manifest.json").read_text())
    assert [t["name"] for t in manifest["tables"]] == ["done"]
    assert len(list((Path(result["path"]) / "data").iterdir())) == 1


def test_an_abandoned_backup_leaves_nothing_and_a_killed_one_is_cleared_by_the_next(tmp_path):
    backup = pg_backup.StreamBackup(tmp_path, "db", 0)
    write(backup, table(1, "t"), [b"rows"]).close()
    backup.abandon()
    assert list(tmp_path.iterdir()) == []
    killed = tmp_path / "db-20260101T000000Z.backup.partial"
    (killed / "data").mkdir(parents=True)
    (killed / "data" / "0001.copy").write_bytes(b"cut short")
    pg_backup.StreamBackup(tmp_path, "db", 0)
    assert not killed.exists()
    assert len(list(tmp_path.glob("*.partial"))) == 1  # the new one's own


def test_data_script_quotes_every_name_and_keeps_the_column_list():
    script = pg_backup.data_script([
        {"schema": "My Schema", "name": 'Order "Lines"', "columns": ["select", 'Quote"d'], "file": "data/0001.copy"},
        {"schema": "public", "name": "order", "columns": [], "file": "data/0002.copy.gz"},
    ])
    lines = script.splitlines()
    assert "SET row_security = off;" in lines
    assert ('\\copy "My Schema"."Order ""Lines""" ("select", "Quote""d") FROM \'data/0001.copy\' '
            'WITH (FORMAT binary)') in lines
    assert '\\copy "public"."order" FROM PROGRAM \'gzip -dc data/0002.copy.gz\' WITH (FORMAT binary)' in lines
