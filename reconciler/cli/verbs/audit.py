"""reconcile audit: the audit trail with each event's delivery state."""

from __future__ import annotations

import argparse
import json

from reconciler.cli.common import request

FORMATS = ("text", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=50, help="how many events (default 50)")


def run(args: argparse.Namespace) -> int:
    """List the audit trail (newest first) with each event's webhook delivery state; retries owed deliveries."""
    from reconciler.engine import EXIT_OK, audit_events

    events, report = audit_events(request(args), limit=args.limit)
    if args.format == "json":
        print(json.dumps(events, indent=2, default=str))
        return EXIT_OK
    for e in events:
        state = (
            "delivered"
            if e["delivered_at"]
            else f"pending ({e['attempts']} attempts: {e['last_error']})"
            if e["has_outbox"]
            else "no webhook"
        )
        flag = " EMERGENCY" if e["emergency"] else ""
        print(
            f"#{e['id']} {str(e['at'])[:19]} {e['action']:18} {e['outcome']:10} {e['actor']}"
            f"{flag}  plan {str(e['plan_hash'] or '-')[:12]}  {state}"
        )
    if report is not None and report.pending:
        print(
            f"{report.pending} event(s) not delivered yet"
            + (f": {report.errors[-1]}" if report.errors else "")
        )
    return EXIT_OK
