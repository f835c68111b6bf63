"""What every verb shares: the parser class (usage errors exit 64), options defined once,
the request a verb sends, and the stderr handler for engine events."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Literal, NoReturn

from reconciler.errors import Diagnostic, format_diagnostic

__all__ = [
    "ALL_FORMATS",
    "Parser",
    "add_common",
    "add_emergency",
    "attach_events",
    "print_diagnostics",
    "request",
]

EX_USAGE = 64
ALL_FORMATS = ("text", "markdown", "json", "sarif", "github")


class Parser(argparse.ArgumentParser):
    """argparse with the sysexits convention: a wrong command line exits 64 (EX_USAGE),
    so it is never mistaken for plan's 2 (changes pending)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EX_USAGE, f"{self.prog}: error: {message}\n")

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse builds a formatter for every argument it adds, and finds the terminal's
        # width through shutil (which loads bz2 and lzma: 3 ms of every command); the same
        # width, found directly
        return self.formatter_class(prog=self.prog, width=_terminal_width() - 2)  # type: ignore[call-arg]


def _terminal_width() -> int:
    """What shutil.get_terminal_size() gives: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def add_common(p: argparse.ArgumentParser, *, suppress: bool, formats: tuple[str, ...]) -> None:
    """--env, --root, --format (this verb's choices), --quiet: on the top level and on each verb."""
    d: Any = argparse.SUPPRESS
    p.add_argument(
        "--env",
        "-e",
        default=d if suppress else os.environ.get("RECONCILER_ENV"),
        help="environment name (environments/NAME.yaml) or path to its YAML file",
    )
    p.add_argument(
        "--root",
        default=d if suppress else ".",
        help="project folder holding environments/ (default: current folder)",
    )
    if formats:
        p.add_argument(
            "--format",
            "-f",
            choices=formats,
            default=d if suppress else "text",
            help=f"output format: {', '.join(formats)} (default text)",
        )
    p.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        default=d if suppress else False,
        help="no progress lines on stderr",
    )


def add_emergency(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--emergency", action="store_true", default=False, help=what)
    p.add_argument(
        "--reason",
        default=None,
        help="why (required with --emergency; recorded in the audit trail)",
    )


def add_migration_type(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--migration-type",
        choices=["schema_safe", "config_only", "data_migration", "hotfix"],
        default=None,
        help="the original's deploy types: schema_safe (every pending file a _safe one), "
        "config_only (config and forums, never a migration), data_migration (files whose "
        "header says Type: DATA may INSERT ... ON CONFLICT and UPDATE/DELETE with a WHERE), "
        "hotfix (the emergency path: needs --reason). Part of the plan hash.",
    )


def add_scope(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--only",
        choices=["migrations", "config", "forums"],
        default=None,
        help="plan or apply just this part (the scope is part of the plan hash and the audit "
        "record; approvals name the scoped plan)",
    )


def request(args: argparse.Namespace, mode: Literal["plan", "apply"] = "plan") -> Any:
    from reconciler.engine import Request

    return Request(
        env=args.env,
        mode=mode,
        root=args.root,
        emergency=getattr(args, "emergency", False)
        or getattr(args, "migration_type", None) == "hotfix",
        reason=getattr(args, "reason", None),
        scope=getattr(args, "only", None) or "all",
        expect_plan=getattr(args, "expect_plan", None),
        migration_type=getattr(args, "migration_type", None),
    )


_HANDLER: Any = None


def attach_events(quiet: bool) -> None:
    """Engine events as ``[env] kind: message`` lines on stderr (none with --quiet)."""
    if quiet:
        return
    import logging

    from reconciler.engine.events import LOGGER

    global _HANDLER
    if _HANDLER is None:  # built on first use: a verb that emits no events never loads logging

        class Stderr(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                env = getattr(record, "environment", "?")
                kind = getattr(record, "event", "event")
                print(f"[{env}] {kind}: {record.getMessage()}", file=sys.stderr, flush=True)

        _HANDLER = Stderr()
    if _HANDLER not in LOGGER.handlers:
        LOGGER.addHandler(_HANDLER)


def print_diagnostics(diags: list[Diagnostic]) -> None:
    for d in diags:
        print(format_diagnostic(d), file=sys.stderr)
