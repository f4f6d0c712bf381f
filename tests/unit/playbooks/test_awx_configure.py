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
PREFIX = "life-world-os-production "
# Written down from the README's tables (the component tags of site.yml; every operation it lists), not read from
# playbooks/vars/awx.yml: a template dropped or pointed at another playbook there fails here.
COMPONENT_TAGS = ["network", "security", "data", "registry", "observability", "edge", "compute"]
OPERATIONS = {
    "site": "site.yml",
    "preflight": "playbooks/preflight.yml",
    "verify": "playbooks/verify.yml",
    "deploy": "playbooks/deploy.yml",
    "rollback": "playbooks/rollback.yml",
    "migrate": "playbooks/migrate_database.yml",
    # The online strategy's sequence (issue 15; docs/runbooks/database-migration.md, "AWX sequence").
    "migrate online start": "playbooks/migrate_database.yml",
    "migrate online status": "playbooks/migrate_database.yml",
    "migrate online cutover": "playbooks/migrate_database.yml",
    "migrate online abort": "playbooks/migrate_database.yml",
    "dr_drill": "playbooks/dr_drill.yml",
    "drift": "playbooks/drift.yml",
    "cutover": "playbooks/cutover.yml",
    "hardening": "playbooks/hardening.yml",
    "export": "playbooks/export.yml",
    "cost": "playbooks/cost.yml",
    "diagram": "playbooks/diagram.yml",
}
SCHEDULED = {"drift", "hardening", "dr_drill"}
# The vault_* values an operator keeps in inventories/production/group_vars/all/vault.yml (encrypted, not in git).
VAULT = {"vault_awx_smtp_username": "AKIASMTPUSER", "vault_awx_smtp_password": "smtp-secret-not-in-git"}
# The move (plan: "Migration Process"), node -> (what it runs, extra_data); edges (parent, kind, child).
MOVE_NODES = {
    "preflight": ("preflight", None),
    "site": ("site", None),
    "approve-migrate": ("approval", None),
    "migrate": ("migrate", {"db_migration_mode": "migrate", "db_migration_write_freeze": "true"}),
    "deploy": ("deploy", None),
    "lower-ttl": ("cutover", {"cutover_action": "lower_ttl"}),
    "approve-switch": ("approval", None),
    "switch": ("cutover", {"cutover_action": "switch"}),
    "verify": ("verify", None),
    "revert-dns": ("cutover", {"cutover_action": "revert"}),
    "unfreeze-source": ("migrate", {"db_migration_mode": "unfreeze", "db_migration_write_freeze": "false"}),
}
MOVE_EDGES = {
    ("preflight", "success", "site"),
    ("site", "success", "approve-migrate"),
    ("approve-migrate", "success", "migrate"),
    ("migrate", "success", "deploy"),
    ("deploy", "success", "lower-ttl"),
    ("lower-ttl", "success", "approve-switch"),
    ("approve-switch", "success", "switch"),
    ("switch", "success", "verify"),
    # Revert paths: before DNS moves the old production carries on (the source's freeze is lifted); after the
    # switch, a failure points the name back at the old server first.
    ("migrate", "failure", "unfreeze-source"),
    ("deploy", "failure", "unfreeze-source"),
    ("lower-ttl", "failure", "unfreeze-source"),
    ("approve-switch", "failure", "unfreeze-source"),
    ("switch", "failure", "revert-dns"),
    ("verify", "failure", "revert-dns"),
    ("revert-dns", "always", "unfreeze-source"),
}


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


def awx_calls(extra_vars):
    """Every awx.awx module call the playbook would make with the production inventory and extra_vars:
    (task name, module, templated parameters)."""
    init_plugin_loader()
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(REPO / "inventories" / "production")])
    variables = VariableManager(loader=loader, inventory=inventory)
    variables._extra_vars = dict(extra_vars)  # pylint: disable=protected-access  # as -e would set them
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
                params = {key: value for key, value in dict(defaults, **templar.template(task.args)).items()
                          if value != "__omit_place_holder__" and not str(value).startswith("__omit_place_holder__")}
                calls.append((task.get_name(), task.action, params))
    return calls


@pytest.fixture(scope="module")
def invocations():
    return awx_calls(VAULT)


def _by_module(calls):
    by_module = {}
    for _name, fqcn, params in calls:
        by_module.setdefault(fqcn, []).append(params)
    return by_module


def test_every_awx_call_passes_its_modules_argument_spec(invocations):
    failures = ["%s (%s %s): %s" % (name, fqcn, params.get("name"), errors)
                for name, fqcn, params in invocations for errors in [validate(fqcn, params)] if errors]
    assert not failures, "\n".join(failures)


def test_validation_rejects_what_the_module_rejects():
    """The check is not vacuous: an unknown option, a bad choice and a missing required option are caught."""
    assert any("survey" in e for e in validate("awx.awx.job_template", {"name": "x", "survey": {}}))
    assert any("job_type" in e for e in validate("awx.awx.job_template", {"name": "x", "job_type": "dry"}))
    assert any("organization" in e for e in validate("awx.awx.inventory", {"name": "x"}))


