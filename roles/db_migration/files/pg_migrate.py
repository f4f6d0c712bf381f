#!/usr/bin/env python
"""PostgreSQL migration engine used by the db_migration role: the command line.

One subcommand per step (preflight, freeze, unfreeze, backup, globals, copy, verify, migrate, and the online
strategy's online-start, online-status, online-cutover, online-abort). The role passes every option (its
defaults/main.yml is the one place defaults live) and the connection settings as JSON on stdin
(--credentials=-; a 0600 file is accepted too), so no password reaches a command line. Each step prints one
JSON document on stdout as its last line and progress on stderr and in the progress log.

The concerns live in modules of their own next to this file: pg_session (connections, run state), pg_roles
(roles and cluster settings), pg_preflight, pg_freeze, pg_transfer (backup, schema and data restore, with pg_copy
streaming the rows), pg_verify (imports nothing from the copy), pg_online and pg_follow (the online strategy).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from pathlib import Path

# The engine may run straight from the role's files: leave no bytecode next to them.
sys.dont_write_bytecode = True
# pylint: disable=wrong-import-position
from pg_freeze import cmd_freeze, cmd_unfreeze  # noqa: E402
from pg_follow import cmd_follow  # noqa: E402
from pg_online import ONLINE_STEPS  # noqa: E402
from pg_preflight import cmd_preflight  # noqa: E402
from pg_roles import cmd_globals  # noqa: E402
from pg_session import CURRENT, StepError, exported_snapshot, load_credentials, save_result  # noqa: E402
from pg_transfer import cmd_backup, copy_in_snapshot, verified_copy  # noqa: E402
from pg_verify import cmd_verify  # noqa: E402


def run_one(args, step: str) -> dict:
    CURRENT["step"] = step
    result = STEPS[step](args)
    if step == "migrate":
        # The engine's own CPU time and that of the client tools it ran (psql relays, pg_dump, pg_restore): the
        # benchmark sets it beside the servers' (the servers' CPU is theirs to count).
        usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        result["engine_cpu_seconds"] = round(sum(u.ru_utime + u.ru_stime for u in usage), 1)
    save_result(args, step, result)
    return result


def cmd_copy(args) -> dict:
    with exported_snapshot() as snapshot:
        return copy_in_snapshot(args, snapshot)


def cmd_migrate(args) -> dict:
    """The whole flow in one process (each Ansible task costs seconds on a busy host): preflight, the optional
    write freeze, the copy, then the verification with the source read in the copy's snapshot, so that the
    comparison is with exactly the state that was copied even if the source took writes meanwhile."""
    preflight = run_one(args, "preflight")
    if not preflight["ok"]:
        return {"ok": False, "errors": preflight["errors"], "preflight": preflight}
    if args.write_freeze == "true":
        run_one(args, "freeze")
    CURRENT["step"] = "copy"
    with exported_snapshot() as snapshot:
        return copy_and_verify(args, snapshot, preflight)


def copy_and_verify(args, snapshot: str, preflight: dict) -> dict:
    """Copy, then verify with the source read in the same snapshot; each streamed table is checksummed on both
    ends as soon as its copy committed, by the copy's workers when no copy or index build waits."""
    copy, verification = verified_copy(args, snapshot)
    return {**copy, "ok": verification["ok"], "differences": verification["differences"], "preflight": preflight,
            "verification": {k: v for k, v in verification.items() if k != "tables"}}


STEPS = {"preflight": cmd_preflight, "freeze": cmd_freeze, "unfreeze": cmd_unfreeze, "backup": cmd_backup,
         "globals": cmd_globals, "verify": cmd_verify, "copy": cmd_copy, "migrate": cmd_migrate,
         "follow": cmd_follow, **ONLINE_STEPS}
# The options every step is given; the role's defaults/main.yml holds their values (no defaults here).
OPTIONS = {"work-dir": str, "backup-dir": str, "report-dir": str, "maintenance-work-mem": str,
           "other-maintenance-work-mem": str, "jobs": int,
           "dump-format": str, "compress": int, "disk-factor": float, "allow-nonempty": str, "write-freeze": str,
           "pg-bin-dir": str, "target-maintenance-database": str, "replica-identity-full": json.loads,
           "follow-timeout": int}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--credentials", required=True,
                        help="JSON file {source: {...}, target: {...}}, or - for stdin (the follower)")
    for name, kind in OPTIONS.items():
        parser.add_argument(f"--{name}", type=kind, required=True)
    args = parser.parse_args(argv)
    if args.dump_format not in ("stream", "custom", "directory"):
        parser.error("--dump-format must be stream, custom or directory")
    args.argv = list(argv if argv is not None else sys.argv[1:])
    return args


def main(argv=None) -> int:
    # The dump, its checksum, the reports and the step results hold the source's data: owner-only, whatever the
    # caller's umask (pg_dump and psql create files with the mode the umask leaves).
    os.umask(0o077)
    args = parse_args(argv)
    Path(args.work_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        load_credentials(sys.stdin.read() if args.credentials == "-" else Path(args.credentials).read_text())
        if args.jobs <= 0:
            args.jobs = len(os.sched_getaffinity(0))
        result = run_one(args, args.step)
    except Exception as exc:
        # Whatever broke, the play gets one JSON line naming the step; unexpected errors keep their type.
        message = str(exc) if isinstance(exc, StepError) else f"{type(exc).__name__}: {str(exc).strip()}"
        step = CURRENT["step"] or args.step
        print(json.dumps({"ok": False, "step": step, "error": message}))
        print(f"{step} failed: {message}", file=sys.stderr)
        return 1
    # A failed comparison names the part that found it (verify), not the umbrella step (migrate).
    step = args.step if result.get("ok", True) else (CURRENT["step"] or args.step)
    print(json.dumps({**result, "ok": result.get("ok", True), "step": step}, default=str))
    return 0 if result.get("ok", True) else 2


if __name__ == "__main__":
    sys.exit(main())
