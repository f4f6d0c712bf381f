#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_dashboard
version_added: 1.0.0
short_description: Manage a CloudWatch dashboard
description:
  - Create, update or delete a CloudWatch dashboard (PutDashboard, GetDashboard, DeleteDashboards).
  - The dashboard body is compared as parsed JSON with the stored one, so key order and whitespace never cause a
    change; a second run with the same body reports no change.
  - In check mode nothing is changed. With C(--diff) the before and after bodies are shown.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description:
      - The dashboard's name, up to 255 letters, digits, V(-) and V(_).
    type: str
    required: true
    aliases: ['dashboard_name']
  body:
    description:
      - The dashboard body, as a dict (the C(widgets) structure) or a JSON string.
      - Required with O(state=present).
    type: raw
  state:
    description:
      - Whether the dashboard should exist.
    type: str
    choices: ['present', 'absent']
    default: present
notes:
  - CloudWatch dashboards cannot be tagged by this module.
  - AWS accepts widgets whose metrics do not exist yet; it returns validation messages for malformed bodies,
    which the module returns in RV(validation_messages) and reports as warnings.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Service health at a glance
  lifeworld.production.cloudwatch_dashboard:
    name: life-world-os-production-service-health
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: Backend CPU
            region: us-east-1
            metrics:
              - [AWS/ECS, CPUUtilization, ClusterName, life-world-os-production, ServiceName, backend]

- name: Remove an old dashboard
  lifeworld.production.cloudwatch_dashboard:
    name: life-world-os-production-legacy
    state: absent
"""

RETURN = r"""
dashboard:
  description: The dashboard after the run; empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: The dashboard's name.
      type: str
      sample: life-world-os-production-service-health
    arn:
      description: The dashboard's ARN (not known in check mode for a new dashboard).
      type: str
      sample: arn:aws:cloudwatch::123456789012:dashboard/life-world-os-production-service-health
    body:
      description: The dashboard body, parsed.
      type: dict
      sample: {"widgets": []}
validation_messages:
  description: Messages AWS returned about the body when it was stored.
  returned: when the dashboard was written
  type: list
  elements: dict
  sample: []
"""

import json
from typing import Any
from typing import Dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import AnsibleCloudWatchError
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import delete_dashboard
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import get_dashboard
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import put_dashboard
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode


def parse_body(module: AnsibleAWSModule, body: Any) -> Dict[str, Any]:
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError as e:
            module.fail_json(msg=f"body is not valid JSON: {e}")
    if not isinstance(body, dict):
        module.fail_json(msg=f"body must be a dict (or a JSON object), got {type(body).__name__}")
    return body


def stored(current: Dict[str, Any]) -> Dict[str, Any]:
    try:
        body = json.loads(current["body"]) if current.get("body") else {}
    except ValueError:
        body = {"unparsable": current["body"]}
    return {"name": current["name"], "arn": current.get("arn"), "body": body}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["dashboard_name"]),
        body=dict(type="raw"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec, required_if=[("state", "present", ["body"])], supports_check_mode=True
    )
    name, state = module.params["name"], module.params["state"]
    body = parse_body(module, module.params["body"]) if state == "present" else None
    client = module.client("cloudwatch")

    try:
        current = get_dashboard(client, name)
        before = stored(current) if current else {}
        if state == "absent":
            if current:
                unless_check_mode(module, delete_dashboard, client, name)
            diff = {"before": before.get("body", {}), "after": {}}
            exit_with_result(module, bool(current), diff=diff, dashboard={})

        changed = before.get("body") != body
        after = {"name": name, "arn": before.get("arn"), "body": body}
        result: Dict[str, Any] = {}
        messages = unless_check_mode(module, put_dashboard, client, name, json.dumps(body, sort_keys=True)) \
            if changed else None
        if messages is not None:
            result["validation_messages"] = messages
            for message in messages:
                module.warn(f"Dashboard {name}: {message.get('DataPath', '')} {message.get('Message', '')}".strip())
            after = stored(get_dashboard(client, name) or {"name": name, "body": json.dumps(body)})
    except AnsibleCloudWatchError as e:
        module.fail_json_aws_error(e)

    exit_with_result(module, changed, diff={"before": before.get("body", {}), "after": body}, dashboard=after, **result)


if __name__ == "__main__":
    main()
