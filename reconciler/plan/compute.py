"""desired x live -> Plan. Deterministic: the same inputs give the same actions, order and hash."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.errors import Diagnostic, SourceLocation
from reconciler.manifest.desired import Desired, DesiredMigration
from reconciler.plan.drift import drift_findings
from reconciler.plan.live import LiveState, canonical_json, other_tool, same_value
from reconciler.plan.model import (
    Action,
    ApplyMigration,
    ArchiveForum,
    DeleteConfig,
    Finding,
    Plan,
    UpsertConfig,
    UpsertForum,
)
from reconciler.sql.migration import is_repeatable, version_key

__all__ = ["RECONCILER_ACTOR_PREFIX", "PlanContext", "make_plan", "pending_migrations", "plan_hash"]

RECONCILER_ACTOR_PREFIX = "reconciler:"


_same = same_value
SCOPES = ("all", "migrations", "config", "forums", "data")  # data: config and forums


@dataclass(frozen=True)
class PlanContext:
    """Everything an approver reviews besides the actions and the live state they apply to.

    ``lint`` is the verdict of the rules on each pending migration (version -> diagnostics),
    ``ruleset`` the version of the rules that produced it; the normalised policy, the scope
    and the emergency flag and reason complete it. Any change makes a new plan hash.
    """

    policy: dict[str, Any] = field(default_factory=dict)
    scope: str = "all"  # all | migrations | config | forums: what this plan may change
    emergency: bool = False
    reason: str | None = None
    lint: Mapping[str, Sequence[Diagnostic]] = field(default_factory=dict)
    ruleset: str = ""
    migration_type: str | None = None  # schema_safe | config_only | data_migration | hotfix

    @classmethod
    def of(
        cls,
        desired: Desired,
        *,
        lint: Mapping[str, Sequence[Diagnostic]],
        ruleset: str,
        emergency: bool = False,
        reason: str | None = None,
        scope: str = "all",
        migration_type: str | None = None,
    ) -> PlanContext:
        if scope not in SCOPES:
            raise ValueError(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
        return cls(
            desired.env.policy.model_dump(mode="json"),
            scope,
            emergency,
            reason,
            lint,
            ruleset,
            migration_type,
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "scope": self.scope,
            "emergency": self.emergency,
            "reason": (self.reason or "").strip() or None,
            "lint": {
                v: [
                    [d.code, d.severity, d.location.line if d.location else 0, d.message]
                    for d in ds
                ]
                for v, ds in sorted(self.lint.items())
            },
            "ruleset": self.ruleset,
            "migration_type": self.migration_type,
        }


def plan_hash(
    environment: str,
    target: str | None,
    actions: list[Action],
    findings: list[Finding],
    live_fingerprint: str,
    context: PlanContext | None = None,
) -> str:
    doc = {
        "environment": environment,
        "target": target,
        "actions": [a.hash_row() for a in actions],
        "findings": [[f.kind, f.subject] for f in findings],
        "live": live_fingerprint,
        "context": (context or PlanContext()).to_doc(),
    }
    return hashlib.sha256(canonical_json(doc).encode()).hexdigest()


def pending_migrations(desired: Desired, live: LiveState) -> list[DesiredMigration]:
    """The wanted migrations the database has not completed, and the repeatable ones whose
    file changed since they were applied: what the plan will apply."""
    out = []
    for m in desired.wanted:
        row = live.migrations.get(m.version)
        if row is None or not row.complete:
            out.append(m)
        elif is_repeatable(m.version) and row.checksum != m.checksum:
            out.append(m)  # (applied again, as its file now says)
    return out


def _migrations(desired: Desired, live: LiveState) -> tuple[list[Action], list[Finding]]:
    actions: list[Action] = []
    findings: list[Finding] = []
    files = {m.version: m for m in desired.migrations}
    # (only the rows with something to say are put in version order: a history of 10,000
    # that matches its files is not sorted on every plan)
    unmatched = [
        (version, applied)
        for version, applied in live.migrations.items()
        if (m := files.get(version)) is None or m.checksum != applied.checksum
    ]
    # the files by checksum, where a file's text may have moved to another version (renumbered)
    by_checksum: dict[str, DesiredMigration] = (
        {m.checksum: m for m in reversed(desired.migrations)}
        if any(v in files for v, _ in unmatched)
        else {}
    )
    for version, applied in sorted(unmatched, key=lambda kv: version_key(kv[0])):
        m = files.get(version)
        if m is None and is_repeatable(version):
            findings.append(
                Finding(
                    "UnknownApplied",
                    "warning",
                    version,
                    f"repeatable migration {version} was applied but its file is gone: what it "
                    "made stays in the database",
                    "drop what it made in a new migration, if it should go",
                )
            )
        elif is_repeatable(version):
            continue  # a changed repeatable file is applied again: no mismatch
        elif m is None:
            findings.append(
                Finding(
                    "UnknownApplied",
                    "error",
                    version,
                    f"migration {version}_{applied.name} is applied in the database but has no file in git",
                    "restore the file from history; never delete applied migrations",
                )
            )
        elif m.checksum != applied.checksum and (
            moved := by_checksum.get(applied.checksum) if applied.complete else None
        ):
            findings.append(
                Finding(
                    "ChecksumMismatch",
                    "error",
                    version,
                    f"version {version} was applied with the text of {moved.filename}, which "
                    f"is version {moved.version} now, and {m.filename} takes its place: the "
                    "files were renumbered, not edited",
                    "put the files back in the order they were applied (a file inserted among "
                    "applied ones, in a folder's name order, a LOADORDER or a manifest, moves "
                    "every one after it) and add new ones after the newest applied",
                    SourceLocation(m.path),
                )
            )
        elif m.checksum != applied.checksum:
            findings.append(
                Finding(
                    "ChecksumMismatch",
                    "error",
                    version,
                    f"{m.filename} was edited after it was "
                    + (
                        "applied"
                        if applied.complete
                        else f"partly applied ({applied.statements_done} statements)"
                    ),
                    "revert the edit (git checkout the applied version) and put the change in a new migration",
                    SourceLocation(m.path),
                )
            )
    if live.other_histories and not live.migrations and desired.migrations:
        # another tool migrated this database and the reconciler never did: every file would
        # run again, on the objects and the data that tool made (a data migration twice)
        tools = sorted({other_tool(t) for t in live.other_histories})
        said = [
            (table, latest, next((m for m in desired.migrations if m.is_named(latest)), None))
            for table, latest in live.other_last
        ]
        known = next(((t, latest, m) for t, latest, m in said if m is not None), None)
        if known is not None and known[2] is not None:
            table, latest, m = known
            baseline = (
                f"`reconcile repair --env {desired.env.name} --baseline {m.stem}` records "
                f"each file up to {m.filename} ({other_tool(table)}'s last, {latest}) as applied, "
                "without running it"
            )
        else:
            baseline = (
                f"`reconcile repair --env {desired.env.name} --baseline VERSION` records each "
                "file up to VERSION (the last one that tool applied"
                + "".join(f"; {other_tool(t)}'s history says {latest}" for t, latest, _ in said)
                + ") as applied, without running it"
            )
        findings.append(
            Finding(
                "OtherToolHistory",
                "error",
                live.other_histories[0],
                f"this database holds {' and '.join(tools)}'s migration history "
                f"({', '.join(live.other_histories)}) and none of the reconciler's: applying "
                "would run every migration again, on what that tool already made",
                f"adopt it first: {baseline}; if that tool applied nothing here (its table is "
                "empty), drop the table",
            )
        )
    last = live.newest_applied()
    newest = last.version if last else None
    for m in pending_migrations(desired, live):
        row = live.migrations.get(m.version)
        again = row is not None and row.complete  # a repeatable applied before
        resume = row.statements_done if row is not None and not again else 0
        if row is not None and not again:
            findings.append(
                Finding(
                    "PartiallyApplied",
                    "warning",
                    m.version,
                    f"{m.filename} stopped after {resume} of {len(m.source.statements)} statements; "
                    f"it resumes at statement {resume + 1}",
                    None,
                    SourceLocation(m.path),
                )
            )
        if (
            newest is not None
            and not is_repeatable(m.version)
            and version_key(m.version) < version_key(newest)
        ):
            sev: Literal["error", "warning"] = (
                "warning" if desired.env.policy.allow_out_of_order else "error"
            )
            findings.append(
                Finding(
                    "OutOfOrder",
                    sev,
                    m.version,
                    f"{m.filename} is older than the newest applied migration {newest}",
                    "renumber it after the newest applied one, or set policy.allow_out_of_order",
                    SourceLocation(m.path),
                )
            )
        actions.append(
            ApplyMigration(
                m.version,
                m.name,
                m.filename,  # not the path: the hash must not depend on where it is computed
                m.checksum,
                len(m.source.statements),
                m.source.no_transaction,
                resume,
                row is not None and not again,
            )
        )
    return actions, findings


def _missing_table(
    kind: str, table: str, pending: bool, where: SourceLocation | None
) -> Finding | None:
    if pending:
        return None  # a pending migration may create it; the apply checks again
    return Finding(
        "MissingTargetTable",
        "error",
        table,
        f"{kind} table {table} does not exist in the database",
        f"add a migration that creates {table}, or set the table name in the environment file",
        where,
    )


def _config(desired: Desired, live: LiveState, pending: bool) -> tuple[list[Action], list[Finding]]:
    if desired.config is None:
        return [], []
    table = desired.env.config.table
    if not live.config_table:
        f = _missing_table("config", table, pending, desired.locations.get("database"))
        if f:
            return [], [f]
    actions: list[Action] = []
    findings: list[Finding] = []
    declared = set()
    for e in sorted(desired.config, key=lambda c: (c.category, c.key)):
        declared.add((e.category, e.key))
        cur = live.config.get((e.category, e.key))
        if cur is None:
            actions.append(UpsertConfig(e.category, e.key, e.value, e.description))
            continue
        same = _same(cur.value, e.value)
        if same and cur.description == e.description:
            continue
        if not same and cur.updated_by and not cur.updated_by.startswith(RECONCILER_ACTOR_PREFIX):
            findings.append(
                Finding(
                    "ConfigDrift",
                    "warning",
                    f"{e.category}.{e.key}",
                    f"{table} {e.category}.{e.key} was changed out of band by {cur.updated_by} "
                    f"(live {canonical_json(cur.value)}, declared {canonical_json(e.value)}); "
                    "the plan restores the declared value",
                    "to keep the new value, change it in git",
                    e.location,
                )
            )
        actions.append(UpsertConfig(e.category, e.key, e.value, e.description, cur.value, True))
    if desired.env.policy.prune_config:
        categories = {c.category for c in desired.config}
        for (cat, key), cur in sorted(live.config.items()):
            if cat in categories and (cat, key) not in declared:
                actions.append(DeleteConfig(cat, key, cur.value))
    return actions, findings


_FORUM_FIELDS = ("parent_slug", "kind", "name", "description", "position", "settings")


def _forums(desired: Desired, live: LiveState, pending: bool) -> tuple[list[Action], list[Finding]]:
    if desired.forums is None:
        return [], []
    if not live.forum_table:
        f = _missing_table(
            "forum", desired.env.forum_table, pending, desired.locations.get("database")
        )
        if f:
            return [], [f]
    actions: list[Action] = []
    wanted = set()
    for n in desired.forums:
        wanted.add(n.slug)
        cur = live.forums.get(n.slug)
        change: Literal["create", "update", "unarchive"] = "create"
        changed: tuple[str, ...] = ()
        if cur is not None:
            new = {
                "parent_slug": n.parent_slug,
                "kind": n.kind,
                "name": n.name,
                "description": n.description,
                "position": n.position,
                "settings": n.settings,
            }
            changed = tuple(k for k in _FORUM_FIELDS if not _same(getattr(cur, k), new[k]))
            if cur.archived:
                change = "unarchive"
            elif changed:
                change = "update"
            else:
                continue
        actions.append(
            UpsertForum(
                n.slug,
                n.parent_slug,
                n.kind,
                n.name,
                n.description,
                n.position,
                dict(n.settings),
                change,
                changed,
            )
        )
    for slug, cur in sorted(live.forums.items()):
        if slug not in wanted and not cur.archived:
            actions.append(ArchiveForum(slug))
    return actions, []


def make_plan(desired: Desired, live: LiveState, context: PlanContext | None = None) -> Plan:
    """Compute what must change for the database to match the desired state; the hash also
    binds the ``context`` (policy, scope, emergency, lint verdict, rule-set version)."""
    scope = context.scope if context is not None else "all"
    m_actions, m_findings = _migrations(desired, live)
    if scope not in ("all", "migrations"):  # the migrations are not part of this apply
        m_actions, m_findings = [], []
    pending = bool(m_actions)
    c_actions, c_findings = _config(desired, live, pending)
    f_actions, f_findings = _forums(desired, live, pending)
    if scope not in ("all", "config", "data"):
        c_actions, c_findings = [], []
    if scope not in ("all", "forums", "data"):
        f_actions, f_findings = [], []
    actions = m_actions + c_actions + f_actions
    findings = m_findings + c_findings + f_findings + drift_findings(desired, live)
    fp = live.fingerprint()
    h = plan_hash(desired.env.name, desired.target, actions, findings, fp, context)
    return Plan(desired.env.name, actions, findings, fp, h, desired.target)
