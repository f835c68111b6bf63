"""A cache of loaded desired state, valid while every input it was built from is unchanged.

The pure loader reads only through a Files interface; :class:`RecordingFiles` notes each
read, glob and listdir with a hash of its result. The next run replays those operations:
if every hash matches, the validated :class:`~reconciler.manifest.Desired` is taken from
the cache instead of being parsed again, so a warm run costs little more than checking the
files: a read recorded with the file's stat signature (size, mtime, ctime, inode; only for a
file older than 2 seconds, see :meth:`LocalFiles.signature`) is valid while the signature
is unchanged; any other read is repeated and hashed. The cache is JSON with a format version (never pickle: reading a file
someone else wrote must not run code); an entry of another version is a miss, a corrupt one
is a miss with a warning, never an error. The gates (apply, approve) do not use it at all.
Set RECONCILER_NO_CACHE=1 to disable.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import __version__
from reconciler.cachefile import source_fingerprint, write_whole
from reconciler.digest import sha256

if TYPE_CHECKING:
    from reconciler.manifest import Desired, Files

__all__ = ["RecordingFiles", "load_cached", "still_valid"]


def _h(value: Any) -> str:
    data = value.encode() if isinstance(value, str) else repr(value).encode()
    return sha256(data).hexdigest()


class RecordingFiles:
    """Wraps a Files and records (operation, argument, result hash) for each call."""

    def __init__(self, inner: Files) -> None:
        self.inner = inner
        self.ops: list[tuple[str, str, str]] = []

    def _do(self, op: str, arg: str) -> Any:
        try:
            result = getattr(self.inner, op)(arg)
        except (OSError, UnicodeDecodeError) as e:
            self.ops.append((op, arg, "!" + type(e).__name__))
            raise
        self.ops.append((op, arg, _h(result)))
        return result

    def read_text(self, path: str) -> str:
        signature = getattr(self.inner, "signature", None)
        stamp = signature(path) if signature is not None else None  # taken before the read
        text = str(self._do("read_text", path))
        if stamp is not None and self.ops and self.ops[-1][:2] == ("read_text", path):
            op, arg, digest = self.ops[-1]
            self.ops[-1] = (op, arg, f"{digest}@{stamp}")
        return text

    def glob(self, pattern: str) -> list[str]:
        return list(self._do("glob", pattern))

    def listdir(self, path: str) -> list[str]:
        return list(self._do("listdir", path))

    def resolve(self, path: str) -> str:  # a retargeted symlink invalidates the entry
        return str(self._do("resolve", path))


def _still_valid(ops: list[tuple[str, str, str]], files: Files) -> bool:
    signature = getattr(files, "signature", None)
    # files with the same size, times and inode as when they were read (and no symlink): the
    # same content, and, as the same file at the same path, the same resolved path
    vouched: set[str] = set()
    if signature is not None:
        for op, arg, digest in ops:
            stamp = digest.partition("@")[2]
            if op == "read_text" and stamp and signature(arg) == stamp:
                vouched.add(arg)
    for op, arg, digest in ops:
        if arg in vouched and op in ("read_text", "resolve"):
            continue
        digest = digest.partition("@")[0]
        try:
            got = _h(getattr(files, op)(arg))
        except (OSError, UnicodeDecodeError) as e:
            got = "!" + type(e).__name__
        if got != digest:
            return False
    return True


def still_valid(ops: list[tuple[str, str, str]], files: Files) -> bool:
    """Every recorded read, glob and listing still gives the same result."""
    return _still_valid(ops, files)


def load_cached(
    env_file: str,
    files: Files,
    cache_dir: Path,
    warn: Callable[[str], None] | None = None,
    root: str | None = None,
) -> Desired:
    """load_environment, answered from the cache when none of its inputs changed."""
    from reconciler.manifest import load_environment
    from reconciler.manifest.codec import FORMAT, desired_from_json, desired_to_json

    if os.environ.get("RECONCILER_NO_CACHE"):
        return load_environment(env_file, files, root)
    # the loader's and the splitter's own code are part of the key: an edited (or upgraded)
    # loader never answers from what an older one read
    code = source_fingerprint("manifest", "sql")
    key = _h(
        f"{FORMAT}|{__version__}|{code}|{sys.version}|{os.path.abspath(env_file)}|{env_file}|"
        f"{os.path.abspath(root or '.') if root is not None else ''}"
    )
    entry = cache_dir / f"desired-{key[:32]}.json"
    try:
        raw = entry.read_bytes()
    except OSError:
        raw = None  # no entry yet: a plain miss
    if raw is not None:
        try:
            doc = json.loads(raw)
            if doc.get("format") == FORMAT and doc.get("version") == __version__:
                ops = [(str(o), str(a), str(h)) for o, a, h in doc["ops"]]
                if _still_valid(ops, files):
                    return desired_from_json(doc["desired"])
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            if warn is not None:
                warn(f"ignoring the corrupt cache entry {entry} ({type(e).__name__}); reloading")
    recorder = RecordingFiles(files)
    desired = load_environment(env_file, recorder, root)
    try:
        doc = {
            "format": FORMAT,
            "version": __version__,
            "ops": recorder.ops,
            "desired": desired_to_json(desired),
        }
        write_whole(str(entry), json.dumps(doc, separators=(",", ":")))
    except (TypeError, ValueError):
        pass  # a value JSON cannot hold: still works, uncached (as a read-only checkout does)
    return desired
