#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: servicediscovery_namespace
version_added: 1.0.0
short_description: Manage an AWS Cloud Map private DNS namespace
description:
  - Creates, updates (description, tags) and deletes an AWS Cloud Map private DNS namespace, found by its name.
  - Namespace operations are asynchronous; the module waits until each has succeeded.
  - The VPC of a namespace cannot be changed, so O(vpc_id) is only used to create it.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description:
      - The DNS name of the namespace, for example V(production.life-world-os.internal).
    type: str
    required: true
  state:
    description:
      - Whether the namespace should exist. Deleting fails while it still has services.
    type: str
    choices: ['present', 'absent']
    default: present
  vpc_id:
    description:
      - The VPC the namespace's private hosted zone is associated with.
      - Required to create the namespace.
    type: str
  description:
    description:
      - A description of the namespace. Left as it is when not set.
    type: str
  wait_timeout:
    description:
      - How long to wait for the namespace operation, in seconds.
    type: int
    default: 300
notes:
  - Needs the IAM actions C(servicediscovery:ListNamespaces), C(servicediscovery:GetNamespace),
    C(servicediscovery:CreatePrivateDnsNamespace), C(servicediscovery:UpdatePrivateDnsNamespace),
    C(servicediscovery:DeleteNamespace), C(servicediscovery:GetOperation), C(servicediscovery:ListTagsForResource),
    C(servicediscovery:TagResource), C(servicediscovery:UntagResource), plus C(route53:CreateHostedZone) and
    C(ec2:DescribeVpcs) that Cloud Map uses on the caller's behalf.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Private DNS namespace for the services of the VPC
  lifeworld.production.servicediscovery_namespace:
    name: production.life-world-os.internal
    vpc_id: "{{ network_lookup__vpc_id }}"
    description: Service discovery for life-world-os production
    tags:
      Component: compute
"""

RETURN = r"""
namespace:
  description: The namespace after the run (predicted in check mode, without id when it would be created).
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: The namespace ID.
      type: str
      sample: ns-abcdefghijklmnop
    arn:
      description: The namespace ARN.
      type: str
      sample: arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abcdefghijklmnop
    name:
      description: The namespace name.
      type: str
      sample: production.life-world-os.internal
    type:
      description: The namespace type.
      type: str
      sample: DNS_PRIVATE
    description:
      description: The description.
      type: str
      sample: Service discovery for life-world-os production
    hosted_zone_id:
      description: The Route 53 private hosted zone of the namespace.
      type: str
      sample: Z0123456789ABCDEFGHIJ
    tags:
      description: The tags.
      type: dict
      sample: {"Component": "compute"}
"""

from typing import Any
from typing import Dict
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_absent
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import create_private_dns_namespace
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import delete_namespace
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import get_namespace
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import list_namespaces
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import list_tags
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import reconcile_tags
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import run_module
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import update_private_dns_namespace
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import wait_for_operation


def normalize(namespace: Optional[Dict[str, Any]], tags: Dict[str, str]) -> Dict[str, Any]:
    if not namespace:
        return {}
    dns = (namespace.get("Properties") or {}).get("DnsProperties") or {}
    return {
        "id": namespace["Id"],
        "arn": namespace["Arn"],
        "name": namespace["Name"],
        "type": namespace.get("Type"),
        "description": namespace.get("Description", ""),
        "hosted_zone_id": (dns.get("HostedZoneId") or "").split("/")[-1],
        "tags": tags,
    }


def view(namespace: Dict[str, Any]) -> Dict[str, Any]:
    return {key: namespace[key] for key in ("name", "description", "tags") if key in namespace} if namespace else {}


def find(module: AnsibleAWSModule, client) -> Dict[str, Any]:
    matches = [ns for ns in list_namespaces(client, module.params["name"]) if ns.get("Type") == "DNS_PRIVATE"]
    if len(matches) > 1:
        ids = ", ".join(sorted(ns["Id"] for ns in matches))
        module.fail_json(msg=f"{len(matches)} private DNS namespaces are named {module.params['name']} ({ids})")
    if not matches:
        return {}
    namespace = get_namespace(client, matches[0]["Id"]) or matches[0]
    return normalize(namespace, list_tags(client, namespace["Arn"]))


def create(client, params: Dict[str, Any]) -> Dict[str, Any]:
    request = {"Name": params["name"], "Vpc": params["vpc_id"]}
    if params["description"]:
        request["Description"] = params["description"]
    if params["tags"]:
        request["Tags"] = [{"Key": key, "Value": value} for key, value in params["tags"].items()]
    operation = wait_for_operation(client, create_private_dns_namespace(client, **request), params["wait_timeout"])
    namespace = get_namespace(client, operation["Targets"]["NAMESPACE"])
    return normalize(namespace, params["tags"] or {})


def ensure_present(module: AnsibleAWSModule, client, current: Dict[str, Any]) -> None:
    params = module.params
    if not current:
        if not params["vpc_id"]:
            module.fail_json(msg=f"vpc_id is required to create the namespace {params['name']}")
        after = {"name": params["name"], "type": "DNS_PRIVATE", "description": params["description"] or "",
                 "tags": params["tags"] or {}}
        after = unless_check_mode(module, create, client, params) or after
        exit_with_result(module, True, diff=build_diff({}, view(after)), namespace=after)

    after = dict(current)
    changed = False
    if params["description"] is not None and params["description"] != current["description"]:
        changed = True
        after["description"] = params["description"]
        unless_check_mode(module, lambda: wait_for_operation(
            client, update_private_dns_namespace(client, current["id"], params["description"]), params["wait_timeout"]))
    tags = reconcile_tags(module, client, current)
    after["tags"] = tags.after
    changed = changed or tags.changed
    exit_with_result(module, changed, diff=build_diff(view(current), view(after)), namespace=after)


def ensure_absent(module: AnsibleAWSModule, client, current: Dict[str, Any]) -> None:
    def delete():
        operation_id = delete_namespace(client, current["id"])
        if operation_id:
            wait_for_operation(client, operation_id, module.params["wait_timeout"])

    exit_absent(module, view(current) if current else {}, delete)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        vpc_id=dict(type="str"),
        description=dict(type="str"),
        wait_timeout=dict(type="int", default=300),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    run_module(argument_spec, find, ensure_absent, ensure_present)


if __name__ == "__main__":
    main()
