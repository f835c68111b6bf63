"""The ``reconcile`` command: one function per verb, each verb's help is its docstring.

``reconcile --env E`` with no verb applies. Exit codes: 0 done / in sync, 1 error,
2 changes pending (plan), 3 blocked by policy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal

from reconciler import __version__
from reconciler.engine import EXIT_BLOCKED, EXIT_OK, Outcome, Request, load, reconcile, validate
from reconciler.errors import ReconcilerError, format_diagnostic

__all__ = ["main"]

Verb = Callable[[argparse.Namespace], int]
VERBS: dict[str, Verb] = {}
MAX_LISTED = 50  # changes listed one per line after an apply; the rest are counted


def verb(fn: Verb) -> Verb:
    VERBS[fn.__name__.removeprefix("cmd_")] = fn
    return fn


def _events(args: argparse.Namespace) -> Callable[[str, str], None]:
    def emit(kind: str, msg: str) -> None:
        if not args.quiet:
            print(f"[{args.env}] {kind}: {msg}", file=sys.stderr, flush=True)

    return emit


def _run(args: argparse.Namespace, mode: Literal["plan", "apply"]) -> Outcome:
    request = Request(
        env=args.env,
        mode=mode,
        root=args.root,
        emergency=getattr(args, "emergency", False),
        reason=getattr(args, "reason", None),
    )
    return reconcile(request, on_event=_events(args))


def _print_gates(out: Outcome) -> None:
    for d in out.gate_failures:
        print(format_diagnostic(d), file=sys.stderr)


@verb
def cmd_plan(args: argparse.Namespace) -> int:
    """Show what apply would change, and whether the environment's policy allows it.

    Exit 0 in sync, 2 changes pending, 3 blocked by policy, 1 error. Never writes.
    """
    from reconciler.plan import render_plan

    out = _run(args, "plan")
    print(render_plan(out.plan, args.format, out.verdict))
    return out.exit_code


@verb
def cmd_apply(args: argparse.Namespace) -> int:
    """Plan, check the policy, and apply: migrations, then config, then the forum map.

    Exit 0 applied or already in sync, 3 blocked by policy or a gate, 1 error (nothing of
    the failing migration is applied).
    """
    from reconciler.plan import describe, plan_to_dict, render_plan

    out = _run(args, "apply")
    _print_gates(out)
    if args.format == "json":
        doc = plan_to_dict(out.plan, out.verdict)
        doc["applied"] = (
            None
            if out.applied is None
            else {
                "migrations": out.applied.migrations,
                "data_actions": out.applied.data_actions,
                "lock_retries": out.applied.lock_retries,
            }
        )
        doc["gate_failures"] = [format_diagnostic(d) for d in out.gate_failures]
        print(json.dumps(doc, indent=2, default=str))
    elif out.exit_code == EXIT_BLOCKED or out.applied is None:
        print(render_plan(out.plan, args.format, out.verdict))
    else:
        print(f"Applied to {out.plan.environment} ({out.plan.hash[:12]}):")
        shown = (
            out.plan.actions
            if len(out.plan.actions) <= MAX_LISTED
            else out.plan.actions[:MAX_LISTED]
        )
        for a in shown:
            print(f"  ✓ {describe(a)}")
        if len(shown) < len(out.plan.actions):
            rest = out.plan.actions[len(shown) :]
            counts: dict[str, int] = {}
            for a in rest:
                counts[a.kind] = counts.get(a.kind, 0) + 1
            print(
                f"  … and {len(rest)} more: "
                + ", ".join(f"{n} {k}" for k, n in counts.items())
                + " (--format json lists every change)"
            )
    return out.exit_code


def _status_doc(out: Outcome) -> dict[str, Any]:
    wanted = out.desired.wanted
    applied = [
        m
        for m in wanted
        if m.version in out.live.migrations and out.live.migrations[m.version].complete
    ]
    last = max(
        (m for m in out.live.migrations.values() if m.complete),
        key=lambda m: m.version,
        default=None,
    )
    return {
        "environment": out.desired.env.name,
        "database": out.target,
        "bookkeeping": out.live.bookkeeping,
        "migrations": {
            "applied": len(applied),
            "wanted": len(wanted),
            "pending": [a.version for a in out.plan.migrations],
            "target": out.desired.target or "latest",
            "last": None if last is None else f"{last.version}_{last.name}",
            "last_applied_at": None if last is None else str(last.applied_at),
        },
        "config": {"declared": len(out.desired.config or []), "live": len(out.live.config)},
        "forums": {
            "declared": len(out.desired.forums or []),
            "live": sum(1 for f in out.live.forums.values() if not f.archived),
            "archived": sum(1 for f in out.live.forums.values() if f.archived),
        },
        "in_sync": out.plan.empty,
        "pending_changes": out.plan.counts(),
        "plan_hash": out.plan.hash,
        "verdict": out.verdict.status,
        "findings": [f.to_dict() for f in out.plan.findings],
    }


@verb
def cmd_status(args: argparse.Namespace) -> int:
    """Summarise the environment: database, applied and pending migrations, config, forums, drift.

    Exit codes as for plan.
    """
    out = _run(args, "plan")
    doc = _status_doc(out)
    if args.format == "json":
        print(json.dumps(doc, indent=2, default=str))
        return out.exit_code
    m, c, f = doc["migrations"], doc["config"], doc["forums"]
    lines = [
        f"environment  {doc['environment']}",
        f"database     {doc['database']}",
        f"migrations   {m['applied']}/{m['wanted']} applied (target {m['target']}; last {m['last'] or '-'}"
        + (f" at {m['last_applied_at']})" if m["last"] else ")"),
        f"config       {c['declared']} declared, {c['live']} in the database",
        f"forums       {f['declared']} declared, {f['live']} live, {f['archived']} archived",
        f"state        {'in sync' if doc['in_sync'] else 'changes pending: ' + ', '.join(f'{v} {k}' for k, v in doc['pending_changes'].items())}",
        f"verdict      {doc['verdict']} (plan {out.plan.hash[:12]})",
    ]
    if args.format == "markdown":
        lines = ["| | |", "|---|---|"] + [
            f"| {ln.split(None, 1)[0]} | {ln.split(None, 1)[1]} |" for ln in lines
        ]
    print("\n".join(lines))
    for fnd in out.plan.findings:
        print(format_diagnostic(fnd.diagnostic()))
    return out.exit_code


@verb
def cmd_history(args: argparse.Namespace) -> int:
    """List the migrations the database records as applied (or part-way), oldest first."""
    out = _run(args, "plan")
    rows = sorted(out.live.migrations.values(), key=lambda m: m.version)
    if args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "version": m.version,
                        "name": m.name,
                        "checksum": m.checksum,
                        "applied_at": m.applied_at,
                        "applied_by": m.applied_by,
                        "duration_ms": m.duration_ms,
                        "statements_done": m.statements_done,
                        "complete": m.complete,
                    }
                    for m in rows
                ],
                indent=2,
                default=str,
            )
        )
        return EXIT_OK
    if not rows:
        print(f"{out.desired.env.name}: no migration applied yet")
        return EXIT_OK
    sep = "|" if args.format == "markdown" else " "
    head = ["version", "name", "applied_at", "applied_by", "ms", "state"]
    table = [
        [
            m.version,
            m.name,
            str(m.applied_at or "-")[:19],
            m.applied_by or "-",
            str(m.duration_ms if m.duration_ms is not None else "-"),
            "applied" if m.complete else f"part-way ({m.statements_done} done)",
        ]
        for m in rows
    ]
    widths = [max(len(r[i]) for r in [head, *table]) for i in range(len(head))]
    for r in [head, *table]:
        print(sep.join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


@verb
def cmd_validate(args: argparse.Namespace) -> int:
    """Check manifests and migrations against the environment's safety policy, without a database.

    With FILES, lint just those migration files; otherwise every migration up to the target.
    Output: file:line:col: severity[rule-id]: message, and a help: line (or --format json|sarif).
    Exit 0 clean (warnings allowed), 3 blocked by an error, 1 invalid manifests.
    """
    from reconciler.sql.report import render_diagnostics

    out = validate(Request(env=args.env, root=args.root, emergency=args.emergency), args.files)
    print(render_diagnostics(out.diagnostics, args.format, __version__, out.files_checked))
    return out.exit_code


@verb
def cmd_new(args: argparse.Namespace) -> int:
    """Write the next numbered migration file from the template (the original's migration:template).

    The name gets the _safe suffix when the environment requires it (prod by default).
    """
    from datetime import UTC, datetime

    from reconciler.sql.template import migration_filename, render_template

    desired = load(Request(env=args.env, root=args.root))
    policy = desired.env.policy
    folder = os.path.normpath(
        os.path.join(os.path.dirname(desired.env_file), desired.env.migrations.dir)
    )
    try:
        name = migration_filename(
            (m.version for m in desired.migrations),
            args.name,
            safe=policy.strict or policy.require_safe_suffix,
        )
        text = render_template(
            args.name, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), args.type
        )
    except ValueError as e:
        raise ReconcilerError(
            str(e), code="bad-name", hint="e.g. reconcile new add_user_prefs"
        ) from None
    path = os.path.join(folder, name)
    with open(path, "x", encoding="utf-8") as f:
        f.write(text)
    print(path)
    return EXIT_OK


@verb
def cmd_check(args: argparse.Namespace) -> int:
    """Check the pending migrations: the policy verdict, and with --trace their real locks and rewrites.

    --trace restores `pg_dump --schema-only` of the target into a shadow database on the
    embedded PostgreSQL, runs each pending statement there while a simulated writer is
    active, and reports per statement the locks its backend took and the tables it rewrote.
    ACCESS EXCLUSIVE on a table that existed before the migration, or a rewrite, is an error.
    Exit 0 clean, 3 blocked, 1 error. The target is only read.
    """
    from reconciler.engine import check

    out = check(
        Request(env=args.env, root=args.root, emergency=getattr(args, "emergency", False)),
        trace=args.trace,
    )
    if args.format == "json":
        print(
            json.dumps(
                {
                    "environment": out.plan.desired.env.name,
                    "pending": [a.version for a in out.plan.plan.migrations],
                    "statements": [
                        {
                            "location": str(t.location),
                            "statement": " ".join(t.statement.code.split())[:120],
                            "locks": [
                                {
                                    "relation": lk.relation,
                                    "mode": lk.mode,
                                    "preexisting": lk.preexisting,
                                    "waited": lk.waited,
                                }
                                for lk in t.locks
                            ],
                            "rewrites": t.rewrites,
                            "error": t.error,
                            "seconds": round(t.seconds, 4),
                        }
                        for t in out.traces
                    ],
                    "diagnostics": [format_diagnostic(d) for d in out.diagnostics],
                    "exit_code": out.exit_code,
                },
                indent=2,
            )
        )
        return out.exit_code
    for t in out.traces:
        head = " ".join(t.statement.code.split())[:70]
        locks = (
            ", ".join(
                f"{lk.relation} {lk.mode}{' (waited)' if lk.waited else ''}"
                for lk in t.locks
                if lk.preexisting
            )
            or "no locks on existing tables"
        )
        rewrites = f"; rewrites {', '.join(t.rewrites)}" if t.rewrites else ""
        print(
            f"{t.location}: {head}\n    {locks}{rewrites}"
            + (f"\n    failed: {t.error}" if t.error else "")
        )
    for d in out.diagnostics:
        print(format_diagnostic(d))
    pending = len(out.plan.plan.migrations)
    print(
        f"{pending} pending migration(s), {len(out.traces)} statement(s) traced: "
        f"{sum(d.severity == 'error' for d in out.diagnostics)} error(s)"
    )
    return out.exit_code


@verb
def cmd_init(args: argparse.Namespace) -> int:
    """Create the reconciler's bookkeeping schema (audit trail, approvals, history) as the database owner.

    --grant-approvers lets each listed approver's database login record approvals.
    """
    from reconciler.engine import init

    for note in init(Request(env=args.env, root=args.root), grant_approvers=args.grant_approvers):
        print(note)
    return EXIT_OK


@verb
def cmd_approve(args: argparse.Namespace) -> int:
    """Approve the current plan (or a restore) as your own database login.

    The hash must be the one `reconcile plan` shows now (or, with --restore, the one
    `reconcile restore` asked for); the database records your login, not a name you type.
    """
    from reconciler.engine import approve

    out = approve(Request(env=args.env, root=args.root), args.plan, restore=args.restore)
    note = "" if out.counted else " (not on the approver list: this approval does not count)"
    print(f"approved {out.plan_hash[:12]} as {out.approved_by}{note}")
    print(
        f"approvals: {len(out.received)}/{out.required}"
        + (f" ({', '.join(out.received)})" if out.received else "")
    )
    return EXIT_OK


@verb
def cmd_approvals(args: argparse.Namespace) -> int:
    """List recorded approvals and which of them count for the current plan."""
    from reconciler.engine import list_approvals

    current, all_, counted, required = list_approvals(Request(env=args.env, root=args.root))
    if args.format == "json":
        print(
            json.dumps(
                {
                    "plan_hash": current,
                    "required": required,
                    "counted": counted,
                    "approvals": [
                        {
                            "approver": a.approver,
                            "plan_hash": a.plan_hash,
                            "at": a.at,
                            "current": a.plan_hash == current,
                        }
                        for a in all_
                    ],
                },
                indent=2,
            )
        )
        return EXIT_OK
    print(
        f"current plan {current[:12]}: {len(counted)}/{required} approvals"
        + (f" ({', '.join(counted)})" if counted else "")
    )
    for a in all_:
        mark = (
            "counts"
            if a.approver in counted and a.plan_hash == current
            else ("current plan, not a listed approver" if a.plan_hash == current else "other plan")
        )
        print(f"  {a.at or ''}  {a.approver:16} {a.plan_hash[:12]}  {mark}")
    return EXIT_OK


@verb
def cmd_backup(args: argparse.Namespace) -> int:
    """Take a backup now with the environment's provider (Neon branch or pg_dump), then apply retention."""
    from reconciler.engine import take_backup

    info = take_backup(Request(env=args.env, root=args.root))
    print(f"{info.name}  {info.id}")
    return EXIT_OK


@verb
def cmd_backups(args: argparse.Namespace) -> int:
    """List the environment's backups, newest first."""
    from reconciler.engine import list_backups

    items = list_backups(Request(env=args.env, root=args.root))
    if args.format == "json":
        print(json.dumps([i.__dict__ for i in items], indent=2))
        return EXIT_OK
    for i in items:
        flags = ("" if i.ours else "  (not made by the reconciler)") + (
            "  (has child branches)" if i.has_children else ""
        )
        print(f"{i.created_at[:19]}  {i.name}  {i.id}{flags}")
    if not items:
        print("no backups")
    return EXIT_OK


@verb
def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup back in place (Neon branch restore keeps the old head under a name).

    Needs the same approvals as an apply, given for the restore's own hash, which this
    command prints when they are missing. Exit 3 while approvals are missing.
    """
    from reconciler.engine import restore

    out = restore(
        Request(env=args.env, root=args.root, emergency=args.emergency, reason=args.reason),
        args.backup,
        on_event=_events(args),
    )
    if out.status == "awaiting-approval":
        print(
            f"restore of {args.backup} needs {out.required} approvals of hash {out.restore_hash} "
            f"(have {len(out.received)}): reconcile approve --env {args.env} --restore {args.backup} "
            f"--plan {out.restore_hash}"
        )
        return EXIT_BLOCKED
    print(f"restored {args.env} from {args.backup}; the previous state is kept as {out.preserved}")
    return EXIT_OK


@verb
def cmd_audit(args: argparse.Namespace) -> int:
    """List the audit trail (newest first) with each event's webhook delivery state; retries owed deliveries."""
    from reconciler.engine import audit_events

    events, report = audit_events(Request(env=args.env, root=args.root), limit=args.limit)
    if args.format == "json":
        print(json.dumps(events, indent=2, default=str))
        return EXIT_OK
    for e in events:
        state = (
            "delivered"
            if e["delivered_at"]
            else f"pending ({e['attempts']} attempts: {e['last_error']})"
            if e["has_outbox"]
            else "no webhook"
        )
        flag = " EMERGENCY" if e["emergency"] else ""
        print(
            f"#{e['id']} {str(e['at'])[:19]} {e['action']:18} {e['outcome']:10} {e['actor']}"
            f"{flag}  plan {str(e['plan_hash'] or '-')[:12]}  {state}"
        )
    if report is not None and report.pending:
        print(
            f"{report.pending} event(s) not delivered yet"
            + (f": {report.errors[-1]}" if report.errors else "")
        )
    return EXIT_OK


@verb
def cmd_watch(args: argparse.Namespace) -> int:
    """Watch the manifests and reconcile on every settled change (the dev agent).

    Applies when the environment's policy has auto_apply (dev); otherwise prints the plan.
    A bad edit prints its located error and the agent keeps going. Ctrl-C (or SIGTERM)
    finishes the step in progress and exits 0; a second one aborts at once.
    """
    from reconciler.watch import Log, supervise, worker

    log = Log(args.env, args.log_format)
    if args.worker:
        return worker(
            Request(env=args.env, root=args.root),
            log,
            fault=os.environ.get("RECONCILER_WATCH_FAULT"),
        )
    try:
        first = load(Request(env=args.env, root=args.root)).env.watch.restart_backoff_ms / 1000
    except ReconcilerError:
        first = 0.5  # the worker reports the manifest error and keeps watching
    argv = ["watch", "--env", args.env, "--root", args.root, "--log-format", args.log_format]
    return supervise(argv, log, first_backoff=first)


@verb
def cmd_package(args: argparse.Namespace) -> int:
    """Write the ConfigMap (YAML, to stdout) that a DatabaseSync's source.configMapRef points at.

    It holds the environment file and every file it loads (migrations, config, forum map).
    """
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import LiteralScalarString

    from reconciler.engine import package

    name = args.name or f"reconciler-{args.env}"
    cm = package(Request(env=args.env, root=args.root), name, args.namespace)

    data = cm["data"]
    assert isinstance(data, dict)
    cm["data"] = {k: LiteralScalarString(v) if "\n" in v else v for k, v in data.items()}
    out = io.StringIO()
    YAML().dump(cm, out)
    print(out.getvalue(), end="")
    return EXIT_OK


@verb
def cmd_operator(args: argparse.Namespace) -> int:
    """Run the Kubernetes operator (kopf) that reconciles DatabaseSync resources.

    Health at :8080/healthz (kopf), metrics and readiness at :9090/metrics and /readyz,
    the admission webhook at :9443 when --webhook-port is given.
    """
    import asyncio

    import kopf

    os.environ.setdefault("RECONCILER_METRICS_PORT", str(args.metrics_port))
    if args.webhook_port:
        os.environ.setdefault("RECONCILER_WEBHOOK_PORT", str(args.webhook_port))
    import reconciler.operator.handlers  # noqa: F401 - registers the handlers (reads the ports above)

    kopf.configure(verbose=False, debug=False)
    asyncio.run(
        kopf.operator(
            clusterwide=not args.namespace,
            namespaces=args.namespace or [],
            standalone=args.standalone,
            liveness_endpoint=f"http://0.0.0.0:{args.health_port}/healthz",
        )
    )
    return EXIT_OK


def _verb_arguments(name: str, p: argparse.ArgumentParser) -> None:
    """Arguments that only some verbs take."""
    if name == "validate":
        p.add_argument(
            "files",
            nargs="*",
            metavar="FILES",
            help="migration files to check (default: every migration up to the target)",
        )
    if name in ("validate", "apply", "plan", "check"):
        p.add_argument(
            "--emergency",
            action="store_true",
            default=False,
            help="hotfix path: lint errors become warnings, except unparsed SQL and credentials",
        )
        p.add_argument("--reason", default=None, help="why (required with --emergency)")
    if name == "watch":
        p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    if name == "package":
        p.add_argument("--name", help="ConfigMap name (default reconciler-<env>)")
        p.add_argument(
            "--namespace", default="default", help="ConfigMap namespace (default default)"
        )
    if name == "operator":
        p.add_argument(
            "--namespace", "-n", action="append", help="watch only this namespace (repeatable)"
        )
        p.add_argument(
            "--standalone", action="store_true", help="no peering (only for a single replica)"
        )
        p.add_argument("--health-port", type=int, default=8080)
        p.add_argument("--metrics-port", type=int, default=9090)
        p.add_argument(
            "--webhook-port",
            type=int,
            default=0,
            help="serve the admission webhook (TLS from RECONCILER_WEBHOOK_CERT/KEY)",
        )
    if name == "init":
        p.add_argument(
            "--grant-approvers",
            action="store_true",
            help="let the listed approvers' logins approve",
        )
    if name == "approve":
        p.add_argument(
            "--plan", required=True, metavar="HASH", help="the plan (or restore) hash you approve"
        )
        p.add_argument(
            "--restore",
            metavar="BACKUP",
            help="approve the restore of this backup instead of a plan",
        )
    if name == "restore":
        p.add_argument("--backup", required=True, help="backup id or name (see reconcile backups)")
        p.add_argument(
            "--emergency",
            action="store_true",
            default=False,
            help="mark the restore as an emergency",
        )
        p.add_argument("--reason", default=None, help="why (recorded in the audit trail)")
    if name == "audit":
        p.add_argument("--limit", type=int, default=50, help="how many events (default 50)")
    if name == "check":
        p.add_argument(
            "--trace",
            action="store_true",
            help="run the pending migrations on a shadow copy and trace locks",
        )
    if name == "new":
        p.add_argument("name", help="what the migration does, e.g. add_user_prefs")
        p.add_argument(
            "--type",
            choices=["SAFE", "DATA", "HOTFIX"],
            default="SAFE",
            help="the header's Type (default SAFE)",
        )


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)

    def add_common(p: argparse.ArgumentParser, suppress: bool) -> None:
        d: Any = argparse.SUPPRESS if suppress else None
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
        p.add_argument(
            "--format",
            "-f",
            choices=["text", "markdown", "json", "sarif"],
            default=d if suppress else "text",
            help="output format (default text; sarif for validate only)",
        )
        p.add_argument(
            "--log-format",
            choices=["text", "json"],
            default=d if suppress else "text",
            help="progress lines as text (coloured on a terminal) or one JSON object per line",
        )
        p.add_argument(
            "--quiet",
            "-q",
            action="store_true",
            default=d if suppress else False,
            help="no progress lines on stderr",
        )

    parser = argparse.ArgumentParser(
        prog="reconcile",
        description="Keep a PostgreSQL database in the state declared in git. "
        "`reconcile --env E` applies; see the verbs below.",
        epilog="exit codes: 0 ok/in sync, 1 error, 2 changes pending (plan), 3 blocked by policy",
    )
    parser.add_argument("--version", action="version", version=f"neon-reconciler {__version__}")
    parser.add_argument(
        "--watch",
        "-w",
        action="store_true",
        help="with no verb: run the dev agent (reconcile watch)",
    )
    add_common(parser, suppress=False)
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for name, fn in VERBS.items():
        doc = (fn.__doc__ or "").strip()
        p = sub.add_parser(
            name,
            help=doc.splitlines()[0],
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common],
        )
        add_common(p, suppress=True)
        _verb_arguments(name, p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import gc

    # a one-shot command allocates many small objects and exits: collecting young objects
    # every 700 allocations costs about 10% of a cold validate; long-running loops reset this
    gc.set_threshold(100_000, 50, 100)
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.env and args.verb != "operator":  # the operator reads environments from resources
        parser.error("--env is required (or set RECONCILER_ENV)")
    fn = VERBS[args.verb or ("watch" if args.watch else "apply")]
    if fn is VERBS["watch"] and not hasattr(args, "worker"):
        args.worker = False
    if args.format == "sarif" and args.verb != "validate":
        parser.error("--format sarif is only for validate")
    if getattr(args, "emergency", False) and not (getattr(args, "reason", None) or "").strip():
        parser.error("--emergency needs --reason TEXT")
    try:
        return fn(args)
    except ReconcilerError as e:
        for d in e.diagnostics:
            print(format_diagnostic(d), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _entry() -> None:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
