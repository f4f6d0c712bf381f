# -*- coding: utf-8 -*-
"""playbooks/awx_configure.yml against the awx.awx modules' own argument specs (there is no AWX server here).

Ansible itself loads the playbook with the production inventory, expands each awx.awx task's loop and templates its
arguments (module_defaults included) the way a run would; each resulting set of parameters then goes through the
module's argument spec exactly as the module's AnsibleModule would check it (types, choices, required,
mutually-exclusive...). ansible-lint's `args` rule does the same on the literal task (tests/quality runs it)."""

import importlib
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import yaml

from ansible.inventory.manager import InventoryManager
from ansible.module_utils import basic
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.playbook import Playbook
from ansible.playbook.block import Block
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar
from ansible.vars.manager import VariableManager

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = REPO / "playbooks" / "awx_configure.yml"
BIN = Path(sys.executable).parent
COMPONENT_TAGS = ["network", "security", "data", "registry", "observability", "edge", "compute", "migrate"]
OPERATIONS = ["site", "deploy", "rollback", "migrate", "dr_drill", "drift", "cutover", "hardening"]


class _SpecCaptured(Exception):
    def __init__(self, kwargs):
        super().__init__("argument spec captured")
        self.kwargs = kwargs


def module_spec(fqcn):
    """The keyword arguments (argument_spec, mutually_exclusive, required_if, ...) the module gives AnsibleModule,
    captured by running its main() until AnsibleModule.__init__ (awx.awx adds its controller_* options there)."""
    namespace, collection, name = fqcn.split(".")
    module = importlib.import_module("ansible_collections.%s.%s.plugins.modules.%s" % (namespace, collection, name))

    def capture(self, *args, **kwargs):
        raise _SpecCaptured(kwargs)

    with mock.patch.object(basic.AnsibleModule, "__init__", capture):
        with pytest.raises(_SpecCaptured) as captured:
            module.main()
    return captured.value.kwargs


def validate(fqcn, params):
    """Error messages of the module's own argument validation for params (empty when they pass)."""
    spec = module_spec(fqcn)
    validator = ArgumentSpecValidator(
        spec["argument_spec"],
        mutually_exclusive=spec.get("mutually_exclusive"),
        required_together=spec.get("required_together"),
        required_one_of=spec.get("required_one_of"),
        required_if=spec.get("required_if"),
        required_by=spec.get("required_by"),
    )
    return list(validator.validate(params).error_messages)


def _tasks(blocks):
    for block in blocks:
        for task in block.block:
            if isinstance(task, Block):
                yield from _tasks([task])
            else:
                yield task


@pytest.fixture(scope="module")
def invocations():
    """Every awx.awx module call the playbook would make: (task name, module, templated parameters)."""
    init_plugin_loader()
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(REPO / "inventories" / "production")])
    variables = VariableManager(loader=loader, inventory=inventory)
    host = inventory.get_host("localhost")
    calls = []
    plays = Playbook.load(str(PLAYBOOK), variable_manager=variables, loader=loader).get_plays()
    loader.set_basedir(str(PLAYBOOK.parent))  # as ansible-playbook does: playbook_dir is the playbook's directory
    for play in plays:
        for task in _tasks(play.compile()):
            if not task.action.startswith("awx.awx."):
                continue
            task_vars = variables.get_vars(play=play, host=host, task=task)
            items = Templar(loader=loader, variables=task_vars).template(task.loop) if task.loop else [None]
            for item in items:
                templar = Templar(loader=loader, variables=dict(task_vars, item=item))
                defaults = {}
                for entry in task.module_defaults or []:
                    defaults.update(templar.template(entry.get(task.action, {})))
                params = dict(defaults, **templar.template(task.args))
                calls.append((task.get_name(), task.action, params))
    return calls


def test_every_awx_call_passes_its_modules_argument_spec(invocations):
    failures = ["%s (%s %s): %s" % (name, fqcn, params.get("name"), errors)
                for name, fqcn, params in invocations for errors in [validate(fqcn, params)] if errors]
    assert not failures, "\n".join(failures)


def test_validation_rejects_what_the_module_rejects():
    """The check is not vacuous: an unknown option, a bad choice and a missing required option are caught."""
    assert any("survey" in e for e in validate("awx.awx.job_template", {"name": "x", "survey": {}}))
    assert any("job_type" in e for e in validate("awx.awx.job_template", {"name": "x", "job_type": "dry"}))
    assert any("organization" in e for e in validate("awx.awx.inventory", {"name": "x"}))


