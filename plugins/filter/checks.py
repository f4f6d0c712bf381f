# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A table-driven check for role validation: each row names the variable, whether it passed, and why it did not.

Lets a role's validate.yml list its semantic checks as data and fail with messages that name every variable at
fault, instead of one assert per check.
"""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

_TRUE = ("true", "yes", "1")


def _passed(value):
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def failed_checks(rows):
    """``[[variable, passed, message], ...]`` -> ``["variable: message", ...]`` for the rows that did not pass."""
    problems = []
    for row in rows or []:
        if not isinstance(row, (list, tuple)) or len(row) != 3:
            raise AnsibleFilterError("failed_checks expects rows of [variable, passed, message], got %r" % (row,))
        variable, passed, message = row
        if not _passed(passed):
            problems.append("%s: %s" % (variable, message))
    return problems


def invalid_ipv4_cidrs(values):
    """The entries of ``values`` that are not IPv4 networks in CIDR notation (host bits unset)."""
    invalid = []
    for value in values or []:
        try:
            ipaddress.IPv4Network(str(value), strict=True)
        except ValueError:
            invalid.append(value)
            continue
        if "/" not in str(value):
            invalid.append(value)
    return invalid


def cidrs_overlap(cidr, other):
    """True when two IPv4 CIDRs share addresses; False when either is not a valid CIDR (validated elsewhere)."""
    try:
        return ipaddress.IPv4Network(str(cidr), strict=False).overlaps(ipaddress.IPv4Network(str(other), strict=False))
    except ValueError:
        return False


class FilterModule:
    def filters(self):
        return {"failed_checks": failed_checks, "invalid_ipv4_cidrs": invalid_ipv4_cidrs,
                "cidrs_overlap": cidrs_overlap}
