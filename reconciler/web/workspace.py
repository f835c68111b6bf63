"""The UI's view of a project root: environments, their plans (briefly cached), and runs.

Everything comes from the engine: desired state through :func:`reconciler.engine.load`, live
state and verdicts through :func:`reconciler.engine.reconcile` in plan mode, lint through
:func:`reconciler.engine.validate`. A run (an apply the UI started) executes on a thread
of its own and records the engine's events, which the page streams as Server-Sent Events.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from reconciler.engine import LOGGER, SCOPE, Request, load, reconcile
from reconciler.engine.editing import catalog, environment_file, environment_names
from reconciler.errors import ReconcilerError, format_diagnostic

if TYPE_CHECKING:
    from reconciler.engine import Outcome
    from reconciler.engine.editing import CatalogEntry, Edit
    from reconciler.errors import Diagnostic
    from reconciler.manifest import Desired

__all__ = ["Run", "Workspace"]

PLAN_TTL = 3.0  # seconds a plan is reused as is (a run or an edit drops it at once)
# older than this, a page waits for a new plan instead of showing the last one
MAX_STALE = float(os.environ.get("RECONCILER_UI_MAX_STALE", "30"))
MAX_RUNS = 50


@dataclass
class Run:
    """One apply the UI started: its events as they happen, then its result."""

    id: str
    environment: str
    what: str
    events: list[dict[str, str]] = field(default_factory=list)
    done: bool = False
    ok: bool = False
    summary: str = ""
    started: float = field(default_factory=time.time)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def add(self, kind: str, message: str) -> None:
        with self.changed:
            self.events.append({"kind": kind, "message": message})
            self.changed.notify_all()

    def finish(self, ok: bool, summary: str) -> None:
        with self.changed:
            self.ok, self.summary, self.done = ok, summary, True
            self.changed.notify_all()


class _RunEvents(logging.Handler):
    """Routes engine events to the run whose id is the record's scope."""

    def __init__(self, runs: dict[str, Run]) -> None:
        super().__init__()
        self.runs = runs

    def emit(self, record: logging.LogRecord) -> None:
        run = self.runs.get(str(getattr(record, "scope", "")))
        if run is not None:
            run.add(str(getattr(record, "event", "event")), record.getMessage())


@dataclass
class EnvState:
    """One environment as the pages need it; ``error`` when it cannot be loaded or read."""

    name: str
    desired: Desired | None = None
    outcome: Outcome | None = None
    error: str | None = None  # the manifest does not load
    unreachable: str | None = None  # the database could not be read
    at: float = 0.0  # when it was computed (time.time())


