#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_service_linked_role
version_added: 1.1.0
short_description: Ensure the service-linked roles of AWS services exist
description:
  - Creates the service-linked role of each service that has none yet, with C(CreateServiceLinkedRole). A role
    that already exists is left alone (found by its path C(/aws-service-role/<service>/), so no per-service name
    table is needed); a role created concurrently (InvalidInput "has been taken") counts as existing.
  - Services create these roles implicitly on first use, but asynchronously, and some then fail the very call that
    created them (ECS C(CreateCluster) with capacity providers, "Unable to assume the service linked role").
    Creating them first, before the build uses them, removes that race.
  - In check mode nothing is created; the diff lists the roles that would be.
  - Deleting a service-linked role is left out on purpose (a service refuses it while resources use the role).
  - The moto emulator creates no service-linked role implicitly and never returns "has been taken"; the module's
    tests use moto for creation and botocore's Stubber for that race.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  services:
    description:
      - The service principals whose service-linked roles must exist, for example V(ecs.amazonaws.com).
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Service-linked roles the build relies on, before their services are used
  lifeworld.production.iam_service_linked_role:
    services:
      - ecs.amazonaws.com
      - rds.amazonaws.com
      - elasticloadbalancing.amazonaws.com
"""

RETURN = r"""
roles:
  description: The service-linked role of each service (empty name and ARN for one check mode would create).
  returned: always
  type: list
  elements: dict
  contains:
    service:
      description: The service principal.
      type: str
      sample: ecs.amazonaws.com
    role_name:
      description: The role's name.
      type: str
      sample: AWSServiceRoleForECS
    arn:
      description: The role's ARN.
      type: str
      sample: arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS
created:
  description: The services whose role this run created (or would create, in check mode).
  returned: always
  type: list
  elements: str
  sample: [ecs.amazonaws.com]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.iam import AnsibleIAMError
from ansible_collections.lifeworld.production.plugins.module_utils.iam import create_service_linked_role
from ansible_collections.lifeworld.production.plugins.module_utils.iam import find_service_linked_role


def main():
    argument_spec = dict(services=dict(type="list", elements="str", required=True))
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("iam")
    roles, created = [], []
    try:
        for service in dict.fromkeys(module.params["services"]):
            role = find_service_linked_role(client, service)
            if role is None:
                created.append(service)
                if not module.check_mode:
                    role = create_service_linked_role(client, service)
            role = role or {}
            roles.append({"service": service, "role_name": role.get("RoleName", ""), "arn": role.get("Arn", "")})
    except AnsibleIAMError as e:
        module.fail_json_aws_error(e)
    diff = {"before": {"missing": created}, "after": {"missing": []}} if created else None
    exit_with_result(module, bool(created), diff=diff, roles=roles, created=created)


if __name__ == "__main__":
    main()
