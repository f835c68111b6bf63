"""Backups before production changes: pg_dump files and Neon branches (on the emulator), restore, retention."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.backup.neon import NeonBackupProvider, NeonClient, NeonError
from reconciler.engine import (
    EXIT_OK,
    Request,
    list_backups,
    reconcile,
    restore,
    restore_hash,
    take_backup,
)
from tests.conftest import query, run_cli
from tests.gates.conftest import set_policy
from tests.neon_emulator import NeonEmulator

NO_APPROVALS = (
    "approvals: {required: 2, approvers: [alice, bob, carol], sources: [database, kubernetes]}",
    "approvals: {required: 0}",
)


# -- pg_dump --------------------------------------------------------------------------------


def test_pg_dump_backup_damage_restore(project: Path, db_url: str) -> None:
    out = reconcile(Request("staging", "apply", root=str(project)))
    assert out.exit_code == EXIT_OK and out.backup is not None  # taken before the first change
    assert Path(out.backup.id).exists() and out.backup.provider == "pg_dump"
    query(db_url, "INSERT INTO users (username, email) VALUES ('ada', 'ada@example.com')")
    good = take_backup(Request("staging", root=str(project)))
    # damage: rows gone, a value changed, a table that did not exist at backup time
    query(db_url, "DELETE FROM users")
    query(db_url, "UPDATE app_config SET value = '999' WHERE key = 'posts_per_page'")
    query(db_url, "CREATE TABLE intruder (id int)")
    audit_before = query(db_url, "SELECT count(*) FROM reconciler.audit_log")[0][0]
    result = restore(Request("staging", root=str(project)), good.name)
    assert result.status == "restored" and result.preserved
    assert query(db_url, "SELECT username FROM users") == [("ada",)]
    assert query(db_url, "SELECT value FROM app_config WHERE key = 'posts_per_page'") == [(20,)]
    assert query(db_url, "SELECT to_regclass('intruder')") == [(None,)]
    # the audit trail survived the restore, and the restore itself is in it
    actions = [a for (a,) in query(db_url, "SELECT action FROM reconciler.audit_log ORDER BY id")]
    assert len(actions) >= audit_before + 2 and actions[-2:] == [
        "restore.started",
        "restore.succeeded",
    ]
    after = reconcile(Request("staging", root=str(project)))
    assert after.plan.empty  # history matches the schema
    # and the schema matches its snapshot: the restore leaves no false drift
    assert after.live.snapshot_taken and not after.live.drift and not after.plan.findings


def test_pg_dump_retention_keeps_newest_of_ours(project: Path, db_url: str) -> None:
    reconcile(Request("staging", "apply", root=str(project)))
    folder = project / ".reconciler" / "backups" / "staging"
    (folder / "someone-elses.dump").write_text("not ours")
    for _ in range(4):
        time.sleep(0.01)
        take_backup(Request("staging", root=str(project)))
    names = [b.name for b in list_backups(Request("staging", root=str(project)))]
    assert len(names) == 3 and names == sorted(names, reverse=True)  # keep: 3 in staging.yaml
    assert (folder / "someone-elses.dump").exists()


# -- Neon -----------------------------------------------------------------------------------


def test_neon_backup_damage_restore_round_trip(
    project: Path, db_url: str, neon: NeonEmulator
) -> None:
    set_policy(project, "prod", *NO_APPROVALS)
    out = reconcile(Request("prod", "apply", root=str(project)))
    assert out.exit_code == EXIT_OK and out.backup is not None
    backup = neon.find(out.backup.id)
    assert backup is not None and backup.name.startswith("reconciler/backup/prod/")
    assert neon.annotations[backup.id]["value"]["created-by"] == "neon-reconciler"
    # the backup was taken before the migrations: it has no app tables
    assert query(neon.url_of(backup.id), "SELECT to_regclass('users')") == [(None,)]
    query(db_url, "INSERT INTO users (username, email) VALUES ('grace', 'g@example.com')")
    snap = take_backup(Request("prod", root=str(project)))
    query(db_url, "DELETE FROM users")
    query(db_url, "CREATE INDEX users_email_idx ON users (email)")  # drift, made after the backup
    assert reconcile(Request("prod", root=str(project))).live.drift
    result = restore(Request("prod", root=str(project)), snap.id)
    assert result.status == "restored" and result.preserved is not None
    assert query(db_url, "SELECT username FROM users") == [("grace",)]
    after = reconcile(Request("prod", root=str(project)))
    assert after.live.snapshot_taken and not after.live.drift and after.verdict.status == "allowed"
    preserved = neon.find(result.preserved)
    assert preserved is not None and query(
        neon.url_of(preserved.id), "SELECT count(*) FROM users"
    ) == [(0,)]


def test_restore_needs_the_same_approvals(project: Path, db_url: str, neon: NeonEmulator) -> None:
    r = run_cli(project, "restore", "--env", "prod", "--backup", "br-whatever")
    assert r.returncode == 3
    h = restore_hash("prod", "br-whatever")
    assert f"needs 2 approvals of hash {h}" in r.stdout and "--restore br-whatever" in r.stdout


def test_neon_retention_only_touches_our_old_backups(
    pg_admin_url: str, db_url: str, neon: NeonEmulator
) -> None:
    client = NeonClient(neon.base_url, neon.api_key, neon.project_id, sleep=lambda s: None)
    p = NeonBackupProvider(client, "main")
    made = []
    for n in range(4):
        made.append(p.backup("prod", f"{n:08x}" + "0" * 56, _Target(db_url)))
        time.sleep(0.01)
    other = client.create_branch("br-main-000001", "feature/x", {"created-by": "someone"})
    oldest = made[0]
    child = client.create_branch(oldest.id, "child-of-oldest", {})
    deleted = p.prune("prod", keep=2)
    assert deleted == [made[1].name]  # the oldest has a child: skipped, never forced
    left = {b.name for b in p.backups("prod")}
    assert left == {made[3].name, made[2].name, oldest.name}
    assert neon.find(other["branch"]["id"]) and neon.find(child["branch"]["id"])
    assert client.delete_branch("br-does-not-exist") is None  # 204: already gone counts as done


def test_a_branch_list_whose_cursor_never_moves_on_is_an_error_not_a_hang(
    neon: NeonEmulator,
) -> None:
    client = NeonClient(neon.base_url, neon.api_key, neon.project_id, sleep=lambda s: None)
    assert [b["name"] for b in client.branches()[0]] == ["main"]
    neon.stuck_cursor = True
    with pytest.raises(NeonError, match="cursor '0' came back again after 2 branches"):
        client.branches()
    client.close()


class _Target:
    def __init__(self, url: str) -> None:
        self.url = url
        self.redacted = url


def test_neon_retries_423_and_429_honouring_retry_after(db_url: str, neon: NeonEmulator) -> None:
    neon.inject("POST", "/branches$", 423)
    neon.inject("POST", "/branches$", 429, **{"Retry-After": "1"})
    waits: list[float] = []
    client = NeonClient(neon.base_url, neon.api_key, neon.project_id, sleep=waits.append)
    info = NeonBackupProvider(client, "main").backup("prod", "a" * 64, _Target(db_url))
    assert info.id and client.retries == 2 and 1.0 in waits
    assert [s for m, _, s in neon.requests if m == "POST"][:3] == [423, 429, 201]


def test_neon_gives_up_after_bounded_retries_with_neon_details(
    db_url: str, neon: NeonEmulator
) -> None:
    neon.inject("GET", "/branches$", 503, times=10)
    client = NeonClient(
        neon.base_url, neon.api_key, neon.project_id, max_attempts=3, sleep=lambda s: None
    )
    with pytest.raises(NeonError) as e:
        NeonBackupProvider(client, "main").backup("prod", "a" * 64, _Target(db_url))
    assert (
        "HTTP 503" in e.value.message
        and "code INJECTED_503" in e.value.message
        and "request_id" in e.value.message
    )
    assert client.retries == 2


def test_neon_500_is_not_retried_and_ops_can_fail_or_be_slow(
    db_url: str, neon: NeonEmulator
) -> None:
    neon.inject("POST", "/branches$", 500)
    client = NeonClient(neon.base_url, neon.api_key, neon.project_id, sleep=lambda s: None)
    p = NeonBackupProvider(client, "main")
    with pytest.raises(NeonError, match="HTTP 500"):
        p.backup("prod", "a" * 64, _Target(db_url))
    assert client.retries == 0
    neon.slow_polls = 3
    assert p.backup("prod", "b" * 64, _Target(db_url)).id  # polled until finished
    neon.slow_polls, neon.fail_operations = 0, True
    with pytest.raises(NeonError, match="ended failed"):
        p.backup("prod", "c" * 64, _Target(db_url))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"NEON_API_KEY": "napi_wrong"}, "HTTP 401"),
        ({"project": "no-such-project"}, "project no-such-project not found"),
        ({"branch": "release"}, "branch 'release' not found"),
        ({"down": True}, "no response"),
    ],
)
def test_neon_problems_stop_the_apply_before_any_change(
    project: Path,
    db_url: str,
    neon: NeonEmulator,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, object],
    expected: str,
) -> None:
    set_policy(project, "prod", *NO_APPROVALS)
    if "NEON_API_KEY" in change:
        monkeypatch.setenv("NEON_API_KEY", str(change["NEON_API_KEY"]))
    if "project" in change:
        set_policy(
            project, "prod", "project_id: still-sun-123456", f"project_id: {change['project']}"
        )
    if "branch" in change:
        set_policy(project, "prod", "branch: main,", f"branch: {change['branch']},")
    if change.get("down"):
        neon.server.shutdown()
        neon.server.server_close()
    r = run_cli(project, "apply", "--env", "prod")
    assert r.returncode in (1, 3), r.stdout + r.stderr
    assert "error[backup-gate]" in r.stderr and expected in r.stderr
    assert "napi_" not in r.stdout + r.stderr  # the key never shows
    assert query(db_url, "SELECT to_regclass('users')") == [(None,)]  # nothing applied
    assert [a for (a,) in query(db_url, "SELECT action FROM reconciler.audit_log")] == [
        "apply.refused"
    ]


def test_cli_backup_and_backups(project: Path, db_url: str) -> None:
    assert run_cli(project, "apply", "--env", "staging").returncode == 0
    r = run_cli(project, "backup", "--env", "staging")
    assert r.returncode == 0 and r.stdout.startswith("reconciler/backup/staging/")
    r = run_cli(project, "backups", "--env", "staging")
    assert r.returncode == 0 and r.stdout.count("reconciler/backup/staging/") == 2
    assert run_cli(project, "backup", "--env", "dev").returncode == 1  # dev has no provider
