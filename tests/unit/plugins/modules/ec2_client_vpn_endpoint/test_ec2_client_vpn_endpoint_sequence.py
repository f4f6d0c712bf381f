# -*- coding: utf-8 -*-
"""ec2_client_vpn_endpoint over a sequence of runs, against a stateful fake whose requests are model-checked.

moto lacks the Client VPN API; fake_ec2.FakeClientVpnEC2 validates every request against botocore's EC2 model
and keeps state between runs the way AWS reports it (including the route AWS adds per associated subnet).
"""

from ansible_collections.lifeworld.production.plugins.modules import ec2_client_vpn_endpoint

from .test_ec2_client_vpn_endpoint_stubber import SUBNETS, args

WRITES = {"CreateClientVpnEndpoint", "ModifyClientVpnEndpoint", "DeleteClientVpnEndpoint",
          "AssociateClientVpnTargetNetwork", "DisassociateClientVpnTargetNetwork", "AuthorizeClientVpnIngress",
          "RevokeClientVpnIngress", "CreateClientVpnRoute", "DeleteClientVpnRoute", "CreateTags", "DeleteTags"}


def run(run_module, module_args, **kwargs):
    result = run_module(ec2_client_vpn_endpoint, module_args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def writes(fake, since=0):
    return [call for call in fake.calls[since:] if call in WRITES]


def test_create_then_second_run_changes_nothing(fake, run_module):
    first = run(run_module, args())
    mark = len(fake.calls)
    second = run(run_module, args())

    assert first["changed"] is True and second["changed"] is False
    assert writes(fake, mark) == []
    [state] = fake.endpoints.values()
    assert {n["TargetNetworkId"] for n in state["networks"].values()} == set(SUBNETS)
    assert state["endpoint"]["SplitTunnel"] is True


def test_check_mode_after_create_reports_no_change(fake, run_module):
    run(run_module, args())
    mark = len(fake.calls)

    result = run(run_module, args(), check_mode=True)

    assert result["changed"] is False and writes(fake, mark) == []


def test_check_mode_on_empty_account_writes_nothing(fake, run_module):
    result = run(run_module, args(), check_mode=True)

    assert result["changed"] is True and writes(fake) == [] and fake.endpoints == {}


def test_added_route_and_tag_change_converge_in_one_run(fake, run_module):
    run(run_module, args())
    extra = args(routes=[{"destination_cidr": "10.50.0.0/16", "target_subnet_id": SUBNETS[0]}],
                 tags={"Component": "edge", "Owner": "platform"})

    changed = run(run_module, extra)
    again = run(run_module, extra)

    assert changed["changed"] is True and again["changed"] is False
    assert "create route 10.50.0.0/16 via %s" % SUBNETS[0] in changed["actions"]
    assert changed["routes"] == [{"destination_cidr": "10.50.0.0/16", "target_subnet_id": SUBNETS[0],
                                  "description": None}]


def test_removing_a_subnet_keeps_the_others_and_aws_routes(fake, run_module):
    run(run_module, args())

    result = run(run_module, args(target_subnet_ids=SUBNETS[:1]))

    assert result["actions"] == ["disassociate %s" % SUBNETS[1]]
    [state] = fake.endpoints.values()
    assert [n["TargetNetworkId"] for n in state["networks"].values()] == SUBNETS[:1]


def test_delete_then_delete_again(fake, run_module):
    run(run_module, args())

    deleted = run(run_module, {"name": args()["name"], "state": "absent"})
    again = run(run_module, {"name": args()["name"], "state": "absent"})

    assert deleted["changed"] is True and again["changed"] is False
    assert fake.endpoints == {}


def test_a_route_without_subnet_goes_through_every_associated_subnet(fake, run_module):
    result = run(run_module, args(routes=[{"destination_cidr": "10.60.0.0/16", "description": "peered"}]))
    again = run(run_module, args(routes=[{"destination_cidr": "10.60.0.0/16", "description": "peered"}]))

    assert sorted(r["target_subnet_id"] for r in result["routes"]) == sorted(SUBNETS)
    assert again["changed"] is False
    [state] = fake.endpoints.values()
    assert {k for k in state["routes"] if k[0] == "10.60.0.0/16"} == {("10.60.0.0/16", s) for s in SUBNETS}
