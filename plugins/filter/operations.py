# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the operations playbooks: the drift report of playbooks/drift.yml and the met/unmet checklist tables
of playbooks/preflight.yml and playbooks/verify.yml."""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.lifeworld.production.plugins.filter.iam import RESERVED_SIDS, iam_statement_problems
from ansible_collections.lifeworld.production.plugins.module_utils.hardening import (
    MAX_5XX_PERCENT, PLAN_MIN_BACKUP_RETENTION_DAYS, PLAN_MIN_TASKS, floor)


def _item_label(result):
    label = result.get("_ansible_item_label", result.get("item"))
    if isinstance(label, dict):
        label = label.get("name") or label.get("key") or label
    return str(label)[:80]


def _changed_tasks(output):
    """(changed, failed, ran) of ansible.posix.json output: (task name, task path) of every task that reported a
    change, of every task that failed, and whether any task ran on any host at all."""
    try:
        report = json.loads(output) if isinstance(output, str) else output
    except ValueError as exc:
        raise AnsibleFilterError("drift_report: the nested run did not print JSON (%s): %s" % (exc, str(output)[:300]))
    changed, failed, ran = [], [], False
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            hosts = task.get("hosts", {}).values()
            ran = ran or bool(hosts)
            entry = "%s (%s)" % (task["task"]["name"], task["task"].get("path", "").rsplit("/roles/", 1)[-1])
            if any(h.get("failed") or h.get("unreachable") for h in hosts):
                failed.append(entry)
            elif any(h.get("changed") for h in hosts):
                # Name the loop items that would change (for example which security group), not just the task.
                items = sorted({_item_label(r) for h in hosts for r in h.get("results", []) if r.get("changed")})
                changed.append(entry + (" [%s]" % ", ".join(items) if items else ""))
    return changed, failed, ran


def drift_report(runs):
    """Per component: status (clean, drifted, failed), the tasks that would change, the tasks that failed. A run
    in which no task ran on any host (no host matched) is failed, never clean.

    ``runs`` are the results of a looped command task whose items are component names and whose stdout is the
    ansible.posix.json output of `ansible-playbook site.yml --check --tags <component>`.
    """
    report = {}
    for run in runs:
        component = run["item"]
        changed, failed, ran = _changed_tasks(run.get("stdout") or "{}")
        if run.get("rc", 0) not in (0, 2) and not failed:
            failed = ["ansible-playbook exited %s: %s" % (run.get("rc"), (run.get("stderr") or "").strip()[-300:])]
        elif not ran and not failed:
            # "No hosts matched" exits 0 with nothing run: a drift check that checked nothing is not clean.
            failed = ["checked nothing: the nested run matched no host (is this inventory's host in the aws group?)"]
        status = "failed" if failed else "drifted" if changed else "clean"
        report[component] = {"status": status, "changed": changed, "failed": failed}
    return report


def drift_lines(report):
    """Human-readable summary, one line per component and one per drifted task."""
    lines = []
    for component, entry in report.items():
        lines.append("%-14s %s" % (component, entry["status"]))
        lines += ["    would change: %s" % task for task in entry["changed"]]
        lines += ["    failed:       %s" % task for task in entry["failed"]]
    return lines


def checklist(items):
    """Checklist items {item, met, detail} -> {table, unmet, met_count, total}.

    There is no "skipped": an item whose subject could not be read or reached is unmet (a check that cannot check
    must not look green), and an entry that asks to be skipped is refused.
    """
    rows, unmet, met_count = [], [], 0
    for entry in items:
        if "item" not in entry or "met" not in entry or "skipped" in entry:
            raise AnsibleFilterError("checklist: every entry needs 'item' and 'met' (and no 'skipped'), got %r" % (entry,))
        detail = str(entry.get("detail", ""))
        if entry["met"] and str(entry["met"]).strip().lower() not in ("false", "no", "0"):
            mark, met_count = "[met]  ", met_count + 1
        else:
            mark = "[UNMET]"
            unmet.append("%s (%s)" % (entry["item"], detail) if detail else entry["item"])
        rows.append("%s %-48s %s" % (mark, entry["item"], detail))
    return {"table": rows, "unmet": unmet, "met_count": met_count, "total": len(rows)}


def _open_to_world(cidrs):
    return [c for c in cidrs if c in ("0.0.0.0/0", "::/0")]


def security_group_findings(groups, alb_cidrs, migration_cidrs=None):
    """What the live ALB/ECS/RDS security groups admit beyond the plan (ALB: only the allowed sources; ECS: only the
    ALB; RDS: only ECS and, the migration window preflight expects open, the Client VPN endpoint's group; no CIDR
    unless ``migration_cidrs`` lists it). ``groups`` is the ``security_groups`` part of the environment facts."""
    findings = []
    for part in ("alb", "ecs", "rds"):
        if part not in groups:
            findings.append("%s security group is missing" % part)
    if findings:
        return findings
    alb, ecs = groups["alb"]["id"], groups["ecs"]["id"]
    window = {groups["client_vpn"]["id"]} if "client_vpn" in groups else set()
    allowed = set(alb_cidrs or [])
    for rule in groups["alb"]["ingress"]:
        extra = sorted(set(rule["cidrs"]) - allowed)
        if extra:
            findings.append("alb admits %s on port %s (allowed: %s)"
                            % (", ".join(extra), rule["from_port"], ", ".join(sorted(allowed)) or "none"))
    for rule in groups["ecs"]["ingress"]:
        if rule["cidrs"] or set(rule["groups"]) - {alb}:
            findings.append("ecs admits %s on port %s (only the ALB may)" % (
                ", ".join(rule["cidrs"] + sorted(set(rule["groups"]) - {alb})), rule["from_port"]))
    for rule in groups["rds"]["ingress"]:
        world = _open_to_world(rule["cidrs"])
        extra = sorted(set(rule["cidrs"]) - set(migration_cidrs or []))
        others = sorted(set(rule["groups"]) - {ecs} - window)
        if world or extra or others:
            findings.append("rds admits %s on port %s (only ECS and the Client VPN's migration window may)" % (
                ", ".join(extra + others), rule["from_port"]))
    return findings


def iam_findings(roles):
    """Problems of the live IAM roles: missing roles, and policy statements that fail the iam role's own statement
    checks (iam_statement_problems: named actions, ARNs as resources), so inventory and account are judged alike."""
    findings = []
    for part in ("ecs-task-execution", "ecs-task", "rds-monitoring"):
        role = roles.get(part)
        if not role:
            findings.append("role %s is missing" % part)
            continue
        documents = dict(role.get("inline_policies", {}), **role.get("customer_policies", {}))
        for name, document in documents.items():
            statements = document.get("Statement", [])
            statements = statements if isinstance(statements, list) else [statements]
            # Sids the iam role reserves for the statements it writes itself are expected on the live role.
            statements = [{k: v for k, v in st.items() if not (k == "Sid" and v in RESERVED_SIDS)}
                          if isinstance(st, dict) else st for st in statements]
            findings += iam_statement_problems(statements, "%s:%s" % (role["name"], name))
    return findings


def service_findings(services):
    """Services short of their desired count (or scaled to zero); empty when every service runs what it should."""
    if not services:
        return ["no ECS service"]
    return ["%s %d/%d running" % (s["name"], s["running"], s["desired"]) for s in services
            if s["desired"] < 1 or s["running"] < s["desired"]]


def target_findings(load_balancer):
    """Target groups of the ALB without targets or with unhealthy ones; empty when every target is healthy."""
    if not load_balancer:
        return ["no load balancer"]
    if not load_balancer.get("target_groups"):
        return ["%s has no target group" % load_balancer["name"]]
    return ["%s %d/%d healthy" % (g["name"], g["healthy"], g["targets"]) for g in load_balancer["target_groups"]
            if g["targets"] < 1 or g["healthy"] < g["targets"]]


def _figure(value):
    return "%g" % value


def _floor_findings(entries, key, metric, noun, minimum, absent, findings, summary):
    """Levels (lowest minute of the window) that must stay at ``minimum`` or above; appends to findings/summary."""
    for entry in entries:
        if entry.get(key) is None:
            findings.append("%s: %s" % (entry["name"], absent % metric))
        elif entry[key] < minimum:
            findings.append("%s: %s %s at the lowest, fewer than %d" % (entry["name"], _figure(entry[key]), noun, minimum))
        else:
            summary.append("%s >= %s %s" % (entry["name"], _figure(entry[key]), key))


def metric_findings(metrics, min_tasks=None, max_5xx_percent=None):
    """The CloudWatch figures of the last minutes (``metrics`` part of the environment facts) against their bounds:
    {findings: [...], summary: "..."}. A figure with no datapoint is a finding: nothing measured is not healthy.

    Bounds: running tasks and healthy hosts at least the plan's 2 (``min_tasks`` may raise it); 5xx answers (ALB's
    and targets') at most ``max_5xx_percent`` of the requests (MAX_5XX_PERCENT unless the inventory asks less).
    """
    if not metrics:
        return {"findings": ["no CloudWatch figures were read"], "summary": ""}
    window = metrics.get("window_minutes")
    minimum = floor(PLAN_MIN_TASKS, min_tasks)
    ceiling = MAX_5XX_PERCENT if max_5xx_percent in (None, "") else min(MAX_5XX_PERCENT, float(max_5xx_percent))
    absent = "no %%s datapoint in the last %s min" % window
    findings, summary = [], []
    lb = metrics.get("load_balancer")
    if not lb:
        findings.append("no load balancer to measure")
    elif lb.get("requests") is None:
        findings.append("%s: %s (the ALB measured no traffic)" % (lb["name"], absent % "RequestCount"))
    else:
        # The ALB publishes HTTPCode_* counts only for minutes that had such answers: with requests measured, no
        # datapoint means none.
        errors = (lb.get("elb_5xx") or 0) + (lb.get("target_5xx") or 0)
        percent = 100.0 * errors / lb["requests"] if lb["requests"] else (100.0 if errors else 0.0)
        text = "%s: %s requests, %s 5xx (%.2f%%)" % (lb["name"], _figure(lb["requests"]), _figure(errors), percent)
        if percent > ceiling:
            findings.append("%s, above %g%%" % (text, ceiling))
        summary.append(text)
    groups = metrics.get("target_groups") or []
    if lb and not groups:
        findings.append("no target group to measure")
    _floor_findings(groups, "healthy", "HealthyHostCount", "healthy hosts", minimum, absent, findings, summary)
    services = metrics.get("services") or []
    if not services:
        findings.append("no ECS service to measure")
    _floor_findings(services, "running", "RunningTaskCount (Container Insights)", "running tasks", minimum, absent,
                    findings, summary)
    return {"findings": findings, "summary": "last %s min: %s" % (window, ", ".join(summary))}


def rollback_findings(rollback, databases):
    """What would make the rollback plan fail, from the environment facts: {findings, summary}. The application
    rolls back to the revision each service runs now, whose images must still be in ECR; the database to a point in
    time of its automated backups, which must exist (a restorable time)."""
    findings, summary = [], []
    if not rollback:
        findings.append("no ECS service: no revision to roll back to")
    for entry in rollback or []:
        problems = []
        if entry.get("status") != "ACTIVE":
            problems.append("revision %s is %s" % (entry["revision"], entry.get("status")))
        # Images outside the account's ECR (the X-Ray daemon from public.ecr.aws) are their publishers' to keep;
        # the release's own images must be in ECR, and there must be at least one.
        ours = [image for image in entry.get("images") or [] if image["in_ecr"] is not None]
        problems += ["%s is missing in ECR" % image["image"] for image in ours if not image["in_ecr"]]
        if not ours:
            problems.append("revision %s names no image in the account's ECR (no release to return to)" % entry["revision"])
        findings += ["%s: %s" % (entry["service"], p) for p in problems]
        if not problems:
            summary.append(entry["revision"])
    primary = next((db for db in databases or [] if db.get("role") == "primary"), None)
    if not primary:
        findings.append("no database: no backup to restore")
    elif not primary.get("latest_restorable_time"):
        findings.append("%s: no restorable time (no automated backup to restore from)" % primary["identifier"])
    else:
        summary.append("%s restorable to %s" % (primary["identifier"], primary["latest_restorable_time"]))
    return {"findings": findings, "summary": ", ".join(summary)}


def backup_retention_floor(inventory_days=None):
    """Days of backups the database must keep: the plan's 7, or more when the inventory asks more."""
    return floor(PLAN_MIN_BACKUP_RETENTION_DAYS, inventory_days)


