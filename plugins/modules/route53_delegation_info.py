#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: route53_delegation_info
version_added: 1.1.0
short_description: Check that public DNS delegates a zone to its Route 53 name servers
description:
  - Asks public DNS for the NS records of O(zone_name) and compares them with O(name_servers), the name servers
    Route 53 gave the hosted zone. Returns whether they match and, when not, the exact records to add at the
    parent zone's DNS provider.
  - ACM validates certificates through public DNS; in a zone nobody delegates to, a certificate never validates.
  - Uses dnspython when installed, else a plain UDP query to O(resolver) (default the system's resolver).
  - Never fails on a mismatch (RV(delegated) says it); fails when DNS cannot be asked at all, because a check that
    cannot reach what it checks must not pass.
  - The moto emulator's zones are delegated nowhere; tests give O(answers) instead of asking public DNS.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  zone_name:
    description: The zone, for example V(prod.lifeworld.com).
    type: str
    required: true
  name_servers:
    description: The name servers the zone must be delegated to (its Route 53 delegation set).
    type: list
    elements: str
    required: true
  resolver:
    description: Address of the DNS resolver to ask; default the first C(nameserver) of C(/etc/resolv.conf).
    type: str
  resolver_port:
    description: Port of O(resolver).
    type: int
    default: 53
  timeout:
    description: Seconds to wait for the answer.
    type: float
    default: 5
  answers:
    description:
      - Test seam. The NS names to take as public DNS's answer instead of asking (no query is made).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Does public DNS delegate the zone to Route 53?
  lifeworld.production.route53_delegation_info:
    zone_name: prod.lifeworld.com
    name_servers: "{{ zone.DelegationSet.NameServers }}"
  register: delegation
"""

RETURN = r"""
delegated:
  description: Whether public DNS answers exactly O(name_servers) for the zone.
  returned: always
  type: bool
  sample: false
public_name_servers:
  description: What public DNS answered (normalized, sorted; empty when the name has no NS records).
  returned: always
  type: list
  elements: str
  sample: ["ns1.old-provider.example"]
expected_name_servers:
  description: O(name_servers), normalized and sorted.
  returned: always
  type: list
  elements: str
  sample: ["ns-1.awsdns-01.org"]
records_to_add:
  description: The NS records (zone-file lines) to create at the parent zone's DNS provider.
  returned: always
  type: list
  elements: str
  sample: ["prod.lifeworld.com. 172800 IN NS ns-1.awsdns-01.org."]
"""

import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lifeworld.production.plugins.module_utils.dns_delegation import normalize
from ansible_collections.lifeworld.production.plugins.module_utils.dns_delegation import public_name_servers
from ansible_collections.lifeworld.production.plugins.module_utils.dns_delegation import records_to_add


def main():
    module = AnsibleModule(
        argument_spec=dict(
            zone_name=dict(type="str", required=True),
            name_servers=dict(type="list", elements="str", required=True),
            resolver=dict(type="str"),
            resolver_port=dict(type="int", default=53),
            timeout=dict(type="float", default=5),
            answers=dict(type="list", elements="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    zone = normalize(params["zone_name"])
    expected = sorted({normalize(ns) for ns in params["name_servers"]})
    if params["answers"] is not None:
        found = sorted({normalize(ns) for ns in params["answers"]})
    else:
        try:
            found = public_name_servers(zone, server=params["resolver"], port=params["resolver_port"],
                                        timeout=params["timeout"])
        except (OSError, socket.timeout, ValueError) as e:
            module.fail_json(msg="Could not ask public DNS for the NS records of %s: %s" % (zone, e))
    module.exit_json(changed=False, delegated=bool(expected) and found == expected, public_name_servers=found,
                     expected_name_servers=expected, records_to_add=records_to_add(zone, expected))


if __name__ == "__main__":
    main()
