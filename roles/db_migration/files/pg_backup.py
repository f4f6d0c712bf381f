"""The backup written from the copy's own stream (db_migration_dump_format: stream, the default).

A pg_dump beside the copy reads every row of the source a second time: on the benchmark that second read cost
about 3 CPU seconds in the source server and as much in pg_dump, on the same cores the copy needs, and made the
whole migration 2.5-3 s slower. Here the rows the copy relays to the target are also written to one file per
table, with their sha256 computed as they pass, so the source is read once. The rest of the database (schema,
sequence values, large objects, extension configuration data) is the copy's own schema archive, taken by pg_dump
in the same snapshot, so the backup holds exactly what was copied.

The backup is a directory restorable with the standard client tools alone (no engine needed):

    <database>-<stamp>.backup/
        schema.dump      pg_dump -Fc of everything but the streamed tables' rows
        data/NNNN.copy   one table's rows in COPY binary format (.copy.gz when compressed)
        data.sql         the psql \\copy commands that load them
        restore.sh       checks the sha256 file, then pg_restore pre-data, data.sql, pg_restore data and post-data
        manifest.json    tables, columns, files, sizes and checksums
    <database>-<stamp>.backup.sha256   sha256sum -c format, every file above
"""

from __future__ import annotations

import datetime
import glob
import gzip
import hashlib
import json
import os
import shutil
import threading
from pathlib import Path

from psycopg import sql

RESTORE_SCRIPT = """#!/bin/sh
# Restores this backup into an existing, empty database, as pg_restore would: run it as a superuser (the objects
# get their original owners, which must exist as roles). Connection: the usual PG* variables (PGHOST, PGPORT,
# PGUSER, PGPASSWORD or ~/.pgpass).   usage: ./restore.sh <database> [jobs]
set -eu
db="${1:?usage: restore.sh <database> [jobs]}"
jobs="${2:-2}"
cd "$(dirname "$0")"
name="$(basename "$PWD")"
(cd .. && sha256sum --quiet -c "$name.sha256")
pg_restore --section=pre-data --exit-on-error -d "$db" schema.dump
psql -X -q -v ON_ERROR_STOP=1 -1 -d "$db" -f data.sql
pg_restore --section=data --exit-on-error -d "$db" schema.dump
pg_restore --section=post-data -j "$jobs" --exit-on-error -d "$db" schema.dump
echo "restored $(basename "$PWD") into $db"
"""


class HashingFile:
    """A file whose sha256 is computed from the bytes as they are written (gzip writes through it too)."""

    def __init__(self, path: Path):
        self.handle = path.open("wb")
        self.digest = hashlib.sha256()
        self.bytes = 0

    def write(self, data) -> int:
        self.digest.update(data)
        self.bytes += len(data)
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


class TableFile:
    """One table's rows as the copy relays them; close() once its COPY committed records it in the backup."""

    def __init__(self, backup: "StreamBackup", table, number: int):
        self.backup, self.table = backup, table
        self.name = f"data/{number:04d}.copy" + (".gz" if backup.compress else "")
        self.raw = HashingFile(backup.partial / self.name)
        self.out = gzip.GzipFile(fileobj=self.raw, mode="wb", compresslevel=backup.compress,
                                 mtime=0) if backup.compress else self.raw

    def write(self, chunk) -> None:
        self.out.write(chunk)

    def close(self) -> None:
        if self.out is not self.raw:
            self.out.close()
        self.raw.close()
        self.backup.add(self.table, self.name, self.raw.bytes, self.raw.digest.hexdigest())

    def discard(self) -> None:
        self.raw.close()
        (self.backup.partial / self.name).unlink(missing_ok=True)


class StreamBackup:
    """Collects the table files during the copy; finish() adds the schema archive and makes the backup whole.

    Until finish() the directory is named *.partial, so a backup cut short is never taken for a complete one."""

    def __init__(self, backup_dir: Path, database: str, compress: int):
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.backup_dir, self.database, self.compress = backup_dir, database, compress
        self.archive = backup_dir / f"{database}-{stamp}.backup"
        self.partial = self.archive.with_name(self.archive.name + ".partial")
        # What a killed run left behind is never completed (the rerun copies again): it only fills the disk.
        for stale in backup_dir.glob(f"{glob.escape(database)}-*.backup.partial"):
            shutil.rmtree(stale, ignore_errors=True)
        (self.partial / "data").mkdir(parents=True, mode=0o700)
        self.numbers = iter(range(1, 1 << 30))
        self.tables: list[dict] = []
        self.lock = threading.Lock()

    def table(self, table) -> TableFile:
        with self.lock:
            number = next(self.numbers)
        return TableFile(self, table, number)

    def add(self, table, name: str, size: int, digest: str) -> None:
        with self.lock:
            self.tables.append({"schema": table.schema, "name": table.name, "columns": list(table.columns),
                                "file": name, "bytes": size, "sha256": digest})

    def finish(self, schema_archive: Path, snapshot: str) -> dict:
        """Schema archive, data.sql, restore.sh, manifest and the sha256 file; then the final name and LATEST."""
        schema = self.partial / "schema.dump"
        try:
            os.link(schema_archive, schema)  # the work directory is usually on the same file system
        except OSError:
            shutil.copyfile(schema_archive, schema)
        tables = sorted(self.tables, key=lambda t: t["file"])
        (self.partial / "data.sql").write_text(data_script(tables))
        (self.partial / "restore.sh").write_text(RESTORE_SCRIPT)
        (self.partial / "restore.sh").chmod(0o700)
        (self.partial / "manifest.json").write_text(json.dumps(
            {"format": "lifeworld-stream-backup/1", "database": self.database, "snapshot": snapshot,
             "written_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "tables": tables}, indent=1) + "\n")
        known = {t["file"]: t["sha256"] for t in tables}
        lines = []
        for path in sorted(p for p in self.partial.rglob("*") if p.is_file()):
            relative = path.relative_to(self.partial).as_posix()
            lines.append(f"{known.get(relative) or sha256_of(path)}  {self.archive.name}/{relative}")
        self.partial.rename(self.archive)
        checksum = self.archive.with_name(self.archive.name + ".sha256")
        checksum.write_text("\n".join(lines) + "\n")
        (self.backup_dir / "LATEST").write_text(self.archive.name + "\n")
        size = sum(p.stat().st_size for p in self.archive.rglob("*") if p.is_file())
        return {"path": str(self.archive), "checksum_file": str(checksum), "bytes": size,
                "tables": len(tables), "restore": str(self.archive / "restore.sh")}

    def abandon(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)


def data_script(tables: list[dict]) -> str:
    """psql \\copy of each table file, with the copy's own column list (generated columns are not in the data)."""
    lines = ["-- Loads the streamed tables' rows; restore.sh runs it between pg_restore's pre-data and data sections.",
             "SET row_security = off;"]
    for entry in tables:
        columns = (" ({})".format(", ".join(sql.Identifier(c).as_string(None) for c in entry["columns"]))
                   if entry["columns"] else "")
        source = (f"PROGRAM 'gzip -dc {entry['file']}'" if entry["file"].endswith(".gz") else f"'{entry['file']}'")
        lines.append(f"\\copy {sql.Identifier(entry['schema'], entry['name']).as_string(None)}{columns} "
                     f"FROM {source} WITH (FORMAT binary)")
    return "\n".join(lines) + "\n"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
