"""ban-credentials: passwords, connection strings and key-shaped tokens in SQL, comments included.

The message never repeats the secret; it names the kind and the position.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from reconciler.errors import SourceLocation
from reconciler.sql import secrets
from reconciler.sql.classify import StatementInfo, function_name
from reconciler.sql.rules.base import FileContext, Hit, Rule, nodes
from reconciler.sql.secrets import SECRET_COLUMN, secret_value

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
        names = function_name(call)
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


_SETS = ("VariableSetStmt", "AlterDatabaseSetStmt", "AlterRoleSetStmt", "AlterSystemStmt")


def _settings(info: StatementInfo) -> Iterator[tuple[str, Any]]:
    """(setting name, value expression) pairs a SET, ALTER DATABASE|ROLE ... SET, ALTER SYSTEM
    or set_config() of constants gives: ``app.jwt_secret`` keeps a secret as surely as a
    column does (readable by every session of that database or role)."""
    if info.node in _SETS:
        stmt = info.tree if info.node == "VariableSetStmt" else info.tree.get("setstmt") or {}
        for arg in (stmt.get("args") or [])[:1]:
            yield str(stmt.get("name", "")), arg
    if info.raw and '"set_config"' not in info.raw:
        return
    for _, call in info.find("FuncCall"):
        args = call.get("args") or []
        is_set = function_name(call)[-1:] == ["set_config"] and len(args) >= 2
        name = _constant(args[0]) if is_set else None
        if name is not None:
            yield name[0], args[1]


def _key_value_rows(info: StatementInfo) -> Iterator[tuple[str, Any]]:
    """(key, value expression) of a settings-table row: an INSERT row or an UPDATE's SET that
    holds, beside the value, a constant naming a credential (``('smtp_password', '...')``,
    ``SET value = '...' WHERE key = 'stripe_secret_key'``)."""
    tree = info.tree
    rows: list[list[Any]] = []
    if info.node == "InsertStmt":
        select = (tree.get("selectStmt") or {}).get("SelectStmt") or {}
        rows = [(r.get("List") or {}).get("items") or [] for r in select.get("valuesLists") or ()]
    elif info.node == "UpdateStmt":
        where = [e for _, e in nodes(tree.get("whereClause"), "A_Const")]
        values = [(t.get("ResTarget") or {}).get("val") for t in tree.get("targetList") or ()]
        rows = [[{"A_Const": w} for w in where] + values]
    for row in rows:
        constants = [(c, e) for e in row if (c := _constant(e)) is not None]
        keys = [c[0] for c, _ in constants if SECRET_COLUMN.match(c[0])]
        for key in keys[:1]:
            for c, expr in constants:
                if not SECRET_COLUMN.match(c[0]):
                    yield key, expr


def _secret_shaped(value: str) -> bool:
    """A value beside a credential's name (not in a credential column: the row may only name
    one) that looks like one: 8 characters or more, not a URL, not a plain lower-case word
    such as another name (a digit, a symbol or mixed case)."""
    v = value.strip()
    if len(v) < 8 or "://" in v:
        return False
    return (
        any(c.isdigit() for c in v)
        or not v.replace("_", "").replace("-", "").replace(".", "").isalpha()
        or (v.lower() != v and v.upper() != v)
    )


_NEVER = "never commit credentials"
_FINDS: list[tuple[Callable[[StatementInfo], Iterator[tuple[str, Any]]], Any, str, str]] = [
    (
        _settings,
        lambda name, value: secret_value(name.rpartition(".")[2], value),
        "a literal value is given to the credential setting {}",
        f"{_NEVER}: set it outside migrations, from a secret store (ALTER DATABASE ... SET by "
        "hand, or the platform's secrets)",
    ),
    (
        _key_value_rows,
        lambda key, value: _secret_shaped(value) and secret_value(key, value),
        "a literal value is written beside the credential name {!r}",
        f"{_NEVER}: write the row's value outside migrations, from a secret store",
    ),
    (
        _written,
        secret_value,
        "a literal value is written into the credential column {}",
        f"{_NEVER} or the hashes of known ones: create accounts and keys outside migrations, "
        "from a secret store, or have the user set them",
    ),
]


# what follows a credential's name and its = or : in a credential assignment
_ASSIGNED = re.compile(r"\w+\s*[=:]\s*")
_QUOTES = {"SCONST", "USCONST", "BCONST", "XCONST"}
_COMMENTS = {"SQL_COMMENT", "C_COMMENT"}


@functools.lru_cache(maxsize=4)
def _scanned(data: bytes) -> list[Any] | None:
    """The scanner's tokens of ``data`` (a statement, or a body in it), or None when it
    refuses it; kept for the next credential-shaped assignment in the same text."""
    from pglast import parser

    try:
        return list(parser.scan(data.decode()))
    except parser.ParseError:
        return None


def _in_code(text: str, at: int) -> bool:
    """Whether character ``at`` of ``text`` is SQL or PL/pgSQL code: not in a string literal
    or a comment (a dollar-quoted body is read as the code it holds). Text the scanner
    refuses counts as no code."""
    data = text.encode()
    offset = len(text[:at].encode())
    while True:
        tokens = _scanned(data)
        if tokens is None:
            return False
        token = next((t for t in tokens if t.start <= offset <= t.end), None)
        if token is None:
            return True  # between tokens
        if token.name in _COMMENTS:
            return False
        if token.name not in _QUOTES:
            return True
        body = re.match(rb"\$(\w*)\$", data[token.start : token.end + 1])
        if body is None:
            return False  # a quoted string
        start = token.start + len(body.group(0))
        end = token.end + 1 - len(body.group(0))
        if not start <= offset < end:
            return False
        data, offset = data[start:end], offset - start


def _an_expression(ctx: FileContext, start: int) -> bool:
    """A credential assignment at ``start`` of the file whose value is a name or an
    expression in code (``token = NEW.token``, ``SET password = v_password``): an assignment
    in SQL or PL/pgSQL, not a credential written in (a quoted or numeric value is, and so is
    any in a string or a comment: a connection string's ``password=...``). Only the statement
    holding it is scanned (one outside every statement is in a comment)."""
    text = ctx.source.text
    m = _ASSIGNED.match(text, start)
    if m is None:
        return False
    value = text[m.end() : m.end() + 1]
    if not (value.isalpha() or value == "_"):
        return False
    line = text.count("\n", 0, start) + 1
    for stmt in ctx.source.statements:
        if stmt.line <= line <= stmt.end_line:
            begin = _line_start(text, stmt.line) + stmt.col - 1
            if text.startswith(stmt.text, begin) and begin <= start < begin + len(stmt.text):
                return _in_code(stmt.text, start - begin)
    return False


def _line_start(text: str, line: int) -> int:
    """The offset where line ``line`` (1-based) of ``text`` starts."""
    at = 0
    for _ in range(line - 1):
        at = text.index("\n", at) + 1
    return at


def check_file(ctx: FileContext) -> Iterator[Hit]:
    for info in ctx.infos:
        for pairs, is_secret, message, advice in _FINDS:
            for name, expr in pairs(info):
                found = _constant(expr)
                if found is not None and is_secret(name, found[0]):
                    where = info.at(found[1]) or (info.stmt.line, info.stmt.col)
                    yield Hit(message.format(name), advice, where[0], where[1])
    text = ctx.source.text
    for start, what in secrets.find(text):  # one pass over the file for every pattern
        if what == "a credential assignment" and _an_expression(ctx, start):
            continue
        at = SourceLocation.of_offset(ctx.source.path, text, start)
        yield Hit(
            f"{what} is written in the migration",
            "never commit credentials: create roles and secrets outside migrations, from a secret store",
            at.line,
            at.col,
        )


RULE = Rule(
    "ban-credentials",
    "error",
    "error",
    "no credentials in SQL, comments included",
    check_file=check_file,
)
