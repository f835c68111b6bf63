"""Shared fixtures: a real PostgreSQL (embedded pgserver, or $DATABASE_URL), a fresh database
per test, a copy of the sample project per test, and a runner for the real ``reconcile`` CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A superuser URL on a real server: $DATABASE_URL, else an embedded PostgreSQL 16."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    os.environ.setdefault("XDG_RUNTIME_DIR", str(tmp_path_factory.mktemp("run")))
    import pgserver

    srv = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield srv.get_uri()
    srv.cleanup()


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
