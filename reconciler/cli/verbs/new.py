"""reconcile new: the next numbered migration file, from the template."""

from __future__ import annotations

import argparse
import os

from reconciler.cli.common import request
from reconciler.errors import ReconcilerError

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

    The name gets the _safe suffix when the environment requires it (prod by default).
    """
    from datetime import UTC, datetime

    from reconciler.engine import EXIT_OK, load
    from reconciler.sql.template import migration_filename, render_template

    desired = load(request(args))
    policy = desired.env.policy
    folder = os.path.normpath(
        os.path.join(os.path.dirname(desired.env_file), desired.env.migrations.dir)
    )
    try:
        name = migration_filename(
            (m.version for m in desired.migrations),
            args.name,
            safe=policy.strict or policy.require_safe_suffix,
        )
        text = render_template(
            args.name, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), args.type
        )
    except ValueError as e:
        raise ReconcilerError(
            str(e), code="bad-name", hint="e.g. reconcile new add_user_prefs"
        ) from None
    path = os.path.join(folder, name)
    with open(path, "x", encoding="utf-8") as f:
        f.write(text)
    print(path)
    return EXIT_OK
