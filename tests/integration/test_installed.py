# -*- coding: utf-8 -*-
"""The collection as people get it: `ansible-galaxy collection build`, installed into a clean collections path (the
tarball there, its dependencies from the venv's `ansible` package; never the checkout's .collections link), then
used from outside the checkout:

- `ansible-playbook lifeworld.production.site` with the inventory the collection ships, run for the tags keys,
  network and security (`--tags network,security`: a whole site takes minutes on its own; the other tiers run the
  same way through their playbooks, and the whole site is built from the checkout by the `site` group);
- a user's own three-line playbook with one role and only inventory variables, on an environment of its own; the
  AWS endpoint is an inventory variable only (not in the process environment, where boto3 would find it without
  the role), so the run proves the role hands its connection to its modules itself.
"""

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest

from .harness import REPO, PlaybookRun

BIN = Path(sys.executable).parent
USER_PLAYBOOK = """- hosts: aws
  gather_facts: false
  roles: [lifeworld.production.vpc]
"""


def _run(args, env, cwd, timeout=1800):
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    return PlaybookRun(args=args, rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    build = _run([BIN / "ansible-galaxy", "collection", "build", "--output-path", out, REPO], dict(os.environ), out)
    assert build.rc == 0, build.tail()
    (path,) = out.glob("lifeworld-production-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """A collections path holding only the installed tarball, and the environment that sees it plus the venv's
    collections (amazon.aws, community.aws, community.postgresql), run from a directory outside the checkout
    with an empty ansible.cfg, so nothing of the checkout is on any path."""
    home = tmp_path_factory.mktemp("installed")
    collections = home / "collections"
    cfg = home / "ansible.cfg"
    cfg.write_text("[defaults]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env.update({"ANSIBLE_CONFIG": str(cfg), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_DEPRECATION_WARNINGS": "0",
                "ANSIBLE_COLLECTIONS_PATH": "%s:%s" % (collections, sysconfig.get_paths()["purelib"]),
                "ANSIBLE_HOME": str(home / ".ansible"), "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing"})
    install = _run([BIN / "ansible-galaxy", "collection", "install", tarball, "-p", collections, "--no-deps"],
                   env, home)
    assert install.rc == 0, install.tail()
    return home, collections / "ansible_collections" / "lifeworld" / "production", env


def test_tarball_holds_no_tests_venv_local_state_or_vcs(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "MANIFEST.json" in names and "roles/vpc/tasks/main.yml" in names and "playbooks/site.yml" in names
    junk = [n for n in names
            if n.split("/")[0] in {"tests", ".venv", ".local-stack", ".collections", ".git", ".ci", "artifacts"}
            or "__pycache__" in n or n.endswith((".pyc", ".tar.gz"))]
    assert junk == []


def test_only_the_installed_copy_is_on_the_path(installed):
    home, root, env = installed
    listed = _run([BIN / "ansible-galaxy", "collection", "list", "lifeworld.production", "--format", "json"],
                  env, home)
    assert listed.rc == 0, listed.tail()
    assert list(json.loads(listed.stdout)) == [str(root.parent.parent)]


def test_collection_site_playbook_converges_from_the_installed_collection(installed, scratch_emulator):
    home, root, env = installed
    scratch_emulator.reset()
    run = _run([BIN / "ansible-playbook", "-i", root / "inventories" / "local", "lifeworld.production.site",
                "--tags", "network,security"], dict(env, **scratch_emulator.aws_env), home)
    assert run.rc == 0, run.tail()
    assert run.recap["failed"] == 0 and run.changed > 0
    names = [v["Tags"] for v in scratch_emulator.client("ec2").describe_vpcs()["Vpcs"] if v.get("Tags")]
    assert {"Key": "Name", "Value": "life-world-os-local-vpc"} in sum(names, [])


def test_users_own_playbook_with_one_role_and_only_inventory_variables_converges(installed, scratch_emulator):
    home, _root, env = installed
    user = home / "user"
    user.mkdir()
    (user / "site.yml").write_text(USER_PLAYBOOK)
    (user / "hosts.yml").write_text(json.dumps({"all": {
        "children": {"aws": {"hosts": {"localhost": {}}}},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "lifeworld_project": "installed", "lifeworld_environment": "user",
                 "lifeworld_aws_region": "us-east-1", "lifeworld_aws_endpoint_url": scratch_emulator.endpoint,
                 "vpc_cidr": "10.77.0.0/16",
                 "vpc_public_subnet_cidrs": ["10.77.0.0/24", "10.77.1.0/24"],
                 "vpc_private_subnet_cidrs": ["10.77.10.0/24", "10.77.11.0/24"],
                 "vpc_isolated_subnet_cidrs": ["10.77.20.0/24", "10.77.21.0/24"]}}}))
    assert not any(k.startswith("AWS_") and k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") for k in env)
    first = _run([BIN / "ansible-playbook", "-i", "hosts.yml", "site.yml"], env, user)
    assert first.rc == 0, first.tail()
    second = _run([BIN / "ansible-playbook", "-i", "hosts.yml", "site.yml"], env, user)
    assert second.rc == 0, second.tail()
    assert second.changed == 0, second.changed_tasks()
    vpcs = scratch_emulator.client("ec2").describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": ["installed-user-vpc"]}])["Vpcs"]
    assert [v["CidrBlock"] for v in vpcs] == ["10.77.0.0/16"]
