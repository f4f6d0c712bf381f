# -*- coding: utf-8 -*-
"""ec2_client_vpn_endpoint, call by call, with botocore's Stubber.

moto lacks the Client VPN API; Stubber checks every request's parameters and every canned response against the
real EC2 API model, and fails the test on any call that was not expected (or expected and not made).
"""

from ansible_collections.lifeworld.production.plugins.modules import ec2_client_vpn_endpoint

NAME = "lifeworld-test-vpn"
EID = "cvpn-endpoint-0123456789abcdef0"
SERVER = "arn:aws:acm:us-east-1:123456789012:certificate/server"
CLIENT_CA = "arn:aws:acm:us-east-1:123456789012:certificate/client-ca"
SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
LOG_GROUP = "/aws/client-vpn/lifeworld-test"
VPC_CIDR = "10.40.0.0/16"


def args(**extra):
    base = {
        "name": NAME,
        "client_cidr_block": "10.100.0.0/22",
        "server_certificate_arn": SERVER,
        "client_root_certificate_chain_arn": CLIENT_CA,
        "split_tunnel": True,
        "vpn_port": 443,
        "connection_log": {"enabled": True, "cloudwatch_log_group": LOG_GROUP},
        "target_subnet_ids": SUBNETS,
        "authorization_rules": [{"destination_cidr": VPC_CIDR, "description": "the VPC"}],
        "tags": {"Component": "edge"},
    }
    base.update(extra)
    return base


def endpoint(**extra):
    data = {
        "ClientVpnEndpointId": EID,
        "Description": "",
        "Status": {"Code": "available"},
        "ClientCidrBlock": "10.100.0.0/22",
        "DnsServers": [],
        "SplitTunnel": True,
        "TransportProtocol": "udp",
        "VpnPort": 443,
        "ServerCertificateArn": SERVER,
        "AuthenticationOptions": [
            {"Type": "certificate-authentication", "MutualAuthentication": {"ClientRootCertificateChain": CLIENT_CA}}
        ],
        "ConnectionLogOptions": {"Enabled": True, "CloudwatchLogGroup": LOG_GROUP, "CloudwatchLogStream": "cvpn-x"},
        "Tags": [{"Key": "Name", "Value": NAME}, {"Key": "Component", "Value": "edge"}],
        "SecurityGroupIds": [],
        "SessionTimeoutHours": 24,
    }
    data.update(extra)
    return data


def network(subnet, association):
    return {"AssociationId": association, "VpcId": "vpc-0123456789abcdef0", "TargetNetworkId": subnet,
            "ClientVpnEndpointId": EID, "Status": {"Code": "associated"}}


def rule(cidr=VPC_CIDR, description="the VPC"):
    return {"ClientVpnEndpointId": EID, "Description": description, "GroupId": "", "AccessAll": True,
            "DestinationCidr": cidr, "Status": {"Code": "active"}}


def vpc_route(subnet):
    return {"ClientVpnEndpointId": EID, "DestinationCidr": VPC_CIDR, "TargetSubnet": subnet, "Type": "Nat",
            "Origin": "associate", "Status": {"Code": "active"}}


def expect_existing(stubber, ep, networks, rules, routes):
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [ep]}, {})
    stubber.add_response("describe_client_vpn_target_networks", {"ClientVpnTargetNetworks": networks},
                         {"ClientVpnEndpointId": EID})
    stubber.add_response("describe_client_vpn_authorization_rules", {"AuthorizationRules": rules},
                         {"ClientVpnEndpointId": EID})
    stubber.add_response("describe_client_vpn_routes", {"Routes": routes}, {"ClientVpnEndpointId": EID})


def expect_networks(stubber, networks):
    stubber.add_response("describe_client_vpn_target_networks", {"ClientVpnTargetNetworks": networks},
                         {"ClientVpnEndpointId": EID})


def associating(subnet, association):
    return dict(network(subnet, association), Status={"Code": "associating"})


def converged(stubber, ep=None):
    expect_existing(stubber, ep or endpoint(), [network(SUBNETS[0], "cvpn-assoc-1"), network(SUBNETS[1], "cvpn-assoc-2")],
                    [rule()], [vpc_route(SUBNETS[0]), vpc_route(SUBNETS[1])])


