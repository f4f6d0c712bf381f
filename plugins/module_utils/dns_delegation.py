# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Does public DNS delegate a zone to the name servers Route 53 gave it?

ACM validates a certificate through public DNS. A hosted zone nobody delegates to is invisible there, so the
certificate would wait an hour and the build would stop at the load balancer. The acm role asks first.

The seam: ``public_name_servers(zone, query=...)``. The real query uses dnspython when it is installed, else a
plain UDP query (RFC 1035, no dependency) to the system's resolver; tests pass a fake ``query`` or point the UDP
query at a local fake server. EMULATOR: moto's zones are delegated nowhere; the local inventory turns the check
off and the tests exercise it through those seams.
"""

import random
import socket
import struct
from typing import Callable
from typing import Iterable
from typing import List
from typing import Optional

NS_TYPE = 2


def normalize(name: str) -> str:
    return str(name).strip().lower().rstrip(".")


def system_resolver(resolv_conf: str = "/etc/resolv.conf") -> str:
    """The first name server of resolv.conf (127.0.0.53 on systemd hosts forwards to the real ones)."""
    try:
        with open(resolv_conf, encoding="utf-8") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    return parts[1]
    except OSError:
        pass
    return "127.0.0.1"


def encode_query(zone: str, query_id: int) -> bytes:
    header = struct.pack(">HHHHHH", query_id, 0x0100, 1, 0, 0, 0)  # recursion desired, one question
    labels = b"".join(bytes([len(label)]) + label.encode("idna") for label in normalize(zone).split(".") if label)
    return header + labels + b"\x00" + struct.pack(">HH", NS_TYPE, 1)


def _read_name(message: bytes, offset: int):
    """(name, offset after it) with RFC 1035 compression pointers followed."""
    labels, jumped, end = [], False, offset
    for unused_hop in range(128):  # a loop of pointers is malformed
        length = message[offset]
        if length & 0xC0 == 0xC0:
            if not jumped:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | message[offset + 1]
            jumped = True
            continue
        if length == 0:
            return ".".join(labels), (end if jumped else offset + 1)
        labels.append(message[offset + 1:offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    raise ValueError("malformed DNS name")


def decode_ns_answer(message: bytes, query_id: int) -> List[str]:
    """The NS names in the answer section; a non-zero RCODE other than NXDOMAIN raises."""
    ident, flags, questions, answers = struct.unpack(">HHHH", message[:8])
    if ident != query_id:
        raise ValueError("DNS answer for another query")
    rcode = flags & 0x000F
    if rcode == 3:  # NXDOMAIN: the name does not exist publicly, so nothing delegates to it
        return []
    if rcode:
        raise ValueError("DNS error code %d" % rcode)
    offset = 12
    for unused_question in range(questions):
        offset = _read_name(message, offset)[1]
        offset += 4
    found = []
    for unused_answer in range(answers):
        offset = _read_name(message, offset)[1]
        fields = struct.unpack(">HHIH", message[offset:offset + 10])
        rtype, length = fields[0], fields[3]
        offset += 10
        if rtype == NS_TYPE:
            found.append(_read_name(message, offset)[0])
        offset += length
    return found


def udp_ns_query(zone: str, server: Optional[str] = None, port: int = 53, timeout: float = 5.0) -> List[str]:
    query_id = random.randint(0, 0xFFFF)
    with socket.socket(socket.AF_INET6 if ":" in (server or "") else socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(encode_query(zone, query_id), (server or system_resolver(), port))
        message = sock.recvfrom(4096)[0]
    return decode_ns_answer(message, query_id)


def dnspython_ns_query(zone: str, server: Optional[str] = None, port: int = 53, timeout: float = 5.0) -> List[str]:
    import dns.resolver  # pylint: disable=import-outside-toplevel

    resolver = dns.resolver.Resolver()
    if server:
        resolver.nameservers, resolver.port = [server], port
    try:
        return [rdata.target.to_text() for rdata in resolver.resolve(zone, "NS", lifetime=timeout)]
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []


def default_query() -> Callable[..., List[str]]:
    try:
        import dns.resolver  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        return udp_ns_query
    return dnspython_ns_query


def public_name_servers(zone: str, query: Optional[Callable[..., List[str]]] = None, **kwargs) -> List[str]:
    """The NS names public DNS answers for ``zone``, normalized and sorted."""
    return sorted({normalize(name) for name in (query or default_query())(zone, **kwargs)})


def records_to_add(zone: str, name_servers: Iterable[str], ttl: int = 172800) -> List[str]:
    """The NS records the parent zone's DNS provider must hold, as zone-file lines."""
    return ["%s. %d IN NS %s." % (normalize(zone), ttl, normalize(ns)) for ns in sorted(name_servers, key=normalize)]
