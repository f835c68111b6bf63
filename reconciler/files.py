"""The real file system behind the manifest loader's Files interface (I/O edge)."""

from __future__ import annotations

import glob
import os
import stat
import time

__all__ = ["LocalFiles"]


class LocalFiles:
    def read_text(self, path: str) -> str:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()

    def signature(self, path: str) -> str | None:
        """What changes whenever the file's content does (size, times, inode), or None when it
        cannot be trusted: a file changed in the last 2 seconds could change again within the
        same timestamp tick (git's "racily clean" case), and a symlink's target can change
        under it, so those are always read (and resolved) again."""
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode):
            return None
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < 2_000_000_000:
            return None
        return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"

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
