"""What the operator reads and asks of the API server besides its own objects (lightkube, async).

Secrets (the database URL, the Neon key), the ConfigMap holding the manifests, and a run
request (the ``requested-at`` annotation) for a DatabaseSync whose ConfigMap changed. One
client per event loop; lightkube re-reads a rotated service-account token on a 401.
"""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING

from reconciler.errors import ReconcilerError
from reconciler.kube import REQUESTED_AT, async_client, database_sync

if TYPE_CHECKING:
    from lightkube import AsyncClient

__all__ = [
    "KubeError",
    "NotFound",
    "get_configmap",
    "get_secret_value",
    "readers_of",
    "request_run",
]


class KubeError(ReconcilerError):
    """The API server refused or could not be reached."""

    code = "kubernetes-api"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        # 5xx, 429 and no answer at all pass; 403 and the like need someone to act
        self.transient = status is None or status >= 500 or status == 429


class NotFound(KubeError):
    """A Secret or ConfigMap the resource names does not exist (yet): retried with backoff."""

    code = "not-found"

    def __init__(self, message: str) -> None:
        super().__init__(message, status=404)
        self.transient = True


_clients: dict[int, AsyncClient] = {}


def _client() -> AsyncClient:
    key = id(asyncio.get_running_loop())
    if key not in _clients:
        _clients[key] = async_client()
    return _clients[key]


def _status(e: Exception) -> int | None:
    """The HTTP status of a lightkube error (an ApiError, or an HTTP error without a Status body)."""
    status = getattr(e, "status", None)
    code = getattr(status, "code", None)
    if code is None:
        code = getattr(getattr(e, "response", None), "status_code", None)
    return int(code) if code is not None else None


async def _get(kind: type, namespace: str, name: str, what: str) -> object:
    try:
        return await _client().get(kind, name, namespace=namespace)
    except Exception as e:  # ApiError, HTTP errors, transport errors: typed by their status
        code = _status(e)
        if code == 404:
            raise NotFound(f"{what} not found") from None
        raise KubeError(
            f"reading {what}: " + (f"HTTP {code}" if code else type(e).__name__), status=code
        ) from None


async def get_secret_value(namespace: str, name: str, key: str) -> str:
    from lightkube.resources.core_v1 import Secret

    secret = await _get(Secret, namespace, name, f"Secret {namespace}/{name}")
    data = getattr(secret, "data", None) or {}
    if key not in data:
        raise NotFound(f"Secret {namespace}/{name} has no key {key!r}")
    return base64.b64decode(data[key]).decode()


async def get_configmap(namespace: str, name: str) -> dict[str, str]:
    from lightkube.resources.core_v1 import ConfigMap

    cm = await _get(ConfigMap, namespace, name, f"ConfigMap {namespace}/{name}")
    return dict(getattr(cm, "data", None) or {})


async def readers_of(namespace: str, configmap: str) -> list[tuple[str, str | None]]:
    """(name, the package digest its last run read) of each DatabaseSync reading the ConfigMap."""
    out = []
    try:
        async for obj in _client().list(database_sync(), namespace=namespace):
            spec = dict(obj.get("spec") or {})
            ref = ((spec.get("source") or {}).get("configMapRef") or {}).get("name")
            if ref == configmap:
                status = dict(obj.get("status") or {})
                out.append((str(obj.metadata.name), status.get("sourceDigest")))
    except Exception as e:
        code = _status(e)
        raise KubeError(
            f"listing the DatabaseSyncs of {namespace}: "
            + (f"HTTP {code}" if code else type(e).__name__),
            status=code,
        ) from None
    return out


async def request_run(namespace: str, name: str, why: str) -> None:
    """Ask for a run of a DatabaseSync now, as a person would: set its requested-at annotation."""
    from lightkube.types import PatchType

    patch = {"metadata": {"annotations": {REQUESTED_AT: why}}}
    try:
        await _client().patch(
            database_sync(), name, patch, namespace=namespace, patch_type=PatchType.MERGE
        )
    except Exception as e:
        code = _status(e)
        if code != 404:  # gone in the meantime: nothing to run
            raise KubeError(
                f"requesting a run of {namespace}/{name}: "
                + (f"HTTP {code}" if code else type(e).__name__),
                status=code,
            ) from None
