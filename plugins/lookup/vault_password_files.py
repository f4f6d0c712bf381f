# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vault_password_files
author:
  - Life World OS platform team (!UNKNOWN)
short_description: Hand the running playbook's vault secrets to a nested ansible-playbook
description:
  - Writes each vault secret the running C(ansible-playbook) holds (from C(--vault-id), C(--vault-password-file),
    C(--ask-vault-pass) or configuration) to a file of its own, mode 0600, in O(directory), and returns the
    C(--vault-id <label>@<file>) arguments that give a nested C(ansible-playbook) the same secrets.
  - AWX answers the vault prompt of a job (C(--ask-vault-pass)) from its vault credential, so the secret is only in
    the memory of the outer run; a nested run (C(playbooks/drift.yml)) could not decrypt the inventory without it.
  - The caller creates O(directory) (private, for example with M(ansible.builtin.tempfile)) and removes it after the
    nested run. Returns an empty list when the run holds no vault secret.
options:
  directory:
    description: Existing directory, private to this run, that receives one file per secret.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Private directory for the secrets
  ansible.builtin.tempfile:
    state: directory
  register: vault_dir

- name: Nested run with the same vault secrets
  ansible.builtin.command:
    argv: "{{ ['ansible-playbook', 'site.yml', '--check']
              + query('lifeworld.production.vault_password_files', directory=vault_dir.path) }}"
"""

RETURN = r"""
_raw:
  description: C(--vault-id) and C(<label>@<file>) pairs, flattened, ready to append to an argv.
  type: list
  elements: str
"""

import os
import re

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from ansible.parsing.vault import VaultSecretsContext
except ImportError:  # ansible-core < 2.19 keeps the secrets on the loader only
    VaultSecretsContext = None


def _secrets(loader):
    context = VaultSecretsContext.current(optional=True) if VaultSecretsContext else None
    if context is not None:
        return list(context.secrets)
    vault = getattr(loader, "_vault", None)
    return list(getattr(vault, "secrets", None) or [])


def vault_id_arguments(secrets, directory):
    """Write each (label, secret) to directory; the --vault-id arguments naming them."""
    if not os.path.isdir(directory):
        raise AnsibleLookupError("vault_password_files: %s is not a directory" % directory)
    arguments = []
    for index, (label, secret) in enumerate(secrets):
        data = secret.bytes
        if not data:
            continue
        path = os.path.join(directory, "%02d-%s" % (index, re.sub(r"[^A-Za-z0-9_.-]", "_", label)))
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        arguments += ["--vault-id", "%s@%s" % (label, path)]
    return arguments


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return vault_id_arguments(_secrets(self._loader), self.get_option("directory"))
