"""Engine events through stdlib logging: every door attaches its own handler.

Each event is a record on the ``reconciler.engine`` logger with ``event`` (the kind:
migrate, sync, backup, audit, blocked, done, ...) and ``environment`` attributes, and the
``scope`` of the caller (:data:`SCOPE`: the operator sets the DatabaseSync it runs for, so
its handler can route concurrent runs to the right object).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

__all__ = ["LOGGER", "SCOPE", "emit"]

LOGGER = logging.getLogger("reconciler.engine")
LOGGER.propagate = False  # the doors decide where events go; nothing leaks to the root logger
LOGGER.setLevel(logging.INFO)
SCOPE: ContextVar[str | None] = ContextVar("reconciler_scope", default=None)


def emit(environment: str, kind: str, message: str, level: int = logging.INFO) -> None:
    """Report one engine event (cheap when no handler listens)."""
    if LOGGER.handlers:
        LOGGER.log(
            level,
            message,
            extra={"event": kind, "environment": environment, "scope": SCOPE.get()},
        )
