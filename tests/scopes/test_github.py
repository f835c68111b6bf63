"""Plan comments on pull requests, and GitHub reviewers as an approval source (local emulator)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.engine import EXIT_BLOCKED, EXIT_OK, Request, reconcile
from tests.conftest import run_cli
from tests.gates.conftest import set_policy
from tests.github_emulator import GitHubEmulator


@pytest.fixture
def github(tmp_path: Path) -> Iterator[GitHubEmulator]:
    emu = GitHubEmulator().start()
    yield emu
    emu.stop()


def _gh_env(github: GitHubEmulator, tmp_path: Path, token: str | None = None) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    return {
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": token or github.token,
        "GITHUB_REPOSITORY": "forum/site",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


def test_one_sticky_comment_per_environment_however_many_pushes(
    project: Path, db_url: str, github: GitHubEmulator, tmp_path: Path
) -> None:
    env = _gh_env(github, tmp_path)
    # someone else's comments fill the first page: the sticky one must still be found
    github.comments[7] = [{"id": i, "body": f"looks good {i}"} for i in range(150)]
    for push in range(2):
        for name in ("staging", "prod"):
            r = run_cli(project, "github", "comment", "--env", name, env=env)
            assert r.returncode == 0, r.stderr
            assert ("created" if push == 0 else "updated") in r.stdout
        cfg = project / "manifests/config/forum.yaml"
        cfg.write_text(cfg.read_text().replace("value: 20", f"value: {21 + push}"))
    mine = [c for c in github.comments[7] if "neon-reconciler:plan:" in c["body"]]
    assert len(mine) == 2  # one per environment, after two pushes
    staging = next(c for c in mine if "plan:staging" in c["body"])
    assert "`staging`" in staging["body"] and "Plan hash `" in staging["body"]
    assert any("page=2" in path for _, path in github.requests)  # it followed the Link header


def test_a_next_page_elsewhere_or_without_end_is_refused(github: GitHubEmulator) -> None:
    """The token goes with every request: a next-page link to another server is not
    followed (that server would get it), and a server that links a next page forever stops
    the read with an error instead of holding the run."""
    from reconciler.github import GitHub, GitHubError

    other = GitHubEmulator().start()
    try:
        github.comments[7] = [{"id": i, "body": "x"} for i in range(150)]
        github.link_to = other.url
        client = GitHub(github.url, github.token, "forum/site")
        with pytest.raises(GitHubError, match="leads to another server") as e:
            client.comments(7)
        assert github.token not in str(e.value)
        assert other.requests == [] and other.authorizations == []
        github.link_to, github.endless = None, True
        with pytest.raises(GitHubError, match="more than 100 pages"):
            client.comments(7)
        assert len(github.requests) == 1 + 100
        client.close()
    finally:
        other.stop()


def test_a_fork_gets_a_note_not_a_failure(
    project: Path, github: GitHubEmulator, tmp_path: Path
) -> None:
    env = _gh_env(github, tmp_path, token=github.read_only_token)
    env["DATABASE_URL_PROD"] = ""  # a fork's run has no secrets
    r = run_cli(project, "github", "comment", "--env", "prod", env=env)
    assert r.returncode == 0, r.stderr
    assert (
        "plan comment not posted: POST /repos/forum/site/issues/7/comments failed: HTTP 403"
        in r.stdout
    )
    summary = (tmp_path / "summary.md").read_text()
    assert (
        "plan not computed" in summary and "a pull request from a fork gets no secrets" in summary
    )


def test_github_reviewers_approve_the_plan_the_run_reviewed(
    project: Path, db_url: str, github: GitHubEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policy(project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none}")
    set_policy(
        project,
        "prod",
        "sources: [database, kubernetes]}",
        "sources: [database, github], github: {environment: production, "
        "logins: {octo-alice: alice, octo-bob: bob}}}",
    )
    for k, v in {
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": github.token,
        "GITHUB_REPOSITORY": "forum/site",
        "GITHUB_RUN_ID": "99",
    }.items():
        monkeypatch.setenv(k, v)
    reviewed = reconcile(Request("prod", root=str(project))).plan.hash  # the plan job
    github.approvals[99] = [
        {
            "state": "approved",
            "user": {"login": "octo-alice"},
            "environments": [{"name": "production"}],
        },
        {
            "state": "rejected",
            "user": {"login": "octo-bob"},
            "environments": [{"name": "production"}],
        },
        {
            "state": "approved",
            "user": {"login": "octo-eve"},
            "environments": [{"name": "production"}],
        },
    ]
    out = reconcile(Request("prod", "apply", root=str(project), expect_plan=reviewed))
    assert out.exit_code == EXIT_BLOCKED and out.verdict.approvals_received == ["alice"]
    github.approvals[99][1]["state"] = "approved"  # bob approves the deployment too
    out = reconcile(Request("prod", "apply", root=str(project), expect_plan=reviewed))
    assert out.exit_code == EXIT_OK and out.verdict.approvals_received == ["alice", "bob"]
    # without the reviewed hash (not a deploy job), GitHub reviews count for nothing
    cfg = project / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 21"))
    out = reconcile(Request("prod", "apply", root=str(project)))
    assert out.exit_code == EXIT_BLOCKED and out.verdict.approvals_received == []
