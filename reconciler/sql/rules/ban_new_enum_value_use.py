"""ban-new-enum-value-use: an enum value cannot be used in the transaction that added it.

PostgreSQL refuses any use of a value ``ALTER TYPE ... ADD VALUE`` added until that
transaction commits ("unsafe use of new value"): an INSERT, a cast, a DEFAULT, an index
predicate. In a file that runs as one transaction such a use can only fail at apply time.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.classify import nodes
from reconciler.sql.rules.base import FileContext, Hit, Rule, dotted_name, hit_at


def check_file(ctx: FileContext) -> Iterator[Hit]:
    if ctx.source.no_transaction:
        return  # each statement commits on its own: the value is committed before its use
    added: dict[str, tuple[str, int]] = {}  # new value -> (its type, the line adding it)
    for info in ctx.infos:
        if info.node == "AlterEnumStmt" and info.tree.get("newVal") and not info.tree.get("oldVal"):
            name = dotted_name(info.tree.get("typeName"))
            added.setdefault(str(info.tree["newVal"]), (name, info.stmt.line))
            continue
        if not added or info.node == "CommentStmt":
            continue  # (a comment's text is no use of the value)
        for one in [info, *info.children]:
            for _, const in nodes(one.tree, "A_Const"):
                value = (const.get("sval") or {}).get("sval")
                if value in added:
                    enum, line = added[value]
                    yield hit_at(
                        one,
                        const.get("location"),
                        Hit(
                            f"'{value}' is used in the transaction whose line {line} added it to "
                            f"{enum}: PostgreSQL refuses a new enum value until that commits",
                            "move the statements using it to a later migration (or make this "
                            "file -- reconciler:no-transaction, so each statement commits on its "
                            "own)",
                        ),
                    )
                    break


RULE = Rule(
    "ban-new-enum-value-use",
    "error",
    "warning",
    "no use of an enum value in the transaction that added it",
    check_file=check_file,
)
