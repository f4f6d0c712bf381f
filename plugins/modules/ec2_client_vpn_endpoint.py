#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_client_vpn_endpoint
version_added: 1.0.0
short_description: Manage an AWS Client VPN endpoint, its subnets, authorization rules and routes
description:
  - Creates, updates and deletes an AWS Client VPN endpoint with mutual (certificate) authentication, and keeps its
    target-network associations (O(target_subnet_ids)), authorization rules (O(authorization_rules)) and routes
    (O(routes)) as given.
  - The endpoint is identified by its C(Name) tag, O(name).
  - An option that is not set leaves that attribute (or that list) as it is. A list that is set is made exactly
    so; routes that AWS adds for an associated subnet (origin C(associate)) are never removed.
  - O(client_cidr_block), O(transport_protocol) and the authentication cannot be changed on an existing endpoint;
    the module fails and says so instead of replacing the endpoint (which would cut every connected client off).
  - Neither amazon.aws nor community.aws has a Client VPN module (community.aws.ec2_vpc_vpn is site-to-site VPN).
author:
  - Life World OS platform team (!UNKNOWN)
options:
  state:
    description:
      - Whether the endpoint should exist. V(absent) disassociates its subnets first, then deletes it.
    type: str
    choices: ['present', 'absent']
    default: present
  name:
    description:
      - Value of the endpoint's C(Name) tag, which identifies it.
    type: str
    required: true
  client_cidr_block:
    description:
      - The IPv4 range (C(/12) to C(/22)) from which client addresses are assigned. Required to create.
    type: str
  server_certificate_arn:
    description:
      - ARN of the server certificate in ACM. Required to create.
    type: str
  client_root_certificate_chain_arn:
    description:
      - ARN of the client root certificate chain in ACM (mutual authentication). Required to create.
    type: str
  transport_protocol:
    description:
      - Transport protocol of the tunnel. Only used at creation.
    type: str
    choices: ['udp', 'tcp']
    default: udp
  vpn_port:
    description:
      - Port of the endpoint.
    type: int
    choices: [443, 1194]
  split_tunnel:
    description:
      - Send only the traffic for the endpoint's routes through the tunnel.
    type: bool
  description:
    description:
      - Description of the endpoint.
    type: str
  dns_servers:
    description:
      - DNS servers pushed to clients (at most 2); an empty list clears them.
    type: list
    elements: str
  vpc_id:
    description:
      - The VPC whose security groups apply to the endpoint. Required with O(security_group_ids).
    type: str
  security_group_ids:
    description:
      - Security groups applied to the endpoint's network interfaces.
      - An empty list leaves the groups to AWS, which applies the VPC's default group.
    type: list
    elements: str
  session_timeout_hours:
    description:
      - Maximum VPN session duration.
    type: int
    choices: [8, 10, 12, 24]
  connection_log:
    description:
      - Connection logging to CloudWatch Logs.
    type: dict
    suboptions:
      enabled:
        description: Whether connections are logged.
        type: bool
        required: true
      cloudwatch_log_group:
        description: The log group name (required when O(connection_log.enabled=true)).
        type: str
      cloudwatch_log_stream:
        description: The log stream name (AWS creates one when not given).
        type: str
  target_subnet_ids:
    description:
      - Subnets (one per availability zone) the endpoint is associated with.
    type: list
    elements: str
  authorization_rules:
    description:
      - Networks clients may reach.
    type: list
    elements: dict
    suboptions:
      destination_cidr:
        description: The network clients may reach.
        type: str
        required: true
      access_group_id:
        description: Only this group (of the identity provider) may reach it; all clients when not set.
        type: str
      description:
        description: Description of the rule.
        type: str
  routes:
    description:
      - Routes besides those AWS adds for each associated subnet.
    type: list
    elements: dict
    suboptions:
      destination_cidr:
        description: The destination network.
        type: str
        required: true
      target_subnet_id:
        description:
          - The associated subnet the traffic leaves through.
          - When not set, one route through each associated subnet (O(target_subnet_ids), or the current ones).
        type: str
      description:
        description: Description of the route.
        type: str
  wait:
    description:
      - Wait until every subnet in O(target_subnet_ids) is associated.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the associations before failing (a later run waits again).
    type: int
    default: 900
