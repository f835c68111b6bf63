"""reconcile watch: the dev agent."""

from __future__ import annotations

import argparse
import os

from reconciler.cli.common import request
from reconciler.errors import ReconcilerError

FORMATS: tuple[str, ...] = ()


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=argparse.SUPPRESS,  # also on the top level, for `reconcile --env E --watch`
        help="progress lines as text (coloured on a terminal) or one JSON object per line",
    )
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Watch the manifests and reconcile on every settled change (the dev agent).

    Applies when the environment's policy has auto_apply (dev); otherwise prints the plan.
    A bad edit prints its located error and the agent keeps going. Ctrl-C (or SIGTERM)
    finishes the step in progress and exits 0; a second one aborts at once.
    """
    from reconciler.engine import load
    from reconciler.watch import Log, supervise, worker

    log_format = getattr(args, "log_format", "text")
    log = Log(args.env, log_format)
    if getattr(args, "worker", False):
        return worker(request(args), log, fault=os.environ.get("RECONCILER_WATCH_FAULT"))
    try:
        first = load(request(args)).env.watch.restart_backoff_ms / 1000
    except ReconcilerError:
        first = 0.5  # the worker reports the manifest error and keeps watching
    argv = ["watch", "--env", args.env, "--root", args.root, "--log-format", log_format]
    return supervise(argv, log, first_backoff=first)
