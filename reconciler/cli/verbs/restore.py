"""reconcile restore: put a backup back in place, once approved."""

from __future__ import annotations

import argparse

from reconciler.cli.common import add_emergency, request

FORMATS: tuple[str, ...] = ()


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backup", required=True, help="backup id or name (see reconcile backups)")
    add_emergency(p, "mark the restore as an emergency")


def run(args: argparse.Namespace) -> int:
    """Put a backup back in place (Neon branch restore keeps the old head under a name).

    Needs the same approvals as an apply, given for the restore's own hash, which this
    command prints when they are missing. Exit 3 while approvals are missing.
    """
    from reconciler.engine import EXIT_BLOCKED, EXIT_OK, restore

    out = restore(request(args), args.backup)
    if out.status == "awaiting-approval":
        print(
            f"restore of {args.backup} needs {out.required} approvals of hash {out.restore_hash} "
            f"(have {len(out.received)}): reconcile approve --env {args.env} --restore {args.backup} "
            f"--plan {out.restore_hash}"
        )
        return EXIT_BLOCKED
    print(f"restored {args.env} from {args.backup}; the previous state is kept as {out.preserved}")
    return EXIT_OK
