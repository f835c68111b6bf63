"""The desired state after loading: what the environment wants, with where each part was declared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.errors import SourceLocation
from reconciler.records import cheap_init
from reconciler.sql.migration import RELEASE_FOLDER, VERSION, MigrationSource, version_key

if TYPE_CHECKING:
    from reconciler.manifest.models import EnvironmentSpec

__all__ = ["ConfigEntry", "Desired", "DesiredMigration", "ForumNode", "migration_stem"]


@dataclass(frozen=True)
class DesiredMigration:
    version: str
    name: str
    filename: str
    path: str
    safe: bool
    source: MigrationSource
    # (table, constraint, column) the migrations before it proved NOT NULL: a validated
    # CHECK (col IS NOT NULL), so its SET NOT NULL skips the scan (reconciler.sql.proofs)
    proven: frozenset[tuple[str, str, str]] = frozenset()

    @property
    def checksum(self) -> str:
        return self.source.checksum

    @property
    def stem(self) -> str:
        """The file's name without .sql; for a migration kept as a folder (Prisma's, Diesel's),
        the folder's; for one in a subfolder of the history (a Flyway tree's 2.0/, Synapse's
        54/, sqitch's deploy/), its path there (54/01a: the folder alone is many files')."""
        return migration_stem(self.filename)

    def is_named(self, ref: str) -> bool:
        """``ref`` names this migration: its version (as a number too), its stem, or its file
        name (how migrations.target and repair --baseline name one); in a subfolder that is no
        version's (2.0/V2__x.sql of a Flyway tree, sqitch's deploy/x.sql), its name alone too
        (in a version's folder, 54/, one name can be in several)."""
        t = ref.removesuffix(".sql")
        folder, _, base = self.stem.rpartition("/")
        return (
            t in (self.version, self.stem)
            or (
                VERSION.fullmatch(t) is not None
                and bool(self.version)
                and version_key(t) == version_key(self.version)
            )
            or (bool(folder) and t == base and RELEASE_FOLDER.fullmatch(folder) is None)
        )


# the file of a migration kept as a folder of its own (Prisma's migration.sql, Diesel's up.sql)
_FOLDER_MIGRATION_FILES = ("migration.sql", "up.sql")


def migration_stem(filename: str) -> str:
    """What a migration file (its path from the migrations folder) is called: its name
    without .sql; for one kept as a folder (Prisma's, Diesel's), the folder's; for one in a
    subfolder of the history (Synapse's 54/, a Flyway tree's 2.0/), its path there."""
    folder, _, base = filename.rpartition("/")
    if folder and base in _FOLDER_MIGRATION_FILES:
        return folder
    return filename.removesuffix(".sql")


@cheap_init
@dataclass(frozen=True)
class ConfigEntry:
    category: str
    key: str
    value: Any
    description: str
    location: SourceLocation


@dataclass(frozen=True)
class ForumNode:
    slug: str
    parent_slug: str | None
    kind: str  # zone | forum | subforum
    name: str
    description: str
    position: int
    settings: dict[str, Any]
    location: SourceLocation


@dataclass(frozen=True)
class Desired:
    """Everything one environment declares."""

    env: EnvironmentSpec
    env_file: str
    migrations: list[DesiredMigration]  # every file in the folder, by version
    target: str | None  # last version to apply; None means latest
    config: list[ConfigEntry] | None  # None when the environment declares no config files
    forums: list[ForumNode] | None  # None when the environment declares no forum map
    locations: dict[str, SourceLocation] = field(default_factory=dict)

    @property
    def wanted(self) -> list[DesiredMigration]:
        """Migrations up to and including the target."""
        if self.target is None:
            return list(self.migrations)
        limit = version_key(self.target)  # as numbers: 9999 comes before 10000
        return [m for m in self.migrations if version_key(m.version) <= limit]
