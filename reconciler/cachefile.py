"""The files of the local caches (desired state, lint results, validate results): each is
written whole, so a reader sees the old file or the new one and never a part, and is keyed
by the code that filled it, so no cache outlives an edit of that code.

A cache that cannot be written (a read-only checkout, a full disk) is simply not kept.
"""

from __future__ import annotations

import contextlib
import os
from functools import cache

from reconciler.digest import sha256

__all__ = ["source_fingerprint", "write_whole"]


def write_whole(path: str, text: str) -> bool:
    """Write ``text`` to ``path`` through a private temporary file and one rename; False (and
    nothing left behind) when that fails."""
    import tempfile  # here: a run that writes no cache never loads it

    folder = os.path.dirname(path) or "."
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False


@cache
def _folder(folder: str) -> bytes:
    root = os.path.dirname(os.path.abspath(__file__))
    h = sha256()
    path = os.path.join(root, folder)
    for name in sorted(n for n in os.listdir(path) if n.endswith(".py")):
        with open(os.path.join(path, name), "rb") as f:
            h.update(f"{folder}/{name}".encode() + b"\0" + f.read())
    return bytes(h.digest())


def source_fingerprint(*folders: str) -> str:
    """A hash of this package's own source in ``folders`` (relative to the package, e.g.
    ``"sql/rules"``): the same on every copy of the same code, different after any edit.
    Each folder is read once per process, whichever caches ask."""
    return str(sha256(b"".join(_folder(f) for f in folders)).hexdigest())
