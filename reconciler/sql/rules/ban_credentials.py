"""ban-credentials: passwords, connection strings and key-shaped tokens in SQL, comments included.

The message never repeats the secret; it names the kind and the position.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql import secrets
from reconciler.sql.classify import StatementInfo
from reconciler.sql.rules.base import FileContext, Hit, Rule
from reconciler.sql.secrets import secret_value

# functions that hash or encrypt their first argument: crypt('admin123', gen_salt('bf'))
# writes a known password as surely as the text itself
_HASHING = frozenset(
    (
        "crypt",
        "md5",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "digest",
        "hmac",
        "encode",
        "convert_to",
        "pgp_sym_encrypt",
        "encrypt",
        "decode",
    )
)


def _constant(expr: Any) -> tuple[str, int] | None:
    """A string constant (through casts and hashing functions) and its offset."""
    while isinstance(expr, dict) and ("TypeCast" in expr or "FuncCall" in expr):
        if "TypeCast" in expr:
            expr = expr["TypeCast"].get("arg")
            continue
        call = expr["FuncCall"]
        names = [str((n.get("String") or {}).get("sval", "")) for n in call.get("funcname") or []]
        if not names or names[-1].lower() not in _HASHING or not call.get("args"):
            return None
        expr = call["args"][0]
    const = (expr or {}).get("A_Const") if isinstance(expr, dict) else None
    if not const or "sval" not in const:
        return None
    return str(const["sval"].get("sval", "")), int(const.get("location", -1))


def _written(info: StatementInfo) -> Iterator[tuple[str, Any]]:
    """(column, value expression) pairs an INSERT or UPDATE writes."""
    tree = info.tree
    if info.node == "InsertStmt":
        cols = [str(c.get("ResTarget", {}).get("name", "")) for c in tree.get("cols") or ()]
        select = (tree.get("selectStmt") or {}).get("SelectStmt") or {}
        rows = [(r.get("List") or {}).get("items") or [] for r in select.get("valuesLists") or ()]
        if not rows and select.get("targetList"):
            rows = [[t.get("ResTarget", {}).get("val") for t in select["targetList"]]]
        for row in rows:
            yield from zip(cols, row, strict=False)
    elif info.node == "UpdateStmt":
        for t in tree.get("targetList") or ():
            target = t.get("ResTarget") or {}
            yield str(target.get("name", "")), target.get("val")


def check_file(ctx: FileContext) -> Iterator[Hit]:
    for info in ctx.infos:
        if info.node not in ("InsertStmt", "UpdateStmt"):
            continue
        for column, expr in _written(info):
            found = _constant(expr)
            if found is not None and secret_value(column, found[0]):
                where = info.at(found[1]) or (info.stmt.line, info.stmt.col)
                yield Hit(
                    f"a literal value is written into the credential column {column}",
                    "never commit credentials or the hashes of known ones: create accounts "
                    "and keys outside migrations, from a secret store, or have the user set them",
                    where[0],
                    where[1],
                )
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
