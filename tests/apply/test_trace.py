"""`reconcile check --trace`: real locks and rewrites of pending statements, on a shadow database."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.embedded import stop_embedded
from reconciler.engine import EXIT_BLOCKED, EXIT_OK, Request, check, reconcile
from tests.conftest import query, run_cli

MIGS = "manifests/migrations"
ROLLBACK = "-- Rollback instructions:\n-- 1. undo\n"
WEAK = {"ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE"}


def _migrate_dev(project: Path) -> None:
    assert reconcile(Request(env="dev", mode="apply", root=str(project))).exit_code == EXIT_OK


def test_alter_column_type_takes_access_exclusive_and_rewrites(
    project: Path, db_url: str, pg_admin_url: str
) -> None:
    _migrate_dev(project)
    (project / MIGS / "0008_retype_safe.sql").write_text(
        "-- reconciler:ignore ban-alter-column-type -- proving the trace sees what the rules were told to ignore\n"
        "ALTER TABLE posts ALTER COLUMN body TYPE varchar(500);\n" + ROLLBACK
    )
    out = check(Request(env="dev", root=str(project)), trace=True, shadow_admin_url=pg_admin_url)
    [t] = out.traces
    modes = {lk.mode for lk in t.locks if lk.relation == "posts"}
    assert "ACCESS EXCLUSIVE" in modes and t.rewrites == ["posts"]
    codes = [(d.code, d.severity, str(d.location).split("manifests/")[-1]) for d in out.diagnostics]
    assert ("trace-access-exclusive", "error", "migrations/0008_retype_safe.sql:2:1") in codes
    assert ("trace-table-rewrite", "error", "migrations/0008_retype_safe.sql:2:1") in codes
    assert out.exit_code == EXIT_BLOCKED
    # the target itself was only read
    assert query(
        db_url,
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'posts' "
        "AND column_name = 'body'",
    ) == [("text",)]
    assert query(
        pg_admin_url, "SELECT count(*) FROM pg_database WHERE datname LIKE 'shadow_%'"
    ) == [(0,)]


def test_create_index_concurrently_takes_nothing_beyond_share_update_exclusive(
    project: Path, db_url: str, pg_admin_url: str
) -> None:
    _migrate_dev(project)
    (project / MIGS / "0008_idx_safe.sql").write_text(
        "CREATE INDEX CONCURRENTLY idx_posts_created ON posts (created_at);\n" + ROLLBACK
    )
    out = check(Request(env="dev", root=str(project)), trace=True, shadow_admin_url=pg_admin_url)
    [t] = out.traces
    modes = {lk.mode for lk in t.locks if lk.preexisting}
    assert "SHARE UPDATE EXCLUSIVE" in modes and modes <= WEAK
    assert not t.rewrites and not [d for d in out.diagnostics if d.code.startswith("trace-")]
    assert out.exit_code == EXIT_OK


def test_new_tables_and_acknowledged_locks_are_not_errors(
    project: Path, db_url: str, pg_admin_url: str
) -> None:
    _migrate_dev(project)
    (project / MIGS / "0008_new_safe.sql").write_text(
        "CREATE TABLE badges (id bigint PRIMARY KEY, name text NOT NULL);\n"
        "ALTER TABLE badges ADD COLUMN icon text;\n"
        "-- reconciler:ignore trace-access-exclusive -- nullable column: catalog-only, bounded by lock_timeout\n"
        "ALTER TABLE users ADD COLUMN bio text;\n" + ROLLBACK
    )
    out = check(Request(env="dev", root=str(project)), trace=True, shadow_admin_url=pg_admin_url)
    assert len(out.traces) == 3
    assert any(
        lk.mode == "ACCESS EXCLUSIVE" and lk.relation == "users" for lk in out.traces[2].locks
    )
    assert [
        d for d in out.diagnostics if d.code.startswith("trace-") and d.severity != "info"
    ] == []
    assert out.exit_code == EXIT_OK


def test_a_brief_catalog_only_lock_is_told_from_a_dangerous_one(
    project: Path, db_url: str, pg_admin_url: str
) -> None:
    """The seed's own template statement passes with no ignore; SET NOT NULL (a scan of every
    row under ACCESS EXCLUSIVE) stays an error."""
    _migrate_dev(project)
    (project / MIGS / "0008_template_safe.sql").write_text(
        "ALTER TABLE users ADD COLUMN note TEXT DEFAULT '';\n"
        "-- reconciler:ignore ban-set-not-null -- proving the trace judges it on its own\n"
        "ALTER TABLE wallets ALTER COLUMN user_id SET NOT NULL;\n" + ROLLBACK
    )
    out = check(Request(env="dev", root=str(project)), trace=True, shadow_admin_url=pg_admin_url)
    found = {(d.code, d.severity, d.location.line if d.location else 0) for d in out.diagnostics}
    assert ("trace-brief-exclusive", "info", 1) in found
    assert ("trace-access-exclusive", "error", 3) in found
    assert not any(code == "trace-access-exclusive" and line == 1 for code, _, line in found)
    try:  # the CLI traces on the project's own embedded server: stop it afterwards
        r = run_cli(project, "check", "--env", "dev", "--trace")
    finally:
        os.environ.get("RECONCILER_HOME") and stop_embedded()
    assert "info[trace-brief-exclusive]" in r.stdout and "lock_timeout 5000 ms bounds" in r.stdout
    # the report shows each statement's start, its literals never as written
    assert "ALTER TABLE users ADD COLUMN note TEXT DEFAULT '…'" in r.stdout


def test_failure_on_the_shadow_is_reported_located(
    project: Path, db_url: str, pg_admin_url: str
) -> None:
    _migrate_dev(project)
    (project / MIGS / "0008_bad_safe.sql").write_text(
        "CREATE TABLE ok (id bigint);\nALTER TABLE no_such_table ADD COLUMN x text;\n" + ROLLBACK
    )
    out = check(Request(env="dev", root=str(project)), trace=True, shadow_admin_url=pg_admin_url)
    failed = [d for d in out.diagnostics if d.code == "trace-failed"]
    assert failed and str(failed[0].location).endswith("0008_bad_safe.sql:2:1")
    assert 'relation "no_such_table" does not exist' in failed[0].message


def test_sample_migrations_trace_clean_for_prod(
    project: Path, db_url: str, pg_admin_url: str
) -> None:
    """All of prod's pending sample migrations, from an empty database, on the default
    embedded shadow server (the path `reconcile check --env prod --trace` takes)."""
    try:
        r = run_cli(project, "check", "--env", "prod", "--trace", "-f", "json", timeout=180)
        assert r.returncode == 0, (
            r.stdout + r.stderr
        )  # approvals are a separate gate; the SQL is clean
        import json

        doc = json.loads(r.stdout)
        assert len(doc["pending"]) == 6 and len(doc["statements"]) >= 10
        assert not [d for d in doc["diagnostics"] if "error[trace-" in d]
        idx = next(s for s in doc["statements"] if "CONCURRENTLY" in s["statement"])
        assert {lk["mode"] for lk in idx["locks"] if lk["preexisting"]} <= WEAK
    finally:
        os.environ.get("RECONCILER_HOME") and stop_embedded()
