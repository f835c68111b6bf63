"""A local emulator of the few GitHub REST endpoints the reconciler uses, like the Neon one.

Issue comments (list with per_page/page and a Link header, create, update) and a run's
deployment reviews. Requests need ``Authorization: Bearer <token>``; a read-only token (as a
fork's pull request gets) is refused writes with 403.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class GitHubEmulator:
    token: str = "ghs_test_token"
    read_only_token: str = "ghs_fork_token"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # issue -> comments
    approvals: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # run -> reviews
    requests: list[tuple[str, str]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)  # each request's header
    link_to: str | None = None  # another server for the next-page links (a hostile one)
    endless: bool = False  # link a next page after every page, past the last
    next_id: int = 1000
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> GitHubEmulator:
        emu = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _auth(self, write: bool) -> bool:
                got = self.headers.get("Authorization", "")
                if got == f"Bearer {emu.token}":
                    return True
                if got == f"Bearer {emu.read_only_token}":
                    if write:
                        self._send(403, {"message": "Resource not accessible by integration"})
                        return False
                    return True
                self._send(401, {"message": "Bad credentials"})
                return False

            def _body(self) -> dict[str, Any]:
                n = int(self.headers.get("Content-Length") or 0)
                return dict(json.loads(self.rfile.read(n) or b"{}"))

            def do_GET(self) -> None:
                emu.requests.append(("GET", self.path))
                emu.authorizations.append(self.headers.get("Authorization", ""))
                if not self._auth(write=False):
                    return
                u = urlsplit(self.path)
                q = parse_qs(u.query)
                if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", u.path):
                    items = emu.comments.get(int(m.group(1)), [])
                    per = int(q.get("per_page", ["30"])[0])
                    page = int(q.get("page", ["1"])[0])
                    chunk = items[(page - 1) * per : page * per]
                    link = {}
                    if page * per < len(items) or emu.endless:
                        there = emu.link_to or emu.url
                        link = {
                            "Link": f'<{there}{u.path}?per_page={per}&page={page + 1}>; rel="next"'
                        }
                    self._send(200, chunk, link)
                elif m := re.fullmatch(r"/repos/[^/]+/[^/]+/actions/runs/(\d+)/approvals", u.path):
                    self._send(200, emu.approvals.get(int(m.group(1)), []))
                else:
                    self._send(404, {"message": "Not Found"})

            def do_POST(self) -> None:
                emu.requests.append(("POST", self.path))
                if not self._auth(write=True):
                    return
                if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", self.path):
                    emu.next_id += 1
                    c = {"id": emu.next_id, "body": self._body()["body"]}
                    emu.comments.setdefault(int(m.group(1)), []).append(c)
                    self._send(201, c)
                else:
                    self._send(404, {"message": "Not Found"})

            def do_PATCH(self) -> None:
                emu.requests.append(("PATCH", self.path))
                if not self._auth(write=True):
                    return
                if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", self.path):
                    for items in emu.comments.values():
                        for c in items:
                            if c["id"] == int(m.group(1)):
                                c["body"] = self._body()["body"]
                                self._send(200, c)
                                return
                self._send(404, {"message": "Not Found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
