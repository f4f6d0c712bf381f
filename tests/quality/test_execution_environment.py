# -*- coding: utf-8 -*-
"""execution-environment.yml: ansible-builder 3 writes a build context from it (no container engine needed), and
the dependencies it declares are the collection's own (requirements.yml, requirements.txt pins)."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BUILDER = Path(sys.executable).parent / "ansible-builder"


def _pins(text):
    return {re.split(r"[=<>\[ ]", line, 1)[0].lower(): line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")}


def test_ansible_builder_creates_a_build_context(tmp_path):
    assert BUILDER.exists(), "ansible-builder is missing: pip install -r requirements-test.txt"
    context = tmp_path / "context"
    proc = subprocess.run([str(BUILDER), "create", "-f", "execution-environment.yml", "-c", str(context),
                           "--output-filename", "Containerfile"], cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    assert 'EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile
    assert "ansible-core==2.19.14" in containerfile and "ansible-runner==2.4.3" in containerfile
    build = context / "_build"
    assert yaml.safe_load((build / "requirements.yml").read_text()) == yaml.safe_load((REPO / "requirements.yml").read_text())
    bindep = (build / "bindep.txt").read_text()
    assert "postgresql-client [platform:dpkg]" in bindep and "graphviz" in bindep
    assert "boto3==" in (build / "requirements.txt").read_text()


def test_ee_python_pins_are_those_of_requirements_txt():
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    assert ee["version"] == 3
    repo_pins = _pins((REPO / "requirements.txt").read_text())
    for line in ee["dependencies"]["python"]:
        name = re.split(r"[=<>\[ ]", line, 1)[0].lower()
        assert repo_pins.get(name) == line, "%s differs from requirements.txt (%s)" % (line, repo_pins.get(name))
    # The run-time subset only: no test or lint tools in the image.
    assert not {"pytest", "moto", "ansible-lint"} & {re.split(r"[=<>\[ ]", l, 1)[0] for l in ee["dependencies"]["python"]}
    core = re.search(r"ansible-core==([\d.]+)", ee["dependencies"]["ansible_core"]["package_pip"])[1]
    from ansible.release import __version__
    assert core == __version__, "the EE's ansible-core should be the one the collection is tested with"
