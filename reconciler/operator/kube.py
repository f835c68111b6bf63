"""Talking to the Kubernetes API (httpx): Secrets, ConfigMaps and the status subresource.

Where: ``RECONCILER_KUBE_URL`` (plain HTTP; tests and local development), else the
in-cluster service account (``KUBERNETES_SERVICE_HOST``, its token and CA). The same
settings log kopf in, so the handlers and this client talk to one API server.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = [
    "KubeError",
    "NotFound",
    "connection",
    "get_configmap",
    "get_secret_value",
    "patch_status",
]

SA = "/var/run/secrets/kubernetes.io/serviceaccount"


class KubeError(Exception):
    pass


class NotFound(KubeError):
    pass


@dataclass(frozen=True)
class Connection:
    server: str
    token: str | None = None
    ca_path: str | None = None

    def client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        verify: Any = self.ca_path or True
        return httpx.AsyncClient(base_url=self.server, headers=headers, verify=verify, timeout=15.0)


_clients: dict[int, httpx.AsyncClient] = {}


def _client() -> httpx.AsyncClient:
    """One pooled client per event loop (a new client per call costs a TLS context each time)."""
    import asyncio

    key = id(asyncio.get_running_loop())
    c = _clients.get(key)
    if c is None or c.is_closed:
        c = _clients[key] = connection().client()
    return c


def connection() -> Connection:
    url = os.environ.get("RECONCILER_KUBE_URL")
    if url:
        return Connection(url.rstrip("/"))
    host, port = (
        os.environ.get("KUBERNETES_SERVICE_HOST"),
        os.environ.get("KUBERNETES_SERVICE_PORT", "443"),
    )
    if not host:
        raise KubeError("no Kubernetes API: set RECONCILER_KUBE_URL or run in a cluster")
    with open(f"{SA}/token") as f:
        token = f.read().strip()
    return Connection(f"https://{host}:{port}", token, f"{SA}/ca.crt")


async def _get(path: str, what: str) -> dict[str, Any]:
    r = await _client().get(path)
    if r.status_code == 404:
        raise NotFound(f"{what} not found")
    if r.status_code >= 400:
        raise KubeError(f"reading {what}: HTTP {r.status_code}")
    return dict(r.json())


async def get_secret_value(namespace: str, name: str, key: str) -> str:
    body = await _get(
        f"/api/v1/namespaces/{namespace}/secrets/{name}", f"Secret {namespace}/{name}"
    )
    data = body.get("data") or {}
    if key not in data:
        raise NotFound(f"Secret {namespace}/{name} has no key {key!r}")
    return base64.b64decode(data[key]).decode()


async def get_configmap(namespace: str, name: str) -> dict[str, str]:
    body = await _get(
        f"/api/v1/namespaces/{namespace}/configmaps/{name}", f"ConfigMap {namespace}/{name}"
    )
    return dict(body.get("data") or {})


async def patch_status(
    group: str, version: str, plural: str, namespace: str, name: str, status: dict[str, Any]
) -> None:
    path = f"/apis/{group}/{version}/namespaces/{namespace}/{plural}/{name}/status"
    r = await _client().patch(
        path, json={"status": status}, headers={"Content-Type": "application/merge-patch+json"}
    )
    if r.status_code >= 400:
        raise KubeError(f"writing the status of {namespace}/{name}: HTTP {r.status_code}")


async def post_event(obj: dict[str, Any], kind: str, reason: str, message: str) -> None:
    """A core/v1 Event about ``obj``, with an explicit unique name (no reliance on generateName)."""
    import uuid
    from datetime import UTC, datetime

    meta = obj["metadata"]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{uuid.uuid4().hex[:16]}",
            "namespace": meta["namespace"],
        },
        "involvedObject": {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta.get("uid"),
        },
        "type": kind,
        "reason": reason,
        "message": message[:1024],
        "source": {"component": "neon-reconciler"},
        "reportingComponent": "neon-reconciler",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
    r = await _client().post(f"/api/v1/namespaces/{meta['namespace']}/events", json=event)
    if r.status_code >= 400:
        raise KubeError(f"posting an event: HTTP {r.status_code}")
