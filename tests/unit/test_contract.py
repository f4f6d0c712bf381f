# -*- coding: utf-8 -*-
"""The naming contract (plugins/module_utils/contract.py) is the one place a resource name is spelled: every name
of docs/CONTRACTS.md derives from it, and no role, playbook, module or inventory restates one of its patterns."""

import re
from pathlib import Path

import pytest

from ansible_collections.lifeworld.production.plugins.filter import contract as contract_filter
from ansible_collections.lifeworld.production.plugins.module_utils import contract

REPO = Path(__file__).resolve().parents[2]
SCANNED = ("roles", "playbooks", "plugins/modules", "inventories")
SUFFIXES = (".yml", ".yaml", ".py", ".j2", ".json")
# What may precede a restated name's literal part: the end of a Jinja expression or a format placeholder, or a
# quote opening a string that is then joined to a prefix (`prefix + "-vpc"`, `prefix ~ '-db'`).
_BEFORE = r"(?:\}\}|\}|%s|\"|')"


def _literal_tail(pattern):
    """The literal text after a pattern's last placeholder ('-rds-monitoring' of '{prefix}-rds-monitoring')."""
    tail = re.split(r"\{[a-z_]+\}", pattern)[-1]
    # A bare prefix or a trailing separator alone ('{prefix}', '.../{prefix}-db/') is no name of its own.
    return tail if len(tail.strip("-/.")) >= 2 else None


def restated_names(root):
    """(file, line number, contract keys) of every literal contract name spelled outside the contract under `root`."""
    checks = []
    for key, _component, _what, pattern in contract.NAMES:
        tail = _literal_tail(pattern)
        if tail:
            checks.append((key, re.compile(_BEFORE + re.escape(tail) + r"(?![A-Za-z0-9_-])")))
    found = {}
    for top in SCANNED:
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if line.lstrip().startswith("#"):
                    continue
                keys = [key for key, rx in checks if rx.search(line)]
                if keys:
                    found[(str(path.relative_to(root)), number)] = "/".join(keys)
    return [place + (keys,) for place, keys in found.items()]


def test_no_role_playbook_module_or_inventory_restates_a_contract_name():
    found = restated_names(REPO)
    assert found == [], "names spelled outside plugins/module_utils/contract.py (use lifeworld_contract.names or " \
                        "the contract_names filter):\n" + "\n".join("%s:%d %s" % f for f in found)


@pytest.mark.parametrize("line", [
    'iam__monitoring_role: "{{ iam_name_prefix }}-rds-monitoring"',
    "    secret: \"{{ lifeworld_project ~ '/' ~ lifeworld_environment ~ '/db-master' }}\"",
    '        "rds_instance": prefix + "-db",',
    '        "log_group_names": ["/ecs/%s/backend" % prefix],',
])
def test_the_scanner_finds_a_planted_restatement(tmp_path, line):
    planted = tmp_path / "roles" / "planted" / "vars" / "main.yml"
    planted.parent.mkdir(parents=True)
    planted.write_text("---\n# a comment may say <prefix>-rds-monitoring\nclean: \"{{ x_name_prefix }}-dbx\"\n"
                       + line + "\n")
    found = restated_names(tmp_path)
    assert [(f[0], f[1]) for f in found] == [("roles/planted/vars/main.yml", 4)]


def test_contracts_doc_lists_every_name_of_the_contract():
    doc = (REPO / "docs" / "CONTRACTS.md").read_text()
    shown = {pattern.replace("{prefix}", "<prefix>").replace("{project}", "<project>")
             .replace("{environment}", "<environment>").replace("{secret_path}", "<project>/<environment>")
             .replace("{account}", "<account>")
             for _key, _component, _what, pattern in contract.NAMES}
    missing = sorted(name for name in shown if "`%s" % name not in doc)
    assert missing == []


def test_names_follow_project_environment_and_component():
    names = contract.contract("life-world-os", "production")["names"]
    # Spelled out from the plan, not from the code: <project>-<environment>-<component>[-<part>].
    assert names["role_rds_monitoring"] == "life-world-os-production-rds-monitoring"
    assert names["secret_db_master"] == "life-world-os/production/db-master"
    assert names["log_group_backend"] == "/ecs/life-world-os-production/backend"
    assert names["kms_logs"] == "alias/life-world-os-production-logs"
    assert names["service_namespace"] == "production.life-world-os.internal"
    assert len(set(entry[0] for entry in contract.NAMES)) == len(contract.NAMES)


def test_a_role_prefix_and_secret_path_override_the_derived_ones():
    names = contract.names("other-prefix", "p", "e", secret_path="custom/path")
    assert names["vpc"] == "other-prefix-vpc" and names["secret_jwt"] == "custom/path/jwt-secret"
    assert "secret_jwt" not in contract.names("only-prefix")


def test_tags_carry_project_environment_managed_by_and_extra_tags():
    tags = contract.contract("p", "e", {"CostCentre": "42"})["tags"]
    assert tags == {"Project": "p", "Environment": "e", "ManagedBy": "ansible", "CostCentre": "42"}


def test_an_empty_project_or_environment_is_refused():
    with pytest.raises(Exception, match="lifeworld_project and lifeworld_environment"):
        contract_filter.contract("", "production")


def test_connection_and_environment_leave_out_what_is_unset():
    assert contract_filter.aws_connection({"endpoint_url": "", "profile": None}) == {}
    assert contract_filter.aws_connection({"endpoint_url": "http://x:1", "profile": "p"}) == {
        "endpoint_url": "http://x:1", "profile": "p"}
    assert contract_filter.aws_environment("eu-west-1") == {"AWS_REGION": "eu-west-1",
                                                            "AWS_DEFAULT_REGION": "eu-west-1"}
    assert contract_filter.aws_environment("eu-west-1", "http://x:1", "", True)["AWS_ENDPOINT_URL"] == "http://x:1"