def test_expected_job_templates_are_configured(invocations):
    by_module = _by_module(invocations)
    templates = {p["name"]: p for p in by_module["awx.awx.job_template"]}
    expected = {PREFIX + "component " + tag: ("site.yml", tag) for tag in COMPONENT_TAGS}
    expected.update({PREFIX + name: (playbook, None) for name, playbook in OPERATIONS.items()})
    assert {name: (t["playbook"], t.get("job_tags")) for name, t in templates.items()} == expected
    for template in templates.values():
        # Credentials by name only, both of them, and every template runs in the collection's EE.
        assert template["credentials"] == [PREFIX + "AWS", PREFIX + "Vault"]
        assert template["execution_environment"] == "life-world-os-production-ee"
        assert (REPO / template["playbook"]).is_file(), template


def test_the_migration_runs_its_playbook_with_a_survey_for_the_mode(invocations):
    templates = {p["name"]: p for p in _by_module(invocations)["awx.awx.job_template"]}
    # `site.yml --tags migrate` matches no play: nothing may run the migration that way.
    assert not [t for t in templates.values() if t.get("job_tags") == "migrate"]
    migrate = templates[PREFIX + "migrate"]
    assert migrate["playbook"] == "playbooks/migrate_database.yml" and migrate["survey_enabled"] is True
    questions = {q["variable"]: q for q in migrate["survey_spec"]["spec"]}
    assert questions["db_migration_mode"]["type"] == "multiplechoice"
    assert set(questions["db_migration_mode"]["choices"]) == {"migrate", "verify", "unfreeze"}
    assert questions["db_migration_mode"]["required"] is True
    assert set(questions["db_migration_write_freeze"]["choices"]) == {"true", "false"}


# What each online template runs (its extra_vars) and the questions of its survey, written down from issue 15.
ONLINE = {
    "start": ("migrate", ["db_migration_mode", "db_migration_follow_timeout"]),
    "status": ("status", ["db_migration_mode"]),
    "cutover": ("cutover", ["db_migration_mode", "db_migration_follow_timeout"]),
    "abort": ("abort", ["db_migration_mode"]),
}


@pytest.mark.parametrize("step", sorted(ONLINE))
def test_the_online_migration_has_a_template_per_step_with_its_mode_fixed(invocations, step):
    templates = {p["name"]: p for p in _by_module(invocations)["awx.awx.job_template"]}
    mode, questions = ONLINE[step]
    template = templates[PREFIX + "migrate online " + step]
    assert template["playbook"] == "playbooks/migrate_database.yml"
    # Same inventory and credentials as the offline migrate template: the play runs on the inventory's migration
    # host (migration_hosts), where the follower lives on after the job.
    assert template["inventory"] == templates[PREFIX + "migrate"]["inventory"] == "life-world-os-production"
    assert template["credentials"] == templates[PREFIX + "migrate"]["credentials"]
    assert template["extra_vars"] == {"db_migration_strategy": "online", "db_migration_mode": mode}
    assert template["survey_enabled"] is True
    spec = template["survey_spec"]["spec"]
    assert [q["variable"] for q in spec] == questions
    # The mode question offers exactly what the template runs: the launch dialog says it, nothing else is choosable.
    assert spec[0]["choices"] == [mode] and spec[0]["default"] == mode and spec[0]["required"] is True


def test_the_online_waits_are_bounded_integers(invocations):
    templates = {p["name"]: p for p in _by_module(invocations)["awx.awx.job_template"]}
    for step in ("start", "cutover"):
        (wait,) = [q for q in templates[PREFIX + "migrate online " + step]["survey_spec"]["spec"]
                   if q["variable"] == "db_migration_follow_timeout"]
        assert wait["type"] == "integer" and 0 < wait["min"] <= wait["default"] <= wait["max"], wait


def test_surveys_of_deploy_and_cutover(invocations):
    templates = {p["name"]: p for p in _by_module(invocations)["awx.awx.job_template"]}
    deploy = templates[PREFIX + "deploy"]["survey_spec"]["spec"]
    assert [q["variable"] for q in deploy] == ["deploy_image_tag"] and deploy[0]["required"] is True
    cutover = templates[PREFIX + "cutover"]["survey_spec"]["spec"]
    assert set(cutover[0]["choices"]) == {"status", "lower_ttl", "switch", "revert"}
    assert not templates[PREFIX + "preflight"]["survey_enabled"]


def test_scheduled_jobs_notify_on_failure(invocations):
    by_module = _by_module(invocations)
    notifications = {p["name"]: p for p in by_module["awx.awx.notification_template"]}
    assert set(notifications) == {PREFIX + "email"}, "no webhook without vault_awx_notification_webhook_url"
    email = notifications[PREFIX + "email"]
    assert email["notification_type"] == "email"
    # The address the production alert topic mails (inventories/production/group_vars/all/observability.yml).
    assert email["notification_configuration"]["recipients"] == ["oncall@lifeworld.com"]
    assert email["notification_configuration"]["password"] == VAULT["vault_awx_smtp_password"]
    templates = {p["name"]: p for p in by_module["awx.awx.job_template"]}
    for name, template in templates.items():
        if name[len(PREFIX):] in SCHEDULED:
            assert template["notification_templates_error"] == [PREFIX + "email"], name
        else:
            assert "notification_templates_error" not in template, name
    schedules = {p["name"]: p for p in by_module["awx.awx.schedule"]}
    assert {s["unified_job_template"] for s in schedules.values()} == {PREFIX + op for op in SCHEDULED}
    assert "FREQ=DAILY" in schedules[PREFIX + "nightly drift check"]["rrule"]
    assert "FREQ=DAILY" in schedules[PREFIX + "nightly hardening check"]["rrule"]
    assert "FREQ=WEEKLY" in schedules[PREFIX + "weekly DR drill"]["rrule"]


