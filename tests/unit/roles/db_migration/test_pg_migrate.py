"""Pure helpers of the db_migration engine (roles/db_migration/files/pg_*.py), without servers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

pytest.importorskip("psycopg")
sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "roles" / "db_migration" / "files"))
# The command-line module must import beside the parts it was split into.
import pg_migrate  # noqa: E402,F401  pylint: disable=unused-import
import pg_roles  # noqa: E402
import pg_session  # noqa: E402
import pg_transfer  # noqa: E402
import pg_verify  # noqa: E402


def test_rewrite_gives_superuser_objects_to_the_master_and_keeps_other_owners():
    dump = "\n".join([
        "SET SESSION AUTHORIZATION 'postgres';",
        "ALTER TABLE audit.log OWNER TO postgres;",
        "ALTER TABLE planner.habits OWNER TO app_owner;",
        "GRANT SELECT ON TABLE audit.log TO postgres_reader;",
        "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA audit GRANT SELECT ON TABLES TO reporting;",
        "SET SESSION AUTHORIZATION app_owner;",
        "RESET SESSION AUTHORIZATION;",
        "COMMENT ON TABLE audit.log IS 'OWNER TO postgres stays in text';",
    ])
    out = pg_transfer.rewrite_for_master(dump, ["postgres"], "lwo_master").splitlines()
    assert out[0] == "SET ROLE lwo_master;"
    assert out[1] == "ALTER TABLE audit.log OWNER TO lwo_master;"
    assert out[2] == "ALTER TABLE planner.habits OWNER TO app_owner;"
    assert out[3] == "GRANT SELECT ON TABLE audit.log TO postgres_reader;"  # a longer name is another role
    assert out[4].startswith("ALTER DEFAULT PRIVILEGES FOR ROLE lwo_master ")
    assert out[5] == "SET ROLE app_owner;"
    assert out[6] == "RESET ROLE;"
    assert out[7].endswith("'OWNER TO postgres stays in text';")


@pytest.mark.parametrize("name, quoted", [("plain_name", "plain_name"), ("Mixed Case", '"Mixed Case"'),
                                          ('has"quote', '"has""quote"'), ("1st", '"1st"')])
def test_ident_quotes_like_pg_dump(name, quoted):
    assert pg_session.ident(name) == quoted


def test_list_settings_are_split_back_into_elements():
    value = pg_roles.setting_value("search_path", 'planner, "Odd ""Schema""", public')
    assert value.as_string(None) == "'planner', 'Odd \"Schema\"', 'public'"
    assert pg_roles.setting_value("work_mem", "16MB").as_string(None) == "'16MB'"


def test_normalise_maps_whole_role_names_only():
    text = "owner=postgres acl={postgres=arwdDxt/postgres,postgres_ro=r/postgres}"
    assert pg_verify.normalise(text, {"postgres": "lwo_master"}) == (
        "owner=lwo_master acl={lwo_master=arwdDxt/lwo_master,postgres_ro=r/lwo_master}")


def test_version_tuple_reads_server_and_client_versions():
    assert pg_session.version_tuple("15.18 (Debian 15.18-1.pgdg120+1)") == (15, 18)
    assert pg_session.version_tuple(" 16") == (16, 0)
    assert pg_session.version_tuple("unknown") == (0, 0)


def test_build_options_accept_sizes_only():
    assert pg_transfer.build_options(argparse.Namespace(maintenance_work_mem="512MB")) == (
        "-c maintenance_work_mem=512MB -c synchronous_commit=off")
    with pytest.raises(pg_session.StepError, match="not a size"):
        pg_transfer.build_options(argparse.Namespace(maintenance_work_mem="1GB -c fsync=off"))


def test_btree_builds_get_the_large_memory_and_other_methods_the_small_one():
    args = argparse.Namespace(maintenance_work_mem="512MB", other_maintenance_work_mem="16 MB")
    assert "maintenance_work_mem=512MB " in pg_transfer.build_options(args, "btree")
    for method in ("gin", "gist", "brin", "hash", "spgist"):
        assert "maintenance_work_mem=16MB " in pg_transfer.build_options(args, method)
    with pytest.raises(pg_session.StepError, match="not a size"):
        pg_transfer.build_options(argparse.Namespace(maintenance_work_mem="512MB",
                                                     other_maintenance_work_mem="16MB; x"), "gin")
