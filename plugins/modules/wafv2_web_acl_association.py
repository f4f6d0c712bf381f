#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: wafv2_web_acl_association
version_added: 1.0.0
short_description: Associate a regional WAFv2 web ACL with a resource
description:
  - Associates a regional AWS WAFv2 web ACL with a resource (an application load balancer, an API Gateway stage,
    ...) or removes the association.
  - Reads the current association of the resource (C(GetWebACLForResource)) instead of listing the resources of
    the web ACL, so it works where C(ListResourcesForWebACL) is unavailable (community.aws.wafv2_resources
    depends on it).
  - A resource has at most one web ACL; associating another one replaces it.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  state:
    description:
      - Whether the resource should be associated with O(web_acl_arn).
      - V(absent) removes the association of the resource. When O(web_acl_arn) is given, only an association with
        that web ACL is removed.
    type: str
    choices: ['present', 'absent']
    default: present
  resource_arn:
    description:
      - The ARN of the resource, for example an application load balancer.
    type: str
    required: true
  web_acl_arn:
    description:
      - The ARN of the regional web ACL. Required with O(state=present).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Protect the load balancer with the web ACL
  lifeworld.production.wafv2_web_acl_association:
    resource_arn: "{{ alb.load_balancer_arn }}"
    web_acl_arn: "{{ acl.web_acl.arn }}"

- name: Remove whatever web ACL protects the load balancer
  lifeworld.production.wafv2_web_acl_association:
    resource_arn: "{{ alb.load_balancer_arn }}"
    state: absent
"""

RETURN = r"""
resource_arn:
  description: The ARN of the resource.
  returned: always
  type: str
web_acl_arn:
  description: The ARN of the web ACL associated with the resource after the change; empty when none.
  returned: always
  type: str
  sample: arn:aws:wafv2:us-east-1:123456789012:regional/webacl/life-world-os-production/0f0e0d0c
previous_web_acl_arn:
  description: The ARN of the web ACL that was associated before the change; empty when none.
  returned: always
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode
from ansible_collections.lifeworld.production.plugins.module_utils.wafv2 import AnsibleWAFv2Error
from ansible_collections.lifeworld.production.plugins.module_utils.wafv2 import associate_web_acl
from ansible_collections.lifeworld.production.plugins.module_utils.wafv2 import disassociate_web_acl
from ansible_collections.lifeworld.production.plugins.module_utils.wafv2 import get_web_acl_for_resource


def desired_acl(params, current: str) -> str:
    if params["state"] == "present":
        return params["web_acl_arn"]
    if params["web_acl_arn"] and current != params["web_acl_arn"]:
        return current  # associated with another web ACL: not ours to remove
    return ""


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        resource_arn=dict(type="str", required=True),
        web_acl_arn=dict(type="str"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["web_acl_arn"])],
        supports_check_mode=True,
    )
    client = module.client("wafv2")
    resource_arn = module.params["resource_arn"]

    try:
        current = (get_web_acl_for_resource(client, resource_arn) or {}).get("ARN", "")
        wanted = desired_acl(module.params, current)
        changed = wanted != current
        if changed and wanted:
            unless_check_mode(module, associate_web_acl, client, wanted, resource_arn)
        elif changed:
            unless_check_mode(module, disassociate_web_acl, client, resource_arn)
    except AnsibleWAFv2Error as e:
        module.fail_json_aws_error(e)

    exit_with_result(
        module,
        changed,
        diff=build_diff({"web_acl_arn": current} if current else {}, {"web_acl_arn": wanted} if wanted else {}),
        resource_arn=resource_arn,
        web_acl_arn=wanted,
        previous_web_acl_arn=current,
    )


if __name__ == "__main__":
    main()
