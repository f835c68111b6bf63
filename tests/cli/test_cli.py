"""The ``reconcile`` command as users run it: real subprocesses against a real PostgreSQL."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.cli import VERBS, _verb
from tests.conftest import query, run_cli

MIGS = "manifests/migrations"


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_has_help(project: Path, verb: str) -> None:
    r = run_cli(project, verb, "--help")
    mod = _verb(verb)
    assert r.returncode == 0 and "--env" in r.stdout
    # --format is offered exactly where the verb has more than one way to print its result
    assert ("--format" in r.stdout) == bool(mod.FORMATS)
    for fmt in mod.FORMATS:
        assert fmt in r.stdout
    assert (mod.run.__doc__ or "").strip().splitlines()[0] in r.stdout


def test_top_level_help_lists_verbs(project: Path) -> None:
    r = run_cli(project, "--help")
    assert r.returncode == 0 and all(v in r.stdout for v in VERBS)


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["plan", "--env", "dev"], ["apply", "plan"]),
        (["--env", "plan", "status"], ["apply", "status"]),  # an environment named plan
        (["-e", "dev", "-q", "--root", "x", "validate", "a.sql"], ["apply", "validate"]),
        (["--env", "dev"], ["apply", "watch"]),  # no verb: apply
        (["--env", "dev", "--watch"], ["apply", "watch"]),
        (["--help"], VERBS),
        (["--env", "dev", "plna"], VERBS),  # argparse lists the choices
        (["--en", "dev", "plan"], VERBS),  # an abbreviation: dev looks like the verb
        (["--", "plan"], VERBS),
    ],
)
def test_only_the_named_verbs_parser_is_built(argv: list[str], wanted: list[str]) -> None:
    from reconciler.cli import _wanted

    assert _wanted(argv) == wanted


def test_plan_apply_status_history_exit_codes(project: Path, db_url: str) -> None:
    r = run_cli(project, "plan", "--env", "dev")
    assert r.returncode == 2, r.stderr
    assert "+ apply migration 0001_create_app_config_safe" in r.stdout
    r = run_cli(project, "--env", "dev")  # no verb: apply
    assert r.returncode == 0, r.stderr
    assert "[dev] migrate: 0006_add_user_prefs_safe.sql (no-transaction)" in r.stderr
    r = run_cli(project, "plan", "--env", "dev", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["in_sync"] is True
    r = run_cli(project, "status", "--env", "dev")
    assert r.returncode == 0 and "7/7 applied" in r.stdout and "in sync" in r.stdout
    r = run_cli(project, "history", "--env", "dev", "--format", "json")
    rows = json.loads(r.stdout)
    assert [x["version"] for x in rows][-1] == "0007" and all(x["complete"] for x in rows)
    r = run_cli(project, "plan", "--env", "dev", "--format", "markdown")
    assert r.stdout.startswith("### ✅ `dev`: allowed")


def test_prod_plan_is_blocked_without_approvals(project: Path, db_url: str) -> None:
    r = run_cli(project, "plan", "--env", "prod")
    assert r.returncode == 3, r.stderr
    assert "approvals: 0/2" in r.stdout and "verdict: awaiting-approval" in r.stdout
    r = run_cli(project, "apply", "--env", "prod")
    assert r.returncode == 3
    # nothing applied, and the refusal is in the audit trail, once however often it is tried
    assert query(db_url, "SELECT to_regclass('users')") == [(None,)]
    assert run_cli(project, "apply", "--env", "prod").returncode == 3
    rows = query(db_url, "SELECT action, outcome, reason FROM reconciler.audit_log")
    assert len(rows) == 1 and rows[0][:2] == ("apply.refused", "refused")
    assert rows[0][2].startswith("awaiting-approval: 0 of 2 approvals")


def test_staging_requires_safe_names(project: Path, db_url: str) -> None:
    (project / MIGS / "0008_risky.sql").write_text(
        "CREATE TABLE r (id int);\n-- Rollback instructions:\n-- 1. DROP TABLE r;\n"
    )
    r = run_cli(project, "plan", "--env", "staging")
    assert r.returncode == 3
    assert "manifests/migrations/0008_risky.sql: error[require-safe-suffix]" in r.stdout


def test_backup_gate_fails_closed(project: Path, db_url: str) -> None:
    env = project / "environments/prod.yaml"
    env.write_text(
        env.read_text().replace(
            "approvals: {required: 2, approvers: [alice, bob, carol], sources: [database, kubernetes]}",
            "approvals: {required: 0}",
        )
    )
    r = run_cli(project, "apply", "--env", "prod", env={"NEON_API_KEY": ""})
    assert r.returncode == 3
    assert (
        "error[backup-gate]: the backup before applying failed, so nothing was applied: "
        "NEON_API_KEY is not set" in r.stderr
    )
    assert query(db_url, "SELECT to_regclass('app_config')") == [(None,)]  # nothing applied
    assert query(db_url, "SELECT action, reason FROM reconciler.audit_log") == [
        (
            "apply.refused",
            "backup-gate: the backup before applying failed, so nothing was applied: "
            "NEON_API_KEY is not set: cannot take the Neon backup",
        )
    ]


def test_manifest_error_is_located_and_nothing_applied(project: Path, db_url: str) -> None:
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace("prune_config: true", "prune_config: true\n  prune_konfig: true")
    )
    r = run_cli(project, "--env", "dev")
    assert r.returncode == 1
    assert r.stderr.startswith(
        "environments/dev.yaml:17:3: error[unknown-key]: unknown key 'policy.prune_konfig'"
    )
    assert "help: did you mean 'prune_config'?" in r.stderr
    assert query(db_url, "SELECT to_regnamespace('reconciler')") == [(None,)]


def test_migration_failure_cli_output(project: Path, db_url: str) -> None:
    (project / MIGS / "0008_bad_safe.sql").write_text("CREATE TABLE ok (id int);\nSELEC 1;\n")
    r = run_cli(project, "--env", "dev")
    assert r.returncode == 1
    assert "manifests/migrations/0008_bad_safe.sql:2:1: error[migration-failed]" in r.stderr
    assert "SQLSTATE 42601" in r.stderr
    assert query(db_url, "SELECT to_regclass('ok')") == [(None,)]


def test_concurrent_applies_exactly_one_applies(project: Path, db_url: str) -> None:
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace("auto_apply: true", "auto_apply: true\n  advisory_lock_wait: 500ms")
    )
    (project / MIGS / "0008_slow_safe.sql").write_text(
        "CREATE TABLE slow (id int);\nSELECT pg_sleep(3);\n"
    )
    first = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "--env", "dev"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # wait until the first one is inside the slow migration
        if query(
            db_url, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%'"
        )[0][0]:
            break
        time.sleep(0.05)
    second = run_cli(project, "--env", "dev")
    _out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert second.returncode == 1
    assert (
        "error[lock-held]: another reconciler is changing this database (wanted for dev): "
        "held by neon-reconciler dev apply by tester pid "
        f"{first.pid}" in second.stderr
    )
    assert query(
        db_url, "SELECT count(*) FROM reconciler.schema_migrations WHERE version = '0008'"
    ) == [(1,)]


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_database_retries_then_one_line_redacted(project: Path) -> None:
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace("  embedded: true", "  embedded: true\n  connect_attempts: 3")
    )
    url = f"postgresql://app:S3cretPassw0rd@127.0.0.1:{_closed_port()}/forum"
    t0 = time.monotonic()
    r = run_cli(project, "plan", "--env", "dev", env={"DATABASE_URL_DEV": url})
    assert r.returncode == 1
    assert "S3cretPassw0rd" not in r.stdout + r.stderr
    first = r.stderr.splitlines()[0]
    assert first.startswith(
        "error[database-unavailable]: cannot connect to postgresql://app@127.0.0.1:"
    )
    assert "after 3 attempt(s)" in first
    assert time.monotonic() - t0 > 0.3  # it did back off between attempts


def test_a_failure_in_a_pipeline_is_reported_once_without_the_drivers_note(
    project: Path, db_url: str
) -> None:
    """Pending files go to the server in one pipeline; when the first fails, the user reads
    the failure, not psycopg's note that closing the aborted pipeline failed too."""
    for f in (project / MIGS).glob("*.sql"):
        f.unlink()
    (project / MIGS / "0001_a_safe.sql").write_text("CREATE TABLE nowhere.a (id int);\n")
    (project / MIGS / "0002_b_safe.sql").write_text("CREATE TABLE b (id int);\n")
    r = run_cli(project, "--env", "dev")
    assert r.returncode == 1
    assert "0001_a_safe.sql:1:14: error[migration-failed]" in r.stderr
    assert "error ignored" not in r.stderr and "psycopg" not in r.stderr, r.stderr
    assert query(db_url, "SELECT to_regclass('b')") == [(None,)]


def test_a_url_libpq_refuses_fails_at_once(project: Path) -> None:
    """A wrong value in the URL is not an outage: one attempt, not the backoff of six."""
    port = _closed_port()
    for query_part, said in (
        ("sslmode=bogus", 'invalid sslmode value: "bogus"'),
        ("target_session_attrs=bogus", "invalid target_session_attrs value"),
    ):
        url = f"postgresql://app:S3cretPassw0rd@127.0.0.1:{port}/forum?{query_part}"
        r = run_cli(project, "plan", "--env", "dev", env={"DATABASE_URL_DEV": url})
        assert r.returncode == 1
        assert "S3cretPassw0rd" not in r.stdout + r.stderr
        assert "after 1 attempt(s)" in r.stderr and said in r.stderr, r.stderr


def test_password_never_printed_on_success(project: Path, db_url: str, pg_admin_url: str) -> None:
    # give the superuser a password and pass it in the URL; the output must not contain it
    query(pg_admin_url, "ALTER ROLE postgres PASSWORD 'Hunter2Hunter2'")
    url = db_url.replace("postgres:@", "postgres:Hunter2Hunter2@", 1)
    if "Hunter2Hunter2" not in url:
        pytest.skip("DATABASE_URL has a fixed user; cannot insert a password into it")
    for args in (("plan", "--env", "dev"), ("status", "--env", "dev", "--format", "json")):
        r = run_cli(project, *args, env={"DATABASE_URL_DEV": url})
        assert r.returncode in (0, 2), r.stderr
        assert "Hunter2Hunter2" not in r.stdout + r.stderr
    shown = run_cli(project, "status", "--env", "dev", env={"DATABASE_URL_DEV": url}).stdout
    assert "database     postgresql://postgres@/t_" in shown


