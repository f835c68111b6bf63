"""kopf handlers for DatabaseSync: every trigger ends in the same engine call as the CLI.

Triggers: create, resume, any change of spec or annotations (approvals and the
``requested-at`` annotation included), a change of a ConfigMap made by ``reconcile package``
that a DatabaseSync reads (watched by label; the operator then requests a run of each
reader), and a timer that re-runs each resource every ``spec.interval`` to find drift. Runs
of one resource are serialised. Transient failures (``ReconcilerError.transient``: database
or Neon unreachable, a missing Secret, the lock held elsewhere) become
``kopf.TemporaryError`` with backoff; anything else sets Stalled with the located message
and waits for a change. Status goes through kopf's ``patch`` (so a refused write is kopf's
error, logged, counted and retried, never swallowed) and Events through ``kopf.event``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import kopf

from reconciler import memory
from reconciler.approvals import AnnotationApprovals
from reconciler.engine import EXIT_ERROR, LOGGER, SCOPE, Outcome, Request, reconcile
from reconciler.errors import ReconcilerError, format_diagnostic
from reconciler.kube import APPROVAL_PREFIX, GROUP, PACKAGE_LABEL, PLURAL, REQUESTED_AT, VERSION
from reconciler.manifest.models import parse_duration
from reconciler.manifest.package import files_from_configmap, package_digest
from reconciler.operator.cluster import get_configmap, get_secret_value, readers_of, request_run
from reconciler.operator.metrics import METRICS
from reconciler.operator.status import Result, status_for
from reconciler.retry import backoff

# engine runs are blocking (psycopg): a bounded pool keeps threads (and malloc arenas) few
_POOL = ThreadPoolExecutor(
    max_workers=int(os.environ.get("RECONCILER_WORKERS", "4")), thread_name_prefix="reconcile"
)
_loggers: dict[str, Any] = {}  # scope (namespace/name) -> the object's kopf logger
_in_flight = 0  # engine runs under way (counted on the event loop's thread)


class _ToObjectLogger(logging.Handler):
    """Engine events of a run go to the kopf logger of the DatabaseSync the run is for."""

    def emit(self, record: logging.LogRecord) -> None:
        target = _loggers.get(str(getattr(record, "scope", "")))
        if target is not None:
            target.info(f"{getattr(record, 'event', 'event')}: {record.getMessage()}")


LOGGER.addHandler(_ToObjectLogger())


def interval_seconds(value: str | None) -> float:
    """``spec.interval`` (5m, 30s, 1h) in seconds; 5 minutes when absent or unreadable."""
    try:
        return parse_duration(value or "5m") / 1000
    except ValueError:
        return 300.0


def _now(millis: bool = False) -> str:
    t = datetime.now(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond // 1000:03d}Z" if millis else "Z")


@kopf.on.login()
def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    url = os.environ.get("RECONCILER_KUBE_URL")
    if url:
        return kopf.ConnectionInfo(server=url.rstrip("/"), insecure=url.startswith("http:"))
    # in a cluster: the service account (kopf logs in again on a 401, re-reading the token)
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.finalizer = "reconciler.neonsync.dev/finalizer"
    settings.posting.level = logging.WARNING  # Events come from kopf.event below, not from logs
    settings.watching.server_timeout = 300
    settings.peering.name = os.environ.get("RECONCILER_PEERING", "neon-reconciler")
    port = os.environ.get("RECONCILER_WEBHOOK_PORT")
    if port:
        cert, key = (
            os.environ.get("RECONCILER_WEBHOOK_CERT"),
            os.environ.get("RECONCILER_WEBHOOK_KEY"),
        )
        settings.admission.server = kopf.WebhookServer(
            addr=os.environ.get("RECONCILER_WEBHOOK_ADDR", "0.0.0.0"),
            port=int(port),
            certfile=cert,
            pkeyfile=key,
            insecure=not cert,
        )
    metrics_port = os.environ.get("RECONCILER_METRICS_PORT")
    if metrics_port:
        from reconciler.operator.metrics import serve

        await serve(os.environ.get("RECONCILER_METRICS_ADDR", "0.0.0.0"), int(metrics_port))
    METRICS.ready = True


async def _request(
    namespace: str, spec: dict[str, Any], body: kopf.Body
) -> tuple[Request, str, str | None]:
    """The engine request for this resource (files or root, secrets), where the manifests are,
    and the digest of the ConfigMap read (so a changed package is noticed)."""
    source = spec.get("source") or {}
    kw: dict[str, Any] = {}
    digest = None
    if source.get("configMapRef"):
        ref = source["configMapRef"]["name"]
        data = await get_configmap(namespace, ref)
        digest = package_digest(data)
        kw["files"] = files_from_configmap(data)
        where = f"ConfigMap {namespace}/{ref}"
    else:
        kw["root"] = source.get("path") or "/manifests"
        where = f"path {kw['root']}"
    db = spec.get("databaseUrlSecretRef") or {}
    kw["database_url"] = await get_secret_value(namespace, db.get("name", ""), db.get("key", "url"))
    neon = spec.get("neonApiKeySecretRef")
    if neon:
        kw["neon_api_key"] = await get_secret_value(
            namespace, neon["name"], neon.get("key", "apiKey")
        )
    name = body["metadata"]["name"]
    request = Request(
        spec.get("environment", ""),
        "plan" if spec.get("dryRun") else "apply",
        actor=f"operator/{namespace}/{name}",
        connect_attempts=2,  # the operator retries itself, with kopf's backoff
        **kw,
    )
    return request, where, digest


def _essence(body: kopf.Body) -> str:
    """What a run depends on besides the database: the spec, approvals and requested-at."""
    ann = body["metadata"].get("annotations") or {}
    relevant = {k: v for k, v in ann.items() if k.startswith(APPROVAL_PREFIX) or k == REQUESTED_AT}
    return json.dumps([body.get("spec"), relevant], sort_keys=True, default=str)


def result_of(out: Outcome) -> tuple[Result, str, int]:
    """The operator's reading of an engine outcome: (result, metric label, approvals missing)."""
    from dataclasses import replace

    r, label, missing = _result_of(out)
    drift = [f for f in out.plan.findings if f.kind == "SchemaDrift"]
    if drift:
        text = f"{len(drift)} object(s) changed outside the reconciler: " + "; ".join(
            f.message for f in drift[:5]
        )
        r = replace(r, drift=text, fields={**r.fields, "drift": {"objects": len(drift)}})
    return r, label, missing


