# -*- coding: utf-8 -*-
"""Preflight's DNS-delegation item (issue 14 item 1, "Preflight checks it too"): playbooks/tasks/dns_delegation.yml,
which playbooks/preflight.yml runs, reads the zone's name servers from the emulator and asks a fake public resolver
(a real UDP DNS server on 127.0.0.1, since the emulator's zones are delegated nowhere). Not delegated: the records
to add are named; delegated: met. The whole preflight is run by test_operations.py on a built site."""

import json

import pytest

from unit.plugins.modules.route53_delegation_info.test_route53_delegation_info import fake_dns  # noqa: F401  # pylint: disable=unused-import

from .harness import run_playbook

ZONE = "prod.delegation-test.example"


def _check(emulator, port, out):
    run = run_playbook(emulator, "tests/integration/playbooks/dns_delegation.yml", timeout=600,
                       extra_vars={"dns_delegation_zone": ZONE, "dns_delegation_resolver_port": port,
                                   "dns_delegation_out": str(out)})
    assert run.rc == 0, run.tail()
    return json.loads(out.read_text())


@pytest.fixture
def zone_name_servers(scratch_emulator):
    scratch_emulator.reset()
    route53 = scratch_emulator.client("route53")
    zone = route53.create_hosted_zone(Name=ZONE, CallerReference="delegation-test")
    return zone["DelegationSet"]["NameServers"]


def test_not_delegated_names_the_records_to_add(scratch_emulator, zone_name_servers, fake_dns, tmp_path):  # noqa: F811
    fake_dns["name_servers"] = ["ns1.current-provider.example", "ns2.current-provider.example"]
    result = _check(scratch_emulator, fake_dns["port"], tmp_path / "delegation.json")
    assert result["delegated"] is False
    assert sorted(result["public_name_servers"]) == ["ns1.current-provider.example", "ns2.current-provider.example"]
    for name_server in zone_name_servers:
        assert any(name_server.rstrip(".") in record for record in result["records_to_add"]), result["records_to_add"]
    assert fake_dns["questions"], "the resolver was asked"


def test_delegated_when_public_dns_answers_the_zones_name_servers(scratch_emulator, zone_name_servers, fake_dns,  # noqa: F811
                                                                  tmp_path):
    fake_dns["name_servers"] = list(zone_name_servers)
    result = _check(scratch_emulator, fake_dns["port"], tmp_path / "delegation.json")
    assert result["delegated"] is True
    assert sorted(ns.rstrip(".").lower() for ns in result["public_name_servers"]) == sorted(
        ns.rstrip(".").lower() for ns in zone_name_servers)