def run(run_module, module_args, **kwargs):
    result = run_module(ec2_client_vpn_endpoint, module_args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_create_makes_the_endpoint_with_mutual_auth_then_associates_and_authorizes(stubber, run_module):
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": []}, {})
    stubber.add_response(
        "create_client_vpn_endpoint",
        {"ClientVpnEndpointId": EID, "Status": {"Code": "pending-associate"}, "DnsName": "*.cvpn.example"},
        {
            "ClientCidrBlock": "10.100.0.0/22",
            "ServerCertificateArn": SERVER,
            "AuthenticationOptions": [
                {"Type": "certificate-authentication",
                 "MutualAuthentication": {"ClientRootCertificateChainArn": CLIENT_CA}}
            ],
            "ConnectionLogOptions": {"Enabled": True, "CloudwatchLogGroup": LOG_GROUP},
            "TransportProtocol": "udp",
            "VpnPort": 443,
            "SplitTunnel": True,
            "TagSpecifications": [{"ResourceType": "client-vpn-endpoint",
                                   "Tags": [{"Key": "Component", "Value": "edge"}, {"Key": "Name", "Value": NAME}]}],
        },
    )
    for index, subnet in enumerate(SUBNETS):
        stubber.add_response("associate_client_vpn_target_network",
                             {"AssociationId": "cvpn-assoc-%d" % index, "Status": {"Code": "associating"}},
                             {"ClientVpnEndpointId": EID, "SubnetId": subnet})
    # The associations are awaited before the rules (new in the module: AWS takes minutes).
    expect_networks(stubber, [network(subnet, "cvpn-assoc-%d" % i) for i, subnet in enumerate(SUBNETS)])
    stubber.add_response("authorize_client_vpn_ingress", {"Status": {"Code": "authorizing"}},
                         {"ClientVpnEndpointId": EID, "TargetNetworkCidr": VPC_CIDR, "AuthorizeAllGroups": True,
                          "Description": "the VPC"})
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]},
                         {"ClientVpnEndpointIds": [EID]})

    result = run(run_module, args())

    assert result["changed"] is True
    assert result["actions"] == ["create endpoint", "associate %s" % SUBNETS[0], "associate %s" % SUBNETS[1],
                                 "authorize %s" % VPC_CIDR]
    assert result["client_vpn_endpoint"]["client_vpn_endpoint_id"] == EID
    assert result["target_networks"] == {SUBNETS[0]: "cvpn-assoc-0", SUBNETS[1]: "cvpn-assoc-1"}


def test_converged_endpoint_makes_no_call_beyond_describes(stubber, run_module):
    converged(stubber)

    result = run(run_module, args())

    assert result["changed"] is False and result["actions"] == []


def test_update_modifies_in_place_and_reconciles_subnets_and_rules(stubber, run_module):
    stale = endpoint(SplitTunnel=False, ServerCertificateArn=SERVER + "-old",
                     ConnectionLogOptions={"Enabled": False})
    expect_existing(stubber, stale,
                    [network(SUBNETS[0], "cvpn-assoc-1"), network("subnet-0ccccccccccccccc3", "cvpn-assoc-3")],
                    [rule(), rule(cidr="0.0.0.0/0", description="everything")],
                    [vpc_route(SUBNETS[0]), vpc_route("subnet-0ccccccccccccccc3")])
    stubber.add_response("modify_client_vpn_endpoint", {"Return": True}, {
        "ClientVpnEndpointId": EID,
        "ServerCertificateArn": SERVER,
        "SplitTunnel": True,
        "ConnectionLogOptions": {"Enabled": True, "CloudwatchLogGroup": LOG_GROUP},
    })
    stubber.add_response("disassociate_client_vpn_target_network",
                         {"AssociationId": "cvpn-assoc-3", "Status": {"Code": "disassociating"}},
                         {"ClientVpnEndpointId": EID, "AssociationId": "cvpn-assoc-3"})
    stubber.add_response("associate_client_vpn_target_network",
                         {"AssociationId": "cvpn-assoc-2", "Status": {"Code": "associating"}},
                         {"ClientVpnEndpointId": EID, "SubnetId": SUBNETS[1]})
    expect_networks(stubber, [network(SUBNETS[0], "cvpn-assoc-1"), network(SUBNETS[1], "cvpn-assoc-2")])
    stubber.add_response("revoke_client_vpn_ingress", {"Status": {"Code": "revoking"}},
                         {"ClientVpnEndpointId": EID, "TargetNetworkCidr": "0.0.0.0/0", "RevokeAllGroups": True})
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]},
                         {"ClientVpnEndpointIds": [EID]})

    result = run(run_module, args(), diff=True)

    assert result["changed"] is True
    assert result["diff"]["before"]["split_tunnel"] is False and result["diff"]["after"]["split_tunnel"] is True
    assert result["diff"]["after"]["target_subnet_ids"] == sorted(SUBNETS)


