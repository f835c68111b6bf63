"""One reconciler per database, a restore locked from start to end, and no run left open:
a killed apply is closed by the next run as ``apply.interrupted``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from reconciler.db.lock import lock_key
from reconciler.engine import EXIT_OK, Request, reconcile, restore, take_backup
from reconciler.errors import LockHeld
from reconciler.ports import BackupInfo, Target
from tests.conftest import query


def _shorten_lock_wait(project: Path, env: str) -> None:
    f = project / "environments" / f"{env}.yaml"
    f.write_text(f.read_text().replace("policy:\n", "policy:\n  advisory_lock_wait: 300ms\n", 1))


def test_two_environments_on_one_database_never_apply_at_once(project: Path, db_url: str) -> None:
    _shorten_lock_wait(project, "staging")
    with psycopg.connect(db_url, autocommit=True) as holder:
        holder.execute("SET application_name = 'neon-reconciler dev apply by someone'")
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key(),))
        with pytest.raises(LockHeld, match="neon-reconciler dev apply by someone"):
            reconcile(Request("staging", "apply", root=str(project)))
    assert query(db_url, "SELECT to_regclass('users')") == [(None,)]
    assert reconcile(Request("staging", "apply", root=str(project))).exit_code == EXIT_OK


class _WatchingProvider:
    """A pg_dump provider whose restore looks, from another session, at who holds the lock."""

    name = "pg_dump"

    def __init__(self, inner: Any, db_url: str) -> None:
        self.inner, self.db_url = inner, db_url
        self.seen: list[Any] = []

    def backup(self, environment: str, plan_hash: str, target: Target) -> BackupInfo:
        return self.inner.backup(environment, plan_hash, target)

    def backups(self, environment: str) -> list[BackupInfo]:
        return self.inner.backups(environment)

    def prune(self, environment: str, keep: int) -> list[str]:
        return self.inner.prune(environment, keep)

    def restore(self, environment: str, backup_id: str, target: Target) -> str:
        unsigned = lock_key() & 0xFFFFFFFFFFFFFFFF
        self.seen = query(
            self.db_url,
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s",
            (unsigned >> 32, unsigned & 0xFFFFFFFF),
        )
        return self.inner.restore(environment, backup_id, target)


def test_a_restore_holds_the_lock_while_it_runs(project: Path, db_url: str) -> None:
    from reconciler.backup.pgdump import PgDumpBackupProvider

    assert reconcile(Request("staging", "apply", root=str(project))).exit_code == EXIT_OK
    info = take_backup(Request("staging", root=str(project)))
    watcher = _WatchingProvider(PgDumpBackupProvider(project / ".reconciler/backups"), db_url)
    out = restore(Request("staging", root=str(project)), info.name, providers={"pg_dump": watcher})
    assert out.status == "restored"
    assert len(watcher.seen) == 1 and "staging restore" in watcher.seen[0][0]


def test_a_killed_apply_is_closed_by_the_next_run(project: Path, db_url: str) -> None:
    slow = project / "manifests/migrations/0008_slow_safe.sql"
    slow.write_text("SELECT pg_sleep(60);\n-- Rollback instructions:\n-- 1. nothing\n")
    env = dict(os.environ, DATABASE_URL_DEV=db_url)
    p = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--env", "dev", "--quiet"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        busy = query(
            db_url,
            "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%' AND state = 'active'",
        )
        if busy:
            break
        time.sleep(0.1)
    else:
        p.kill()
        pytest.fail("the slow migration never started")
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)
    query(
        db_url, "SELECT pg_terminate_backend(%s)", (busy[0][0],)
    )  # the server-side half of the kill
    slow.write_text("SELECT 1;\n-- Rollback instructions:\n-- 1. nothing\n")  # edited before it ran
    # (the failed statement rolled back with its transaction: no history row, so the edit is fine)
    out = reconcile(Request("dev", "apply", root=str(project)))
    assert out.exit_code == EXIT_OK
    rows = query(
        db_url,
        "SELECT id, action, details->>'started_id' FROM reconciler.audit_log ORDER BY id",
    )
    actions = [a for _, a, _ in rows]
    assert actions[:2] == ["apply.started", "apply.interrupted"]
    assert rows[1][2] == str(rows[0][0])  # it names the run it closes
    assert actions[2:] == ["apply.started", "apply.succeeded"]
    # and it is said once: a further run finds nothing left open
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    assert [a for (a,) in query(db_url, "SELECT action FROM reconciler.audit_log")].count(
        "apply.interrupted"
    ) == 1
