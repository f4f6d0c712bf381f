#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: wafv2_logging_configuration
version_added: 1.0.0
short_description: Set where a WAFv2 web ACL logs its requests, with secret headers redacted
description:
  - Sets the logging configuration of a WAFv2 web ACL (C(PutLoggingConfiguration)) - its log destination and the
    request headers WAF replaces with C(REDACTED) in every record - or removes it.
  - "AWS requires the destination's name (CloudWatch Logs group, S3 bucket or Firehose stream) to start with
    C(aws-waf-logs-): the module refuses another name before any call."
  - The module owns the redacted fields; they are given as header names (C(SingleHeader)) and compared without
    case, as WAF stores them in lower case. A logging filter set elsewhere is kept.
  - No amazon.aws or community.aws module manages WAFv2 logging. Tested against moto, which implements
    C(Put/Get/DeleteLoggingConfiguration) (it does not check the destination's name or existence; AWS does).
author:
  - Life World OS platform team (!UNKNOWN)
options:
  state:
    description: Whether the web ACL logs (V(present)) or not (V(absent)).
    type: str
    choices: ['present', 'absent']
    default: present
  web_acl_arn:
    description: The ARN of the web ACL.
    type: str
    required: true
  log_destination_configs:
    description:
      - The ARN of the destination (one, as AWS allows) - a CloudWatch Logs group
        (C(arn:aws:logs:<region>:<account>:log-group:aws-waf-logs-...), without C(:*)), an S3 bucket or a
        Firehose stream. Required with O(state=present).
    type: list
    elements: str
  redacted_headers:
    description:
      - Request headers whose values WAF writes as C(REDACTED), for example C(authorization) and C(cookie), so that
        credentials and session tokens never reach the logs.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - "IAM permissions: wafv2:GetLoggingConfiguration, wafv2:PutLoggingConfiguration,
    wafv2:DeleteLoggingConfiguration; for a CloudWatch Logs destination also logs:CreateLogDelivery,
    logs:DeleteLogDelivery, logs:PutResourcePolicy and logs:DescribeResourcePolicies (WAF adds the log group's
    resource policy for delivery.logs.amazonaws.com itself)."
"""

EXAMPLES = r"""
- name: Log the web ACL's requests to its log group, without credentials
  lifeworld.production.wafv2_logging_configuration:
    web_acl_arn: "{{ acl.arn }}"
    log_destination_configs:
      - arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-life-world-os-production
    redacted_headers: [authorization, cookie]
"""

RETURN = r"""
logging_configuration:
  description: The logging configuration after the change (in check mode, as it would be); empty when absent.
  returned: always
  type: dict
  sample:
    resource_arn: arn:aws:wafv2:us-east-1:123456789012:regional/webacl/life-world-os-production-web-acl/0f0e
    log_destination_configs: [arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-life-world-os-production]
    redacted_fields: [{single_header: {name: authorization}}, {single_header: {name: cookie}}]
"""

import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode
from ansible_collections.lifeworld.production.plugins.module_utils.wafv2 import AnsibleWAFv2Error
from ansible_collections.lifeworld.production.plugins.module_utils.wafv2 import delete_logging_configuration
from ansible_collections.lifeworld.production.plugins.module_utils.wafv2 import get_logging_configuration
from ansible_collections.lifeworld.production.plugins.module_utils.wafv2 import put_logging_configuration

PREFIX = "aws-waf-logs-"
# The name part of a destination ARN: a log group, an S3 bucket, a Firehose delivery stream.
DESTINATION_NAME = re.compile(r"(?::log-group:|:::|:deliverystream/)([^:/]+)")


def destination_problems(arns):
    problems = []
    for arn in arns:
        match = DESTINATION_NAME.search(arn)
        if not match:
            problems.append("%s is not a CloudWatch Logs group, S3 bucket or Firehose stream ARN" % arn)
        elif not match.group(1).startswith(PREFIX):
            problems.append("%s: AWS requires the name to start with %s" % (arn, PREFIX))
    return problems


def redacted_headers(configuration):
    """The header names a configuration redacts, in lower case and sorted (other field kinds are not headers)."""
    return sorted({(field.get("SingleHeader") or {}).get("Name", "").lower()
                   for field in configuration.get("RedactedFields") or [] if "SingleHeader" in field})


def view(configuration):
    """What the module compares and shows in the diff."""
    if not configuration:
        return {}
    return {"log_destination_configs": list(configuration.get("LogDestinationConfigs") or []),
            "redacted_headers": redacted_headers(configuration)}


def desired(params, current):
    configuration = {
        "ResourceArn": params["web_acl_arn"],
        "LogDestinationConfigs": params["log_destination_configs"],
        "RedactedFields": [{"SingleHeader": {"Name": name.lower()}} for name in sorted(set(params["redacted_headers"]))],
    }
    # PutLoggingConfiguration replaces the whole configuration: keep a filter someone set on purpose.
    if current and current.get("LoggingFilter"):
        configuration["LoggingFilter"] = current["LoggingFilter"]
    return configuration


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        web_acl_arn=dict(type="str", required=True),
        log_destination_configs=dict(type="list", elements="str"),
        redacted_headers=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["log_destination_configs"])],
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "present":
        problems = destination_problems(params["log_destination_configs"])
        if len(params["log_destination_configs"]) != 1:
            problems.append("log_destination_configs: WAF takes exactly one destination, got %d"
                            % len(params["log_destination_configs"]))
        if problems:
            module.fail_json(msg="; ".join(problems))

    client = module.client("wafv2")
    try:
        current = get_logging_configuration(client, params["web_acl_arn"])
        if params["state"] == "absent":
            changed, after = bool(current), {}
            if changed:
                unless_check_mode(module, delete_logging_configuration, client, params["web_acl_arn"])
        else:
            after = desired(params, current)
            changed = view(current) != view(after)
            if changed:
                after = unless_check_mode(module, put_logging_configuration, client, after) or after
            else:
                after = current
    except AnsibleWAFv2Error as e:
        module.fail_json_aws_error(e)

    exit_with_result(module, changed, diff=build_diff(view(current), view(after)),
                     logging_configuration=camel_dict_to_snake_dict(after or {}))


if __name__ == "__main__":
    main()
