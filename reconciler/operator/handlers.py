"""kopf handlers for DatabaseSync: every trigger ends in the same engine call as the CLI.

Triggers: create, resume, any change of spec or annotations (approvals and the
``requested-at`` annotation included), and a timer that re-runs each resource every
``spec.interval`` to find drift. Runs for one resource are serialised. Transient failures
(database or Neon unreachable, a missing Secret, another reconciler holding the lock) become
``kopf.TemporaryError`` with backoff; permanent ones (invalid manifests, blocked by policy,
a failed migration) set the Stalled condition with the located message and wait for a change.
Status is written on every path, with Kubernetes Events for Applied, AwaitingApproval,
Blocked and Failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import kopf

from reconciler.errors import DatabaseUnavailable, LockHeld, ReconcilerError, format_diagnostic
from reconciler.manifest.package import files_from_configmap
from reconciler.operator import APPROVAL_PREFIX, GROUP, PLURAL, REQUESTED_AT, VERSION
from reconciler.operator.annotations import AnnotationApprovals, admission_verdict
from reconciler.operator.kube import (
    KubeError,
    NotFound,
    connection,
    get_configmap,
    get_secret_value,
    patch_status,
    post_event,
)
from reconciler.operator.metrics import METRICS
from reconciler.ports import ApprovalSource

_locks: dict[str, asyncio.Lock] = {}
_handled: dict[str, tuple[str, float]] = {}  # uid -> (essence of the last completed run, when)
# engine runs are blocking (psycopg): a bounded pool keeps threads (and malloc arenas) few
_POOL = ThreadPoolExecutor(
    max_workers=int(os.environ.get("RECONCILER_WORKERS", "4")), thread_name_prefix="reconcile"
)
_last_run: dict[str, float] = {}
_last_event: dict[str, str] = {}
_DURATION = re.compile(r"^(\d+)(s|m|h)$")


def interval_seconds(value: str | None) -> float:
    m = _DURATION.match(value or "5m")
    if not m:
        return 300.0
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]


def _now(millis: bool = False) -> str:
    t = datetime.now(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond // 1000:03d}Z" if millis else "Z")


def _conditions(
    ready: tuple[str, str, str], reconciling: tuple[str, str, str], stalled: tuple[str, str, str]
) -> list[dict[str, str]]:
    at = _now()
    return [
        {"type": t, "status": s, "reason": r, "message": m[:1000], "lastTransitionTime": at}
        for t, (s, r, m) in (("Ready", ready), ("Reconciling", reconciling), ("Stalled", stalled))
    ]


@kopf.on.login()
def login(**_: Any) -> kopf.ConnectionInfo:
    c = connection()
    return kopf.ConnectionInfo(
        server=c.server,
        token=c.token,
        ca_path=c.ca_path,
        insecure=c.ca_path is None and c.server.startswith("http:"),
    )


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.finalizer = "reconciler.neonsync.dev/finalizer"
    settings.posting.level = 20  # INFO and above become Events
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


async def _inputs(namespace: str, spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Engine request arguments (files or root, secrets) and a description of the source."""
    source = spec.get("source") or {}
    kw: dict[str, Any] = {}
    if source.get("configMapRef"):
        ref = source["configMapRef"]["name"]
        kw["files"] = files_from_configmap(await get_configmap(namespace, ref))
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
    return kw, where


async def reconcile_resource(body: kopf.Body, logger: Any, trigger: str) -> None:
    meta, spec = body["metadata"], dict(body.get("spec") or {})
    namespace, name, uid = (
        meta["namespace"],
        meta["name"],
        meta.get("uid") or f"{meta['namespace']}/{meta['name']}",
    )
    lock = _locks.setdefault(uid, asyncio.Lock())
    async with lock:
        essence = _essence(body)
        seen = _handled.get(uid)
        fresh = (
            seen is not None
            and seen[0] == essence
            and (time.monotonic() - seen[1] < interval_seconds(spec.get("interval")))
        )
        if trigger != "interval" and fresh:
            return  # kopf re-delivered what the last run already handled (resume, watch echoes)
        _last_run[uid] = time.monotonic()
        try:
            await _run(body, logger, trigger, namespace, name, spec)
        except kopf.TemporaryError:
            _handled.pop(uid, None)  # a retry must really run
            raise
        _handled[uid] = (essence, time.monotonic())


def _essence(body: kopf.Body) -> str:
    """What a run depends on besides the database: the spec, approvals and requested-at."""
    ann = body["metadata"].get("annotations") or {}
    relevant = {k: v for k, v in ann.items() if k.startswith(APPROVAL_PREFIX) or k == REQUESTED_AT}
    return json.dumps([body.get("spec"), relevant], sort_keys=True, default=str)