def test_a_webhook_is_added_to_every_notified_object_when_vault_holds_its_url():
    by_module = _by_module(awx_calls(dict(VAULT, vault_awx_notification_webhook_url="https://hooks.example.invalid/x")))
    webhook = [p for p in by_module["awx.awx.notification_template"] if p["notification_type"] == "webhook"]
    assert len(webhook) == 1 and webhook[0]["notification_configuration"]["url"] == "https://hooks.example.invalid/x"
    names = [PREFIX + "email", PREFIX + "webhook"]
    assert [t["notification_templates_error"] for t in by_module["awx.awx.job_template"]
            if "notification_templates_error" in t] == [names] * len(SCHEDULED)
    assert by_module["awx.awx.workflow_job_template"][0]["notification_templates_error"] == names


def test_the_move_is_a_workflow_with_approvals_and_revert_paths(invocations):
    by_module = _by_module(invocations)
    (workflow,) = by_module["awx.awx.workflow_job_template"]
    assert workflow["name"] == PREFIX + "move to AWS" and workflow["organization"] == "Life World OS"
    assert workflow["notification_templates_error"] == [PREFIX + "email"]
    assert workflow["notification_templates_approvals"] == [PREFIX + "email"]
    assert [q["variable"] for q in workflow["survey_spec"]["spec"]] == ["deploy_image_tag"]
    templates = {p["name"] for p in by_module["awx.awx.job_template"]}
    nodes = {node["identifier"]: node for node in workflow["workflow_nodes"]}
    seen = {}
    for identifier, node in nodes.items():
        template = node["unified_job_template"]
        if template["type"] == "workflow_approval":
            seen[identifier] = ("approval", node.get("extra_data"))
            assert template["name"] and int(template["timeout"]) > 0
        else:
            assert template["type"] == "job_template" and template["name"] in templates, template
            assert template["organization"] == {"name": "Life World OS"}
            seen[identifier] = (template["name"][len(PREFIX):], node.get("extra_data"))
    assert seen == MOVE_NODES
    edges = {(identifier, kind[:-len("_nodes")], child["identifier"])
             for identifier, node in nodes.items()
             for kind, children in node.get("related", {}).items() for child in children}
    assert edges == MOVE_EDGES


def test_workflow_extra_data_answers_the_templates_surveys(invocations):
    """AWX accepts a node's extra_data only for variables the template prompts for (its survey here), and only
    choices the survey offers."""
    by_module = _by_module(invocations)
    templates = {p["name"]: p for p in by_module["awx.awx.job_template"]}
    for node in by_module["awx.awx.workflow_job_template"][0]["workflow_nodes"]:
        for variable, value in (node.get("extra_data") or {}).items():
            survey = templates[node["unified_job_template"]["name"]]["survey_spec"]["spec"]
            question = [q for q in survey if q["variable"] == variable]
            assert question and value in question[0]["choices"], (node["identifier"], variable, value)


def test_no_secret_values_in_awx_calls(invocations):
    for call in invocations:
        fqcn, params = call[1], call[2]
        assert fqcn != "awx.awx.credential", "credentials are referenced by name, never created with secrets here"
        assert not {"inputs", "controller_password", "controller_oauthtoken"} & set(params)


def test_the_task_handing_over_smtp_credentials_hides_them():
    plays = yaml.safe_load(PLAYBOOK.read_text())
    (task,) = [t for t in plays[0]["tasks"] if "awx.awx.notification_template" in t]
    assert task["no_log"] is True


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


def test_the_migration_host_credential_goes_to_the_migration_templates_only():
    """A real migration host is reached over SSH: its Machine credential rides on the five templates that run
    playbooks/migrate_database.yml (written down: migrate and the four online steps), and on no other."""
    machine = "Migration host over SSH"
    calls = awx_calls(dict(VAULT, awx_migration_host_credential=machine))
    templates = {p["name"]: p for p in _by_module(calls)["awx.awx.job_template"]}
    with_machine = sorted(name for name, t in templates.items() if machine in t["credentials"])
    assert with_machine == sorted(PREFIX + name for name in (
        "migrate", "migrate online start", "migrate online status", "migrate online cutover", "migrate online abort"))
    assert templates[PREFIX + "migrate"]["credentials"] == [PREFIX + "AWS", PREFIX + "Vault", machine]
    assert templates[PREFIX + "site"]["credentials"] == [PREFIX + "AWS", PREFIX + "Vault"]
