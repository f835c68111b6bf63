"""reconcile backup: a backup now."""

from __future__ import annotations

import argparse

from reconciler.cli.common import request

FORMATS: tuple[str, ...] = ()


def arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    """Take a backup now with the environment's provider (Neon branch or pg_dump), then apply retention."""
    from reconciler.engine import EXIT_OK, take_backup

    info = take_backup(request(args))
    print(f"{info.name}  {info.id}")
    return EXIT_OK
