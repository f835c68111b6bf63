"""The first hour of a new user: every refusal says what to do next, short hashes work, the dev
agent says why it stops or waits, and nothing but the tool's own lines reach the terminal."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from reconciler.engine import Request, init, reconcile
from tests.conftest import query, run_cli
from tests.gates.conftest import set_policy


def test_the_printed_short_hash_can_be_approved_and_the_full_one_is_printed(
    project: Path, db_url: str, approvers: dict[str, str], monkeypatch: object
) -> None:
    set_policy(project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none}")
    init(Request("prod", root=str(project)), grant_approvers=True)
    r = run_cli(project, "plan", "--env", "prod")
    h = reconcile(Request("prod", root=str(project))).plan.hash
    assert f"Plan for prod ({h[:12]})" in r.stdout and f"plan hash {h}" in r.stdout
    assert (
        f"next: each approver, with their own database login: `reconcile approve --env prod --plan {h}`"
        in r.stdout
    )
    r = run_cli(
        project,
        "approve",
        "--env",
        "prod",
        "--plan",
        h[:12],
        env={"DATABASE_URL_PROD": approvers["alice"]},
    )
    assert r.returncode == 0 and f"approved {h[:12]} as alice" in r.stdout, r.stderr
    r = run_cli(
        project,
        "approve",
        "--env",
        "prod",
        "--plan",
        h[:8],
        env={"DATABASE_URL_PROD": approvers["bob"]},
    )
    assert r.returncode == 1 and "is not the current plan hash" in r.stderr  # too short to trust
    r = run_cli(project, "apply", "--env", "prod")
    assert r.returncode == 3 and "awaiting-approval" in r.stdout
    assert f"`reconcile approve --env prod --plan {h}`" in r.stdout


def test_a_backup_gate_refusal_does_not_end_with_allowed(project: Path, db_url: str) -> None:
    set_policy(
        project,
        "prod",
        "approvals: {required: 2, approvers: [alice, bob, carol], sources: [database, kubernetes]}",
        "approvals: {required: 0}",
    )
    r = run_cli(project, "apply", "--env", "prod", env={"NEON_API_KEY": ""})
    assert r.returncode == 3
    assert "verdict: allowed" not in r.stdout and "refused by the backup gate" in r.stdout
    assert "use `backup: {provider: pg_dump}` where there is no Neon" in r.stdout


def test_status_says_why_it_is_blocked(project: Path, db_url: str) -> None:
    assert run_cli(project, "apply", "--env", "dev").returncode == 0
    query(
        db_url,
        "INSERT INTO reconciler.schema_migrations (version, name, checksum, applied_at) "
        "VALUES ('0099', 'ghost', 'x', now())",
    )
    r = run_cli(project, "status", "--env", "dev")
    assert r.returncode == 3
    assert "state        blocked" in r.stdout and "blocked by   unknown-applied:" in r.stdout
    assert "next         fix the errors above" in r.stdout


def test_audit_text_names_the_login_and_a_readable_delivery_state(
    project: Path, db_url: str, monkeypatch: object
) -> None:
    dev = project / "environments/dev.yaml"
    dev.write_text(
        dev.read_text()
        + "audit: {webhook_url_from_env: NO_SUCH_HOOK, secret_from_env: NO_SECRET}\n"
    )
    assert run_cli(project, "apply", "--env", "dev").returncode == 0
    r = run_cli(project, "audit", "--env", "dev")
    assert "by postgres (tester)" in r.stdout and "not sent yet" in r.stdout
    assert "None" not in r.stdout and "0 attempts" not in r.stdout


def test_no_third_party_warnings_reach_the_terminal(project: Path, db_url: str) -> None:
    r = run_cli(project, "apply", "--env", "staging")  # a pg_dump backup, through pgserver's tools
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr and "warn(" not in r.stderr, r.stderr


def _agent(project: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    import os

    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "watch", "--env", "dev", *extra],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_the_agent_stops_at_once_on_a_configuration_error(project: Path) -> None:
    dev = project / "environments/dev.yaml"
    dev.write_text(dev.read_text().replace("  embedded: true\n", ""))  # no URL, no embedded
    t0 = time.monotonic()
    p = _agent(project, env={"DATABASE_URL_DEV": ""})
    out, _ = p.communicate(timeout=30)
    assert p.returncode == 1 and time.monotonic() - t0 < 15
    assert "error[no-database]" in out and "stopped on a configuration error" in out
    assert "retry" not in out


def test_the_agent_warns_about_missing_paths_ignores_temp_files_and_names_the_signal(
    project: Path, db_url: str
) -> None:
    p = _agent(project)
    assert p.stdout is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "[dev] done:" not in seen and time.monotonic() < deadline:
        seen += p.stdout.readline()
    assert "watch.paths entry ../db/schema does not exist: not watched" in seen
    for junk in ("forum.yaml~", ".forum.yaml.swp", "sedAbC123", "4913"):
        (project / "manifests/config" / junk).write_text("x")
    time.sleep(1.5)  # longer than the debounce: a change would have run a cycle by now
    p.send_signal(signal.SIGINT)
    rest, _ = p.communicate(timeout=20)
    assert "change(s):" not in rest  # temp files are not changes
    assert "SIGINT: finishing the current step" in rest and p.returncode == 0


def test_a_blocked_watch_cycle_says_why(project: Path, db_url: str) -> None:
    assert run_cli(project, "apply", "--env", "dev").returncode == 0
    query(
        db_url,
        "INSERT INTO reconciler.schema_migrations (version, name, checksum, applied_at) "
        "VALUES ('0099', 'ghost', 'x', now())",
    )
    p = _agent(project)
    assert p.stdout is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "next:" not in seen and time.monotonic() < deadline:
        seen += p.stdout.readline()
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=20)
    assert "blocked (nothing to apply, but the state must be resolved)" in seen
    assert "error[unknown-applied]: migration 0099_ghost is applied in the database" in seen
    assert "in sync" not in seen
