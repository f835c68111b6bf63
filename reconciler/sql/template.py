"""The migration template written by ``reconcile new``, in the format of the original's template."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reconciler.sql.migration import is_repeatable, version_key

__all__ = ["migration_filename", "render_template", "slug"]

TYPES = {
    "SAFE": "SAFE (No destructive operations)",
    "DATA": "DATA (Changes rows; review the WHERE clauses)",
    "HOTFIX": "HOTFIX (Emergency change; audited)",
}


def slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not s:
        raise ValueError("the migration name needs at least one letter or digit")
    return s


def migration_filename(existing_versions: Iterable[str], name: str, safe: bool) -> str:
    versions = list(existing_versions)
    width = max([4, *(len(v.partition(".")[0]) for v in versions)])
    nxt = max((version_key(v)[0] for v in versions if v and not is_repeatable(v)), default=0) + 1
    base = slug(name).removesuffix("_safe")
    return f"{nxt:0{width}d}_{base}{'_safe' if safe else ''}.sql"


def render_template(name: str, created: str, kind: str = "SAFE") -> str:
    """A file that validates as it stands (strict environments included) and says what to edit."""
    words = slug(name).removesuffix("_safe").replace("_", " ")
    return f"""-- Description: {words}
-- Created: {created}
-- Type: {TYPES[kind]}
-- Rollback: Manual rollback instructions below

-- Migration starts here
-- Replace the example below. Safe in production: new tables, nullable columns or columns
-- with a constant default, CREATE INDEX CONCURRENTLY, constraints added NOT VALID and
-- validated in a later migration, INSERT ... ON CONFLICT DO NOTHING. See docs/rules/ for what is blocked and why.
ALTER TABLE table_name ADD COLUMN new_column TEXT DEFAULT '';
CREATE INDEX CONCURRENTLY idx_table_column ON table_name (new_column);

-- Rollback instructions:
-- 1. DROP INDEX CONCURRENTLY IF EXISTS idx_table_column;
-- 2. ALTER TABLE table_name DROP COLUMN IF EXISTS new_column;
"""
