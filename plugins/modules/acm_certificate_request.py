#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: acm_certificate_request
version_added: 1.0.0
short_description: Request an ACM certificate with DNS validation and wait until it is issued
description:
  - Requests a public AWS Certificate Manager certificate for O(domain_name) and O(subject_alternative_names),
    validated through DNS, and returns the CNAME records ACM needs (RV(validation_records)) so that a following
    task can write them to the hosted zone.
  - Idempotent. An existing certificate with the same domain name and the same set of alternative names, whose
    status is C(ISSUED) or C(PENDING_VALIDATION), is reused (an issued one first, then the newest). Failed, expired,
    revoked or timed-out certificates are never reused; a new one is requested instead.
  - With O(wait=true) the module waits until the certificate is C(ISSUED). When O(wait_timeout) passes first, it
    fails with a message telling what to check; run it again (for example in an C(until) loop) to keep waiting.
  - community.aws.acm_certificate can only import certificates; this module fills that gap.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  state:
    description:
      - Whether the certificate should exist.
      - V(absent) deletes every certificate with the same domain name and alternative names, whatever its status.
    type: str
    choices: ['present', 'absent']
    default: present
  domain_name:
    description:
      - The fully qualified domain name the certificate protects, for example V(prod.example.com) or
        V(*.example.com).
    type: str
    required: true
  subject_alternative_names:
    description:
      - Further names the certificate protects. O(domain_name) is always included; order does not matter.
    type: list
    elements: str
    default: []
  wait:
    description:
      - Wait until the certificate is C(ISSUED).
      - Nothing is waited for in check mode when the certificate would first be requested.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the certificate to be issued when O(wait=true).
    type: int
    default: 300
  wait_delay:
    description:
      - Seconds between two status reads while waiting.
    type: int
    default: 10
notes:
  - AWS issues the certificate only after it resolves the validation CNAME records through the public DNS, so the
    hosted zone holding them must be the one the domain is delegated to.
  - ACM adds the validation records to the certificate a few seconds after the request; the module waits for them
    (up to 60 seconds) before it returns, so RV(validation_records) is complete when a certificate was requested.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Request the site's certificate
  lifeworld.production.acm_certificate_request:
    domain_name: prod.example.com
    subject_alternative_names: [www.prod.example.com]
    tags:
      Name: life-world-os-production
      Component: edge
  register: cert

- name: Write the validation records
  amazon.aws.route53:
    zone: example.com
    record: "{{ item.name }}"
    type: "{{ item.type }}"
    value: "{{ item.value }}"
    ttl: 300
    overwrite: true
    state: present
  loop: "{{ cert.validation_records }}"

- name: Wait until ACM has issued it, showing progress every minute, for up to 30 minutes
  lifeworld.production.acm_certificate_request:
    domain_name: prod.example.com
    subject_alternative_names: [www.prod.example.com]
    wait: true
    wait_timeout: 60
  register: issued
  until: issued is succeeded
  retries: 30
  delay: 0

- name: Delete the certificate
  lifeworld.production.acm_certificate_request:
    domain_name: prod.example.com
    subject_alternative_names: [www.prod.example.com]
    state: absent
"""

RETURN = r"""
certificate_arn:
  description: The ARN of the certificate. Empty when absent or only predicted in check mode.
  returned: always
  type: str
  sample: arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100
certificate:
  description: The certificate after the change; empty when O(state=absent).
  returned: always
  type: dict
  contains:
    certificate_arn:
      description: The ARN of the certificate.
      type: str
    domain_name:
      description: The main domain name.
      type: str
      sample: prod.example.com
    subject_alternative_names:
      description: Every name the certificate protects, including the domain name.
      type: list
      elements: str
      sample: [prod.example.com, www.prod.example.com]
    status:
      description: C(PENDING_VALIDATION), C(ISSUED), ...
      type: str
      sample: ISSUED
    in_use_by:
      description: ARNs of the resources (load balancers, ...) that use the certificate.
      type: list
      elements: str
    domain_validation_options:
      description: Validation state per name, as AWS returns it (snake_case).
      type: list
      elements: dict
    tags:
      description: The tags of the certificate.
      type: dict
      sample: {"Component": "edge"}