def test_expected_objects_are_configured(invocations):
    by_module = {}
    for call in invocations:
        fqcn, params = call[1], call[2]
        by_module.setdefault(fqcn, []).append(params)
    templates = {p["name"]: p for p in by_module["awx.awx.job_template"]}
    prefix = "life-world-os-production "
    for tag in COMPONENT_TAGS:
        template = templates[prefix + "component " + tag]
        assert template["playbook"] == "site.yml" and template["job_tags"] == tag
    operations = yaml.safe_load((REPO / "playbooks" / "vars" / "awx.yml").read_text())["awx_operations"]
    assert [op["name"] for op in operations] == OPERATIONS
    present = [op["name"] for op in operations if (REPO / op["playbook"]).is_file()]
    for operation in OPERATIONS:
        # AWX rejects a template whose playbook is not in the project: only the present ones are configured.
        assert (prefix + operation in templates) == (operation in present), operation
    assert len(templates) == len(COMPONENT_TAGS) + len(present)
    for template in templates.values():
        # Credentials by name only, both of them, and every template runs in the collection's EE.
        assert template["credentials"] == [prefix + "AWS", prefix + "Vault"]
        assert template["execution_environment"] == "life-world-os-production-ee"
        assert (REPO / template["playbook"]).is_file(), template
    deploy = [op for op in operations if op["name"] == "deploy"][0]
    survey = yaml.safe_load((REPO / "playbooks" / "vars" / "awx.yml").read_text())["awx_surveys"][deploy["survey"]]
    assert [q["variable"] for q in survey["spec"]] == ["deploy_image_tag"] and survey["spec"][0]["required"] is True
    if "deploy" in present:
        assert templates[prefix + "deploy"]["survey_enabled"] is True
        assert templates[prefix + "deploy"]["survey_spec"] == survey
    assert by_module["awx.awx.inventory_source"][0]["source_path"] == "inventories/production"
    schedules = {p["name"]: p for p in by_module["awx.awx.schedule"]}
    assert {s["unified_job_template"] for s in schedules.values()} == {prefix + "drift", prefix + "dr_drill", prefix + "hardening"}
    assert {"drift", "dr_drill"} <= set(present)
    assert "FREQ=DAILY" in schedules[prefix + "nightly drift check"]["rrule"]
    assert "FREQ=DAILY" in schedules[prefix + "nightly hardening check"]["rrule"]
    assert "FREQ=WEEKLY" in schedules[prefix + "weekly DR drill"]["rrule"]
    for schedule in schedules.values():
        assert schedule["unified_job_template"] in templates


def test_no_secret_values_in_awx_calls(invocations):
    for call in invocations:
        fqcn, params = call[1], call[2]
        assert fqcn != "awx.awx.credential", "credentials are referenced by name, never created with secrets here"
        assert not {"inputs", "controller_password", "controller_oauthtoken"} & set(params)


def test_ansible_lint_args_rule_passes_on_the_playbook(tmp_path):
    """ansible-lint (production profile, `args` rule enabled in .ansible-lint) is clean on the playbook, and the
    same run flags a misspelt awx.awx option, so the rule really runs on awx.awx tasks. `args` is an experimental
    rule, which ansible-lint reports as a warning only: --strict makes any warning fail."""
    env = {"PATH": "%s:/usr/bin:/bin" % BIN, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "NO_COLOR": "1",
           "HOME": str(Path.home())}
    lint = [str(BIN / "ansible-lint"), "--offline", "--profile", "production", "--strict", "-c", str(REPO / ".ansible-lint")]
    good = subprocess.run(lint + ["playbooks/awx_configure.yml", "playbooks/vars/awx.yml"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert good.returncode == 0 and "args[" not in good.stdout, good.stdout[-4000:] + good.stderr[-2000:]
    bad = REPO / "playbooks" / (".lint-probe-%s.yml" % tmp_path.name)
    bad.write_text(PLAYBOOK.read_text().replace("scm_clean: true", "scm_cleen: true"))
    try:
        flagged = subprocess.run(lint + [str(bad.relative_to(REPO))], cwd=REPO, env=env, capture_output=True,
                                 text=True, timeout=600, check=False)
    finally:
        bad.unlink()
    assert flagged.returncode != 0 and "args[module]" in flagged.stdout + flagged.stderr, flagged.stdout[-3000:]
    assert "scm_cleen" in flagged.stdout + flagged.stderr
