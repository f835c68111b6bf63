"""reconcile new: the next numbered migration file, from the template."""

from __future__ import annotations

import argparse

from reconciler.cli.common import request

FORMATS: tuple[str, ...] = ()


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="what the migration does, e.g. add_user_prefs")
    p.add_argument(
        "--type",
        choices=["SAFE", "DATA", "HOTFIX"],
        default="SAFE",
        help="the header's Type (default SAFE)",
    )


def run(args: argparse.Namespace) -> int:
    """Write the next numbered migration file from the template (the original's migration:template).

    The name gets the _safe suffix when any environment reading the migrations folder requires
    it (prod by default), so a file written for dev can be promoted. The template's example
    statements are an error everywhere until you replace them (ban-template-placeholder).
    """
    from reconciler.engine import EXIT_OK
    from reconciler.engine.authoring import new_migration

    print(new_migration(request(args), args.name, args.type))
    return EXIT_OK
