"""reconcile plan: what apply would change and what the policy says about it."""

from __future__ import annotations

import argparse

from reconciler.cli.common import (
    add_emergency,
    add_migration_type,
    add_scope,
    print_diagnostics,
    request,
)

FORMATS = ("text", "markdown", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    add_emergency(
        p,
        "plan as the hotfix path: lint errors become warnings, except unparsed SQL and credentials",
    )
    add_scope(p)
    add_migration_type(p)


def run(args: argparse.Namespace) -> int:
    """Show what apply would change, and whether the environment's policy allows it.

    Exit 0 in sync, 2 changes pending, 3 blocked by policy (or awaiting approvals), 1 error.
    Never writes.
    """
    from reconciler.engine import reconcile
    from reconciler.plan import render_plan

    out = reconcile(request(args, "plan"))
    print(render_plan(out.plan, args.format, out.verdict))
    print_diagnostics(out.gate_failures)
    if args.format == "text" and out.next_step:
        print(f"next: {out.next_step}")
    return out.exit_code
