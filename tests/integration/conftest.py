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
    """Print the resilience figures (calls, faults, interruptions) with the test results."""
    from .test_resilience import FIGURES

    if FIGURES:
        terminalreporter.section("resilience figures")
        for key, value in FIGURES.items():
            terminalreporter.write_line("%s: %s" % (key, value))
