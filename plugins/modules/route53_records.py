#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: route53_records
version_added: 1.0.0
short_description: Replace the simple-routing records of one Route 53 name in a single atomic change
description:
  - Makes the record sets of the types O(types) published under O(name) exactly O(records), in B(one) Route 53
    change batch, so the name never goes without an answer. A CNAME can become an alias A record (or the reverse)
    without the gap that a delete followed by a create leaves, which resolvers would cache as a negative answer
    for the zone's SOA minimum.
  - Record sets of a type in O(types) that O(records) does not list are deleted (exactly as they exist); types
    outside O(types) are never touched.
  - Idempotent. Case, trailing dots, the order of values and a load balancer's C(dualstack.) prefix do not count
    as differences.
  - C(amazon.aws.route53) changes one record set per call, so it cannot swap the type of a name atomically; that
    is why this module exists.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  hosted_zone_id:
    description:
      - The ID of the hosted zone (with or without the C(/hostedzone/) prefix).
    type: str
    required: true
  name:
    description:
      - The fully qualified name whose records are managed, for example V(prod.lifeworld.com).
    type: str
    required: true
  types:
    description:
      - The record types this module owns at O(name).
    type: list
    elements: str
    choices: [A, AAAA, CNAME, TXT]
    default: [A, AAAA, CNAME]
  records:
    description:
      - The complete desired set of records of the types O(types); an empty list deletes them all.
      - At most one entry per type (simple routing).
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description: The record type; must be one of O(types).
        type: str
        required: true
        choices: [A, AAAA, CNAME, TXT]
      ttl:
        description: Seconds resolvers may cache the answer. Required unless O(records[].alias) is set.
        type: int
      values:
        description: The values (addresses, a host name, quoted TXT strings). Required unless O(records[].alias) is set.
        type: list
        elements: str
      alias:
        description: Alias target instead of O(records[].ttl) and O(records[].values).
        type: dict
        suboptions:
          dns_name:
            description: DNS name of the target, for example a load balancer's.
            type: str
            required: true
          hosted_zone_id:
            description: The target's canonical hosted zone ID.
            type: str
            required: true
          evaluate_target_health:
            description: Answer only while the target is healthy.
            type: bool
            default: false
  comment:
    description:
      - Comment on the change batch.
    type: str
  wait:
    description:
      - Wait until the change is C(INSYNC) on every Route 53 name server.
      - Without it, poll RV(change_id) (for example with C(amazon.aws.route53_info) and C(query=change)) to show progress.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true).
    type: int
    default: 300
notes:
  - Records with a routing policy (weighted, failover, latency and so on) under O(name) of a type in O(types) make
    the module fail, because it manages simple routing only.
  - Needs the IAM actions C(route53:ListResourceRecordSets), C(route53:ChangeResourceRecordSets) (both scoped to
    the hosted zone) and, with O(wait), C(route53:GetChange).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Point the site at the load balancer, replacing the legacy CNAME atomically
  lifeworld.production.route53_records:
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    name: prod.lifeworld.com
    records:
      - type: A
        alias:
          dns_name: life-world-os-production-alb-123456.us-east-1.elb.amazonaws.com
          hosted_zone_id: Z35SXDOTRQ7X7K
          evaluate_target_health: true
  register: switch

- name: Lower the TTL of the legacy addresses ahead of a switch
  lifeworld.production.route53_records:
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    name: prod.lifeworld.com
    records:
      - {type: A, ttl: 60, values: [203.0.113.10, 203.0.113.11]}
    wait: true
"""

RETURN = r"""
records:
  description: The record sets of the managed types after the run (predicted in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "prod.lifeworld.com.", "type": "A", "ttl": 60, "values": ["203.0.113.10"]}]
previous_records:
  description: The record sets of the managed types before the run, in the same shape as RV(records).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "prod.lifeworld.com.", "type": "CNAME", "ttl": 300, "values": ["legacy.lifeworld.com"]}]
change_id:
  description: The ID of the change batch (not in check mode).
  returned: when changed
  type: str
  sample: C2682N5HXP0BZ4
status:
  description: The change's status, C(PENDING) or C(INSYNC).
  returned: when changed
  type: str
  sample: INSYNC
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode
from ansible_collections.lifeworld.production.plugins.module_utils.route53 import AnsibleRoute53Error
from ansible_collections.lifeworld.production.plugins.module_utils.route53 import ansible_record
from ansible_collections.lifeworld.production.plugins.module_utils.route53 import boto3_record
from ansible_collections.lifeworld.production.plugins.module_utils.route53 import change_records
from ansible_collections.lifeworld.production.plugins.module_utils.route53 import comparable
from ansible_collections.lifeworld.production.plugins.module_utils.route53 import list_name_records
from ansible_collections.lifeworld.production.plugins.module_utils.route53 import wait_insync