validation_records:
  description:
    - The distinct DNS records ACM needs to validate the certificate (a wildcard and its apex share one).
    - Empty in check mode when the certificate would first be requested.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The record name.
      type: str
      sample: _3b1d3ad1b0ba1d3ee6c7b5d1a83d5ec4.prod.example.com.
    type:
      description: The record type (CNAME).
      type: str
      sample: CNAME
    value:
      description: The record value.
      type: str
      sample: _7f3c...acm-validations.aws.
"""

import time
from functools import partial
from typing import Any
from typing import Dict
from typing import Optional

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.lifeworld.production.plugins.module_utils.acm import AnsibleACMError
from ansible_collections.lifeworld.production.plugins.module_utils.acm import add_certificate_tags
from ansible_collections.lifeworld.production.plugins.module_utils.acm import delete_certificate
from ansible_collections.lifeworld.production.plugins.module_utils.acm import describe_certificate
from ansible_collections.lifeworld.production.plugins.module_utils.acm import find_certificates
from ansible_collections.lifeworld.production.plugins.module_utils.acm import get_certificate_tags
from ansible_collections.lifeworld.production.plugins.module_utils.acm import idempotency_token
from ansible_collections.lifeworld.production.plugins.module_utils.acm import records_pending
from ansible_collections.lifeworld.production.plugins.module_utils.acm import remove_certificate_tags
from ansible_collections.lifeworld.production.plugins.module_utils.acm import request_certificate
from ansible_collections.lifeworld.production.plugins.module_utils.acm import requested_names
from ansible_collections.lifeworld.production.plugins.module_utils.acm import validation_records
from ansible_collections.lifeworld.production.plugins.module_utils.common import apply_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_absent
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import plan_tags

# How long to wait for ACM to publish the validation records of a new request.
RECORDS_TIMEOUT = 60
TERMINAL_FAILURES = ("FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED", "INACTIVE")


def normalize(certificate: Optional[Dict[str, Any]], tags: Dict[str, str]) -> Dict[str, Any]:
    if not certificate:
        return {}
    result = camel_dict_to_snake_dict(certificate)
    result["tags"] = tags
    return result


def view(certificate: Dict[str, Any]) -> Dict[str, Any]:
    if not certificate:
        return {}
    return {
        "domain_name": certificate.get("domain_name"),
        "subject_alternative_names": certificate.get("subject_alternative_names"),
        "tags": certificate.get("tags", {}),
    }


def wait_for_records(module, client, arn: str) -> Optional[Dict[str, Any]]:
    deadline = time.time() + RECORDS_TIMEOUT
    certificate = describe_certificate(client, arn)
    while records_pending(certificate) and time.time() < deadline:
        time.sleep(min(2, module.params["wait_delay"]))
        certificate = describe_certificate(client, arn)
    return certificate


def wait_until_issued(module, client, certificate: Dict[str, Any]) -> Dict[str, Any]:
    params = module.params
    deadline = time.time() + params["wait_timeout"]
    while certificate.get("Status") == "PENDING_VALIDATION" and time.time() < deadline:
        time.sleep(max(0, min(params["wait_delay"], deadline - time.time())))
        certificate = describe_certificate(client, certificate["CertificateArn"]) or certificate
    status = certificate.get("Status")
    if status == "ISSUED":
        return certificate
    arn = certificate["CertificateArn"]
    names = ", ".join(record["name"] for record in validation_records(certificate)) or "(none published yet)"
    if status in TERMINAL_FAILURES:
        module.fail_json(
            msg=f"Certificate {arn} for {params['domain_name']} is {status} "
            f"({certificate.get('FailureReason') or 'no reason given'}). Check that the domain's registrar delegates "
            "it to the hosted zone holding the validation records, then delete it (state=absent) and request again.",
            certificate_arn=arn,
            certificate=normalize(certificate, get_certificate_tags(client, arn)),
            validation_records=validation_records(certificate),
        )
    module.fail_json(
        msg=f"Certificate {arn} for {params['domain_name']} is still {status} after {params['wait_timeout']} s. "
        f"ACM issues it once public DNS answers the validation CNAME records ({names}): check that they exist in the "
        "hosted zone and that the domain's NS records delegate to that zone, then run again (it keeps waiting for "
        "the same certificate) or raise wait_timeout.",
        certificate_arn=arn,
        certificate=normalize(certificate, get_certificate_tags(client, arn)),
        validation_records=validation_records(certificate),
    )


# The result of a run that leaves no certificate.
NOTHING = {"certificate": {}, "certificate_arn": "", "validation_records": []}


def ensure_absent(module, client) -> None:
    params = module.params
    matches = find_certificates(
        client,
        params["domain_name"],
        params["subject_alternative_names"],
        statuses=("ISSUED", "PENDING_VALIDATION", "FAILED", "VALIDATION_TIMED_OUT", "EXPIRED", "INACTIVE", "REVOKED"),
    )
    if not matches:
        exit_absent(module, {}, None, **NOTHING)
    in_use = {c["CertificateArn"]: c["InUseBy"] for c in matches if c.get("InUseBy")}
    if in_use:
        module.fail_json(msg=f"Cannot delete certificates still in use; detach them first: {in_use}")
    before = normalize(matches[0], get_certificate_tags(client, matches[0]["CertificateArn"]))
    exit_absent(module, view(before), lambda: [delete_certificate(client, c["CertificateArn"]) for c in matches],
                **NOTHING)


def ensure_present(module, client) -> None:
    params = module.params
    names = requested_names(params["domain_name"], params["subject_alternative_names"])
    matches = find_certificates(client, params["domain_name"], params["subject_alternative_names"])
    existing = matches[0] if matches else None
    changed = False

    if existing:
        arn = existing["CertificateArn"]
        current_tags = get_certificate_tags(client, arn)
        before = normalize(existing, current_tags)
        tags = plan_tags(current_tags, params["tags"], params["purge_tags"])
        after_tags = tags.after
        changed = apply_tags(module, tags, partial(add_certificate_tags, client, arn),
                             partial(remove_certificate_tags, client, arn))
        certificate = existing
    else:
        before = {}
        after_tags = dict(params["tags"] or {})
        changed = True
        if module.check_mode:
            predicted = {
                "domain_name": params["domain_name"],
                "subject_alternative_names": names,
                "status": "PENDING_VALIDATION",
                "tags": after_tags,
            }
            exit_with_result(
                module,
                True,
                diff=build_diff({}, view(predicted)),
                certificate=predicted,
                certificate_arn="",
                validation_records=[],
            )
        request = {
            "DomainName": params["domain_name"],
            "ValidationMethod": "DNS",
            "IdempotencyToken": idempotency_token(params["domain_name"], names),
        }
        if len(names) > 1:
            request["SubjectAlternativeNames"] = names
        if after_tags:
            request["Tags"] = ansible_dict_to_boto3_tag_list(after_tags)
        arn = request_certificate(client, **request)
        certificate = wait_for_records(module, client, arn) or {"CertificateArn": arn}

    if params["wait"] and certificate.get("Status") != "ISSUED":
        certificate = wait_until_issued(module, client, certificate)

    after = normalize(certificate, after_tags)
    exit_with_result(
        module,
        changed,
        diff=build_diff(view(before), view(after)),
        certificate=after,
        certificate_arn=arn,
        validation_records=validation_records(certificate),
    )


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        domain_name=dict(type="str", required=True),
        subject_alternative_names=dict(type="list", elements="str", default=[]),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
        wait_delay=dict(type="int", default=10),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["wait_timeout"] < 0 or module.params["wait_delay"] < 1:
        module.fail_json(msg="wait_timeout must be >= 0 and wait_delay >= 1")
    client = module.client("acm")
    try:
        if module.params["state"] == "absent":
            ensure_absent(module, client)
        ensure_present(module, client)
    except AnsibleACMError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
