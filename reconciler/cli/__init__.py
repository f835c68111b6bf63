"""The ``reconcile`` command, alembic-style: one module per verb, holding its arguments and
its presenter; each verb's help is the docstring of its ``run``.

``reconcile --env E`` with no verb applies. Exit codes: 0 done / in sync, 1 error,
2 changes pending (plan), 3 blocked by policy, 4 a post-migration check failed,
64 wrong command line (EX_USAGE),
141 output pipe closed early (as SIGPIPE would).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from types import ModuleType
from typing import NoReturn

from reconciler import __version__
from reconciler.cli.common import ALL_FORMATS, EX_USAGE, Parser, add_common, attach_events
from reconciler.errors import ReconcilerError, format_diagnostic

__all__ = ["main"]

VERBS = [
    "plan",
    "apply",
    "status",
    "history",
    "validate",
    "new",
    "check",
    "diff",
    "init",
    "approve",
    "approvals",
    "backup",
    "backups",
    "restore",
    "repair",
    "verify",
    "audit",
    "watch",
    "package",
    "operator",
    "github",
    "ui",
    "stop",
]
EXIT_PIPE = 141


def _verb(name: str) -> ModuleType:
    return import_module(f"reconciler.cli.verbs.{name}")


# the top-level options that take a value (the verb cannot be that value)
_VALUED = frozenset(("--env", "-e", "--root", "--format", "-f", "--log-format"))


def _wanted(argv: Sequence[str]) -> list[str]:
    """The verbs whose parsers this command line needs: the one it names; with none, the
    default ones (apply, and watch for --watch); every verb for top-level help or anything
    not recognised, so argparse answers as it always does. Building one verb's parser instead
    of all 23 saves about 9 ms of every command."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            return list(VERBS)
        if token.startswith("-"):
            i += 2 if token in _VALUED else 1
            continue
        return ["apply", token] if token in VERBS else list(VERBS)
    return list(VERBS) if any(t in ("-h", "--help") for t in argv) else ["apply", "watch"]


