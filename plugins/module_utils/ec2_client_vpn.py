# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for AWS Client VPN, each wrapped in a retry decorator and an error handler, and the translation
between the ec2_client_vpn_endpoint module's options and those calls' requests and answers.

Errors surface as ``AnsibleEC2Error``; modules catch it and call ``module.fail_json_aws_error(e)``.
"""

import time
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry

# A route or rule can be refused while the endpoint's first subnet association is still being set up.
PENDING_ASSOCIATION_CODES = ["InvalidClientVpnActiveAssociationNotFound", "IncorrectState"]
# States in which a sub-resource is gone or going away, and no longer counts as present.
GONE = ("disassociating", "disassociated", "revoking", "deleting", "deleted", "failed")


class ClientVpnErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            [
                "InvalidClientVpnEndpointId.NotFound",
                "InvalidClientVpnAssociationId.NotFound",
                "InvalidClientVpnRouteNotFound",
                "InvalidClientVpnEndpointAuthorizationRuleNotFound",
            ]
        )


@aws_retry()
def _paginate(client, operation: str, key: str, **params: Any) -> List[Dict[str, Any]]:
    return client.get_paginator(operation).paginate(**params).build_full_result().get(key, [])


@ClientVpnErrorHandler.list_error_handler("describe Client VPN endpoints", [])
def describe_endpoints(client, **params: Any) -> List[Dict[str, Any]]:
    return _paginate(client, "describe_client_vpn_endpoints", "ClientVpnEndpoints", **params)


@ClientVpnErrorHandler.list_error_handler("describe Client VPN target networks", [])
def describe_target_networks(client, endpoint_id: str) -> List[Dict[str, Any]]:
    networks = _paginate(
        client, "describe_client_vpn_target_networks", "ClientVpnTargetNetworks", ClientVpnEndpointId=endpoint_id
    )
    return [n for n in networks if (n.get("Status") or {}).get("Code") not in GONE]


@ClientVpnErrorHandler.list_error_handler("describe Client VPN authorization rules", [])
def describe_authorization_rules(client, endpoint_id: str) -> List[Dict[str, Any]]:
    rules = _paginate(
        client, "describe_client_vpn_authorization_rules", "AuthorizationRules", ClientVpnEndpointId=endpoint_id
    )
    return [r for r in rules if (r.get("Status") or {}).get("Code") not in GONE]


@ClientVpnErrorHandler.list_error_handler("describe Client VPN routes", [])
def describe_routes(client, endpoint_id: str) -> List[Dict[str, Any]]:
    routes = _paginate(client, "describe_client_vpn_routes", "Routes", ClientVpnEndpointId=endpoint_id)
    return [r for r in routes if (r.get("Status") or {}).get("Code") not in GONE]


@ClientVpnErrorHandler.common_error_handler("create Client VPN endpoint")
@aws_retry()
def create_endpoint(client, **params: Any) -> str:
    return client.create_client_vpn_endpoint(**params)["ClientVpnEndpointId"]


@ClientVpnErrorHandler.common_error_handler("modify Client VPN endpoint")
@aws_retry()
def modify_endpoint(client, **params: Any) -> None:
    client.modify_client_vpn_endpoint(**params)


@ClientVpnErrorHandler.deletion_error_handler("delete Client VPN endpoint")
@aws_retry()
def delete_endpoint(client, endpoint_id: str) -> bool:
    client.delete_client_vpn_endpoint(ClientVpnEndpointId=endpoint_id)
    return True


@ClientVpnErrorHandler.common_error_handler("associate a subnet with the Client VPN endpoint")
@aws_retry()
def associate_subnet(client, endpoint_id: str, subnet_id: str) -> str:
    return client.associate_client_vpn_target_network(ClientVpnEndpointId=endpoint_id, SubnetId=subnet_id)[
        "AssociationId"
    ]


@ClientVpnErrorHandler.deletion_error_handler("disassociate a subnet from the Client VPN endpoint")
@aws_retry()
def disassociate_subnet(client, endpoint_id: str, association_id: str) -> bool:
    client.disassociate_client_vpn_target_network(ClientVpnEndpointId=endpoint_id, AssociationId=association_id)
    return True


@ClientVpnErrorHandler.common_error_handler("authorize Client VPN ingress")
@aws_retry(PENDING_ASSOCIATION_CODES)
def authorize_ingress(client, **params: Any) -> None:
    client.authorize_client_vpn_ingress(**params)


@ClientVpnErrorHandler.deletion_error_handler("revoke Client VPN ingress")
@aws_retry()
def revoke_ingress(client, **params: Any) -> bool:
    client.revoke_client_vpn_ingress(**params)
    return True


@ClientVpnErrorHandler.common_error_handler("create Client VPN route")
@aws_retry(PENDING_ASSOCIATION_CODES)
def create_route(client, **params: Any) -> None:
    client.create_client_vpn_route(**params)


@ClientVpnErrorHandler.deletion_error_handler("delete Client VPN route")
@aws_retry()
def delete_route(client, **params: Any) -> bool:
    client.delete_client_vpn_route(**params)
    return True


@ClientVpnErrorHandler.common_error_handler("tag Client VPN endpoint")
@aws_retry()
def create_tags(client, resource_id: str, tags: Dict[str, str]) -> None:
    client.create_tags(Resources=[resource_id], Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])


@ClientVpnErrorHandler.common_error_handler("untag Client VPN endpoint")
@aws_retry()
def delete_tags(client, resource_id: str, keys: List[str]) -> None:
    client.delete_tags(Resources=[resource_id], Tags=[{"Key": k} for k in sorted(keys)])


def wait_for_associations(client, endpoint_id: str, subnet_ids: List[str], timeout: int, delay: int = 15,
                          progress: Callable[[str], Any] = lambda message: None) -> Dict[str, str]:
    """Poll until every subnet in ``subnet_ids`` is ``associated`` (minutes on AWS; routes and connections need it),
    reporting each poll through ``progress``; returns subnet id -> status. Raises when an association fails (AWS
    drops it from the target networks) or ``timeout`` seconds pass, naming the subnets and their states."""
    started = time.monotonic()
    while True:
        status = {n["TargetNetworkId"]: (n.get("Status") or {}).get("Code") for n in
                  describe_target_networks(client, endpoint_id)}
        failed = [subnet for subnet in subnet_ids if subnet not in status]
        if failed:
            raise AnsibleEC2Error(message=f"Client VPN {endpoint_id}: the association of {', '.join(failed)} failed "
                                  "(check that each subnet has free addresses and lies in its own availability zone)")
        pending = {subnet: status[subnet] for subnet in subnet_ids if status[subnet] != "associated"}
        elapsed = int(time.monotonic() - started)
        progress(f"Client VPN {endpoint_id}: {len(subnet_ids) - len(pending)}/{len(subnet_ids)} subnets associated "
                 f"after {elapsed} s" + (f", waiting for {pending}" if pending else ""))
        if not pending:
            return {subnet: status[subnet] for subnet in subnet_ids}
        if elapsed >= timeout:
            raise AnsibleEC2Error(message=f"Client VPN {endpoint_id}: subnets still not associated after {timeout} s: "
                                  f"{pending}. Run again to keep waiting, or raise wait_timeout")
        time.sleep(min(delay, max(1, timeout - elapsed)))


def find_endpoint_by_name(client, name: str) -> Optional[Dict[str, Any]]:
    """The endpoint whose Name tag is ``name`` (the API cannot filter on tags); None when there is none."""
    matches = []
    for endpoint in describe_endpoints(client):
        if (endpoint.get("Status") or {}).get("Code") in GONE:
            continue
        tags = {tag["Key"]: tag["Value"] for tag in endpoint.get("Tags") or []}
        if tags.get("Name") == name:
            matches.append(endpoint)
    if len(matches) > 1:
        ids = ", ".join(sorted(e["ClientVpnEndpointId"] for e in matches))
        raise AnsibleEC2Error(message=f"Several Client VPN endpoints are named {name} ({ids}); remove the extra ones")
    return matches[0] if matches else None


# Requests and views ---------------------------------------------------------------------------------------------

MODIFIABLE = ("server_certificate_arn", "vpn_port", "split_tunnel", "description", "dns_servers",
              "vpc_id", "security_group_ids", "session_timeout_hours", "connection_log")


def current_settings(endpoint: Dict[str, Any]) -> Dict[str, Any]:
    """The endpoint's attributes in the shape of the module's options."""
    auth = next(
        (a for a in endpoint.get("AuthenticationOptions") or [] if a.get("Type") == "certificate-authentication"), {}
    )
    log = endpoint.get("ConnectionLogOptions") or {}
    return {
        "client_cidr_block": endpoint.get("ClientCidrBlock"),
        "transport_protocol": endpoint.get("TransportProtocol"),
        "client_root_certificate_chain_arn": (auth.get("MutualAuthentication") or {}).get("ClientRootCertificateChain"),
        "server_certificate_arn": endpoint.get("ServerCertificateArn"),
        "vpn_port": endpoint.get("VpnPort"),
        "split_tunnel": endpoint.get("SplitTunnel"),
        "description": endpoint.get("Description", ""),
        "dns_servers": list(endpoint.get("DnsServers") or []),
        "vpc_id": endpoint.get("VpcId"),
        "security_group_ids": sorted(endpoint.get("SecurityGroupIds") or []),
        "session_timeout_hours": endpoint.get("SessionTimeoutHours"),
        "connection_log": {
            "enabled": bool(log.get("Enabled")),
            "cloudwatch_log_group": log.get("CloudwatchLogGroup"),
            "cloudwatch_log_stream": log.get("CloudwatchLogStream"),
        },
    }


def desired_connection_log(wanted: Optional[Dict[str, Any]], current: Optional[Dict[str, Any]]):
    if wanted is None:
        return None
    if not wanted["enabled"]:
        return {"enabled": False, "cloudwatch_log_group": None, "cloudwatch_log_stream": None}
    result = dict(wanted)
    # AWS names a stream itself when none is given: keep the one it chose.
    if not result.get("cloudwatch_log_stream") and current and current.get("cloudwatch_log_group") == result.get(
        "cloudwatch_log_group"
    ):
        result["cloudwatch_log_stream"] = current.get("cloudwatch_log_stream")
    return result


def api_connection_log(log: Dict[str, Any]) -> Dict[str, Any]:
    result = {"Enabled": log["enabled"]}
    if log["enabled"]:
        result["CloudwatchLogGroup"] = log["cloudwatch_log_group"]
        if log.get("cloudwatch_log_stream"):
            result["CloudwatchLogStream"] = log["cloudwatch_log_stream"]
    return result


def endpoint_changes(params: Dict[str, Any], current: Dict[str, Any]) -> Dict[str, Any]:
    """Options that are set and differ from the endpoint (every set option for a new endpoint)."""
    changes = {}
    for key in MODIFIABLE:
        wanted = params.get(key)
        if key == "connection_log":
            wanted = desired_connection_log(wanted, current.get(key))
        elif key == "security_group_ids" and wanted is not None:
            # An endpoint in a VPC always has a group: given none, AWS applies the VPC's default group. An empty
            # list therefore means "AWS's default", not "no group", and is never a change (asking for [] again
            # would report a change on every run and send a request AWS answers with the default group again).
            wanted = sorted(wanted) or None
        if wanted is not None and wanted != current.get(key):
            changes[key] = wanted
    return changes


def modify_params(endpoint_id: str, changes: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
    request = {"ClientVpnEndpointId": endpoint_id}
    simple = {"server_certificate_arn": "ServerCertificateArn", "vpn_port": "VpnPort", "split_tunnel": "SplitTunnel",
              "description": "Description", "session_timeout_hours": "SessionTimeoutHours"}
    for key, api_key in simple.items():
        if key in changes:
            request[api_key] = changes[key]
    if "dns_servers" in changes:
        request["DnsServers"] = {"CustomDnsServers": changes["dns_servers"], "Enabled": bool(changes["dns_servers"])}
    if "security_group_ids" in changes or "vpc_id" in changes:
        request["VpcId"] = params["vpc_id"]
        if params["security_group_ids"]:
            request["SecurityGroupIds"] = sorted(params["security_group_ids"])
    if "connection_log" in changes:
        request["ConnectionLogOptions"] = api_connection_log(changes["connection_log"])
    return request


def create_params(params: Dict[str, Any]) -> Dict[str, Any]:
    tags = dict(params["tags"] or {}, Name=params["name"])
    request = {
        "ClientCidrBlock": params["client_cidr_block"],
        "ServerCertificateArn": params["server_certificate_arn"],
        "AuthenticationOptions": [
            {
                "Type": "certificate-authentication",
                "MutualAuthentication": {"ClientRootCertificateChainArn": params["client_root_certificate_chain_arn"]},
            }
        ],
        "ConnectionLogOptions": api_connection_log(params["connection_log"] or {"enabled": False}),
        "TransportProtocol": params["transport_protocol"],
        "TagSpecifications": boto3_tag_specifications(tags, ["client-vpn-endpoint"]),
    }
    optional = {"vpn_port": "VpnPort", "split_tunnel": "SplitTunnel", "description": "Description",
                "session_timeout_hours": "SessionTimeoutHours", "vpc_id": "VpcId"}
    for key, api_key in optional.items():
        if params.get(key) is not None:
            request[api_key] = params[key]
    if params.get("dns_servers"):
        request["DnsServers"] = params["dns_servers"]
    if params.get("security_group_ids"):
        request["SecurityGroupIds"] = sorted(params["security_group_ids"])
    return request


def rule_key(rule: Dict[str, Any]):
    return (rule["destination_cidr"], rule.get("access_group_id") or "")


def current_rules(rules: List[Dict[str, Any]]) -> Dict[Any, Dict[str, Any]]:
    result = {}
    for rule in rules:
        view = {"destination_cidr": rule["DestinationCidr"], "access_group_id": rule.get("GroupId") or None,
                "description": rule.get("Description") or None}
        result[rule_key(view)] = view
    return result


def current_routes(routes: List[Dict[str, Any]]) -> Dict[Any, Dict[str, Any]]:
    """Routes added through the API (origin add-route); those AWS adds per associated subnet are not ours."""
    result = {}
    for route in routes:
        if route.get("Origin") != "add-route":
            continue
        view = {"destination_cidr": route["DestinationCidr"], "target_subnet_id": route["TargetSubnet"],
                "description": route.get("Description") or None}
        result[(view["destination_cidr"], view["target_subnet_id"])] = view
    return result
