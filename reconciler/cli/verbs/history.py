"""reconcile history: the migrations the database records, oldest first."""

from __future__ import annotations

import argparse
import json

from reconciler.cli.common import request

FORMATS = ("text", "markdown", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    """List the migrations the database records as applied (or part-way), oldest first."""
    from reconciler.engine import EXIT_OK, reconcile
    from reconciler.sql.migration import version_key

    out = reconcile(request(args, "plan"))
    rows = sorted(out.live.migrations.values(), key=lambda m: version_key(m.version))
    if args.format == "json":
        doc = [
            {
                "version": m.version,
                "name": m.name,
                "checksum": m.checksum,
                "applied_at": m.applied_at,
                "applied_by": m.applied_by,
                "duration_ms": m.duration_ms,
                "statements_done": m.statements_done,
                "complete": m.complete,
            }
            for m in rows
        ]
        print(json.dumps(doc, indent=2, default=str))
        return EXIT_OK
    if not rows:
        print(f"{out.desired.env.name}: no migration applied yet")
        return EXIT_OK
    sep = "|" if args.format == "markdown" else " "
    head = ["version", "name", "applied_at", "applied_by", "ms", "state"]
    table = [
        [
            m.version,
            m.name,
            str(m.applied_at or "-")[:19],
            m.applied_by or "-",
            str(m.duration_ms if m.duration_ms is not None else "-"),
            "applied" if m.complete else f"part-way ({m.statements_done} done)",
        ]
        for m in rows
    ]
    if args.format == "markdown":  # (names come from the database: read as text)
        from reconciler.sql.report import markdown_cell

        table = [[markdown_cell(c) for c in r] for r in table]
    else:
        from reconciler.errors import printable

        table = [[printable(c) for c in r] for r in table]
    widths = [max(len(r[i]) for r in [head, *table]) for i in range(len(head))]
    for r in [head, *table]:
        print(sep.join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK
