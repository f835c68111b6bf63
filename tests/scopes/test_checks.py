"""Post-migration checks (the original's "runs post-migration tests"): after every apply that
changed something and by `reconcile verify`; a failure exits 4 and is audited."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine import EXIT_CHECKS, EXIT_OK, Request, reconcile
from tests.conftest import query, run_cli

CHECKS = """checks:
  - name: every-forum-has-a-zone
    sql: SELECT slug FROM forum_structure WHERE kind <> 'zone' AND parent_slug IS NULL
  - name: daily-cap-is-set
    sql: SELECT count(*) = 1 FROM app_config WHERE category = 'xp' AND key = 'daily_cap'
  - name: checks-cannot-write
    sql: SELECT count(*) = 0 FROM users
"""


def _with_checks(project: Path, extra: str = "") -> None:
    dev = project / "environments/dev.yaml"
    dev.write_text(dev.read_text() + CHECKS + extra)


def test_checks_run_after_an_apply_and_by_verify(project: Path, db_url: str) -> None:
    _with_checks(project)
    out = reconcile(Request("dev", "apply", root=str(project)))
    assert out.exit_code == EXIT_OK and [c.passed for c in out.checks] == [True, True, True]
    # someone breaks the data: verify finds it, exits 4, and it is in the audit trail
    query(db_url, "UPDATE forum_structure SET parent_slug = NULL WHERE slug = 'off-topic'")
    r = run_cli(project, "verify", "--env", "dev")
    assert r.returncode == 4
    assert "✗ every-forum-has-a-zone: returned 1 row(s): off-topic" in r.stdout
    assert "✓ daily-cap-is-set" in r.stdout
    rows = query(
        db_url,
        "SELECT details->>'after', details->'failed'->0->>'name' FROM reconciler.audit_log "
        "WHERE action = 'checks.failed'",
    )
    assert rows == [("verify", "every-forum-has-a-zone")]
    # the next apply repairs the row and its checks pass again
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    assert run_cli(project, "verify", "--env", "dev").returncode == 0


def test_a_failing_check_after_an_apply_exits_4_and_a_check_cannot_write(
    project: Path, db_url: str
) -> None:
    _with_checks(
        project,
        "  - name: sneaky\n    sql: DELETE FROM app_config RETURNING key\n",
    )
    r = run_cli(project, "apply", "--env", "dev")
    assert r.returncode == EXIT_CHECKS
    assert "check sneaky FAILED: failed to run: SQLSTATE 25006" in r.stdout  # read-only
    assert query(db_url, "SELECT count(*) > 0 FROM app_config") == [(True,)]
    assert query(
        db_url, "SELECT details->>'after' FROM reconciler.audit_log WHERE action = 'checks.failed'"
    ) == [("apply",)]


def test_a_no_op_apply_runs_the_checks_and_says_a_failure_once(project: Path, db_url: str) -> None:
    _with_checks(
        project, "  - name: users-have-email\n    sql: SELECT id FROM users WHERE email = ''\n"
    )
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    query(db_url, "INSERT INTO users (username, email) VALUES ('nomail', '')")
    for _ in range(3):  # nothing to apply, but the database is not healthy: said every time
        out = reconcile(Request("dev", "apply", root=str(project)))
        assert out.plan.empty and out.exit_code == EXIT_CHECKS
    # ...and audited once (a watch loop or the operator's interval would otherwise flood it)
    assert query(
        db_url, "SELECT count(*) FROM reconciler.audit_log WHERE action = 'checks.failed'"
    ) == [(1,)]
