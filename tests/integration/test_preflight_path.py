# -*- coding: utf-8 -*-
"""Preflight proves the migration's network path before the freeze (issue 14 item 4): a TCP connect from the
migration host to PostgreSQL. A closed port is an unmet item that says what to do (connect the Client VPN, open the
migration window); a listening one is met. Real ansible-playbook runs against a private moto server; the target is
aimed with preflight_db_path_host/_port (the reader's RDS endpoint, by default, resolves nowhere in the emulator)."""

import socket

import pytest

from .harness import free_port, run_playbook

ITEM = "Migration host reaches PostgreSQL"


def _line(run):
    """The checklist line of the path item, whitespace folded."""
    text = " ".join(run.stdout.split())
    start = text.find(ITEM)
    assert start > 0, run.tail()
    return text[text.rfind("[", 0, start):start + 400]


@pytest.fixture(scope="module")
def path_runs(scratch_emulator):
    scratch_emulator.reset()
    closed = free_port()
    runs = {"closed_port": closed,
            "closed": run_playbook(scratch_emulator, "playbooks/preflight.yml", extra_vars={
                "preflight_db_path_host": "127.0.0.1", "preflight_db_path_port": closed,
                "preflight_db_path_timeout": 2})}
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        runs["open_port"] = listener.getsockname()[1]
        runs["open"] = run_playbook(scratch_emulator, "playbooks/preflight.yml", extra_vars={
            "preflight_db_path_host": "127.0.0.1", "preflight_db_path_port": runs["open_port"],
            "preflight_db_path_timeout": 2})
    return runs


def test_a_closed_port_is_an_unmet_item_saying_what_to_do(path_runs):
    run = path_runs["closed"]
    assert run.rc != 0, run.tail()
    line = _line(run)
    assert line.startswith("[UNMET] " + ITEM), line
    assert "127.0.0.1:%d from localhost" % path_runs["closed_port"] in line, line
    assert "Client VPN" in line and "migration window" in line, line
    assert ITEM in run.stdout.split("unmet:")[-1], "the failure message must name the item"


def test_a_listening_port_is_met(path_runs):
    line = _line(path_runs["open"])
    assert line.startswith("[met] " + ITEM), line
    assert "127.0.0.1:%d from localhost: connected" % path_runs["open_port"] in line, line
    # The rest of the empty account is still unmet, but not the path.
    assert ITEM not in path_runs["open"].stdout.split("unmet:")[-1]
