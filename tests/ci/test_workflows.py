"""The workflows, linted and run: actionlint passes, and the harness runs their run: steps
against a real PostgreSQL and the GitHub emulator."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ci.harness import REPO, Runner
from tests.conftest import query
from tests.github_emulator import GitHubEmulator


def test_actionlint_passes_on_every_workflow() -> None:
    flows = sorted(str(p) for p in (REPO / ".github/workflows").glob("*.yml"))
    assert {Path(f).name for f in flows} >= {"ci.yml", "migrate.yml", "promote-to-prod.yml"}
    actionlint = Path(sys.executable).parent / "actionlint"
    r = subprocess.run([str(actionlint), *flows], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture
def github() -> Iterator[GitHubEmulator]:
    emu = GitHubEmulator().start()
    yield emu
    emu.stop()


def _runner(project: Path, db_url: str, github: GitHubEmulator, **ctx: object) -> Runner:
    return Runner(
        project,
        secrets={
            "GITHUB_TOKEN": github.token,
            "DATABASE_URL_STAGING": db_url,
            "DATABASE_URL_PROD": db_url,
            "DATABASE_URL_STAGING_READONLY": db_url,
            "DATABASE_URL_PROD_READONLY": db_url,
            "AUDIT_WEBHOOK_URL": "",
            "AUDIT_WEBHOOK_SECRET": "",
            "NEON_API_KEY": "",
        },
        github={
            "repository": "forum/site",
            "actor": "octo-release",
            "server_url": "https://github.example",
            "run_id": "42",
            **ctx,
        },
        base_env={
            "GITHUB_API_URL": github.url,
            "GITHUB_REPOSITORY": "forum/site",
            "GITHUB_RUN_ID": "42",
        },
    )


def test_a_pull_request_gets_one_plan_comment_per_environment_after_two_pushes(
    project: Path, db_url: str, github: GitHubEmulator
) -> None:
    run = _runner(project, db_url, github, event_name="pull_request")
    for push in range(2):
        for env in ("dev", "staging", "prod"):
            v = run.run_job(
                "migrate.yml", "validate", {"environment": env}, {"pull_request": {"number": 5}}
            )
            assert v.ok, v.log
        for env in ("staging", "prod"):
            r = run.run_job(
                "migrate.yml", "plan", {"environment": env}, {"pull_request": {"number": 5}}
            )
            assert r.ok, r.log
        cfg = project / "manifests/config/forum.yaml"
        cfg.write_text(cfg.read_text().replace(f"value: {20 + push}", f"value: {21 + push}"))
    mine = [c for c in github.comments[5] if "neon-reconciler:plan:" in c["body"]]
    assert sorted(c["body"].splitlines()[0] for c in mine) == [
        "<!-- neon-reconciler:plan:prod -->",
        "<!-- neon-reconciler:plan:staging -->",
    ]
    assert run.run_job("migrate.yml", "deploy-staging").log == "job skipped by its if:"


def test_a_push_to_staging_applies_syncs_forums_and_runs_the_checks(
    project: Path, db_url: str, github: GitHubEmulator
) -> None:
    staging = project / "environments/staging.yaml"
    staging.write_text(
        staging.read_text()
        + "checks:\n  - name: zones-exist\n    sql: SELECT count(*) > 0 FROM forum_structure WHERE kind = 'zone'\n"
    )
    run = _runner(project, db_url, github, event_name="push", ref="refs/heads/staging")
    r = run.run_job("migrate.yml", "deploy-staging")
    assert r.ok, r.log
    assert query(db_url, "SELECT count(*) FROM reconciler.schema_migrations") == [(7,)]
    assert query(db_url, "SELECT count(*) > 0 FROM forum_structure") == [(True,)]
    assert "✓ zones-exist" in r.summary and "Applied to staging" in r.summary
    assert "--- Sync the forum configuration (exit 0)" in r.log


def _git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as a git repository whose origin has a staging branch."""
    (project / ".gitignore").write_text(".reconciler/\n.harness/\n")
    _git(project, "init", "-q", "-b", "main")
    _git(project, "-c", "user.name=t", "-c", "user.email=t@x", "add", "-A")
    _git(project, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init")
    _git(project, "branch", "staging")
    origin = tmp_path_factory.mktemp("origin") / "site.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(project), str(origin)], check=True)
    _git(project, "remote", "add", "origin", str(origin))
    return project


def _commit_to_staging(project: Path, message: str) -> str:
    _git(project, "checkout", "-q", "staging")
    _git(project, "-c", "user.name=t", "-c", "user.email=t@x", "add", "-A")
    _git(project, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", message)
    _git(project, "push", "-q", "origin", "staging")
    return _git(project, "rev-parse", "HEAD")


def _prod_for_github(project: Path) -> None:
    prod = project / "environments/prod.yaml"
    text = prod.read_text().replace(
        "backup: {provider: neon, keep: 5}", "backup: {provider: pg_dump, keep: 5}"
    )
    text = text.replace(
        "sources: [database, kubernetes]}",
        "sources: [database, github], github: {environment: production, "
        "logins: {octo-alice: alice, octo-bob: bob}}}",
    )
    prod.write_text(text)


def _approve(github: GitHubEmulator, *logins: str) -> None:
    github.approvals[42] = [
        {"state": "approved", "user": {"login": who}, "environments": [{"name": "production"}]}
        for who in logins
    ]


def test_promote_needs_two_reviewers_and_exactly_the_reviewed_plan(
    repo: Path, db_url: str, github: GitHubEmulator
) -> None:
    _prod_for_github(repo)
    commit = _commit_to_staging(repo, "promote me")
    run = _runner(repo, db_url, github, event_name="workflow_dispatch")
    run.inputs = {
        "commit": commit,
        "migration_type": "schema_safe",
        "emergency": False,
        "reason": "",
    }
    plan = run.run_job("promote-to-prod.yml", "plan")
    assert plan.ok, plan.log
    assert len(plan.outputs["hash"]) == 64 and plan.outputs["hash"] in plan.summary
    run.needs = {"plan": plan.outputs}
    refused = run.run_job("promote-to-prod.yml", "deploy")  # nobody has approved yet
    assert not refused.ok and refused.failed_step == "Apply the reviewed plan"
    assert query(db_url, "SELECT to_regclass('users')") == [(None,)]
    _approve(github, "octo-alice", "octo-bob")
    done = run.run_job("promote-to-prod.yml", "deploy")
    assert done.ok, done.log
    assert query(db_url, "SELECT to_regclass('users') IS NOT NULL") == [(True,)]
    row = query(
        db_url,
        "SELECT approvals, actor, backup_ref IS NOT NULL FROM reconciler.audit_log "
        "WHERE action = 'apply.succeeded'",
    )
    assert row == [
        (
            ["alice", "bob"],
            "github:octo-release https://github.example/forum/site/actions/runs/42",
            True,
        )
    ]
    # a second promotion: the live state changes between the plan job and the deploy job
    cfg = repo / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 25"))
    run.inputs["commit"] = _commit_to_staging(repo, "a config change")
    plan = run.run_job("promote-to-prod.yml", "plan")
    assert plan.ok, plan.log
    run.needs = {"plan": plan.outputs}
    query(
        db_url,
        "UPDATE app_config SET value = '9', updated_by = 'psql' WHERE key = 'threads_per_page'",
    )
    moved = run.run_job("promote-to-prod.yml", "deploy")
    assert not moved.ok and "plan-changed" in moved.log
    assert query(db_url, "SELECT value FROM app_config WHERE key = 'posts_per_page'") == [(20,)]


def test_a_commit_not_on_staging_is_refused_and_config_only_never_migrates(
    repo: Path, db_url: str, github: GitHubEmulator
) -> None:
    _prod_for_github(repo)
    base = _commit_to_staging(repo, "base")
    run = _runner(repo, db_url, github, event_name="workflow_dispatch")
    _git(repo, "checkout", "-q", "-b", "feature")
    (repo / "manifests/migrations/0099_x_safe.sql").write_text("CREATE TABLE x (id bigint);\n")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@x", "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "not on staging")
    run.inputs = {
        "commit": _git(repo, "rev-parse", "HEAD"),
        "migration_type": "schema_safe",
        "emergency": False,
        "reason": "",
    }
    refused = run.run_job("promote-to-prod.yml", "plan")
    assert not refused.ok and "is not on the staging branch" in refused.log
    # prod applied first, then a commit with a pending migration and a config change
    run.inputs = {"commit": base, "migration_type": "schema_safe", "emergency": False, "reason": ""}
    plan = run.run_job("promote-to-prod.yml", "plan")
    run.needs = {"plan": plan.outputs}
    _approve(github, "octo-alice", "octo-bob")
    assert run.run_job("promote-to-prod.yml", "deploy").ok
    _git(repo, "checkout", "-q", "staging")
    prod = repo / "environments/prod.yaml"
    prod.write_text(prod.read_text().replace("target: 0006_add_user_prefs_safe", "target: latest"))
    cfg = repo / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 33"))
    run.inputs = {
        "commit": _commit_to_staging(repo, "0007 promoted, and a config change"),
        "migration_type": "config_only",
        "emergency": False,
        "reason": "",
    }
    plan = run.run_job("promote-to-prod.yml", "plan")
    assert plan.ok, plan.log
    run.needs = {"plan": plan.outputs}
    done = run.run_job("promote-to-prod.yml", "deploy")
    assert done.ok, done.log
    assert query(db_url, "SELECT value FROM app_config WHERE key = 'posts_per_page'") == [(33,)]
    assert query(
        db_url, "SELECT count(*) FROM reconciler.schema_migrations WHERE version = '0007'"
    ) == [(0,)]
