#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatchlogs_query_definition
version_added: 1.0.0
short_description: Manage CloudWatch Logs Insights saved queries
description:
  - Create, update or delete a saved CloudWatch Logs Insights query (a query definition), found by its name.
  - The query string and the log groups are compared with the saved query (log-group order does not matter), so a
    second run with the same definition changes nothing.
  - In check mode nothing is changed; the diff shows the before and after definitions.
  - The moto emulator does not implement this API; the module's tests use botocore's Stubber, which checks every
    call against the AWS API model.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description:
      - The saved query's name. A V(/) in the name places it in a folder in the console.
      - AWS allows several saved queries with the same name; the module manages the first and, with
        O(state=absent), deletes all of them.
    type: str
    required: true
  query_string:
    description: The Logs Insights query. Required with O(state=present).
    type: str
  log_group_names:
    description: Log groups the query runs against by default. When not set, an existing query's groups are kept.
    type: list
    elements: str
  state:
    description: Whether the saved query should exist.
    type: str
    choices: ['present', 'absent']
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Errors by service
  lifeworld.production.cloudwatchlogs_query_definition:
    name: life-world-os-production/errors-by-service
    query_string: |-
      fields @timestamp, @log, @message
      | filter @message like /(?i)(error|exception)/
      | stats count(*) as errors by @log
    log_group_names:
      - /ecs/life-world-os-production/backend
      - /ecs/life-world-os-production/frontend
"""

RETURN = r"""
query_definition:
  description: The saved query after the run; empty when absent.
  returned: always
  type: dict
  contains:
    query_definition_id:
      description: Its id (not known in check mode for a query that would be created).
      type: str
      sample: 4ba31d63-8f0a-4ed8-9c63-0e7cd8e9c2f1
    name:
      description: Its name.
      type: str
      sample: life-world-os-production/errors-by-service
    query_string:
      description: The query.
      type: str
      sample: fields @timestamp, @message
    log_group_names:
      description: Its log groups.
      type: list
      elements: str
      sample: [/ecs/life-world-os-production/backend]
"""

from typing import Any
from typing import Dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatchlogs import AnsibleCloudWatchLogsError
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatchlogs import delete_query_definition
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatchlogs import describe_query_definitions
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatchlogs import put_query_definition
from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_absent
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode


def normalize(definition: Dict[str, Any]) -> Dict[str, Any]:
    if not definition:
        return {}
    return {
        "query_definition_id": definition.get("queryDefinitionId"),
        "name": definition["name"],
        "query_string": definition.get("queryString", ""),
        "log_group_names": sorted(definition.get("logGroupNames") or []),
    }


def view(definition: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in definition.items() if key != "query_definition_id"}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        query_string=dict(type="str"),
        log_group_names=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec, required_if=[("state", "present", ["query_string"])], supports_check_mode=True
    )
    params = module.params
    client = module.client("logs")

    try:
        matches = [d for d in describe_query_definitions(client, params["name"]) if d["name"] == params["name"]]
        current = normalize(matches[0]) if matches else {}
        if params["state"] == "absent":
            exit_absent(module, view(current) if matches else {},
                        lambda: [delete_query_definition(client, d["queryDefinitionId"]) for d in matches],
                        query_definition={})

        after = dict(current) if current else {"name": params["name"], "log_group_names": []}
        after["query_string"] = params["query_string"]
        if params["log_group_names"] is not None:
            after["log_group_names"] = sorted(params["log_group_names"])
        changed = view(current) != view(after)
        if changed:
            request = {"name": params["name"], "queryString": after["query_string"],
                       "logGroupNames": after["log_group_names"]}
            if current:
                request["queryDefinitionId"] = current["query_definition_id"]
            definition_id = unless_check_mode(module, put_query_definition, client, **request)
            if definition_id:
                after["query_definition_id"] = definition_id
    except AnsibleCloudWatchLogsError as e:
        module.fail_json_aws_error(e)

    exit_with_result(module, changed, diff=build_diff(view(current), view(after)), query_definition=after)


if __name__ == "__main__":
    main()
