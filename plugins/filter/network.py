# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network-layout filters: validate an inventory's CIDR plan and lay its subnets out per tier and AZ.

Validation lives here rather than in Jinja so every message can name the offending variable and index,
and so the checks run before any AWS call.
"""

from __future__ import annotations

import ipaddress

AWS_MIN_PREFIX = 16
AWS_MAX_PREFIX = 28


def _parse(cidr, label, problems):
    try:
        net = ipaddress.IPv4Network(str(cidr), strict=True)
    except ValueError as exc:
        problems.append("%s: '%s' is not a valid IPv4 CIDR (%s)" % (label, cidr, exc))
        return None
    if not AWS_MIN_PREFIX <= net.prefixlen <= AWS_MAX_PREFIX:
        problems.append(
            "%s: '%s' has prefix /%d; AWS allows /%d to /%d" % (label, cidr, net.prefixlen, AWS_MIN_PREFIX, AWS_MAX_PREFIX)
        )
    return net


def network_problems(vpc_cidr, zones, tiers, zones_var="vpc_availability_zones", cidr_var="vpc_cidr"):
    problems = []
    vpc = _parse(vpc_cidr, cidr_var, problems)

    zones = list(zones or [])
    if len(set(zones)) < 2:
        problems.append("%s: at least 2 distinct availability zones are required for Multi-AZ, got %s" % (zones_var, zones))
    if len(set(zones)) != len(zones):
        problems.append("%s: zones must not repeat, got %s" % (zones_var, zones))

    seen = []
    for var, cidrs in tiers.items():
        cidrs = list(cidrs or [])
        if len(cidrs) != len(zones):
            problems.append(
                "%s: needs exactly one subnet per zone in %s (%d), got %d" % (var, zones_var, len(zones), len(cidrs))
            )
        for index, cidr in enumerate(cidrs):
            label = "%s[%d]" % (var, index)
            net = _parse(cidr, label, problems)
            if net is None:
                continue
            if vpc is not None and not net.subnet_of(vpc):
                problems.append("%s: '%s' is outside %s '%s'" % (label, cidr, cidr_var, vpc_cidr))
            for other_label, other in seen:
                if net.overlaps(other):
                    problems.append("%s: '%s' overlaps %s '%s'" % (label, cidr, other_label, other))
            seen.append((label, net))
    return problems


def subnet_layout(zones, tiers, name_prefix):
    """One entry per subnet: tier, zone, cidr and the derived Name, in zone order within each tier."""
    layout = []
    for tier, cidrs in tiers.items():
        for zone, cidr in zip(zones, cidrs):
            layout.append({"tier": tier, "az": zone, "cidr": cidr, "name": "%s-%s-%s" % (name_prefix, tier, zone)})
    return layout


def subnets_by_tier(subnets, zones=None):
    """Group ec2_vpc_subnet_info results by their Tier tag, each tier ordered by zone (inventory order first).

    ``zones`` may hold zone IDs (use1-az1, the inventory's) or zone names (us-east-1a): a subnet is placed by
    whichever of its two it matches."""
    order = {zone: index for index, zone in enumerate(zones or [])}
    grouped = {}
    for subnet in subnets:
        tier = (subnet.get("tags") or {}).get("Tier")
        if not tier:
            continue
        grouped.setdefault(tier, []).append(
            {"id": subnet["subnet_id"], "az": subnet["availability_zone"], "cidr": subnet["cidr_block"],
             "az_id": subnet.get("availability_zone_id", "")}
        )
    for members in grouped.values():
        members.sort(key=lambda s: (min(order.get(s["az"], len(order)), order.get(s["az_id"], len(order))), s["az"]))
    return grouped


def zone_plan(ids, count):
    """What validation counts as the zones before any AWS call: the inventory's zone IDs, or ``count`` placeholders
    when it asks for a number of zones instead."""
    if ids:
        return list(ids)
    return ["zone-%d" % (index + 1) for index in range(int(count or 0))]


def resolve_zone_ids(zones, ids, count=0):
    """Map zone IDs to this account's zone names (aws_az_info's ``availability_zones``).

    Zone names (us-east-1a) are shuffled per account, zone IDs (use1-az1) name the same physical zone in every
    account, so the inventory names IDs. Without IDs, the first ``count`` available zones in zone-ID order. Returns
    ``{'ids', 'names', 'missing', 'available'}``; ``missing`` lists the IDs this region does not offer (or not in
    the ``available`` state) and ``available`` the IDs it does, for the error message.
    """
    usable = sorted(
        (z for z in zones or [] if z.get("state", "available") == "available"
         and z.get("zone_type", "availability-zone") == "availability-zone"),
        key=lambda z: z["zone_id"],
    )
    by_id = {z["zone_id"]: z["zone_name"] for z in usable}
    wanted = list(ids) if ids else [z["zone_id"] for z in usable][:int(count or 0)]
    return {
        "ids": wanted,
        "names": [by_id[zone_id] for zone_id in wanted if zone_id in by_id],
        "missing": [zone_id for zone_id in wanted if zone_id not in by_id],
        "available": sorted(by_id),
    }


class FilterModule:
    def filters(self):
        return {
            "network_problems": network_problems,
            "subnet_layout": subnet_layout,
            "subnets_by_tier": subnets_by_tier,
            "zone_plan": zone_plan,
            "resolve_zone_ids": resolve_zone_ids,
        }
