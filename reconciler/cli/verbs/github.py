"""reconcile github comment: the plan as a sticky pull-request comment."""

from __future__ import annotations

import argparse
import os

from reconciler.cli.common import add_scope, request

FORMATS: tuple[str, ...] = ()


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["comment"], help="comment: post or update the plan comment")
    add_scope(p)


def run(args: argparse.Namespace) -> int:
    """Post the environment's plan on the pull request as one comment, updated on every push.

    Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH and GITHUB_API_URL as a GitHub
    Actions run sets them. Without database credentials (a pull request from a fork) the
    comment says so instead of failing; without a token that may write, the comment goes to
    the job summary (GITHUB_STEP_SUMMARY) instead. Exit 0 posted or noted, 1 error.
    """
    from reconciler.engine.pullrequest import comment_plan

    out = comment_plan(
        request(args),
        event_path=os.environ.get("GITHUB_EVENT_PATH", ""),
        api_url=os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        token=os.environ.get("GITHUB_TOKEN", ""),
        repository=os.environ.get("GITHUB_REPOSITORY", ""),
    )
    if out.action == "not-posted":
        print(f"plan comment not posted: {out.note}")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as f:
                f.write(out.body + "\n")
            print("(written to the job summary instead)")
    else:
        print(f"plan comment {out.action} (id {out.comment_id})")
    return 0
