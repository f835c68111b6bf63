"""reconcile status: a one-screen summary of an environment."""

from __future__ import annotations

import argparse
import json
from typing import Any

from reconciler.cli.common import request
from reconciler.errors import format_diagnostic, printable

FORMATS = ("text", "markdown", "json")


def arguments(p: argparse.ArgumentParser) -> None:
    pass


def _doc(out: Any) -> dict[str, Any]:
    wanted = out.desired.wanted
    applied = [
        m
        for m in wanted
        if m.version in out.live.migrations and out.live.migrations[m.version].complete
    ]
    last = out.live.newest_applied()
    return {
        "environment": out.desired.env.name,
        "database": out.target,
        "bookkeeping": out.live.bookkeeping,
        "migrations": {
            "applied": len(applied),
            "wanted": len(wanted),
            "pending": [a.version for a in out.plan.migrations],
            "target": out.desired.target or "latest",
            "last": None if last is None else f"{last.version}_{last.name}",
            "last_applied_at": None if last is None else str(last.applied_at),
        },
        "config": {"declared": len(out.desired.config or []), "live": len(out.live.config)},
        "forums": {
            "declared": len(out.desired.forums or []),
            "live": sum(1 for f in out.live.forums.values() if not f.archived),
            "archived": sum(1 for f in out.live.forums.values() if f.archived),
        },
        "in_sync": out.plan.empty and out.verdict.status != "blocked",
        "blocked_by": out.why_not,
        "next_step": out.next_step,
        "pending_changes": out.plan.counts(),
        "plan_hash": out.plan.hash,
        "verdict": out.verdict.status,
        "findings": [f.to_dict() for f in out.plan.findings],
        "schema": {
            "snapshot": out.live.snapshot_taken,
            "snapshot_version": out.live.snapshot_version,
            "drifted": sum(1 for f in out.plan.findings if f.kind == "SchemaDrift"),
        },
    }


def run(args: argparse.Namespace) -> int:
    """Summarise the environment: database, applied and pending migrations, config, forums, drift.

    Exit codes as for plan.
    """
    from reconciler.engine import reconcile

    out = reconcile(request(args, "plan"))
    doc = _doc(out)
    if args.format == "json":
        print(json.dumps(doc, indent=2, default=str))
        return out.exit_code
    m, c, f = doc["migrations"], doc["config"], doc["forums"]
    pending = ", ".join(f"{v} {k}" for k, v in doc["pending_changes"].items())
    lines = [
        f"environment  {doc['environment']}",
        f"database     {doc['database']}",
        f"migrations   {m['applied']}/{m['wanted']} applied (target {m['target']}; last {m['last'] or '-'}"
        + (f" at {m['last_applied_at']})" if m["last"] else ")"),
        f"config       {c['declared']} declared, {c['live']} in the database",
        f"forums       {f['declared']} declared, {f['live']} live, {f['archived']} archived",
        "schema       "
        + (
            f"{doc['schema']['drifted']} object(s) drifted since the snapshot"
            if doc["schema"]["drifted"]
            else "no drift since the snapshot"
            if doc["schema"]["snapshot"]
            else "no snapshot yet (the next apply records one)"
        ),
        f"state        {'in sync' if doc['in_sync'] else ('changes pending: ' + pending) if pending else 'blocked'}",
        f"verdict      {doc['verdict']} (plan {out.plan.hash[:12]})",
    ]
    for why in doc["blocked_by"]:
        lines.append(f"blocked by   {printable(why)}")
    if doc["next_step"]:
        lines.append(f"next         {doc['next_step']}")
    if args.format == "markdown":
        from reconciler.sql.report import markdown_cell

        lines = ["| | |", "|---|---|"] + [
            "| " + " | ".join(markdown_cell(part) for part in ln.split(None, 1)) + " |"
            for ln in lines
        ]
    print("\n".join(lines))
    for fnd in out.plan.findings:
        print(format_diagnostic(fnd.diagnostic()))
    return out.exit_code
