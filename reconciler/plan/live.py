"""What the database holds now, as plain data (filled in by reconciler.db.live, read by the planner)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["AppliedMigration", "LiveConfig", "LiveForum", "LiveState", "canonical_json"]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class AppliedMigration:
    version: str
    name: str
    checksum: str
    complete: bool  # False: a no-transaction migration stopped part-way
    statements_done: int
    applied_at: str | None = None
    applied_by: str | None = None
    duration_ms: int | None = None


@dataclass(frozen=True)
class LiveConfig:
    category: str
    key: str
    value: Any
    description: str
    updated_by: str | None = None


@dataclass(frozen=True)
class LiveForum:
    slug: str
    parent_slug: str | None
    kind: str
    name: str
    description: str
    position: int
    settings: dict[str, Any]
    archived: bool


@dataclass(frozen=True)
class LiveState:
    bookkeeping: bool  # schema reconciler exists
    migrations: dict[str, AppliedMigration] = field(default_factory=dict)
    config_table: bool = False
    config: dict[tuple[str, str], LiveConfig] = field(default_factory=dict)
    forum_table: bool = False
    forums: dict[str, LiveForum] = field(default_factory=dict)
    round_trips: int = 0

    def fingerprint(self) -> str:
        """sha256 of everything the plan depends on (not timestamps or who/when)."""
        doc = {
            "bookkeeping": self.bookkeeping,
            "migrations": sorted(
                [m.version, m.checksum, m.complete, m.statements_done]
                for m in self.migrations.values()
            ),
            "config_table": self.config_table,
            "config": sorted(
                [c.category, c.key, canonical_json(c.value), c.description]
                for c in self.config.values()
            ),
            "forum_table": self.forum_table,
            "forums": sorted(canonical_json(asdict(f)) for f in self.forums.values()),
        }
        return hashlib.sha256(canonical_json(doc).encode()).hexdigest()
