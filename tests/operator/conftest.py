"""The Kubernetes API is kmock (by kopf's author) in its own thread; the operator runs under kopf's KopfRunner."""

from __future__ import annotations

import asyncio
import base64
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import kmock
import pytest
from kopf.testing import KopfRunner

from reconciler.operator import GROUP, KIND, PLURAL, VERSION
from tests.conftest import run_cli

API = f"/apis/{GROUP}/{VERSION}/namespaces/default/{PLURAL}"


class Emulator(kmock.KubernetesEmulator):
    """kmock, plus two things a real API server does that kmock does not:

    - ``metadata.generateName`` on create (kopf names its Events that way; kmock would store
      them all under one empty name and answer 409);
    - a bounded memory of requests: kmock records every request and matches each new one by
      scanning all of them, so its time per request grows with the number served; after a few
      thousand (50 DatabaseSyncs starting) it stalls for seconds and connections are reset.
      Only the recent ones are kept (objects and their history are kept in full).
    """

    KEEP_REQUESTS = 20

    async def _handle(self, request: Any) -> Any:
        if len(self._requests) > 2 * self.KEEP_REQUESTS:
            del self._requests[: -self.KEEP_REQUESTS]
        meta = (request.data or {}).get("metadata") if isinstance(request.data, dict) else None
        if (
            request.action == kmock.action.CREATE
            and meta
            and not meta.get("name")
            and meta.get("generateName")
        ):
            meta["name"] = f"{meta['generateName']}{uuid.uuid4().hex[:10]}"
        return await super()._handle(request)


class KubeThread:
    """kmock's Kubernetes emulator served from a private event loop in a thread."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.url = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping: asyncio.Event | None = None

    def start(self) -> KubeThread:
        threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True).start()
        assert self.ready.wait(20), "kmock did not start"
        return self

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        async with Emulator() as k, kmock.Server(k):
            k.resources.load_bundled()  # or kopf waits forever for the API's resource list
            k.resources[f"{GROUP}/{VERSION}/{PLURAL}"] = kmock.ResourceInfo(
                namespaced=True,
                kind=KIND,
                singular="databasesync",
                shortnames={"dbsync"},
                verbs={"get", "list", "watch", "create", "update", "patch", "delete"},
                subresources={"status"},
            )
            self.k = k
            self.url = str(k.url)
            self.ready.set()
            await self.stopping.wait()

    def stop(self) -> None:
        if self.loop and self.stopping:
            self.loop.call_soon_threadsafe(self.stopping.set)

    # -- a tiny client for the tests ---------------------------------------------------------
    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = httpx.post(self.url + path, json=body)
        assert r.status_code < 300, r.text
        return dict(r.json())

    def get(self, path: str) -> dict[str, Any]:
        r = httpx.get(self.url + path)
        assert r.status_code < 300, r.text
        return dict(r.json())

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = httpx.patch(
            self.url + path, json=body, headers={"Content-Type": "application/merge-patch+json"}
        )
        assert r.status_code < 300, r.text
        return dict(r.json())

    def secret(self, name: str, url: str) -> None:
        self.post(
            "/api/v1/namespaces/default/secrets",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": "default"},
                "data": {"url": base64.b64encode(url.encode()).decode()},
            },
        )

    def dbsync(self, name: str, env: str, **spec: Any) -> None:
        self.post(
            API,
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": KIND,
                # as an API server stores it: kopf's patches test the resourceVersion
                "metadata": {
                    "name": name,
                    "namespace": "default",
                    "uid": f"uid-{name}",
                    "resourceVersion": "1",
                    "generation": 1,
                },
                "spec": {
                    "environment": env,
                    "source": {"configMapRef": {"name": f"pkg-{name}"}},
                    "databaseUrlSecretRef": {"name": f"db-{name}", "key": "url"},
                    "interval": "5m",
                    **spec,
                },
            },
        )

    def status(self, name: str) -> dict[str, Any]:
        return dict(self.get(f"{API}/{name}").get("status") or {})

    def events(self) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/namespaces/default/events").get("items", []))


def wait_for(cond: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = cond()
            if last:
                return last
        except (AssertionError, KeyError, httpx.HTTPError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last})")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def operator_command(health_port: int | None = None, metrics_port: int | None = None) -> list[str]:
    """``reconcile operator --standalone`` as a process, on these health and metrics ports (free
    ones where not given)."""
    return [
        sys.executable,
        "-m",
        "reconciler",
        "operator",
        "--standalone",
        f"--health-port={health_port or free_port()}",
        f"--metrics-port={metrics_port or free_port()}",
    ]


@pytest.fixture
def kube() -> Iterator[KubeThread]:
    k = KubeThread().start()
    yield k
    k.stop()


def package(project: Path, env: str, name: str) -> dict[str, Any]:
    """`reconcile package` output, parsed, as the ConfigMap the resource points at."""
    from ruamel.yaml import YAML

    r = run_cli(project, "package", "--env", env, "--name", name)
    assert r.returncode == 0, r.stderr
    return dict(YAML(typ="safe").load(r.stdout))


@pytest.fixture
def operator(
    kube: KubeThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """The operator, standalone, against kmock; its admission webhook on a local plain-HTTP port."""
    port = free_port()
    monkeypatch.setenv("RECONCILER_KUBE_URL", kube.url)
    monkeypatch.setenv("RECONCILER_WEBHOOK_PORT", str(port))
    monkeypatch.setenv("RECONCILER_WEBHOOK_ADDR", "127.0.0.1")
    monkeypatch.setenv("RECONCILER_TIMER_S", "0.5")
    monkeypatch.setenv("RECONCILER_HOME", str(tmp_path / "operator-home"))
    args = ["run", "-A", "--standalone", "-m", "reconciler.operator.handlers"]
    with KopfRunner(args, timeout=60) as runner:
        yield {"runner": runner, "webhook": f"http://127.0.0.1:{port}"}
    assert runner.exception is None or isinstance(runner.exception, SystemExit), runner.output[
        -3000:
    ]
