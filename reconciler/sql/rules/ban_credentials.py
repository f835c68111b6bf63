"""ban-credentials: passwords, connection strings and key-shaped tokens in SQL, comments included.

The message never repeats the secret; it names the kind and the position.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql import secrets
from reconciler.sql.rules.base import FileContext, Hit, Rule


def check_file(ctx: FileContext) -> Iterator[Hit]:
    text = ctx.source.text
    for start, what in secrets.find(text):  # one pass over the file for every pattern
        line = text.count("\n", 0, start) + 1
        col = start - (text.rfind("\n", 0, start) + 1) + 1
        yield Hit(
            f"{what} is written in the migration",
            "never commit credentials: create roles and secrets outside migrations, from a secret store",
            line,
            col,
        )


RULE = Rule(
    "ban-credentials",
    "error",
    "error",
    "no credentials in SQL, comments included",
    check_file=check_file,
)
