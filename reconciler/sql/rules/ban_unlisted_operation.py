"""ban-unlisted-operation: strict environments allow only the operations on the safe list.

The list follows the original's "Safe Operations Only": new objects, ADD COLUMN that is
nullable or has a non-volatile default, constraints added NOT VALID then validated,
INSERT ... ON CONFLICT DO NOTHING, COMMENT and session settings. Anything on a table
created earlier in the same file is also safe (nobody uses it yet).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.classify import StatementInfo
from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    alter_target,
    index_target,
)

_ALWAYS = {
    "create_table",
    "create_type",
    "create_sequence",
    "create_schema",
    "create_extension",
    "validate_constraint",
    "add_constraint_using_index",
    "alter_type_add_value",
    "comment",
    "set",
    "reset",
    "do",  # (when its PL/pgSQL was read: each statement inside is judged on its own)
}
_ADVICE = {
    "update": "data changes belong in a DATA migration run outside strict gates, or in batches with a WHERE",
    "delete": "data removal is never automatic in production: archive instead, or run it by hand with approval",
    "drop": "keep the object and stop using it; drop it later in a reviewed, non-strict change",
    "truncate": "never truncate in production from a migration",
    "select": "migrations should not run queries; move checks into tests or a DATA migration",
    "insert": "use INSERT ... ON CONFLICT DO NOTHING so the migration is idempotent",
    "alter_table": "split the change into safe steps: add nullable/defaulted columns, add constraints NOT VALID then VALIDATE",
    "create_index": "use CREATE INDEX CONCURRENTLY",
    "grant": "manage privileges outside schema migrations, or allow this file explicitly with a reason",
    "create_function": "replacing a function changes running code: review it and allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
    "create_view": "replacing a view changes what every reader sees: review it and allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
    "create_trigger": "replacing a trigger changes what every write does: review it and allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
}


_SAFE_ACTIONS = {
    "AT_AddColumn",  # the column rules decide about NOT NULL, volatile defaults, REFERENCES
    "AT_ValidateConstraint",
    "AT_AddIndexConstraint",
}


def _alter_ok(ctx: StatementContext) -> bool:
    commands = alter_commands(ctx.info)
    for cmd in commands:
        if cmd.get("subtype") in _SAFE_ACTIONS:
            continue
        con = (cmd.get("def") or {}).get("Constraint") or {}
        if cmd.get("subtype") == "AT_AddConstraint":
            if con.get("contype") in ("CONSTR_CHECK", "CONSTR_FOREIGN") and con.get(
                "skip_validation"
            ):
                continue  # NOT VALID, validated later
            if con.get("contype") in ("CONSTR_UNIQUE", "CONSTR_PRIMARY") and con.get("indexname"):
                continue  # USING INDEX built concurrently
        return False
    return bool(commands)


# allowed unless OR REPLACE (a reviewed change of what running code sees)
_NEW_OBJECTS = {"create_function", "create_trigger", "create_view"}


# extensions and routine languages that run code outside the database's sandbox: native code,
# untrusted procedural languages, the server's files, other servers
_OUTSIDE = {
    "c",
    "internal",
    "plpythonu",
    "plpython2u",
    "plpython3u",
    "plperlu",
    "pltclu",
    "plsh",
    "adminpack",
    "file_fdw",
    "dblink",
    "postgres_fdw",
}


def _runs_outside(info: StatementInfo) -> str | None:
    if info.node == "CreateExtensionStmt":
        name = str(info.tree.get("extname", "")).lower()
        return f"extension {name}" if name in _OUTSIDE else None
    if info.node == "CreateFunctionStmt":
        for d in info.tree.get("options") or ():
            opt = d.get("DefElem", {})
            if opt.get("defname") == "language":
                lang = str(opt.get("arg", {}).get("String", {}).get("sval", "")).lower()
                return f"a function in LANGUAGE {lang}" if lang in _OUTSIDE else None
    return None


# settings that change who runs the rest of the file, or switch off triggers and foreign keys
_NOT_SESSION_SETTINGS = {"role", "session_authorization", "session_replication_role"}


# timeouts the environment's policy sets for every migration; a file may lower them, not switch
# them off
_POLICY_TIMEOUTS = {"lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout"}
_ZERO = re.compile(r"^\s*0+\s*(us|ms|s|min|h|d)?\s*$")


def _switches_off(info: StatementInfo) -> bool:
    if info.kind != "set" or info.tree.get("name") not in _POLICY_TIMEOUTS:
        return False
    for arg in info.tree.get("args") or ():
        const = arg.get("A_Const") or {}
        if "ival" in const and not const["ival"].get("ival"):
            return True
        if _ZERO.match(str((const.get("sval") or {}).get("sval", "x"))):
            return True
    return info.tree.get("kind") == "VAR_SET_DEFAULT"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if _switches_off(i):
        yield Hit(
            f"this switches off {i.tree['name']}, which the environment's policy sets so that a "
            "migration cannot wait on locks (or run) without bound",
            "keep the policy's timeout, or set a lower one for this file",
        )
        return
    if i.kind == "set" and i.tree.get("name") in _NOT_SESSION_SETTINGS:
        yield Hit(
            f"SET {str(i.tree['name']).upper()} changes who runs the migration or switches off "
            "triggers and foreign keys; it is not a session setting on the safe list",
            "run the migration as the role that owns the objects; never bypass constraints",
        )
        return
    outside = _runs_outside(i)
    if outside:
        yield Hit(
            f"{outside} runs code outside the database's sandbox (native code, an untrusted "
            "language, the server's files or other servers)",
            "install it by hand as an operator decision, not from a schema migration; if it was "
            "reviewed, allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        )
        return
    if not i.parsed or i.kind in _ALWAYS:
        return
    if i.kind == "select" and i.inside == "do":
        return  # a query a DO block reads to decide what to do (its writes are judged)
    if i.kind in _NEW_OBJECTS and not i.replace:
        return
    if i.kind == "create_index" and (i.concurrently or ctx.is_new(index_target(i))):
        return
    if i.kind == "alter_table" and (ctx.is_new(alter_target(i)) or _alter_ok(ctx)):
        return
    conflict = i.tree.get("onConflictClause") or {}
    if i.kind == "insert" and conflict.get("action") == "ONCONFLICT_NOTHING":
        return
    label = i.kind.replace("_", " ").upper()
    yield Hit(
        f"{label} is not on the list of safe operations for strict environments",
        _ADVICE.get(
            i.kind,
            "if it is safe, allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        ),
    )


RULE = Rule(
    "ban-unlisted-operation",
    "error",
    None,
    "strict environments allow only listed safe operations",
    check,
)
