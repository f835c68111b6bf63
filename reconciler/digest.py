"""SHA-256 for checksums and cache keys, without loading OpenSSL when CPython has its own.

``import hashlib`` loads OpenSSL's library (about 5 ms, a fifteenth of a warm validate); the
interpreter's built-in implementation gives the same digests. Used where every command pays
for the import; bulk hashing elsewhere keeps hashlib.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

__all__ = ["sha256"]


def _find() -> Callable[..., Any]:
    # CPython 3.12 and later, CPython 3.11, then any other interpreter
    for name in ("_sha2", "_sha256", "hashlib"):
        try:
            return import_module(name).sha256
        except (ImportError, AttributeError):
            continue
    raise ImportError("no SHA-256 implementation")


sha256: Callable[..., Any] = _find()
