"""The real file system behind the manifest loader's Files interface (I/O edge)."""

from __future__ import annotations

import glob
import os

__all__ = ["LocalFiles"]


class LocalFiles:
    def read_text(self, path: str) -> str:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()

    def glob(self, pattern: str) -> list[str]:
        return sorted(p for p in glob.glob(pattern) if os.path.isfile(p))

    def listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(path))

    def resolve(self, path: str) -> str:
        """The real path. A file that is not a symlink resolves to its folder's real path plus
        its name, so thousands of files in one folder cost one lstat each, not one per part."""
        head, tail = os.path.split(path)
        if tail in ("", ".", "..") or os.path.islink(path):
            return os.path.realpath(path)
        dirs: dict[str, str] = self.__dict__.setdefault("_dirs", {})  # for this instance's life
        if head not in dirs:
            dirs[head] = os.path.realpath(head or ".")
        return os.path.join(dirs[head], tail)