def _result_of(out: Outcome) -> tuple[Result, str, int]:
    plan, verdict = out.plan, out.verdict
    summary = ", ".join(f"{n} {k}" for k, n in plan.counts().items()) or "in sync"
    fields: dict[str, Any] = {
        "failures": 0,
        "planHash": plan.hash,
        "plan": {"summary": summary, "counts": plan.counts(), "findings": len(plan.findings)},
        "approvals": {
            "received": verdict.approvals_received,
            "required": verdict.approvals_required,
        },
    }
    missing = (
        0 if plan.empty else max(0, verdict.approvals_required - len(verdict.approvals_received))
    )
    failed = [c for c in out.checks if not c.passed]
    if out.applied is not None and failed:
        fields["lastApplied"] = {
            "at": _now(),
            "planHash": plan.hash,
            "backup": out.backup.name if out.backup else None,
            "auditId": out.audit_ids[-1] if out.audit_ids else None,
        }
        msg = f"applied {summary}, but post-migration checks failed: " + "; ".join(
            f"{c.name}: {c.detail}" for c in failed
        )
        return (
            Result("Degraded", "ChecksFailed", msg, stalled=True, fields=fields),
            "degraded",
            missing,
        )
    if out.applied is not None:
        fields["lastApplied"] = {
            "at": _now(),
            "planHash": plan.hash,
            "backup": out.backup.name if out.backup else None,
            "auditId": out.audit_ids[-1] if out.audit_ids else None,
        }
        msg = f"applied {summary}"
        return Result("Ready", "Applied", msg, ready=True, fields=fields), "applied", missing
    if verdict.status == "blocked" or out.gate_failures:
        reasons = [
            format_diagnostic(d).replace("\n", " ") for d in verdict.blockers + out.gate_failures
        ]
        msg = " | ".join(reasons[:5])
        return Result("Blocked", "Blocked", msg, stalled=True, fields=fields), "blocked", missing
    if verdict.status == "awaiting-approval":
        msg = (
            f"plan {plan.hash} needs {verdict.approvals_required} approvals "
            f"({len(verdict.approvals_received)} so far): annotate {APPROVAL_PREFIX}<you>={plan.hash}"
        )
        r = Result("AwaitingApproval", "AwaitingApproval", msg, fields=fields)
        return r, "awaiting-approval", missing
    if plan.empty:
        msg = "in sync"
        return Result("Ready", "InSync", msg, ready=True, fields=fields), "in-sync", missing
    msg = f"dryRun: {summary} pending, not applied"
    return Result("Ready", "DryRun", msg, fields=fields), "planned", missing


