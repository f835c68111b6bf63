"""The file-access interface the pure manifest loader reads through, and an in-memory version.

The loader never opens files itself: the front doors pass :class:`reconciler.files.LocalFiles`,
tests may pass :class:`MemoryFiles`.
"""

from __future__ import annotations

import fnmatch
import posixpath
from typing import Protocol

__all__ = ["Files", "MemoryFiles"]


class Files(Protocol):
    def read_text(self, path: str) -> str:
        """Raise FileNotFoundError, IsADirectoryError or UnicodeDecodeError as open() does."""
        ...

    def glob(self, pattern: str) -> list[str]: ...

    def listdir(self, path: str) -> list[str]:
        """Names in a folder; raise FileNotFoundError or NotADirectoryError."""
        ...

    def resolve(self, path: str) -> str:
        """Where the path really leads (symlinks followed), to compare against the project root."""
        ...


class MemoryFiles:
    """A dict of path -> text pretending to be a file tree (for pure tests)."""

    def __init__(self, files: dict[str, str | bytes]) -> None:
        self.files = {posixpath.normpath(k): v for k, v in files.items()}

    def read_text(self, path: str) -> str:
        v = self.files.get(posixpath.normpath(path))
        if v is None:
            raise FileNotFoundError(path)
        return v.decode("utf-8") if isinstance(v, bytes) else v

    def glob(self, pattern: str) -> list[str]:
        pattern = posixpath.normpath(pattern)
        return sorted(p for p in self.files if fnmatch.fnmatchcase(p, pattern))

    def resolve(self, path: str) -> str:
        return posixpath.normpath(path)

    def listdir(self, path: str) -> list[str]:
        prefix = posixpath.normpath(path) + "/"
        names = {p[len(prefix) :].split("/")[0] for p in self.files if p.startswith(prefix)}
        if not names:
            raise FileNotFoundError(path)
        return sorted(names)
