"""Manifests <-> ConfigMap. ``reconcile package --env E`` writes the ConfigMap an operator reads.

ConfigMap keys may only hold ``[-._a-zA-Z0-9]``, so a path's ``/`` becomes ``__``. A path
that would not come back from its key that way (a name holding ``__`` itself, as Flyway's
``V1__init.sql`` does, or another character) is kept under a key of its own, and the key
``.paths.json`` says which path each such key holds.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Mapping

from reconciler.manifest.fs import MemoryFiles

__all__ = [
    "MAX_BYTES",
    "PATHS_KEY",
    "files_from_configmap",
    "package_configmap",
    "package_digest",
    "to_key",
]

MAX_BYTES = 1_000_000  # the API server's limit for one object is about 1 MiB


PATHS_KEY = ".paths.json"  # {key: path} for the keys a path cannot be read back from
_KEY_CHARS = re.compile(r"[^-._a-zA-Z0-9]")


def to_key(path: str) -> str:
    return posixpath.normpath(path).replace("/", "__")


def _keys(paths: list[str]) -> dict[str, str]:
    """key -> path for every path: ``a__b.sql`` for ``a/b.sql``, or, where that key would
    read back as another path (or is not a valid key), one named after the path's hash."""
    out: dict[str, str] = {}
    for p in paths:
        path = posixpath.normpath(p)
        key = to_key(path)
        if (
            key.replace("__", "/") != path
            or _KEY_CHARS.search(key)
            or key in out
            or key == PATHS_KEY
            or len(key) > 253
        ):
            digest = hashlib.sha256(path.encode()).hexdigest()[:16]
            key = f"f-{digest}-{_KEY_CHARS.sub('-', posixpath.basename(path))}"[:253]
        out[key] = path
    return out


def package_configmap(
    name: str, namespace: str, files: Mapping[str, str], labels: Mapping[str, str] | None = None
) -> dict[str, object]:
    """A ConfigMap holding the given files (paths relative to the project folder)."""
    keys = _keys(sorted(files))
    by_path = {posixpath.normpath(p): text for p, text in files.items()}
    data = {key: by_path[path] for key, path in keys.items()}
    odd = {key: path for key, path in keys.items() if key.replace("__", "/") != path}
    if odd:
        data[PATHS_KEY] = json.dumps(odd, sort_keys=True)
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
    paths = json.loads(data.get(PATHS_KEY) or "{}")
    return MemoryFiles(
        {paths.get(k) or k.replace("__", "/"): v for k, v in data.items() if k != PATHS_KEY}
    )
