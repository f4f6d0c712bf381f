# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS-name filters: check that the names an inventory asks for lie inside the hosted zone that will hold them.

Used by the acm and route53 roles before any AWS call, so the message names the variable at fault.
"""

from __future__ import annotations

import re

# One label: letters, digits and hyphens, not starting or ending with a hyphen; a leading "*" label is a wildcard.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _normalize(name):
    return str(name or "").strip().lower().rstrip(".")


def _name_problem(label, name, allow_wildcard):
    normalized = _normalize(name)
    if not normalized:
        return "%s: empty domain name" % label
    if len(normalized) > 253:
        return "%s: '%s' is longer than 253 characters" % (label, name)
    labels = normalized.split(".")
    if allow_wildcard and labels[0] == "*":
        labels = labels[1:]
    if len(labels) < 2 or not all(_LABEL.match(part) for part in labels):
        return "%s: '%s' is not a valid fully qualified domain name" % (label, name)
    return None


def in_zone(name, zone):
    """True when ``name`` is the zone apex or a name below it (case and trailing dot do not matter)."""
    name, zone = _normalize(name), _normalize(zone)
    return bool(zone) and (name == zone or name.endswith("." + zone))


def dns_problems(names, zone, zone_var="route53_zone_name", allow_wildcard=True):
    """Problems with ``names`` (a dict of variable name -> a name or a list of names) against the hosted ``zone``.

    Every message names the variable (and index, for lists) at fault.
    """
    problems = []
    zone_problem = _name_problem(zone_var, zone, allow_wildcard=False)
    if zone_problem:
        problems.append(zone_problem)
    for var, value in (names or {}).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for index, name in enumerate(values):
            label = "%s[%d]" % (var, index) if isinstance(value, (list, tuple)) else var
            problem = _name_problem(label, name, allow_wildcard)
            if problem:
                problems.append(problem)
            elif not zone_problem and not in_zone(name, zone):
                problems.append("%s: '%s' lies outside the hosted zone %s '%s'" % (label, name, zone_var, zone))
    return problems


class FilterModule:
    def filters(self):
        return {"dns_problems": dns_problems}
