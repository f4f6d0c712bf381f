#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: secretsmanager_secret_info
version_added: 1.0.0
short_description: Read a Secrets Manager secret's metadata (never its value)
description:
  - Returns the ARN, KMS key, rotation configuration and tags of one secret, found by name or ARN.
  - The secret value is never read, so the caller needs only C(secretsmanager:DescribeSecret).
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description:
      - The name or ARN of the secret.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the database master secret's ARN
  lifeworld.production.secretsmanager_secret_info:
    name: life-world-os/production/db-master
  register: db_master

- name: Use it
  ansible.builtin.debug:
    msg: "{{ db_master.secret.arn }}"
  when: db_master.exists
"""

RETURN = r"""
exists:
  description: Whether the secret exists (a secret scheduled for deletion counts as missing).
  returned: always
  type: bool
secret:
  description: The secret's metadata; empty when it does not exist. Same keys as M(lifeworld.production.secretsmanager_secret).
  returned: always
  type: dict
  sample: {"arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:life-world-os/production/db-master-AbCdEf"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.secretsmanager import AnsibleSecretsManagerError
from ansible_collections.lifeworld.production.plugins.module_utils.secretsmanager import describe_secret
from ansible_collections.lifeworld.production.plugins.module_utils.secretsmanager import normalize


def main():
    module = AnsibleAWSModule(argument_spec=dict(name=dict(type="str", required=True)), supports_check_mode=True)
    client = module.client("secretsmanager")
    try:
        secret = describe_secret(client, module.params["name"])
    except AnsibleSecretsManagerError as e:
        module.fail_json_aws_error(e)
    if secret and secret.get("DeletedDate"):
        secret = None
    module.exit_json(changed=False, exists=secret is not None, secret=normalize(secret))


if __name__ == "__main__":
    main()
