"""PostgreSQL half of the local stack: a seeded "current production" source and an RDS-like target.

Usage (from the repository root):
    python -m scripts.local_stack.postgres up|down|env [--state-dir DIR]

Both clusters are PostgreSQL 15+ servers run as the ``postgres`` OS user (the server refuses root) on private
ports and socket directories inside the state directory.  The target's login mimics RDS: it has CREATEDB and
CREATEROLE and is a member of ``rds_superuser``, but it is not a superuser, so migration bugs that only show on
RDS show here too.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STATE_DIR = Path(__file__).resolve().parents[2] / ".local-stack"
PG_OS_USER = "postgres"
PG_LIB = Path("/usr/lib/postgresql")
SEED_SQL = Path(__file__).with_name("seed_source.sql")
DATABASE = "lifeworld"
# Contrib extensions the application uses; PG 13+ marks them trusted, so a database owner may create them.
TARGET_EXTENSIONS = ("pgcrypto", "citext", "pg_trgm", "btree_gist")
INSTALL_HINT = "install the server with: apt-get update && apt-get install -y postgresql postgresql-contrib"


class StackError(RuntimeError):
    """A problem the operator must fix; the message says how."""


@dataclass(frozen=True)
class Cluster:
    name: str  # "source" or "target"
    port: int
    state_dir: Path

    @property
    def data_dir(self) -> Path:
        return self.state_dir / f"pg-{self.name}"

    @property
    def run_dir(self) -> Path:
        # Socket and log live outside the data dir so initdb can demand an empty one.
        return self.state_dir / f"pg-{self.name}-run"

    @property
    def log_file(self) -> Path:
        return self.run_dir / "server.log"

    @property
    def marker(self) -> Path:
        # Written only by up(): down() stops nothing that lacks it.
        return self.state_dir / f"pg-{self.name}.started-by-local-stack"


def clusters(state_dir: Path) -> dict[str, Cluster]:
    return {
        "source": Cluster("source", int(os.environ.get("LWO_PG_SOURCE_PORT", "55432")), state_dir),
        "target": Cluster("target", int(os.environ.get("LWO_PG_TARGET_PORT", "55433")), state_dir),
    }


def pg_bin_dir() -> Path:
    """Newest installed server version; /usr/local/bin wrappers are not trusted to match it."""
    versions = sorted(
        (int(p.name), p / "bin") for p in PG_LIB.glob("*") if p.name.isdigit() and (p / "bin" / "pg_ctl").exists()
    ) if PG_LIB.is_dir() else []
    if not versions:
        raise StackError(f"PostgreSQL server binaries not found under {PG_LIB}/<version>/bin; {INSTALL_HINT}")
    version, bin_dir = versions[-1]
    if version < 15:
        raise StackError(f"PostgreSQL {version} found, 15 or newer is needed; {INSTALL_HINT}")
    return bin_dir


def pg_os_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(PG_OS_USER)
    except KeyError:
        raise StackError(f"OS user {PG_OS_USER!r} is missing; {INSTALL_HINT}") from None


def as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a server tool as the postgres OS user (when we are root; otherwise as ourselves)."""
    prefix = ["runuser", "-u", PG_OS_USER, "--"] if os.geteuid() == 0 else []
    check = kwargs.pop("check", True)
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    try:
        return subprocess.run(prefix + args, check=check, **kwargs)
    except subprocess.CalledProcessError as exc:
        raise StackError(f"{' '.join(args[:2])} failed: {exc.stderr or exc.stdout}") from None


