#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_automated_backup_replication
version_added: 1.0.0
short_description: Replicate an RDS instance's automated backups to another region
description:
  - Start or stop the cross-region replication of the automated backups (snapshots and transaction logs) of an
    RDS DB instance, so that it can be restored to a point in time in O(destination_region).
  - The source instance is in the module's region; the replication is managed in O(destination_region), as the
    AWS API requires. botocore pre-signs the cross-region request.
  - AWS cannot change the retention or the key of a running replication. When O(backup_retention_period) or
    O(kms_key_id) differs, the replication is stopped and started again; backups already replicated stay in
    O(destination_region) until their own retention expires.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  source_db_instance_identifier:
    description:
      - The identifier of the source DB instance, in the module's region.
    type: str
    required: true
  destination_region:
    description:
      - The region receiving the replicated backups.
    type: str
    required: true
  backup_retention_period:
    description:
      - Days the replicated backups are kept (1 to 35). AWS uses 7 when it is not set at creation.
    type: int
  kms_key_id:
    description:
      - The ARN of the KMS key in O(destination_region) that encrypts the replicated backups. Required for an
        encrypted source instance.
    type: str
  state:
    description:
      - Whether the replication should run.
    type: str
    choices: ['present', 'absent']
    default: present
notes:
  - Emulator gap - moto does not implement C(StartDBInstanceAutomatedBackupsReplication) nor
    C(StopDBInstanceAutomatedBackupsReplication); the unit tests script the real API with botocore's Stubber,
    which checks every request against the AWS service model.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Keep 7 days of the production database's backups in us-west-2
  lifeworld.production.rds_automated_backup_replication:
    source_db_instance_identifier: life-world-os-production-db
    destination_region: us-west-2
    backup_retention_period: 7
    kms_key_id: arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab

- name: Stop replicating
  lifeworld.production.rds_automated_backup_replication:
    source_db_instance_identifier: life-world-os-production-db
    destination_region: us-west-2
    state: absent
"""

RETURN = r"""
automated_backup:
  description: The replicated automated backup in O(destination_region); empty when there is none.
  returned: always
  type: dict
  contains:
    db_instance_automated_backups_arn:
      description: The ARN of the replicated backup.
      type: str
      sample: arn:aws:rds:us-west-2:123456789012:auto-backup:ab-abcdefghijklmnopqrstuvwxyz
    db_instance_arn:
      description: The ARN of the source instance.
      type: str
    backup_retention_period:
      description: Days the replicated backups are kept.
      type: int
      sample: 7
    kms_key_id:
      description: The key encrypting the replicated backups.
      type: str
    status:
      description: The status of the replication (for example V(replicating)).
      type: str
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.rds import AnsibleRDSError

from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.rds import describe_automated_backups
from ansible_collections.lifeworld.production.plugins.module_utils.rds import get_instance
from ansible_collections.lifeworld.production.plugins.module_utils.rds import start_backup_replication
from ansible_collections.lifeworld.production.plugins.module_utils.rds import stop_backup_replication

VIEW_KEYS = ("db_instance_arn", "backup_retention_period", "kms_key_id")


def view(backup):
    return {key: backup[key] for key in VIEW_KEYS if backup.get(key) is not None} if backup else {}


def current_replication(source, destination_client, destination_region):
    """The replicated backup of ``source`` in the destination region, or {}."""
    marker = f":rds:{destination_region}:"
    for replication in source.get("DBInstanceAutomatedBackupsReplications") or []:
        arn = replication.get("DBInstanceAutomatedBackupsArn", "")
        if marker in arn:
            found = describe_automated_backups(destination_client, DBInstanceAutomatedBackupsArn=arn)
            backup = found[0] if found else {"DBInstanceAutomatedBackupsArn": arn}
            return camel_dict_to_snake_dict(backup)
    return {}


def main():
    argument_spec = dict(
        source_db_instance_identifier=dict(type="str", required=True),
        destination_region=dict(type="str", required=True),
        backup_retention_period=dict(type="int"),
        kms_key_id=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    retention = params["backup_retention_period"]
    if retention is not None and not 1 <= retention <= 35:
        module.fail_json(msg="backup_retention_period must be between 1 and 35 days")
    if params["destination_region"] == module.region:
        module.fail_json(msg=f"destination_region must differ from the source region {module.region}")

    source_client = module.client("rds")
    destination_client = module.client("rds", region=params["destination_region"])
    try:
        source = get_instance(source_client, params["source_db_instance_identifier"])
        if source is None:
            if params["state"] == "absent":
                exit_with_result(module, False, diff=build_diff({}, {}), automated_backup={})
            module.fail_json(msg=f"DB instance {params['source_db_instance_identifier']} not found in {module.region}")
        current = current_replication(source, destination_client, params["destination_region"])

        if params["state"] == "absent":
            if not current:
                exit_with_result(module, False, diff=build_diff({}, {}), automated_backup={})
            if not module.check_mode:
                stop_backup_replication(destination_client, source["DBInstanceArn"])
            exit_with_result(module, True, diff=build_diff(view(current), {}), automated_backup={})

        after = dict(view(current), db_instance_arn=source["DBInstanceArn"])
        for key in ("backup_retention_period", "kms_key_id"):
            if params[key] is not None:
                after[key] = params[key]
        changed = view(current) != view(after)
        diff = build_diff(view(current), view(after))
        if module.check_mode or not changed:
            exit_with_result(module, changed, diff=diff, automated_backup=current or after)

        if current:
            # Neither retention nor key can be modified in place.
            stop_backup_replication(destination_client, source["DBInstanceArn"])
        request = {"SourceDBInstanceArn": source["DBInstanceArn"], "SourceRegion": module.region}
        if retention is not None:
            request["BackupRetentionPeriod"] = retention
        if params["kms_key_id"]:
            request["KmsKeyId"] = params["kms_key_id"]
        started = camel_dict_to_snake_dict(start_backup_replication(destination_client, **request))
        exit_with_result(module, True, diff=diff, automated_backup=started)
    except AnsibleRDSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
