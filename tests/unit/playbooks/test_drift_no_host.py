# -*- coding: utf-8 -*-
"""playbooks/drift.yml with an inventory whose aws group is empty: every nested `site.yml --check` matches no host
and runs nothing. That is a drift check that checked nothing, so it fails, naming why, instead of reporting clean.
No AWS call is made (no host), so no emulator is needed."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_drift_that_matches_no_host_fails_instead_of_reporting_clean(tmp_path):
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "local" / "group_vars", inventory / "group_vars")
    # The local inventory with its host taken out of the aws group (a typo'd group, a wrong inventory).
    (inventory / "hosts.yml").write_text(
        "all:\n  children:\n    aws:\n      hosts: {}\n    migration_hosts:\n      hosts:\n        localhost:\n"
        "  vars:\n    ansible_connection: local\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID="none", AWS_SECRET_ACCESS_KEY="none")
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), "playbooks/drift.yml",
            "-e", json.dumps({"drift_components": ["network", "security"]})]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    text = " ".join(proc.stdout.split())
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "network failed" in text and "security failed" in text, proc.stdout[-3000:]
    assert "failed: checked nothing: the nested run matched no host" in text, proc.stdout[-3000:]
    assert "No drift in" not in text