def test_pooler_host_refused_for_apply(project: Path) -> None:
    url = "postgresql://app:pw123456@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/forum"
    r = run_cli(project, "apply", "--env", "dev", env={"DATABASE_URL_DEV": url})
    assert r.returncode == 1
    assert (
        "error[pooler-host]: refusing to apply through the Neon pooler host "
        "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech" in r.stderr
    )
    assert "use the direct host ep-cool-darkness-123456.us-east-2.aws.neon.tech" in r.stderr
    assert "pw123456" not in r.stderr


def test_missing_url_variable(project: Path) -> None:
    r = run_cli(project, "plan", "--env", "staging", env={"DATABASE_URL_STAGING": ""})
    assert r.returncode == 1
    assert r.stderr.startswith(
        "error[no-database]: no database for environment staging: DATABASE_URL_STAGING is not set"
    )


def test_unknown_environment(project: Path) -> None:
    r = run_cli(project, "plan", "--env", "qa")
    assert r.returncode == 1 and "environment file environments/qa.yaml does not exist" in r.stderr


def test_usage_errors_exit_64_and_formats_are_per_verb(project: Path) -> None:
    for args in (
        ["plan"],  # no --env
        ["plan", "--env", "dev", "--format", "sarif"],  # sarif is validate's only
        ["backup", "--env", "dev", "--format", "json"],  # backup prints one line
        ["nosuchverb", "--env", "dev"],
        ["approve", "--env", "prod"],  # --plan missing
    ):
        r = run_cli(project, *args)
        assert r.returncode == 64, (args, r.returncode, r.stderr)
        assert "usage: reconcile" in r.stderr and "Traceback" not in r.stderr
    assert "64 wrong command line" in run_cli(project, "--help").stdout
    # a missing --env says what it could name, or that this is no project folder
    r = run_cli(project, "plan", env={"RECONCILER_ENV": ""})
    assert "; environments here: dev, prod, staging" in r.stderr, r.stderr
    r = run_cli(project / "manifests", "plan", env={"RECONCILER_ENV": ""})
    assert "there is no ./environments/ here: run in the project folder, or give --root" in (
        r.stderr
    )


def test_a_closed_pipe_exits_quietly(project: Path, db_url: str) -> None:
    import subprocess
    import sys

    # 20,000 lines of plan (far more than a pipe buffers), and a reader that stops after one
    cfg = project / "manifests/config/big.yaml"
    cfg.write_text(
        "category: big\nentries:\n" + "".join(f"  k{i}: {{value: {i}}}\n" for i in range(20_000))
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "plan", "--env", "dev", "--quiet"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"Plan for dev")
    proc.stdout.close()  # `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 141 and "Traceback" not in err and "BrokenPipe" not in err, err
