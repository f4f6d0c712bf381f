# -*- coding: utf-8 -*-
"""lifeworld.production.route53_delegation_info: the delegation check against a fake resolver (a real UDP DNS server
on 127.0.0.1 answering as public DNS would), since the emulator's zones are delegated nowhere."""

import socket
import struct
import threading

import pytest

from ansible_collections.lifeworld.production.plugins.module_utils import dns_delegation
from ansible_collections.lifeworld.production.plugins.modules import route53_delegation_info

ROUTE53 = ["ns-2048.awsdns-64.com", "ns-2049.awsdns-65.net.", "NS-2050.awsdns-66.org", "ns-2051.awsdns-67.co.uk"]
ZONE = "prod.lifeworld.com"


def _name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\x00"


def answer(query, name_servers, rcode=0):
    """A DNS response to ``query``: the question echoed, each NS record's name a compression pointer to it."""
    ident = struct.unpack(">H", query[:2])[0]
    question = query[12:]
    header = struct.pack(">HHHHHH", ident, 0x8180 | rcode, 1, len(name_servers), 0, 0)
    records = b""
    for ns in name_servers:
        target = _name(ns)
        records += b"\xc0\x0c" + struct.pack(">HHIH", 2, 1, 300, len(target)) + target
    return header + question + records


@pytest.fixture
def fake_dns():
    """A UDP server on 127.0.0.1: ``fake_dns.name_servers`` is what it answers; returns its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    state = {"name_servers": [], "rcode": 0, "questions": []}

    def serve():
        while True:
            try:
                query, peer = sock.recvfrom(512)
            except OSError:
                return
            state["questions"].append(query[12:])
            sock.sendto(answer(query, state["name_servers"], state["rcode"]), peer)

    threading.Thread(target=serve, daemon=True).start()
    state["port"] = sock.getsockname()[1]
    yield state
    sock.close()


def check(run_module, fake_dns):
    return run_module(route53_delegation_info, {"zone_name": ZONE, "name_servers": ROUTE53, "resolver": "127.0.0.1",
                                                "resolver_port": fake_dns["port"], "timeout": 2})


def test_delegated_when_public_dns_answers_the_zones_name_servers(run_module, fake_dns, monkeypatch):
    monkeypatch.setattr(dns_delegation, "default_query", lambda: dns_delegation.udp_ns_query)
    fake_dns["name_servers"] = ["ns-2051.awsdns-67.co.uk", "ns-2048.awsdns-64.com", "ns-2050.awsdns-66.org",
                                "ns-2049.awsdns-65.net"]

    result = check(run_module, fake_dns)

    assert not result.get("failed"), result.get("msg")
    assert result["delegated"] is True
    assert fake_dns["questions"][0] == b"\x04prod\x09lifeworld\x03com\x00\x00\x02\x00\x01"


def test_not_delegated_names_the_records_to_add(run_module, fake_dns, monkeypatch):
    monkeypatch.setattr(dns_delegation, "default_query", lambda: dns_delegation.udp_ns_query)
    fake_dns["name_servers"] = ["ns1.old-provider.example", "ns2.old-provider.example"]

    result = check(run_module, fake_dns)

    assert result["delegated"] is False
    assert result["public_name_servers"] == ["ns1.old-provider.example", "ns2.old-provider.example"]
    assert result["records_to_add"] == [
        "prod.lifeworld.com. 172800 IN NS ns-2048.awsdns-64.com.",
        "prod.lifeworld.com. 172800 IN NS ns-2049.awsdns-65.net.",
        "prod.lifeworld.com. 172800 IN NS ns-2050.awsdns-66.org.",
        "prod.lifeworld.com. 172800 IN NS ns-2051.awsdns-67.co.uk.",
    ]


def test_a_name_unknown_to_public_dns_is_not_delegated(run_module, fake_dns, monkeypatch):
    monkeypatch.setattr(dns_delegation, "default_query", lambda: dns_delegation.udp_ns_query)
    fake_dns["rcode"] = 3  # NXDOMAIN

    result = check(run_module, fake_dns)

    assert result["delegated"] is False and result["public_name_servers"] == []


def test_a_partial_delegation_is_not_enough(run_module):
    result = run_module(route53_delegation_info, {"zone_name": ZONE, "name_servers": ROUTE53, "answers": ROUTE53[:2]})

    assert result["delegated"] is False


def test_unreachable_dns_fails_rather_than_passes(run_module, monkeypatch):
    monkeypatch.setattr(dns_delegation, "default_query", lambda: dns_delegation.udp_ns_query)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))  # bound, never answers
    try:
        result = run_module(route53_delegation_info, {"zone_name": ZONE, "name_servers": ROUTE53,
                                                      "resolver": "127.0.0.1", "resolver_port": sock.getsockname()[1],
                                                      "timeout": 0.5})
    finally:
        sock.close()

    assert result.get("failed") is True
    assert "Could not ask public DNS" in result["msg"]


def test_system_resolver_is_read_from_resolv_conf(tmp_path):
    conf = tmp_path / "resolv.conf"
    conf.write_text("# comment\nsearch example\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n")
    assert dns_delegation.system_resolver(str(conf)) == "10.0.0.2"
