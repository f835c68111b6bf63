"""The one engine every front door calls: the CLI, the watch loop, the operator and the web UI.

Each operation opens a :class:`Session` (one connection, opened lazily and reused; one
loaded Desired; events through the ``reconciler.engine`` logger) and returns data for the
door to present. One module per operation: :mod:`.reconcile` (plan and apply),
:mod:`.gates`, :mod:`.validate`, :mod:`.check`, :mod:`.approvals`, :mod:`.backups`,
:mod:`.audit`, :mod:`.package`. The database edge is imported only when a database is
needed, so validating stays light.
"""

from reconciler.engine.approvals import (
    ApprovalsListing,
    ApproveOutcome,
    approve,
    init,
    list_approvals,
    restore_hash,
)
from reconciler.engine.audit import audit_events, deliver_owed
from reconciler.engine.backups import RestoreOutcome, list_backups, restore, take_backup
from reconciler.engine.check import CheckOutcome, check
from reconciler.engine.events import LOGGER, SCOPE
from reconciler.engine.package import package
from reconciler.engine.reconcile import Outcome, reconcile
from reconciler.engine.repair import RepairOutcome, repair
from reconciler.engine.request import (
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_CHECKS,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    Request,
    default_actor,
)
from reconciler.engine.session import Session, load
from reconciler.engine.validate import ValidateOutcome, validate
from reconciler.engine.verify import VerifyOutcome, verify

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_CHANGES",
    "EXIT_CHECKS",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "LOGGER",
    "SCOPE",
    "ApprovalsListing",
    "ApproveOutcome",
    "CheckOutcome",
    "Outcome",
    "RepairOutcome",
    "Request",
    "RestoreOutcome",
    "Session",
    "ValidateOutcome",
    "VerifyOutcome",
    "approve",
    "audit_events",
    "check",
    "default_actor",
    "deliver_owed",
    "init",
    "list_approvals",
    "list_backups",
    "load",
    "package",
    "reconcile",
    "repair",
    "restore",
    "restore_hash",
    "take_backup",
    "validate",
    "verify",
]
