#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: xray_sampling_rule
version_added: 1.0.0
short_description: Manage an AWS X-Ray sampling rule
description:
  - Create, update or delete an X-Ray sampling rule, found by its name, and its tags.
  - A request matches the rule when every matcher (service name and type, host, HTTP method, URL path, resource
    ARN, attributes) matches; X-Ray then records O(reservoir_size) requests per second and O(fixed_rate) of the
    rest. Rules are applied in O(priority) order (lowest first).
  - In check mode nothing is changed; the diff shows the before and after rule.
  - The moto emulator does not route the X-Ray sampling-rule API; the module's tests use botocore's Stubber, which
    checks every call against the AWS API model.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description: The rule's name (up to 32 characters).
    type: str
    required: true
    aliases: ['rule_name']
  state:
    description: Whether the rule should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  priority:
    description: Order of evaluation, 1 (first) to 9999. Required to create a rule.
    type: int
  fixed_rate:
    description: Share (0 to 1) of matching requests sampled after the reservoir is used. Required to create a rule.
    type: float
  reservoir_size:
    description: Matching requests per second recorded before O(fixed_rate) applies. Required to create a rule.
    type: int
  service_name:
    description: Matches the service name (wildcards C(*) and C(?)). Defaults to V(*) on creation.
    type: str
  service_type:
    description: Matches the service type, for example V(AWS::ECS::Container). Defaults to V(*) on creation.
    type: str
  host:
    description: Matches the request's host name. Defaults to V(*) on creation.
    type: str
  http_method:
    description: Matches the HTTP method. Defaults to V(*) on creation.
    type: str
  url_path:
    description: Matches the URL path, for example V(/api/health). Defaults to V(*) on creation.
    type: str
  resource_arn:
    description: Matches the ARN of the AWS resource running the service. Defaults to V(*) on creation.
    type: str
  attributes:
    description: Segment attributes that must match (name to value pattern).
    type: dict
notes:
  - The rule's C(Version) is always 1, the only version X-Ray supports.
  - Options that are not set keep an existing rule's values.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Never trace health checks
  lifeworld.production.xray_sampling_rule:
    name: lwo-production-health
    priority: 10
    fixed_rate: 0
    reservoir_size: 0
    url_path: /api/health

- name: Sample 5 % of the backend's requests, at least one per second
  lifeworld.production.xray_sampling_rule:
    name: lwo-production-backend
    priority: 100
    fixed_rate: 0.05
    reservoir_size: 1
    service_name: backend
    tags:
      Component: observability
"""

RETURN = r"""
sampling_rule:
  description: The rule after the run (snake_case); empty when absent.
  returned: always
  type: dict
  contains:
    rule_name:
      description: The rule's name.
      type: str
      sample: lwo-production-backend
    rule_arn:
      description: The rule's ARN (not known in check mode for a rule that would be created).
      type: str
      sample: arn:aws:xray:us-east-1:123456789012:sampling-rule/lwo-production-backend
    priority:
      description: Its priority.
      type: int
      sample: 100
    fixed_rate:
      description: Its fixed rate.
      type: float
      sample: 0.05
    reservoir_size:
      description: Its reservoir size.
      type: int
      sample: 1
    url_path:
      description: Its URL path matcher.
      type: str
      sample: "*"
    tags:
      description: Its tags.
      type: dict
      sample: {"Component": "observability"}
