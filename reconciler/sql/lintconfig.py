"""Lint settings and their fingerprint; light to import (no parser), for the cached paths."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

__all__ = ["LintConfig", "rules_fingerprint"]

LINT_VERSION = "2"


@cache
def rules_fingerprint() -> str:
    """Changes whenever a file of the SQL checker changes (so caches never outlive the rules)."""
    root = os.path.dirname(__file__)
    parts = []
    for folder in (root, os.path.join(root, "rules")):
        for e in sorted(os.scandir(folder), key=lambda e: e.name):
            if e.name.endswith(".py"):
                st = e.stat()
                parts.append(f"{e.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LintConfig:
    strict: bool = False
    require_safe_suffix: bool = False
    require_rollback_section: bool = False
    overrides: Mapping[str, str] = field(default_factory=dict)
    emergency: bool = False

    def fingerprint(self) -> str:
        doc = (
            f"{LINT_VERSION}|{rules_fingerprint()}|{self.strict}|{self.require_safe_suffix}|"
            f"{self.require_rollback_section}|{sorted(self.overrides.items())}|{self.emergency}"
        )
        return hashlib.sha256(doc.encode()).hexdigest()[:16]
