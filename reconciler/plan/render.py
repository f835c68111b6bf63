"""Plan renderers: text for terminals, markdown for PR comments, json for machines."""

from __future__ import annotations

import json
from typing import Any

from reconciler.errors import Diagnostic, format_diagnostic, printable
from reconciler.manifest.desired import migration_stem
from reconciler.plan.live import canonical_json
from reconciler.plan.model import (
    Action,
    ApplyMigration,
    ArchiveForum,
    DeleteConfig,
    Plan,
    UpsertConfig,
    UpsertForum,
    Verdict,
)
from reconciler.sql.report import markdown_cell, markdown_fenced

__all__ = ["describe", "plan_to_dict", "render_plan"]

_SYMBOL = {
    "apply_migration": "+",
    "upsert_config": "~",
    "delete_config": "-",
    "upsert_forum": "~",
    "archive_forum": "-",
}


def _symbol(a: Action) -> str:
    if isinstance(a, UpsertConfig | UpsertForum) and getattr(a, "change", "") == "create":
        return "+"
    if isinstance(a, UpsertConfig) and not a.exists:
        return "+"
    return _SYMBOL[a.kind]


def _short(v: Any, limit: int = 60) -> str:
    s = canonical_json(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def describe(a: Action) -> str:
    """One line saying what the action does, what a terminal would act on in the names and
    values it quotes shown as escapes."""
    return printable(_describe(a))


def _describe(a: Action) -> str:
    if isinstance(a, ApplyMigration):
        mode = ", no-transaction" if a.no_transaction else ""
        resume = f", resume at statement {a.resume_from + 1}" if a.resume_from else ""
        stem = migration_stem(a.file)  # (54/01a for Synapse's, a Prisma folder's name)
        n = f"{a.statements} statement" + ("s" if a.statements != 1 else "")
        return f"apply migration {stem} ({n}{mode}{resume})"
    if isinstance(a, UpsertConfig):
        if a.exists:
            return (
                f"set config {a.category}.{a.key} = {_short(a.value)} (was {_short(a.old_value)})"
            )
        return f"add config {a.category}.{a.key} = {_short(a.value)}"
    if isinstance(a, DeleteConfig):
        return f"delete config {a.category}.{a.key} (was {_short(a.old_value)})"
    if isinstance(a, UpsertForum):
        if a.change == "create":
            return f"create {a.node_kind} {a.slug} ({a.name!r}, under {a.parent_slug or '-'})"
        if a.change == "unarchive":
            return f"unarchive {a.node_kind} {a.slug}"
        return f"update {a.node_kind} {a.slug}: {', '.join(a.changed)}"
    if isinstance(a, ArchiveForum):
        return f"archive forum node {a.slug} (kept, marked archived)"
    return a.kind


def plan_to_dict(plan: Plan, verdict: Verdict | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "environment": plan.environment,
        "plan_hash": plan.hash,
        "target": plan.target,
        "in_sync": plan.empty,
        "counts": plan.counts(),
        "actions": [{**a.to_dict(), "summary": describe(a)} for a in plan.actions],
        "findings": [f.to_dict() for f in plan.findings],
        "live_fingerprint": plan.live_fingerprint,
    }
    if verdict is not None:
        out["verdict"] = {
            "status": verdict.status,
            "blockers": [_diag(d) for d in verdict.blockers],
            "warnings": [_diag(d) for d in verdict.warnings],
            "approvals": {
                "received": verdict.approvals_received,
                "required": verdict.approvals_required,
            },
        }
    return out


def _diag(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "severity": d.severity,
        "message": d.message,
        "hint": d.hint,
        "location": str(d.location) if d.location else None,
    }


def _text(plan: Plan, verdict: Verdict | None) -> str:
    lines = [f"Plan for {plan.environment} ({plan.hash[:12]})", f"  plan hash {plan.hash}"]
    if plan.empty:
        lines.append("  in sync: nothing to do")
    for a in plan.actions:
        lines.append(f"  {_symbol(a)} {describe(a)}")
    for f in plan.findings:
        lines.append(format_diagnostic(f.diagnostic()))
    if verdict is not None:
        for d in verdict.blockers + verdict.warnings:
            if d not in [f.diagnostic() for f in plan.findings]:
                lines.append(format_diagnostic(d))
        if verdict.approvals_required:
            lines.append(
                f"approvals: {len(verdict.approvals_received)}/{verdict.approvals_required}"
                + (
                    f" ({', '.join(verdict.approvals_received)})"
                    if verdict.approvals_received
                    else ""
                )
            )
        lines.append(f"verdict: {verdict.status}")
    return "\n".join(lines)


def _markdown(plan: Plan, verdict: Verdict | None) -> str:
    status = verdict.status if verdict else ("in sync" if plan.empty else "changes pending")
    icon = {"allowed": "✅", "blocked": "⛔", "awaiting-approval": "⏳"}.get(status, "📋")
    lines = [
        f"### {icon} `{plan.environment}`: {status}",
        "",
        f"Plan hash `{plan.hash}`" + (f", target `{plan.target}`" if plan.target else ""),
        "",
    ]
    if plan.empty:
        lines.append("In sync: nothing to do.")
    else:
        lines += ["| | change |", "|---|---|"]
        lines += [
            "| `" + _symbol(a) + "` | " + markdown_cell(describe(a)) + " |" for a in plan.actions
        ]
    diags = [f.diagnostic() for f in plan.findings]
    if verdict:
        diags += [d for d in verdict.blockers + verdict.warnings if d not in diags]
    if diags:
        lines += ["", "<details open><summary>Findings</summary>", ""]
        lines += markdown_fenced([format_diagnostic(d) for d in diags])
        lines += ["</details>"]
    if verdict and verdict.approvals_required:
        got = markdown_cell(", ".join(verdict.approvals_received)) or "none"
        lines += [
            "",
            f"Approvals: {len(verdict.approvals_received)}/{verdict.approvals_required} ({got})",
        ]
    return "\n".join(lines) + "\n"


def render_plan(plan: Plan, fmt: str, verdict: Verdict | None = None) -> str:
    if fmt == "json":
        return json.dumps(plan_to_dict(plan, verdict), indent=2, default=str)
    if fmt == "markdown":
        return _markdown(plan, verdict)
    return _text(plan, verdict)
