"""What every verb shares: the parser class (usage errors exit 64), options defined once,
the request a verb sends, and the stderr handler for engine events."""

from __future__ import annotations

import argparse
import logging
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


class _Stderr(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        env = getattr(record, "environment", "?")
        kind = getattr(record, "event", "event")
        print(f"[{env}] {kind}: {record.getMessage()}", file=sys.stderr, flush=True)


def attach_events(quiet: bool) -> None:
    """Engine events as ``[env] kind: message`` lines on stderr (none with --quiet)."""
    from reconciler.engine.events import LOGGER

    if not quiet and not any(isinstance(h, _Stderr) for h in LOGGER.handlers):
        LOGGER.addHandler(_Stderr())


def print_diagnostics(diags: list[Diagnostic]) -> None:
    for d in diags:
        print(format_diagnostic(d), file=sys.stderr)
