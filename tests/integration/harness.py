# -*- coding: utf-8 -*-
"""Real ansible-playbook runs against a private moto server: the shared machinery of the integration tests.

Each pytest session starts its own emulator (free port, private state dir) through scripts/local-stack, so
tests never touch a developer's running stack and parallel sessions never collide.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import boto3
import yaml

REPO = Path(__file__).resolve().parents[2]
LOCAL_STACK = REPO / "scripts" / "local-stack"
# The xdist group (pytest.ini: --dist loadgroup) of the modules that share conftest's one site build: they run on
# one worker, one after another, so the whole site is built once instead of once per module. Such a module says
# pytestmark = pytest.mark.xdist_group(SITE_GROUP) and asks the `site` fixture for site.build().
SITE_GROUP = "site"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class PlaybookRun:
    args: list
    rc: int
    stdout: str
    stderr: str

    @property
    def recap(self) -> dict:
        match = RECAP.search(self.stdout)
        assert match, "no PLAY RECAP in output:\n%s\n%s" % (self.stdout[-3000:], self.stderr[-2000:])
        return {"ok": int(match[2]), "changed": int(match[3]), "unreachable": int(match[4]), "failed": int(match[5])}

    @property
    def changed(self) -> int:
        return self.recap["changed"]

    def changed_tasks(self) -> list:
        """Names of the tasks that reported a change, for messages that say what did not converge."""
        tasks, current = [], None
        for line in self.stdout.splitlines():
            if line.startswith("TASK ["):
                current = line[6:].split("]")[0]
            elif line.startswith("changed:") and current:
                tasks.append(current)
        return sorted(set(tasks))

    def tail(self, n: int = 4000) -> str:
        return (self.stdout[-n:] + "\n--- stderr ---\n" + self.stderr[-1500:]).strip()


class Emulator:
    """A moto server of our own, started and stopped through scripts/local-stack."""

    def __init__(self, state_dir: Path):
        self.port = free_port()
        self.state_dir = state_dir
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self._stack_env = dict(os.environ, LWO_STATE_DIR=str(state_dir), LWO_MOTO_PORT=str(self.port), LWO_PYTHON=sys.executable)
        # Bumped by every reset, so a build shared between test modules (conftest's `site`) knows it is gone.
        self.generation = 0

    def up(self):
        subprocess.run([str(LOCAL_STACK), "up", "aws"], env=self._stack_env, check=True, capture_output=True)

    def down(self):
        subprocess.run([str(LOCAL_STACK), "down", "aws"], env=self._stack_env, check=False, capture_output=True)

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST"), timeout=30)
        self.generation += 1

    @property
    def aws_env(self) -> dict:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }

    def client(self, service: str, region: str = "us-east-1"):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def playbook_command(
    emulator: Emulator,
    playbook: str = "site.yml",
    *,
    inventory: str = "inventories/local",
    tags: str | None = None,
    check: bool = False,
    diff: bool = False,
    extra_vars: dict | None = None,
    extra_args: tuple = (),
    env: dict | None = None,
) -> tuple[list[str], dict]:
    """The ansible-playbook command line and environment of a run against the emulator (run from REPO)."""
    args = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, playbook]
    if tags:
        args += ["--tags", tags]
    if check:
        args.append("--check")
    if diff:
        args.append("--diff")
    if extra_vars:
        args += ["-e", json.dumps(extra_vars)]
    args += list(extra_args)
    run_env = dict(os.environ)
    run_env.pop("AWS_PROFILE", None)
    run_env.update(emulator.aws_env)
    run_env.update({"ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_DEPRECATION_WARNINGS": "0",
                    "ANSIBLE_DISPLAY_TRACEBACK": "error", "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")})
    run_env.update(env or {})
    return args, run_env


def run_playbook(emulator: Emulator, playbook: str = "site.yml", *, timeout: int = 2400, **options) -> PlaybookRun:
    """Run ansible-playbook from the repository root, the way an operator does, against the emulator (options: those
    of playbook_command)."""
    args, run_env = playbook_command(emulator, playbook, **options)
    proc = subprocess.run(args, cwd=REPO, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)
    return PlaybookRun(args=args, rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)


RUNNER = Path(sys.executable).parent / "ansible-runner"
# What AWX's project checkout would not hold.
NOT_PROJECT = (".venv", ".venv-tools", ".git", ".local-stack", ".pytest_cache", "artifacts", "__pycache__", "tests")


@dataclasses.dataclass
class RunnerJob:
    """A playbook run through ansible-runner, the engine AWX runs jobs with."""

    run: PlaybookRun
    project: Path
    artifacts: Path

    @property
    def events(self) -> list:
        files = sorted((self.artifacts / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-")[0]))
        return [json.loads(p.read_text()) for p in files]


def run_through_runner(emulator: Emulator, private: Path, playbook: str = "site.yml", *, ident: str = "job",
                       cmdline: str = "", timeout: int = 2700, ee=None) -> RunnerJob:
    """Run a playbook as an AWX job does: a private data directory holding a copy of the project (as AWX checks it
    out), the AWS settings injected as env/envvars (as an AWX AWS credential does); events read back from the
    artifacts. ee: an ee.ExecutionEnvironment to run in (its ansible-runner, programs and collections only)."""
    runner = ee.runner if ee else RUNNER
    assert runner.exists(), "ansible-runner is missing: pip install -r requirements-test.txt"
    shutil.rmtree(private, ignore_errors=True)
    shutil.copytree(REPO, private / "project", symlinks=True, ignore=shutil.ignore_patterns(*NOT_PROJECT))
    (private / "env").mkdir()
    (private / "env" / "envvars").write_text(yaml.safe_dump(dict(
        emulator.aws_env, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0")))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env["PATH"] = "%s:%s" % (runner.parent, env.get("PATH", "/usr/bin:/bin"))
    if ee:
        env = {k: v for k, v in env.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(ee.environment(private / "project"))
    args = [str(runner), "run", str(private), "-p", playbook, "-i", ident,
            "--inventory", str(private / "project" / "inventories" / "local")]
    if cmdline:
        args.append("--cmdline=" + cmdline)  # one word: a cmdline starting with "-" is not taken for an option
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return RunnerJob(run=PlaybookRun(args=args, rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr),
                     project=private / "project", artifacts=private / "artifacts" / ident)


@contextlib.contextmanager
def private_postgres(prefix: str):
    """A private pair of local-stack PostgreSQL servers (source seeded at a tenth of the sample, to keep tests
    quick) on free ports; yields their state directory (scripts/local_stack/postgres.py reads it)."""
    from scripts.local_stack import postgres  # pylint: disable=import-outside-toplevel

    # Under /tmp directly: the postgres OS user must traverse every parent (pytest's tmp root is 0700).
    state_dir = Path(tempfile.mkdtemp(prefix=prefix))
    state_dir.chmod(0o711)
    settings = {"LWO_PG_SOURCE_PORT": str(free_port()), "LWO_PG_TARGET_PORT": str(free_port()),
                "LWO_PG_SEED_SCALE": "0.1"}
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        postgres.up(state_dir)
        yield state_dir
    finally:
        postgres.down(state_dir)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(state_dir, ignore_errors=True)


def api_calls_seen(emulator: Emulator) -> int:
    """How many AWS API requests the emulator has served (its log has one line per request)."""
    log = emulator.state_dir / "moto.log"
    request = re.compile(r'"(GET|POST|PUT|DELETE|PATCH|HEAD) /(?!moto-api)')
    return sum(1 for line in log.read_text(errors="replace").splitlines() if request.search(line))
