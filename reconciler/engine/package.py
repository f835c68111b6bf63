"""package: the ConfigMap holding the environment file and every file it loads (for the operator)."""

from __future__ import annotations

import os
from typing import Any

from reconciler.engine.request import Request
from reconciler.files import LocalFiles
from reconciler.loadcache import RecordingFiles

__all__ = ["package"]


def package(request: Request, name: str, namespace: str) -> dict[str, Any]:
    """The ConfigMap, labelled so the operator re-runs the DatabaseSyncs that read it on change."""
    from reconciler.errors import ReconcilerError
    from reconciler.kube import PACKAGE_LABEL
    from reconciler.manifest import load_environment, resolve_env_file
    from reconciler.manifest.package import MAX_BYTES, package_configmap

    recorder = RecordingFiles(LocalFiles())
    desired = load_environment(resolve_env_file(request.env, request.root), recorder, request.root)
    root = os.path.abspath(request.root)
    files = {
        os.path.relpath(os.path.abspath(path), root): LocalFiles().read_text(path)
        for op, path, _ in recorder.ops
        if op == "read_text"
    }
    size = sum(len(v.encode()) for v in files.values())
    if size > MAX_BYTES:
        raise ReconcilerError(
            f"the package is {size:,} bytes; a ConfigMap holds about 1 MB",
            code="package-too-large",
            hint="mount the manifests as a volume and use source.path",
        )
    return package_configmap(name, namespace, files, {PACKAGE_LABEL: desired.env.name})
