# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for AWS Client VPN, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleEC2Error``; modules catch it and call ``module.fail_json_aws_error(e)``.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler

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
