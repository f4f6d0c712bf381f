# -*- coding: utf-8 -*-
"""Every role's meta/argument_specs.yml tells the truth about its defaults/main.yml.

- ``required: true`` only where the role has no default: a defaulted variable is always defined, so "required"
  could never fail and would mislead the reader of ``ansible-doc -t role``.
- Every variable of defaults/main.yml is described in some entry point (bad input must stop at the role's door).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLES = sorted(p.parent.parent for p in (REPO / "roles").glob("*/meta/argument_specs.yml"))


def spec_problems(role_dir):
    """Findings for one role directory (empty when its argument specs agree with its defaults)."""
    role_dir = Path(role_dir)
    specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    defaults_file = role_dir / "defaults" / "main.yml"
    defaults = (yaml.safe_load(defaults_file.read_text()) or {}) if defaults_file.exists() else {}
    problems, described = [], set()
    for entry_point, spec in sorted(specs.items()):
        for name, option in sorted((spec.get("options") or {}).items()):
            described.add(name)
            if option.get("required") and name in defaults:
                problems.append(f"{role_dir.name}/{entry_point}: {name} is required but has a role default")
    for name in sorted(set(defaults) - described):
        problems.append(f"{role_dir.name}: defaults/main.yml variable {name} is in no argument_specs entry point")
    return problems


def test_every_role_has_argument_specs():
    assert len(ROLES) == len([p for p in (REPO / "roles").iterdir() if p.is_dir()]) > 10


@pytest.mark.parametrize("role_dir", ROLES, ids=[r.name for r in ROLES])
def test_argument_specs_agree_with_defaults(role_dir):
    assert spec_problems(role_dir) == []


def _role(tmp_path, spec_options, defaults):
    (tmp_path / "meta").mkdir()
    (tmp_path / "defaults").mkdir()
    (tmp_path / "meta" / "argument_specs.yml").write_text(
        yaml.safe_dump({"argument_specs": {"main": {"options": spec_options}}}))
    (tmp_path / "defaults" / "main.yml").write_text(yaml.safe_dump(defaults))
    return tmp_path


def test_a_required_option_with_a_default_is_found(tmp_path):
    role = _role(tmp_path, {"r_name": {"type": "str", "required": True}}, {"r_name": "x"})
    assert spec_problems(role) == [f"{role.name}/main: r_name is required but has a role default"]


def test_a_default_missing_from_the_specs_is_found(tmp_path):
    role = _role(tmp_path, {"r_name": {"type": "str"}}, {"r_name": "x", "r_extra": 1})
    assert spec_problems(role) == [f"{role.name}: defaults/main.yml variable r_extra is in no argument_specs entry point"]


def test_required_without_a_default_is_fine(tmp_path):
    role = _role(tmp_path, {"r_name": {"type": "str", "required": True}, "r_size": {"type": "int"}}, {"r_size": 1})
    assert spec_problems(role) == []


def test_ansible_doc_renders_every_role():
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), NO_COLOR="1",
               ANSIBLE_COLLECTIONS_PATH="%s:%s" % (REPO / ".collections", os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")))
    names = ["lifeworld.production." + r.name for r in ROLES]
    proc = subprocess.run([str(bin_dir / "ansible-doc"), "-t", "role"] + names, cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in names:
        assert "ENTRY POINT" in proc.stdout and name in proc.stdout, name
