"""Neon branch backups over the Neon API v2 (httpx).

Backup: a branch ``reconciler/backup/<env>/<utc>-<plan8>`` of the environment's branch at
its current LSN, with no compute endpoint and an annotation marking it as ours; the
operations are polled to a terminal status. 423 (another operation in progress), 429 (rate
limit) and 502/503/504 are retried with jittered exponential backoff honouring Retry-After,
bounded; a mutation that got no response at all is not retried blindly. Errors carry Neon's
code, message and request_id. Retention deletes only our own backups beyond the newest
``keep``, never one with child branches; a 204 (already gone) counts as deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from reconciler.backup import backup_name, prefix
from reconciler.errors import ReconcilerError
from reconciler.ports import BackupInfo, Target
from reconciler.retry import backoff

__all__ = ["MARK", "NeonBackupProvider", "NeonClient", "NeonError"]

MARK = {"created-by": "neon-reconciler"}
RETRY_STATUS = {423, 429, 502, 503, 504}
TERMINAL_OK = {"finished", "skipped"}
TERMINAL_BAD = {"failed", "error", "cancelled"}


class NeonError(ReconcilerError):
    code = "neon-api"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        neon_code: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        detail = ", ".join(
            x
            for x in (
                f"HTTP {status}" if status else "",
                f"code {neon_code}" if neon_code else "",
                f"request_id {request_id}" if request_id else "",
            )
            if x
        )
        super().__init__(f"Neon API: {message}" + (f" ({detail})" if detail else ""), hint=hint)
        self.status, self.neon_code, self.request_id = status, neon_code, request_id
        # no answer, rate limits, locked projects and server errors pass; 4xx need a fix
        self.transient = status is None or status in RETRY_STATUS or status >= 500


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


class NeonClient:
    """The few Neon API v2 calls the reconciler needs, with retries and readable errors."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        project_id: str,
        *,
        timeout: float = 30.0,
        max_attempts: int = 6,
        max_delay: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.project_id = project_id
        self.max_attempts = max_attempts
        self.max_delay = max_delay
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        )
        self.retries = 0

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        url = f"/projects/{self.project_id}{path}"
        mutation = method != "GET"
        for attempt in range(self.max_attempts):
            try:
                resp = self.http.request(method, url, **kw)
            except httpx.TransportError as e:
                if mutation or attempt + 1 >= self.max_attempts:
                    raise NeonError(
                        f"{method} {path}: no response ({type(e).__name__})",
                        hint="Neon may be down or unreachable; "
                        + (
                            "check in the console whether the change happened"
                            if mutation
                            else "try again later"
                        ),
                    ) from None
                self._wait(attempt, None)
                continue
            if resp.status_code in RETRY_STATUS and attempt + 1 < self.max_attempts:
                self._wait(attempt, _retry_after(resp))
                continue
            if resp.status_code == 204:
                return None
            if resp.status_code >= 400:
                try:
                    body = resp.json()
                except ValueError:
                    body = {}
                hint = {
                    401: "check the API key (neon.api_key_from_env)",
                    403: "the API key may not access this project",
                    404: "check neon.project_id and the branch or operation id",
                    423: "another operation is in progress on this project; try again shortly",
                    429: "rate limited (about 700 requests a minute); try again shortly",
                }.get(resp.status_code)
                raise NeonError(
                    f"{method} {path} failed: {body.get('message') or resp.reason_phrase}",
                    status=resp.status_code,
                    neon_code=body.get("code"),
                    request_id=body.get("request_id") or resp.headers.get("X-Neon-Request-Id"),
                    hint=hint,
                )
            return resp.json() if resp.content else None
        raise AssertionError("unreachable")

    def _wait(self, attempt: int, retry_after: float | None) -> None:
        self.retries += 1
        if retry_after is not None:  # the server said when: no jitter, only the cap
            self.sleep(min(self.max_delay, retry_after))
        else:
            self.sleep(backoff(attempt, initial=0.5, maximum=self.max_delay))

    # -- endpoints ---------------------------------------------------------------------------
    def branches(self, search: str | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Every branch (following cursors), and the annotations keyed by branch id."""
        out: list[dict[str, Any]] = []
        notes: dict[str, Any] = {}
        cursor = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"limit": 100}
            if search:
                params["search"] = search
            if cursor:
                params["cursor"] = cursor
            body = self._call("GET", "/branches", params=params) or {}
            out.extend(body.get("branches", []))
            notes.update(body.get("annotations") or {})
            cursor = (body.get("pagination") or {}).get("next")
            if not cursor or not body.get("branches"):
                return out, notes
            if str(cursor) in seen:  # (a page already read: following it never ends)
                raise NeonError(
                    f"listing branches: the next-page cursor {str(cursor)[:40]!r} came back "
                    f"again after {len(out)} branches; not reading on",
                )
            seen.add(str(cursor))

    def create_branch(
        self, parent_id: str, name: str, annotation: dict[str, str]
    ) -> dict[str, Any]:
        return dict(
            self._call(
                "POST",
                "/branches",
                json={
                    "branch": {"parent_id": parent_id, "name": name},
                    "annotation_value": annotation,
                },
            )
        )

    def delete_branch(self, branch_id: str) -> dict[str, Any] | None:
        return self._call("DELETE", f"/branches/{branch_id}")

    def restore_branch(
        self, branch_id: str, source_branch_id: str, preserve_under_name: str
    ) -> dict[str, Any]:
        return dict(
            self._call(
                "POST",
                f"/branches/{branch_id}/restore",
                json={
                    "source_branch_id": source_branch_id,
                    "preserve_under_name": preserve_under_name,
                },
            )
        )

    def operation(self, op_id: str) -> dict[str, Any]:
        return dict((self._call("GET", f"/operations/{op_id}") or {}).get("operation") or {})

    def wait(
        self, operations: list[dict[str, Any]], timeout: float = 600.0, poll: float = 0.5
    ) -> None:
        """Poll each operation until it is finished or skipped; fail on failed/error/cancelled or timeout."""
        deadline = time.monotonic() + timeout
        for op in operations:
            status = op.get("status")
            while status not in TERMINAL_OK:
                if status in TERMINAL_BAD:
                    raise NeonError(
                        f"operation {op.get('id')} ({op.get('action')}) ended {status}",
                        hint=op.get("error") or "see the project's operations in the Neon console",
                    )
                if time.monotonic() > deadline:
                    raise NeonError(
                        f"operation {op.get('id')} ({op.get('action')}) still {status} after {timeout:.0f}s",
                        hint="it may still finish; check the Neon console before retrying",
                    )
                self.sleep(poll)
                status = self.operation(str(op["id"])).get("status")


class NeonBackupProvider:
    """BackupProvider on Neon branches of one project."""

    name = "neon"

    def __init__(
        self, client: NeonClient, branch: str, *, operation_timeout: float = 600.0
    ) -> None:
        self.client = client
        self.branch = branch
        self.operation_timeout = operation_timeout

    def _head(self) -> dict[str, Any]:
        branches, _ = self.client.branches(search=self.branch)
        for b in branches:
            if b.get("name") == self.branch or b.get("id") == self.branch:
                return b
        raise NeonError(
            f"branch {self.branch!r} not found in project {self.client.project_id}",
            hint="check neon.branch in the environment file",
        )

    def backup(self, environment: str, plan_hash: str, target: Target) -> BackupInfo:
        head = self._head()
        name = backup_name(environment, plan_hash)
        body = self.client.create_branch(
            head["id"], name, {**MARK, "environment": environment, "plan-hash": plan_hash}
        )
        self.client.wait(body.get("operations") or [], timeout=self.operation_timeout)
        b = body["branch"]
        return BackupInfo(str(b["id"]), name, str(b.get("created_at", "")), self.name)

    def backups(self, environment: str) -> list[BackupInfo]:
        branches, notes = (
            self.client.branches()
        )  # all of them: children of a backup may have any name
        all_parents = {b.get("parent_id") for b in branches}
        out = []
        for b in branches:
            if not str(b.get("name", "")).startswith(prefix(environment)):
                continue
            value = (notes.get(b["id"]) or {}).get("value") or {}
            ours = value.get("created-by") == MARK["created-by"]
            out.append(
                BackupInfo(
                    str(b["id"]),
                    str(b["name"]),
                    str(b.get("created_at", "")),
                    self.name,
                    ours,
                    b["id"] in all_parents,
                )
            )
        return sorted(out, key=lambda x: (x.created_at, x.name), reverse=True)

    def prune(self, environment: str, keep: int) -> list[str]:
        deleted = []
        ours = [b for b in self.backups(environment) if b.ours]
        for b in ours[keep:]:
            if b.has_children:
                continue  # Neon refuses, and the children need their parent
            body = self.client.delete_branch(b.id)
            self.client.wait((body or {}).get("operations") or [], timeout=self.operation_timeout)
            deleted.append(b.name)
        return deleted

    def restore(self, environment: str, backup_id: str, target: Target) -> str:
        head = self._head()
        known = {b.id: b for b in self.backups(environment)}
        if backup_id not in known and backup_id not in {b.name for b in known.values()}:
            raise NeonError(
                f"{backup_id!r} is not a backup of {environment}",
                hint=f"reconcile backups --env {environment} lists them",
            )
        source = (
            backup_id
            if backup_id in known
            else next(b.id for b in known.values() if b.name == backup_id)
        )
        preserved = f"reconciler/pre-restore/{environment}/{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        body = self.client.restore_branch(head["id"], source, preserved)
        self.client.wait(body.get("operations") or [], timeout=self.operation_timeout)
        return preserved
