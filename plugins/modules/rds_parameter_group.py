#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_parameter_group
version_added: 1.0.0
short_description: Manage an RDS DB parameter group and the parameters it sets
description:
  - Create, tag and delete an RDS DB (instance) parameter group, and make the parameters listed in O(parameters)
    hold exactly the given values.
  - Only the parameters listed in O(parameters) are compared, so the module works the same whether or not the
    endpoint returns the engine's default catalogue. With O(purge_parameters=true), user-set parameters that
    are not listed are reset to the engine default.
  - After a change, the parameters are read back; a value AWS did not store makes the module fail instead of
    reporting success (M(amazon.aws.rds_instance_param_group) can drop parameters silently).
  - A group's family and description cannot change in AWS; the description is only used on creation, and a
    different O(family) fails with a message (use a new group name per engine major version).
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description:
      - The name of the parameter group.
    type: str
    required: true
  state:
    description:
      - Whether the group should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  family:
    description:
      - The parameter group family, for example V(postgres16). Required to create the group.
    type: str
  description:
    description:
      - The description, used when the group is created.
    type: str
  parameters:
    description:
      - Parameter names and their values. Booleans become V(1)/V(0); numbers are sent as strings.
    type: dict
    default: {}
  purge_parameters:
    description:
      - Reset user-set parameters that are not in O(parameters).
    type: bool
    default: false
  apply_method:
    description:
      - When changes take effect. V(auto) uses V(pending-reboot) for static parameters and V(immediate) for
        dynamic ones, as reported by the group's parameter catalogue (V(immediate) when the catalogue does
        not say).
    type: str
    choices: ['auto', 'immediate', 'pending-reboot']
    default: auto
notes:
  - Emulator gaps worked around - moto does not implement C(ResetDBParameterGroup) (O(purge_parameters) is
    unit-tested in check mode there), has no engine-default catalogue (a new group lists no parameter) and
    answers an empty list instead of C(DBParameterGroupNotFound) for a missing group; the module handles both
    and the unit tests run against moto.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: PostgreSQL 16 parameters with SSL forced and useful logging
  lifeworld.production.rds_parameter_group:
    name: life-world-os-production-pg16
    family: postgres16
    description: life-world-os production PostgreSQL 16
    parameters:
      rds.force_ssl: 1
      log_min_duration_statement: 1000
      log_connections: true
    tags:
      Component: data

- name: Remove the group
  lifeworld.production.rds_parameter_group:
    name: life-world-os-production-pg15
    state: absent
"""

RETURN = r"""
parameter_group:
  description: The group after the change; empty when O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: The name.
      type: str
      sample: life-world-os-production-pg16
    arn:
      description: The ARN (not known in check mode before creation).
      type: str
    family:
      description: The family.
      type: str
      sample: postgres16
    description:
      description: The description.
      type: str
    parameters:
      description: The values of the parameters listed in O(parameters) (and nothing else), as stored.
      type: dict
      sample: {"rds.force_ssl": "1"}
    tags:
      description: The tags.
      type: dict
pending_reboot:
  description: Names of changed parameters that apply only after the instances reboot.
  returned: always
  type: list
  elements: str
