#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: sns_topic
version_added: 1.0.0
short_description: Manage an encrypted SNS topic and its subscriptions
description:
  - Create, update or delete a standard SNS topic with its display name, KMS encryption (C(KmsMasterKeyId)),
    subscriptions and tags.
  - Written because M(community.aws.sns_topic) has no option for KMS encryption and fails in check mode when the
    topic does not exist yet.
  - In check mode nothing is changed, including for a topic that does not exist yet; the diff shows what would
    change.
  - An attribute whose option is not set is left as it is.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description: The topic's name.
    type: str
    required: true
  state:
    description: Whether the topic should exist.
    type: str
    choices: ['present', 'absent']
    default: present
  display_name:
    description: The display name (the sender of email and SMS notifications).
    type: str
  kms_master_key_id:
    description:
      - KMS key (ARN, key id or alias) that encrypts the topic's messages at rest. An empty string removes the
        encryption.
      - For CloudWatch alarms to publish to an encrypted topic, the key policy must let C(cloudwatch.amazonaws.com)
        use the key (C(kms:Decrypt), C(kms:GenerateDataKey*)); the AWS-managed key C(alias/aws/sns) does not.
    type: str
  subscriptions:
    description:
      - The topic's subscriptions. When set, missing ones are added and, with O(purge_subscriptions), others are
        removed (a subscription still pending confirmation cannot be removed and is left alone).
    type: list
    elements: dict
    suboptions:
      protocol:
        description: Delivery protocol, for example V(email), V(https), V(sqs), V(lambda).
        type: str
        required: true
      endpoint:
        description: Address, URL or ARN receiving the notifications.
        type: str
        required: true
  purge_subscriptions:
    description: Remove subscriptions that are not in O(subscriptions).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Encrypted alert topic with an on-call mailbox
  lifeworld.production.sns_topic:
    name: life-world-os-production-alerts
    display_name: Life World OS production alerts
    kms_master_key_id: arn:aws:kms:us-east-1:123456789012:key/0c3f8b1e-5d7a-4a43-9a59-3d2f1c0e9a11
    subscriptions:
      - protocol: email
        endpoint: oncall@lifeworld.com
    tags:
      Component: observability
"""

RETURN = r"""
sns_topic:
  description: The topic after the run; empty when absent.
  returned: always
  type: dict
  contains:
    topic_arn:
      description: The topic's ARN (not returned in check mode for a topic that would be created).
      type: str
      sample: arn:aws:sns:us-east-1:123456789012:life-world-os-production-alerts
    name:
      description: The topic's name.
      type: str
      sample: life-world-os-production-alerts
    display_name:
      description: The display name.
      type: str
      sample: Life World OS production alerts
    kms_master_key_id:
      description: The KMS key encrypting the topic; empty when not encrypted.
      type: str
      sample: arn:aws:kms:us-east-1:123456789012:key/0c3f8b1e-5d7a-4a43-9a59-3d2f1c0e9a11
    subscriptions:
      description: The subscriptions, as protocol and endpoint.
      type: list
      elements: dict
      sample: [{"protocol": "email", "endpoint": "oncall@lifeworld.com"}]
    tags:
      description: The topic's tags.
      type: dict
      sample: {"Component": "observability"}
