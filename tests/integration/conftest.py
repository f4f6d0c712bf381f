# -*- coding: utf-8 -*-
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


@pytest.fixture(scope="session")
def site(emulator, tmp_path_factory, execution_environment):
    """Modules that use it declare pytestmark = pytest.mark.xdist_group(SITE_GROUP) and call site.build()
    (site.job then holds the runner job: its project copy and artifacts)."""
    return SharedSite(emulator, tmp_path_factory.mktemp("site-job"), execution_environment)


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
