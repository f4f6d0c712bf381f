# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS cutover filters: the legacy target's records, where the site's name points now, and whether a switch may
go ahead (the old TTL has run out since it was lowered).

Used by the route53 role (``route53_site_target: legacy``) and playbooks/cutover.yml. Record lists are in the
shape of lifeworld.production.route53_records' ``records`` option; record sets read with amazon.aws.route53_info
(``resource_record_sets``, snake_case) go in.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.lifeworld.production.plugins.filter.dns import dns_problems

_SITE_TYPES = ("A", "AAAA", "CNAME")
_MARKER = re.compile(r"lowered_at=(\d+)\s+old_ttl=(\d+)")


def _fqdn(name):
    return str(name or "").strip().lower().rstrip(".") + "."


def _target_host(dns_name):
    host = _fqdn(dns_name)
    return host[len("dualstack."):] if host.startswith("dualstack.") else host


def legacy_target_problems(target, record_name, zone, var="route53_legacy_target"):
    """Problems with the legacy target {addresses: [...]} or {cname: name}; every message names ``var``."""
    if not isinstance(target, dict) or not target:
        return ["%s: set {addresses: [IP, ...]} or {cname: host name} (the server the name points at before the "
                "cutover)" % var]
    unknown = sorted(set(target) - {"addresses", "cname"})
    if unknown:
        return ["%s: unknown keys %s (use addresses or cname)" % (var, unknown)]
    addresses, cname = target.get("addresses") or [], target.get("cname") or ""
    if bool(addresses) == bool(cname):
        return ["%s: give exactly one of addresses and cname" % var]
    problems = []
    if cname:
        problems += dns_problems({var + ".cname": cname}, zone, allow_wildcard=False)
        # The legacy host usually lies outside the zone: only its syntax matters here.
        problems = [p for p in problems if "outside the hosted zone" not in p]
        if _fqdn(cname) == _fqdn(record_name):
            problems.append("%s.cname: '%s' is the site's own name" % (var, cname))
        if _fqdn(record_name) == _fqdn(zone):
            problems.append("%s.cname: the zone apex %s cannot be a CNAME; give addresses" % (var, record_name))
        return problems
    if not isinstance(addresses, list):
        return ["%s.addresses: a list of IP addresses" % var]
    for index, address in enumerate(addresses):
        try:
            ipaddress.ip_address(str(address))
        except ValueError:
            problems.append("%s.addresses[%d]: '%s' is not an IP address" % (var, index, address))
    if len(set(map(str, addresses))) != len(addresses):
        problems.append("%s.addresses: duplicate addresses" % var)
    return problems


def cutover_legacy_records(target, ttl):
    """The legacy target as records: A and/or AAAA from its addresses, or one CNAME."""
    if target.get("cname"):
        return [{"type": "CNAME", "ttl": int(ttl), "values": [str(target["cname"]).rstrip(".")]}]
    by_version = {4: [], 6: []}
    for address in target.get("addresses") or []:
        by_version[ipaddress.ip_address(str(address)).version].append(str(address))
    return [{"type": record_type, "ttl": int(ttl), "values": by_version[version]}
            for record_type, version in (("A", 4), ("AAAA", 6)) if by_version[version]]


def cutover_alb_records(alb, ipv6=False):
    """Alias records to the load balancer (as described by amazon.aws.elb_application_lb_info), as the route53 role
    publishes them with ``route53_site_target: alb``, so site.yml agrees with a finished cutover."""
    if not alb:
        return []
    alias = {"dns_name": alb["dns_name"], "hosted_zone_id": alb["canonical_hosted_zone_id"], "evaluate_target_health": True}
    return [{"type": record_type, "alias": dict(alias)} for record_type in (["A", "AAAA"] if ipv6 else ["A"])]


def _module_record(record_set):
    alias = record_set.get("alias_target")
    if alias:
        return {"type": record_set["type"], "alias": {"dns_name": alias["dns_name"], "hosted_zone_id": alias["hosted_zone_id"],
                                                      "evaluate_target_health": bool(alias.get("evaluate_target_health"))}}
    return {"type": record_set["type"], "ttl": int(record_set.get("ttl") or 0),
            "values": [value["value"] for value in record_set.get("resource_records") or []]}


def _describe(record):
    if record.get("alias"):
        return "%s alias %s" % (record["type"], record["alias"]["dns_name"].rstrip("."))
    return "%s %s (TTL %s s)" % (record["type"], ", ".join(record["values"]), record["ttl"])


def _comparable(record):
    if record.get("alias"):
        return (record["type"], "alias", _target_host(record["alias"]["dns_name"]), record["alias"]["hosted_zone_id"].upper())
    values = record.get("values") or []
    if record["type"] == "CNAME":
        values = [value.lower().rstrip(".") for value in values]
    return (record["type"], "values", tuple(sorted(values)), int(record.get("ttl") or 0))


