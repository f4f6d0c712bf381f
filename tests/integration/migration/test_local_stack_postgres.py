"""The PostgreSQL half of the local stack: idempotent up, exports, clear errors, RDS-like target login."""

from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path

import psycopg
import pytest

from scripts.local_stack import postgres

pytestmark = pytest.mark.integration

EXPORTED = [f"LWO_PG_{end}_{key}" for end in ("SOURCE", "TARGET")
            for key in ("HOST", "PORT", "USER", "PASSWORD", "DATABASE")]


def test_up_again_is_a_no_op(stack, capsys):
    postgres.up(stack.state_dir)
    out = capsys.readouterr().out
    assert out.count("already running") == 2, out


def test_env_exports_both_ends(stack, capsys):
    assert set(EXPORTED) <= set(stack.env)
    assert postgres.main(["env", "--state-dir", str(stack.state_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(line.startswith("export LWO_PG_") for line in lines)
    assert {line.split("=")[0].removeprefix("export ") for line in lines} >= set(EXPORTED)
    assert (stack.state_dir / "pg-passwords.json").stat().st_mode & 0o777 == 0o600


def test_target_login_is_rds_like(stack):
    with stack.connect("target") as conn:
        row = conn.execute("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles "
                           "WHERE rolname = current_user").fetchone()
        assert row == (False, True, True)
        assert conn.execute("SELECT pg_has_role('rds_superuser', 'MEMBER')").fetchone()[0] is True


def test_source_is_seeded(stack):
    with stack.connect("source") as conn:
        counts = conn.execute("SELECT (SELECT count(*) FROM public.users), (SELECT count(*) FROM public.goals), "
                              "(SELECT count(*) FROM public.events)").fetchone()
    assert all(count > 0 for count in counts)


def test_taken_port_is_a_clear_error(monkeypatch):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        monkeypatch.setenv("LWO_PG_SOURCE_PORT", str(holder.getsockname()[1]))
        state = Path(tempfile.mkdtemp(prefix="lwo-port-test-"))
        try:
            with pytest.raises(postgres.StackError, match="LWO_PG_SOURCE_PORT=<port>"):
                postgres.up(state)
            assert not (state / "pg-source" / "PG_VERSION").exists()
        finally:
            shutil.rmtree(state)


def test_missing_binaries_say_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(postgres, "PG_LIB", tmp_path / "no-postgresql")
    with pytest.raises(postgres.StackError, match="apt-get install -y postgresql"):
        postgres.up(tmp_path / "state")
    assert postgres.main(["up", "--state-dir", str(tmp_path / "state")]) == 1


def test_down_leaves_unknown_clusters_alone(tmp_path, capsys):
    postgres.down(tmp_path)
    assert capsys.readouterr().out.count("not started by local-stack") == 2


def test_password_auth_is_required_on_tcp(stack):
    with pytest.raises(psycopg.OperationalError):
        stack.connect("target", password="wrong")
