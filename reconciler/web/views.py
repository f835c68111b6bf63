"""What each tab shows, computed from the engine's results: pure functions, no I/O.

Config rows (git value, overrides, live value and drift per environment), migration file
states, forum trees declared and live with what a sync would do, and paging.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from reconciler.sql.migration import is_repeatable, version_key

if TYPE_CHECKING:
    from reconciler.engine import Outcome
    from reconciler.engine.editing import CatalogEntry
    from reconciler.errors import Diagnostic
    from reconciler.manifest import Desired

__all__ = [
    "ConfigCell",
    "ConfigRow",
    "MigrationRow",
    "Page",
    "TreeNode",
    "config_rows",
    "forum_changes",
    "forum_tree",
    "migration_rows",
    "paginate",
    "show",
]

T = TypeVar("T")
PAGE_SIZE = 50


def show(value: Any) -> str:
    """A value as the YAML/JSON a person would type (strings unquoted)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def clock(at: float) -> str:
    """When a plan was read, as local wall-clock time."""
    import time

    return time.strftime("%H:%M:%S", time.localtime(at)) if at else "-"


def num(value: Any) -> str:
    """A bound as written: 100000, not 100000.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return show(value)


@dataclass
class Page(Generic[T]):
    items: list[T]
    number: int
    pages: int
    total: int


def paginate(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> Page[T]:
    pages = max(1, -(-len(items) // size))
    number = min(max(page, 1), pages)
    start = (number - 1) * size
    return Page(list(items[start : start + size]), number, pages, len(items))


@dataclass
class ConfigCell:
    """One entry in one environment."""

    environment: str
    override: str | None = None  # the environment file's override, shown as text
    declared: str | None = None  # the value this environment declares (override or git)
    live: str | None = None  # None: no row; "" never (a value is always shown)
    live_known: bool = False  # the database was read
    drift: str | None = None  # why the live value is not the declared one
    out_of_band: str | None = None  # who changed it outside the reconciler


@dataclass
class ConfigRow:
    category: str
    key: str
    description: str
    constraints: dict[str, Any]
    git_value: str
    file: str
    cells: list[ConfigCell] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return any(c.drift for c in self.cells)


def config_rows(
    entries: Iterable[CatalogEntry],
    desireds: dict[str, Desired],
    outcomes: dict[str, Outcome | None],
    query: str = "",
    only_drift: bool = False,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Page[ConfigRow]:
    """One page of rows matching the search; only that page's cells are worked out (all of
    them when only drifted rows are wanted)."""
    q = query.strip().lower()
    chosen = sorted(
        (e for e in entries if not q or q in f"{e.category}.{e.key} {e.spec.description}".lower()),
        key=lambda e: (e.category, e.key),
    )
    declared = {
        env: {(c.category, c.key): c.value for c in d.config or []} for env, d in desireds.items()
    }
    if only_drift:
        rows = [_row(e, desireds, declared, outcomes) for e in chosen]
        return paginate([r for r in rows if r.drifted], page, size)
    shown = paginate(chosen, page, size)
    return Page(
        [_row(e, desireds, declared, outcomes) for e in shown.items],
        shown.number,
        shown.pages,
        shown.total,
    )


def _row(
    e: CatalogEntry,
    desireds: dict[str, Desired],
    declared: dict[str, dict[tuple[str, str], Any]],
    outcomes: dict[str, Outcome | None],
) -> ConfigRow:
    from reconciler.plan.compute import RECONCILER_ACTOR_PREFIX
    from reconciler.plan.live import same_value

    spec = e.spec
    row = ConfigRow(
        e.category,
        e.key,
        spec.description,
        {
            k: v
            for k, v in (
                ("type", spec.type),
                ("min", spec.min),
                ("max", spec.max),
                ("enum", spec.enum),
            )
            if v is not None
        },
        show(spec.value),
        e.file,
    )
    for env, d in desireds.items():
        cell = ConfigCell(env)
        over = d.env.config.overrides.get(e.category, {})
        if isinstance(over, dict) and e.key in over:
            cell.override = show(over[e.key])
        mine = declared[env]
        if (e.category, e.key) in mine:
            cell.declared = show(mine[(e.category, e.key)])
        out = outcomes.get(env)
        if out is not None and out.live.config_table:
            cell.live_known = True
            live = out.live.config.get((e.category, e.key))
            if live is not None:
                cell.live = show(live.value)
                if (e.category, e.key) in mine and not same_value(
                    live.value, mine[(e.category, e.key)]
                ):
                    cell.drift = "live differs from git"
                    if live.updated_by and not live.updated_by.startswith(RECONCILER_ACTOR_PREFIX):
                        cell.out_of_band = live.updated_by
            elif (e.category, e.key) in mine:
                cell.drift = "not in the database yet"
        row.cells.append(cell)
    return row


@dataclass
class MigrationRow:
    version: str
    name: str
    file: str | None  # None: applied without a file
    state: str  # applied | pending | part-way | past the target | checksum drift | applied without a file
    detail: str = ""
    applied_at: str | None = None
    applied_by: str | None = None
    duration_ms: int | None = None
    verdict: str = "ok"  # ok | warnings | blocked | not checked
    findings: list[Diagnostic] = field(default_factory=list)


def _same_file(a: str, b: str) -> bool:
    return os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))


def findings_by_file(diags: Iterable[Diagnostic]) -> dict[str, list[Diagnostic]]:
    out: dict[str, list[Diagnostic]] = {}
    for d in diags:
        if d.location is not None and d.location.file:
            out.setdefault(os.path.normpath(os.path.abspath(d.location.file)), []).append(d)
    return out


def migration_rows(
    desired: Desired, outcome: Outcome | None, diags: Iterable[Diagnostic], query: str = ""
) -> list[MigrationRow]:
    """Every file and every history row without a file, in version order."""
    by_file = findings_by_file(diags)
    live = outcome.live.migrations if outcome is not None else {}
    pending = {a.version: a for a in outcome.plan.migrations} if outcome is not None else {}
    target = version_key(desired.target) if desired.target else None
    rows: list[MigrationRow] = []
    files = {m.version for m in desired.migrations}
    for m in desired.migrations:
        found = by_file.get(os.path.normpath(os.path.abspath(m.path)), [])
        row = MigrationRow(m.version, m.name, m.path, "pending", findings=found)
        applied = live.get(m.version)
        if applied is not None:
            row.applied_at, row.applied_by = applied.applied_at, applied.applied_by
            row.duration_ms = applied.duration_ms
            if applied.checksum != m.checksum and is_repeatable(m.version):
                row.state = "pending"
                row.detail = "repeatable: the file changed, it applies again"
            elif applied.checksum != m.checksum:
                row.state = "checksum drift"
                row.detail = "the file changed after it was applied"
            elif not applied.complete:
                row.state = "part-way"
                row.detail = f"{applied.statements_done} statement(s) done"
            else:
                row.state = "applied"
        elif target is not None and version_key(m.version) > target:
            row.state = "past the target"
            row.detail = f"the target is {desired.target}"
        elif outcome is None:
            row.state = "unknown"
            row.detail = "the database was not read"
        elif m.version not in pending:
            row.detail = "outside this plan's scope"
        if any(d.severity == "error" for d in found):
            row.verdict = "blocked"
        elif found:
            row.verdict = "warnings"
        elif row.state == "past the target":
            row.verdict = "not checked"
        rows.append(row)
    for version, applied in live.items():
        if version not in files:
            rows.append(
                MigrationRow(
                    version,
                    applied.name,
                    None,
                    "applied without a file",
                    "the history has it; the folder does not",
                    applied.applied_at,
                    applied.applied_by,
                    applied.duration_ms,
                    "not checked",
                )
            )
    rows.sort(key=lambda r: version_key(r.version))
    q = query.strip().lower()
    if q:
        rows = [r for r in rows if q in f"{r.version}_{r.name} {r.state} {r.verdict}".lower()]
    return rows


@dataclass
class TreeNode:
    slug: str
    name: str
    kind: str
    archived: bool = False
    change: str | None = None  # what a sync would do to it
    children: list[TreeNode] = field(default_factory=list)


def forum_tree(
    nodes: Iterable[Any],
    changes: dict[str, str] | None = None,
    key: Callable[[Any], Any] = lambda n: n.position,
) -> list[TreeNode]:
    """Nested nodes (anything with slug, parent_slug, name, kind, position; live ones have
    archived) in position order."""
    changes = changes or {}
    items = sorted(nodes, key=lambda n: (key(n), n.slug))
    made = {
        n.slug: TreeNode(
            n.slug, n.name, n.kind, bool(getattr(n, "archived", False)), changes.get(n.slug)
        )
        for n in items
    }
    roots: list[TreeNode] = []
    for n in items:
        parent = made.get(n.parent_slug) if n.parent_slug else None
        (parent.children if parent is not None else roots).append(made[n.slug])
    return roots


def forum_changes(outcome: Outcome) -> dict[str, str]:
    """slug -> create | rename | move | reorder | update | unarchive | archive: what a sync does."""
    from reconciler.plan import ArchiveForum, UpsertForum

    out: dict[str, str] = {}
    for a in outcome.plan.actions:
        if isinstance(a, ArchiveForum):
            out[a.slug] = "archive"
        elif isinstance(a, UpsertForum):
            if a.change != "update":
                out[a.slug] = a.change
            elif "name" in a.changed:
                out[a.slug] = "rename"
            elif "parent_slug" in a.changed:
                out[a.slug] = "move"
            elif "position" in a.changed:
                out[a.slug] = "reorder"
            else:
                out[a.slug] = "update: " + ", ".join(a.changed)
    return out