"""

from functools import partial
from typing import Any
from typing import Dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.rds import AnsibleRDSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.lifeworld.production.plugins.module_utils.common import apply_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_absent
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import plan_tags
from ansible_collections.lifeworld.production.plugins.module_utils.rds import add_tags
from ansible_collections.lifeworld.production.plugins.module_utils.rds import create_parameter_group
from ansible_collections.lifeworld.production.plugins.module_utils.rds import delete_parameter_group
from ansible_collections.lifeworld.production.plugins.module_utils.rds import describe_parameters
from ansible_collections.lifeworld.production.plugins.module_utils.rds import get_parameter_group
from ansible_collections.lifeworld.production.plugins.module_utils.rds import list_tags
from ansible_collections.lifeworld.production.plugins.module_utils.rds import modify_parameters
from ansible_collections.lifeworld.production.plugins.module_utils.rds import parameter_value
from ansible_collections.lifeworld.production.plugins.module_utils.rds import remove_tags
from ansible_collections.lifeworld.production.plugins.module_utils.rds import reset_parameters


def read_group(client, name: str, managed) -> Dict[str, Any]:
    """The group as the module shows it (managed parameters only), plus the raw catalogue for decisions."""
    group = get_parameter_group(client, name)
    if not group:
        return {}
    catalogue = {p["ParameterName"]: p for p in describe_parameters(client, name)}
    return {
        "name": group["DBParameterGroupName"],
        "arn": group.get("DBParameterGroupArn"),
        "family": group["DBParameterGroupFamily"],
        "description": group.get("Description"),
        "parameters": {k: catalogue[k].get("ParameterValue") for k in managed if k in catalogue
                       and catalogue[k].get("ParameterValue") is not None},
        "tags": boto3_tag_list_to_ansible_dict(list_tags(client, group["DBParameterGroupArn"]))
        if group.get("DBParameterGroupArn") else {},
        "_catalogue": catalogue,
    }


def view(group: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in group.items() if not k.startswith("_") and k != "arn"}


def apply_method_for(module, catalogue: Dict[str, Any], name: str) -> str:
    if module.params["apply_method"] != "auto":
        return module.params["apply_method"]
    return "pending-reboot" if catalogue.get(name, {}).get("ApplyType") == "static" else "immediate"


def ensure_absent(module, client, current):
    exit_absent(module, view(current) if current else {}, partial(delete_parameter_group, client, module.params["name"]),
                parameter_group={}, pending_reboot=[])


def ensure_present(module, client, current, desired_params):
    params = module.params
    name = params["name"]
    if current and params["family"] and params["family"] != current["family"]:
        module.fail_json(
            msg=f"Parameter group {name} is of family {current['family']}, not {params['family']}; a family cannot "
            "change: use a new group name (for example one per engine major version)"
        )
    if not current and not params["family"]:
        module.fail_json(msg=f"family is required to create parameter group {name}")

    catalogue = current.get("_catalogue", {})
    stored = current.get("parameters", {})
    to_set = {k: v for k, v in desired_params.items() if stored.get(k) != v}
    to_reset = []
    if params["purge_parameters"]:
        to_reset = sorted(k for k, p in catalogue.items()
                          if p.get("Source", "user") == "user" and p.get("ParameterValue") is not None
                          and k not in desired_params)

    tags = plan_tags(current.get("tags", {}), params["tags"], params["purge_tags"])

    after = view(current) if current else {
        "name": name, "family": params["family"], "description": params["description"] or name, "parameters": {},
        "tags": {}}
    after["parameters"] = dict(after["parameters"], **to_set)
    after["tags"] = tags.after
    changed = not current or bool(to_set or to_reset or tags.changed)
    pending = sorted(k for k in to_set if apply_method_for(module, catalogue, k) == "pending-reboot")
    diff = build_diff(view(current), after)
    if to_reset:
        diff["before"].setdefault("reset_parameters", [])
        diff["after"]["reset_parameters"] = to_reset

    if module.check_mode or not changed:
        exit_with_result(module, changed, diff=diff, parameter_group=after, pending_reboot=pending)

    if not current:
        request = {"DBParameterGroupName": name, "DBParameterGroupFamily": params["family"],
                   "Description": params["description"] or name}
        if params["tags"]:
            request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
        create_parameter_group(client, **request)
    else:
        arn = current["arn"]
        apply_tags(module, tags, lambda keys: add_tags(client, arn, ansible_dict_to_boto3_tag_list(keys)),
                   partial(remove_tags, client, arn))
    if to_set:
        modify_parameters(client, name, [
            {"ParameterName": k, "ParameterValue": v, "ApplyMethod": apply_method_for(module, catalogue, k)}
            for k, v in sorted(to_set.items())
        ])
    if to_reset:
        reset_parameters(client, name, [
            {"ParameterName": k, "ApplyMethod": apply_method_for(module, catalogue, k)} for k in to_reset
        ])

    result = read_group(client, name, desired_params)
    missing = {k: v for k, v in desired_params.items() if result["parameters"].get(k) != v}
    if missing:
        module.fail_json(
            msg=f"Parameter group {name} did not keep {sorted(missing)} (asked {missing}, stored "
            f"{ {k: result['parameters'].get(k) for k in missing} }): check the names against family {result['family']}",
            parameter_group=view(result),
        )
    exit_with_result(module, True, diff=diff, parameter_group=view(result), pending_reboot=pending)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        family=dict(type="str"),
        description=dict(type="str"),
        parameters=dict(type="dict", default={}),
        purge_parameters=dict(type="bool", default=False),
        apply_method=dict(type="str", default="auto", choices=["auto", "immediate", "pending-reboot"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("rds")
    desired_params = {str(k): parameter_value(v) for k, v in module.params["parameters"].items()}
    try:
        current = read_group(client, module.params["name"], desired_params)
        if module.params["state"] == "absent":
            ensure_absent(module, client, current)
        ensure_present(module, client, current, desired_params)
    except AnsibleRDSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
