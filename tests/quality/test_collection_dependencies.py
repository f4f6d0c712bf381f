# -*- coding: utf-8 -*-
"""Every collection the content uses is declared, in galaxy.yml `dependencies` (users installing the collection) and
in requirements.yml (what the execution environment installs, execution-environment.yml `galaxy:`), and nothing
else is. A job that needs an undeclared collection works on a developer's machine (the `ansible` package carries
dozens) and fails in AWX.

The collections are found by reading the content, not by asking Ansible (which would resolve them against whatever
is installed): FQCNs in the places a plugin name can stand — task keywords (modules, actions, import_playbook),
module_defaults keys and action groups, filters and tests, lookup/query, the filter/test arguments of
map/select/reject/selectattr/rejectattr, stdout callbacks — in roles/, playbooks/, site.yml and ansible.cfg, and
collection imports and documentation fragments in plugins/."""

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CONTENT = ("roles", "playbooks", "site.yml")
# Collections that need no declaration: ansible-core's own and this collection.
IMPLICIT = {"ansible.builtin", "ansible.legacy", "lifeworld.production"}

NAME = r"[a-z_][a-z0-9_]*"
FQCN = r"(%s\.%s)\.%s" % (NAME, NAME, NAME)
FQCN_ONLY = re.compile(r"^(?:group/)?%s$" % FQCN)
IN_TEXT = [re.compile(pattern % FQCN) for pattern in (
    r"\|\s*%s",                                                       # filter
    r"\bis\s+(?:not\s+)?%s",                                          # test
    r"\b(?:lookup|query|q)\(\s*['\"]%s",                              # lookup plugin
    r"\b(?:map|select|reject)\(\s*['\"]%s",                           # filter/test handed to map/select/reject
    r"\b(?:selectattr|rejectattr)\(\s*['\"][^'\"]*['\"]\s*,\s*['\"]%s",  # test of selectattr/rejectattr
)]
CALLBACK_SETTINGS = {"ANSIBLE_STDOUT_CALLBACK", "ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_CALLBACK_WHITELIST",
                     "stdout_callback", "callbacks_enabled", "callback_whitelist"}
PYTHON = [re.compile(r"\bansible_collections\.(%s\.%s)\b" % (NAME, NAME))]
# extends_documentation_fragment's list; other lists in DOCUMENTATION (choices, samples such as
# ecs.amazonaws.com) look like FQCNs too, so only this key's entries count.
FRAGMENTS = re.compile(r"^extends_documentation_fragment:\s*\n((?:[ \t]+-[^\n]*\n)+)", re.M)
FRAGMENT = re.compile(r"^\s+-\s+%s(?:\.%s)*\s*$" % (FQCN, NAME), re.M)  # amazon.aws.region.modules


def _walk(node, found, parent_key=None):
    if isinstance(node, dict):
        for key, value in node.items():
            # Keys are plugin names in tasks and module_defaults; data maps (prices, sizes) use keys like
            # db.t3.micro, so a key counts only under a list (a task or play) or under module_defaults.
            match = FQCN_ONLY.match(str(key))
            if match and parent_key in ("<list>", "module_defaults"):
                found.add(match[1])
            if str(key) in CALLBACK_SETTINGS and isinstance(value, str):
                found.update(m[1] for m in re.finditer(FQCN, value))
            _walk(value, found, key)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found, "<list>" if parent_key != "module_defaults" else parent_key)
    elif isinstance(node, str):
        _text(node, found)


def _text(text, found):
    for pattern in IN_TEXT:
        found.update(m[1] for m in pattern.finditer(text))


def _files(root):
    for entry in CONTENT:
        path = root / entry
        yield from ([path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()))


def used_collections(root):
    """{collection: [where]} of every collection the content under root names."""
    used = {}

    def note(found, where):
        for collection in found - IMPLICIT:
            used.setdefault(collection, []).append(str(where.relative_to(root)))

    for path in _files(root):
        found = set()
        if path.suffix in (".yml", ".yaml"):
            for document in yaml.safe_load_all(path.read_text()):
                _walk(document, found)
        elif path.suffix in (".j2", ".cfg", ".json", ".md", ".txt"):
            _text(path.read_text(), found)
        note(found, path)
    cfg = root / "ansible.cfg"
    if cfg.is_file():
        found = set()
        for line in cfg.read_text().splitlines():
            setting = line.split("=", 1)
            if len(setting) == 2 and setting[0].strip() in CALLBACK_SETTINGS:
                found.update(m[1] for m in re.finditer(FQCN, setting[1]))
        note(found, cfg)
    for path in sorted((root / "plugins").rglob("*.py")) if (root / "plugins").is_dir() else []:
        found = set()
        text = path.read_text()
        for pattern in PYTHON:
            found.update(m[1] for m in pattern.finditer(text))
        for block in FRAGMENTS.finditer(text):
            found.update(m[1] for m in FRAGMENT.finditer(block[1]))
        note(found, path)
    return used


