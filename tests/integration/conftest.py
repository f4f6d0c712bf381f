# -*- coding: utf-8 -*-
import pytest

from .harness import SITE_COMPONENTS, Emulator, run_playbook


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


class SharedSite:
    """The whole site.yml built in the session emulator, once for all the modules of the `site` xdist group; built
    at -vvv so its output can be searched for secrets."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.run = None
        self.generation = None

    def build(self):
        """The build's PlaybookRun; built (again) when none exists, the emulator was reset since, or it was spoiled."""
        if self.run is None or self.generation != self.emulator.generation:
            self.emulator.reset()
            # A whole site run: generous timeout, the machine may be shared.
            run = run_playbook(self.emulator, "site.yml", tags=SITE_COMPONENTS, extra_args=("-vvv",), timeout=2700)
            assert run.rc == 0, run.tail()
            self.run, self.generation = run, self.emulator.generation
        return self.run

    def spoil(self):
        """Say the environment was changed in a way later modules must not see: the next build() starts afresh."""
        self.generation = None


@pytest.fixture(scope="session")
def site(emulator):
    """Modules that use it declare pytestmark = pytest.mark.xdist_group(SITE_GROUP) and call site.build()."""
    return SharedSite(emulator)


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
