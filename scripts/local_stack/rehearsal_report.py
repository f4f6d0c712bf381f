"""The rehearsal report (Markdown) from the runs of scripts/local_stack/rehearsal.py and what they left behind.

Sources, all written by the runs themselves: the checklist records of preflight.yml and verify.yml
(playbooks/tasks/record_checklist.yml), the migration's verification.json and backups/LATEST, the DR drill's and the
cutover status's own output lines, the diagram's files. What the demo cannot do on a local stack is named with the
reason, never left out.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

# The plan's Migration Process (phase-3-aws-production.md), in its words. Per step: the runs that do it here, or
# why none does.
STEPS = (
    ("Backup Current Production", ("migrate",), None),
    ("Create AWS Infrastructure", ("site",), None),
    ("Migrate Database", ("migrate",), None),
    ("Deploy Services", ("release",),
     "playbooks/deploy.yml rolls a new image tag out onto new task-definition revisions, which the next site.yml "
     "(and the demo's converge test) would put back; the services run the release images site.yml defined, pushed "
     "as stand-ins through the ECR API. tests/integration/test_operations.py runs deploy.yml and its automatic "
     "rollback against the emulator"),
    ("Verify Deployment", ("verify",), None),
    ("Update DNS", ("dns",),
     "the local stack has no legacy server to move the name from: site.yml publishes the name as an alias of the ALB "
     "(route53_site_target: alb), and cutover.yml reports where it points. The lower_ttl/switch/revert sequence "
     "runs in tests/integration/test_cutover.py (docs/runbooks/cutover.md)"),
    ("Monitor and Validate", ("show",),
     "watching the CloudWatch dashboards over time and testing critical user flows need real traffic and a person; "
     "the checked part (services healthy, error rates, alarms) is step 5's checklist, read once"),
)

# The plan's checklists, item by item, with the checks that answer them (by the item names preflight.yml and
# verify.yml print) or None for what only a person can confirm.
PRE_ITEMS = (
    ("Staging environment fully tested on AWS", ("Staging environment fully tested on AWS",)),
    ("Production data backup strategy defined", ("Database backups enabled",)),
    ("Rollback plan documented", ("Rollback artefacts in place", "Release images in ECR (rollback artefact)")),
    ("Monitoring and alerting configured", ("Monitoring and alerting configured",)),
    ("Security groups and IAM roles reviewed", ("Security groups reviewed (admit only the plan's sources)",
                                                "IAM roles reviewed (least-privilege checks)")),
    ("SSL/TLS certificates obtained", ("SSL/TLS certificate issued",)),
    ("Route 53 DNS configured", ("Route 53 hosted zone present",)),
    ("Secrets stored in Secrets Manager", ("Secrets stored in Secrets Manager",)),
)
POST_ITEMS = (
    ("All services running and healthy", ("Services running the desired task count", "Load-balancer targets healthy",
                                          "/api/health answers 200")),
    ("DNS propagated", ("Alias record points at the ALB",)),
    ("Monitoring active", ("CloudWatch figures within bounds",)),
    ("Alerts configured", ("Alarms exist, none in ALARM",)),
    ("Documentation updated", None),
    ("Team trained on new infrastructure", None),
)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _record(out: Path, checklist: str):
    """The checklist record this rehearsal wrote (the runner empties the directory first)."""
    found = sorted((out / "checklists").glob("*-%s.json" % checklist))
    return _read_json(found[0]) if found else None


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _result(runs) -> str:
    if any(run.rc is None for run in runs):
        return "not run (an earlier step failed)"
    failed = [run for run in runs if run.rc]
    return "FAILED (exit %s)" % failed[0].rc if failed else "passed"


def _step_rows(runs_by_key, facts):
    rows = []
    for number, (name, keys, not_run_reason) in enumerate(STEPS, 1):
        runs = [runs_by_key[key] for key in keys]
        ran = "; ".join("`%s`" % run.title for run in runs)
        seconds = sum(run.seconds for run in runs if run.rc is not None)
        result = _result(runs)
        if name == "Backup Current Production":
            ran = "inside step 3's run: " + facts["backup"]
            seconds_text = "(in step 3)"
            result = result if facts["backup_taken"] or result != "passed" else "not run (taken by an earlier demo)"
        elif not_run_reason:
            if result == "passed":
                result = "not run" if name == "Deploy Services" else "partly run"
            ran = "%s. Not run: %s" % (ran, not_run_reason)
            seconds_text = "%.0f s" % seconds
        else:
            seconds_text = "%.0f s" % seconds
        if name == "Update DNS" and facts.get("dns"):
            ran += ". Where the name points: " + facts["dns"]
        rows.append("| %d | %s | %s | %s | %s |" % (number, name, _cell(ran), seconds_text, result))
    return rows


def _checklist(title, plan_items, record, record_path):
    lines = ["## %s" % title, ""]
    if not record:
        return lines + ["Not recorded (%s is missing: the checklist did not run)." % record_path, ""]
    by_item = {}
    rows = [" ".join(str(row).split()) for row in record.get("table", [])]
    for row in rows:
        match = re.match(r"\[(met|UNMET)\] (.*)$", row)
        if match:
            for name in _all_names(plan_items):
                if match.group(2).startswith(name):
                    by_item[name] = (match.group(1), match.group(2)[len(name):].strip())
    lines += ["%d of %d checks met, recorded %s." % (int(record["met_count"]), int(record["total"]), record["recorded_at"]),
              "", "| Plan item | Checked as | Result | Detail |", "|---|---|---|---|"]
    for plan_item, checks in plan_items:
        if checks is None:
            lines.append("| %s | — | manual | a person confirms it; no account shows it |" % plan_item)
            continue
        for check in checks:
            mark, detail = by_item.get(check, ("not checked", "the checklist printed no such item"))
            lines.append("| %s | %s | %s | %s |" % (plan_item, check, mark, _cell(detail)))
    return lines + ["", "Every check as printed:", "", "```"] + rows + ["```", ""]


def _all_names(plan_items):
    return [name for _item, checks in plan_items for name in checks or ()]


def _verification(state: Path, mode: str):
    result = _read_json(state / "migration" / "report" / "verification.json")
    if not result:
        return ["## Migration verification", "", "No verification report (%s)." % (state / "migration" / "report"), ""]
    tables = result.get("tables", {})
    rows = sum(int(t.get("source_rows") or 0) for t in tables.values())
    lines = ["## Migration verification", "",
             "- Result: **%s**" % ("no differences" if result.get("ok") else "%d difference(s)" % len(result["differences"])),
             "- Compared: %s" % result.get("scope", "?"),
             "- %d tables, %d rows on the source, content checksums %s; %d catalog object kinds compared" % (
                 len(tables), rows, "all equal" if all(t.get("checksum_match") for t in tables.values()) else "NOT all equal",
                 len(result.get("objects", {}))),
             "- Checked at %s (%s s), source database %s → target %s; this run's mode: %s" % (
                 result.get("checked_at"), result.get("seconds"), result.get("source"), result.get("target"), mode),
             "- Full report: %s" % (state / "migration" / "report" / "verification.txt")]
    lines += ["- Difference: %s" % _cell(d) for d in result.get("differences", [])[:20]]
    return lines + [""]


def _backup(state: Path) -> str:
    backups = state / "migration" / "backups"
    latest = backups / (backups / "LATEST").read_text().strip() if (backups / "LATEST").exists() else None
    if not latest or not latest.exists():
        return "no backup found in %s" % backups
    # A stream backup is a directory (roles/db_migration/files/pg_backup.py), a pg_dump archive one file.
    size = sum(p.stat().st_size for p in latest.rglob("*") if p.is_file()) if latest.is_dir() else latest.stat().st_size
    return "backup of the source `%s` (%.1f MiB, checksum beside it); release images kept in ECR (rollback artefact)" % (
        latest, size / 2**20)


def _dr(run):
    lines = ["## DR drill", ""]
    if run.rc is None:
        return lines + ["Not run: an earlier step failed.", ""]
    text = " ".join(run.output.split())
    restored = re.search(r"Restored (\S+) to (\S+) into (\S+)", text)
    rpo = re.search(r"RPO (\d+) s \(target (\d+) s\): (\w+)", text)
    rto = re.search(r"RTO (\d+) s \(target (\d+) s\): (\w+)", text)
    if run.rc or not (restored and rpo and rto):
        return lines + ["**FAILED** (exit %s): see %s" % (run.rc, run.log), ""]
    return lines + [
        "- Recovery point: **%s** (%s restored into the scratch instance %s, deleted afterwards)" % (
            restored.group(2).rstrip('",'), restored.group(1), restored.group(3)),
        "- RPO achieved: %s s (target %s s): %s" % rpo.groups(),
        "- RTO achieved: %s s (target %s s): %s" % rto.groups(),
        "- The emulator restores at once and the local inventory does not connect to the scratch instance "
        "(dr_drill_connect: false): a real account's RTO is the restore's minutes, measured the same way.", ""]


def _diagram(out: Path, run):
    files = sorted(str(p) for p in (out / "diagram").glob("*") if p.suffix in (".svg", ".png"))
    if run.rc is None:
        return ["## Environment diagram", "", "Not drawn: an earlier step failed.", ""]
    return ["## Environment diagram", ""] + (["- %s" % f for f in files] or ["Not drawn: see %s" % run.log]) + [""]


def render(runs, *, state: Path, out: Path, migration_mode: str, began: datetime.datetime) -> str:
    by_key = {run.key: run for run in runs}
    # cutover.yml's "<name> -> <where> (<kind>)" line, in the YAML or JSON result format (wrapped lines joined).
    dns = re.search(r"([\w.-]+ -> [^'\"]*?\(\w+\))", " ".join(by_key["dns"].output.split()))
    facts = {"backup_taken": migration_mode == "migrate", "backup": _backup(state) if migration_mode == "migrate" else
             "not taken again (this demo re-verifies the database an earlier demo migrated); " + _backup(state),
             "dns": dns.group(1) if dns else ""}
    failed = [run for run in runs if run.rc]
    ended = datetime.datetime.now(datetime.timezone.utc)
    lines = ["# Migration rehearsal on the local stack", "",
             "%s → %s UTC (%d s). Result: **%s**." % (
                 began.strftime("%Y-%m-%d %H:%M:%S"), ended.strftime("%H:%M:%S"), (ended - began).total_seconds(),
                 "FAILED at %s" % failed[0].title if failed else "every run passed"
                 + "; what the local stack cannot run is named per step below, with the reason"),
             "The plan's Migration Process (phase-3-aws-production.md), rehearsed against the AWS emulator and two local "
             "PostgreSQL servers. Logs of each run: %s." % (out / "logs"), "",
             "## Migration Process", "", "| # | Step (plan) | What ran | Time | Result |", "|---|---|---|---|---|"]
    lines += _step_rows(by_key, facts) + [""]
    lines += _checklist("Pre-Migration Checklist", PRE_ITEMS, _record(out, "preflight"), out / "checklists")
    lines += _checklist("Post-Migration", POST_ITEMS, _record(out, "verify"), out / "checklists")
    lines += _verification(state, migration_mode) + _dr(by_key["dr_drill"]) + _diagram(out, by_key["diagram"])
    lines += ["## Runs", "", "| Run | Started | Time | Exit | Log |", "|---|---|---|---|---|"]
    lines += ["| %s | %s | %s | %s | %s |" % (run.title, run.started or "—", "%.0f s" % run.seconds if run.rc is not None
                                              else "—", "not run" if run.rc is None else run.rc, run.log) for run in runs]
    return "\n".join(lines) + "\n"
