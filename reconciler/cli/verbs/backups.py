"""reconcile backups: the environment's backups, newest first."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from reconciler.cli.common import request

FORMATS = ("text", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    """List the environment's backups, newest first."""
    from reconciler.engine import EXIT_OK, list_backups

    items = list_backups(request(args))
    if args.format == "json":
        print(json.dumps([asdict(i) for i in items], indent=2))
        return EXIT_OK
    for i in items:
        flags = ("" if i.ours else "  (not made by the reconciler)") + (
            "  (has child branches)" if i.has_children else ""
        )
        print(f"{i.created_at[:19]}  {i.name}  {i.id}{flags}")
    if not items:
        print("no backups")
    return EXIT_OK
