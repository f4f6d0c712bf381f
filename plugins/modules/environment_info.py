#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: environment_info
version_added: 1.0.0
short_description: Read the built environment by the naming contract, in batched calls
description:
  - The one reader of the built environment. Finds the resources of the naming contract
    (plugins/module_utils/contract.py, docs/CONTRACTS.md) by their names and tags and returns their ids and ARNs,
    and for each one missing the C(--tags) of site.yml that builds it.
  - Batched. One listing or describe call per resource type for every name of that type (a filter by tag or name),
    never one call per resource; KMS adds one C(DescribeKey) per alias found (a key pending deletion is no key).
    The lookup roles run it on every role run, so its calls are most of a no-op run's (docs/reliability.md).
  - With O(report=true) it also reads what the operations playbooks judge (preflight, verify, rollback, diagram),
    returned as RV(environment).
  - Read-only, never reads a secret's value; runs the same in check mode.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name_prefix:
    description: The environment's name prefix, C(<project>-<environment>) (lifeworld_name_prefix).
    type: str
    required: true
  project:
    description: The project; with O(environment) it names the secrets and the ECR repositories.
    type: str
  environment:
    description: The environment (production, staging, ...).
    type: str
  resources:
    description:
      - Contract keys to read, for example V(vpc), V(sg_rds), V(role_ecs_task), V(secret_db_master).
      - Default every key the site builds unconditionally (not the read replica).
    type: list
    elements: str
  kms_aliases:
    description: More KMS aliases to resolve, by name (a role with names of its own).
    type: list
    elements: str
    default: []
  security_groups:
    description: More security groups to find, by Name tag.
    type: list
    elements: str
    default: []
  iam_roles:
    description: More IAM roles to find, by name.
    type: list
    elements: str
    default: []
  secrets:
    description: More Secrets Manager secrets to find, by name (metadata only, never a value).
    type: list
    elements: str
    default: []
  vpc_id:
    description: VPC the security and target groups must be in; default the contract's VPC when V(vpc) is read.
    type: str
  subnets:
    description: Also return the subnets of the VPC found (one more C(DescribeSubnets)).
    type: bool
    default: false
  report:
    description: Also return the full read of the operations playbooks as RV(environment).
    type: bool
    default: false
  zone:
    description: With O(report), the Route 53 zone to look for.
    type: str
  record:
    description: With O(report), the site's record name (its certificate and A record are read).
    type: str
  image_tag:
    description: With O(report), the release tag looked for in the ECR repositories.
    type: str
  metrics_minutes:
    description: With O(report), also read the CloudWatch figures of the last N minutes.
    type: int
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find what the data tier builds on
  lifeworld.production.environment_info:
    name_prefix: "{{ lifeworld_name_prefix }}"
    project: "{{ lifeworld_project }}"
    environment: "{{ lifeworld_environment }}"
    resources: [vpc, sg_rds, kms_rds, role_rds_monitoring, secret_db_master]
  register: found

- name: Say what to build first
  ansible.builtin.fail:
    msg: "Missing {{ found.missing | map(attribute='name') | join(', ') }}: run --tags {{ found.missing_tags | join(',') }}"
  when: found.missing | length > 0
"""

RETURN = r"""
ids:
  description: Contract key to the id or ARN of the resource found (VPC and security group ids, ARNs otherwise,
    the repository URI for ECR).
  returned: always
  type: dict
  sample: {"vpc": "vpc-0abc", "sg_rds": "sg-0def", "role_ecs_task": "arn:aws:iam::123456789012:role/lwo-ecs-task"}
found:
  description: Resource type to name to id or ARN of everything found, the extra names included.
  returned: always
  type: dict
  sample: {"kms_alias": {"alias/lwo-rds": "arn:aws:kms:us-east-1:123456789012:key/0b1f"}}
missing:
  description: Each resource not found, with the C(--tags) of site.yml that builds it.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "sg_rds", "type": "security_group", "name": "lwo-rds", "tags": "security"}]
missing_tags:
  description: The C(--tags) that build what is missing, in site order.
  returned: always
  type: list
  elements: str
  sample: ["network", "security"]
vpc:
  description: The VPC found (id and CIDR), or null.
  returned: always
  type: dict
  sample: {"id": "vpc-0abc", "cidr": "10.0.0.0/16"}
subnets:
  description: The VPC's subnets (subnet_id, availability_zone, cidr_block, tags), as amazon.aws.ec2_vpc_subnet_info.
  returned: when O(subnets=true)
  type: list
  elements: dict
  sample: [{"subnet_id": "subnet-1", "availability_zone": "us-east-1a", "cidr_block": "10.0.0.0/24", "tags": {}}]
environment:
  description: The full read judged by the operations playbooks (network, security groups and their rules, IAM
    roles and their policies, load balancer, services, rollback artefacts, databases, alarms, alert topic, secrets,
    images, certificate, DNS, metrics).
  returned: when O(report=true)
  type: dict
  sample: {"prefix": "lwo", "vpc": null, "databases": []}
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils import contract
from ansible_collections.lifeworld.production.plugins.module_utils import environment_find
from ansible_collections.lifeworld.production.plugins.module_utils import environment_read
from ansible_collections.lifeworld.production.plugins.module_utils import environment_report


def main():
    argument_spec = dict(
        name_prefix=dict(type="str", required=True),
        project=dict(type="str"),
        environment=dict(type="str"),
        resources=dict(type="list", elements="str"),
        kms_aliases=dict(type="list", elements="str", default=[]),
        security_groups=dict(type="list", elements="str", default=[]),
        iam_roles=dict(type="list", elements="str", default=[]),
        secrets=dict(type="list", elements="str", default=[], no_log=False),
        vpc_id=dict(type="str"),
        subnets=dict(type="bool", default=False),
        report=dict(type="bool", default=False),
        zone=dict(type="str"),
        record=dict(type="str"),
        image_tag=dict(type="str"),
        metrics_minutes=dict(type="int"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                              required_together=[("project", "environment")])
    params = module.params
    clients = {}

    def client_for(service):
        if service not in clients:
            clients[service] = module.client(service)
        return clients[service]

    names = contract.names(params["name_prefix"], params["project"], params["environment"])
    keys = params["resources"]
    if keys is None:
        keys = [key for key in environment_read.DEFAULT_KEYS if key in names]
    try:
        result = environment_find.find(client_for, names, keys, extra=params, vpc_id=params["vpc_id"],
                                       with_subnets=params["subnets"])
        if params["report"]:
            result["environment"] = environment_report.describe(
                client_for, params["name_prefix"], params["project"], params["environment"], zone=params["zone"],
                record=params["record"], image_tag=params["image_tag"], metrics_minutes=params["metrics_minutes"])
    except ValueError as e:
        module.fail_json(msg=str(e))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not read the environment %s" % params["name_prefix"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
