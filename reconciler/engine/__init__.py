"""The one engine every front door calls: the CLI, the watch loop, the operator and the web UI.

Each operation opens a :class:`Session` (one connection, opened lazily and reused; one
loaded Desired; events through the ``reconciler.engine`` logger) and returns data for the
door to present. One module per operation: :mod:`.reconcile` (plan and apply),
:mod:`.gates`, :mod:`.validate`, :mod:`.check`, :mod:`.approvals`, :mod:`.backups`,
:mod:`.audit`, :mod:`.package`. The database edge is imported only when a database is
needed, so validating stays light; each operation's module is imported when first named
(``from reconciler.engine import validate`` loads validate, not approvals and backups).
"""

import sys
import types
from typing import TYPE_CHECKING, Any

from reconciler.lazy import lazy_names

# operations whose module bears their name: ``reconciler.engine.check`` is the function
_OPERATIONS = frozenset(("check", "package", "reconcile", "repair", "validate", "verify"))


class _Engine(types.ModuleType):
    """This package's module type. Importing a submodule sets the package attribute of its
    name to the module; for a module named after its operation the attribute is the
    operation instead, so those modules too load only when first used."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OPERATIONS and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Engine

if TYPE_CHECKING:
    from reconciler.embedded import stop_embedded
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

_WHERE = {
    "CheckOutcome": "reconciler.engine.check",
    "check": "reconciler.engine.check",
    "package": "reconciler.engine.package",
    "Outcome": "reconciler.engine.reconcile",
    "reconcile": "reconciler.engine.reconcile",
    "RepairOutcome": "reconciler.engine.repair",
    "repair": "reconciler.engine.repair",
    "ValidateOutcome": "reconciler.engine.validate",
    "validate": "reconciler.engine.validate",
    "VerifyOutcome": "reconciler.engine.verify",
    "verify": "reconciler.engine.verify",
    "ApprovalsListing": "reconciler.engine.approvals",
    "ApproveOutcome": "reconciler.engine.approvals",
    "approve": "reconciler.engine.approvals",
    "init": "reconciler.engine.approvals",
    "list_approvals": "reconciler.engine.approvals",
    "restore_hash": "reconciler.engine.approvals",
    "audit_events": "reconciler.engine.audit",
    "deliver_owed": "reconciler.engine.audit",
    "RestoreOutcome": "reconciler.engine.backups",
    "list_backups": "reconciler.engine.backups",
    "restore": "reconciler.engine.backups",
    "take_backup": "reconciler.engine.backups",
    "LOGGER": "reconciler.engine.events",
    "SCOPE": "reconciler.engine.events",
    "EXIT_BLOCKED": "reconciler.engine.request",
    "EXIT_CHANGES": "reconciler.engine.request",
    "EXIT_CHECKS": "reconciler.engine.request",
    "EXIT_ERROR": "reconciler.engine.request",
    "EXIT_OK": "reconciler.engine.request",
    "EXIT_USAGE": "reconciler.engine.request",
    "Request": "reconciler.engine.request",
    "default_actor": "reconciler.engine.request",
    "Session": "reconciler.engine.session",
    "load": "reconciler.engine.session",
    "stop_embedded": "reconciler.embedded",
}


__getattr__ = lazy_names(globals(), _WHERE)


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
    "stop_embedded",
    "take_backup",
    "validate",
    "verify",
]
