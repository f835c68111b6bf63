"""The error tree: every failure the tool reports, with where it happened and how to fix it.

Errors carry structured fields (a :class:`SourceLocation`, a stable ``code``, a ``hint``);
they are turned into text only at the front doors, with :func:`format_diagnostic`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from reconciler.records import cheap_init

__all__ = [
    "ApplyRefused",
    "DatabaseUnavailable",
    "Diagnostic",
    "LockHeld",
    "ManifestError",
    "MigrationFailed",
    "ReconcilerError",
    "Severity",
    "SourceLocation",
    "format_diagnostic",
    "printable",
]

Severity = Literal["error", "warning", "info"]


@cheap_init
@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in a file; ``line`` and ``col`` are 1-based, 0 when unknown."""

    file: str
    line: int = 0
    col: int = 0

    @classmethod
    def of_offset(cls, file: str, text: str, offset: int) -> SourceLocation:
        """Where character ``offset`` of ``text`` (the file's contents) is."""
        return cls(file, text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{max(self.col, 1)}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the desired state, the SQL or the database."""

    code: str
    message: str
    location: SourceLocation | None = None
    hint: str | None = None
    severity: Severity = "error"


# what a terminal or a log viewer acts on instead of showing: C0 and C1 control characters
# but newline and tab (ESC starts the sequences that colour, erase and move the cursor; a
# carriage return rewrites the line) and the bidirectional overrides that reorder what is
# shown ("Trojan Source"): in a file name or quoted SQL, they could hide an error line or
# write a verdict over it
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with what a terminal would act on shown as escapes (``\\x1b``)."""
    if _UNPRINTABLE.search(text) is None:
        return text  # (nearly always)
    return _UNPRINTABLE.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text
    )


def format_diagnostic(d: Diagnostic) -> str:
    """Compiler-style text: ``file:line:col: error[code]: message`` and a ``help:`` line,
    what a terminal would act on in them shown as escapes (:func:`printable`)."""
    where = f"{d.location}: " if d.location else ""
    text = f"{where}{d.severity}[{d.code}]: {d.message}"
    if d.hint:
        text += f"\n  help: {d.hint}"
    return printable(text)


class ReconcilerError(Exception):
    """Base of every error the tool reports on purpose. Exit code 1 unless said otherwise."""

    code: str = "error"
    exit_code: int = 1
    # True when trying again later may succeed without anyone changing anything (a database
    # that is waking up, a lock another run holds, a rate limit): loops retry these with
    # backoff; anything else needs a person and is reported as stalled
    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        location: SourceLocation | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint
        if code is not None:
            self.code = code

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [Diagnostic(self.code, self.message, self.location, self.hint)]


class ManifestError(ReconcilerError):
    """The desired state (YAML, SQL files, paths) is invalid. Holds every problem found."""

    code = "manifest"

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        items = sorted(
            diagnostics, key=lambda d: (d.location or SourceLocation(""), d.code, d.message)
        )
        first = items[0] if items else Diagnostic("manifest", "invalid manifest")
        super().__init__(first.message, location=first.location, hint=first.hint, code=first.code)
        self._items = items

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self._items)


class DatabaseUnavailable(ReconcilerError):
    """The database could not be reached after bounded retries."""

    code = "database-unavailable"
    transient = True


class ApplyRefused(ReconcilerError):
    """Apply is refused before any change (pooler host, missing embedded permission, ...)."""

    code = "apply-refused"


class LockHeld(ReconcilerError):
    """Another reconciler holds the environment's advisory lock."""

    code = "lock-held"
    transient = True


class HistoryTampered(ReconcilerError):
    """A file applied in this run changed the tool's own schema (the history of applied
    migrations, or what guards the audit log and the approvals; the tool put it back): the
    run fails so that someone reads those files."""

    code = "history-tampered"

    def __init__(
        self,
        message: str,
        *,
        found: Sequence[str],
        location: SourceLocation | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, location=location, hint=hint, code=code)
        self.found = list(found)  # what was changed, each as "<what> added|removed|changed"


class MigrationFailed(ReconcilerError):
    """A statement failed; its migration was rolled back (or stopped at a recorded point)."""

    code = "migration-failed"

    def __init__(
        self,
        message: str,
        *,
        location: SourceLocation | None = None,
        hint: str | None = None,
        sqlstate: str | None = None,
        version: str | None = None,
    ) -> None:
        super().__init__(message, location=location, hint=hint)
        self.sqlstate = sqlstate
        self.version = version
