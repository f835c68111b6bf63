"""Plan vocabulary: typed actions, findings, the plan itself and the policy verdict on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from operator import attrgetter
from typing import Any, ClassVar, Literal

from reconciler.errors import Diagnostic, SourceLocation
from reconciler.records import cheap_init

__all__ = [
    "Action",
    "ApplyMigration",
    "ArchiveForum",
    "DeleteConfig",
    "Finding",
    "Plan",
    "UpsertConfig",
    "UpsertForum",
    "Verdict",
]


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    return names


_VALUES: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _values(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving an instance's field values in order, as a tuple (one field too)."""
    get = _VALUES.get(cls)
    if get is None:
        names = _field_names(cls)
        if len(names) == 1:
            one = attrgetter(names[0])
            get = _VALUES[cls] = lambda a: (one(a),)
        else:
            get = _VALUES[cls] = attrgetter(*names) if names else (lambda a: ())
    return get


@dataclass(frozen=True)
class Action:
    kind: ClassVar[str] = "action"

    def to_dict(self) -> dict[str, Any]:
        # shallow: the values are JSON data already (dataclasses.asdict deep-copies them, which
        # was a quarter of a 10,000-entry plan's hash)
        return {
            "kind": self.kind,
            **{name: getattr(self, name) for name in _field_names(type(self))},
        }

    def hash_row(self) -> list[Any]:
        """What the plan hash reads of the action: its kind, then every field in the class's
        order. The facts of :meth:`to_dict` without the names, which the kind fixes: a third
        of the cost of hashing 10,000 changes (no dict to build, none to sort)."""
        return [self.kind, *_values(type(self))(self)]


@dataclass(frozen=True)
class ApplyMigration(Action):
    kind: ClassVar[str] = "apply_migration"
    version: str
    name: str
    file: str  # the file name (no folder), so the plan hash is the same from any checkout
    checksum: str
    statements: int
    no_transaction: bool
    resume_from: int = 0  # statements already done by an earlier, interrupted run
    started: bool = False  # an earlier run recorded this file part-way (it may have gone further)


@cheap_init
@dataclass(frozen=True)
class UpsertConfig(Action):
    kind: ClassVar[str] = "upsert_config"
    category: str
    key: str
    value: Any
    description: str
    old_value: Any = None
    exists: bool = False


@dataclass(frozen=True)
class DeleteConfig(Action):
    kind: ClassVar[str] = "delete_config"
    category: str
    key: str
    old_value: Any = None


@dataclass(frozen=True)
class UpsertForum(Action):
    kind: ClassVar[str] = "upsert_forum"
    slug: str
    parent_slug: str | None
    node_kind: str
    name: str
    description: str
    position: int
    settings: dict[str, Any]
    change: Literal["create", "update", "unarchive"] = "create"
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArchiveForum(Action):
    kind: ClassVar[str] = "archive_forum"
    slug: str


FindingKind = Literal[
    "ChecksumMismatch",
    "UnknownApplied",
    "OutOfOrder",
    "ConfigDrift",
    "MissingTargetTable",
    "PartiallyApplied",
    "SchemaDrift",
    "SchemaUnsnapshotted",
    "OtherToolHistory",
]


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    severity: Literal["error", "warning", "info"]
    subject: str
    message: str
    hint: str | None = None
    location: SourceLocation | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["location"] = str(self.location) if self.location else None
        return d

    def diagnostic(self) -> Diagnostic:
        code = "".join("-" + c.lower() if c.isupper() else c for c in self.kind).lstrip("-")
        return Diagnostic(code, self.message, self.location, self.hint, self.severity)


@dataclass(frozen=True)
class Plan:
    environment: str
    actions: list[Action]
    findings: list[Finding]
    live_fingerprint: str
    hash: str
    target: str | None = None

    @property
    def migrations(self) -> list[ApplyMigration]:
        return [a for a in self.actions if isinstance(a, ApplyMigration)]

    @property
    def data_actions(self) -> list[Action]:
        return [a for a in self.actions if not isinstance(a, ApplyMigration)]

    @property
    def empty(self) -> bool:
        return not self.actions

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.actions:
            out[a.kind] = out.get(a.kind, 0) + 1
        return out


@dataclass(frozen=True)
class Verdict:
    """What the environment's policy says about a plan."""

    status: Literal["allowed", "blocked", "awaiting-approval"]
    blockers: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    approvals_received: list[str] = field(default_factory=list)
    approvals_required: int = 0

    @property
    def allowed(self) -> bool:
        return self.status == "allowed"