"""

from typing import Any
from typing import Dict

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import apply_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_absent
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import plan_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode
from ansible_collections.lifeworld.production.plugins.module_utils.xray import AnsibleXRayError
from ansible_collections.lifeworld.production.plugins.module_utils.xray import create_sampling_rule
from ansible_collections.lifeworld.production.plugins.module_utils.xray import delete_sampling_rule
from ansible_collections.lifeworld.production.plugins.module_utils.xray import get_sampling_rule
from ansible_collections.lifeworld.production.plugins.module_utils.xray import list_tags
from ansible_collections.lifeworld.production.plugins.module_utils.xray import tag_resource
from ansible_collections.lifeworld.production.plugins.module_utils.xray import untag_resource
from ansible_collections.lifeworld.production.plugins.module_utils.xray import update_sampling_rule

# option -> SamplingRule key, and the value a new rule gets when the option is not set.
FIELDS = {
    "priority": ("Priority", None),
    "fixed_rate": ("FixedRate", None),
    "reservoir_size": ("ReservoirSize", None),
    "service_name": ("ServiceName", "*"),
    "service_type": ("ServiceType", "*"),
    "host": ("Host", "*"),
    "http_method": ("HTTPMethod", "*"),
    "url_path": ("URLPath", "*"),
    "resource_arn": ("ResourceARN", "*"),
    "attributes": ("Attributes", {}),
}
REQUIRED_TO_CREATE = ("priority", "fixed_rate", "reservoir_size")


def definition(rule: Dict[str, Any]) -> Dict[str, Any]:
    """The compared part of a SamplingRule."""
    result = {key: rule.get(key) for key, _default in FIELDS.values()}
    result["Attributes"] = dict(rule.get("Attributes") or {})
    result["FixedRate"] = float(result["FixedRate"]) if result["FixedRate"] is not None else None
    return result


def to_result(rule: Dict[str, Any], tags: Dict[str, str]) -> Dict[str, Any]:
    if not rule:
        return {}
    result = camel_dict_to_snake_dict({k: v for k, v in rule.items() if k != "Attributes"})
    result["attributes"] = dict(rule.get("Attributes") or {})
    result["tags"] = tags
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["rule_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        priority=dict(type="int"),
        fixed_rate=dict(type="float"),
        reservoir_size=dict(type="int"),
        service_name=dict(type="str"),
        service_type=dict(type="str"),
        host=dict(type="str"),
        http_method=dict(type="str"),
        url_path=dict(type="str"),
        resource_arn=dict(type="str"),
        attributes=dict(type="dict"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params["fixed_rate"] is not None and not 0 <= params["fixed_rate"] <= 1:
        module.fail_json(msg=f"fixed_rate must be between 0 and 1, got {params['fixed_rate']}")
    if params["priority"] is not None and not 1 <= params["priority"] <= 9999:
        module.fail_json(msg=f"priority must be between 1 and 9999, got {params['priority']}")
    client = module.client("xray")

    try:
        current = get_sampling_rule(client, params["name"])
        current_tags = list_tags(client, current["RuleARN"]) if current else {}
        before = to_result(current, current_tags)
        if params["state"] == "absent":
            exit_absent(module, before, lambda: delete_sampling_rule(client, params["name"]), sampling_rule={})

        if not current:
            missing = [key for key in REQUIRED_TO_CREATE if params[key] is None]
            if missing:
                module.fail_json(msg=f"{', '.join(missing)} required to create sampling rule {params['name']}")
        wanted = definition(current) if current else dict(FIELDS.values())
        for option, (key, _default) in FIELDS.items():
            if params[option] is not None:
                wanted[key] = float(params[option]) if option == "fixed_rate" else params[option]
        tags = plan_tags(current_tags, params["tags"], params["purge_tags"])
        rule_changed = not current or definition(current) != wanted
        changed = rule_changed or tags.changed

        after_rule = dict(current or {}, RuleName=params["name"], **wanted)
        if not current:
            after_rule = unless_check_mode(module, create_sampling_rule, client,
                                           dict(wanted, RuleName=params["name"], Version=1), tags.after) or after_rule
        else:
            if rule_changed:
                after_rule = unless_check_mode(module, update_sampling_rule, client,
                                               dict(wanted, RuleName=params["name"])) or after_rule
            arn = current["RuleARN"]
            apply_tags(module, tags, lambda keys: tag_resource(client, arn, keys),
                       lambda keys: untag_resource(client, arn, keys))
    except AnsibleXRayError as e:
        module.fail_json_aws_error(e)

    after = to_result(after_rule, tags.after)
    exit_with_result(module, changed, diff=build_diff(before, after), sampling_rule=after)


if __name__ == "__main__":
    main()
