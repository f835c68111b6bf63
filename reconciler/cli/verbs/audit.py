"""reconcile audit: the audit trail with each event's delivery state."""

from __future__ import annotations

import argparse
import json

from reconciler.cli.common import request

FORMATS = ("text", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=50, help="how many events (default 50)")


def run(args: argparse.Namespace) -> int:
    """List the audit trail (newest first): who acted (the database login, then the actor it
    named), each event's webhook delivery state; retries owed deliveries first."""
    from reconciler.audit import delivery_state
    from reconciler.engine import EXIT_OK, audit_events

    events, report = audit_events(request(args), limit=args.limit)
    if args.format == "json":
        print(json.dumps(events, indent=2, default=str))
        return EXIT_OK
    for e in events:
        state = delivery_state(e)
        flag = " EMERGENCY" if e["emergency"] else ""
        who = e["db_user"] if e["db_user"] == e["actor"] else f"{e['db_user']} ({e['actor']})"
        print(
            f"#{e['id']} {str(e['at'])[:19]} {e['action']:18} {e['outcome']:10} by {who}"
            f"{flag}  plan {str(e['plan_hash'] or '-')[:12]}  {state}"
        )
    if report is not None and report.pending:
        print(
            f"{report.pending} event(s) not delivered yet"
            + (f": {report.errors[-1]}" if report.errors else "")
        )
    return EXIT_OK
