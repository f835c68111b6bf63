"""What each statement is: its kind from its leading keywords, cross-checked against sqlglot.

sqlglot gives an opaque Command for some statements and silently misparses others
(``CLUSTER t`` becomes an alias). So a statement counts as understood only when
sqlglot's class agrees with the kind its keywords name, or when the whole statement
matches one of our exact grammars for commands sqlglot does not model. Anything else is
``parsed=False`` and the ``unparsed-statement`` rule fails closed on it in strict environments.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from reconciler.sql.split import Statement

__all__ = ["StatementInfo", "classify", "shape_of"]

logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
_POSTGRES = sqlglot.Dialect.get_or_raise("postgres")
_WORDS = re.compile(r"[A-Z_][A-Z0-9_]*")
_CONCURRENTLY = re.compile(r"\bCONCURRENTLY\b")

_STRING = re.compile(r"(?:[eE])?'(?:[^'\\]|''|\\.)*'")
_DOLLAR_BODY = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*|)\$.*?\$\1\$", re.DOTALL)
_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_QNAME = rf"{_IDENT}(?:\.{_IDENT}){{0,2}}"


def shape_of(code: str) -> str:
    """Upper-cased code with string literals and dollar-quoted bodies blanked."""
    s = _DOLLAR_BODY.sub("$$?$$", code)
    s = _STRING.sub("'?'", s)
    return s.upper()


# kind -> sqlglot classes that agree with it
_EXPECT: dict[str, tuple[type, ...]] = {
    "create_table": (exp.Create,),
    "create_index": (exp.Create,),
    "create_view": (exp.Create,),
    "create_type": (exp.Create,),
    "create_sequence": (exp.Create,),
    "create_schema": (exp.Create,),
    "drop": (exp.Drop,),
    "alter_table": (exp.Alter,),
    "alter_index": (exp.Alter,),
    "insert": (exp.Insert,),
    "update": (exp.Update,),
    "delete": (exp.Delete,),
    "truncate": (exp.TruncateTable,),
    "select": (exp.Query,),
    "with": (exp.Query, exp.Insert, exp.Update, exp.Delete),
    "comment": (exp.Comment,),
    "set": (exp.Set,),
    "copy": (exp.Copy,),
    "grant": (exp.Grant,),
    "revoke": (exp.Revoke,) if hasattr(exp, "Revoke") else (exp.Grant,),
    "analyze": (exp.Analyze,) if hasattr(exp, "Analyze") else (exp.Command,),
    "begin": (exp.Transaction,),
    "commit": (exp.Commit,),
    "rollback": (exp.Rollback,),
}
_CREATE_KIND = {
    "create_table": "TABLE",
    "create_index": "INDEX",
    "create_view": "VIEW",
    "create_type": "TYPE",
    "create_sequence": "SEQUENCE",
    "create_schema": "SCHEMA",
}

# Exact grammars for commands sqlglot returns as Command (or misparses). Whole statement.
_GRAMMARS: dict[str, re.Pattern[str]] = {
    k: re.compile(v, re.IGNORECASE | re.DOTALL)
    for k, v in {
        "validate_constraint": rf"^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?{_QNAME} VALIDATE CONSTRAINT {_IDENT}$",
        "add_constraint_using_index": (
            rf"^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?{_QNAME} ADD (?:CONSTRAINT {_IDENT} )?"
            rf"(?:UNIQUE|PRIMARY KEY) USING INDEX {_IDENT}(?: DEFERRABLE)?(?: INITIALLY (?:DEFERRED|IMMEDIATE))?$"
        ),
        "alter_type_add_value": (
            rf"^ALTER TYPE {_QNAME} ADD VALUE (?:IF NOT EXISTS )?'(?:[^']|'')*'"
            rf"(?: (?:BEFORE|AFTER) '(?:[^']|'')*')?$"
        ),
        "create_extension": (
            rf"^CREATE EXTENSION (?:IF NOT EXISTS )?{_IDENT}(?: WITH)?(?: SCHEMA {_IDENT})?"
            rf"(?: VERSION (?:{_IDENT}|'[^']*'))?(?: CASCADE)?$"
        ),
        "reset": rf"^RESET (?:ALL|{_QNAME})$",
        "vacuum": rf"^VACUUM(?: \([^)]*\))?(?: (?:FULL|FREEZE|VERBOSE|ANALYZE))*(?: {_QNAME}(?: \([^)]*\))?(?:, {_QNAME})*)?$",
        "cluster": rf"^CLUSTER(?: VERBOSE)?(?: {_QNAME}(?: USING {_IDENT})?)?$",
        "lock": (
            rf"^LOCK (?:TABLE )?(?:ONLY )?{_QNAME}(?:, {_QNAME})*(?: IN (?:ACCESS SHARE|ROW SHARE|ROW EXCLUSIVE"
            rf"|SHARE UPDATE EXCLUSIVE|SHARE|SHARE ROW EXCLUSIVE|EXCLUSIVE|ACCESS EXCLUSIVE) MODE)?(?: NOWAIT)?$"
        ),
        "reindex": rf"^REINDEX(?: \([^)]*\))? (?:INDEX|TABLE|SCHEMA|DATABASE|SYSTEM)(?: CONCURRENTLY)? {_QNAME}$",
        "refresh": rf"^REFRESH MATERIALIZED VIEW(?: CONCURRENTLY)? {_QNAME}(?: WITH (?:NO )?DATA)?$",
        "analyze": rf"^ANALYZE(?: VERBOSE)?(?: {_QNAME}(?: \([^)]*\))?)?$",
        "transaction": r"^(?:BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK|ABORT)(?: WORK| TRANSACTION)?(?: [A-Z ]+)?$",
        "savepoint": rf"^(?:SAVEPOINT|RELEASE(?: SAVEPOINT)?|ROLLBACK TO(?: SAVEPOINT)?) {_IDENT}$",
        "alter_table_owner": rf"^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?{_QNAME} OWNER TO {_IDENT}$",
    }.items()
}


@dataclass
class StatementInfo:
    """One statement understood: kind, parse tree (when trustworthy) and helper views."""

    stmt: Statement
    kind: str
    shape: str  # upper-cased, literals blanked
    ast: Any  # sqlglot expression when the parse is trusted
    parsed: bool
    why_unparsed: str | None = None
    concurrently: bool = False
    body: str | None = None  # the dollar-quoted body of DO / CREATE FUNCTION
    body_line: int = 0  # line in the file where the body starts
    inner: list[tuple[str, int]] = field(default_factory=list)  # (operation, line) in the body
    memo: dict[str, Any] = field(default_factory=dict)  # views the rules share (ALTER actions, ...)
    # the SQL statements a DO block runs, read by PostgreSQL's own PL/pgSQL parser (pglast);
    # each is linted by the same rules as a top-level statement
    children: list[StatementInfo] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.stmt.line


_BODY_OPS = [
    (re.compile(r"\bDROP\s+TABLE\b"), "drop_table"),
    (
        re.compile(
            r"\bDROP\s+COLUMN\b|\bALTER\s+TABLE\b[^;]*\bDROP\s+(?!CONSTRAINT|DEFAULT|NOT|INDEX|TABLE)"
        ),
        "drop_column",
    ),
    (
        re.compile(
            r"\bDROP\s+(?!TABLE\b|COLUMN\b)(?:INDEX|VIEW|SCHEMA|TYPE|SEQUENCE|FUNCTION|TRIGGER|CONSTRAINT|MATERIALIZED|EXTENSION|DOMAIN|POLICY|ROLE|USER|DATABASE|OWNED)\b"
        ),
        "drop_object",
    ),
    (re.compile(r"\bDELETE\s+FROM\b"), "delete"),
    (re.compile(r"\bTRUNCATE\b"), "truncate"),
    (re.compile(r"\bUPDATE\s+[^;]*?\bSET\b"), "update"),
    (re.compile(r"\bEXECUTE\b"), "execute"),
]


def body_operations(body: str, first_line: int) -> list[tuple[str, int]]:
    """Destructive operations written inside a DO block or function body, with their lines."""
    code = "\n".join(line.split("--", 1)[0] for line in body.splitlines())
    shape = _STRING.sub("'?'", code).upper()
    hits: list[tuple[str, int]] = []
    for pattern, what in _BODY_OPS:
        for m in pattern.finditer(shape):
            hits.append((what, first_line + shape[: m.start()].count("\n")))
    return sorted(hits, key=lambda h: (h[1], h[0]))


def _kind(words: list[str], shape: str) -> str:
    w = words + [""] * 6
    if w[0] == "CREATE":
        rest = [
            x
            for x in w[1:]
            if x
            not in (
                "OR",
                "REPLACE",
                "TEMP",
                "TEMPORARY",
                "UNLOGGED",
                "UNIQUE",
                "GLOBAL",
                "LOCAL",
                "RECURSIVE",
                "MATERIALIZED",
            )
        ]
        obj = rest[0]
        return {
            "TABLE": "create_table",
            "INDEX": "create_index",
            "VIEW": "create_view",
            "TYPE": "create_type",
            "SEQUENCE": "create_sequence",
            "SCHEMA": "create_schema",
            "EXTENSION": "create_extension",
            "FUNCTION": "create_function",
            "PROCEDURE": "create_function",
            "TRIGGER": "create_trigger",
        }.get(obj, f"create_{obj.lower()}" if obj else "create")
    if w[0] == "ALTER":
        if w[1] == "TABLE":
            if re.search(r"\bVALIDATE CONSTRAINT\b", shape):
                return "validate_constraint"
            if re.search(r"\bUSING INDEX\b", shape) and re.search(r"\bADD\b", shape):
                return "add_constraint_using_index"
            return "alter_table"
        if w[1] == "TYPE" and " ADD VALUE " in f" {shape} ":
            return "alter_type_add_value"
        return f"alter_{w[1].lower()}" if w[1] else "alter"
    if w[0] in ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT"):
        if w[0] == "ROLLBACK" and w[1] == "TO":
            return "savepoint"
        return {
            "BEGIN": "begin",
            "START": "begin",
            "COMMIT": "commit",
            "END": "commit",
            "ROLLBACK": "rollback",
            "ABORT": "rollback",
        }[w[0]]
    if w[0] in ("SAVEPOINT", "RELEASE"):
        return "savepoint"
    if w[0] == "PREPARE" and w[1] == "TRANSACTION":
        return "prepare_transaction"
    return {
        "DROP": "drop",
        "INSERT": "insert",
        "UPDATE": "update",
        "DELETE": "delete",
        "TRUNCATE": "truncate",
        "SELECT": "select",
        "WITH": "with",
        "VALUES": "select",
        "TABLE": "select",
        "COMMENT": "comment",
        "SET": "set",
        "RESET": "reset",
        "COPY": "copy",
        "VACUUM": "vacuum",
        "ANALYZE": "analyze",
        "ANALYSE": "analyze",
        "CLUSTER": "cluster",
        "LOCK": "lock",
        "REINDEX": "reindex",
        "REFRESH": "refresh",
        "GRANT": "grant",
        "REVOKE": "revoke",
        "DO": "do",
        "CALL": "call",
        "DISCARD": "discard",
        "NOTIFY": "notify",
        "SECURITY": "security_label",
        "IMPORT": "import",
        "LOAD": "load",
    }.get(w[0], (w[0] or "empty").lower())


def _agrees(kind: str, ast: Any) -> bool:
    expected = _EXPECT.get(kind)
    if expected is None or isinstance(ast, exp.Command):
        return False
    if not isinstance(ast, expected) or not isinstance(ast, exp.Expression):
        return False
    if kind in _CREATE_KIND:
        return str(ast.args.get("kind") or "").upper() == _CREATE_KIND[kind]
    if kind == "alter_table":
        return str(ast.args.get("kind") or "TABLE").upper() == "TABLE" and bool(
            ast.args.get("actions")
        )
    if kind == "with":
        return ast.find(exp.With) is not None
    return True


def _body(stmt: Statement) -> tuple[str | None, int]:
    m = _DOLLAR_BODY.search(stmt.text)
    if not m:
        return None, 0
    tag_len = len(m.group(1) or "") + 2
    start = m.start() + tag_len
    return stmt.text[start : m.end() - tag_len], stmt.line + stmt.text[:start].count("\n")


_DO_LANGUAGE = re.compile(r"\bLANGUAGE\s+(\w+)", re.IGNORECASE)
_WRAP_TAG = "$__reconciler_do_body$"


def _plpgsql(info: StatementInfo) -> bool:
    """Read a DO block's PL/pgSQL with PostgreSQL's own parser (pglast): every SQL statement
    it runs becomes a child to lint; an EXECUTE of a dynamic string cannot be checked. Returns
    False when pglast is missing or the language is not PL/pgSQL (the regex reading applies)."""
    body = info.body or ""
    outside = _DOLLAR_BODY.sub(" ", info.stmt.code)
    lang = _DO_LANGUAGE.search(outside)
    if (lang and lang.group(1).lower() != "plpgsql") or _WRAP_TAG in body:
        return False
    try:
        import pglast
        from pglast.parser import ParseError
    except ImportError:  # pragma: no cover - pglast is a declared dependency
        return False
    try:
        tree = pglast.parse_plpgsql(
            f"CREATE FUNCTION pg_temp.reconciler_do() RETURNS void LANGUAGE plpgsql AS {_WRAP_TAG}"
            f"{body}{_WRAP_TAG}"
        )
    except ParseError as e:
        info.why_unparsed = f"PostgreSQL's PL/pgSQL parser rejected the DO body: {str(e)[:120]}"
        return True
    queries: list[tuple[str, int]] = []
    dynamic: list[int] = []

    def walk(node: Any, line: int) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, line)
            return
        if not isinstance(node, dict):
            return
        line = int(node.get("lineno") or line)
        for key, value in node.items():
            if key in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"):
                dynamic.append(int(value.get("lineno") or line))
            if key == "PLpgSQL_stmt_open" and value.get("dynquery"):
                dynamic.append(int(value.get("lineno") or line))
            if key == "PLpgSQL_expr" and isinstance(value, dict):
                if value.get("parseMode") == 0 and value.get("query"):
                    queries.append((str(value["query"]), line))
                continue
            walk(value, line)

    walk(tree, 1)
    from reconciler.sql.split import split_sql

    for query, lineno in queries:
        at = info.body_line + lineno - 1  # line 1 of the wrapper is the line the body opens on
        for child in split_sql(query).statements:
            moved = Statement(
                child.index,
                child.text,
                child.code,
                at + child.line - 1,
                child.col if child.line > 1 else 1,
                at + child.end_line - 1,
            )
            info.children.append(classify(moved))
    info.body = None  # read: the children speak for it (comments and strings are not SQL)
    if dynamic:
        info.why_unparsed = (
            f"EXECUTE of a dynamic string (line {info.body_line + dynamic[0] - 1}) runs SQL that "
            "cannot be known before it runs"
        )
        return True
    info.parsed = True  # each statement inside is checked (and reported) on its own
    return True


# PostgreSQL's parse node -> the kinds (from the leading keywords) it agrees with. DDL only:
# data statements (and WITH) stay with sqlglot's tree, which the data rules read.
_NODE_KINDS: dict[str, tuple[str, ...]] = {
    "CreateTrigStmt": ("create_trigger", "create_constraint"),
    "AlterTableStmt": (
        "alter_table",
        "alter_index",
        "alter_sequence",
        "alter_view",
        "alter_materialized",
        "alter_foreign",
    ),
    "AlterSeqStmt": ("alter_sequence",),
    "CreateSeqStmt": ("create_sequence",),
    "RenameStmt": ("alter_",),
    "AlterOwnerStmt": ("alter_",),
    "AlterObjectSchemaStmt": ("alter_",),
    "AlterObjectDependsStmt": ("alter_",),
    "AlterFunctionStmt": ("alter_function", "alter_procedure", "alter_routine"),
    "AlterEnumStmt": ("alter_type", "alter_type_add_value"),
    "AlterTypeStmt": ("alter_type",),
    "CommentStmt": ("comment",),
    "GrantStmt": ("grant", "revoke"),
    "GrantRoleStmt": ("grant", "revoke"),
    "AlterDefaultPrivilegesStmt": ("alter_default",),
    "CreatePolicyStmt": ("create_policy",),
    "AlterPolicyStmt": ("alter_policy",),
    "CreatePublicationStmt": ("create_publication",),
    "AlterPublicationStmt": ("alter_publication",),
    "CreateDomainStmt": ("create_domain",),
    "AlterDomainStmt": ("alter_domain",),
    "RuleStmt": ("create_rule",),
    "CreateEnumStmt": ("create_type",),
    "CompositeTypeStmt": ("create_type",),
    "CreateRangeStmt": ("create_type",),
    "CreateExtensionStmt": ("create_extension",),
    "AlterExtensionStmt": ("alter_extension",),
    "CreateSchemaStmt": ("create_schema",),
    "ViewStmt": ("create_view",),
    "CreateStmt": ("create_table",),
    "IndexStmt": ("create_index",),
    "DropStmt": ("drop",),
    "CreateStatsStmt": ("create_statistics",),
    "AlterStatsStmt": ("alter_statistics",),
    "CreateRoleStmt": ("create_role", "create_user", "create_group"),
    "AlterRoleStmt": ("alter_role", "alter_user", "alter_group"),
    "VariableSetStmt": ("set", "reset"),
    "CreateFunctionStmt": ("create_function",),
    "CreateTableAsStmt": ("create_view", "create_table"),  # materialized views, CREATE TABLE AS
    "DefineStmt": (
        "create_aggregate",
        "create_operator",
        "create_type",
        "create_collation",
        "create_text",
    ),
    "CreateCastStmt": ("create_cast",),
    "CreateOpClassStmt": ("create_operator",),
    "CreateOpFamilyStmt": ("create_operator",),
    "CreateConversionStmt": ("create_conversion", "create_default"),
    "CreateTransformStmt": ("create_transform",),
    "CreateEventTrigStmt": ("create_event",),
    "AlterEventTrigStmt": ("alter_event",),
    "CreateForeignTableStmt": ("create_foreign",),
    "CreateFdwStmt": ("create_foreign",),
    "CreateForeignServerStmt": ("create_server",),
    "CreateUserMappingStmt": ("create_user",),
    "AlterCollationStmt": ("alter_collation",),
    "AlterTSDictionaryStmt": ("alter_text",),
    "AlterTSConfigurationStmt": ("alter_text",),
    "SecLabelStmt": ("security_label",),
    "NotifyStmt": ("notify",),
    "ListenStmt": ("listen",),
    "UnlistenStmt": ("unlisten",),
    "DiscardStmt": ("discard",),
}


def _postgres_reads(stmt: Statement, kind: str) -> str | None:
    """None when PostgreSQL's own parser (libpg_query) reads the statement as the DDL its
    keywords name; otherwise why not (the caller then fails closed)."""
    try:
        from pglast import parser
    except ImportError:  # pragma: no cover - pglast is a declared dependency
        return "PostgreSQL's parser (pglast) is not installed"
    try:
        parsed = parser.parse_sql(stmt.text)
    except parser.ParseError as e:
        return f"PostgreSQL's parser rejects it: {str(e).splitlines()[0][:120]}"
    if len(parsed) != 1:
        return f"PostgreSQL's parser reads {len(parsed)} statements here"
    node = type(parsed[0].stmt).__name__
    kinds = _NODE_KINDS.get(node)
    if kinds is None:
        return f"PostgreSQL reads it as {node}, which this tool does not check"
    if not any(kind == k or (k.endswith("_") and kind.startswith(k)) for k in kinds):
        return f"its keywords say {kind.replace('_', ' ')} but PostgreSQL reads it as {node}"
    return None


def _second_reading(info: StatementInfo) -> StatementInfo:
    """What sqlglot and our grammars could not confirm, PostgreSQL's parser may (DDL only)."""
    why = _postgres_reads(info.stmt, info.kind)
    if why is None:
        info.parsed, info.why_unparsed = True, None
    return info