def psql(cluster: Cluster, sql: str, database: str = "postgres", file: Path | None = None,
         variables: dict[str, str] | None = None) -> str:
    args = [str(pg_bin_dir() / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
            "-h", str(cluster.run_dir), "-p", str(cluster.port), "-U", PG_OS_USER, "-d", database]
    for name, value in (variables or {}).items():
        args += ["-v", f"{name}={value}"]
    args += ["-f", str(file)] if file else ["-c", sql]
    return as_postgres(args).stdout


def ensure_traversable(state_dir: Path) -> None:
    """The postgres user must reach its data dirs through every ancestor of the state dir."""
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(state_dir.stat().st_mode | 0o711)
    for parent in state_dir.resolve().parents:
        if not parent.stat().st_mode & 0o001:
            raise StackError(
                f"{parent} is not traversable by the {PG_OS_USER} user; choose another --state-dir "
                f"or run: chmod o+x {parent}"
            )


def passwords(state_dir: Path) -> dict[str, str]:
    """Generated once, kept 0600 in the state dir: a rerun of up() must not change them."""
    path = state_dir / "pg-passwords.json"
    if path.exists():
        return json.loads(path.read_text())
    generated = {name: secrets.token_urlsafe(18) for name in ("lifeworld_app", "lwo_source_admin", "lwo_master")}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(generated, handle)
    return generated


def is_running(cluster: Cluster) -> bool:
    if not (cluster.data_dir / "PG_VERSION").exists():
        return False
    result = as_postgres([str(pg_bin_dir() / "pg_ctl"), "status", "-D", str(cluster.data_dir)], check=False)
    return result.returncode == 0


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def init_cluster(cluster: Cluster) -> bool:
    """initdb once; returns True when the cluster is new and still needs its roles and data."""
    user = pg_os_user()
    for directory in (cluster.data_dir, cluster.run_dir):
        directory.mkdir(exist_ok=True)
        os.chown(directory, user.pw_uid, user.pw_gid)
    cluster.data_dir.chmod(0o700)
    if (cluster.data_dir / "PG_VERSION").exists():
        return False
    as_postgres([str(pg_bin_dir() / "initdb"), "-D", str(cluster.data_dir), "-U", PG_OS_USER, "-E", "UTF8",
                 "--locale=C.UTF-8", "--auth-local=peer", "--auth-host=scram-sha-256"])
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{cluster.run_dir}'",
        "password_encryption": "'scram-sha-256'",
        # A throwaway dev stack: durability off keeps seeding and benchmarks quick.
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_wal_size": "'4GB'",
        "maintenance_work_mem": "'256MB'",
        "max_connections": "100",
    }
    with (cluster.data_dir / "postgresql.conf").open("a") as conf:
        conf.write("\n# local-stack\n" + "".join(f"{key} = {value}\n" for key, value in settings.items()))
    (cluster.data_dir / "pg_hba.conf").write_text(
        f"local all {PG_OS_USER} peer\nlocal all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n"
    )
    return True


# The source ("current production") runs with logical decoding on, as the online migration strategy needs
# (roles/db_migration: a replication slot and a walsender for it); on the command line so existing clusters get it.
SOURCE_OPTIONS = "-c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10"


