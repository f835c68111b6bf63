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
        return os.path.realpath(path)