def cutover_state(record_sets, name, alb=None):
    """Where ``name`` points now: kind none | legacy | alb | alias (another alias target) | routed (routing
    policies, which a cutover does not handle), the longest TTL of its non-alias records, its records (to restore
    them) and a one-line summary."""
    ours = [r for r in record_sets or [] if _fqdn(r.get("name")) == _fqdn(name) and r.get("type") in _SITE_TYPES]
    if any(r.get("set_identifier") for r in ours):
        return {"kind": "routed", "ttl": None, "records": [], "summary": "records with a routing policy (%s)"
                % ", ".join(sorted({r["set_identifier"] for r in ours if r.get("set_identifier")}))}
    records = sorted((_module_record(r) for r in ours), key=lambda record: record["type"])
    ttls = [record["ttl"] for record in records if not record.get("alias")]
    if not records:
        kind = "none"
    elif ttls:
        kind = "legacy"
    elif alb and all(_target_host(r["alias"]["dns_name"]) == _target_host(alb.get("dns_name")) for r in records):
        kind = "alb"
    else:
        kind = "alias"
    return {"kind": kind, "ttl": max(ttls) if ttls else None, "records": records,
            "summary": "; ".join(_describe(record) for record in records) or "no record"}


def cutover_with_ttl(records, ttl):
    """``records`` with the TTL of every non-alias record lowered to at most ``ttl``."""
    return [dict(record, ttl=min(int(record["ttl"]), int(ttl))) if not record.get("alias") else record for record in records]


def cutover_marker(record_sets, name):
    """{lowered_at, old_ttl} from the TXT record _cutover.<name> that the TTL step writes, or {}."""
    marker_name = _fqdn("_cutover." + _fqdn(name).rstrip("."))
    for record_set in record_sets or []:
        if _fqdn(record_set.get("name")) == marker_name and record_set.get("type") == "TXT":
            for value in record_set.get("resource_records") or []:
                match = _MARKER.search(value["value"])
                if match:
                    return {"lowered_at": int(match[1]), "old_ttl": int(match[2])}
    return {}


def cutover_gate(state, marker, now, low_ttl):
    """Whether a switch may go ahead: {ready, remaining (seconds), reason}. Resolvers may keep an answer for its
    TTL, so a switch waits until the old TTL has run out since the low TTL was published."""
    if state["kind"] in ("none", "alb", "alias"):
        reason = {"none": "the name has no record yet", "alb": "the name already points at the ALB",
                  "alias": "alias records have no TTL of their own (resolvers follow the target's)"}[state["kind"]]
        return {"ready": True, "remaining": 0, "reason": reason}
    if state["kind"] == "routed":
        return {"ready": False, "remaining": 0, "reason": "the name has %s; a cutover handles simple records only"
                % state["summary"]}
    if int(state["ttl"]) > int(low_ttl):
        return {"ready": False, "remaining": int(state["ttl"]),
                "reason": "the TTL is %s s, not lowered: run -e cutover_action=lower_ttl first, then wait %s s"
                % (state["ttl"], state["ttl"])}
    if not marker:
        return {"ready": False, "remaining": int(low_ttl),
                "reason": "no record of when the TTL was lowered: run -e cutover_action=lower_ttl (it records the "
                          "time), then wait %s s" % state["ttl"]}
    elapsed = int(now) - int(marker["lowered_at"])
    remaining = int(marker["old_ttl"]) - elapsed
    if remaining > 0:
        return {"ready": False, "remaining": remaining,
                "reason": "the TTL was lowered %d s ago and resolvers may keep the old answer for its old TTL of %d s: "
                          "wait %d s more" % (max(elapsed, 0), int(marker["old_ttl"]), remaining)}
    return {"ready": True, "remaining": 0, "reason": "the TTL was lowered %d s ago (old TTL %d s)" % (elapsed, int(marker["old_ttl"]))}


def cutover_differences(state, expected):
    """How the published records differ from ``expected`` (empty when they answer the same)."""
    have = sorted(_comparable(record) for record in state["records"])
    want = sorted(_comparable(record) for record in expected)
    if have == want:
        return []
    return ["published: %s; expected: %s" % (state["summary"], "; ".join(_describe(record) for record in expected))]


class FilterModule:
    def filters(self):
        return {
            "legacy_target_problems": legacy_target_problems,
            "cutover_legacy_records": cutover_legacy_records,
            "cutover_alb_records": cutover_alb_records,
            "cutover_state": cutover_state,
            "cutover_with_ttl": cutover_with_ttl,
            "cutover_marker": cutover_marker,
            "cutover_gate": cutover_gate,
            "cutover_differences": cutover_differences,
        }