# The keys of a ResourceRecordSet that a DELETE must repeat exactly.
_RECORD_KEYS = ("Name", "Type", "TTL", "ResourceRecords", "AliasTarget")


def check_records(module: AnsibleAWSModule) -> None:
    seen = set()
    for index, spec in enumerate(module.params["records"]):
        label = "records[%d] (%s)" % (index, spec["type"])
        if spec["type"] not in module.params["types"]:
            module.fail_json(msg="%s: type %s is not one of types %s" % (label, spec["type"], module.params["types"]))
        if spec["type"] in seen:
            module.fail_json(msg="%s: a second %s record set; simple routing allows one per type" % (label, spec["type"]))
        seen.add(spec["type"])
        if spec.get("values") and (spec.get("ttl") is None or not 0 <= spec["ttl"] <= 2147483647):
            module.fail_json(msg="%s: ttl between 0 and 2147483647 is required with values" % label)
    if "CNAME" in seen and len(seen) > 1:
        module.fail_json(msg="records: a CNAME cannot share its name with other records (%s)" % sorted(seen))


def ensure(module: AnsibleAWSModule, client) -> None:
    params = module.params
    zone_id = params["hosted_zone_id"].split("/")[-1]
    name = params["name"]

    existing = list_name_records(client, zone_id, name)
    if existing is None:
        module.fail_json(msg="Hosted zone %s does not exist" % zone_id)
    current = [record for record in existing if record["Type"] in params["types"]]
    routed = [record for record in current if record.get("SetIdentifier")]
    if routed:
        module.fail_json(
            msg="%s has %s records with a routing policy (set identifiers %s); this module manages simple routing only"
            % (name, sorted({r["Type"] for r in routed}), sorted({r["SetIdentifier"] for r in routed}))
        )
    current_by_type = {record["Type"]: record for record in current}
    desired_by_type = {spec["type"]: boto3_record(name, spec) for spec in params["records"]}

    # Deletes first: Route 53 applies the batch as one transaction, and a CNAME must be gone before its
    # replacement of another type is valid within it.
    changes = [
        {"Action": "DELETE", "ResourceRecordSet": {k: v for k, v in record.items() if k in _RECORD_KEYS}}
        for record_type, record in sorted(current_by_type.items()) if record_type not in desired_by_type
    ]
    changes += [
        {"Action": "UPSERT", "ResourceRecordSet": record}
        for record_type, record in sorted(desired_by_type.items())
        if record_type not in current_by_type or comparable(current_by_type[record_type]) != comparable(record)
    ]

    before = [ansible_record(record) for _type, record in sorted(current_by_type.items())]
    after = [ansible_record(record) for _type, record in sorted(desired_by_type.items())]
    if not changes:
        # Report what exists: it answers the same as what was asked for.
        exit_with_result(module, False, diff={"before": before, "after": before}, records=before, previous_records=before)

    result = {"records": after, "previous_records": before}
    change = unless_check_mode(module, change_records, client, zone_id, changes, params["comment"])
    if change:
        result.update(change_id=change["Id"].split("/")[-1], status=change["Status"])
        if params["wait"] and change["Status"] != "INSYNC":
            wait_insync(client, change["Id"], params["wait_timeout"])
            result["status"] = "INSYNC"
    exit_with_result(module, True, diff={"before": before, "after": after}, **result)


def main():
    record_types = ["A", "AAAA", "CNAME", "TXT"]
    argument_spec = dict(
        hosted_zone_id=dict(type="str", required=True),
        name=dict(type="str", required=True),
        types=dict(type="list", elements="str", choices=record_types, default=["A", "AAAA", "CNAME"]),
        records=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                type=dict(type="str", required=True, choices=record_types),
                ttl=dict(type="int"),
                values=dict(type="list", elements="str"),
                alias=dict(
                    type="dict",
                    options=dict(
                        dns_name=dict(type="str", required=True),
                        hosted_zone_id=dict(type="str", required=True),
                        evaluate_target_health=dict(type="bool", default=False),
                    ),
                ),
            ),
            mutually_exclusive=[("alias", "values")],
            required_one_of=[("alias", "values")],
        ),
        comment=dict(type="str"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    check_records(module)
    client = module.client("route53")
    try:
        ensure(module, client)
    except AnsibleRoute53Error as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