def classify(stmt: Statement) -> StatementInfo:
    shape = shape_of(stmt.code)
    words = _WORDS.findall(shape[:200])[:8]
    kind = _kind(words, shape)
    info = StatementInfo(stmt, kind, shape, None, False)
    info.concurrently = "CONCURRENTLY" in shape and bool(_CONCURRENTLY.search(shape))
    if kind == "do":
        info.body, info.body_line = _body(stmt)
        if info.body is not None and _plpgsql(info):
            return info
    if kind in ("do", "create_function"):
        info.body, info.body_line = _body(stmt)
        if info.body is not None:
            info.inner = body_operations(info.body, info.body_line)
        if kind == "create_function" and _postgres_reads(stmt, kind) is None:
            # a new function (or a reviewed replacement): what runs at migration time is the
            # creation; what its body would do is still reported where the rules see it
            info.parsed = True
            return info
        info.why_unparsed = (
            "the body of a DO block is opaque to static analysis"
            if kind == "do"
            else "a function body is opaque to static analysis"
        )
        return info
    grammar = _GRAMMARS.get(kind) or (
        _GRAMMARS["transaction"] if kind in ("begin", "commit", "rollback") else None
    )
    if grammar is not None and kind not in _EXPECT:
        if grammar.match(" ".join(stmt.code.split())):
            info.parsed = True
        else:
            info.why_unparsed = (
                f"{kind.replace('_', ' ')} statement in a form this tool does not recognise"
            )
        return info
    try:
        ast = _POSTGRES.parse(stmt.code)[0]
    except SqlglotError as e:
        info.why_unparsed = f"the SQL parser rejected it: {str(e).splitlines()[0][:120]}"
        return _second_reading(info)
    except Exception as e:  # sqlglot can raise other errors on odd input; fail closed
        info.why_unparsed = f"the SQL parser failed: {type(e).__name__}"
        return _second_reading(info)
    flat = " ".join(stmt.code.split())
    if _agrees(kind, ast):
        info.ast, info.parsed = ast, True
    elif any(g.match(flat) for name, g in _GRAMMARS.items() if name.startswith(kind)):
        info.parsed = True
    else:
        got = type(ast).__name__
        info.why_unparsed = (
            f"its keywords say {kind.replace('_', ' ')} but the parser read it as {got}"
            if kind in _EXPECT
            else f"{kind.replace('_', ' ')} is not a statement kind this tool understands"
        )
        return _second_reading(info)
    return info
