"""reconcile apply: plan, gates, apply; and what was applied."""

from __future__ import annotations

import argparse
import json

from reconciler.cli.common import (
    add_emergency,
    add_migration_type,
    add_scope,
    print_diagnostics,
    request,
)
from reconciler.errors import format_diagnostic

FORMATS = ("text", "markdown", "json")
MAX_LISTED = 50  # changes listed one per line after an apply; the rest are counted


def arguments(p: argparse.ArgumentParser) -> None:
    add_emergency(
        p, "hotfix path: lint errors become warnings, except unparsed SQL and credentials"
    )
    add_scope(p)
    add_migration_type(p)
    p.add_argument(
        "--expect-plan",
        metavar="HASH",
        help="apply only if the plan is still the one with this hash (the reviewed one); "
        "otherwise exit 3 and show the new plan",
    )


def run(args: argparse.Namespace) -> int:
    """Plan, check the policy, and apply: migrations, then config, then the forum map.

    Exit 0 applied or already in sync, 3 blocked by policy or a gate, 1 error (nothing of
    the failing migration is applied).
    """
    from reconciler.engine import EXIT_BLOCKED, reconcile
    from reconciler.plan import describe, plan_to_dict, render_plan

    out = reconcile(request(args, "apply"))
    print_diagnostics(out.gate_failures)
    if args.format == "json":
        doc = plan_to_dict(out.plan, out.verdict)
        doc["applied"] = (
            None
            if out.applied is None
            else {
                "migrations": out.applied.migrations,
                "data_actions": out.applied.data_actions,
                "lock_retries": out.applied.lock_retries,
            }
        )
        doc["gate_failures"] = [format_diagnostic(d) for d in out.gate_failures]
        print(json.dumps(doc, indent=2, default=str))
    elif out.exit_code == EXIT_BLOCKED or out.applied is None:
        if any(d.code == "backup-gate" for d in out.gate_failures):
            # the verdict allowed it; the gate after it did not
            print(render_plan(out.plan, args.format, None))
            print("refused by the backup gate: nothing applied")
        elif out.gate_failures:
            print(render_plan(out.plan, args.format, out.verdict))
            print("refused: the plan changed since it was reviewed; nothing applied")
        else:
            print(render_plan(out.plan, args.format, out.verdict))
        if args.format == "text" and out.next_step:
            print(f"next: {out.next_step}")
    else:
        print(f"Applied to {out.plan.environment} ({out.plan.hash[:12]}):")
        actions = out.plan.actions
        for a in actions[:MAX_LISTED]:
            print(f"  ✓ {describe(a)}")
        if len(actions) > MAX_LISTED:
            rest = actions[MAX_LISTED:]
            counts: dict[str, int] = {}
            for a in rest:
                counts[a.kind] = counts.get(a.kind, 0) + 1
            print(
                f"  … and {len(rest)} more: "
                + ", ".join(f"{n} {k}" for k, n in counts.items())
                + " (--format json lists every change)"
            )
    for c in out.checks:
        if not c.passed:
            print(f"check {c.name} FAILED: {c.detail}")
    return out.exit_code
