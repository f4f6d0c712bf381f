#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: servicediscovery_service
version_added: 1.0.0
short_description: Manage an AWS Cloud Map service in a DNS namespace
description:
  - Creates, updates (description, DNS record TTLs, tags) and deletes an AWS Cloud Map service, found by its name
    within O(namespace_id). ECS registers its tasks in the service through the ECS service's C(serviceRegistries).
  - The routing policy, the record types and the custom health check cannot be changed on an existing service;
    the module fails and says so when they differ.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description:
      - The name of the service; its DNS name is C(<name>.<namespace>).
    type: str
    required: true
  namespace_id:
    description:
      - The ID of the namespace (see M(lifeworld.production.servicediscovery_namespace)).
    type: str
    required: true
  state:
    description:
      - Whether the service should exist. Deleting fails while instances are registered.
    type: str
    choices: ['present', 'absent']
    default: present
  description:
    description:
      - A description of the service. Left as it is when not set.
    type: str
  routing_policy:
    description:
      - How Route 53 answers for the records.
    type: str
    choices: ['MULTIVALUE', 'WEIGHTED']
    default: MULTIVALUE
  dns_records:
    description:
      - The records created for each registered instance.
    type: list
    elements: dict
    default: [{type: A, ttl: 10}]
    suboptions:
      type:
        description: The record type.
        type: str
        choices: ['A', 'AAAA', 'SRV', 'CNAME']
        required: true
      ttl:
        description: The TTL of the record, in seconds.
        type: int
        required: true
  health_check_custom:
    description:
      - Whether the service uses a custom health check, which ECS updates from the task's health.
    type: bool
    default: true
notes:
  - Needs the IAM actions C(servicediscovery:ListServices), C(servicediscovery:GetService),
    C(servicediscovery:CreateService), C(servicediscovery:UpdateService), C(servicediscovery:DeleteService),
    C(servicediscovery:ListTagsForResource), C(servicediscovery:TagResource) and C(servicediscovery:UntagResource).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: backend.production.life-world-os.internal
  lifeworld.production.servicediscovery_service:
    name: backend
    namespace_id: "{{ namespace.namespace.id }}"
    dns_records:
      - type: A
        ttl: 10
    tags:
      Component: compute
"""

RETURN = r"""
service:
  description: The service after the run (predicted in check mode, without id and ARN when it would be created).
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: The service ID.
      type: str
      sample: srv-abcdefghijklmnop
    arn:
      description: The service ARN, which an ECS service's C(serviceRegistries[].registryArn) takes.
      type: str
      sample: arn:aws:servicediscovery:us-east-1:123456789012:service/srv-abcdefghijklmnop
    name:
      description: The name.
      type: str
      sample: backend
    namespace_id:
      description: The namespace.
      type: str
      sample: ns-abcdefghijklmnop
    description:
      description: The description.
      type: str
      sample: backend tasks
    routing_policy:
      description: The routing policy.
      type: str
      sample: MULTIVALUE
    dns_records:
      description: The record types and TTLs.
      type: list
      elements: dict
      sample: [{"type": "A", "ttl": 10}]
    health_check_custom:
      description: Whether a custom health check is configured.
      type: bool
      sample: true
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
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import create_service
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import delete_service
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import get_service
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import list_services
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import list_tags
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import reconcile_tags
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import run_module
from ansible_collections.lifeworld.production.plugins.module_utils.servicediscovery import update_service

IMMUTABLE = ("routing_policy", "record_types", "health_check_custom")


def normalize(service: Optional[Dict[str, Any]], tags: Dict[str, str]) -> Dict[str, Any]:
    if not service:
        return {}
    dns = service.get("DnsConfig") or {}
    return {
        "id": service["Id"],
        "arn": service["Arn"],
        "name": service["Name"],
        "namespace_id": service.get("NamespaceId") or dns.get("NamespaceId"),
        "description": service.get("Description", ""),
        "routing_policy": dns.get("RoutingPolicy", "MULTIVALUE"),
        "dns_records": [{"type": r["Type"], "ttl": r["TTL"]} for r in dns.get("DnsRecords") or []],
        "health_check_custom": "HealthCheckCustomConfig" in service,
        "tags": tags,
    }


