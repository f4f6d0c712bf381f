#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatchlogs_log_group_kms
version_added: 1.0.0
short_description: Set the KMS key of an existing CloudWatch Logs log group
description:
  - Associates a KMS key with an existing log group (AssociateKmsKey), or removes it (DisassociateKmsKey).
  - M(amazon.aws.cloudwatchlogs_log_group) only sets a key when it creates a group. A group that a service created
    first (RDS creates its log-export groups itself) keeps no key; this module fixes that without recreating the
    group and losing its logs. Data already stored stays as it was; new events are encrypted with the key.
  - In check mode nothing is changed; the diff shows the key before and after.
  - The moto emulator does not implement these APIs; the module's tests use botocore's Stubber, which checks every
    call against the AWS API model.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  log_group_name:
    description: The log group; it must exist (except in check mode, where a missing group is reported unchanged).
    type: str
    required: true
  kms_key_id:
    description:
      - ARN of the KMS key that encrypts the group. An empty string removes the key.
      - The key policy must let C(logs.<region>.amazonaws.com) use the key for this log group.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Encrypt the RDS export group that RDS created itself
  lifeworld.production.cloudwatchlogs_log_group_kms:
    log_group_name: /aws/rds/instance/life-world-os-production-db/postgresql
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/0c3f8b1e-5d7a-4a43-9a59-3d2f1c0e9a11
"""

RETURN = r"""
kms_key_id:
  description: The group's key after the run; empty when none.
  returned: always
  type: str
  sample: arn:aws:kms:us-east-1:123456789012:key/0c3f8b1e-5d7a-4a43-9a59-3d2f1c0e9a11
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatchlogs import AnsibleCloudWatchLogsError
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatchlogs import associate_kms_key
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatchlogs import disassociate_kms_key
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatchlogs import get_log_group
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode


def main():
    argument_spec = dict(
        log_group_name=dict(type="str", required=True),
        kms_key_id=dict(type="str", required=True, no_log=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    name, wanted = module.params["log_group_name"], module.params["kms_key_id"]
    client = module.client("logs")

    try:
        group = get_log_group(client, name)
        if group is None:
            if module.check_mode:
                exit_with_result(module, False, kms_key_id="", msg=f"log group {name} does not exist yet")
            module.fail_json(msg=f"log group {name} does not exist")
        current = group.get("kmsKeyId") or ""
        changed = current != wanted
        if changed and wanted:
            unless_check_mode(module, associate_kms_key, client, name, wanted)
        elif changed:
            unless_check_mode(module, disassociate_kms_key, client, name)
    except AnsibleCloudWatchLogsError as e:
        module.fail_json_aws_error(e)

    exit_with_result(module, changed, diff={"before": {"kms_key_id": current}, "after": {"kms_key_id": wanted}},
                     kms_key_id=wanted)


if __name__ == "__main__":
    main()