class Workspace:
    def __init__(self, root: str, *, actor: str | None = None) -> None:
        self.root = os.path.abspath(root)
        self.actor = actor
        self._plans: dict[str, tuple[float, EnvState]] = {}
        self._lock = threading.Lock()
        self.runs: dict[str, Run] = {}
        self.edits: dict[str, Edit] = {}  # saved edits that may still be committed on a branch
        self._desired: dict[str, tuple[Any, Desired]] = {}
        self._catalog: tuple[Any, dict[tuple[str, str], CatalogEntry]] | None = None
        self._computing: dict[str, threading.Lock] = {}
        self._catalog_lock = threading.Lock()
        self._lint: dict[str, tuple[Desired, list[Diagnostic]]] = {}
        self._forgotten = 0.0
        self._refreshing: set[str] = set()
        self._handler = _RunEvents(self.runs)
        LOGGER.addHandler(self._handler)

    def close(self) -> None:
        LOGGER.removeHandler(self._handler)

    # -- environments ------------------------------------------------------------------------
    def names(self) -> list[str]:
        return environment_names(self.root)

    def request(self, env: str, **kw: Any) -> Request:
        if env not in self.names():
            raise ReconcilerError(f"no environment {env!r} under {self.root}", code="unknown-env")
        path = environment_file(self.root, env)
        # one connection attempt: a page must not hang on a database that is down
        return Request(path, root=self.root, actor=self.actor, connect_attempts=1, **kw)

    def desired(self, env: str) -> Desired:
        """The environment's desired state, kept in memory while none of its files changed
        (mtime, size and inode of every file and folder it was built from)."""
        request = self.request(env)
        hit = self._desired.get(env)
        if hit is not None and hit[0] == _stamp(_inputs(hit[1])):
            return hit[1]
        d = load(request)
        self._desired[env] = (_stamp(_inputs(d)), d)
        return d

    def state(self, env: str, *, fresh: bool = False) -> EnvState:
        """The environment's plan: computed now, or (up to MAX_STALE old) the last one while a
        newer one is computed in the background, so a page never waits on a plan twice."""
        with self._lock:
            hit = self._plans.get(env)
        if hit is not None and hit[0] < self._forgotten:
            hit = None  # computed before the files or the database changed
        if hit is not None and hit[1].desired is not None:
            try:
                current: Desired | None = self.desired(env)
            except ReconcilerError:
                current = None
            if current is not hit[1].desired:
                hit = None  # a manifest or migration file changed: plan the files as they are now
        if hit is not None and not fresh:
            age = time.monotonic() - hit[0]
            if age < PLAN_TTL:
                return hit[1]
            if age < MAX_STALE:
                self.refresh([env])
                return hit[1]
        return self._compute(env)

    def _compute(self, env: str) -> EnvState:
        asked = time.monotonic()
        with self._computing.setdefault(env, threading.Lock()):
            with self._lock:  # computed by another thread while this one waited for it
                hit = self._plans.get(env)
            if hit is not None and hit[0] >= asked and hit[0] >= self._forgotten:
                return hit[1]
            st = EnvState(env)
            try:
                st.desired = self.desired(env)
            except ReconcilerError as e:
                st.error = "\n".join(format_diagnostic(d) for d in e.diagnostics)
            if st.desired is not None:
                from reconciler.engine import Session
                from reconciler.engine.reconcile import run

                try:
                    with Session(self.request(env), desired=st.desired) as s:
                        st.outcome = run(s)
                except ReconcilerError as e:
                    st.unreachable = e.message
            st.at = time.time()
            with self._lock:
                self._plans[env] = (asked, st)
            return st

    def refresh(self, envs: list[str] | None = None) -> None:
        """Compute plans in the background (at start, and when a shown one is getting old)."""
        for env in envs if envs is not None else self.names():
            with self._lock:
                if env in self._refreshing:
                    continue
                self._refreshing.add(env)

            def work(env: str = env) -> None:
                try:
                    self._compute(env)
                except Exception:  # a page asking for it will compute it and show the error
                    pass
                finally:
                    with self._lock:
                        self._refreshing.discard(env)

            threading.Thread(target=work, name=f"ui-plan-{env}", daemon=True).start()

    def states(self) -> dict[str, EnvState]:
        return {n: self.state(n) for n in self.names()}

    def forget(self) -> None:
        """Drop cached plans: the files or a database just changed."""
        with self._lock:
            self._plans.clear()
            self._forgotten = time.monotonic()

    def catalog(self, states: dict[str, EnvState]) -> dict[tuple[str, str], CatalogEntry]:
        """Every declared entry with its constraints, re-read only when a category file changed."""
        desireds = [s.desired for s in states.values() if s.desired is not None]
        files = sorted({c.location.file for d in desireds for c in d.config or []})
        stamp = _stamp(files + sorted({os.path.dirname(f) for f in files}))
        with self._catalog_lock:  # one reading at a time; the others wait for its result
            if self._catalog is None or self._catalog[0] != stamp:
                self._catalog = (stamp, catalog(desireds))
            return self._catalog[1]

    def warm(self, timeout: float) -> None:
        """Plan every environment and read the catalog before the first page is asked for
        (waits at most ``timeout``: a database that does not answer must not hold the start)."""

        def work() -> None:
            with contextlib.suppress(Exception):  # shown, located, by the page that needs it
                self.catalog({n: self._compute(n) for n in self.names()})

        t = threading.Thread(target=work, name="ui-warm", daemon=True)
        t.start()
        t.join(timeout)

    def lint(self, env: str) -> list[Diagnostic]:
        """The environment's validate findings, kept while none of its input files changed."""
        from reconciler.engine import validate

        desired = self.desired(env)  # the same object while none of its files changed
        hit = self._lint.get(env)
        if hit is not None and hit[0] is desired:
            return hit[1]
        diags = validate(self.request(env)).diagnostics
        self._lint[env] = (desired, diags)
        return diags

    # -- runs ------------------------------------------------------------------------------
    def start(self, env: str, what: str, scope: str) -> Run:
        """Apply ``scope`` of ``env`` through the engine on a thread; the Run reports it."""
        run = Run(secrets.token_urlsafe(9), env, what)
        request = replace(self.request(env), mode="apply", scope=scope)  # type: ignore[arg-type]
        self.runs[run.id] = run
        for old in sorted(self.runs.values(), key=lambda r: r.started)[:-MAX_RUNS]:
            if old.done:
                self.runs.pop(old.id, None)

        def work() -> None:
            SCOPE.set(run.id)
            run.add("start", f"{what} on {env}")
            try:
                out = reconcile(request)
            except ReconcilerError as e:
                run.finish(False, "\n".join(format_diagnostic(d) for d in e.diagnostics))
            except Exception as e:  # a bug must still end the stream, with its type only
                run.finish(False, f"internal error: {type(e).__name__}")
            else:
                run.finish(out.exit_code == 0, _summary(out))
            finally:
                self.forget()

        threading.Thread(target=work, name=f"ui-run-{run.id}", daemon=True).start()
        return run

    def wait(self, run: Run, timeout: float, seen: int) -> None:
        """Block until the run has more than ``seen`` events or is done (or the timeout)."""
        with run.changed:
            run.changed.wait_for(lambda: run.done or len(run.events) > seen, timeout)


def _inputs(d: Desired) -> list[str]:
    """The files and folders a desired state was built from (folders: a file added or removed)."""
    paths = {d.env_file, *(m.path for m in d.migrations)}
    paths |= {c.location.file for c in d.config or [] if c.location.file}
    paths |= {n.location.file for n in d.forums or [] if n.location.file}
    paths |= {os.path.dirname(p) for p in list(paths)}
    base = os.path.dirname(d.env_file)
    paths.add(os.path.normpath(os.path.join(base, d.env.migrations.dir)))
    return sorted(paths)


def _stamp(paths: list[str]) -> tuple[Any, ...]:
    out: list[Any] = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((p, st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            out.append((p, None))
    return tuple(out)


def _summary(out: Outcome) -> str:
    if out.applied is not None and out.exit_code == 0:
        counts = out.plan.counts()
        return "applied: " + (", ".join(f"{n} {k}" for k, n in counts.items()) or "already in sync")
    if out.plan.empty and out.exit_code == 0:
        return "already in sync: nothing to apply"
    why = "; ".join(out.why_not) or f"exit {out.exit_code}"
    step = out.next_step
    return f"nothing applied: {why}" + (f". Next: {step}" if step else "")
