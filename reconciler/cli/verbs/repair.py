"""reconcile repair: put the history right after an interruption (audited)."""

from __future__ import annotations

import argparse
import json

from reconciler.cli.common import request

FORMATS = ("text", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--adopt-drift",
        action="store_true",
        help="also record the live schema as the new snapshot: the objects changed outside "
        "the reconciler are accepted as they are (each one listed and audited)",
    )
    p.add_argument(
        "--baseline",
        metavar="VERSION",
        help="record every migration up to VERSION that the history lacks as applied, without "
        "running it: for a database another tool (Flyway, Prisma, dbmate) or a person brought "
        "to that point",
    )


def run(args: argparse.Namespace) -> int:
    """Repair the migration history after an interruption, without hand-written SQL.

    Forgets a file recorded part-way with no statement done whose file is gone, re-records
    the checksum of a file edited before any of its statements ran, and closes runs a kill
    left open (apply.interrupted). Where the environment requires approvals, they must name
    the repair's own hash (`reconcile approve --repair --plan HASH`). Audited.
    With --adopt-drift, the schema drift the plan reports is accepted: the live schema becomes
    the snapshot later plans compare with. With --baseline VERSION, the files up to VERSION
    are recorded as applied without running them (adopting a database another tool migrated).
    Exit 0 repaired or nothing to do, 3 awaiting approvals or something needs a person.
    """
    from reconciler.engine import EXIT_BLOCKED, EXIT_OK, repair

    out = repair(request(args), adopt_drift=args.adopt_drift, baseline=args.baseline)
    stuck = [a for a in out.actions if a.kind == "unrepairable"]
    if args.format == "json":
        doc = {
            "status": out.status,
            "repair_hash": out.repair_hash,
            "actions": [
                {"kind": a.kind, "version": a.version, "detail": a.detail} for a in out.actions
            ],
            "interrupted_runs": out.interrupted,
            "approvals": {"received": out.received, "required": out.required},
        }
        print(json.dumps(doc, indent=2))
    else:
        for a in out.actions:
            print(("  ✗ " if a.kind == "unrepairable" else "  ✓ ") + a.describe())
        for i in out.interrupted:
            print(f"  ✓ close open run #{i} (apply.interrupted)")
        if out.status == "nothing-to-repair" and not stuck:
            print(f"{args.env}: nothing to repair")
        elif out.status == "awaiting-approval":
            print(
                f"the repair needs {out.required} approvals of hash {out.repair_hash} "
                f"(have {len(out.received)}): reconcile approve --env {args.env} --repair "
                + (f"--baseline {args.baseline} " if args.baseline else "")
                + f"--plan {out.repair_hash}"
            )
        elif out.status == "repaired":
            print(f"{args.env}: repaired (audited as repair.succeeded)")
    if out.status == "awaiting-approval" or stuck:
        return EXIT_BLOCKED
    return EXIT_OK
