"""reconcile validate: lint manifests and migrations without a database."""

from __future__ import annotations

import argparse

from reconciler.cli.common import add_emergency, request

FORMATS = ("text", "json", "sarif", "github")
EVENTS = False  # validate reads files and reports; it emits no engine events
WITHOUT_ENV = "or name the migration FILES to check them under a strict environment's rules"


def needs_env(args: argparse.Namespace) -> bool:
    """Named files can be checked on their own, as another linter would."""
    return not args.files


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILES",
        help="migration files, or folders of them, to check (default: every migration up to "
        "the target); "
        "without --env, under a strict environment's default rules",
    )
    add_emergency(
        p, "lint as the hotfix path: errors become warnings, except unparsed SQL and credentials"
    )
    p.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="ID=SEVERITY",
        help="for FILES checked without --env: a rule's severity (error, warning or off), as "
        "an environment's policy.rules sets it; repeatable",
    )
    p.add_argument(
        "--relaxed",
        action="store_true",
        default=False,
        help="for FILES checked without --env: the rules as a non-strict environment has them "
        "(no allow-list; most findings warnings)",
    )


def usage_problem(args: argparse.Namespace) -> str | None:
    """--rule and --relaxed stand in for a policy only where there is none."""
    if args.env and (args.rule or args.relaxed):
        return (
            "--rule and --relaxed are for FILES checked without an environment (--env, or "
            "RECONCILER_ENV, names one): an environment's policy (its policy.strict and "
            "policy.rules) decides its rules"
        )
    for spec in args.rule:
        rule, _, severity = spec.partition("=")
        if not rule.strip() or severity.strip() not in ("error", "warning", "off"):
            return f"--rule {spec}: write ID=error, ID=warning or ID=off"
    return None


def run(args: argparse.Namespace) -> int:
    """Check manifests and migrations against the environment's safety policy, without a database.

    With FILES (files, or folders of them), lint just those; otherwise every migration up to
    the target.
    FILES without --env are checked under a strict environment's default rules, without the
    project's naming and rollback-section conventions.
    Output: file:line:col: severity[rule-id]: message, and a help: line (or --format json,
    sarif for code scanning, or github for inline pull-request annotations in Actions).
    Exit 0 clean (warnings allowed), 3 blocked by an error, 1 invalid manifests or a path
    that names nothing.
    """
    from reconciler import __version__
    from reconciler.engine import validate
    from reconciler.sql.report import render_diagnostics

    rules = {
        rule.strip(): severity.strip()
        for rule, _, severity in (spec.partition("=") for spec in args.rule)
    }
    out = validate(request(args), args.files, rules, args.relaxed)
    key = f"{args.format}|{__version__}"
    text = out.rendered(key)  # an unchanged run prints what the last one printed
    if text is None:
        text = render_diagnostics(out.diagnostics, args.format, __version__, out.files_checked)
        out.remember(key, text)
    print(text)
    return out.exit_code
