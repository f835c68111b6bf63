"""Where a sqitch project keeps its plan and scripts, as its sqitch.conf says (pure)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

__all__ = ["SqitchLayout", "sqitch_layout"]

_SECTION = re.compile(r'^\[\s*([A-Za-z][\w-]*)(?:\s+"([^"]*)")?\s*\]$')
_VALUE = re.compile(r"^([A-Za-z][\w-]*)\s*=\s*(.*)$")


@dataclass(frozen=True)
class SqitchLayout:
    """Paths from the project folder (where sqitch.conf is): the plan, and the folders of the
    deploy, revert and verify scripts."""

    plan_file: str = "sqitch.plan"
    deploy_dir: str = "deploy"
    revert_dir: str = "revert"
    verify_dir: str = "verify"


def _unquoted(value: str) -> str:
    """A git-config value: a quoted one to its closing quote, another up to a comment."""
    value = value.strip()
    quoted = re.match(r'^"((?:[^"\\]|\\.)*)"', value)
    if quoted:
        return quoted[1]
    return re.split(r"\s*[#;]", value, maxsplit=1)[0].strip()


def sqitch_layout(conf: str | None) -> SqitchLayout | None:
    """The layout a sqitch.conf sets for PostgreSQL (``[engine "pg"]``'s top_dir, plan_file,
    deploy_dir, revert_dir and verify_dir, else ``[core]``'s; sqitch's defaults under
    top_dir otherwise), or the defaults without a sqitch.conf. None when a path it names
    leads out of the project folder (an absolute path, or one through ``..``)."""
    values: dict[tuple[str, str | None, str], str] = {}
    section: tuple[str, str | None] | None = None
    for raw in (conf or "").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        head = _SECTION.match(line)
        if head:
            section = (head[1].lower(), head[2])
            continue
        kv = _VALUE.match(line)
        if kv and section is not None:
            values[(*section, kv[1].lower())] = _unquoted(kv[2])
    engine = values.get(("core", None, "engine"), "pg")

    def setting(key: str) -> str | None:
        return values.get(("engine", engine, key)) or values.get(("core", None, key))

    top = setting("top_dir") or "."
    paths = {
        "plan_file": setting("plan_file") or posixpath.join(top, "sqitch.plan"),
        **{
            f"{kind}_dir": setting(f"{kind}_dir") or posixpath.join(top, kind)
            for kind in ("deploy", "revert", "verify")
        },
    }
    normal = {key: posixpath.normpath(path.replace("\\", "/")) for key, path in paths.items()}
    if any(p.startswith(("/", "../")) or p == ".." for p in normal.values()):
        return None
    return SqitchLayout(**normal)
