"""Lint settings and their fingerprint; light to import (no parser), for the cached paths."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.digest import sha256

__all__ = ["LINT_VERSION", "LintConfig", "standalone"]

LINT_VERSION = "2"


@dataclass(frozen=True)
class LintConfig:
    strict: bool = False
    require_safe_suffix: bool = False
    require_rollback_section: bool = False
    overrides: Mapping[str, str] = field(default_factory=dict)
    emergency: bool = False
    # a data_migration deploy: files whose header says Type: DATA may INSERT ... ON CONFLICT
    # and UPDATE or DELETE with a WHERE in strict environments (never DROP or TRUNCATE)
    data_migration: bool = False
    # the timeouts the policy sets for every migration (ms; 0 is none, None is not known): in
    # strict environments a file may lower them, never raise them
    lock_timeout: int | None = None
    statement_timeout: int | None = None
    # a file before migrations.checked_from, in `validate --env`: history, applied everywhere
    # and never edited again, so only what would break the apply itself is reported
    history: bool = False

    def fingerprint(self, ruleset: str) -> str:
        """Identifies lint results: these settings under the rule set ``ruleset``."""
        doc = (
            f"{LINT_VERSION}|{ruleset}|{self.strict}|{self.require_safe_suffix}|"
            f"{self.require_rollback_section}|{sorted(self.overrides.items())}|{self.emergency}|"
            f"{self.data_migration}|{self.lock_timeout}|{self.statement_timeout}|{self.history}"
        )
        return sha256(doc.encode()).hexdigest()[:16]


def standalone(
    emergency: bool = False, rules: Mapping[str, str] | None = None, relaxed: bool = False
) -> LintConfig:
    """Files checked without an environment (``validate FILES`` with no ``--env``): the
    safety rules as a strict environment's default policy has them (its timeouts too), without
    the project's file conventions (``_safe`` names, a rollback section), which another tool's
    history cannot be expected to follow; ``rules`` as a policy's ``rules`` would set them,
    ``relaxed`` as a non-strict environment has them."""
    return LintConfig(
        strict=not relaxed,
        overrides=dict(rules or {}),
        emergency=emergency,
        lock_timeout=2000,
        statement_timeout=600_000,
    )
