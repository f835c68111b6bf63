"""Planning, pure: desired state x live state -> typed actions and findings, a hash, renderers.

Each name below is imported when first used (``from reconciler.plan.model import Verdict``
loads the vocabulary, not the planner and its drift and live-state modules), so the policy
and ``validate`` do not pay for planning they do not do.
"""

from typing import TYPE_CHECKING

from reconciler.lazy import lazy_names

if TYPE_CHECKING:
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

_WHERE = {
    "PlanContext": ".compute",
    "make_plan": ".compute",
    "pending_migrations": ".compute",
    "AppliedMigration": ".live",
    "LiveConfig": ".live",
    "LiveForum": ".live",
    "LiveState": ".live",
    "Action": ".model",
    "ApplyMigration": ".model",
    "ArchiveForum": ".model",
    "DeleteConfig": ".model",
    "Finding": ".model",
    "Plan": ".model",
    "UpsertConfig": ".model",
    "UpsertForum": ".model",
    "Verdict": ".model",
    "describe": ".render",
    "plan_to_dict": ".render",
    "render_plan": ".render",
}

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


__getattr__ = lazy_names(globals(), _WHERE)
