"""What a rule is, what it sees, and small helpers for reading ALTER TABLE and column definitions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from reconciler.sql.classify import StatementInfo
from reconciler.sql.migration import MigrationSource

__all__ = [
    "FileContext",
    "Hit",
    "Rule",
    "StatementContext",
    "alter_actions",
    "alter_target",
    "created_table",
    "located",
    "norm",
    "split_top_level",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Hit:
    message: str
    help: str
    line: int | None = None  # default: the statement's line
    col: int | None = None


@dataclass
class FileContext:
    source: MigrationSource
    filename: str
    safe_suffix: bool
    strict: bool
    require_safe_suffix: bool
    require_rollback_section: bool
    infos: list[StatementInfo] = field(default_factory=list)


@dataclass
class StatementContext:
    info: StatementInfo
    file: FileContext
    new_tables: frozenset[str]  # tables created earlier in this file

    def is_new(self, table: str | None) -> bool:
        return table is not None and (
            table in self.new_tables or table.split(".")[-1] in self.new_tables
        )


@dataclass(frozen=True)
class Rule:
    """One check. ``severity`` applies in strict environments, ``relaxed`` in the others
    (None: the rule is silent there). ``policy.rules`` overrides both."""

    id: str
    severity: Severity
    relaxed: Severity | None
    summary: str
    check: Callable[[StatementContext], Iterable[Hit]] | None = None
    check_file: Callable[[FileContext], Iterable[Hit]] | None = None
    kinds: frozenset[str] | None = None  # statement kinds the check looks at; None: every kind


_NAME = r'(?:"(?:[^"]|"")+"|[A-Z_][A-Z0-9_$]*)(?:\.(?:"(?:[^"]|"")+"|[A-Z_][A-Z0-9_$]*))?'


_ALTER_TARGET = re.compile(rf"^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?({_NAME})")
_INDEX_TARGET = re.compile(rf"\bON (?:ONLY )?({_NAME})")
_CREATED = re.compile(
    rf"^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE (?:IF NOT EXISTS )?({_NAME})"
)


def norm(name: str) -> str:
    return name.replace('"', "").lower()


def created_table(info: StatementInfo) -> str | None:
    if info.kind != "create_table":
        return None
    m = _CREATED.match(info.shape)
    return norm(m.group(1)) if m else None


def alter_target(info: StatementInfo) -> str | None:
    m = _ALTER_TARGET.match(info.shape)
    return norm(m.group(1)) if m else None


def index_target(info: StatementInfo) -> str | None:
    m = _INDEX_TARGET.search(info.shape)
    return norm(m.group(1)) if m else None


_PUNCT = re.compile(r"[(),]")
_ALTER = re.compile(rf"^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?{_NAME}\s*")


def split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    depth, last = 0, 0
    for m in _PUNCT.finditer(text):
        ch = m.group(0)
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            parts.append(text[last : m.start()].strip())
            last = m.end()
    tail = text[last:].strip()
    if tail:
        parts.append(tail)
    return parts


def alter_actions(info: StatementInfo) -> list[str]:
    """The comma-separated actions of an ALTER TABLE, upper-cased with literals blanked."""
    if "actions" not in info.memo:
        m = _ALTER.match(info.shape) if info.kind == "alter_table" else None
        info.memo["actions"] = split_top_level(info.shape[m.end() :]) if m else []
    return list(info.memo["actions"])


def _column_offsets(info: StatementInfo) -> dict[str, int]:
    """Column name -> byte offset of its definition in the statement, from PostgreSQL's parser."""
    if "column_offsets" not in info.memo:
        found: dict[str, int] = {}
        try:
            from pglast import parser

            def walk(node: object) -> None:
                if isinstance(node, list | tuple):
                    for item in node:
                        walk(item)
                elif type(node).__name__ == "ColumnDef":
                    name = getattr(node, "colname", None)
                    location = getattr(node, "location", -1)
                    if name and isinstance(location, int) and location >= 0:
                        found.setdefault(str(name).lower(), location)
                elif hasattr(node, "__slots__"):
                    for slot in getattr(node, "__slots__", ()):
                        walk(getattr(node, slot, None))

            walk([raw.stmt for raw in parser.parse_sql(info.stmt.text)])
        except Exception:  # no tree: the finding stays on the statement's line
            found = {}
        info.memo["column_offsets"] = found
    offsets: dict[str, int] = info.memo["column_offsets"]
    return offsets


def located(info: StatementInfo, coldef: str, hit: Hit) -> Hit:
    """The hit placed on the column's own definition (line and column), not the statement's."""
    name = coldef.split()[0].replace('"', "").lower() if coldef.split() else ""
    offset = _column_offsets(info).get(name)
    if offset is None:
        return hit
    before = info.stmt.text.encode()[:offset].decode("utf-8", "ignore")
    line = info.stmt.line + before.count("\n")
    col = len(before) - before.rfind("\n") if "\n" in before else info.stmt.col + len(before)
    return Hit(hit.message, hit.help, line, col)


def column_defs(info: StatementInfo) -> list[str]:
    """Column definitions of CREATE TABLE (...) and of ALTER TABLE ... ADD [COLUMN]."""
    if "columns" not in info.memo:
        info.memo["columns"] = _column_defs(info)
    return list(info.memo["columns"])


def _column_defs(info: StatementInfo) -> list[str]:
    if info.kind == "create_table":
        start = info.shape.find("(")
        if start < 0:
            return []
        depth, end = 0, len(info.shape)
        for i in range(start, len(info.shape)):
            depth += {"(": 1, ")": -1}.get(info.shape[i], 0)
            if depth == 0:
                end = i
                break
        items = split_top_level(info.shape[start + 1 : end])
        return [
            c
            for c in items
            if not re.match(r"^(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE|LIKE)\b", c)
        ]
    if info.kind == "alter_table":
        out = []
        for a in alter_actions(info):
            m = re.match(
                r"^ADD (?:COLUMN )?(?:IF NOT EXISTS )?(?!CONSTRAINT\b|PRIMARY\b|UNIQUE\b|CHECK\b|FOREIGN\b|EXCLUDE\b)(.*)$",
                a,
            )
            if m:
                out.append(m.group(1))
        return out
    return []