notes:
  - The unit tests use botocore's Stubber (every call and response checked against the EC2 API model) and a small
    stateful fake, because the moto emulator does not implement the Client VPN API; the association wait (states
    C(associating) to C(associated), a failed association, the timeout) and the empty security-group list are
    tested that way too.
  - Subnet associations take several minutes to become C(associated) on AWS; with O(wait) the module polls
    until they are (its progress goes to the module log), so routes and the first connections find them ready.
  - O(security_group_ids=[]) means the VPC's default group, which AWS applies when none is given; it is never
    reported as a change.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Client VPN into the private subnets, split tunnel, with connection logs
  lifeworld.production.ec2_client_vpn_endpoint:
    name: life-world-os-production-vpn
    client_cidr_block: 10.100.0.0/22
    server_certificate_arn: "{{ server_cert_arn }}"
    client_root_certificate_chain_arn: "{{ client_ca_arn }}"
    split_tunnel: true
    vpn_port: 443
    vpc_id: "{{ vpc_id }}"
    security_group_ids: ["{{ vpn_sg_id }}"]
    connection_log:
      enabled: true
      cloudwatch_log_group: /aws/client-vpn/life-world-os-production
    target_subnet_ids: "{{ private_subnet_ids }}"
    authorization_rules:
      - destination_cidr: 10.40.0.0/16
        description: the whole VPC
    tags:
      Component: edge

- name: Remove the endpoint
  lifeworld.production.ec2_client_vpn_endpoint:
    name: life-world-os-production-vpn
    state: absent
"""

RETURN = r"""
client_vpn_endpoint:
  description: The endpoint after the change (snake_case); empty when absent. Predicted in check mode.
  returned: always
  type: dict
  contains:
    client_vpn_endpoint_id:
      description: The endpoint id (absent from a prediction of a new endpoint).
      type: str
      sample: cvpn-endpoint-0123456789abcdef0
    dns_name:
      description: The DNS name clients connect to.
      type: str
      sample: "*.cvpn-endpoint-0123456789abcdef0.prod.clientvpn.us-east-1.amazonaws.com"
    status:
      description: Status of the endpoint.
      type: dict
    tags:
      description: Tags of the endpoint.
      type: dict
target_networks:
  description: Associated subnets, as subnet id to association id (empty id when only predicted).
  returned: always
  type: dict
  sample: {"subnet-0123456789abcdef0": "cvpn-assoc-0123456789abcdef0"}
authorization_rules:
  description: Authorization rules after the change.
  returned: always
  type: list
  elements: dict
routes:
  description: Routes added through O(routes) after the change (not those AWS adds per subnet).
  returned: always
  type: list
  elements: dict
association_status:
  description: Status of each associated subnet after the wait (empty when nothing was awaited).
  returned: when O(state=present)
  type: dict
  sample: {"subnet-0123456789abcdef0": "associated"}
actions:
  description: What was (or in check mode would be) done, in order.
  returned: always
  type: list
  elements: str
  sample: ["create endpoint", "associate subnet-0123456789abcdef0"]
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.lifeworld.production.plugins.module_utils import ec2_client_vpn as cvpn
from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import plan_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode


class Plan:
    """Ordered actions: recorded in check mode, recorded and carried out otherwise."""

    def __init__(self, module, client):
        self.module, self.client, self.actions = module, client, []

    def do(self, description: str, func, *args, **kwargs):
        self.actions.append(description)
        return unless_check_mode(self.module, func, self.client, *args, **kwargs)


def sync_subnets(plan: Plan, endpoint_id: Optional[str], wanted: Optional[List[str]], networks) -> Dict[str, str]:
    current = {n["TargetNetworkId"]: n["AssociationId"] for n in networks}
    if wanted is None:
        return current
    result = {}
    for subnet_id, association_id in sorted(current.items()):
        if subnet_id in wanted:
            result[subnet_id] = association_id
        else:
            plan.do(f"disassociate {subnet_id}", cvpn.disassociate_subnet, endpoint_id, association_id)
    for subnet_id in wanted:
        if subnet_id not in current:
            result[subnet_id] = plan.do(f"associate {subnet_id}", cvpn.associate_subnet, endpoint_id, subnet_id) or ""
    return result


def sync_rules(plan: Plan, endpoint_id, wanted, existing) -> List[Dict[str, Any]]:
    current = cvpn.current_rules(existing)
    if wanted is None:
        return list(current.values())
    desired = {}
    for rule in wanted:
        view = {"destination_cidr": rule["destination_cidr"], "access_group_id": rule.get("access_group_id") or None,
                "description": rule.get("description") or None}
        desired[cvpn.rule_key(view)] = view
    for key, rule in current.items():
        # A changed description needs the rule revoked and authorized again: the API cannot modify it.
        if key not in desired or desired[key]["description"] != rule["description"]:
            revoke = {"ClientVpnEndpointId": endpoint_id, "TargetNetworkCidr": rule["destination_cidr"]}
            if rule["access_group_id"]:
                revoke["AccessGroupId"] = rule["access_group_id"]
            else:
                revoke["RevokeAllGroups"] = True
            plan.do(f"revoke {rule['destination_cidr']}", cvpn.revoke_ingress, **revoke)
    for key, rule in desired.items():
        if key not in current or current[key]["description"] != rule["description"]:
            authorize = {"ClientVpnEndpointId": endpoint_id, "TargetNetworkCidr": rule["destination_cidr"]}
            if rule["access_group_id"]:
                authorize["AccessGroupId"] = rule["access_group_id"]
            else:
                authorize["AuthorizeAllGroups"] = True
            if rule["description"]:
                authorize["Description"] = rule["description"]
            plan.do(f"authorize {rule['destination_cidr']}", cvpn.authorize_ingress, **authorize)
    return list(desired.values())