_EVENTS = {
    "applied": ("Normal", "Applied"),
    "blocked": ("Warning", "Blocked"),
    "awaiting-approval": ("Normal", "AwaitingApproval"),
    "failed": ("Warning", "Failed"),
    "degraded": ("Warning", "ChecksFailed"),
    "retrying": ("Warning", "Failed"),
}


def _post(body: kopf.Body, memo: Any, label: str, message: str) -> None:
    """An Event for this outcome, once per distinct reason and message (no flood on intervals)."""
    if label not in _EVENTS:
        return
    kind, reason = _EVENTS[label]
    if getattr(memo, "last_event", None) == (reason, message):
        return
    memo.last_event = (reason, message)
    kopf.event(body, type=kind, reason=reason, message=message[:1024])


async def _run_engine(body: kopf.Body, logger: Any, request: Request) -> Outcome:
    """The engine call in a worker thread, counting this object's approval annotations."""
    meta = body["metadata"]
    scope = f"{meta['namespace']}/{meta['name']}"
    _loggers[scope] = logger
    SCOPE.set(scope)
    ctx = contextvars.copy_context()  # the thread sees this run's scope
    loop = asyncio.get_running_loop()
    global _in_flight
    _in_flight += 1
    try:
        sources = {"kubernetes": AnnotationApprovals(meta.get("annotations"))}
        run = functools.partial(reconcile, request, approval_sources=sources)
        return await loop.run_in_executor(_POOL, ctx.run, run)
    finally:
        _loggers.pop(scope, None)
        _in_flight -= 1
        if _in_flight == 0:  # once per burst of runs, not per run: a trim walks the heap
            memory.release_memory()


async def reconcile_resource(
    body: kopf.Body, patch: kopf.Patch, memo: Any, logger: Any, trigger: str
) -> None:
    meta, spec = body["metadata"], dict(body.get("spec") or {})
    namespace = meta["namespace"]
    if getattr(memo, "lock", None) is None:
        memo.lock = asyncio.Lock()
    async with memo.lock:
        essence = _essence(body)
        seen = getattr(memo, "handled", None)
        every = interval_seconds(spec.get("interval"))
        if (
            trigger != "interval"
            and seen
            and seen[0] == essence
            and time.monotonic() - seen[1] < every
        ):
            return  # kopf re-delivered what the last run already handled (resume, watch echoes)
        memo.last_run = time.monotonic()
        previous = dict(body.get("status") or {})
        generation = int(meta.get("generation") or 0)
        extra: dict[str, Any] = {"lastRunAt": _now(millis=True), "trigger": trigger}
        if spec.get("suspend"):
            r = Result("Suspended", "Suspended", "spec.suspend is true: no changes are made")
            patch["status"] = status_for(
                r, previous, generation=generation, now=_now(), extra=extra
            )
            memo.handled = (essence, time.monotonic())
            return
        started = time.monotonic()
        try:
            request, where, digest = await _request(namespace, spec, body)
            out = await _run_engine(body, logger, request)
        except ReconcilerError as e:
            failures = int(previous.get("failures") or 0) + 1
            message = " | ".join(format_diagnostic(d).replace("\n", " ") for d in e.diagnostics)
            if e.transient:
                delay = backoff(failures - 1, initial=5.0, maximum=300.0, jitter=0.2)
                r = Result(
                    "Reconciling",
                    "Retrying",
                    f"{message} (retry in {delay:.0f}s)",
                    reconciling=True,
                    fields={"failures": failures},
                )
                label = "retrying"
            else:
                r = Result("Failed", e.code, message, stalled=True, fields={"failures": failures})
                label = "failed"
            METRICS.observe(label, time.monotonic() - started)
            patch["status"] = status_for(
                r, previous, generation=generation, now=_now(), extra=extra
            )
            _post(body, memo, label, r.message)
            if e.transient:
                memo.handled = None  # a retry must really run
                raise kopf.TemporaryError(message, delay=delay) from None
            memo.handled = (essence, time.monotonic())
            return
        r, label, missing = result_of(out)
        if out.exit_code == EXIT_ERROR:
            label = "failed"
        METRICS.pending.labels(f"{namespace}/{meta['name']}").set(missing)
        METRICS.observe(label, time.monotonic() - started)
        extra["source"] = where
        extra["sourceDigest"] = digest
        new = status_for(r, previous, generation=generation, now=_now(), extra=extra)
        memo.handled = (essence, time.monotonic())
        volatile = {"lastRunAt", "trigger"}
        if trigger == "interval" and label == "in-sync" and _same(new, previous, volatile):
            return  # a drift check that found nothing: no API write (50 resources, every interval)
        patch["status"] = new
        _post(body, memo, label, r.message)
        if r.drift and getattr(memo, "last_drift", None) != r.drift:
            kopf.event(body, type="Warning", reason="Drifted", message=r.drift[:1024])
        memo.last_drift = r.drift
        logger.info(f"{label}: {r.message[:200]} (plan {out.plan.hash[:12]})")