def view(service: Dict[str, Any]) -> Dict[str, Any]:
    keys = ("name", "namespace_id", "description", "routing_policy", "dns_records", "health_check_custom", "tags")
    return {key: service[key] for key in keys if key in service} if service else {}


def record_types(records):
    return sorted(record["type"] for record in records)


def records_to_boto3(records):
    return [{"Type": record["type"], "TTL": record["ttl"]} for record in records]


def find(module: AnsibleAWSModule, client) -> Dict[str, Any]:
    matches = [s for s in list_services(client, module.params["namespace_id"]) if s["Name"] == module.params["name"]]
    if not matches:
        return {}
    service = get_service(client, matches[0]["Id"]) or matches[0]
    service.setdefault("NamespaceId", module.params["namespace_id"])
    return normalize(service, list_tags(client, service["Arn"]))


def create(module: AnsibleAWSModule, client, after: Dict[str, Any]) -> Dict[str, Any]:
    params = module.params
    request = {
        "Name": params["name"],
        "NamespaceId": params["namespace_id"],
        "DnsConfig": {"RoutingPolicy": params["routing_policy"], "DnsRecords": records_to_boto3(params["dns_records"])},
    }
    if params["description"]:
        request["Description"] = params["description"]
    if params["health_check_custom"]:
        request["HealthCheckCustomConfig"] = {"FailureThreshold": 1}
    if params["tags"]:
        request["Tags"] = [{"Key": key, "Value": value} for key, value in params["tags"].items()]
    service = create_service(client, **request)
    service.setdefault("NamespaceId", params["namespace_id"])
    return normalize(service, params["tags"] or {})


def ensure_present(module: AnsibleAWSModule, client, current: Dict[str, Any]) -> None:
    params = module.params
    if not current:
        after = {"name": params["name"], "namespace_id": params["namespace_id"],
                 "description": params["description"] or "", "routing_policy": params["routing_policy"],
                 "dns_records": params["dns_records"], "health_check_custom": params["health_check_custom"],
                 "tags": params["tags"] or {}}
        after = unless_check_mode(module, create, module, client, after) or after
        exit_with_result(module, True, diff=build_diff({}, view(after)), service=after)

    fixed = {
        "routing_policy": (current["routing_policy"], params["routing_policy"]),
        "record_types": (record_types(current["dns_records"]), record_types(params["dns_records"])),
        "health_check_custom": (current["health_check_custom"], params["health_check_custom"]),
    }
    differing = [f"{key} is {have}, wanted {want}" for key, (have, want) in fixed.items() if have != want]
    if differing:
        module.fail_json(
            msg=f"Cloud Map service {params['name']} cannot be changed in place ({'; '.join(differing)}): "
            "delete it (state=absent) after removing it from its ECS service, then create it again"
        )

    after = dict(current)
    update = {}
    if params["description"] is not None and params["description"] != current["description"]:
        after["description"] = update["Description"] = params["description"]
    if params["dns_records"] != current["dns_records"]:
        after["dns_records"] = params["dns_records"]
        update["DnsConfig"] = {"DnsRecords": records_to_boto3(params["dns_records"])}
    if update:
        unless_check_mode(module, update_service, client, current["id"], update)
    tags = reconcile_tags(module, client, current)
    after["tags"] = tags.after
    changed = bool(update) or tags.changed
    exit_with_result(module, changed, diff=build_diff(view(current), view(after)), service=after)


def ensure_absent(module: AnsibleAWSModule, client, current: Dict[str, Any]) -> None:
    exit_absent(module, view(current) if current else {}, lambda: delete_service(client, current["id"]))


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        namespace_id=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        description=dict(type="str"),
        routing_policy=dict(type="str", default="MULTIVALUE", choices=["MULTIVALUE", "WEIGHTED"]),
        dns_records=dict(
            type="list",
            elements="dict",
            default=[{"type": "A", "ttl": 10}],
            options=dict(
                type=dict(type="str", required=True, choices=["A", "AAAA", "SRV", "CNAME"]),
                ttl=dict(type="int", required=True),
            ),
        ),
        health_check_custom=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    run_module(argument_spec, find, ensure_absent, ensure_present)


if __name__ == "__main__":
    main()
