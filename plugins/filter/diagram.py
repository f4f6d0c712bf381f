# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The environment as deployed, drawn as graphviz dot text (filter ``environment_dot``): VPC tiers per
availability zone, NAT gateways, the ALB with its listeners and target groups, the ECS services with running/desired
task counts, the RDS primary and standby (and replica), and every alarm coloured by its state.

Its input is the report of lifeworld.production.environment_info (``report: true``), as playbooks/diagram.yml and
scripts/diagram read it; a pure function, no AWS call.
"""

import html

TIERS = ("public", "private", "isolated")
ALARM_COLOURS = {"OK": "#c8e6c9", "ALARM": "#ef9a9a", "INSUFFICIENT_DATA": "#e0e0e0"}


def _id(text):
    return '"%s"' % text.replace('"', "")


def _label(*rows, bold_first=True):
    """An HTML-like graphviz label: one line per row, the first in bold."""
    cells = []
    for index, row in enumerate(rows):
        text = html.escape(str(row))
        cells.append("<B>%s</B>" % text if index == 0 and bold_first else text)
    return "<%s>" % "<BR/>".join(cells)


def _standby_az(db, zones):
    """AWS names the standby's zone; an emulator may not, then any other zone of the subnet group stands in."""
    if db["standby_az"]:
        return db["standby_az"]
    others = [z for z in zones if z != db["az"]]
    return others[0] if db["multi_az"] and others else None


