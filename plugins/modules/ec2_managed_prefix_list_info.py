#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_managed_prefix_list_info
version_added: 1.1.0
short_description: Find managed prefix lists (AWS-managed or our own) by name
description:
  - Resolves prefix-list names, for example V(com.amazonaws.us-east-1.route53-healthchecks), to their ids, for use
    as a security-group rule source (C(ip_prefix) of M(amazon.aws.ec2_security_group)).
  - No amazon.aws or community.aws module reads managed prefix lists.
  - A name no prefix list has is reported in RV(missing) (the module does not fail, the caller decides).
  - The moto emulator has none of AWS's service prefix lists except S3 and DynamoDB; tests create the one they
    need as AWS provides it.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  names:
    description: The prefix-list names to resolve.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The addresses Route 53 health checkers connect from
  lifeworld.production.ec2_managed_prefix_list_info:
    names: [com.amazonaws.us-east-1.route53-healthchecks]
  register: prefix_lists
"""

RETURN = r"""
prefix_list_ids:
  description: Name to prefix-list id, for the names found.
  returned: always
  type: dict
  sample: {"com.amazonaws.us-east-1.route53-healthchecks": "pl-0123456789abcdef0"}
missing:
  description: The names no prefix list has.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry


class PrefixListErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error


@PrefixListErrorHandler.common_error_handler("describe managed prefix lists")
@aws_retry()
def describe_by_names(client, names):
    paginator = client.get_paginator("describe_managed_prefix_lists")
    filters = [{"Name": "prefix-list-name", "Values": list(names)}]
    return paginator.paginate(Filters=filters).build_full_result()["PrefixLists"]


def main():
    module = AnsibleAWSModule(argument_spec=dict(names=dict(type="list", elements="str", required=True)),
                              supports_check_mode=True)
    client = module.client("ec2")
    names = list(dict.fromkeys(module.params["names"]))
    try:
        found = {pl["PrefixListName"]: pl["PrefixListId"] for pl in describe_by_names(client, names)
                 if pl.get("State", "create-complete") not in ("delete-in-progress", "delete-complete")} if names else {}
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, prefix_list_ids=found, missing=[name for name in names if name not in found])


if __name__ == "__main__":
    main()
