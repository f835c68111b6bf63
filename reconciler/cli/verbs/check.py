"""reconcile check: the verdict on pending migrations, and with --trace their real locks."""

from __future__ import annotations

import argparse
import json

from reconciler.cli.common import add_emergency, request
from reconciler.errors import format_diagnostic

FORMATS = ("text", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trace",
        action="store_true",
        help="run the pending migrations on a shadow copy and trace locks",
    )
    add_emergency(p, "check as the hotfix path")


def run(args: argparse.Namespace) -> int:
    """Check the pending migrations: the policy verdict, and with --trace their real locks and rewrites.

    --trace restores `pg_dump --schema-only` of the target into a shadow database on the
    embedded PostgreSQL, runs each pending statement there while a simulated writer is
    active, and reports per statement the locks its backend took and the tables it rewrote.
    ACCESS EXCLUSIVE on a table that existed before the migration, or a rewrite, is an error.
    Exit 0 clean, 3 blocked, 1 error. The target is only read.
    """
    from reconciler.engine import check
    from reconciler.sql.secrets import excerpt

    out = check(request(args), trace=args.trace)
    if args.format == "json":
        doc = {
            "environment": out.plan.desired.env.name,
            "pending": [a.version for a in out.plan.plan.migrations],
            "statements": [
                {
                    "location": str(t.location),
                    "statement": excerpt(t.statement.code, 120),
                    "locks": [
                        {
                            "relation": lk.relation,
                            "mode": lk.mode,
                            "preexisting": lk.preexisting,
                            "waited": lk.waited,
                        }
                        for lk in t.locks
                    ],
                    "rewrites": t.rewrites,
                    "error": t.error,
                    "seconds": round(t.seconds, 4),
                }
                for t in out.traces
            ],
            "diagnostics": [format_diagnostic(d) for d in out.diagnostics],
            "exit_code": out.exit_code,
        }
        print(json.dumps(doc, indent=2))
        return out.exit_code
    for t in out.traces:
        head = excerpt(t.statement.code, 70)
        locks = (
            ", ".join(
                f"{lk.relation} {lk.mode}{' (waited)' if lk.waited else ''}"
                for lk in t.locks
                if lk.preexisting
            )
            or "no locks on existing tables"
        )
        rewrites = f"; rewrites {', '.join(t.rewrites)}" if t.rewrites else ""
        print(
            f"{t.location}: {head}\n    {locks}{rewrites}"
            + (f"\n    failed: {t.error}" if t.error else "")
        )
    for d in out.diagnostics:
        print(format_diagnostic(d))
    pending = len(out.plan.plan.migrations)
    print(
        f"{pending} pending migration(s), {len(out.traces)} statement(s) traced: "
        f"{sum(d.severity == 'error' for d in out.diagnostics)} error(s)"
    )
    return out.exit_code
