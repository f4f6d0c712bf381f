# -*- coding: utf-8 -*-
import pytest

from .harness import Emulator, run_playbook


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    emu = Emulator(tmp_path_factory.mktemp("local-stack"))
    emu.up()
    yield emu
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