async def _write(namespace: str, name: str, status: dict[str, Any]) -> None:
    with contextlib.suppress(KubeError):  # the object may be gone; the next run writes again
        await patch_status(GROUP, VERSION, PLURAL, namespace, name, status)


async def _event(body: kopf.Body, key: str, kind: str, reason: str, message: str) -> None:
    """An Event, once per distinct reason and message (no flood on every interval)."""
    if _last_event.get(key) == f"{reason}|{message}":
        return
    _last_event[key] = f"{reason}|{message}"
    with contextlib.suppress(KubeError):  # an event that cannot be posted must not fail the run
        await post_event(dict(body), kind, reason, message)


async def _run(
    body: kopf.Body, logger: Any, trigger: str, namespace: str, name: str, spec: dict[str, Any]
) -> None:
    from reconciler.approvals import DatabaseApprovals
    from reconciler.engine import EXIT_OK, Request, reconcile

    key = f"{namespace}/{name}"
    status_now = dict(body.get("status") or {})
    failures = int(status_now.get("failures") or 0)
    base = {
        "observedGeneration": body["metadata"].get("generation", 0),
        "lastRunAt": _now(millis=True),
        "trigger": trigger,
    }
    if spec.get("suspend"):
        await _write(
            namespace,
            name,
            {
                **base,
                "phase": "Suspended",
                "conditions": _conditions(
                    ("False", "Suspended", "spec.suspend is true: no changes are made"),
                    ("False", "Suspended", ""),
                    ("False", "Suspended", ""),
                ),
            },
        )
        return
    started = time.monotonic()
    try:
        kw, where = await _inputs(namespace, spec)
        request = Request(
            spec.get("environment", ""),
            "plan" if spec.get("dryRun") else "apply",
            actor=f"operator/{namespace}/{name}",
            connect_attempts=2,  # the operator retries itself, with kopf's backoff
            **kw,
        )
        sources: list[ApprovalSource] = [
            DatabaseApprovals(),
            AnnotationApprovals(body["metadata"].get("annotations")),
        ]
        loop = asyncio.get_running_loop()
        out = await loop.run_in_executor(
            _POOL, lambda: reconcile(request, approval_sources=sources)
        )
    except (DatabaseUnavailable, LockHeld, NotFound) as e:
        message = e.message if isinstance(e, ReconcilerError) else str(e)
        failures += 1
        delay = min(300.0, 5.0 * 2 ** min(failures - 1, 6))
        METRICS.observe("retrying", time.monotonic() - started)
        await _write(
            namespace,
            name,
            {
                **base,
                "phase": "Reconciling",
                "failures": failures,
                "message": message,
                "conditions": _conditions(
                    ("False", "Retrying", message),
                    ("True", "Retrying", f"retry in {delay:.0f}s"),
                    ("False", "Retrying", ""),
                ),
            },
        )
        await _event(body, key, "Warning", "Failed", f"{message} (retrying in {delay:.0f}s)")
        raise kopf.TemporaryError(message, delay=delay) from None
    except ReconcilerError as e:
        message = " | ".join(format_diagnostic(d).replace("\n", " ") for d in e.diagnostics)
        transient = e.code in ("neon-api",) and "HTTP 5" in e.message
        failures += 1
        METRICS.observe("retrying" if transient else "failed", time.monotonic() - started)
        await _write(
            namespace,
            name,
            {
                **base,
                "phase": "Reconciling" if transient else "Failed",
                "failures": failures,
                "message": message,
                "conditions": _conditions(
                    ("False", "Failed", message),
                    ("False", "Failed", ""),
                    ("False" if transient else "True", e.code, message),
                ),
            },
        )
        await _event(body, key, "Warning", "Failed", message)
        if transient:
            raise kopf.TemporaryError(message, delay=60) from None
        return
    except KubeError as e:
        raise kopf.TemporaryError(str(e), delay=30) from None
    plan, verdict = out.plan, out.verdict
    summary = ", ".join(f"{n} {k}" for k, n in plan.counts().items()) or "in sync"
    status: dict[str, Any] = {
        **base,
        "failures": 0,
        "planHash": plan.hash,
        "source": where,
        "plan": {"summary": summary, "counts": plan.counts(), "findings": len(plan.findings)},
        "approvals": {
            "received": verdict.approvals_received,
            "required": verdict.approvals_required,
        },
    }
    missing = (
        max(0, verdict.approvals_required - len(verdict.approvals_received))
        if not plan.empty
        else 0
    )
    METRICS.pending_approvals[key] = missing
    if out.applied is not None:
        status["lastApplied"] = {
            "at": _now(),
            "planHash": plan.hash,
            "backup": out.backup.name if out.backup else None,
            "auditId": out.audit_ids[-1] if out.audit_ids else None,
        }
        status.update(
            phase="Ready",
            message=f"applied: {summary}",
            conditions=_conditions(
                ("True", "Applied", f"applied {summary}"),
                ("False", "Applied", ""),
                ("False", "Applied", ""),
            ),
        )
        await _event(body, key, "Normal", "Applied", f"applied plan {plan.hash[:12]}: {summary}")
        result = "applied"
    elif verdict.status == "blocked" or out.gate_failures:
        reasons = [
            format_diagnostic(d).replace("\n", " ") for d in (verdict.blockers + out.gate_failures)
        ][:5]
        message = " | ".join(reasons)
        status.update(
            phase="Blocked",
            message=message,
            conditions=_conditions(
                ("False", "Blocked", message),
                ("False", "Blocked", ""),
                ("True", "Blocked", message),
            ),
        )
        await _event(body, key, "Warning", "Blocked", message)
        result = "blocked"
    elif verdict.status == "awaiting-approval":
        message = (
            f"plan {plan.hash} needs {verdict.approvals_required} approvals "
            f"({len(verdict.approvals_received)} so far): annotate approve.reconciler.neonsync.dev/<you>="
            f"{plan.hash}"
        )
        status.update(
            phase="AwaitingApproval",
            message=message,
            conditions=_conditions(
                ("False", "AwaitingApproval", message),
                ("False", "AwaitingApproval", ""),
                ("False", "AwaitingApproval", ""),
            ),
        )
        await _event(body, key, "Normal", "AwaitingApproval", message)
        result = "awaiting-approval"
    elif plan.empty:
        status.update(
            phase="Ready",
            message="in sync",
            conditions=_conditions(
                ("True", "InSync", "the database matches the desired state"),
                ("False", "InSync", ""),
                ("False", "InSync", ""),
            ),
        )
        result = "in-sync"
    else:  # dryRun with changes pending
        message = f"dryRun: {summary} pending, not applied"
        status.update(
            phase="Ready",
            message=message,
            conditions=_conditions(
                ("False", "DryRun", message), ("False", "DryRun", ""), ("False", "DryRun", "")
            ),
        )
        result = "planned"
    if out.exit_code not in (EXIT_OK, 2, 3):
        result = "failed"
    if out.applied is None and "lastApplied" in status_now:
        status["lastApplied"] = status_now["lastApplied"]
    METRICS.observe(result, time.monotonic() - started)
    volatile = {"lastRunAt", "trigger", "observedGeneration"}
    same = {k: v for k, v in status.items() if k not in volatile and k != "conditions"} == {
        k: v for k, v in status_now.items() if k not in volatile and k != "conditions"
    }
    if trigger == "interval" and result == "in-sync" and same:
        return  # a drift check that found nothing: no API write (50 resources, every interval)
    await _write(namespace, name, status)
    logger.info(f"{result}: {summary} (plan {plan.hash[:12]})")


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
async def on_create(body: kopf.Body, logger: Any, reason: str, **_: Any) -> None:
    await reconcile_resource(body, logger, str(reason))


