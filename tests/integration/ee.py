# -*- coding: utf-8 -*-
"""The execution environment without a container engine: a virtual environment holding exactly what
execution-environment.yml puts in the image, and nothing of the development venv.

- Python: a `python -m venv` of the base interpreter (no system site-packages), then pip installs exactly the
  ansible_core, ansible_runner and python entries of execution-environment.yml (and what they depend on).
- Collections: those requirements.yml names (the EE's `galaxy:`), copied out of the `ansible` package of the
  development venv (Galaxy is not reachable here) into a private collections directory; their versions must satisfy
  requirements.yml. This collection comes with the project checkout, as in AWX (.collections/ links its root).
- System packages (bindep: pg_dump, psql, dot) are the machine's own: the base image's job.

Jobs then run through the EE's own ansible-runner (harness.run_through_runner(..., ee=...)) with PATH, the Python
path and the collections path reaching nothing else.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[2]
DEV_COLLECTIONS = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def definition() -> dict:
    return yaml.safe_load((REPO / "execution-environment.yml").read_text())


def pip_requirements() -> list[str]:
    """The pip requirements of the image, as execution-environment.yml lists them."""
    dependencies = definition()["dependencies"]
    return [dependencies["ansible_core"]["package_pip"], dependencies["ansible_runner"]["package_pip"],
            *dependencies["python"]]


def galaxy_requirements() -> list[dict]:
    return yaml.safe_load((REPO / definition()["dependencies"]["galaxy"]).read_text())["collections"]


@dataclasses.dataclass
class ExecutionEnvironment:
    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "venv" / "bin"

    @property
    def runner(self) -> Path:
        return self.bin / "ansible-runner"

    @property
    def collections(self) -> Path:
        return self.root / "collections"

    def environment(self, project: Path) -> dict:
        """What a job sees besides its credentials: the EE's programs first, its collections and the project's."""
        return {"PATH": "%s:%s" % (self.bin, SYSTEM_PATH),
                "ANSIBLE_COLLECTIONS_PATH": "%s:%s" % (project / ".collections", self.collections),
                "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"}

    def python(self, code: str) -> str:
        return subprocess.run([str(self.bin / "python"), "-c", code], capture_output=True, text=True, check=True,
                              timeout=120).stdout

    def installed(self) -> dict:
        """name -> version of every distribution in the EE venv."""
        listing = subprocess.run([str(self.bin / "python"), "-m", "pip", "list", "--format", "json",
                                  "--disable-pip-version-check"], capture_output=True, text=True, check=True,
                                 timeout=300).stdout
        return {entry["name"].lower(): entry["version"] for entry in json.loads(listing)}


def build(root: Path) -> ExecutionEnvironment:
    ee = ExecutionEnvironment(root)
    # sys._base_executable: the interpreter the development venv was made from, not the venv itself.
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(root / "venv")], check=True, capture_output=True, timeout=300)
    proc = subprocess.run([str(ee.bin / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                           *pip_requirements()], capture_output=True, text=True, timeout=1800, check=False)
    assert proc.returncode == 0, "pip install of the EE's packages failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:]
    for requirement in galaxy_requirements():
        namespace, name = requirement["name"].split(".")
        source = DEV_COLLECTIONS / namespace / name
        version = json.loads((source / "MANIFEST.json").read_text())["collection_info"]["version"]
        assert version in SpecifierSet(requirement.get("version", ">=0")), (requirement, version)
        target = ee.collections / "ansible_collections" / namespace / name
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-a", str(source), str(target)], check=True, timeout=300)
    return ee