def _family_revision(arn):
    return arn.rsplit("/", 1)[-1] if arn else ""


def running_revisions(service_info):
    """{service: family:revision} of the ACTIVE services in a community.aws.ecs_service_info result."""
    return {s["serviceName"]: _family_revision(s.get("taskDefinition")) for s in service_info.get("services", [])
            if s.get("status") == "ACTIVE"}


def rollout_status(service_info, expected=None):
    """Per ACTIVE service: {name, state, summary}. COMPLETED once its only deployment has finished with running =
    desired on the expected revision (``expected``: {service: family:revision}); FAILED when ECS reports the rollout
    failed or put another revision back (its circuit breaker rolled back); IN_PROGRESS otherwise."""
    expected = expected or {}
    status = []
    for service in service_info.get("services", []):
        if service.get("status") != "ACTIVE":
            continue
        name = service["serviceName"]
        revision = _family_revision(service.get("taskDefinition"))
        deployments = service.get("deployments", [])
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), deployments[0] if deployments else {})
        rollout = primary.get("rolloutState")
        if rollout == "FAILED" or (expected.get(name) and revision != expected[name]):
            state = "FAILED"
        elif rollout in (None, "COMPLETED") and len(deployments) <= 1 and \
                service.get("runningCount", 0) >= service.get("desiredCount", 0):
            state = "COMPLETED"
        else:
            state = "IN_PROGRESS"
        reason = primary.get("rolloutStateReason") or ""
        summary = "%s %s %d/%d running %s" % (name, revision, service.get("runningCount", 0), service.get("desiredCount", 0), state)
        if state == "FAILED":
            summary += " (%s)" % (reason or "expected %s" % expected.get(name))
        status.append({"name": name, "revision": revision, "state": state, "summary": summary})
    return sorted(status, key=lambda s: s["name"])


