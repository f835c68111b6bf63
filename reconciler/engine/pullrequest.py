"""The plan as a sticky pull-request comment: one comment per environment, updated on every push.

The comment carries a hidden marker naming the environment; the next run finds it among the
pull request's comments and updates it instead of adding another. A pull request from a fork
has no secrets (no database URL, a read-only token): it still gets a clear note instead of a
failure, and validation runs anyway in its own step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from reconciler.engine.request import Request
from reconciler.errors import ReconcilerError

__all__ = ["CommentOutcome", "comment_plan", "marker"]


@dataclass
class CommentOutcome:
    action: str  # created | updated | not-posted
    comment_id: int | None
    body: str
    note: str | None = None


def marker(environment: str) -> str:
    return f"<!-- neon-reconciler:plan:{environment} -->"


def _pr_number(event_path: str) -> int:
    try:
        with open(event_path, encoding="utf-8") as f:
            event = json.load(f)
    except (OSError, ValueError) as e:
        raise ReconcilerError(
            f"cannot read the workflow event {event_path}: {type(e).__name__}",
            code="github-event",
            hint="run inside a pull_request workflow (GITHUB_EVENT_PATH)",
        ) from None
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    if not isinstance(number, int):
        raise ReconcilerError(
            "the workflow event is not a pull request",
            code="github-event",
            hint="post plan comments from a pull_request (or pull_request_target) workflow",
        )
    return number


def comment_plan(
    request: Request, *, event_path: str, api_url: str, token: str, repository: str
) -> CommentOutcome:
    """Compute the environment's plan and post it as the pull request's sticky comment."""
    from reconciler.engine.reconcile import reconcile
    from reconciler.github import GitHub, GitHubError
    from reconciler.plan import render_plan

    number = _pr_number(event_path)
    env = request.env.rsplit("/", 1)[-1].removesuffix(".yaml")
    try:
        out = reconcile(replace(request, mode="plan"))
        env = out.desired.env.name
        text = render_plan(out.plan, "markdown", out.verdict)
        if out.next_step:
            text += f"\nNext: {out.next_step}\n"
    except ReconcilerError as e:
        if e.code != "no-database":
            raise
        text = (
            f"### `{env}`: plan not computed\n\nThis workflow run has no credentials for "
            f"{env}'s database (a pull request from a fork gets no secrets), so the plan is not "
            "shown. The migrations were still validated: see the annotations on the files.\n"
        )
    body = f"{marker(env)}\n{text}"
    if not token:
        return CommentOutcome("not-posted", None, body, "GITHUB_TOKEN is not set")
    gh = GitHub(api_url, token, repository)
    try:
        mine = [c for c in gh.comments(number) if marker(env) in str(c.get("body") or "")]
        if mine:
            c = gh.update_comment(int(mine[0]["id"]), body)
            return CommentOutcome("updated", int(c["id"]), body)
        c = gh.create_comment(number, body)
        return CommentOutcome("created", int(c["id"]), body)
    except GitHubError as e:
        if e.status in (401, 403, 404):  # a fork's read-only token, or no access: say so
            return CommentOutcome("not-posted", None, body, e.message)
        raise
    finally:
        gh.close()