def test_check_mode_on_a_new_endpoint_only_reads(stubber, run_module):
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": []}, {})

    result = run(run_module, args(), check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["actions"][0] == "create endpoint" and len(result["actions"]) == 4
    assert result["diff"]["before"] == {} and result["diff"]["after"]["client_cidr_block"] == "10.100.0.0/22"


def test_check_mode_on_a_drifted_endpoint_only_reads(stubber, run_module):
    converged(stubber, endpoint(SplitTunnel=False))

    result = run(run_module, args(), check_mode=True)

    assert result["changed"] is True and result["actions"] == ["modify split_tunnel"]


def test_delete_disassociates_every_subnet_first(stubber, run_module):
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]}, {})
    stubber.add_response("describe_client_vpn_target_networks",
                         {"ClientVpnTargetNetworks": [network(SUBNETS[0], "cvpn-assoc-1"),
                                                      network(SUBNETS[1], "cvpn-assoc-2")]},
                         {"ClientVpnEndpointId": EID})
    for association in ("cvpn-assoc-1", "cvpn-assoc-2"):
        stubber.add_response("disassociate_client_vpn_target_network",
                             {"AssociationId": association, "Status": {"Code": "disassociating"}},
                             {"ClientVpnEndpointId": EID, "AssociationId": association})
    stubber.add_response("delete_client_vpn_endpoint", {"Status": {"Code": "deleting"}}, {"ClientVpnEndpointId": EID})

    result = run(run_module, {"name": NAME, "state": "absent"})

    assert result["changed"] is True and result["actions"][-1] == "delete endpoint"


def test_delete_of_a_missing_endpoint_is_a_no_op(stubber, run_module):
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": []}, {})

    result = run(run_module, {"name": NAME, "state": "absent"})

    assert result["changed"] is False


def test_an_immutable_change_fails_without_touching_the_endpoint(stubber, run_module):
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]}, {})

    result = run_module(ec2_client_vpn_endpoint, args(client_cidr_block="10.200.0.0/22"))

    assert result["failed"] is True
    assert "client_cidr_block" in result["msg"] and "state=absent" in result["msg"]


def test_endpoints_with_another_name_are_ignored(stubber, run_module):
    other = endpoint(ClientVpnEndpointId="cvpn-endpoint-0ffffffffffffffff", Tags=[{"Key": "Name", "Value": "other"}])
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [other]}, {})

    result = run(run_module, args(), check_mode=True)

    assert result["actions"][0] == "create endpoint"


def test_new_associations_are_awaited_with_progress_until_associated(stubber, run_module, sleeps):
    # One subnet already associated, one associated by this run: AWS reports it "associating" for minutes.
    expect_existing(stubber, endpoint(), [network(SUBNETS[0], "cvpn-assoc-1")], [rule()], [vpc_route(SUBNETS[0])])
    stubber.add_response("associate_client_vpn_target_network",
                         {"AssociationId": "cvpn-assoc-2", "Status": {"Code": "associating"}},
                         {"ClientVpnEndpointId": EID, "SubnetId": SUBNETS[1]})
    expect_networks(stubber, [network(SUBNETS[0], "cvpn-assoc-1"), associating(SUBNETS[1], "cvpn-assoc-2")])
    expect_networks(stubber, [network(SUBNETS[0], "cvpn-assoc-1"), associating(SUBNETS[1], "cvpn-assoc-2")])
    expect_networks(stubber, [network(SUBNETS[0], "cvpn-assoc-1"), network(SUBNETS[1], "cvpn-assoc-2")])
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]},
                         {"ClientVpnEndpointIds": [EID]})

    result = run(run_module, args())

    assert result["changed"] is True
    assert result["association_status"] == {SUBNETS[0]: "associated", SUBNETS[1]: "associated"}
    assert len(sleeps) == 2  # three polls: associating, associating, associated


