"""What ``reconcile repair`` would do to the history, pure: desired x live -> repair actions.

Only what is provably safe without a person: a file recorded part-way with no statement done
is forgotten when its file is gone, or re-recorded with its new checksum when it was edited
before any statement ran (nothing of the old text reached the database). A file part-way with
statements done and edited since is not repairable here: it is reported for a person.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from reconciler.manifest.desired import Desired
from reconciler.plan.live import LiveState, canonical_json
from reconciler.sql.migration import version_key

__all__ = ["RepairAction", "baseline_actions", "drift_actions", "repair_actions", "repair_hash"]


@dataclass(frozen=True)
class RepairAction:
    kind: Literal["forget", "rechecksum", "unrepairable", "adopt-drift", "baseline"]
    version: str
    name: str
    detail: str
    checksum: str | None = None  # the new checksum, for rechecksum; the file's, for baseline
    statements: int = 0  # baseline: the file's statement count, recorded as all done

    def describe(self) -> str:
        return {
            "forget": f"forget {self.version}_{self.name}: {self.detail}",
            "rechecksum": f"re-record the checksum of {self.version}_{self.name}: {self.detail}",
            "unrepairable": f"cannot repair {self.version}_{self.name}: {self.detail}",
            "adopt-drift": f"adopt into the schema snapshot: {self.detail}",
            "baseline": f"record {self.version}_{self.name} as applied, without running it: "
            f"{self.detail}",
        }[self.kind]


def drift_actions(live: LiveState) -> list[RepairAction]:
    """``repair --adopt-drift``: record the live schema as the snapshot, object by object
    (or whole, when there is no usable snapshot to compare with)."""
    from reconciler.plan.drift import describe_drift, snapshot_current

    if not live.bookkeeping:
        return []
    if not snapshot_current(live):
        why = "none yet" if not live.snapshot_taken else "the last one predates an unfinished apply"
        return [RepairAction("adopt-drift", "schema", "", f"record the whole live schema ({why})")]
    return [
        RepairAction(
            "adopt-drift",
            key,
            "",
            describe_drift(key, before, now),
            hashlib.sha256(canonical_json([before, now]).encode()).hexdigest(),
        )
        for key, before, now in live.drift
    ]


def repair_actions(
    desired: Desired, live: LiveState, *, adopt_drift: bool = False
) -> list[RepairAction]:
    files = {m.version: m for m in desired.migrations}
    out: list[RepairAction] = drift_actions(live) if adopt_drift else []
    for version, row in sorted(live.migrations.items(), key=lambda kv: version_key(kv[0])):
        if row.complete:
            continue
        m = files.get(version)
        if row.statements_done == 0 and m is None:
            out.append(
                RepairAction(
                    "forget",
                    version,
                    row.name,
                    "recorded part-way with 0 statements done, and its file is gone",
                )
            )
        elif row.statements_done == 0 and m is not None and m.checksum != row.checksum:
            out.append(
                RepairAction(
                    "rechecksum",
                    version,
                    row.name,
                    "edited before any of its statements ran",
                    m.checksum,
                )
            )
        elif m is not None and m.checksum != row.checksum:
            out.append(
                RepairAction(
                    "unrepairable",
                    version,
                    row.name,
                    f"edited after {row.statements_done} statement(s) ran: put the edited file "
                    "back as it was, let it finish, and make the change in a new migration",
                )
            )
    return out


def baseline_actions(desired: Desired, live: LiveState, upto: str) -> list[RepairAction]:
    """``repair --baseline V``: every migration file up to version V that the history does not
    hold yet is recorded as applied without running it, as for a database another tool (or a
    person) brought to that point. ValueError when V names no migration file."""
    hit = [m for m in desired.migrations if m.is_named(upto)]
    if not hit:
        raise ValueError(f"--baseline {upto!r} names no migration file")
    last = version_key(hit[0].version)
    return [
        RepairAction(
            "baseline",
            m.version,
            m.name,
            "the database already has it",
            m.checksum,
            len(m.source.statements),
        )
        for m in sorted(desired.migrations, key=lambda m: version_key(m.version))
        if version_key(m.version) <= last and m.version not in live.migrations
    ]


def repair_hash(environment: str, actions: list[RepairAction]) -> str:
    """What approvers approve for a repair: exactly these changes to the history."""
    doc = ["repair", environment, [a.__dict__ for a in actions if a.kind != "unrepairable"]]
    return hashlib.sha256(canonical_json(doc).encode()).hexdigest()
