#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: xray_group
version_added: 1.0.0
short_description: Manage an AWS X-Ray group
description:
  - Create, update or delete an X-Ray group (a saved filter expression over traces, with optional X-Ray Insights),
    found by its name, and its tags.
  - In check mode nothing is changed; the diff shows the before and after group.
  - The moto emulator does not route the X-Ray group API; the module's tests use botocore's Stubber, which checks
    every call against the AWS API model.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description: The group's name (up to 32 characters).
    type: str
    required: true
    aliases: ['group_name']
  state:
    description: Whether the group should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  filter_expression:
    description: The trace filter expression, for example V(service("backend") AND fault = true).
    type: str
  insights_enabled:
    description: Run X-Ray Insights (anomaly detection) on the group's traces.
    type: bool
  notifications_enabled:
    description: Send Insights notifications to Amazon EventBridge (needs O(insights_enabled=true)).
    type: bool
notes:
  - Options that are not set keep an existing group's values.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Backend requests that failed
  lifeworld.production.xray_group:
    name: lwo-production-backend-faults
    filter_expression: service("backend") AND (fault = true OR error = true)
    insights_enabled: true
    tags:
      Component: observability
"""

RETURN = r"""
group:
  description: The group after the run (snake_case); empty when absent.
  returned: always
  type: dict
  contains:
    group_name:
      description: Its name.
      type: str
      sample: lwo-production-backend-faults
    group_arn:
      description: Its ARN (not known in check mode for a group that would be created).
      type: str
      sample: arn:aws:xray:us-east-1:123456789012:group/lwo-production-backend-faults/ABCDEF
    filter_expression:
      description: Its filter expression.
      type: str
      sample: service("backend") AND fault = true
    insights_configuration:
      description: Whether Insights and its notifications are on.
      type: dict
      sample: {"insights_enabled": true, "notifications_enabled": false}
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
from ansible_collections.lifeworld.production.plugins.module_utils.xray import create_group
from ansible_collections.lifeworld.production.plugins.module_utils.xray import delete_group
from ansible_collections.lifeworld.production.plugins.module_utils.xray import get_group
from ansible_collections.lifeworld.production.plugins.module_utils.xray import list_tags
from ansible_collections.lifeworld.production.plugins.module_utils.xray import tag_resource
from ansible_collections.lifeworld.production.plugins.module_utils.xray import untag_resource
from ansible_collections.lifeworld.production.plugins.module_utils.xray import update_group


def definition(group: Dict[str, Any]) -> Dict[str, Any]:
    insights = (group or {}).get("InsightsConfiguration") or {}
    return {
        "FilterExpression": (group or {}).get("FilterExpression") or "",
        "InsightsConfiguration": {
            "InsightsEnabled": bool(insights.get("InsightsEnabled")),
            "NotificationsEnabled": bool(insights.get("NotificationsEnabled")),
        },
    }


def to_result(group: Dict[str, Any], tags: Dict[str, str]) -> Dict[str, Any]:
    if not group:
        return {}
    result = camel_dict_to_snake_dict(group)
    result["tags"] = tags
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["group_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        filter_expression=dict(type="str"),
        insights_enabled=dict(type="bool"),
        notifications_enabled=dict(type="bool"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    client = module.client("xray")

    try:
        current = get_group(client, params["name"])
        current_tags = list_tags(client, current["GroupARN"]) if current else {}
        before = to_result(current, current_tags)
        if params["state"] == "absent":
            exit_absent(module, before, lambda: delete_group(client, params["name"]), group={})

        wanted = definition(current)
        if params["filter_expression"] is not None:
            wanted["FilterExpression"] = params["filter_expression"]
        for option, key in (("insights_enabled", "InsightsEnabled"), ("notifications_enabled", "NotificationsEnabled")):
            if params[option] is not None:
                wanted["InsightsConfiguration"][key] = params[option]
        tags = plan_tags(current_tags, params["tags"], params["purge_tags"])
        group_changed = not current or definition(current) != wanted
        changed = group_changed or tags.changed

        after_group = dict(current or {}, GroupName=params["name"], **wanted)
        request = dict(wanted, GroupName=params["name"])
        if not request["FilterExpression"]:
            request.pop("FilterExpression")
        if not current:
            after_group = unless_check_mode(module, create_group, client, request, tags.after) or after_group
        else:
            if group_changed:
                after_group = unless_check_mode(module, update_group, client, request) or after_group
            arn = current["GroupARN"]
            apply_tags(module, tags, lambda keys: tag_resource(client, arn, keys),
                       lambda keys: untag_resource(client, arn, keys))
    except AnsibleXRayError as e:
        module.fail_json_aws_error(e)

    after = to_result(after_group, tags.after)
    exit_with_result(module, changed, diff=build_diff(before, after), group=after)


if __name__ == "__main__":
    main()
