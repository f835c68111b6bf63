"""reconcile verify: run the post-migration checks now."""

from __future__ import annotations

import argparse
import json

from reconciler.cli.common import request

FORMATS = ("text", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    """Run the environment's post-migration checks (`checks:`), read-only.

    Each check's query passes when it returns no rows (or one row holding true). Also run
    after every apply (a no-op one too). Exit 0 all passed, 4 a check failed (audited
    as checks.failed), 1 error.
    """
    from reconciler.engine import verify

    out = verify(request(args))
    if args.format == "json":
        doc = [{"name": r.name, "passed": r.passed, "detail": r.detail} for r in out.results]
        print(json.dumps(doc, indent=2, default=str))
        return out.exit_code
    if not out.results:
        print(f"{args.env}: no checks configured (checks: in the environment file)")
    for r in out.results:
        print(f"  {'✓' if r.passed else '✗'} {r.name}: {r.detail}")
    return out.exit_code
