# -*- coding: utf-8 -*-
"""infrastructure/aws/ holds the production definitions playbooks/export.yml renders (committed, so a change to the
inventory or a role is reviewed as a JSON diff): they must be current. No AWS call is made; none is reachable."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_committed_export_is_current_for_the_production_inventory():
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID="none", AWS_SECRET_ACCESS_KEY="none")
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "inventories/production",
                           "playbooks/export.yml", "--check", "--diff"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    recap = [line for line in proc.stdout.splitlines() if " changed=" in line]
    assert recap and " changed=0 " in recap[-1], (
        "infrastructure/aws/ is out of date: run `ansible-playbook -i inventories/production playbooks/export.yml` "
        "and commit the diff:\n" + proc.stdout[-4000:])
    assert len(list((REPO / "infrastructure" / "aws").rglob("*.json"))) >= 10