def start(cluster: Cluster) -> None:
    # The port is set on the command line so a changed LWO_PG_*_PORT takes effect without a new initdb.
    options = f"-p {cluster.port}" + (f" {SOURCE_OPTIONS}" if cluster.name == "source" else "")
    as_postgres([str(pg_bin_dir() / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(cluster.data_dir),
                 "-l", str(cluster.log_file), "-o", options])
    cluster.marker.write_text(json.dumps({"port": cluster.port, "data_dir": str(cluster.data_dir)}))


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def seed_sizes() -> dict[str, str]:
    """Rows of the sample (20k users, 60k goals, 300k events); LWO_PG_SEED_SCALE shrinks it for quick tests."""
    scale = float(os.environ.get("LWO_PG_SEED_SCALE", "1"))
    return {name: str(max(1, int(rows * scale))) for name, rows in
            (("users", 20000), ("goals", 60000), ("events", 300000))}


def provision_source(cluster: Cluster, pw: dict[str, str]) -> None:
    psql(cluster, f"CREATE ROLE lifeworld_app LOGIN PASSWORD {sql_literal(pw['lifeworld_app'])}")
    psql(cluster, f"CREATE ROLE lwo_source_admin LOGIN SUPERUSER PASSWORD {sql_literal(pw['lwo_source_admin'])}")
    psql(cluster, f"CREATE DATABASE {DATABASE} OWNER lifeworld_app")
    psql(cluster, "", database=DATABASE, file=SEED_SQL, variables=seed_sizes())


def provision_target(cluster: Cluster, pw: dict[str, str]) -> None:
    statements = [
        "CREATE ROLE rds_superuser NOLOGIN",
        # The predefined roles RDS hands to rds_superuser that exist in community PostgreSQL 15.
        "GRANT pg_signal_backend, pg_monitor, pg_checkpoint TO rds_superuser WITH ADMIN OPTION",
        f"CREATE ROLE lwo_master LOGIN CREATEDB CREATEROLE PASSWORD {sql_literal(pw['lwo_master'])}",
        "GRANT rds_superuser TO lwo_master",
        f"CREATE DATABASE {DATABASE} OWNER lwo_master",
    ]
    for statement in statements:
        psql(cluster, statement)


def check_target_extensions(cluster: Cluster, pw: dict[str, str]) -> None:
    """Prove, as the non-superuser master, that the contrib extensions the app needs are creatable."""
    body = "; ".join(f"CREATE EXTENSION {name}" for name in TARGET_EXTENSIONS)
    env = dict(os.environ, PGPASSWORD=pw["lwo_master"])
    result = subprocess.run(
        [str(pg_bin_dir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
         str(cluster.port), "-U", "lwo_master", "-d", DATABASE, "-c", f"BEGIN; {body}; ROLLBACK"],
        env=env, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise StackError(
            f"lwo_master cannot create {', '.join(TARGET_EXTENSIONS)} on the target: {result.stderr.strip()}; "
            "apt-get install -y postgresql-contrib"
        )


def up(state_dir: Path | str = DEFAULT_STATE_DIR) -> None:
    state_dir = Path(state_dir)
    pg_bin_dir()
    pg_os_user()
    ensure_traversable(state_dir)
    pw = passwords(state_dir)
    for cluster in clusters(state_dir).values():
        if is_running(cluster):
            print(f"postgres {cluster.name}: already running on 127.0.0.1:{cluster.port}")
            continue
        if not port_is_free(cluster.port):
            env_name = f"LWO_PG_{cluster.name.upper()}_PORT"
            raise StackError(
                f"port {cluster.port} for the {cluster.name} PostgreSQL server is taken by another process; "
                f"stop it or pick a free port with {env_name}=<port>"
            )
        fresh = init_cluster(cluster)
        start(cluster)
        if fresh:
            started = time.monotonic()
            (provision_source if cluster.name == "source" else provision_target)(cluster, pw)
            print(f"postgres {cluster.name}: provisioned in {time.monotonic() - started:.1f}s")
        if cluster.name == "target":
            check_target_extensions(cluster, pw)
        print(f"postgres {cluster.name}: running on 127.0.0.1:{cluster.port} (data {cluster.data_dir})")


def down(state_dir: Path | str = DEFAULT_STATE_DIR) -> None:
    state_dir = Path(state_dir)
    for cluster in clusters(state_dir).values():
        if not cluster.marker.exists():
            print(f"postgres {cluster.name}: not started by local-stack, left alone")
            continue
        if is_running(cluster):
            as_postgres([str(pg_bin_dir() / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(cluster.data_dir)])
            print(f"postgres {cluster.name}: stopped")
        else:
            print(f"postgres {cluster.name}: was not running")
        cluster.marker.unlink()


def env_exports(state_dir: Path | str = DEFAULT_STATE_DIR) -> dict[str, str]:
    state_dir = Path(state_dir)
    pw_file = state_dir / "pg-passwords.json"
    if not pw_file.exists():
        raise StackError(f"no PostgreSQL passwords in {state_dir}; run 'up' first")
    pw = json.loads(pw_file.read_text())
    found = clusters(state_dir)
    exports = {}
    for name, user in (("source", "lwo_source_admin"), ("target", "lwo_master")):
        prefix = f"LWO_PG_{name.upper()}_"
        exports.update({
            prefix + "HOST": "127.0.0.1",
            prefix + "PORT": str(found[name].port),
            prefix + "USER": user,
            prefix + "PASSWORD": pw[user],
            prefix + "DATABASE": DATABASE,
        })
    exports["LWO_PG_SOURCE_APP_USER"] = "lifeworld_app"
    exports["LWO_PG_SOURCE_APP_PASSWORD"] = pw["lifeworld_app"]
    return exports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.local_stack.postgres", description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("action", choices=("up", "down", "env"))
    parser.add_argument("--state-dir", type=Path, default=Path(os.environ.get("LWO_STATE_DIR", DEFAULT_STATE_DIR)))
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            up(args.state_dir)
        elif args.action == "down":
            down(args.state_dir)
        else:
            for key, value in env_exports(args.state_dir).items():
                print(f"export {key}={shlex.quote(value)}")
    except StackError as exc:
        print(f"local-stack postgres: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
