# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The security-group rules of the hardening check: the ALB -> ECS -> RDS chain admits only the plan's sources.

Pure functions over describe_security_groups output, like the other rules in hardening.py. Besides client CIDRs
the chain has two legitimate sources that are not CIDRs on a real account (issue 14, docs/real-account.md):
- the Client VPN endpoint's own group: Client VPN source-NATs client traffic to its network interfaces, so in
  client_vpn mode the ALB (listener ports) and RDS (PostgreSQL, for DR and migration access) admit that group;
- the Route 53 health checkers' AWS-managed prefix list, which the ALB admits on its listener ports while health
  checks are on. EMULATOR: moto has no AWS-managed lists; the tests use a customer-managed list of that name.
Anything else stays a finding, and the whole internet is a finding everywhere but a public ALB's listener ports.
"""

from typing import Any
from typing import Dict
from typing import Iterable
from typing import List

from ansible_collections.lifeworld.production.plugins.module_utils.hardening import WORLD
from ansible_collections.lifeworld.production.plugins.module_utils.hardening import _tag
from ansible_collections.lifeworld.production.plugins.module_utils.hardening import finding


def _ports(permission: Dict[str, Any]) -> str:
    if permission.get("IpProtocol") in ("-1", -1):
        return "all traffic"
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return "%s/%s" % (permission.get("IpProtocol"), low if low == high else "%s-%s" % (low, high))


def _covers_only(permission: Dict[str, Any], ports: Iterable[int]) -> bool:
    """True when the rule is TCP and every port it opens is one of ``ports``."""
    if permission.get("IpProtocol") != "tcp":
        return False
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if low is None or high is None:
        return False
    return all(port in set(int(p) for p in ports) for port in range(int(low), int(high) + 1))


def _sources(permission: Dict[str, Any]):
    cidrs = [r["CidrIp"] for r in permission.get("IpRanges") or []] + \
        [r["CidrIpv6"] for r in permission.get("Ipv6Ranges") or []]
    groups = [p["GroupId"] for p in permission.get("UserIdGroupPairs") or []]
    prefix_lists = [p["PrefixListId"] for p in permission.get("PrefixListIds") or []]
    return cidrs, groups, prefix_lists


def _group_ids(groups, names, parts):
    """({part: group id} of the groups found by Name tag, findings for the missing ones)."""
    by_name = {_tag(g) or g.get("GroupName"): g for g in groups}
    ids, out = {}, []
    for part in parts:
        group = by_name.get(names[part])
        if group is None:
            out.append(finding(names[part], "security group exists", "no group tagged Name=%s in the VPC" % names[part],
                               "run site.yml --tags security"))
        else:
            ids[part] = group["GroupId"]
    return ids, out


def check_security_groups(groups: List[Dict[str, Any]], names: Dict[str, str], alb_cidrs: Iterable[str],
                          alb_public: bool = False, alb_ports: Iterable[int] = (80, 443), rds_port: int = 5432,
                          migration_cidrs: Iterable[str] = (), client_vpn: bool = False,
                          alb_prefix_lists: Iterable[str] = (), migration_window: bool = False) -> List[Dict[str, str]]:
    """The VPC's groups admit only the plan's sources.

    ``groups``: describe_security_groups of the environment's VPC. ``names``: Name tags of the alb, ecs and rds
    groups (and ``client_vpn``'s when ``client_vpn``). ALB: the allowed client CIDRs (0.0.0.0/0 and ::/0 only when
    the ALB is public), the Client VPN group (``client_vpn``) and the prefix lists ``alb_prefix_lists`` (ids), on
    its listener ports; ECS: only the ALB's group; RDS: only the ECS group, ``migration_cidrs`` (none from the
    roles) and, while a migration window is open (``migration_window``), the Client VPN group, on the PostgreSQL
    port: a window left open outside a migration is a finding. No other group of the VPC may admit the internet.
    """
    ids, out = _group_ids(groups, names, ("alb", "ecs", "rds") + (("client_vpn",) if client_vpn else ()))
    alb_allowed = set(alb_cidrs) | (set(WORLD) if alb_public else set())
    vpn = {ids["client_vpn"]} if "client_vpn" in ids else set()
    for group in groups:
        label = "%s (%s)" % (_tag(group) or group.get("GroupName"), group["GroupId"])
        part = next((p for p, gid in ids.items() if gid == group["GroupId"]), None)
        for permission in group.get("IpPermissions") or []:
            out += _rule_findings(label, part, permission, ids, vpn, alb_allowed, alb_public, list(alb_ports),
                                  rds_port, set(migration_cidrs), set(alb_prefix_lists), migration_window)
    return out


def _rule_findings(label, part, permission, ids, vpn, alb_allowed, alb_public, alb_ports, rds_port, migration,
                   alb_prefix_lists, migration_window=False):
    out = []
    cidrs, sources, prefix_lists = _sources(permission)
    ports = _ports(permission)
    world = [c for c in cidrs if c in WORLD]
    if world and not (part == "alb" and alb_public and _covers_only(permission, alb_ports)):
        out.append(finding(label, "no ingress from the internet", "admits %s on %s" % (", ".join(world), ports),
                           "revoke the rule; only a public ALB may admit 0.0.0.0/0, on its listener ports"))
    if part == "alb":
        extra = sorted(set(cidrs) - alb_allowed - set(WORLD)) + sorted(set(sources) - vpn) + \
            sorted(set(prefix_lists) - alb_prefix_lists)
        if extra:
            out.append(finding(label, "ALB admits only the allowed clients", "admits %s on %s" % (", ".join(extra), ports),
                               "rerun --tags security (security_groups_allowed_cidrs lists the clients)"))
        if (cidrs or sources or prefix_lists) and not _covers_only(permission, alb_ports):
            out.append(finding(label, "ALB opens only its listener ports",
                               "%s is open (listener ports: %s)" % (ports, ", ".join(map(str, alb_ports))),
                               "revoke the rule; rerun --tags security"))
    elif part == "ecs":
        others = [c for c in cidrs if c not in WORLD] + sorted(set(sources) - {ids.get("alb")}) + prefix_lists
        if others:
            out.append(finding(label, "ECS admits only the ALB", "admits %s on %s" % (", ".join(others), ports),
                               "revoke the rule; tasks take traffic from the load balancer only"))
    elif part == "rds":
        others = sorted(set(c for c in cidrs if c not in WORLD) - migration) + \
            sorted(set(sources) - {ids.get("ecs")} - vpn) + prefix_lists
        if others:
            out.append(finding(label, "RDS admits only ECS and the migration host",
                               "admits %s on %s" % (", ".join(others), ports),
                               "revoke the rule; the migration host reaches RDS through the Client VPN while a"
                               " migration window is open (playbooks/migrate_database.yml opens it)"))
        window = sorted(set(sources) & vpn)
        if window and not migration_window:
            out.append(finding(label, "RDS admits the Client VPN only during a migration window",
                               "admits %s on %s outside a migration" % (", ".join(window), ports),
                               "close the window: playbooks/cutover.yml -e cutover_action=switch once the database"
                               " has moved, or rerun --tags security; pass migration_window while one runs"))
        if (cidrs or sources) and not _covers_only(permission, [rds_port]):
            out.append(finding(label, "RDS opens only PostgreSQL", "%s is open (PostgreSQL: %s)" % (ports, rds_port),
                               "revoke the rule; rerun --tags security"))
    return out
