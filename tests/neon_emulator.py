"""A local emulator of the Neon API v2 endpoints the reconciler uses, whose branches are real databases.

Each branch is a database on a real PostgreSQL server; creating a branch copies its parent
with pg_dump/pg_restore, restoring a branch replaces its database with a copy of the source
(keeping the old contents under ``preserve_under_name``). Faults can be injected: status codes
(423, 429 with Retry-After, 500, 503), operations that stay running for a while, and
operations that fail. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from reconciler.embedded import pg_tool as _bin


def db_url(admin_url: str, dbname: str) -> str:
    p = urlsplit(admin_url)
    return urlunsplit((p.scheme, p.netloc, "/" + dbname, p.query, p.fragment))


@dataclass
class Fault:
    method: str
    path: str  # regex on the path
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


@dataclass
class Branch:
    id: str
    name: str
    database: str
    parent_id: str | None
    created_at: str
    default: bool = False


class NeonEmulator:
    def __init__(
        self,
        admin_url: str,
        main_db: str,
        *,
        project_id: str = "still-sun-123456",
        api_key: str = "napi_test_key",
    ) -> None:
        self.admin_url = admin_url
        self.project_id = project_id
        self.api_key = api_key
        self.lock = threading.RLock()
        self.branches: dict[str, Branch] = {}
        self.annotations: dict[str, dict[str, Any]] = {}
        self.operations: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.slow_polls = 0  # polls an operation answers "running" before it finishes
        self.fail_operations = False
        self.stuck_cursor = False  # the branch list's next-page cursor never moves on
        self.requests: list[tuple[str, str, int]] = []
        main = Branch("br-main-000001", "main", main_db, None, self._now(), default=True)
        self.branches[main.id] = main
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v2"

    def start(self) -> NeonEmulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            for b in self.branches.values():
                if not b.default:
                    c.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(b.database)
                        )
                    )

    def url_of(self, branch_name_or_id: str) -> str:
        b = self.find(branch_name_or_id)
        assert b is not None, branch_name_or_id
        return db_url(self.admin_url, b.database)

    def find(self, key: str) -> Branch | None:
        return self.branches.get(key) or next(
            (b for b in self.branches.values() if b.name == key), None
        )

    def inject(self, method: str, path: str, status: int, times: int = 1, **headers: str) -> None:
        self.faults.append(Fault(method, path, status, headers, times))

    # -- database copies -------------------------------------------------------------------
    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _copy(self, source_db: str, new_db: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(new_db)))
        with tempfile.NamedTemporaryFile(suffix=".dump") as f:
            subprocess.run(
                [_bin("pg_dump"), "-Fc", "-f", f.name, "-d", db_url(self.admin_url, source_db)],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [_bin("pg_restore"), "--no-owner", "-d", db_url(self.admin_url, new_db), f.name],
                check=True,
                capture_output=True,
            )

    def _operation(self, branch_id: str, action: str) -> dict[str, Any]:
        op = {
            "id": str(uuid.uuid4()),
            "project_id": self.project_id,
            "branch_id": branch_id,
            "action": action,
            "status": "running",
            "failures_count": 0,
            "created_at": self._now(),
            "polls": 0,
        }
        self.operations[op["id"]] = op
        return self._op_view(op)

    @staticmethod
    def _op_view(op: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in op.items() if k != "polls"}

    def _view(self, b: Branch) -> dict[str, Any]:
        return {
            "id": b.id,
            "project_id": self.project_id,
            "parent_id": b.parent_id,
            "name": b.name,
            "current_state": "ready",
            "created_at": b.created_at,
            "updated_at": b.created_at,
            "default": b.default,
            "protected": False,
        }

    # -- HTTP ----------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        emu = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(
                self, status: int, body: Any = None, headers: dict[str, str] | None = None
            ) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                rid = str(uuid.uuid4())
                self.send_header("X-Neon-Request-Id", rid)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                emu.requests.append((self.command, self.path, status))

            def _error(
                self, status: int, code: str, message: str, headers: dict[str, str] | None = None
            ) -> None:
                self._send(
                    status,
                    {"code": code, "message": message, "request_id": str(uuid.uuid4())},
                    headers,
                )

            def _dispatch(self) -> None:
                path = urlsplit(self.path).path
                if self.headers.get("Authorization") != f"Bearer {emu.api_key}":
                    return self._error(401, "UNAUTHORIZED", "authentication required")
                with emu.lock:
                    for f in emu.faults:
                        if f.times > 0 and f.method == self.command and re.search(f.path, path):
                            f.times -= 1
                            return self._error(
                                f.status, f"INJECTED_{f.status}", "injected fault", f.headers
                            )
                m = re.match(r"^/api/v2/projects/([^/]+)(/.*)$", path)
                if not m:
                    return self._error(404, "NOT_FOUND", "no such endpoint")
                if m.group(1) != emu.project_id:
                    return self._error(404, "NOT_FOUND", f"project {m.group(1)} not found")
                rest = m.group(2)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                with emu.lock:
                    return self._route(rest, body)

            def _route(self, rest: str, body: dict[str, Any]) -> None:
                q = parse_qs(urlsplit(self.path).query)
                if rest == "/branches" and self.command == "GET":
                    items = sorted(emu.branches.values(), key=lambda b: b.created_at)
                    if q.get("search"):
                        items = [
                            b for b in items if q["search"][0] in b.name or q["search"][0] == b.id
                        ]
                    start = int(q.get("cursor", ["0"])[0])
                    limit = int(q.get("limit", ["10000"])[0])
                    page = items[start : start + limit]
                    nxt = str(start + limit) if start + limit < len(items) else None
                    if emu.stuck_cursor:
                        nxt = q.get("cursor", ["0"])[0]
                    notes = {b.id: emu.annotations[b.id] for b in page if b.id in emu.annotations}
                    return self._send(
                        200,
                        {
                            "branches": [emu._view(b) for b in page],
                            "annotations": notes,
                            "pagination": {"next": nxt} if nxt else {},
                        },
                    )
                if rest == "/branches" and self.command == "POST":
                    spec = body.get("branch") or {}
                    parent = emu.branches.get(spec.get("parent_id") or "") or next(
                        b for b in emu.branches.values() if b.default
                    )
                    bid = f"br-{uuid.uuid4().hex[:12]}"
                    b = Branch(bid, spec.get("name") or bid, f"nb_{bid[3:]}", parent.id, emu._now())
                    emu._copy(parent.database, b.database)
                    emu.branches[bid] = b
                    if body.get("annotation_value"):
                        emu.annotations[bid] = {
                            "object": {"type": "console/branch", "id": bid},
                            "value": body["annotation_value"],
                            "created_at": b.created_at,
                        }
                    return self._send(
                        201,
                        {
                            "branch": emu._view(b),
                            "endpoints": [],
                            "operations": [emu._operation(bid, "create_branch")],
                            "roles": [],
                            "databases": [],
                            "connection_uris": [],
                        },
                    )
                m = re.match(r"^/branches/([^/]+)(/restore)?$", rest)
                if m:
                    bid = m.group(1)
                    b = emu.branches.get(bid)
                    if m.group(2) and self.command == "POST":
                        return self._restore(b, body)
                    if self.command == "GET":
                        return (
                            self._send(200, {"branch": emu._view(b)})
                            if b
                            else self._error(404, "NOT_FOUND", f"branch {bid} not found")
                        )
                    if self.command == "DELETE":
                        if b is None:
                            return self._send(204)
                        if any(x.parent_id == bid for x in emu.branches.values()):
                            return self._error(
                                422, "BRANCH_HAS_CHILDREN", "the branch has children"
                            )
                        if b.default:
                            return self._error(
                                422, "BRANCH_IS_DEFAULT", "cannot delete the default branch"
                            )
                        with psycopg.connect(emu.admin_url, autocommit=True) as c:
                            c.execute(
                                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                                    sql.Identifier(b.database)
                                )
                            )
                        del emu.branches[bid]
                        emu.annotations.pop(bid, None)
                        return self._send(
                            200,
                            {
                                "branch": emu._view(b),
                                "operations": [emu._operation(bid, "delete_timeline")],
                            },
                        )
                m = re.match(r"^/operations/([^/]+)$", rest)
                if m and self.command == "GET":
                    op = emu.operations.get(m.group(1))
                    if op is None:
                        return self._error(404, "NOT_FOUND", "operation not found")
                    op["polls"] += 1
                    if op["status"] == "running" and op["polls"] > emu.slow_polls:
                        op["status"] = "failed" if emu.fail_operations else "finished"
                        if emu.fail_operations:
                            op["error"] = "injected operation failure"
                    return self._send(200, {"operation": emu._op_view(op)})
                return self._error(404, "NOT_FOUND", f"no route for {self.command} {rest}")

            def _restore(self, head: Branch | None, body: dict[str, Any]) -> None:
                if head is None:
                    return self._error(404, "NOT_FOUND", "branch not found")
                src = emu.branches.get(body.get("source_branch_id") or "")
                if src is None:
                    return self._error(
                        400, "BAD_REQUEST", "source_branch_id is not a branch of this project"
                    )
                has_children = any(x.parent_id == head.id for x in emu.branches.values())
                keep = body.get("preserve_under_name")
                if has_children and not keep:
                    return self._error(
                        400,
                        "BAD_REQUEST",
                        "preserve_under_name is required: the branch has children",
                    )
                ops = []
                if keep:  # the old head lives on under the new name; children move to it
                    pid = f"br-{uuid.uuid4().hex[:12]}"
                    preserved = Branch(pid, keep, f"nb_{pid[3:]}", head.parent_id, emu._now())
                    emu._copy(head.database, preserved.database)
                    emu.branches[pid] = preserved
                    for x in emu.branches.values():
                        if x.parent_id == head.id and x.id not in (pid, src.id):
                            x.parent_id = pid
                    ops.append(emu._operation(pid, "create_branch"))
                with psycopg.connect(emu.admin_url, autocommit=True) as c:
                    c.execute(
                        sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
                            sql.Identifier(head.database)
                        )
                    )
                with tempfile.NamedTemporaryFile(suffix=".dump") as f:
                    subprocess.run(
                        [
                            _bin("pg_dump"),
                            "-Fc",
                            "-f",
                            f.name,
                            "-d",
                            db_url(emu.admin_url, src.database),
                        ],
                        check=True,
                        capture_output=True,
                    )
                    with psycopg.connect(emu.admin_url, autocommit=True) as c:
                        c.execute(
                            sql.SQL("CREATE DATABASE {}").format(sql.Identifier(head.database))
                        )
                    subprocess.run(
                        [
                            _bin("pg_restore"),
                            "--no-owner",
                            "-d",
                            db_url(emu.admin_url, head.database),
                            f.name,
                        ],
                        check=True,
                        capture_output=True,
                    )
                ops.append(emu._operation(head.id, "restore"))
                return self._send(200, {"branch": emu._view(head), "operations": ops})

            def do_GET(self) -> None:
                self._dispatch()

            def do_POST(self) -> None:
                self._dispatch()

            def do_DELETE(self) -> None:
                self._dispatch()

        return Handler