def _same(new: dict[str, Any], old: dict[str, Any], volatile: set[str]) -> bool:
    return {k: v for k, v in new.items() if k not in volatile} == {
        k: v for k, v in old.items() if k not in volatile
    }


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
async def on_create(
    body: kopf.Body, patch: kopf.Patch, memo: Any, logger: Any, reason: str, **_: Any
) -> None:
    await reconcile_resource(body, patch, memo, logger, str(reason))


@kopf.on.update(GROUP, VERSION, PLURAL)
async def on_update(body: kopf.Body, patch: kopf.Patch, memo: Any, logger: Any, **_: Any) -> None:
    """Spec edits, approval annotations and the requested-at annotation all land here."""
    await reconcile_resource(body, patch, memo, logger, "update")


@kopf.timer(
    GROUP, VERSION, PLURAL, interval=float(os.environ.get("RECONCILER_TIMER_S", "10")), sharp=False
)
async def on_interval(body: kopf.Body, patch: kopf.Patch, memo: Any, logger: Any, **_: Any) -> None:
    """Drift: re-run each resource once its spec.interval has passed since its last run."""
    every = interval_seconds((body.get("spec") or {}).get("interval"))
    if time.monotonic() - getattr(memo, "last_run", 0.0) >= every:
        await reconcile_resource(body, patch, memo, logger, "interval")


@kopf.on.event("", "v1", "configmaps", labels={PACKAGE_LABEL: kopf.PRESENT})
async def on_package(body: kopf.Body, type: str | None, logger: Any, **_: Any) -> None:
    """A packaged ConfigMap changed: request a run of every DatabaseSync that reads it.

    Not for the initial listing (``type`` None): at start every DatabaseSync runs anyway, and
    reading them all for each ConfigMap would only slow the start down.
    """
    if type not in ("ADDED", "MODIFIED"):
        return
    meta = body["metadata"]
    digest = package_digest(dict(body.get("data") or {}))
    for name, seen in await readers_of(meta["namespace"], meta["name"]):
        if seen in (None, digest):
            continue  # it already ran with this content, or has not run yet (its first run reads it)
        logger.info(f"package changed: requesting a run of {name}")
        await request_run(meta["namespace"], name, f"configmap:{digest[:16]}")


async def validate_approvals(
    *, body: kopf.Body, old: Any = None, userinfo: kopf.UserInfo, **_: Any
) -> None:
    """Admit a new or changed approval annotation only from that approver, who must be listed."""
    from reconciler.errors import ManifestError
    from reconciler.manifest import load_environment, resolve_env_file
    from reconciler.operator.annotations import admission_verdict

    new_ann = dict(body.get("metadata", {}).get("annotations") or {})
    old_ann = dict(((old or {}).get("metadata") or {}).get("annotations") or {})
    spec = body.get("spec") or {}
    approvers: list[str] = []
    reason = ""
    try:
        source = spec.get("source") or {}
        if source.get("configMapRef"):
            files = files_from_configmap(
                await get_configmap(body["metadata"]["namespace"], source["configMapRef"]["name"])
            )
            desired = load_environment(resolve_env_file(spec.get("environment", "")), files)
        else:
            from reconciler.files import LocalFiles

            root = source.get("path") or "/manifests"
            desired = load_environment(
                resolve_env_file(spec.get("environment", ""), root), LocalFiles()
            )
        approvers = list(desired.env.policy.approvals.approvers)
    except (ManifestError, ReconcilerError) as e:
        approvers = []  # fail closed: nobody can add an approval the operator cannot check
        reason = f" (the approver list could not be read: {e})"
    ok, message = admission_verdict(
        old_ann, new_ann, str((userinfo or {}).get("username", "")), approvers
    )
    if not ok:
        raise kopf.AdmissionError(message + reason, code=403)


# kopf will not start with admission handlers and no webhook server: register it only when
# the operator serves the webhook (RECONCILER_WEBHOOK_PORT, set by `reconcile operator --webhook-port`)
if os.environ.get("RECONCILER_WEBHOOK_PORT"):
    kopf.on.validate(GROUP, VERSION, PLURAL, id="approvals", operations=["CREATE", "UPDATE"])(
        validate_approvals
    )