"""

from functools import partial
from typing import Any
from typing import Dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import apply_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_absent
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import plan_tags
from ansible_collections.lifeworld.production.plugins.module_utils.sns import AnsibleSNSError
from ansible_collections.lifeworld.production.plugins.module_utils.sns import create_topic
from ansible_collections.lifeworld.production.plugins.module_utils.sns import delete_topic
from ansible_collections.lifeworld.production.plugins.module_utils.sns import find_topic_arn
from ansible_collections.lifeworld.production.plugins.module_utils.sns import get_topic_attributes
from ansible_collections.lifeworld.production.plugins.module_utils.sns import list_subscriptions
from ansible_collections.lifeworld.production.plugins.module_utils.sns import list_tags
from ansible_collections.lifeworld.production.plugins.module_utils.sns import set_topic_attribute
from ansible_collections.lifeworld.production.plugins.module_utils.sns import subscribe
from ansible_collections.lifeworld.production.plugins.module_utils.sns import tag_topic
from ansible_collections.lifeworld.production.plugins.module_utils.sns import unsubscribe
from ansible_collections.lifeworld.production.plugins.module_utils.sns import untag_topic

# option -> topic attribute
ATTRIBUTES = {"display_name": "DisplayName", "kms_master_key_id": "KmsMasterKeyId"}
# A subscription AWS has not confirmed yet has no ARN and cannot be unsubscribed.
UNCONFIRMED = ("PendingConfirmation", "Deleted")


def _sub_key(sub: Dict[str, str]):
    return (sub["protocol"], sub["endpoint"])


def current_state(client, arn: str) -> Dict[str, Any]:
    attributes = get_topic_attributes(client, arn) or {}
    subscriptions = list_subscriptions(client, arn)
    return {
        "topic_arn": arn,
        "name": arn.split(":")[-1],
        "display_name": attributes.get("DisplayName", ""),
        "kms_master_key_id": attributes.get("KmsMasterKeyId", ""),
        "subscriptions": sorted(
            ({"protocol": s["Protocol"], "endpoint": s["Endpoint"], "arn": s["SubscriptionArn"]} for s in subscriptions),
            key=lambda s: (s["protocol"], s["endpoint"]),
        ),
        "tags": list_tags(client, arn),
    }


def view(state: Dict[str, Any]) -> Dict[str, Any]:
    if not state:
        return {}
    result = {key: state.get(key, "") for key in ("display_name", "kms_master_key_id")}
    result["subscriptions"] = sorted({_sub_key(s) for s in state.get("subscriptions", [])})
    result["subscriptions"] = [{"protocol": p, "endpoint": e} for p, e in result["subscriptions"]]
    result["tags"] = state.get("tags", {})
    return result


def desired_state(params: Dict[str, Any], current: Dict[str, Any]):
    """The predicted topic, and the subscriptions to add and to remove."""
    after = dict(current) if current else {"name": params["name"], "display_name": "", "kms_master_key_id": "",
                                           "subscriptions": [], "tags": {}}
    for key in ATTRIBUTES:
        if params[key] is not None:
            after[key] = params[key]
    to_add, to_remove = [], []
    if params["subscriptions"] is not None:
        wanted = {_sub_key(s) for s in params["subscriptions"]}
        have = {_sub_key(s): s for s in after["subscriptions"]}
        to_add = sorted(wanted - set(have))
        if params["purge_subscriptions"]:
            to_remove = [have[key] for key in sorted(set(have) - wanted) if have[key].get("arn") not in UNCONFIRMED]
        removed = {_sub_key(s) for s in to_remove}
        kept = [s for key, s in have.items() if key not in removed]
        after["subscriptions"] = kept + [{"protocol": p, "endpoint": e} for p, e in to_add]
    tags = plan_tags(after["tags"], params["tags"], params["purge_tags"])
    after["tags"] = tags.after
    return after, to_add, to_remove, tags


def ensure_present(module: AnsibleAWSModule, client, arn) -> None:
    params = module.params
    current = current_state(client, arn) if arn else {}
    after, to_add, to_remove, tags = desired_state(params, current)
    changed = view(current) != view(after)

    if changed and not module.check_mode:
        if not arn:
            attributes = {ATTRIBUTES[key]: after[key] for key in ATTRIBUTES if after[key]}
            arn = create_topic(client, params["name"], attributes, after["tags"])
        else:
            for key, attribute in ATTRIBUTES.items():
                if after[key] != current[key]:
                    set_topic_attribute(client, arn, attribute, after[key])
            apply_tags(module, tags, partial(tag_topic, client, arn), partial(untag_topic, client, arn))
        for sub in to_remove:
            unsubscribe(client, sub["arn"])
        for protocol, endpoint in to_add:
            subscribe(client, arn, protocol, endpoint)
        after = current_state(client, arn)
    if arn:
        after["topic_arn"] = arn
    after["subscriptions"] = view(after)["subscriptions"]
    exit_with_result(module, changed, diff=build_diff(view(current), view(after)), sns_topic=after)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        display_name=dict(type="str"),
        kms_master_key_id=dict(type="str", no_log=False),
        subscriptions=dict(
            type="list",
            elements="dict",
            options=dict(protocol=dict(type="str", required=True), endpoint=dict(type="str", required=True)),
        ),
        purge_subscriptions=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("sns")

    try:
        arn = find_topic_arn(client, module.params["name"])
        if module.params["state"] == "absent":
            before = view(current_state(client, arn)) if arn else {}
            exit_absent(module, before, partial(delete_topic, client, arn), sns_topic={})
        ensure_present(module, client, arn)
    except AnsibleSNSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
