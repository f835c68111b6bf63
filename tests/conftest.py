"""Shared fixtures: a real PostgreSQL (embedded pgserver, or $DATABASE_URL), a fresh database
per test, a copy of the sample project per test, and a runner for the real ``reconcile`` CLI."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

REPO = Path(__file__).resolve().parent.parent


def with_db(url: str, dbname: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + dbname, p.query, p.fragment))


# every process a test starts carries this in its environment, so one left behind is found
# (per process: each xdist worker has its own; the same if this module is imported twice)
SESSION_MARK = os.environ.get("RECONCILER_TEST_SESSION", "")
if not SESSION_MARK.startswith(f"{os.getpid()}-"):
    SESSION_MARK = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    os.environ["RECONCILER_TEST_SESSION"] = SESSION_MARK


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A superuser URL on a real server: $DATABASE_URL, else an embedded PostgreSQL 16.

    The embedded server lives in a private folder of this run (not pytest's shared temporary
    folder, whose permissions another pytest on the machine may change under it)."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    import tempfile

    private = Path(tempfile.mkdtemp(prefix="reconciler-test-"))
    os.environ["XDG_RUNTIME_DIR"] = str(private / "run")
    (private / "run").mkdir(mode=0o700)
    import pgserver

    srv = pgserver.get_server(private / "pg", cleanup_mode="stop")
    try:
        yield srv.get_uri()
    finally:
        srv.cleanup()
        shutil.rmtree(private, ignore_errors=True)


def _left_behind() -> list[tuple[int, str]]:
    """Processes of this test session running the reconciler that are still alive, and
    embedded PostgreSQL servers a test's own `.reconciler/` started and left running."""
    mark = f"RECONCILER_TEST_SESSION={SESSION_MARK}".encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            embedded = "postgres" in cmd and "/.reconciler/pg" in cmd  # a CLI's own server
            if ("reconciler" not in cmd or "postgres" in cmd) and not embedded:
                continue
            with open(f"/proc/{entry}/environ", "rb") as f:
                if mark not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    continue  # a zombie: already gone, waiting to be reaped
        except OSError:
            continue
        out.append((int(entry), cmd.strip()))
    return out


@pytest.fixture(autouse=True)
def no_process_outlives_its_test() -> Iterator[None]:
    """Fail the test that leaves a reconciler process running (after a short grace)."""
    yield
    if not os.path.isdir("/proc"):
        return
    deadline = time.monotonic() + 3
    left = _left_behind()
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = _left_behind()
    if left:
        for pid, _ in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        pytest.fail(f"processes outlived the test that started them: {left}")


@pytest.fixture
def db_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database for this test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    yield with_db(pg_admin_url, name)
    with psycopg.connect(pg_admin_url, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample manifests and environments, every environment pointed at db_url."""
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, tmp_path / d)
    for var in ("DATABASE_URL_DEV", "DATABASE_URL_STAGING", "DATABASE_URL_PROD"):
        monkeypatch.setenv(var, db_url)
    monkeypatch.setenv("RECONCILER_HOME", str(tmp_path / ".reconciler"))
    monkeypatch.setenv("RECONCILER_ACTOR", "tester")
    return tmp_path


def run_cli(
    project: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real ``reconcile`` command in ``project`` as a subprocess."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=project,
        env=e,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def query(url: str, sql: str, params: tuple | None = None) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as c:
        cur = c.execute(sql, params)
        return cur.fetchall() if cur.description else []


PG_MAJORS_BIN = {15: "/usr/lib/postgresql/15/bin"}  # Debian's server (scripts/test installs it)


@pytest.fixture(scope="session")
def pg15_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A superuser URL on a PostgreSQL 15 server of its own (the embedded one is 16), for
    what must hold on every supported major. Runs as the ``postgres`` system user when the
    suite runs as root (the server refuses root)."""
    bindir = Path(PG_MAJORS_BIN[15])
    if not (bindir / "initdb").exists():
        pytest.skip(
            "PostgreSQL 15 is not installed (apt-get install postgresql-15; scripts/test does)"
        )
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="reconciler-pg15-"))
    os.chmod(base, 0o755)
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    runas: list[str] = []
    if os.geteuid() == 0:
        runas = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run(
        [*runas, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *runas,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(base / "log"),
            "-o",
            f"-k {sock} -c listen_addresses=''",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@/postgres?host={sock}"
    finally:
        subprocess.run(
            [*runas, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)
