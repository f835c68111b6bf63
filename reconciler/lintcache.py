"""Lint results cached by file checksum, so repeated runs re-parse only changed files (I/O edge).

One JSON file per lint configuration in ``.reconciler/cache``, mapping a migration's
checksum and path to its diagnostics. A missing or corrupt cache is a miss, never an error.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.cachefile import source_fingerprint, write_whole
from reconciler.digest import sha256
from reconciler.errors import Diagnostic, SourceLocation
from reconciler.sql.lintconfig import LINT_VERSION, LintConfig

if TYPE_CHECKING:
    from reconciler.manifest import DesiredMigration

__all__ = ["LintCache", "dump_diagnostic", "load_diagnostic", "rules_fingerprint"]


@cache
def rules_fingerprint() -> str:
    """The rule-set version: a hash of the SQL checker's own source (the same on every
    checkout of the same code), so caches never outlive the rules and an approval names the
    rules that judged the plan."""
    h = sha256(f"{LINT_VERSION}|{source_fingerprint('sql', 'sql/rules')}".encode())
    return str(h.hexdigest())[:16]


def dump_diagnostic(d: Diagnostic) -> list[Any]:
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


def load_diagnostic(row: list[Any]) -> Diagnostic:
    code, message, hint, severity, file, line, col = row
    return Diagnostic(
        code, message, SourceLocation(file, line, col) if file else None, hint, severity
    )


# below this many misses and this much SQL in them, starting workers costs more than it saves
# (about 30 ms; linting runs at about 2 us per byte of SQL and 0.1 ms per file)
PARALLEL_THRESHOLD = 200
PARALLEL_BYTES = 64 * 1024


# the jobs of a parallel prefetch, set before the workers fork so that they read them from
# their copy of memory instead of receiving them pickled
_FORKED_JOBS: list[DesiredMigration] = []


def _lint_chunk(jobs: range, cfg: LintConfig) -> list[list[list[Any]]]:
    """Lint the forked jobs at these indices (in a worker process)."""
    from reconciler.policy import lint_file

    return [[dump_diagnostic(d) for d in lint_file(_FORKED_JOBS[i], cfg)] for i in jobs]


# results this process computed itself, by lint configuration: trusted by the gates (nobody
# else could have written them), so a long-running operator lints each file content once
_IN_PROCESS: dict[str, dict[str, list[list[Any]]]] = {}


def _balanced(misses: list[DesiredMigration], workers: int) -> list[list[DesiredMigration]]:
    """The files split into one chunk per worker of about equal work: the largest first, each
    to the chunk with the least SQL so far (a history's few large files, an extension's
    install script among its small upgrades, do not all land on one worker)."""
    chunks: list[list[DesiredMigration]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for m in sorted(misses, key=lambda m: len(m.source.text) + 256, reverse=True):
        i = loads.index(min(loads))
        chunks[i].append(m)
        loads[i] += len(m.source.text) + 256  # a file's own cost, however small
    return chunks


class LintCache:
    """Lint results by file content. With ``cache_dir``, also read from and written to disk
    (for validate and plan); without it (the gates), only this process's own results are used."""

    def __init__(self, cache_dir: Path | None, cfg: LintConfig) -> None:
        self.cfg = cfg
        fingerprint = cfg.fingerprint(rules_fingerprint())
        self.path = (
            None
            if cache_dir is None or os.environ.get("RECONCILER_NO_CACHE")
            else (cache_dir / f"lint-{fingerprint}.json")
        )
        self.entries: dict[str, list[list[Any]]] = (
            _IN_PROCESS.setdefault(fingerprint, {}) if cache_dir is None else {}
        )
        self.dirty = False
        self.hits = self.misses = 0
        if self.path is not None:
            try:
                self.entries = json.loads(self.path.read_text())
            except (OSError, ValueError):
                self.entries = {}

    @staticmethod
    def _key(m: DesiredMigration) -> str:
        # what earlier migrations proved counts as input: a VALIDATE added before changes it
        proven = f"|{sorted(m.proven)}" if m.proven else ""
        return f"{m.checksum}|{m.path}|{int(m.safe)}{proven}"

    def prefetch(self, migrations: Sequence[DesiredMigration]) -> None:
        """Lint the cache misses ahead of time, in parallel when there are many and cores to spare."""
        misses = [m for m in migrations if self._key(m) not in self.entries]
        workers = min(os.cpu_count() or 1, 8, len(misses))
        size = sum(len(m.source.text) for m in misses)
        if (len(misses) < PARALLEL_THRESHOLD and size < PARALLEL_BYTES) or workers < 2:
            return
        if threading.active_count() > 1:
            # a fork copies one thread only: a lock another thread held at that moment (the
            # operator's, the web UI's, logging's) stays held in the child for ever
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        chunks = _balanced(misses, workers)
        _FORKED_JOBS[:] = [m for chunk in chunks for m in chunk]
        bounds = [sum(len(c) for c in chunks[:i]) for i in range(workers + 1)]
        ranges = [range(bounds[i], bounds[i + 1]) for i in range(workers)]
        try:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                for chunk, rows in zip(
                    chunks, pool.map(_lint_chunk, ranges, [self.cfg] * workers), strict=True
                ):
                    for m, r in zip(chunk, rows, strict=True):
                        self.entries[self._key(m)] = r
                        self.dirty = True
        except (OSError, ValueError, RuntimeError):
            return  # no fork here (or it failed): lint one by one instead
        finally:
            _FORKED_JOBS.clear()

    def lint(self, m: DesiredMigration) -> list[Diagnostic]:
        key = self._key(m)
        rows = self.entries.get(key)
        if rows is not None:
            self.hits += 1
            return [load_diagnostic(r) for r in rows]
        self.misses += 1
        from reconciler.policy import lint_file  # the parser is loaded only on a miss

        result = lint_file(m, self.cfg)
        self.entries[key] = [dump_diagnostic(d) for d in result]
        self.dirty = True
        return result

    def lint_all(self, migrations: Sequence[DesiredMigration]) -> dict[str, list[Diagnostic]]:
        self.prefetch(migrations)
        out = {m.version: self.lint(m) for m in migrations}
        self.save()
        return out

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        if write_whole(str(self.path), json.dumps(self.entries, separators=(",", ":"))):
            self.dirty = False
