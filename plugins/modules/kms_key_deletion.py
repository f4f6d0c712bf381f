#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: kms_key_deletion
version_added: 1.0.0
short_description: Schedule the deletion of the KMS keys behind some aliases, and remove the aliases
description:
  - For each alias that points at a key, schedules the key's deletion after O(pending_window) days
    (C(ScheduleKeyDeletion)), then deletes the alias (C(DeleteAlias)), so a later build can create the alias again
    on a new key. Until the window ends the key can be recovered with C(CancelKeyDeletion); it keeps its tags
    (the kms role's C(Name) tag names the alias it had).
  - An alias that does not exist is already done; a key already pending deletion is left as it is.
  - M(amazon.aws.kms_key) with O(amazon.aws.kms_key#module:state=absent) passes the key's ARN to
    C(ScheduleKeyDeletion), which the emulator (moto 5.2.5) answers with an HTTP 500 (it looks the ARN up as an
    ID); this module passes the key ID, which AWS and the emulator both accept, and removes the alias, which
    M(amazon.aws.kms_key) leaves behind.
  - Check mode reports what would be scheduled and removed; diff shows the aliases before and after.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  aliases:
    description:
      - The aliases, with or without the C(alias/) prefix.
    type: list
    elements: str
    required: true
  pending_window:
    description:
      - Days (7 to 30) before KMS deletes the keys.
    type: int
    default: 30
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Schedule the environment's keys for deletion in a week
  lifeworld.production.kms_key_deletion:
    aliases: [life-world-os-staging-rds, life-world-os-staging-secrets, life-world-os-staging-logs]
    pending_window: 7
"""

RETURN = r"""
scheduled:
  description: The aliases whose key was scheduled for deletion by this run (would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["alias/life-world-os-staging-rds"]
removed_aliases:
  description: The aliases deleted by this run (would be, in check mode).
  returned: always
  type: list
  elements: str
keys:
  description: The keys the aliases pointed at, with their ID and the date KMS deletes them.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias, with the C(alias/) prefix.
      type: str
    key_id:
      description: The key's ID.
      type: str
    deletion_date:
      description: When KMS deletes the key (absent in check mode for a key not yet scheduled).
      type: str
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


@AWSRetry.jittered_backoff()
def describe_alias(client, alias):
    """The key an alias points at (DescribeKey takes an alias name), or None when the alias does not exist."""
    try:
        return client.describe_key(KeyId=alias)["KeyMetadata"]
    except is_boto3_error_code("NotFoundException"):
        return None


@AWSRetry.jittered_backoff()
def schedule_key_deletion(client, key_id, days):
    return client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)


@AWSRetry.jittered_backoff()
def delete_alias(client, alias):
    client.delete_alias(AliasName=alias)


def qualified(alias: str) -> str:
    return alias if alias.startswith("alias/") else "alias/" + alias


def plan(client, aliases):
    """[(alias, key metadata)] for the aliases that exist and point at a key."""
    found = [(alias, describe_alias(client, alias)) for alias in (qualified(a) for a in aliases)]
    return [(alias, key) for alias, key in found if key]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(aliases=dict(type="list", elements="str", required=True),
                           pending_window=dict(type="int", default=30)),
        supports_check_mode=True,
    )
    days = module.params["pending_window"]
    if not 7 <= days <= 30:
        module.fail_json(msg="pending_window must be between 7 and 30 days, got %d" % days)
    client = module.client("kms")
    scheduled, removed, keys = [], [], []
    try:
        for alias, key in plan(client, module.params["aliases"]):
            entry = {"alias": alias, "key_id": key["KeyId"]}
            if key.get("DeletionDate"):
                entry["deletion_date"] = str(key["DeletionDate"])
            if key["KeyState"] != "PendingDeletion":
                scheduled.append(alias)
                if not module.check_mode:
                    entry["deletion_date"] = str(schedule_key_deletion(client, key["KeyId"], days)["DeletionDate"])
            # The alias goes only once its key is scheduled, so a failure never leaves a live key without a name.
            removed.append(alias)
            if not module.check_mode:
                delete_alias(client, alias)
            keys.append(entry)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not schedule the keys' deletion (needs kms:DescribeKey, "
                                    "kms:ScheduleKeyDeletion, kms:DeleteAlias)")
    module.exit_json(changed=bool(removed), scheduled=scheduled, removed_aliases=removed, keys=keys,
                     diff={"before": {"aliases": removed}, "after": {"aliases": []}})


if __name__ == "__main__":
    main()
