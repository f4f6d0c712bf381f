# -*- coding: utf-8 -*-
"""The vault_password_files lookup: the running playbook's vault secrets as private files and --vault-id arguments
(playbooks/drift.yml hands them to its nested runs; tests/integration/test_drift_vault.py runs it as AWX does)."""

import stat

import pytest

from ansible.errors import AnsibleLookupError
from ansible.parsing.vault import VaultSecret
from ansible_collections.lifeworld.production.plugins.lookup.vault_password_files import vault_id_arguments


def test_each_secret_becomes_a_private_file_named_in_a_vault_id(tmp_path):
    secrets = [("default", VaultSecret(b"first")), ("prod/x", VaultSecret(b"second"))]
    arguments = vault_id_arguments(secrets, str(tmp_path))
    assert arguments[0::2] == ["--vault-id", "--vault-id"]
    labels_and_paths = [argument.split("@", 1) for argument in arguments[1::2]]
    assert [label for label, _path in labels_and_paths] == ["default", "prod/x"]
    contents = []
    for _label, path in labels_and_paths:
        assert path.startswith(str(tmp_path) + "/")
        assert stat.S_IMODE((tmp_path / path.rsplit("/", 1)[1]).stat().st_mode) == 0o600
        with open(path, "rb") as handle:
            contents.append(handle.read())
    assert contents == [b"first", b"second"]


def test_no_secret_gives_no_argument(tmp_path):
    assert vault_id_arguments([], str(tmp_path)) == []
    assert not list(tmp_path.iterdir())


def test_the_directory_must_exist(tmp_path):
    with pytest.raises(AnsibleLookupError, match="not a directory"):
        vault_id_arguments([("default", VaultSecret(b"x"))], str(tmp_path / "missing"))
