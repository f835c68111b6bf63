"""reconcile approve: approve the current plan (or a restore) as your own login."""

from __future__ import annotations

import argparse

from reconciler.cli.common import add_emergency, add_migration_type, add_scope, request

FORMATS: tuple[str, ...] = ()


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--plan", required=True, metavar="HASH", help="the plan (or restore) hash you approve"
    )
    p.add_argument(
        "--restore", metavar="BACKUP", help="approve the restore of this backup instead of a plan"
    )
    p.add_argument(
        "--repair", action="store_true", help="approve the repair `reconcile repair` asked for"
    )
    p.add_argument(
        "--baseline",
        metavar="VERSION",
        help="with --repair: the repair is `reconcile repair --baseline VERSION`",
    )
    add_emergency(p, "approve the emergency plan (its hash differs from the normal plan's)")
    add_scope(p)
    add_migration_type(p)


def run(args: argparse.Namespace) -> int:
    """Approve the current plan (or a restore) as your own database login.

    The hash must be the one `reconcile plan` shows now (or, with --restore, the one
    `reconcile restore` asked for); the database records your login, not a name you type.
    """
    from reconciler.engine import EXIT_OK, approve

    out = approve(
        request(args), args.plan, restore=args.restore, repair=args.repair, baseline=args.baseline
    )
    note = "" if out.counted else " (not on the approver list: this approval does not count)"
    print(f"approved {out.plan_hash[:12]} as {out.approved_by}{note}")
    print(
        f"approvals: {len(out.received)}/{out.required}"
        + (f" ({', '.join(out.received)})" if out.received else "")
    )
    return EXIT_OK
