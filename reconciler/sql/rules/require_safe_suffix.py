"""require-safe-suffix: in environments that demand it, every migration is named *_safe.sql."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.migration import DBCONFIG_SCRIPT
from reconciler.sql.rules.base import FileContext, Hit, Rule


def check_file(ctx: FileContext) -> Iterator[Hit]:
    if not ctx.require_safe_suffix or ctx.safe_suffix:
        return
    folder = ctx.filename.rpartition("/")[0]
    if folder:  # a migration kept as a folder (Prisma's, Diesel's): the folder carries the name
        yield Hit(
            f"{folder} must be named *_safe in this environment",
            f"rename the folder to {folder}_safe once the migration only holds safe operations",
            0,
        )
        return
    if DBCONFIG_SCRIPT.fullmatch(ctx.filename):  # (a version alone: no "_" and no .sql)
        yield Hit(
            f"{ctx.filename} must be named *-safe in this environment",
            f"rename it to {ctx.filename}-safe once it only holds safe operations "
            "(reconcile new does this)",
            0,
        )
        return
    name = ctx.filename.removesuffix(".sql")
    yield Hit(
        f"{ctx.filename} must be named *_safe.sql in this environment",
        f"rename it to {name}_safe.sql once it only holds safe operations (reconcile new does this)",
        0,
    )


RULE = Rule(
    "require-safe-suffix",
    "error",
    "error",
    "production migrations are named *_safe.sql",
    check_file=check_file,
)
