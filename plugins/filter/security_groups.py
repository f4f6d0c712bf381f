# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security-group filters: check who the inventory lets in, and derive the ALB's sources from the access mode.

Inputs arrive as a dict keyed by the inventory variable names, so every message names the variable at fault.
"""

from __future__ import annotations

import ipaddress

from ansible.module_utils.parsing.convert_bool import boolean

MODES = ("ip_restricted", "client_vpn")


def _network(cidr, label, problems):
    try:
        return ipaddress.IPv4Network(str(cidr), strict=True)
    except ValueError as exc:
        problems.append("%s: '%s' is not a valid IPv4 CIDR (%s)" % (label, cidr, exc))
        return None


def _ports(ports, label, problems):
    for index, port in enumerate(ports or []):
        try:
            valid = 1 <= int(port) <= 65535
        except (TypeError, ValueError):
            valid = False
        if not valid:
            problems.append("%s[%d]: '%s' is not a port (1-65535)" % (label, index, port))


def security_group_problems(settings):
    """Every problem with the security-group inputs; empty when they are sound."""
    problems = []
    mode = settings.get("security_groups_access_mode")
    public = bool(settings.get("security_groups_alb_public"))
    if mode not in MODES:
        problems.append("security_groups_access_mode: '%s' is not one of %s" % (mode, ", ".join(MODES)))

    allowed = settings.get("security_groups_allowed_cidrs") or []
    for index, cidr in enumerate(allowed):
        label = "security_groups_allowed_cidrs[%d]" % index
        net = _network(cidr, label, problems)
        if net is not None and net.prefixlen == 0 and not public:
            problems.append(
                "%s: '%s' opens the ALB to the whole internet; set security_groups_alb_public: true if that is meant"
                % (label, cidr)
            )
    if mode == "ip_restricted" and not allowed and not public:
        problems.append("security_groups_allowed_cidrs: ip_restricted mode needs at least one CIDR (nobody could reach the ALB)")

    vpn = settings.get("security_groups_client_vpn_cidr") or ""
    if mode == "client_vpn" and not vpn:
        problems.append("security_groups_client_vpn_cidr: required when security_groups_access_mode is client_vpn")
    if vpn:
        net = _network(vpn, "security_groups_client_vpn_cidr", problems)
        if net is not None and net.prefixlen == 0:
            problems.append("security_groups_client_vpn_cidr: '%s' is the whole internet, not a VPN range" % vpn)

    if settings.get("security_groups_migration_cidrs"):
        problems.append("security_groups_migration_cidrs: removed; the RDS group admits no CIDR. The migration host"
                        " reaches RDS through the Client VPN while a migration window is open"
                        " (docs/runbooks/database-migration.md, 'Network path')")
    if boolean(settings.get("security_groups_migration_window"), strict=False) and mode != "client_vpn":
        problems.append("security_groups_migration_window: the migration path is the Client VPN endpoint's group;"
                        " set security_groups_access_mode: client_vpn (now '%s')" % mode)

    for index, cidr in enumerate(settings.get("security_groups_ecs_https_egress_cidrs") or []):
        _network(cidr, "security_groups_ecs_https_egress_cidrs[%d]" % index, problems)

    for var in ("security_groups_alb_ports", "security_groups_ecs_ports"):
        _ports(settings.get(var), var, problems)
        if not settings.get(var):
            problems.append("%s: at least one port is required" % var)
    _ports([settings.get("security_groups_rds_port")], "security_groups_rds_port", problems)
    return problems


def alb_ingress_cidrs(settings):
    """The CIDRs the ALB accepts: the internet when public, else the allowed CIDRs or the VPN's CIDR."""
    if settings.get("security_groups_alb_public"):
        return ["0.0.0.0/0"]
    if settings.get("security_groups_access_mode") == "client_vpn":
        return [settings["security_groups_client_vpn_cidr"]]
    return sorted(set(settings.get("security_groups_allowed_cidrs") or []))


class FilterModule:
    def filters(self):
        return {"security_group_problems": security_group_problems, "alb_ingress_cidrs": alb_ingress_cidrs}