def rollback_targets(services, selected, revision=""):
    """{service: family:revision} to roll back to: the named revision of each service's family, or the active
    revision just before the one it runs. ``services`` is the environment facts' ``services`` list."""
    by_name = {s["name"]: s for s in services}
    targets, problems = {}, []
    for name in selected:
        service = by_name.get(name)
        if not service:
            problems.append("%s: no such service in the cluster" % name)
            continue
        family, current = service["task_definition"].rsplit(":", 1)
        active = [int(r.rsplit(":", 1)[1]) for r in service.get("revisions", [])]
        if str(revision):
            wanted = int(revision)
            if wanted not in active:
                problems.append("%s: revision %s of %s is not active (active: %s)" % (name, wanted, family, active))
                continue
        else:
            older = [r for r in active if r < int(current)]
            if not older:
                problems.append("%s: no active revision of %s before %s to roll back to" % (name, family, current))
                continue
            wanted = max(older)
        targets[name] = "%s:%d" % (family, wanted)
    if problems:
        raise AnsibleFilterError("rollback: " + "; ".join(problems))
    return targets


class FilterModule:
    def filters(self):
        return {"drift_report": drift_report, "drift_lines": drift_lines, "checklist": checklist,
                "security_group_findings": security_group_findings, "iam_findings": iam_findings,
                "service_findings": service_findings, "target_findings": target_findings,
                "running_revisions": running_revisions, "rollout_status": rollout_status,
                "rollback_targets": rollback_targets, "metric_findings": metric_findings,
                "backup_retention_floor": backup_retention_floor, "rollback_findings": rollback_findings}
