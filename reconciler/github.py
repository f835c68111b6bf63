"""GitHub's REST API (I/O edge, httpx): pull-request comments and a run's deployment reviews.

Only what the reconciler needs: list, create and update issue comments (a pull request is an
issue), paginated by ``per_page`` and the ``Link`` header; and ``GET /repos/{owner}/{repo}/
actions/runs/{run_id}/approvals``, the reviews of a run's deployments. Authenticated with
``Authorization: Bearer $GITHUB_TOKEN``; the token never appears in errors.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from reconciler.errors import ReconcilerError

__all__ = ["GitHub", "GitHubError"]

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
_MAX_PAGES = 100  # of 100 items each


class GitHubError(ReconcilerError):
    code = "github-api"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.transient = status is None or status >= 500 or status == 429


class GitHub:
    def __init__(
        self,
        api_url: str,
        token: str,
        repository: str,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.repository = repository
        self.http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            timeout=httpx.Timeout(15.0, connect=5.0),
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            r = self.http.request(method, url, **kw)
        except httpx.HTTPError as e:
            raise GitHubError(
                f"{method} {url.split('?')[0]}: no response ({type(e).__name__})"
            ) from None
        if r.status_code >= 400:
            try:
                why = str(r.json().get("message") or r.reason_phrase)
            except ValueError:
                why = r.reason_phrase
            raise GitHubError(
                f"{method} {url.split('?')[0]} failed: HTTP {r.status_code} {why}",
                status=r.status_code,
            )
        return r

    def _pages(self, path: str) -> list[dict[str, Any]]:
        """Every item of a paginated list, following its ``Link: rel="next"`` pages: on the
        API's own server only (the token goes with each request), and at most _MAX_PAGES of
        them (a server that always links a next page must not hold the run forever)."""
        out: list[dict[str, Any]] = []
        url = f"{path}?per_page=100"
        for _ in range(_MAX_PAGES):
            r = self._call("GET", url)
            body = r.json()
            out.extend(body if isinstance(body, list) else [])
            m = _NEXT.search(r.headers.get("Link", ""))
            if m is None:
                return out
            url = self._on_this_server(path, m.group(1))
        raise GitHubError(
            f"GET {path}: more than {_MAX_PAGES} pages of 100; not reading on (the server "
            "keeps linking a next page)"
        )

    def _on_this_server(self, path: str, link: str) -> str:
        base, there = self.http.base_url, httpx.URL(link)
        if there.is_relative_url:
            return link
        if (there.scheme, there.host, there.port) != (base.scheme, base.host, base.port):
            raise GitHubError(
                f"GET {path}: the next page's link leads to another server "
                f"({there.scheme}://{there.host}), which would be sent the token: not followed"
            )
        return link

    def comments(self, number: int) -> list[dict[str, Any]]:
        return self._pages(f"/repos/{self.repository}/issues/{number}/comments")

    def create_comment(self, number: int, body: str) -> dict[str, Any]:
        r = self._call(
            "POST", f"/repos/{self.repository}/issues/{number}/comments", json={"body": body}
        )
        return dict(r.json())

    def update_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        r = self._call(
            "PATCH", f"/repos/{self.repository}/issues/comments/{comment_id}", json={"body": body}
        )
        return dict(r.json())

    def run_approvals(self, run_id: int) -> list[dict[str, Any]]:
        r = self._call("GET", f"/repos/{self.repository}/actions/runs/{run_id}/approvals")
        body = r.json()
        return list(body) if isinstance(body, list) else []
