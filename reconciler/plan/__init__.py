"""Planning, pure: desired state x live state -> typed actions and findings, a hash, renderers."""

from reconciler.plan.compute import PlanContext, make_plan, pending_migrations
from reconciler.plan.live import AppliedMigration, LiveConfig, LiveForum, LiveState
from reconciler.plan.model import (
    Action,
    ApplyMigration,
    ArchiveForum,
    DeleteConfig,
    Finding,
    Plan,
    UpsertConfig,
    UpsertForum,
    Verdict,
)
from reconciler.plan.render import describe, plan_to_dict, render_plan

__all__ = [
    "Action",
    "AppliedMigration",
    "ApplyMigration",
    "ArchiveForum",
    "DeleteConfig",
    "Finding",
    "LiveConfig",
    "LiveForum",
    "LiveState",
    "Plan",
    "PlanContext",
    "UpsertConfig",
    "UpsertForum",
    "Verdict",
    "describe",
    "make_plan",
    "pending_migrations",
    "plan_to_dict",
    "render_plan",
]