def _galaxy_dependencies():
    return yaml.safe_load((REPO / "galaxy.yml").read_text())["dependencies"]


def _requirements():
    return {c["name"]: c.get("version", "*") for c in yaml.safe_load((REPO / "requirements.yml").read_text())["collections"]}


@pytest.fixture(scope="module")
def used():
    return used_collections(REPO)


def test_galaxy_dependencies_are_exactly_the_collections_used(used):
    declared = set(_galaxy_dependencies())
    assert not set(used) - declared, "used but not in galaxy.yml dependencies: %s" % {
        c: used[c] for c in set(used) - declared}
    assert not declared - set(used), "declared in galaxy.yml but used nowhere: %s" % (declared - set(used))


def test_requirements_yml_lists_exactly_the_collections_used_with_the_same_ranges(used):
    requirements = _requirements()
    assert not set(used) - set(requirements), "used but not in requirements.yml: %s" % {
        c: used[c] for c in set(used) - set(requirements)}
    assert not set(requirements) - set(used), "in requirements.yml but used nowhere: %s" % (set(requirements) - set(used))
    assert requirements == _galaxy_dependencies(), "requirements.yml and galaxy.yml declare different ranges"


def test_the_scan_finds_the_collections_known_to_be_used(used):
    """Written down from a read of the content: AWS modules (amazon.aws, community.aws), the DR drill's query
    (community.postgresql), drift's JSON callback (ansible.posix), the AWX objects (awx.awx). If the scanner
    stopped seeing one of these places, the comparison above would pass on a shrunken set."""
    assert {"amazon.aws", "community.aws", "community.postgresql", "ansible.posix", "awx.awx"} <= set(used)
    assert "playbooks/drift.yml" in used["ansible.posix"] and "playbooks/awx_configure.yml" in used["awx.awx"]


PLANTED = {
    "task": "- name: x\n  planted.bymodule.thing:\n    a: 1\n",
    "module_defaults": "- name: x\n  module_defaults:\n    group/planted.bygroup.aws: {}\n  ansible.builtin.debug:\n",
    "filter": "- name: x\n  ansible.builtin.debug:\n    msg: \"{{ [1] | planted.byfilter.thing }}\"\n",
    "test": "- name: x\n  ansible.builtin.debug:\n  when: a is not planted.bytest.thing\n",
    "lookup": "- name: x\n  ansible.builtin.debug:\n    msg: \"{{ query('planted.bylookup.thing') }}\"\n",
    "map": "- name: x\n  ansible.builtin.debug:\n    msg: \"{{ a | map('planted.bymap.thing', 'k') }}\"\n",
    "selectattr": "- name: x\n  ansible.builtin.debug:\n    msg: \"{{ a | selectattr('v.w', 'planted.byselect.thing') }}\"\n",
    "callback": "- name: x\n  ansible.builtin.command: ls\n  environment:\n    ANSIBLE_STDOUT_CALLBACK: planted.bycallback.json\n",
}


@pytest.mark.parametrize("where", sorted(PLANTED))
def test_a_planted_fqcn_is_reported_as_undeclared(tmp_path, where):
    """The comparison can fail: an FQCN of an undeclared collection planted in a role, in each kind of place."""
    tasks = tmp_path / "roles" / "probe" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "main.yml").write_text("---\n" + PLANTED[where])
    used = used_collections(tmp_path)
    planted = {c for c in used if c.startswith("planted.")}
    assert planted == {"planted.by" + re.search(r"planted\.by(\w+)", PLANTED[where])[1]}
    assert planted - set(_galaxy_dependencies()) and planted - set(_requirements())


def test_data_keys_that_look_like_fqcns_are_not_collections(tmp_path):
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "prices.yml").write_text("---\nprices:\n  db.t3.micro: 0.017\n")
    assert used_collections(tmp_path) == {}


MODULE = '''DOCUMENTATION = r"""
module: probe
options:
  principals:
    default:
      - ecs.amazonaws.com
extends_documentation_fragment:
  - planted.byfragment.common
  - amazon.aws.region.modules
"""
'''


def test_documentation_fragments_count_and_other_documentation_lists_do_not(tmp_path):
    """A module's extends_documentation_fragment entries are collections it needs; a service principal such as
    ecs.amazonaws.com listed elsewhere in its DOCUMENTATION is not."""
    (tmp_path / "plugins" / "modules").mkdir(parents=True)
    (tmp_path / "plugins" / "modules" / "probe.py").write_text(MODULE)
    assert set(used_collections(tmp_path)) == {"planted.byfragment", "amazon.aws"}
