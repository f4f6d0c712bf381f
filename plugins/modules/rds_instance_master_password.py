#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_instance_master_password
version_added: 1.1.0
short_description: Let RDS manage (and rotate) the master password of a DB instance in Secrets Manager
description:
  - Turns on C(ManageMasterUserPassword) on an existing DB instance, with the secret encrypted by O(kms_key_id).
    RDS then keeps the master password in a secret of its own (C(rds!db-...), JSON C(username) and C(password))
    and rotates it itself (every 7 days by default), with no rotation Lambda to deploy and no network path to the
    database to open for one.
  - Fills a gap of M(amazon.aws.rds_instance) 10.x, which has no option for it.
  - An instance whose password RDS already manages with that key is left alone; another key is switched to.
  - In check mode nothing is changed; the diff shows the before and after setting.
  - The switch is applied immediately; the old password stops working once the instance has applied it.
  - The moto emulator models the managed secret (it exists, C(SecretStatus) C(creating) then C(active)) but not
    the rotation; the module's tests run against it.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  db_instance_identifier:
    description: The DB instance.
    type: str
    required: true
  kms_key_id:
    description:
      - The KMS key (ARN, id or alias) that encrypts the managed secret. Compared with what RDS reports (an ARN),
        so give the ARN for idempotence.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: RDS manages and rotates the master password, in a secret encrypted with our key
  lifeworld.production.rds_instance_master_password:
    db_instance_identifier: life-world-os-production-db
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
"""

RETURN = r"""
master_user_secret:
  description: The managed secret (empty in check mode before it exists).
  returned: always
  type: dict
  contains:
    secret_arn:
      description: The secret's ARN, which the application reads (keys C(username) and C(password)).
      type: str
      sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123abcd-AbCdEf
    secret_status:
      description: C(creating), C(active), C(rotating) or C(impaired).
      type: str
      sample: active
    kms_key_id:
      description: The key that encrypts it.
      type: str
      sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
"""

from typing import Any
from typing import Dict

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.rds import AnsibleRDSError

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry
from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.rds import InstanceErrorHandler
from ansible_collections.lifeworld.production.plugins.module_utils.rds import get_instance


@InstanceErrorHandler.common_error_handler("let RDS manage the master password")
@aws_retry(["InvalidDBInstanceState"])
def manage_master_password(client, identifier: str, kms_key_id: str) -> Dict[str, Any]:
    # InvalidDBInstanceState: an instance still being created or modified refuses the change for a while.
    return client.modify_db_instance(
        DBInstanceIdentifier=identifier, ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=kms_key_id,
        ApplyImmediately=True,
    )["DBInstance"]


def setting(instance: Dict[str, Any]) -> Dict[str, Any]:
    secret = instance.get("MasterUserSecret") or {}
    return {"managed": bool(secret.get("SecretArn")), "kms_key_id": secret.get("KmsKeyId", "")}


def main():
    argument_spec = dict(
        db_instance_identifier=dict(type="str", required=True),
        kms_key_id=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("rds")
    identifier, kms_key_id = module.params["db_instance_identifier"], module.params["kms_key_id"]
    try:
        instance = get_instance(client, identifier)
        if instance is None:
            module.fail_json(msg=f"DB instance {identifier} does not exist")
        before = setting(instance)
        after = {"managed": True, "kms_key_id": kms_key_id}
        changed = before != after
        if changed and not module.check_mode:
            instance = manage_master_password(client, identifier, kms_key_id)
    except AnsibleRDSError as e:
        module.fail_json_aws_error(e)
    secret = camel_dict_to_snake_dict(instance.get("MasterUserSecret") or {})
    exit_with_result(module, changed, diff=build_diff(before, after), master_user_secret=secret)


if __name__ == "__main__":
    main()
