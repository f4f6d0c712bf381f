"""`make demo` as a rehearsal of the plan's Migration Process, ending with a report a person reads instead of the log.

Usage (from the repository root, with the local stack's exports, `eval "$(scripts/local-stack env)"`):
    python -m scripts.local_stack.rehearsal [--state-dir .local-stack]

Runs the playbooks against the local stack one after another (their output goes to the terminal as it comes, and
to one log per run under <state>/rehearsal/logs), stops at the first failure, and always writes
<state>/rehearsal/report.md (scripts/local_stack/rehearsal_report.py): per step of the plan's Migration Process
what ran, its time and its result, steps not run with the reason, both checklists, the migration's verification,
the DR drill's recovery point and time, the environment diagram. Exits non-zero when a run failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from scripts.local_stack import rehearsal_report

REPO = Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class Run:
    """One command of the rehearsal: what ran, when, how long, its exit status and its log."""

    key: str
    title: str
    argv: list
    log: str
    started: str = ""
    seconds: float = 0.0
    rc: int | None = None

    @property
    def output(self) -> str:
        path = Path(self.log)
        return path.read_text(errors="replace") if path.exists() else ""


def _run(run: Run) -> Run:
    """Runs a command with its output on the terminal (the progress a person follows) and in its log."""
    print("\n=== Rehearsal: %s ===\n$ %s" % (run.title, " ".join(run.argv)), flush=True)
    run.started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    began = time.monotonic()
    with open(run.log, "w", encoding="utf-8") as log, subprocess.Popen(
            run.argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace") as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
        run.rc = proc.wait()
    run.seconds = round(time.monotonic() - began, 1)
    print("=== %s: %s in %.0f s ===" % (run.title, "done" if run.rc == 0 else "FAILED (exit %d)" % run.rc, run.seconds),
          flush=True)
    return run


def plan(state: Path, out: Path, migration_mode: str) -> list:
    """The runs of the rehearsal, in order."""
    bindir = Path(sys.executable).parent
    playbook = [str(bindir / "ansible-playbook"), "-i", "inventories/local"]
    records = ["-e", "checklist_record_dir=%s" % (out / "checklists")]
    python = [sys.executable, "-m"]
    runs = [
        ("site", "Create AWS Infrastructure: site.yml", playbook + ["site.yml"]),
        ("release", "Release stand-ins: images in ECR, tasks behind the ALB, CloudWatch figures",
         python + ["scripts.local_stack.standins", "release"]),
        ("preflight", "Pre-migration checklist: playbooks/preflight.yml", playbook + ["playbooks/preflight.yml"] + records),
        ("migrate", "Migrate Database: playbooks/migrate_database.yml (db_migration_mode=%s)" % migration_mode,
         playbook + ["playbooks/migrate_database.yml", "-e", "db_migration_mode=" + migration_mode]),
        ("verify", "Verify Deployment: playbooks/verify.yml",
         python + ["scripts.local_stack.standins", "with-health"] + playbook + ["playbooks/verify.yml"] + records),
        ("dns", "Update DNS: playbooks/cutover.yml (status)", playbook + ["playbooks/cutover.yml"]),
        ("dr_drill", "DR drill: playbooks/dr_drill.yml", playbook + ["playbooks/dr_drill.yml"]),
        ("diagram", "Environment diagram: playbooks/diagram.yml",
         playbook + ["playbooks/diagram.yml", "-e", "diagram_output_dir=%s" % (out / "diagram")]),
        ("show", "What exists now: scripts/show-environment", [sys.executable, "scripts/show-environment"]),
    ]
    return [Run(key, title, argv, str(out / "logs" / ("%s.log" % key))) for key, title, argv in runs]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.local_stack.rehearsal", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--state-dir", default=os.environ.get("LWO_STATE_DIR", str(REPO / ".local-stack")))
    args = parser.parse_args(argv)
    state = Path(args.state_dir).resolve()
    out = state / "rehearsal"
    # This rehearsal's records only: a checklist that does not run this time must not show last time's result.
    shutil.rmtree(out, ignore_errors=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    # The first demo migrates; later ones verify the migrated database again (a second copy would meet a full target).
    migration_mode = "verify" if (state / "migration" / "report" / "verification.json").exists() else "migrate"
    began = datetime.datetime.now(datetime.timezone.utc)
    runs, failed = plan(state, out, migration_mode), None
    for run in runs:
        if failed is None:
            _run(run)
            failed = run if run.rc else None
    report = out / "report.md"
    report.write_text(rehearsal_report.render(runs, state=state, out=out, migration_mode=migration_mode, began=began))
    (out / "runs.json").write_text(json.dumps([dataclasses.asdict(run) for run in runs], indent=2))
    print("\nRehearsal report (the plan's Migration Process step by step): %s" % report)
    if failed:
        print("Rehearsal FAILED at: %s (log %s)" % (failed.title, failed.log))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