@kopf.on.update(GROUP, VERSION, PLURAL)
async def on_update(body: kopf.Body, logger: Any, **_: Any) -> None:
    """Spec edits, approval annotations and the requested-at annotation all land here."""
    await reconcile_resource(body, logger, "update")


@kopf.timer(
    GROUP, VERSION, PLURAL, interval=float(os.environ.get("RECONCILER_TIMER_S", "10")), sharp=False
)
async def on_interval(body: kopf.Body, logger: Any, **_: Any) -> None:
    """Drift: re-run each resource once its spec.interval has passed since its last run."""
    meta = body["metadata"]
    uid = meta.get("uid") or f"{meta['namespace']}/{meta['name']}"
    every = interval_seconds((body.get("spec") or {}).get("interval"))
    if time.monotonic() - _last_run.get(uid, 0.0) >= every:
        await reconcile_resource(body, logger, "interval")


async def validate_approvals(
    *, body: kopf.Body, old: Any = None, userinfo: kopf.UserInfo, **_: Any
) -> None:
    """Admit a new or changed approval annotation only from that approver, who must be listed."""
    from reconciler.errors import ManifestError
    from reconciler.manifest import load_environment, resolve_env_file

    new_ann = dict(body.get("metadata", {}).get("annotations") or {})
    old_ann = dict(((old or {}).get("metadata") or {}).get("annotations") or {})
    spec = body.get("spec") or {}
    approvers: list[str] = []
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
    except (ManifestError, KubeError) as e:
        approvers = []  # fail closed: nobody can add an approval the operator cannot check
        reason = f" (the approver list could not be read: {e})"
    else:
        reason = ""
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
