# -*- coding: utf-8 -*-
"""A small stateful stand-in for the EC2 Client VPN API, for tests where a sequence of runs matters.

moto does not implement Client VPN. Every request this fake receives is validated against botocore's EC2 model
(the same check Stubber makes), so a call the real API would reject fails here too; the fake then keeps the
endpoint, its associations, rules and routes the way AWS reports them.
"""

import itertools

import boto3
from botocore.validate import ParamValidator

_MODEL = boto3.session.Session().client("ec2", region_name="us-east-1").meta.service_model
_IDS = itertools.count(1)


def _id(prefix):
    return "%s-%017x" % (prefix, next(_IDS))


def _validate(operation, params):
    shape = _MODEL.operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise AssertionError("%s rejected by the EC2 model: %s" % (operation, report.generate_report()))


class FakeClientVpnEC2:
    def __init__(self, vpc_cidr="10.40.0.0/16"):
        self.endpoints = {}
        self.calls = []
        self.vpc_cidr = vpc_cidr

    def _record(self, operation, params):
        _validate(operation, params)
        self.calls.append(operation)

    # describes -----------------------------------------------------------------------------------------------
    def get_paginator(self, name):
        return _LazyPaginator(self, name)

    def describe_client_vpn_endpoints(self, **params):
        self._record("DescribeClientVpnEndpoints", params)
        ids = params.get("ClientVpnEndpointIds")
        return {"ClientVpnEndpoints": [dict(e["endpoint"]) for i, e in self.endpoints.items() if not ids or i in ids]}

    def describe_client_vpn_target_networks(self, **params):
        self._record("DescribeClientVpnTargetNetworks", params)
        networks = self.endpoints[params["ClientVpnEndpointId"]]["networks"].values()
        answer = {"ClientVpnTargetNetworks": [dict(n, Status=dict(n["Status"])) for n in networks]}
        # AWS takes minutes; here an association is reported "associating" once, then "associated".
        for network in networks:
            if network["Status"]["Code"] == "associating":
                network["Status"] = {"Code": "associated"}
        return answer

    def describe_client_vpn_authorization_rules(self, **params):
        self._record("DescribeClientVpnAuthorizationRules", params)
        return {"AuthorizationRules": list(self.endpoints[params["ClientVpnEndpointId"]]["rules"].values())}

    def describe_client_vpn_routes(self, **params):
        self._record("DescribeClientVpnRoutes", params)
        return {"Routes": list(self.endpoints[params["ClientVpnEndpointId"]]["routes"].values())}

    # changes -------------------------------------------------------------------------------------------------
    def create_client_vpn_endpoint(self, **params):
        self._record("CreateClientVpnEndpoint", params)
        endpoint_id = _id("cvpn-endpoint")
        auth = params["AuthenticationOptions"][0]
        log = params["ConnectionLogOptions"]
        self.endpoints[endpoint_id] = {
            "endpoint": {
                "ClientVpnEndpointId": endpoint_id,
                "Description": params.get("Description", ""),
                "Status": {"Code": "pending-associate"},
                "ClientCidrBlock": params["ClientCidrBlock"],
                "DnsServers": params.get("DnsServers", []),
                "SplitTunnel": params.get("SplitTunnel", False),
                "TransportProtocol": params.get("TransportProtocol", "udp"),
                "VpnPort": params.get("VpnPort", 443),
                "ServerCertificateArn": params["ServerCertificateArn"],
                "AuthenticationOptions": [
                    {
                        "Type": auth["Type"],
                        "MutualAuthentication": {
                            "ClientRootCertificateChain": auth["MutualAuthentication"]["ClientRootCertificateChainArn"]
                        },
                    }
                ],
                "ConnectionLogOptions": {
                    "Enabled": log["Enabled"],
                    "CloudwatchLogGroup": log.get("CloudwatchLogGroup"),
                    "CloudwatchLogStream": log.get("CloudwatchLogStream") or ("cvpn-stream" if log["Enabled"] else None),
                },
                "Tags": list(params["TagSpecifications"][0]["Tags"]),
                "SecurityGroupIds": params.get("SecurityGroupIds", []),
                "VpcId": params.get("VpcId"),
                "SessionTimeoutHours": params.get("SessionTimeoutHours", 24),
            },
            "networks": {},
            "rules": {},
            "routes": {},
        }
        return {"ClientVpnEndpointId": endpoint_id, "Status": {"Code": "pending-associate"}}

    def modify_client_vpn_endpoint(self, **params):
        self._record("ModifyClientVpnEndpoint", params)
        endpoint = self.endpoints[params["ClientVpnEndpointId"]]["endpoint"]
        for key in ("ServerCertificateArn", "VpnPort", "Description", "SplitTunnel", "SessionTimeoutHours",
                    "SecurityGroupIds", "VpcId"):
            if key in params:
                endpoint[key] = params[key]
        if "DnsServers" in params:
            endpoint["DnsServers"] = params["DnsServers"].get("CustomDnsServers", [])
        if "ConnectionLogOptions" in params:
            log = params["ConnectionLogOptions"]
            endpoint["ConnectionLogOptions"] = {"Enabled": log["Enabled"], "CloudwatchLogGroup": log.get("CloudwatchLogGroup"),
                                                "CloudwatchLogStream": log.get("CloudwatchLogStream") or "cvpn-stream"}
        return {"Return": True}

    def delete_client_vpn_endpoint(self, **params):
        self._record("DeleteClientVpnEndpoint", params)
        state = self.endpoints[params["ClientVpnEndpointId"]]
        assert not state["networks"], "AWS refuses to delete an endpoint with associated subnets"
        del self.endpoints[params["ClientVpnEndpointId"]]
        return {"Status": {"Code": "deleting"}}

    def associate_client_vpn_target_network(self, **params):
        self._record("AssociateClientVpnTargetNetwork", params)
        state = self.endpoints[params["ClientVpnEndpointId"]]
        association_id = _id("cvpn-assoc")
        state["networks"][association_id] = {
            "AssociationId": association_id, "VpcId": "vpc-0fake", "TargetNetworkId": params["SubnetId"],
            "ClientVpnEndpointId": params["ClientVpnEndpointId"], "Status": {"Code": "associating"},
        }
        # AWS adds a route to the VPC through each associated subnet.
        state["routes"][(self.vpc_cidr, params["SubnetId"])] = {
            "ClientVpnEndpointId": params["ClientVpnEndpointId"], "DestinationCidr": self.vpc_cidr,
            "TargetSubnet": params["SubnetId"], "Type": "Nat", "Origin": "associate", "Status": {"Code": "active"},
        }
        state["endpoint"]["Status"] = {"Code": "available"}
        return {"AssociationId": association_id, "Status": {"Code": "associating"}}

    def disassociate_client_vpn_target_network(self, **params):
        self._record("DisassociateClientVpnTargetNetwork", params)
        state = self.endpoints[params["ClientVpnEndpointId"]]
        network = state["networks"].pop(params["AssociationId"])
        for key in [k for k in state["routes"] if k[1] == network["TargetNetworkId"]]:
            del state["routes"][key]
        return {"AssociationId": params["AssociationId"], "Status": {"Code": "disassociating"}}

    def authorize_client_vpn_ingress(self, **params):
        self._record("AuthorizeClientVpnIngress", params)
        rules = self.endpoints[params["ClientVpnEndpointId"]]["rules"]
        key = (params["TargetNetworkCidr"], params.get("AccessGroupId", ""))
        assert key not in rules, "AWS rejects a duplicate authorization rule"
        rules[key] = {"ClientVpnEndpointId": params["ClientVpnEndpointId"], "Description": params.get("Description", ""),
                      "GroupId": params.get("AccessGroupId", ""), "AccessAll": bool(params.get("AuthorizeAllGroups")),
                      "DestinationCidr": params["TargetNetworkCidr"], "Status": {"Code": "active"}}
        return {"Status": {"Code": "authorizing"}}

    def revoke_client_vpn_ingress(self, **params):
        self._record("RevokeClientVpnIngress", params)
        rules = self.endpoints[params["ClientVpnEndpointId"]]["rules"]
        del rules[(params["TargetNetworkCidr"], params.get("AccessGroupId", ""))]
        return {"Status": {"Code": "revoking"}}

    def create_client_vpn_route(self, **params):
        self._record("CreateClientVpnRoute", params)
        routes = self.endpoints[params["ClientVpnEndpointId"]]["routes"]
        key = (params["DestinationCidrBlock"], params["TargetVpcSubnetId"])
        assert key not in routes, "AWS rejects a duplicate route"
        routes[key] = {"ClientVpnEndpointId": params["ClientVpnEndpointId"], "DestinationCidr": key[0],
                       "TargetSubnet": key[1], "Type": "Nat", "Origin": "add-route", "Status": {"Code": "active"},
                       "Description": params.get("Description", "")}
        return {"Status": {"Code": "creating"}}

    def delete_client_vpn_route(self, **params):
        self._record("DeleteClientVpnRoute", params)
        del self.endpoints[params["ClientVpnEndpointId"]]["routes"][
            (params["DestinationCidrBlock"], params["TargetVpcSubnetId"])
        ]
        return {"Status": {"Code": "deleting"}}

    def create_tags(self, **params):
        self._record("CreateTags", params)
        endpoint = self.endpoints[params["Resources"][0]]["endpoint"]
        tags = {t["Key"]: t["Value"] for t in endpoint["Tags"]}
        tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        endpoint["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        return {}

    def delete_tags(self, **params):
        self._record("DeleteTags", params)
        endpoint = self.endpoints[params["Resources"][0]]["endpoint"]
        gone = {t["Key"] for t in params["Tags"]}
        endpoint["Tags"] = [t for t in endpoint["Tags"] if t["Key"] not in gone]
        return {}


class _LazyPaginator:
    _OPS = {
        "describe_client_vpn_endpoints": "ClientVpnEndpoints",
        "describe_client_vpn_target_networks": "ClientVpnTargetNetworks",
        "describe_client_vpn_authorization_rules": "AuthorizationRules",
        "describe_client_vpn_routes": "Routes",
    }

    def __init__(self, fake, name):
        self._fake, self._name, self._params = fake, name, {}

    def paginate(self, **params):
        self._params = params
        return self

    def build_full_result(self):
        key = self._OPS[self._name]
        return {key: getattr(self._fake, self._name)(**self._params)[key]}
