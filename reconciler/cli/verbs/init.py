"""reconcile init: the bookkeeping schema, and approvers' grants."""

from __future__ import annotations

import argparse

from reconciler.cli.common import request

FORMATS: tuple[str, ...] = ()


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--grant-approvers",
        action="store_true",
        help="let the listed approvers' logins approve",
    )


def run(args: argparse.Namespace) -> int:
    """Create the reconciler's bookkeeping schema (audit trail, approvals, history) as the database owner.

    --grant-approvers lets each listed approver's database login record approvals.
    """
    from reconciler.engine import EXIT_OK, init

    for note in init(request(args), grant_approvers=args.grant_approvers):
        print(note)
    return EXIT_OK
