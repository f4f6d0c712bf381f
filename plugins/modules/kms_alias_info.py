#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: kms_alias_info
version_added: 1.0.0
short_description: Resolve KMS aliases to the ARNs of the keys they point at
description:
  - Looks several KMS aliases up at once and returns, for each, the ARN and state of its key.
  - Costs one C(ListAliases) (paginated) for all the aliases and one C(DescribeKey) for each alias found.
    M(amazon.aws.kms_key_info) reads every matched key's policy, grants, rotation status and tags as well (six more
    calls a key, and the permissions for them), too much for the lookups every role makes on every run, which the
    no-op figure in docs/reliability.md counts.
  - A key pending deletion or disabled counts as missing, as it does for M(amazon.aws.kms_key_info), since no
    service can encrypt with it.
  - Read-only; runs the same in check mode.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  aliases:
    description:
      - The aliases, with or without the C(alias/) prefix, for example V(alias/life-world-os-production-rds).
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the keys the data tier encrypts with
  lifeworld.production.kms_alias_info:
    aliases:
      - alias/life-world-os-production-rds
      - alias/life-world-os-production-secrets
  register: keys

- name: Use the RDS key
  ansible.builtin.debug:
    msg: "{{ keys.key_arns['alias/life-world-os-production-rds'] }}"
  when: "'alias/life-world-os-production-rds' not in keys.missing"
"""

RETURN = r"""
key_arns:
  description: Each alias that points at a usable (enabled) key, spelt as given, mapped to the key's ARN.
  returned: always
  type: dict
  sample: {"alias/life-world-os-production-rds": "arn:aws:kms:us-east-1:123456789012:key/0b1f..."}
missing:
  description: The aliases, spelt as given, that do not exist or point at a key that is not enabled.
  returned: always
  type: list
  elements: str
  sample: ["alias/life-world-os-production-logs"]
keys:
  description: Each alias that exists, with its key's ID, ARN and state (whether usable or not).
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias as given.
      type: str
    key_id:
      description: The key's ID.
      type: str
    key_arn:
      description: The key's ARN.
      type: str
    key_state:
      description: The key's state, for example V(Enabled) or V(PendingDeletion).
      type: str
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry


@aws_retry()
def list_aliases(client):
    return client.get_paginator("list_aliases").paginate().build_full_result()["Aliases"]


@aws_retry()
def describe_key(client, key_id):
    return client.describe_key(KeyId=key_id)["KeyMetadata"]


def qualified(alias: str) -> str:
    return alias if alias.startswith("alias/") else "alias/" + alias


def resolve(client, aliases):
    targets = {a["AliasName"]: a.get("TargetKeyId") for a in list_aliases(client)}
    key_arns, missing, keys = {}, [], []
    for alias in aliases:
        key_id = targets.get(qualified(alias))
        if not key_id:  # absent, or an AWS-managed alias not yet bound to a key
            missing.append(alias)
            continue
        metadata = describe_key(client, key_id)
        keys.append({"alias": alias, "key_id": metadata["KeyId"], "key_arn": metadata["Arn"],
                     "key_state": metadata["KeyState"]})
        if metadata["KeyState"] == "Enabled":
            key_arns[alias] = metadata["Arn"]
        else:
            missing.append(alias)
    return key_arns, missing, keys


def main():
    module = AnsibleAWSModule(argument_spec=dict(aliases=dict(type="list", elements="str", required=True)),
                              supports_check_mode=True)
    client = module.client("kms")
    try:
        key_arns, missing, keys = resolve(client, module.params["aliases"])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not resolve the KMS aliases (needs kms:ListAliases and kms:DescribeKey)")
    module.exit_json(changed=False, key_arns=key_arns, missing=missing, keys=keys)


if __name__ == "__main__":
    main()
