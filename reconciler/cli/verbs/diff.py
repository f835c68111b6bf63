"""reconcile diff: the live schema against the one git's migrations build."""

from __future__ import annotations

import argparse
import json

from reconciler.cli.common import request

FORMATS = ("text", "markdown", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    """Compare the live schema with the schema git's migrations build, object by object.

    The migrations the history records as applied (all wanted ones without a history) run
    on a fresh shadow database on the embedded PostgreSQL; the target is only read. For
    databases never snapshotted, or whose history is in doubt.
    Exit 0 the same, 2 differences, 1 error.
    """
    from reconciler.engine.diff import diff

    out = diff(request(args))
    if args.format == "json":
        doc = {
            "environment": out.environment,
            "database": out.target,
            "replayed": out.replayed,
            "differences": [
                {"object": d.key, "git": d.git, "live": d.live, "description": d.description}
                for d in out.differences
            ],
        }
        print(json.dumps(doc, indent=2))
        return out.exit_code
    head = (
        f"{out.environment} ({out.target}) against {len(out.replayed)} migration(s) of git "
        "replayed on a shadow database"
    )
    if args.format == "markdown":
        print(f"**{head}**\n")
        if out.differences:
            print("| object | difference |\n|---|---|")
            from reconciler.sql.report import markdown_cell

            for d in out.differences:
                plain = not any(c in d.key for c in "`|\n\r")  # (else read as escaped text)
                key = f"`{d.key}`" if plain else markdown_cell(d.key)
                print(f"| {key} | {markdown_cell(d.description)} |")
        else:
            print("No differences.")
        return out.exit_code
    print(head)
    for d in out.differences:
        print(f"  ≠ {d.description}")
    print(
        f"{len(out.differences)} difference(s)"
        if out.differences
        else "no differences: the live schema is what git's migrations build"
    )
    return out.exit_code
