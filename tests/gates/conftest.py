"""Fixtures for the production gates: approver logins, the Neon emulator, a real webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.neon_emulator import NeonEmulator

SECRET = "whsec_test_0123456789abcdef"


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that records what it gets; it can answer 500 or be down."""

    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/audit?token=tok_should_not_leak"

    def start(self) -> None:
        rec = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                rec.received.append(
                    {"headers": dict(self.headers), "body": body, "status": rec.status}
                )
                self.send_response(rec.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["status"] < 300]

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"])["event"] for r in self.ok()]


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    monkeypatch.setenv("AUDIT_WEBHOOK_URL", r.url)
    monkeypatch.setenv("AUDIT_WEBHOOK_SECRET", SECRET)
    yield r
    r.stop()


@pytest.fixture
def neon(
    project: Path, db_url: str, pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[NeonEmulator]:
    """The emulator, with prod's neon: section pointed at it; its main branch is the test database."""
    emu = NeonEmulator(pg_admin_url, urlsplit(db_url).path.lstrip("/")).start()
    env = project / "environments/prod.yaml"
    env.write_text(
        env.read_text().replace(
            "neon: {project_id: still-sun-123456, branch: main, api_key_from_env: NEON_API_KEY}",
            f"neon: {{project_id: still-sun-123456, branch: main, api_key_from_env: NEON_API_KEY, "
            f"api_url: '{emu.base_url}'}}",
        )
    )
    monkeypatch.setenv("NEON_API_KEY", emu.api_key)
    yield emu
    emu.stop()


def login_url(db_url: str, user: str) -> str:
    p = urlsplit(db_url)
    host = p.netloc.split("@", 1)[-1]
    return p._replace(netloc=f"{user}@{host}").geturl()


@pytest.fixture
def approvers(db_url: str, pg_admin_url: str) -> Iterator[dict[str, str]]:
    """Database logins alice, bob, carol (listed in prod.yaml) and mallory (not listed)."""
    names = ["alice", "bob", "carol", "mallory"]
    with psycopg.connect(pg_admin_url, autocommit=True) as c:
        for n in names:
            if not c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (n,)).fetchone():
                c.execute(f'CREATE ROLE "{n}" LOGIN')
    yield {n: login_url(db_url, n) for n in names}


def set_policy(project: Path, env: str, old: str, new: str) -> None:
    p = project / "environments" / f"{env}.yaml"
    text = p.read_text()
    assert old in text, old
    p.write_text(text.replace(old, new))
