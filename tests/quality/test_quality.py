# -*- coding: utf-8 -*-
"""The collection's quality gates, run as tests so `make test` closes on one pytest summary:
ansible-lint (production profile), ansible-test sanity, and ansible-doc rendering of every module."""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# The site-packages directory whose ansible_collections/ holds amazon.aws and friends (from the ansible package).
SITE_COLLECTIONS = Path(sysconfig.get_paths()["purelib"])
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
# Files that are not part of the collection's content, left out of the sanity copy.
NOT_CONTENT = (".venv", ".venv-tools", ".git", ".collections", ".local-stack", ".pytest_cache", "artifacts")


def _env():
    env = dict(os.environ)
    env["PATH"] = "%s:%s" % (BIN, env.get("PATH", ""))
    env["ANSIBLE_COLLECTIONS_PATH"] = "%s:%s" % (REPO / ".collections", SITE_COLLECTIONS)
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env["NO_COLOR"] = "1"
    return env


def test_ansible_lint_production_profile_is_clean():
    proc = subprocess.run([str(BIN / "ansible-lint"), "--profile", "production", "--offline", "-q"],
                          cwd=REPO, env=_env(), capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders(module):
    proc = subprocess.run([str(BIN / "ansible-doc"), "lifeworld.production." + module], cwd=REPO, env=_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "EXAMPLES" in proc.stdout, proc.stderr[-2000:]


def _prime_ansible_test_pip_bootstrap():
    """ansible-test bootstraps pip into each sanity virtual environment with a get-pip.py it downloads from
    ci-files.testing.ansible.com, which machines without the internet cannot reach. When its cache holds no copy,
    tests/tools/ansible_test_get_pip.py goes there: it installs the interpreter's own pip wheel (ensurepip) and then
    the requested version from the configured index. A copy already there (the real one) is left alone."""
    from ansible_test._internal.python_requirements import get_venv_packages  # pylint: disable=import-outside-toplevel

    version = get_venv_packages(SimpleNamespace(version="%d.%d" % sys.version_info[:2]))["pip"]
    cached = Path.home() / ".ansible" / "test" / "cache" / ("get_pip_%s.py" % version.replace(".", "_"))
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "tests" / "tools" / "ansible_test_get_pip.py", cached)


# A group of its own (tests/conftest.py): sanity and ansible-lint are the two long tests here, and independent.
@pytest.mark.xdist_group("quality-sanity")
def test_ansible_test_sanity_has_no_errors(tmp_path):
    # ansible-test needs the tree laid out as ansible_collections/<ns>/<name>, with the collections we import
    # beside it.
    _prime_ansible_test_pip_bootstrap()
    root = tmp_path / "ansible_collections"
    shutil.copytree(REPO, root / "lifeworld" / "production", symlinks=True,
                    ignore=shutil.ignore_patterns(*NOT_CONTENT, "__pycache__"))
    for namespace in ("amazon", "community"):
        (root / namespace).symlink_to(SITE_COLLECTIONS / "ansible_collections" / namespace)
    proc = subprocess.run([str(BIN / "ansible-test"), "sanity", "--python", "%d.%d" % sys.version_info[:2], "--local"],
                          cwd=root / "lifeworld" / "production", env=_env(), capture_output=True, text=True,
                          timeout=1800, check=False)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-4000:]
