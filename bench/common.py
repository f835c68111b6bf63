"""Helpers shared by the benchmarks: an embedded server, timing, a round-trip counting proxy."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import psycopg


def embedded_admin_url(workdir: Path) -> str:
    """$DATABASE_URL, else an embedded PostgreSQL in workdir."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    os.environ.setdefault("XDG_RUNTIME_DIR", str(workdir / "run"))
    (workdir / "run").mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(workdir / "run", 0o700)
    import pgserver

    return str(pgserver.get_server(workdir / "pg", cleanup_mode="stop").get_uri())


def _as_installed() -> None:
    """Measure the tool as pip installs it: with its modules byte-compiled. A shell that sets
    PYTHONDONTWRITEBYTECODE would otherwise make every run compile every module it imports
    (about 40 ms of a warm validate on this machine); the children never inherit it."""
    import compileall
    import sysconfig

    for folder in (
        Path(__file__).resolve().parent.parent / "reconciler",
        sysconfig.get_paths()["purelib"],
    ):
        compileall.compile_dir(str(folder), quiet=2, workers=0)


def environment() -> str:
    """Where a measurement was taken: date, machine, load, Python and the tool's commit."""
    import datetime
    import platform
    import subprocess as sp

    commit = sp.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    ).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
        f"{os.cpu_count()} cores, load {load}; Python {platform.python_version()}; "
        f"neon-reconciler {commit or '?'}; modules byte-compiled"
    )


def goals_missed(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows whose value (second column) is over the target (last column, "<= N unit")."""
    import re

    missed = []
    for row in rows:
        target = re.match(r"<=\s*([\d.]+)", row[-1])
        value = re.match(r"([\d.]+)", row[-2] if len(row) > 3 else row[1])
        if target and value and float(value.group(1)) > float(target.group(1)):
            missed.append(f"{row[0]}: {(row[-2] if len(row) > 3 else row[1])} (goal {row[-1]})")
    return missed


def print_rows(rows: Sequence[Sequence[str]], title: str = "measure") -> None:
    """(measure, result, target) rows as an aligned table."""
    w = max(len(r[0]) for r in rows)
    print(f"{title.ljust(w)}  {'result':>8}  target")
    for a, b, c in rows:
        print(f"{a.ljust(w)}  {b:>8}  {c}")


def finish(rows: Sequence[Sequence[str]]) -> None:
    """Print the environment and any missed goal; exit 1 when one is missed (a regression shows)."""
    print(f"\nmeasured {environment()}")
    missed = goals_missed(rows)
    for m in missed:
        print(f"GOAL MISSED: {m}")
    if missed:
        sys.exit(1)


def remove_workdir(workdir: Path) -> None:
    """Stop the embedded server of ``workdir`` (if this bench started one), then delete it.

    Deleting the folder under a running server would leave the server running for ever."""
    import shutil

    if not os.environ.get("DATABASE_URL") and (workdir / "pg").exists():
        import pgserver

        pgserver.get_server(workdir / "pg", cleanup_mode="stop").cleanup()
    shutil.rmtree(workdir, ignore_errors=True)


class Workspace(NamedTuple):
    work: Path  # a temporary folder
    admin: str  # the server's admin URL (embedded, or $DATABASE_URL)
    url: str  # a fresh database on it
    project: Path  # where to generate the project
    env: dict[str, str]  # a reconcile process's environment: DATABASE_URL_BENCH, a bench actor


def workspace(name: str) -> Workspace:
    """A temporary folder with a fresh database ``name`` for one benchmark's project."""
    import tempfile

    work = Path(tempfile.mkdtemp(prefix=f"{name}_"))
    admin = embedded_admin_url(work)
    url = fresh_database(admin, name)
    env = {**os.environ, "DATABASE_URL_BENCH": url, "RECONCILER_ACTOR": "bench"}
    return Workspace(work, admin, url, work / "project", env)


def fresh_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    from urllib.parse import urlsplit, urlunsplit

    p = urlsplit(admin_url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


_COMPILED = False


def run(
    cmd: Sequence[str], cwd: Path, env: dict[str, str]
) -> tuple[float, subprocess.CompletedProcess[str]]:
    global _COMPILED
    if not _COMPILED:
        _as_installed()
        _COMPILED = True
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    t0 = time.perf_counter()
    r = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - t0, r


def median_of(
    n: int, cmd: Sequence[str], cwd: Path, env: dict[str, str], ok: Sequence[int] = (0,)
) -> float:
    times = []
    for _ in range(n):
        t, r = run(cmd, cwd, env)
        if r.returncode not in ok:
            sys.exit(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stderr[-2000:]}")
        times.append(t)
    return statistics.median(times)


def reconcile_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args]


class RoundTripProxy:
    """A TCP proxy in front of the server that counts client round trips (Query and Sync messages)."""

    def __init__(self, admin_url: str) -> None:
        from urllib.parse import parse_qs, urlsplit

        p = urlsplit(admin_url)
        host = parse_qs(p.query).get("host", [p.hostname or "127.0.0.1"])[0]
        self.target: tuple[str, int] | str = (
            os.path.join(host, f".s.PGSQL.{p.port or 5432}")
            if host.startswith("/")
            else (host, p.port or 5432)
        )
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.round_trips = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, user: str, dbname: str) -> str:
        return (
            f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}?sslmode=disable&gssencmode=disable"
        )

    def reset(self) -> None:
        with self.lock:
            self.round_trips = 0

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            if isinstance(self.target, str):
                server = socket.socket(socket.AF_UNIX)
            else:
                server = socket.socket()
            server.connect(self.target)
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        buf = b""
        started = False
        try:
            while data := src.recv(65536):
                if not count:
                    dst.sendall(data)
                    continue
                buf += data
                while True:
                    if not started:  # StartupMessage: int32 length, no type byte
                        if len(buf) < 4:
                            break
                        (n,) = struct.unpack("!I", buf[:4])
                        if len(buf) < n:
                            break
                        buf, started = buf[n:], True
                        continue
                    if len(buf) < 5:
                        break
                    kind = buf[:1]
                    (n,) = struct.unpack("!I", buf[1:5])
                    if len(buf) < n + 1:
                        break
                    if kind in (b"Q", b"S"):
                        with self.lock:
                            self.round_trips += 1
                    buf = buf[n + 1 :]
                # Forwarded only once counted: a caller that has its answer reads a count that
                # already includes the message (counting after forwarding raced the reply).
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
