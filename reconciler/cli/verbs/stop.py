"""reconcile stop: stop the embedded PostgreSQL that runs between commands."""

from __future__ import annotations

import argparse

NEEDS_ENV = False
EVENTS = False
FORMATS: tuple[str, ...] = ()


def arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    """Stop the embedded PostgreSQL that environments without a database URL run on.

    It keeps running between commands (in RECONCILER_HOME, default .reconciler/pg); its
    data stays, and the next command that needs it starts it again.
    """
    from reconciler.embedded import state_dir
    from reconciler.engine import EXIT_OK, stop_embedded

    where = state_dir() / "pg"
    if stop_embedded():
        print(f"stopped the embedded PostgreSQL in {where}")
    else:
        print(f"no embedded PostgreSQL is running in {where}")
    return EXIT_OK
