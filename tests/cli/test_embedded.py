"""The README's first command: with no database URL, dev runs on an embedded PostgreSQL."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reconciler.embedded import stop_embedded
from tests.conftest import REPO, run_cli


def _running(pid: int) -> bool:
    """The process is there and not a zombie (a stopped server's, not yet reaped by init)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_dev_on_embedded_postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, tmp_path / d)
    home = tmp_path / "home"
    monkeypatch.setenv("RECONCILER_HOME", str(home))
    env = {k: "" for k in os.environ if k.startswith("DATABASE_URL")}  # empty counts as unset
    try:
        r = run_cli(tmp_path, "--env", "dev", env=env)
        assert r.returncode == 0, r.stderr
        r = run_cli(tmp_path, "status", "--env", "dev", env=env)
        assert r.returncode == 0, r.stderr
        assert "7/7 applied" in r.stdout and "in sync" in r.stdout
        assert f"host={home}/pg" in r.stdout  # the embedded server's socket
        # staging may not use the embedded server: a clear error, not a surprise database
        r = run_cli(tmp_path, "plan", "--env", "staging", env=env)
        assert r.returncode == 1 and "DATABASE_URL_STAGING is not set" in r.stderr
        # `reconcile stop` stops the server that stays between commands; its data stays
        pid = int((home / "pg/postmaster.pid").read_text().split()[0])
        r = run_cli(tmp_path, "stop", env=env)
        assert r.returncode == 0 and f"stopped the embedded PostgreSQL in {home}/pg" in r.stdout
        assert not (home / "pg/postmaster.pid").exists()
        assert not _running(pid)
        r = run_cli(tmp_path, "stop", env=env)
        assert r.returncode == 0 and "no embedded PostgreSQL is running" in r.stdout
        r = run_cli(tmp_path, "status", "--env", "dev", env=env)  # started again, data kept
        assert r.returncode == 0 and "7/7 applied" in r.stdout, r.stderr
    finally:
        assert stop_embedded()
