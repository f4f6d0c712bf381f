"""Fixtures for the migration tests: a private pair of local-stack PostgreSQL servers, started once per session.

The servers live in their own state directory on free ports, so a running developer stack is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from ..harness import private_postgres

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # scripts.local_stack is imported from the checkout
DATASET = Path(__file__).with_name("rich_dataset.sql")
PLAYBOOK = ROOT / "playbooks" / "migrate_database.yml"
ANSIBLE_PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"


@dataclass
class Stack:
    state_dir: Path
    env: dict
    runs: int = field(default=0)

    def connect(self, end: str, database: str | None = None, user: str | None = None,
                password: str | None = None) -> psycopg.Connection:
        prefix = f"LWO_PG_{end.upper()}_"
        return psycopg.connect(host=self.env[prefix + "HOST"], port=int(self.env[prefix + "PORT"]),
                               user=user or self.env[prefix + "USER"],
                               password=password or self.env[prefix + "PASSWORD"],
                               dbname=database or self.env[prefix + "DATABASE"], autocommit=True)

    def playbook_command(self, work: Path, *extra: str) -> list[str]:
        return [str(ANSIBLE_PLAYBOOK), "-i", str(ROOT / "inventories" / "local"), str(PLAYBOOK), "--tags", "migrate",
                "-e", f"db_migration_work_dir={work}/work", "-e", f"db_migration_backup_dir={work}/backups",
                "-e", f"db_migration_report_dir={work}/report", *extra]

    def playbook_env(self) -> dict:
        return dict(os.environ, **self.env, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                    ANSIBLE_FORCE_COLOR="0", ANSIBLE_CALLBACK_RESULT_FORMAT="json", LWO_STATE_DIR=str(self.state_dir))

    def run_playbook(self, work: Path, *extra: str, env: dict | None = None, timeout: int = 300):
        return subprocess.run(self.playbook_command(work, *extra), env=env or self.playbook_env(), cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def reset_target(self) -> None:
        """An empty target database, as RDS hands it over."""
        with self.connect("target", database="postgres") as conn:
            conn.execute("DROP DATABASE IF EXISTS lifeworld WITH (FORCE)")
            conn.execute("CREATE DATABASE lifeworld")


# Every table's rows and every large object of a database, as text the test computes itself (not the engine's).
CONTENT_QUERIES = {
    "tables": """SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                 AND n.nspname !~ '^pg_' ORDER BY 1""",
    "large_objects": "SELECT oid::text || ' ' || md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY 1",
}


def database_content(conn) -> dict:
    tables = [r[0] for r in conn.execute(CONTENT_QUERIES["tables"]).fetchall()]
    content = {t: conn.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                               f"FROM ONLY {t} AS t").fetchone() for t in tables}
    content["large objects"] = [r[0] for r in conn.execute(CONTENT_QUERIES["large_objects"]).fetchall()]
    return content


@pytest.fixture(scope="session")
def stack():
    from scripts.local_stack import postgres

    # A tenth of the local-stack sample keeps the module quick; the rich dataset carries the variety.
    with private_postgres("lwo-migration-test-") as state_dir:
        stack = Stack(state_dir, postgres.env_exports(state_dir))
        with stack.connect("source") as conn:
            conn.execute(DATASET.read_text().replace("\\set ON_ERROR_STOP on\n", ""))
        yield stack


@pytest.fixture(scope="session")
def migrated(stack, tmp_path_factory):
    """One complete cutover-style migration (write freeze on) of the rich dataset."""
    stack.reset_target()
    work = tmp_path_factory.mktemp("migration")
    result = stack.run_playbook(work, "-e", "db_migration_write_freeze=true")
    report = work / "report" / "verification.json"
    with stack.connect("source") as conn:  # still frozen: the state the copy and the backup were taken of
        source_content = database_content(conn)
    return {"result": result, "work": work, "source_content": source_content,
            "report": json.loads(report.read_text()) if report.exists() else None}
