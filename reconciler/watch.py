"""The dev agent: ``reconcile watch --env dev`` (or ``reconcile --env dev --watch``).

Two processes. The supervisor starts the watch loop as a child in its own session, forwards
SIGINT/SIGTERM to it once per signal, restarts it after a crash with exponential backoff
(more than 5 crashes in a minute stops the agent, exit 1), and restarts it at once when it
asks to (exit 75: over its memory limit, between reconciles). The child watches the
manifests with watchfiles; once changes settle (``watch.debounce_ms`` of quiet) it reloads,
replans, prints what changed since the last plan and applies when ``policy.auto_apply``.
A bad edit prints its located error and the agent keeps watching. An unavailable database
is retried with jittered backoff, one compact line per retry. The first signal lets the
running migration or transaction finish, releases the advisory lock and exits 0; a second
one exits at once, and the database rolls back what was running.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TextIO

from reconciler.engine import EXIT_OK, LOGGER, Request, Session
from reconciler.engine.audit import deliver
from reconciler.engine.reconcile import run
from reconciler.engine.session import load
from reconciler.errors import DatabaseUnavailable, ReconcilerError, format_diagnostic
from reconciler.memory import release_memory, rss_mb
from reconciler.retry import backoff

__all__ = ["EXIT_RESTART", "Log", "supervise", "worker"]

EXIT_RESTART = 75  # the worker asks the supervisor for a clean restart (memory)
EXIT_CONFIG = 78  # EX_CONFIG: the worker stopped on a configuration error; do not restart it
FATAL = frozenset({"no-database", "pooler-host"})  # not fixable by saving a manifest


class _Fatal(Exception):
    def __init__(self, error: ReconcilerError) -> None:
        super().__init__(error.message)
        self.error = error


def ignored_change(path: str) -> bool:
    """Editor swap and backup files, and the temporary files of sed -i and friends."""
    name = Path(path).name
    return (
        name.endswith(("~", ".swp", ".swx", ".swo", ".tmp", ".bak", ".orig"))
        or name.startswith((".#", "#"))
        or name == "4913"  # vim's write test
        or (name.startswith("sed") and len(name) == 9 and "." not in name)  # sed -i: sedXXXXXX
        or name.startswith(".goutputstream")
    )


MAX_RESTARTS, WINDOW_S, GRACE_S = 5, 60.0, 10.0
_COLOURS = {
    "done": "32",
    "migrate": "32",
    "pipeline": "32",
    "sync": "32",
    "plan": "36",
    "watch": "2",
    "db": "35",
    "backup": "34",
    "audit": "34",
    "supervisor": "33",
    "stop": "33",
}
_LEVEL_COLOURS = {"error": "31", "warn": "33"}


@dataclass
class Log:
    """One line per event, prefixed with the environment and the action; JSON for machines."""

    env: str
    fmt: str = "text"
    out: TextIO = field(default_factory=lambda: sys.stderr)
    status: str = ""

    @property
    def tty(self) -> bool:
        return self.fmt == "text" and self.out.isatty()

    def __call__(self, action: str, message: str, level: str = "info") -> None:
        if self.fmt == "json":
            self.out.write(
                json.dumps(
                    {
                        "ts": time.time(),
                        "env": self.env,
                        "action": action,
                        "level": level,
                        "message": message,
                    }
                )
                + "\n"
            )
        else:
            prefix = f"[{self.env}] {action}:"
            if self.tty:
                colour = _LEVEL_COLOURS.get(level) or _COLOURS.get(action, "0")
                prefix = f"\x1b[{colour}m{prefix}\x1b[0m"
                self.out.write("\r\x1b[2K")
            self.out.write(f"{prefix} {message}\n")
            if self.tty and self.status:
                self.out.write(f"\x1b[2m{self.status}\x1b[0m")
        self.out.flush()

    def handler(self) -> logging.Handler:
        """Engine events as this log's lines."""
        log = self

        class _Events(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                level = "warn" if record.levelno >= logging.WARNING else "info"
                log(getattr(record, "event", "event"), record.getMessage(), level)

        return _Events()

    def finish(self) -> None:
        """Leave the terminal as it was: no status line left behind the prompt."""
        if self.tty and self.status:
            self.out.write("\r\x1b[2K")
            self.out.flush()
        self.status = ""

    def set_status(self, text: str) -> None:
        self.status = text
        if self.tty:
            self.out.write(f"\r\x1b[2K\x1b[2m{text}\x1b[0m")
            self.out.flush()


def _watch_paths(request: Request) -> tuple[list[Path], list[str]]:
    """The environment file, every file and folder it loads, and its extra watch.paths;
    and the watch.paths entries that do not exist (to warn about)."""
    root = Path(request.root)
    paths = {root / "environments", root / "manifests"}
    try:
        desired = load(request)
    except ReconcilerError:
        return sorted(p for p in paths if p.exists()), []
    base = Path(desired.env_file).parent
    paths.add(Path(desired.env_file).parent)
    paths.add((base / desired.env.migrations.dir).resolve())
    for pattern in desired.env.config.files:
        paths.add((base / pattern).parent.resolve())
    if desired.env.forum_map:
        paths.add((base / desired.env.forum_map).parent.resolve())
    missing = []
    for extra in desired.env.watch.paths:
        path = (base / extra).resolve()
        paths.add(path)
        if not path.exists():
            missing.append(extra)
    return sorted(p for p in paths if p.exists()), missing


class _Stop:
    """First signal: finish what runs, then stop. Second: leave at once (the database rolls back)."""

    def __init__(self, log: Log) -> None:
        self.event = threading.Event()
        self.log = log

    def __call__(self, signum: int, frame: Any) -> None:
        if self.event.is_set():
            self.log("stop", "second signal: aborting now", "error")
            os._exit(130)
        self.event.set()
        self.log("stop", f"{signal.Signals(signum).name}: finishing the current step, then exiting")


def _cycle(request: Request, log: Log, previous: set[str], stop: threading.Event) -> set[str]:
    """One reload-replan-(apply): returns the plan's lines, for the next diff."""
    from reconciler.plan import describe

    attempt = 0
    while True:
        desired = None
        try:
            desired = load(request)
            mode: Literal["plan", "apply"] = "apply" if desired.env.policy.auto_apply else "plan"
            s = Session(
                replace(request, mode=mode, emergency=False, connect_attempts=1), desired=desired
            )
            try:
                out = run(s)
                if mode == "plan":  # an apply delivers owed audit events itself
                    deliver(s, respect_schedule=True)
            finally:
                s.close()
            break
        except DatabaseUnavailable as e:
            wait = backoff(attempt, initial=0.5, maximum=15.0, jitter=0.3)
            attempt += 1
            log(
                "db",
                f"unavailable ({e.message.split(': ')[-1][:80]}); retry {attempt} in {wait:.1f}s",
                "warn",
            )
            if stop.wait(wait):
                return previous
        except ReconcilerError as e:
            for d in e.diagnostics:
                log("error", format_diagnostic(d).replace("\n", " "), "error")
            if e.code in FATAL:  # nothing an edit of the manifests can fix: stop, say why
                raise _Fatal(e) from None
            log("watch", "fix the file and save: the agent keeps watching")
            return previous
    drift = {f"drift {f.message}" for f in out.plan.findings if f.kind == "SchemaDrift"}
    for line in sorted(drift - previous):  # new drift, said once; and when it is resolved
        log("drift", line.removeprefix("drift "), "warn")
    for line in sorted({p for p in previous if p.startswith("drift ")} - drift):
        log("drift", f"resolved: {line.removeprefix('drift ')}")
    previous = {p for p in previous if not p.startswith("drift ")}
    lines = {describe(a) for a in out.plan.actions}
    added, gone = sorted(lines - previous), sorted(previous - lines)
    if len(added) + len(gone) <= 12:
        for line in added:
            log("plan", f"+ {line}")
        for line in gone:
            log("plan", f"- {line} (no longer pending)")
    else:
        kinds = ", ".join(f"{n} {k}" for k, n in out.plan.counts().items())
        log(
            "plan",
            f"{len(added)} new and {len(gone)} dropped change(s) since the last plan ({kinds})",
        )
    if out.applied is not None:  # the engine already reported what it applied ("done")
        return drift
    if out.verdict.status == "blocked" or out.gate_failures:
        log(
            "plan",
            f"{len(out.plan.actions)} change(s) pending; blocked"
            if out.plan.actions
            else "blocked (nothing to apply, but the state must be resolved)",
            "warn",
        )
        for d in (out.verdict.blockers + out.gate_failures)[:10]:
            log("error", format_diagnostic(d).replace("\n", " "), "error")
        if out.next_step:
            log("plan", f"next: {out.next_step}")
    elif out.plan.empty:
        log("plan", "in sync")
    elif out.exit_code != EXIT_OK:
        log(
            "plan",
            f"{len(out.plan.actions)} change(s) pending; blocked: {out.verdict.status}",
            "warn",
        )
        for d in out.verdict.blockers[:10]:
            log("error", format_diagnostic(d).replace("\n", " "), "error")
    elif mode == "plan":
        log(
            "plan",
            f"{len(out.plan.actions)} change(s) pending; not applied (policy.auto_apply is false)",
        )
    return lines | drift


def _die_with_supervisor(stop: _Stop, log: Log) -> None:
    """A worker never outlives its supervisor: on Linux the kernel sends SIGTERM when the
    parent dies (PR_SET_PDEATHSIG); everywhere, a watchdog notices the new parent and exits
    within a second (gracefully if it can, at once if the step in progress takes longer)."""
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watchdog() -> None:
        while os.getppid() == parent:
            time.sleep(0.1)
        log("stop", "the supervisor is gone: stopping", "warn")
        stop.event.set()
        time.sleep(0.8)
        os._exit(0)  # still busy after that: PostgreSQL rolls back what was running

    threading.Thread(target=watchdog, name="supervisor-watchdog", daemon=True).start()


def worker(request: Request, log: Log, *, fault: str | None = None) -> int:
    """The watch loop (the supervisor's child). Exit 0 on a signal, 75 to be restarted."""
    import watchfiles

    stop = _Stop(log)
    LOGGER.addHandler(log.handler())
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _die_with_supervisor(stop, log)
    try:
        desired = load(request)
        debounce, limit = desired.env.watch.debounce_ms, desired.env.watch.memory_limit_mb
    except ReconcilerError:
        debounce, limit = 300, 512
    paths, missing = _watch_paths(request)
    log("watch", f"watching {len(paths)} path(s), debounce {debounce} ms, memory limit {limit} MB")
    for extra in missing:
        log("watch", f"watch.paths entry {extra} does not exist: not watched", "warn")
    state: set[str] = set()
    cycles = 0

    def run_cycle() -> None:
        nonlocal state, cycles
        if fault == "crash":
            raise RuntimeError("injected crash (RECONCILER_WATCH_FAULT=crash)")
        state = _cycle(request, log, state, stop.event)
        release_memory()  # before the memory limit is checked: only what is really held counts
        cycles += 1
        log.set_status(
            f"watching {len(paths)} path(s) · {time.strftime('%H:%M:%S')} cycle {cycles} · "
            f"{rss_mb():.0f} MB"
        )

    def cycle_or_stop() -> bool:
        """One cycle; False when a configuration error means the agent must stop."""
        try:
            run_cycle()
        except _Fatal as e:
            log("stop", f"stopping: {e.error.message}", "error")
            log.finish()
            return False
        return True

    # the watcher starts before the first reconcile, so an edit made during it is not missed
    batches: queue.Queue[set[tuple[Any, str]]] = queue.Queue()

    def watch_files() -> None:
        for changes in watchfiles.watch(
            *paths,
            watch_filter=lambda change, path: (
                watchfiles.DefaultFilter()(change, path) and not ignored_change(path)
            ),
            step=max(debounce, 1),
            debounce=max(debounce * 10, 2000),
            stop_event=stop.event,
            rust_timeout=500,
            yield_on_timeout=False,
            raise_interrupt=False,
        ):
            batches.put(changes)

    watcher = threading.Thread(target=watch_files, name="watchfiles", daemon=True)
    watcher.start()
    if not cycle_or_stop():
        return EXIT_CONFIG
    skip_memory_check = os.environ.get("RECONCILER_WATCH_RESTARTED") == "memory"
    while not stop.event.is_set():
        try:
            changes = batches.get(timeout=0.2)
        except queue.Empty:
            if not watcher.is_alive() and not stop.event.is_set():
                raise RuntimeError("the file watcher stopped") from None
            continue
        while (
            not batches.empty()
        ):  # changes that settled while the last reconcile ran: one more cycle
            changes |= batches.get_nowait()
        files = sorted({Path(p).name for _, p in changes})
        log(
            "watch",
            f"{len(changes)} change(s): {', '.join(files[:5])}{' ...' if len(files) > 5 else ''}",
        )
        if not cycle_or_stop():
            return EXIT_CONFIG
        if stop.event.is_set():
            break
        if limit and not skip_memory_check and rss_mb() > limit:
            gc.collect()
            if rss_mb() > limit:
                log(
                    "watch",
                    f"memory {rss_mb():.0f} MB over the {limit} MB limit: restarting between reconciles",
                    "warn",
                )
                return EXIT_RESTART
        skip_memory_check = False
    log("stop", "stopped cleanly")
    log.finish()
    return 0


def supervise(
    argv: list[str],
    log: Log,
    *,
    first_backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run the worker as a child; restart it on crashes (bounded) and on request; forward signals."""
    crashes: deque[float] = deque()
    restarted = ""
    signals_seen = 0
    deadline: float | None = None  # set by the first signal: the worker has GRACE_S to stop
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, frame: Any) -> None:
        nonlocal signals_seen, deadline
        signals_seen += 1
        if deadline is None:
            deadline = time.monotonic() + GRACE_S
        if child is not None and child.poll() is None:
            child.send_signal(signum)  # the same signal: the worker names what it got

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    backoff = first_backoff
    while True:
        env = dict(os.environ, RECONCILER_WATCH_RESTARTED=restarted)
        child = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *argv, "--worker"], env=env, start_new_session=True
        )
        while True:
            try:
                code = child.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if deadline is not None and time.monotonic() > deadline:
                    log(
                        "stop",
                        f"the worker did not stop within {GRACE_S:.0f}s: killing it",
                        "error",
                    )
                    child.kill()
        if signals_seen:
            return 0 if code == 0 else 130
        if code == 0:
            return 0
        if code == EXIT_CONFIG:
            log("supervisor", "stopped on a configuration error (see above)", "error")
            return 1
        if code == EXIT_RESTART:
            restarted = "memory"
            log("supervisor", "restarting the worker to release memory")
            continue
        now = time.monotonic()
        crashes.append(now)
        while crashes and now - crashes[0] > WINDOW_S:
            crashes.popleft()
        if len(crashes) > MAX_RESTARTS:
            log(
                "supervisor",
                f"the watch loop crashed {len(crashes)} times within {WINDOW_S:.0f}s: giving up "
                "(see the errors above)",
                "error",
            )
            return 1
        log(
            "supervisor",
            f"the watch loop exited with code {code}; restart {len(crashes)}/{MAX_RESTARTS} "
            f"in {backoff:.1f}s",
            "warn",
        )
        sleep(backoff)
        backoff = min(backoff * 2, max(10.0, first_backoff))
        restarted = "crash"
