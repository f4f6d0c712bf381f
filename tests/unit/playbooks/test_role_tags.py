# -*- coding: utf-8 -*-
"""Every role answers to its own name as a tag, as the README says ("each role also answers to its own name"):
`ansible-playbook <playbook> --tags <role> --list-tasks` lists work of that role, not only its argument checks
(tagged `always`, listed whatever the tags). The roles are found by walking roles/, so a new role is covered."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
# Roles outside site.yml, with the playbook that runs them.
PLAYBOOKS = {"db_migration": "playbooks/migrate_database.yml"}
# Lookup roles other roles include to find what they depend on; they run under their caller's tags.
HELPERS = {"network_lookup", "security_lookup"}
# Roles that only derive values (every AWS role depends on them through meta/main.yml) and do no work to tag.
DERIVATIONS = {"contract"}
ROLES = sorted(p.name for p in (REPO / "roles").iterdir()
               if (p / "tasks" / "main.yml").is_file() and p.name not in DERIVATIONS)
TASK = re.compile(r"^\s+lifeworld\.production\.(\w+) : (.*?)\tTAGS: \[(.*)\]$")


def _listed(playbook, tag):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "inventories/local", playbook,
                           "--tags", tag, "--list-tasks"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [m.groups() for m in map(TASK.match, proc.stdout.splitlines()) if m]


@pytest.mark.parametrize("role", [r for r in ROLES if r not in HELPERS])
def test_role_answers_to_its_own_name(role):
    playbook = PLAYBOOKS.get(role, "site.yml")
    work = [name for owner, name, tags in _listed(playbook, role)
            if owner == role and "always" not in [t.strip() for t in tags.split(",")]]
    assert work, "%s --tags %s lists no task of the %s role beyond its argument checks" % (playbook, role, role)


@pytest.mark.parametrize("helper", sorted(HELPERS))
def test_helper_roles_are_only_included_by_other_roles(helper):
    """The exemption above must not hide a role that a playbook runs on its own."""
    users = [p for p in (REPO / "roles").glob("*/tasks/*.yml")
             if p.parts[-3] != helper and "lifeworld.production.%s" % helper in p.read_text()]
    assert users, "%s is not included by any role" % helper
    playbooks = [p for p in [REPO / "site.yml", *(REPO / "playbooks").glob("*.yml")]
                 if "lifeworld.production.%s" % helper in p.read_text()]
    assert playbooks == [], "%s is run by %s: give it its tag" % (helper, playbooks)


@pytest.mark.parametrize("role", sorted(DERIVATIONS))
def test_derivation_roles_do_no_work(role):
    """The exemption above must not hide a role that does something: its tasks use no module but ansible.builtin's
    debug, and every AWS role depends on it."""
    def modules(paths):
        return set(re.findall(r"^\s+-?\s*([a-z_]+\.[a-z_]+\.[a-z_]+):", "".join(p.read_text() for p in paths), re.M))

    tasks = REPO / "roles" / role / "tasks"
    assert modules(p for p in tasks.glob("*.yml") if p.name != "connected.yml") == {"ansible.builtin.debug"}
    # The contract's `connected` entry point runs the calling play's own tasks file (tagged by that play) with the
    # connection; it includes that file and does nothing else.
    if (tasks / "connected.yml").exists():
        assert modules([tasks / "connected.yml"]) == {"ansible.builtin.include_tasks"}
    dependants = [p.parts[-3] for p in (REPO / "roles").glob("*/meta/main.yml")
                  if "lifeworld.production.%s" % role in p.read_text()]
    assert "vpc" in dependants and "rds" in dependants, dependants
