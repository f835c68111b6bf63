"""Manifests <-> ConfigMap. ``reconcile package --env E`` writes the ConfigMap an operator reads.

ConfigMap keys may only hold ``[-._a-zA-Z0-9]``, so a path's ``/`` becomes ``__``.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Mapping

from reconciler.manifest.fs import MemoryFiles

__all__ = ["MAX_BYTES", "files_from_configmap", "package_configmap", "package_digest", "to_key"]

MAX_BYTES = 1_000_000  # the API server's limit for one object is about 1 MiB


def to_key(path: str) -> str:
    return posixpath.normpath(path).replace("/", "__")


def package_configmap(
    name: str, namespace: str, files: Mapping[str, str], labels: Mapping[str, str] | None = None
) -> dict[str, object]:
    """A ConfigMap holding the given files (paths relative to the project folder)."""
    data = {to_key(p): text for p, text in sorted(files.items())}
    digest = package_digest(data)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "neon-reconciler", **(labels or {})},
            "annotations": {"reconciler.neonsync.dev/package-sha256": digest},
        },
        "data": data,
    }


def package_digest(data: Mapping[str, str]) -> str:
    """sha256 of a package's data: what the operator compares to notice a changed ConfigMap."""
    return hashlib.sha256(json.dumps(dict(data), sort_keys=True).encode()).hexdigest()


def files_from_configmap(data: Mapping[str, str]) -> MemoryFiles:
    return MemoryFiles({k.replace("__", "/"): v for k, v in data.items()})