def _parser(wanted: Sequence[str] = VERBS) -> tuple[Parser, dict[str, ModuleType]]:
    parser = Parser(
        prog="reconcile",
        description="Keep a PostgreSQL database in the state declared in git. "
        "`reconcile --env E` applies; see the verbs below.",
        epilog="exit codes: 0 ok/in sync, 1 error, 2 changes pending (plan), 3 blocked by "
        "policy, 4 a post-migration check failed, 64 wrong command line",
    )
    parser.add_argument("--version", action="version", version=f"neon-reconciler {__version__}")
    parser.add_argument(
        "--watch",
        "-w",
        action="store_true",
        help="with no verb: run the dev agent (reconcile watch)",
    )
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="with --watch: progress lines as text or one JSON object per line",
    )
    verbs = {name: _verb(name) for name in VERBS if name in wanted}
    add_common(parser, suppress=False, formats=verbs["apply"].FORMATS)
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=Parser)
    for name, mod in verbs.items():
        doc = (mod.run.__doc__ or "").strip()
        p = sub.add_parser(
            name,
            help=doc.splitlines()[0],
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_common(p, suppress=True, formats=mod.FORMATS)
        mod.arguments(p)
    return parser, verbs


def main(argv: Sequence[str] | None = None) -> int:
    import gc

    # a one-shot command allocates many small objects and exits: collecting young objects
    # every 700 allocations costs about 10% of a cold validate; long-running loops reset this
    gc.set_threshold(100_000, 50, 100)
    parser, verbs = _parser(_wanted(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    name = args.verb or ("watch" if args.watch else "apply")
    mod = verbs[name]
    needs_env = getattr(mod, "needs_env", lambda args: getattr(mod, "NEEDS_ENV", True))
    if not args.env and needs_env(args):
        parser.error(
            "--env is required (or set RECONCILER_ENV)"
            + (getattr(mod, "WITHOUT_ENV", "") and f"; {mod.WITHOUT_ENV}")
            + _environments_here(getattr(args, "root", None))
        )
    problem = getattr(mod, "usage_problem", lambda args: None)(args)
    if problem:
        parser.error(problem)
    if mod.FORMATS and args.format not in mod.FORMATS:
        parser.error(f"{name} has no --format {args.format} (choose from {', '.join(mod.FORMATS)})")
    hotfix = getattr(args, "migration_type", None) == "hotfix"
    if (getattr(args, "emergency", False) or hotfix) and not (
        getattr(args, "reason", None) or ""
    ).strip():
        parser.error(
            f"{'--migration-type hotfix' if hotfix else '--emergency'} needs --reason TEXT"
        )
    # the dev agent and the operator route engine events their own way
    if getattr(mod, "EVENTS", True):  # a verb that never reaches the engine's events says so
        attach_events(args.quiet or name in ("watch", "operator"))
    try:
        return int(mod.run(args))
    except ReconcilerError as e:
        for d in e.diagnostics:
            print(format_diagnostic(d), file=sys.stderr)
        if getattr(args, "format", "text") in ("json", "sarif", "github", "markdown"):
            # what reads the output as JSON, SARIF, workflow commands or a pull request
            # comment (a CI step, code scanning's upload) gets the errors in that form too,
            # not an empty stdout
            from reconciler import __version__
            from reconciler.sql.report import render_diagnostics

            print(render_diagnostics(e.diagnostics, args.format, __version__, 0))
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`reconcile plan | head -1`): stop quietly, as SIGPIPE would
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE


def _environments_here(root: str | None) -> str:
    """What --env could name under the project folder, for the error that asks for it."""
    folder = os.path.join(root or ".", "environments")
    try:
        names = sorted(
            n.rsplit(".", 1)[0] for n in os.listdir(folder) if n.endswith((".yaml", ".yml"))
        )
    except OSError:
        return f"; there is no {folder}/ here: run in the project folder, or give --root"
    return f"; environments here: {', '.join(names)}" if names else ""


def _entry() -> None:  # pragma: no cover
    # The command's own process: no pydantic plugin has any business validating our
    # manifests, and looking for one scans every installed distribution's metadata (about
    # 30 ms of every command). An explicit setting is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _seed_versions()
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_PIPE
    _leave(code)


# the modules through which psycopg and its compiled part learn their versions
_VERSION_MODULES = {"psycopg.version": "psycopg", "psycopg_binary.version": "psycopg_binary"}


def _seed_versions() -> None:
    """Give psycopg and psycopg-binary their versions before they are imported, read from
    the names of their installed .dist-info folders: their own version modules ask
    importlib.metadata, whose import and search of every path cost about 12 ms of every
    command that connects. Where a folder is not there exactly once (another layout, an
    editable install), the package reads its version itself, as before."""
    import importlib.util
    import types

    for module, package in _VERSION_MODULES.items():
        if module in sys.modules or package in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.origin:
            continue
        site = os.path.dirname(os.path.dirname(spec.origin))
        try:
            names = os.listdir(site)
        except OSError:
            continue
        prefix = f"{package}-"
        found = [
            n[len(prefix) : -len(".dist-info")]
            for n in names
            if n.startswith(prefix) and n.endswith(".dist-info")
        ]
        if len(found) == 1 and found[0]:
            seeded = types.ModuleType(module)
            seeded.__version__ = found[0]  # type: ignore[attr-defined]
            sys.modules[module] = seeded


def _leave(code: int) -> NoReturn:
    """End the command's process without tearing the interpreter down: freeing every object
    one by one took about 45 ms after a 10,000-entry apply, longer than reading the live rows.
    What an exit owes is still done: the exit handlers run (logging's flush, pools, temporary
    folders) and both streams are flushed. Only with no other thread alive, which a normal
    exit would wait for; otherwise it is a normal exit."""
    import atexit
    import threading

    if threading.active_count() != 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # (a reader gone, or a stream a handler closed)
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code)


__all__ += ["ALL_FORMATS", "EX_USAGE"]