def to_dot(model):
    lines = ["digraph environment {", '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, compound=true, '
             'label=%s, labelloc=t];' % _id("%s — as deployed" % model["prefix"]),
             '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    zones = sorted({s["az"] for s in model["subnets"]} | {d["az"] for d in model["databases"] if d["az"]})
    subnet_ids = {s["id"]: s for s in model["subnets"]}
    tier_colour = {"public": "#e3f2fd", "private": "#fff8e1", "isolated": "#fce4ec"}
    databases_by_az = {}

    def db_zones(db):
        return sorted({subnet_ids[s]["az"] for s in db["subnets"] if s in subnet_ids}) or zones

    for db in model["databases"]:
        databases_by_az.setdefault(db["az"], []).append((db, db["role"]))
        standby = _standby_az(db, db_zones(db))
        if standby:
            databases_by_az.setdefault(standby, []).append((db, "standby"))

    if model["vpc"]:
        vpc = model["vpc"]
        lines.append("  subgraph cluster_vpc {")
        lines.append("    label=%s; style=rounded; color=\"#607d8b\";" % _id("VPC %s %s (%s)" % (vpc["name"], vpc["id"], vpc["cidr"])))
        for zone in zones:
            lines.append("    subgraph %s {" % _id("cluster_az_" + zone))
            lines.append("      label=%s; style=dashed; color=\"#90a4ae\";" % _id("AZ " + zone))
            for tier in TIERS:
                for subnet in sorted((s for s in model["subnets"] if s["az"] == zone and s["tier"] == tier),
                                     key=lambda s: s["cidr"]):
                    lines.append("      %s [label=%s, fillcolor=%s];" % (
                        _id(subnet["id"]), _label(subnet["name"], "%s subnet %s" % (tier, subnet["cidr"]), subnet["id"]),
                        _id(tier_colour.get(tier, "#ffffff"))))
            for nat in model["nat_gateways"]:
                if subnet_ids.get(nat["subnet"], {}).get("az") == zone:
                    lines.append("      %s [label=%s, shape=cds, fillcolor=\"#eceff1\"];" % (
                        _id(nat["id"]), _label(nat["name"], "NAT gateway")))
                    lines.append("      %s -> %s [style=dotted, arrowhead=none];" % (_id(nat["subnet"]), _id(nat["id"])))
            for db, role in databases_by_az.get(zone, []):
                node = db["identifier"] + ("#standby" if role == "standby" else "")
                title = db["identifier"] if role != "standby" else "%s (standby)" % db["identifier"]
                rows = [title, "RDS %s — %s" % (role, db["engine"]), "%s, %s" % (db["class"], db["status"])]
                if role == "standby" and not db["standby_az"]:
                    rows.append("(zone not reported; drawn in another zone of its subnet group)")
                lines.append("      %s [label=%s, shape=cylinder, fillcolor=\"#f8bbd0\"];" % (_id(node), _label(*rows)))
            # Keep the tiers in order top to bottom inside each zone.
            ordered = [s["id"] for tier in TIERS for s in model["subnets"] if s["az"] == zone and s["tier"] == tier]
            for upper, lower in zip(ordered, ordered[1:]):
                lines.append("      %s -> %s [style=invis];" % (_id(upper), _id(lower)))
            lines.append("    }")
        lines.append("  }")

    lb = model["load_balancer"]
    if lb:
        rows = [lb["name"], "Application Load Balancer (%s)" % lb["scheme"]]
        rows += ["listener %s" % listener for listener in lb["listeners"]]
        rows += ["target group %s: %d/%d healthy" % (g["name"], g["healthy"], g["targets"]) for g in lb["target_groups"]]
        lines.append("  %s [label=%s, fillcolor=\"#bbdefb\"];" % (_id("alb"), _label(*rows)))
        for subnet in lb["subnets"]:
            if subnet in subnet_ids:
                lines.append("  %s -> %s [style=dashed, color=\"#1e88e5\", arrowhead=none];" % (_id("alb"), _id(subnet)))
    groups = {g["arn"]: g for g in (lb or {}).get("target_groups", [])}
    for service in model["services"]:
        node = "service:" + service["name"]
        colour = "#c8e6c9" if service["running"] >= service["desired"] > 0 else "#ffe0b2"
        lines.append("  %s [label=%s, shape=component, fillcolor=%s];" % (
            _id(node), _label(service["name"], "ECS service — %d/%d tasks running" % (service["running"], service["desired"]),
                              service["task_definition"]), _id(colour)))
        for arn in service["target_groups"]:
            if lb:
                lines.append("  %s -> %s [label=%s];" % (_id("alb"), _id(node), _id(groups.get(arn, {}).get("name", "target group"))))
        for subnet in service["subnets"]:
            if subnet in subnet_ids:
                lines.append("  %s -> %s [style=dotted, arrowhead=none, color=\"#8d6e63\"];" % (_id(node), _id(subnet)))
        for db in model["databases"]:
            if db["role"] == "primary":
                lines.append("  %s -> %s [color=\"#ad1457\", label=\"5432\"];" % (_id(node), _id(db["identifier"])))
    for db in model["databases"]:
        if _standby_az(db, db_zones(db)):
            lines.append("  %s -> %s [style=dashed, color=\"#ad1457\", label=\"sync replication\"];" % (
                _id(db["identifier"]), _id(db["identifier"] + "#standby")))
        if db["az"] is None or db["az"] not in zones:
            lines.append("  %s [label=%s, shape=cylinder, fillcolor=\"#f8bbd0\"];" % (
                _id(db["identifier"]), _label(db["identifier"], "RDS %s" % db["role"])))

    if model["alarms"]:
        counts = {}
        for alarm in model["alarms"]:
            counts[alarm["state"]] = counts.get(alarm["state"], 0) + 1
        # One table, alarms in ALARM first: compact enough to read next to the VPC.
        rows = ['<TR><TD COLSPAN="2"><B>%s</B></TD></TR>' % html.escape(
            "CloudWatch alarms: " + ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items())))]
        for alarm in sorted(model["alarms"], key=lambda a: (a["state"] != "ALARM", a["name"])):
            rows.append('<TR><TD ALIGN="LEFT" BGCOLOR="%s">%s</TD><TD BGCOLOR="%s">%s</TD></TR>' % (
                ALARM_COLOURS.get(alarm["state"], "#ffffff"), html.escape(alarm["name"]),
                ALARM_COLOURS.get(alarm["state"], "#ffffff"), html.escape(alarm["state"])))
        lines.append('  %s [shape=plaintext, style="", label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" '
                     'CELLPADDING="3">%s</TABLE>>];' % (_id("alarms"), "".join(rows)))
    lines.append("}")
    return "\n".join(lines) + "\n"


class FilterModule:
    def filters(self):
        return {"environment_dot": to_dot}
