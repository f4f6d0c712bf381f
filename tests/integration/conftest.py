# -*- coding: utf-8 -*-
import dataclasses

import pytest

from . import ee
from .harness import Emulator, run_playbook, run_through_runner


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    emu = Emulator(tmp_path_factory.mktemp("local-stack"))
    emu.up()
    yield emu
    emu.down()


@pytest.fixture(scope="session")
def scratch_emulator(tmp_path_factory):
    """A second, private moto server for checks that need an empty account (check mode creating nothing, preflight
    on nothing) without resetting the session emulator and losing the shared site build. Reset it before use."""
    emu = Emulator(tmp_path_factory.mktemp("scratch-stack"))
    emu.up()
    yield emu
    emu.down()


@pytest.fixture(scope="session")
def execution_environment(tmp_path_factory):
    """The execution environment of execution-environment.yml as a clean venv (tests/integration/ee.py), built once
    per session (pip's own cache makes a rebuild cheap)."""
    return ee.build(tmp_path_factory.mktemp("execution-environment"))


class SharedSite:
    """The whole site.yml built in the session emulator, once for all the modules of the `site` xdist group. It is
    built as an AWX job (through ansible-runner, at -vvv) inside the execution environment (only what
    execution-environment.yml puts in the image), so the same build proves that site.yml runs to the end the way
    AWX runs it, and its output and job artifacts can be searched for secrets."""

    def __init__(self, emulator, private, execution_environment=None):
        self.emulator = emulator
        self.private = private
        self.execution_environment = execution_environment
        self.job = None
        self.generation = None
        self._second = None  # (generation, SiteRun) of second_run()

    def build(self):
        """The build's PlaybookRun; built (again) when none exists, the emulator was reset since, or it was spoiled."""
        if self.job is None or self.generation != self.emulator.generation:
            self.emulator.reset()
            # The migration is not part of site.yml's state; a whole site run may take long on a shared machine.
            job = run_through_runner(self.emulator, self.private, "site.yml", cmdline="--skip-tags migrate -vvv",
                                     timeout=2700, ee=self.execution_environment)
            assert job.run.rc == 0, job.run.tail()
            self.job, self.generation = job, self.emulator.generation
        return self.job.run

    def spoil(self):
        """Say the environment was changed in a way later modules must not see: the next build() starts afresh."""
        self.generation = None

    def second_run(self):
        """The whole site.yml run again on the build (plain ansible-playbook, as an operator or a scheduled AWX job
        re-runs it), once per build: a SiteRun. The site's only whole-site idempotence check: test_compute asserts
        changed=0 for the whole run, each tier module that its own plays changed nothing. The first module of the
        group that asks runs it, right after the build, before any module changes the environment."""
        self.build()
        if self._second is None or self._second[0] != self.generation:
            run = run_playbook(self.emulator, "site.yml", extra_args=("--skip-tags", "migrate"), timeout=2700)
            self._second = (self.generation, SiteRun(run, self.emulator))
        return self._second[1]


@dataclasses.dataclass
class Play:
    """One play of a run's output: its tasks in order and those that reported a change (each once)."""

    name: str
    tasks: list
    changed: list

    def ran(self, task):
        """Whether a task whose name ends with `task` ran (any result but skipping)."""
        return any(name.endswith(task) for name in self.tasks)


def plays(stdout):
    """The plays of an ansible-playbook output (default callback), by their full name, in order."""
    found, play, task = {}, None, None
    for line in stdout.splitlines():
        if line.startswith("PLAY [") and not line.startswith("PLAY RECAP"):
            play = found.setdefault(line[6:line.rindex("]")], Play(line[6:line.rindex("]")], [], []))
            task = None
        elif line.startswith("TASK [") and play is not None:
            task = line[6:line.rindex("]")]
        elif play is not None and task and line.startswith(("ok:", "changed:", "fatal:", "failed:", "included:")):
            if task not in play.tasks:
                play.tasks.append(task)
            if line.startswith("changed:") and task not in play.changed:
                play.changed.append(task)
    return found


@dataclasses.dataclass
class SiteRun:
    """A whole site.yml run (`run`, a PlaybookRun) on `emulator`, read play by play: each tier module asserts on its
    own plays."""

    run: object
    emulator: object

    def play(self, step):
        """The play of one step of playbooks/site.yml, by the first words of its name ("Edge", "Observability
        watchers"); asserts that it ran."""
        matches = [p for name, p in plays(self.run.stdout).items() if name.split(" — ")[0] == step]
        assert len(matches) == 1, "no play %r in the run:\n%s" % (step, self.run.tail())
        return matches[0]


@pytest.fixture(scope="session")
def site(emulator, tmp_path_factory, execution_environment):
    """Modules that use it declare pytestmark = pytest.mark.xdist_group(SITE_GROUP) and call site.build()
    (site.job then holds the runner job: its project copy and artifacts)."""
    return SharedSite(emulator, tmp_path_factory.mktemp("site-job"), execution_environment)


@pytest.fixture(scope="session")
def site_check_empty(tmp_path_factory):
    """`site.yml --check` on an empty account, once per session, for test_empty_account.py: a SiteRun whose
    emulator is left as the run left it (empty, if check mode created nothing), for each tier's readers. One
    whole-site check instead of one `--tags <tier> --check` per module (compute, edge, data: three runs, each on a
    reset scratch emulator). The emulator is its own, not `scratch_emulator`: other modules reset that one before
    their own use, and the readers must see what this run left."""
    emu = Emulator(tmp_path_factory.mktemp("check-stack"))
    emu.up()
    try:
        yield SiteRun(run_playbook(emu, "site.yml", check=True, extra_args=("--skip-tags", "migrate"), timeout=2700), emu)
    finally:
        emu.down()


@pytest.fixture
def playbook(emulator):
    """Run a playbook against the session's emulator: playbook("site.yml", tags="network", check=True)."""

    def _run(name="site.yml", **kwargs):
        return run_playbook(emulator, name, **kwargs)

    return _run


def pytest_terminal_summary(terminalreporter):
    """Print the figures tests recorded (record_property("figure:<name>", value)) with the results; this also
    works under pytest-xdist, whose workers send user properties back with their reports."""
    figures = [(name[len("figure:"):], value)
               for report in terminalreporter.stats.get("passed", [])
               for name, value in getattr(report, "user_properties", [])
               if name.startswith("figure:")]
    if figures:
        terminalreporter.section("figures")
        for name, value in figures:
            terminalreporter.write_line("%s: %s" % (name, value))
