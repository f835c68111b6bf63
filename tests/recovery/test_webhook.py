"""A webhook that accepts connections and never answers costs a bounded time, outside the lock."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.engine import EXIT_OK, Request, reconcile
from tests.conftest import query
from tests.gates.conftest import SECRET


def _receiver(
    monkeypatch: pytest.MonkeyPatch, on_connect: Callable[[socket.socket], None]
) -> tuple[socket.socket, threading.Event]:
    """A TCP server on 127.0.0.1 that hands every connection to ``on_connect`` (until the
    event is set), the environment's webhook pointed at it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            on_connect(c)

    threading.Thread(target=serve, daemon=True).start()
    monkeypatch.setenv("AUDIT_WEBHOOK_URL", f"http://127.0.0.1:{srv.getsockname()[1]}/hook")
    monkeypatch.setenv("AUDIT_WEBHOOK_SECRET", SECRET)
    return srv, stop


@pytest.fixture
def blackhole(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A TCP server that accepts every connection and never says a word."""
    held: list[socket.socket] = []
    connected = threading.Event()

    def hold(c: socket.socket) -> None:
        held.append(c)
        connected.set()

    srv, stop = _receiver(monkeypatch, hold)
    yield connected
    stop.set()
    for c in held:
        c.close()
    srv.close()


def test_a_silent_webhook_neither_holds_the_lock_nor_takes_long(
    project: Path, db_url: str, blackhole: threading.Event
) -> None:
    dev = project / "environments/dev.yaml"
    dev.write_text(
        dev.read_text().replace("policy:\n", "policy:\n  advisory_lock_wait: 500ms\n", 1)
        + "audit: {webhook_url_from_env: AUDIT_WEBHOOK_URL, secret_from_env: AUDIT_WEBHOOK_SECRET}\n"
    )
    t0 = time.monotonic()
    first = reconcile(Request("dev", "apply", root=str(project)))
    took = time.monotonic() - t0
    assert first.exit_code == EXIT_OK and first.delivery is not None
    assert first.delivery.delivered == 0 and first.delivery.pending == 2
    assert took < 15, took  # the delivery budget, not 3 tries x 5 s per owed event
    # while one run is stuck delivering to the silent receiver, another applies at once
    results: list[object] = []
    busy = threading.Thread(
        target=lambda: results.append(reconcile(Request("dev", "apply", root=str(project))))
    )
    blackhole.clear()
    busy.start()
    assert blackhole.wait(10), "the first run never reached the webhook"
    (project / "manifests/config/forum.yaml").write_text(
        (project / "manifests/config/forum.yaml").read_text().replace("value: 20", "value: 21")
    )
    second = reconcile(Request("dev", "apply", root=str(project)))
    assert second.exit_code == EXIT_OK  # no lock-held: delivery runs after the lock is released
    busy.join(30)
    assert query(db_url, "SELECT value FROM app_config WHERE key = 'posts_per_page'") == [(21,)]
    owed = query(db_url, "SELECT count(*) FROM reconciler.audit_outbox WHERE delivered_at IS NULL")
    assert owed[0][0] >= 4  # nothing lost: every event is still owed


@pytest.fixture
def firehose(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A receiver that answers 200 at once, then drips a body that does not end for 30 s."""
    answered: list[int] = []
    stopped = threading.Event()

    def drip(c: socket.socket) -> None:
        with c:
            c.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request:
                request += c.recv(65536)
            answered.append(1)
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            until = time.monotonic() + 30
            while not stopped.is_set() and time.monotonic() < until:
                try:
                    c.sendall(b"1\r\nx\r\n")
                except OSError:
                    return  # (the client closed: it stopped reading)
                time.sleep(0.2)

    srv, stop = _receiver(
        monkeypatch, lambda c: threading.Thread(target=drip, args=(c,), daemon=True).start()
    )
    yield answered
    stop.set()
    stopped.set()
    srv.close()


def test_a_receivers_endless_answer_is_not_waited_for(
    project: Path, db_url: str, firehose: list[int]
) -> None:
    """A 2xx is the receipt: the body after it, endless or huge, is never read, so the run
    neither waits for it nor holds it in memory."""
    dev = project / "environments/dev.yaml"
    dev.write_text(
        dev.read_text()
        + "audit: {webhook_url_from_env: AUDIT_WEBHOOK_URL, secret_from_env: AUDIT_WEBHOOK_SECRET}\n"
    )
    t0 = time.monotonic()
    out = reconcile(Request("dev", "apply", root=str(project)))
    took = time.monotonic() - t0
    assert out.exit_code == EXIT_OK and out.delivery is not None
    assert out.delivery.delivered == 2 and out.delivery.pending == 0 and len(firehose) == 2
    assert took < 10, took
