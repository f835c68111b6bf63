"""require-safe-suffix: in environments that demand it, every migration is named *_safe.sql."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import FileContext, Hit, Rule


def check_file(ctx: FileContext) -> Iterator[Hit]:
    if ctx.require_safe_suffix and not ctx.safe_suffix:
        yield Hit(
            f"{ctx.filename} must be named *_safe.sql in this environment",
            "rename it to end in _safe.sql once it only holds safe operations (reconcile new does this)",
            0,
        )


RULE = Rule(
    "require-safe-suffix",
    "error",
    "error",
    "production migrations are named *_safe.sql",
    check_file=check_file,
)