def test_the_association_wait_is_bounded_and_names_the_subnet(stubber, run_module, sleeps):
    expect_existing(stubber, endpoint(), [network(SUBNETS[0], "cvpn-assoc-1"), associating(SUBNETS[1], "cvpn-assoc-2")],
                    [rule()], [vpc_route(SUBNETS[0])])
    expect_networks(stubber, [network(SUBNETS[0], "cvpn-assoc-1"), associating(SUBNETS[1], "cvpn-assoc-2")])

    result = run_module(ec2_client_vpn_endpoint, args(wait_timeout=0))

    assert result["failed"] is True
    assert SUBNETS[1] in result["msg"] and "associating" in result["msg"] and "wait_timeout" in result["msg"]
    assert sleeps == []


def test_a_failed_association_stops_the_wait(stubber, run_module, sleeps):
    expect_existing(stubber, endpoint(), [network(SUBNETS[0], "cvpn-assoc-1")], [rule()], [vpc_route(SUBNETS[0])])
    stubber.add_response("associate_client_vpn_target_network",
                         {"AssociationId": "cvpn-assoc-2", "Status": {"Code": "associating"}},
                         {"ClientVpnEndpointId": EID, "SubnetId": SUBNETS[1]})
    expect_networks(stubber, [network(SUBNETS[0], "cvpn-assoc-1"),
                              dict(network(SUBNETS[1], "cvpn-assoc-2"), Status={"Code": "failed"})])

    result = run_module(ec2_client_vpn_endpoint, args())

    assert result["failed"] is True and "association of %s failed" % SUBNETS[1] in result["msg"]


def test_no_wait_when_wait_is_false(stubber, run_module, sleeps):
    expect_existing(stubber, endpoint(), [network(SUBNETS[0], "cvpn-assoc-1")], [rule()], [vpc_route(SUBNETS[0])])
    stubber.add_response("associate_client_vpn_target_network",
                         {"AssociationId": "cvpn-assoc-2", "Status": {"Code": "associating"}},
                         {"ClientVpnEndpointId": EID, "SubnetId": SUBNETS[1]})
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint()]},
                         {"ClientVpnEndpointIds": [EID]})

    result = run(run_module, args(wait=False))

    assert result["changed"] is True and result["association_status"] == {}


def test_an_empty_security_group_list_on_a_vpc_endpoint_is_no_change(stubber, run_module):
    # Given no group, AWS applies the VPC's default one: a second run with [] must not fight it.
    in_vpc = endpoint(VpcId="vpc-0123456789abcdef0", SecurityGroupIds=["sg-0defa017defa017de"])
    converged(stubber, in_vpc)

    result = run(run_module, args(vpc_id="vpc-0123456789abcdef0", security_group_ids=[]))

    assert result["changed"] is False and result["actions"] == []


def test_a_vpc_change_with_an_empty_group_list_sends_no_empty_group_list(stubber, run_module):
    in_vpc = endpoint(VpcId="vpc-0123456789abcdef0", SecurityGroupIds=["sg-0defa017defa017de"])
    converged(stubber, in_vpc)
    stubber.add_response("modify_client_vpn_endpoint", {"Return": True},
                         {"ClientVpnEndpointId": EID, "VpcId": "vpc-0fedcba9876543210"})
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [in_vpc]},
                         {"ClientVpnEndpointIds": [EID]})

    result = run(run_module, args(vpc_id="vpc-0fedcba9876543210", security_group_ids=[]))

    assert result["actions"] == ["modify vpc_id"]
