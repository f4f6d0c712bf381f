# -*- coding: utf-8 -*-
"""playbooks/drift.yml as AWX runs it with a vault credential: ansible-runner starts the job with
`--vault-id <label>@prompt` and answers the prompt from env/passwords (AWX's vault credential does exactly that), so
the secret lives only in the outer run's memory. The inventory holds a vault-encrypted group_vars file, as the
production inventory does (vault_* variables): the nested `ansible-playbook site.yml --check` of each component
can only load that inventory when drift.yml hands the secret on (the vault_password_files lookup). Without it the
nested run stops with "Attempting to decrypt but no vault secrets found" and the component reports `failed`
(checked by removing the lookup from drift.yml: this test then fails)."""

import json
import os
import re
import shutil
import subprocess

import yaml

from ansible.parsing.vault import VaultLib, VaultSecret

from .harness import REPO, RUNNER

LABEL = "lwo"
PASSWORD = "drift-vault-test-password"


def _vault_inventory(root):
    """The local inventory with an encrypted group_vars/all/vault.yml, and a setting the network component reads
    taken from it, as production does (secrets_api_keys: "{{ vault_secrets_api_keys }}"). ansible-core decrypts on
    use: only a run that reads the setting needs the secret."""
    shutil.copytree(REPO / "inventories" / "local", root)
    encrypted = VaultLib([(LABEL, VaultSecret(PASSWORD.encode()))]).encrypt(
        "vault_drift_probe: 10.40.0.0/16\n", vault_id=LABEL)
    (root / "group_vars" / "all" / "vault.yml").write_bytes(encrypted)
    (root / "host_vars").mkdir(exist_ok=True)
    (root / "host_vars" / "localhost.yml").write_text('---\nvpc_cidr: "{{ vault_drift_probe }}"\n')
    return root


def _run_drift(emulator, private, inventory, passwords):
    (private / "env").mkdir(parents=True)
    (private / "env" / "envvars").write_text(yaml.safe_dump(dict(
        emulator.aws_env, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0",
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))))
    (private / "env" / "passwords").write_text(yaml.safe_dump(passwords))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env["PATH"] = "%s:%s" % (RUNNER.parent, env.get("PATH", "/usr/bin:/bin"))
    extra = json.dumps({"drift_components": ["network"], "drift_fail_on_drift": False})
    args = [str(RUNNER), "run", str(private), "--project-dir", str(REPO), "-p", "playbooks/drift.yml", "-i", "drift",
            "--inventory", str(inventory),
            "--cmdline", "--vault-id %s@prompt -e '%s'" % (LABEL, extra)]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=1800, check=False)
    events_dir = private / "artifacts" / "drift" / "job_events"
    events = [json.loads(p.read_text()) for p in sorted(events_dir.glob("*.json"))] if events_dir.is_dir() else []
    return proc, events


def test_drift_hands_the_prompted_vault_secret_to_its_nested_runs(emulator, tmp_path):
    inventory = _vault_inventory(tmp_path / "vault-inventory")
    proc, events = _run_drift(emulator, tmp_path / "job", inventory,
                              {r"^Vault password \(%s\):\s*$" % LABEL: PASSWORD})
    out = proc.stdout
    assert proc.returncode == 0, out[-4000:] + proc.stderr[-2000:]
    line = re.search(r"network\s{2,}(clean|drifted|failed)", out)
    assert line, out[-4000:]
    # Failed is what an undecryptable inventory gives ("Attempting to decrypt but no vault secrets found").
    assert line[1] in ("clean", "drifted"), out[-4000:]
    assert "no vault secrets" not in out
    # The nested run checked something (a run matching no host would be "clean" too).
    (nested,) = [e["event_data"]["res"] for e in events if e["event"] == "runner_item_on_ok"
                 and e["event_data"].get("task", "").startswith("Run site.yml")]
    tasks = [t["task"]["name"] for play in json.loads(nested["stdout"])["plays"] for t in play["tasks"]]
    assert any(name.startswith("lifeworld.production.vpc") for name in tasks), tasks[:20]
    # The secret's files are gone after the run, and the secret never shows in the job's output or events.
    made = [e["event_data"]["res"]["path"] for e in events
            if e["event"] == "runner_on_ok" and e["event_data"].get("task", "").startswith("Private directory")]
    assert len(made) == 1 and not os.path.exists(made[0])
    assert PASSWORD not in out and not any(PASSWORD in json.dumps(e) for e in events)
