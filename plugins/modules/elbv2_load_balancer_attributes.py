#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elbv2_load_balancer_attributes
version_added: 1.0.0
short_description: Set attributes of an application or network load balancer
description:
  - Sets the given attributes of an Elastic Load Balancing v2 load balancer (for example
    C(routing.http.drop_invalid_header_fields.enabled), C(deletion_protection.enabled),
    C(idle_timeout.timeout_seconds)) and leaves every other attribute as it is.
  - Only attributes whose value differs are sent, so a converged load balancer reports no change.
  - amazon.aws.elb_application_lb reads a fixed list of attributes and fails where an endpoint omits one it
    expects; this module compares only the attributes it is given.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description:
      - The name of the load balancer. One of O(name) and O(arn) is required.
    type: str
  arn:
    description:
      - The ARN of the load balancer.
    type: str
  attributes:
    description:
      - Attribute keys and their values, as the ELBv2 API names them. Booleans and numbers are sent as AWS
        expects them (V(true)/V(false), digits).
    type: dict
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Drop invalid headers, protect from deletion, keep connections idle for 60 s at most
  lifeworld.production.elbv2_load_balancer_attributes:
    name: life-world-os-production-alb
    attributes:
      routing.http.drop_invalid_header_fields.enabled: true
      deletion_protection.enabled: true
      idle_timeout.timeout_seconds: 60
"""

RETURN = r"""
load_balancer_arn:
  description: The ARN of the load balancer.
  returned: always
  type: str
  sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/life-world-os-production-alb/50dc6c495c0c9188
attributes:
  description: Every attribute of the load balancer after the change (in check mode, as it would be).
  returned: always
  type: dict
  sample: {"deletion_protection.enabled": "true", "idle_timeout.timeout_seconds": "60"}
changed_attributes:
  description: The keys that were (or, in check mode, would be) changed.
  returned: always
  type: list
  elements: str
  sample: ["deletion_protection.enabled"]
"""

from typing import Dict

from ansible_collections.amazon.aws.plugins.module_utils.elb_utils import AnsibleELBv2Error
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode
from ansible_collections.lifeworld.production.plugins.module_utils.elbv2 import describe_load_balancer
from ansible_collections.lifeworld.production.plugins.module_utils.elbv2 import get_load_balancer_attributes
from ansible_collections.lifeworld.production.plugins.module_utils.elbv2 import set_load_balancer_attributes


def as_api_value(value) -> str:
    """The API stores every attribute as a string; Ansible hands booleans over as bool."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def apply(client, arn: str, to_change: Dict[str, str]) -> Dict[str, str]:
    """Set the attributes, then read them all back (the answer lists only those that were set)."""
    set_load_balancer_attributes(client, arn, to_change)
    return get_load_balancer_attributes(client, arn)


def main():
    argument_spec = dict(
        name=dict(type="str"),
        arn=dict(type="str"),
        attributes=dict(type="dict", required=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_one_of=[("name", "arn")],
        mutually_exclusive=[("name", "arn")],
        supports_check_mode=True,
    )
    client = module.client("elbv2")
    desired = {key: as_api_value(value) for key, value in module.params["attributes"].items()}

    try:
        balancer = describe_load_balancer(client, name=module.params["name"], arn=module.params["arn"])
        if not balancer:
            module.fail_json(msg=f"Load balancer {module.params['name'] or module.params['arn']} not found")
        arn = balancer["LoadBalancerArn"]
        current = get_load_balancer_attributes(client, arn)
        # Some endpoints list an attribute only once it has been set: a missing key counts as different.
        to_change = {key: value for key, value in desired.items() if current.get(key) != value}
        after = dict(current, **to_change)
        if to_change:
            after = unless_check_mode(module, apply, client, arn, to_change) or after
    except AnsibleELBv2Error as e:
        module.fail_json_aws_error(e)

    before_view = {key: current.get(key) for key in sorted(to_change)}
    after_view = {key: to_change[key] for key in sorted(to_change)}
    exit_with_result(
        module,
        bool(to_change),
        diff=build_diff(before_view, after_view),
        load_balancer_arn=arn,
        attributes=after,
        changed_attributes=sorted(to_change),
    )


if __name__ == "__main__":
    main()