def sync_routes(plan: Plan, endpoint_id, wanted, existing, subnets: List[str]) -> List[Dict[str, Any]]:
    current = cvpn.current_routes(existing)
    if wanted is None:
        return list(current.values())
    desired = {}
    for route in wanted:
        for subnet_id in [route["target_subnet_id"]] if route.get("target_subnet_id") else sorted(subnets):
            view = {"destination_cidr": route["destination_cidr"], "target_subnet_id": subnet_id,
                    "description": route.get("description") or None}
            desired[(view["destination_cidr"], subnet_id)] = view
    for key, route in current.items():
        if key not in desired or desired[key]["description"] != route["description"]:
            plan.do(f"delete route {key[0]} via {key[1]}", cvpn.delete_route, ClientVpnEndpointId=endpoint_id,
                    DestinationCidrBlock=key[0], TargetVpcSubnetId=key[1])
    for key, route in desired.items():
        if key not in current or current[key]["description"] != route["description"]:
            request = {"ClientVpnEndpointId": endpoint_id, "DestinationCidrBlock": key[0], "TargetVpcSubnetId": key[1]}
            if route["description"]:
                request["Description"] = route["description"]
            plan.do(f"create route {key[0]} via {key[1]}", cvpn.create_route, **request)
    return list(desired.values())


def sync_tags(plan: Plan, endpoint_id, current: Dict[str, str], params) -> Dict[str, str]:
    tags = plan_tags(current, None if params["tags"] is None else dict(params["tags"], Name=params["name"]),
                     params["purge_tags"])
    if tags.to_unset:
        plan.do("untag " + ",".join(sorted(tags.to_unset)), cvpn.delete_tags, endpoint_id, tags.to_unset)
    if tags.to_set:
        plan.do("tag " + ",".join(sorted(tags.to_set)), cvpn.create_tags, endpoint_id, tags.to_set)
    return tags.after


def immutable_conflicts(params, settings) -> List[str]:
    return [
        f"{key} is {settings[key]!r}, not {params[key]!r}"
        for key in ("client_cidr_block", "transport_protocol", "client_root_certificate_chain_arn")
        if params.get(key) is not None and settings.get(key) is not None and params[key] != settings[key]
    ]


def view_of(settings, tags, subnets, rules, routes) -> Dict[str, Any]:
    return dict(settings, tags=tags, target_subnet_ids=sorted(subnets), authorization_rules=rules, routes=routes)


def ensure_absent(module, client, endpoint) -> None:
    plan = Plan(module, client)
    if not endpoint:
        exit_with_result(module, False, diff=build_diff({}, {}), client_vpn_endpoint={}, target_networks={},
                         authorization_rules=[], routes=[], actions=[])
    endpoint_id = endpoint["ClientVpnEndpointId"]
    # AWS refuses to delete an endpoint that still has associated subnets.
    for network in cvpn.describe_target_networks(client, endpoint_id):
        plan.do(f"disassociate {network['TargetNetworkId']}", cvpn.disassociate_subnet, endpoint_id,
                network["AssociationId"])
    plan.do("delete endpoint", cvpn.delete_endpoint, endpoint_id)
    before = {"client_vpn_endpoint_id": endpoint_id, "tags": boto3_tag_list_to_ansible_dict(endpoint.get("Tags", []))}
    exit_with_result(module, True, diff=build_diff(before, {}), client_vpn_endpoint={}, target_networks={},
                     authorization_rules=[], routes=[], actions=plan.actions)


