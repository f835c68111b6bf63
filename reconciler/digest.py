"""SHA-256 for checksums and cache keys, without loading OpenSSL when CPython has its own.

``import hashlib`` loads OpenSSL's library (about 5 ms, a fifteenth of a warm validate); the
interpreter's built-in implementation gives the same digests. Used where every command pays
for the import; bulk hashing elsewhere keeps hashlib.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from importlib import import_module
from typing import Any

__all__ = ["sha256", "source_fingerprint"]


def _find() -> Callable[..., Any]:
    # CPython 3.12 and later, CPython 3.11, then any other interpreter
    for name in ("_sha2", "_sha256", "hashlib"):
        try:
            return import_module(name).sha256
        except (ImportError, AttributeError):
            continue
    raise ImportError("no SHA-256 implementation")


sha256: Callable[..., Any] = _find()


@cache
def source_fingerprint(*folders: str) -> str:
    """A hash of this package's own source in ``folders`` (relative to the package, e.g.
    ``"sql/rules"``): the same on every copy of the same code, different after any edit, so
    a cache keyed by it never outlives the code that filled it."""
    root = os.path.dirname(os.path.abspath(__file__))
    h = sha256()
    for folder in folders:
        path = os.path.join(root, folder)
        for name in sorted(n for n in os.listdir(path) if n.endswith(".py")):
            with open(os.path.join(path, name), "rb") as f:
                h.update(f"{folder}/{name}".encode() + b"\0" + f.read())
    return str(h.hexdigest())
