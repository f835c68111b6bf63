"""reconcile approvals: who approved what, from every source, and who counts now."""

from __future__ import annotations

import argparse
import json

from reconciler.cli.common import print_diagnostics, request

FORMATS = ("text", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    """List recorded approvals (every configured source) and which of them count for the current plan."""
    from reconciler.engine import EXIT_OK, list_approvals

    out = list_approvals(request(args))
    current = out.plan_hash
    if args.format == "json":
        doc = {
            "plan_hash": current,
            "required": out.required,
            "counted": out.counted,
            "approvals": [
                {
                    "approver": a.approver,
                    "plan_hash": a.plan_hash,
                    "source": a.source,
                    "at": a.at,
                    "current": a.plan_hash == current,
                }
                for a in out.approvals
            ],
        }
        print(json.dumps(doc, indent=2))
        return EXIT_OK
    print(
        f"current plan {current[:12]}: {len(out.counted)}/{out.required} approvals"
        + (f" ({', '.join(out.counted)})" if out.counted else "")
    )
    for a in out.approvals:
        mark = (
            "counts"
            if a.approver in out.counted and a.plan_hash == current
            else ("current plan, not a listed approver" if a.plan_hash == current else "other plan")
        )
        print(f"  {a.at or '':32}  {a.approver:16} {a.source:10} {a.plan_hash[:12]}  {mark}")
    print_diagnostics(out.problems)
    return EXIT_OK