def ensure_present(module, client, endpoint) -> None:
    params = module.params
    plan = Plan(module, client)
    if endpoint:
        endpoint_id = endpoint["ClientVpnEndpointId"]
        settings = cvpn.current_settings(endpoint)
        conflicts = immutable_conflicts(params, settings)
        if conflicts:
            module.fail_json(
                msg=f"Client VPN endpoint {endpoint_id} ({params['name']}) cannot be changed in place: "
                + "; ".join(conflicts) + ". Delete it (state=absent) and create it again; clients must then import "
                "a new configuration."
            )
        tags = boto3_tag_list_to_ansible_dict(endpoint.get("Tags", []))
        networks = cvpn.describe_target_networks(client, endpoint_id)
        rules = cvpn.describe_authorization_rules(client, endpoint_id)
        routes = cvpn.describe_routes(client, endpoint_id)
        before = view_of(settings, tags, [n["TargetNetworkId"] for n in networks], list(cvpn.current_rules(rules).values()),
                         list(cvpn.current_routes(routes).values()))
        changes = cvpn.endpoint_changes(params, settings)
        if changes:
            plan.do("modify " + ",".join(sorted(changes)), cvpn.modify_endpoint,
                    **cvpn.modify_params(endpoint_id, changes, params))
        settings = dict(settings, **changes)
        tags = sync_tags(plan, endpoint_id, tags, params)
    else:
        missing = [k for k in ("client_cidr_block", "server_certificate_arn", "client_root_certificate_chain_arn")
                   if not params.get(k)]
        if missing:
            module.fail_json(msg=f"To create Client VPN endpoint {params['name']}, set: {', '.join(missing)}")
        endpoint_id = plan.do("create endpoint", cvpn.create_endpoint, **cvpn.create_params(params))
        settings = dict(cvpn.current_settings({}), **{k: v for k, v in params.items() if k in cvpn.MODIFIABLE and v is not None})
        settings.update({k: params[k] for k in ("client_cidr_block", "transport_protocol",
                                                "client_root_certificate_chain_arn")})
        settings["connection_log"] = cvpn.desired_connection_log(params["connection_log"] or {"enabled": False}, None)
        tags = dict(params["tags"] or {}, Name=params["name"])
        networks, rules, routes, before = [], [], [], {}

    subnets = sync_subnets(plan, endpoint_id, params["target_subnet_ids"], networks)
    associated = {n["TargetNetworkId"] for n in networks if (n.get("Status") or {}).get("Code") == "associated"}
    association_status = {}
    if params["wait"] and set(subnets) - associated:
        association_status = unless_check_mode(module, cvpn.wait_for_associations, client, endpoint_id, sorted(subnets),
                                               params["wait_timeout"], progress=module.log) or {}
    after_rules = sync_rules(plan, endpoint_id, params["authorization_rules"], rules)
    after_routes = sync_routes(plan, endpoint_id, params["routes"], routes, list(subnets))
    after = view_of(settings, tags, list(subnets), after_rules, after_routes)

    if module.check_mode or not plan.actions:
        result = camel_dict_to_snake_dict(endpoint or {}, ignore_list=["Tags"])
        result.update(settings)
        result["tags"] = tags
    else:
        fresh = cvpn.describe_endpoints(client, ClientVpnEndpointIds=[endpoint_id])
        result = camel_dict_to_snake_dict(fresh[0] if fresh else {"ClientVpnEndpointId": endpoint_id},
                                          ignore_list=["Tags"])
        result["tags"] = boto3_tag_list_to_ansible_dict((fresh[0] if fresh else {}).get("Tags", []))
    exit_with_result(module, bool(plan.actions), diff=build_diff(before, after), client_vpn_endpoint=result,
                     target_networks=subnets, authorization_rules=after_rules, routes=after_routes,
                     association_status=association_status, actions=plan.actions)


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        client_cidr_block=dict(type="str"),
        server_certificate_arn=dict(type="str"),
        client_root_certificate_chain_arn=dict(type="str"),
        transport_protocol=dict(type="str", default="udp", choices=["udp", "tcp"]),
        vpn_port=dict(type="int", choices=[443, 1194]),
        split_tunnel=dict(type="bool"),
        description=dict(type="str"),
        dns_servers=dict(type="list", elements="str"),
        vpc_id=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        session_timeout_hours=dict(type="int", choices=[8, 10, 12, 24]),
        connection_log=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool", required=True),
                cloudwatch_log_group=dict(type="str"),
                cloudwatch_log_stream=dict(type="str"),
            ),
            required_if=[("enabled", True, ["cloudwatch_log_group"])],
        ),
        target_subnet_ids=dict(type="list", elements="str"),
        authorization_rules=dict(
            type="list",
            elements="dict",
            options=dict(
                destination_cidr=dict(type="str", required=True),
                access_group_id=dict(type="str"),
                description=dict(type="str"),
            ),
        ),
        routes=dict(
            type="list",
            elements="dict",
            options=dict(
                destination_cidr=dict(type="str", required=True),
                target_subnet_id=dict(type="str"),
                description=dict(type="str"),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_by={"security_group_ids": ["vpc_id"]},
        supports_check_mode=True,
    )
    client = module.client("ec2")
    try:
        endpoint = cvpn.find_endpoint_by_name(client, module.params["name"])
        if module.params["state"] == "absent":
            ensure_absent(module, client, endpoint)
        ensure_present(module, client, endpoint)
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
