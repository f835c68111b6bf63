"""Helpers shared by the UI's route and browser tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def git_work_tree(project: Path) -> None:
    """The project as a git work tree on main with one commit of everything."""
    git(project, "init", "-q", "-b", "main")
    git(project, "-c", "user.name=t", "-c", "user.email=t@e", "add", "-A")
    git(project, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "start")
