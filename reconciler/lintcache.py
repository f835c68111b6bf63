"""Lint results cached by file checksum, so repeated runs re-parse only changed files (I/O edge).

One JSON file per lint configuration in ``.reconciler/cache``, mapping a migration's
checksum and path to its diagnostics. A missing or corrupt cache is a miss, never an error.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reconciler.errors import Diagnostic, SourceLocation
from reconciler.manifest import DesiredMigration
from reconciler.sql.lint import LintConfig, lint_migration

__all__ = ["LintCache"]


def _dump(d: Diagnostic) -> list[Any]:
    loc = d.location
    return [
        d.code,
        d.message,
        d.hint,
        d.severity,
        loc.file if loc else None,
        loc.line if loc else 0,
        loc.col if loc else 0,
    ]


def _load(row: list[Any]) -> Diagnostic:
    code, message, hint, severity, file, line, col = row
    return Diagnostic(
        code, message, SourceLocation(file, line, col) if file else None, hint, severity
    )


class LintCache:
    def __init__(self, cache_dir: Path | None, cfg: LintConfig) -> None:
        self.cfg = cfg
        self.path = (
            None
            if cache_dir is None or os.environ.get("RECONCILER_NO_CACHE")
            else (cache_dir / f"lint-{cfg.fingerprint()}.json")
        )
        self.entries: dict[str, list[list[Any]]] = {}
        self.dirty = False
        self.hits = self.misses = 0
        if self.path is not None:
            try:
                self.entries = json.loads(self.path.read_text())
            except (OSError, ValueError):
                self.entries = {}

    def lint(self, m: DesiredMigration) -> list[Diagnostic]:
        key = f"{m.checksum}|{m.path}|{int(m.safe)}"
        rows = self.entries.get(key)
        if rows is not None:
            self.hits += 1
            return [_load(r) for r in rows]
        self.misses += 1
        result = lint_migration(m.source, m.filename, m.safe, self.cfg)
        self.entries[key] = [_dump(d) for d in result]
        self.dirty = True
        return result

    def lint_all(self, migrations: Iterable[DesiredMigration]) -> dict[str, list[Diagnostic]]:
        out = {m.version: self.lint(m) for m in migrations}
        self.save()
        return out

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                json.dump(self.entries, f, separators=(",", ":"))
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            pass
