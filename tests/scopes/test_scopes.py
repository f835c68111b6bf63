"""Scopes (--only) and the reviewed plan (--expect-plan): apply exactly what was reviewed."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine import EXIT_BLOCKED, EXIT_OK, Request, reconcile
from tests.conftest import query, run_cli

MIGS = "manifests/migrations"


def test_only_config_never_applies_a_pending_migration(project: Path, db_url: str) -> None:
    # before any migration, the config table does not exist: a config-only plan says so
    out = reconcile(Request("dev", root=str(project), scope="config"))
    assert out.plan.migrations == [] and out.verdict.status == "blocked"
    assert [f.kind for f in out.plan.findings] == ["MissingTargetTable"]
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    (project / MIGS / "0008_add_nickname_safe.sql").write_text(
        "-- Description: nicknames\nALTER TABLE users ADD COLUMN nickname text;\n"
    )
    cfg = project / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 30"))
    everything = reconcile(Request("dev", root=str(project)))
    scoped = reconcile(Request("dev", root=str(project), scope="config"))
    assert everything.plan.counts() == {"apply_migration": 1, "upsert_config": 1}
    assert scoped.plan.counts() == {"upsert_config": 1}
    assert scoped.plan.hash != everything.plan.hash  # the scope is part of what is approved
    r = run_cli(project, "apply", "--env", "dev", "--only", "config")
    assert r.returncode == 0, r.stderr
    assert query(db_url, "SELECT value FROM app_config WHERE key = 'posts_per_page'") == [(30,)]
    assert query(
        db_url, "SELECT count(*) FROM reconciler.schema_migrations WHERE version = '0008'"
    ) == [(0,)]
    assert query(
        db_url,
        "SELECT details->>'scope' FROM reconciler.audit_log WHERE action = 'apply.succeeded' "
        "ORDER BY id DESC LIMIT 1",
    ) == [("config",)]
    r = run_cli(project, "plan", "--env", "dev", "--only", "forums")
    assert r.returncode == 0 and "in sync" in r.stdout  # 0008 is not a forum change


def test_apply_refuses_when_the_plan_is_not_the_reviewed_one(project: Path, db_url: str) -> None:
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    cfg = project / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 30"))
    reviewed = reconcile(Request("dev", root=str(project))).plan.hash
    # between the review and the apply, someone changes a row out of band
    query(
        db_url,
        "UPDATE app_config SET value = '5', updated_by = 'psql' WHERE key = 'threads_per_page'",
    )
    r = run_cli(project, "apply", "--env", "dev", "--expect-plan", reviewed)
    assert r.returncode == 3
    assert "error[plan-changed]: the plan is no longer the one reviewed" in r.stderr
    now = reconcile(Request("dev", root=str(project))).plan.hash
    assert f"--expect-plan {now}" in r.stdout  # the next step names the new hash to review
    assert query(db_url, "SELECT value FROM app_config WHERE key = 'posts_per_page'") == [(20,)]
    assert query(
        db_url,
        "SELECT reason FROM reconciler.audit_log WHERE action = 'apply.refused'",
    ) == [(f"plan-changed: expected {reviewed}",)]
    out = reconcile(Request("dev", "apply", root=str(project), expect_plan=now[:12]))
    assert out.exit_code == EXIT_OK and out.applied is not None
    spent = reconcile(Request("dev", "apply", root=str(project), expect_plan=now))
    assert spent.exit_code == EXIT_BLOCKED  # the live state moved on: that hash is spent
