"""What each statement is, read by PostgreSQL's own parser (libpg_query, through pglast).

Every statement is parsed by the server's grammar into a syntax tree; its kind comes from
the tree's node (``AlterTableStmt`` whose only action is ``VALIDATE CONSTRAINT`` is
``validate_constraint``, ...), and the rules read the tree. A statement PostgreSQL rejects,
or that the parser reads as more than one statement, is ``parsed=False`` and the
``unparsed-statement`` rule fails closed on it in strict environments.

sqlglot is the independent second opinion on the statements whose effect depends on a
clause (INSERT / UPDATE / DELETE / MERGE / SELECT, DROP and TRUNCATE): when it reads a
different statement, or disagrees about the WHERE of an UPDATE or DELETE or the ON CONFLICT
of an INSERT, the statement is unparsed. Where sqlglot has no model of a statement (it
returns an opaque Command or fails), PostgreSQL's reading stands alone.

PL/pgSQL is read with PostgreSQL's PL/pgSQL parser: the statements of a DO block become
``children`` linted by the same rules. An ``EXECUTE`` of a constant string is that SQL; one
built only from constant text and quoted values (``format('... %I ... %L', ...)``,
``'...' || quote_ident(x) || '...'``) is that SQL with placeholders (``DYNAMIC_NAME``) for the
names and values, which cannot change what kind of statement it is; any other dynamic string
(``%s``, a variable concatenated) cannot be known before it runs and leaves the block unparsed. Function bodies run later, not at migration
time: what they would do is summarised in ``inner`` for the destructive-operation rules.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reconciler.sql.split import PSQL_VARIABLE_AFTER, Statement

__all__ = [
    "DYNAMIC_NAME",
    "StatementInfo",
    "always_true",
    "called_functions",
    "classify",
    "function_name",
    "nodes",
    "routine_option",
]

Tree = dict[str, Any]

_STRING = re.compile(r"(?:[eE])?'(?:[^'\\]|''|\\.)*'")
_DOLLAR_BODY = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*|)\$.*?\$\1\$", re.DOTALL)


@dataclass
class StatementInfo:
    """One statement understood: its kind, PostgreSQL's parse tree and what it contains."""

    stmt: Statement
    kind: str
    node: str = ""  # PostgreSQL's parse node, e.g. "AlterTableStmt" ("" when rejected)
    tree: Tree = field(default_factory=dict)  # the node's fields, as libpg_query's JSON
    raw: str = ""  # that JSON as text ("" when not at hand): a quick "is there any X node?"
    parsed: bool = False
    why_unparsed: str | None = None
    # where PostgreSQL's parser stopped, when it rejects the statement (a byte offset, as at())
    syntax_error_at: int | None = None
    ast: Any = None  # sqlglot's tree, when the second opinion ran and agreed
    concurrently: bool = False
    replace: bool = False  # CREATE OR REPLACE of a function or trigger
    body_line: int = 0  # line in the file where a DO / function body starts
    # what a function body would do when called: (operation, line); operations are
    # drop_table, drop_column, drop_object, delete, truncate, update_without_where, call:<name>
    inner: list[tuple[str, int]] = field(default_factory=list)
    # the tables and views a routine's body names without a schema: (name, line)
    unqualified: list[tuple[str, int]] = field(default_factory=list)
    # the SQL statements a DO block runs; each is linted by the same rules as a top-level one
    children: list[StatementInfo] = field(default_factory=list)
    # the SQL statements a new routine's body will run when called (not now: they are not
    # linted as the file's; a rule about what a body may ever do reads them)
    body: list[StatementInfo] = field(default_factory=list)
    inside: str = ""  # the kind of the block this statement runs in ("do"), "" at top level
    # psql variables the statement (or its routine's body) was read past: (line, column, as
    # written); psql's, not SQL
    psql_variables: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.stmt.line

    def find(self, *types: str) -> Iterator[tuple[str, Tree]]:
        """Every node of the given types in the statement's tree (nested ones included)."""
        if self.raw and not any(f'"{t}"' in self.raw for t in types):
            return iter(())
        return nodes(self.tree, *types)

    def at(self, location: int | None) -> tuple[int, int] | None:
        """File line and column of a byte offset into the statement (libpg_query's locations)."""
        if location is None or location < 0:
            return None
        text = self.stmt.text
        before = (
            text[:location] if text.isascii() else text.encode()[:location].decode(errors="ignore")
        )
        if "\n" not in before:
            return self.stmt.line, self.stmt.col + len(before)
        return self.stmt.line + before.count("\n"), len(before) - before.rfind("\n")


def nodes(tree: Any, *types: str) -> Iterator[tuple[str, Tree]]:
    """Every node of the given types (all nodes when none) anywhere under ``tree``, in the
    order they are written (a name's parts come schema first)."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            later: list[Any] = []
            for key, value in item.items():
                if isinstance(value, dict):
                    if key[:1].isupper() and (not types or key in types):
                        yield key, value
                    later.append(value)
                elif isinstance(value, list):
                    later.append(value)
            stack.extend(reversed(later))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _range_vars(tree: Any) -> Iterator[Tree]:
    """Every table or view name under ``tree``: RangeVars, wrapped in lists and bare where a
    field holds one (an INSERT's, UPDATE's or DELETE's ``relation``)."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "relname" in item:
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _bare(tree: Any) -> Any:
    """A tree without its locations, to compare two expressions."""
    if isinstance(tree, dict):
        return {k: _bare(v) for k, v in tree.items() if k != "location"}
    if isinstance(tree, list):
        return [_bare(v) for v in tree]
    return tree


_TRUE_TEXT = {"t", "true", "y", "yes", "on", "1"}


def _always_false(expr: Tree | None) -> bool:
    """``false``, ``'f'::boolean``, or NOT of something always true."""
    if not expr:
        return False
    ((kind, v),) = expr.items()
    if kind == "A_Const":
        return "boolval" in v and not (v.get("boolval") or {}).get("boolval")
    if kind == "BoolExpr" and v.get("boolop") == "NOT_EXPR":
        return always_true((v.get("args") or [None])[0])
    return False


def _null_tests(args: list[Tree]) -> set[tuple[str, str]]:
    """(IS NULL or IS NOT NULL, the expression tested) of the NullTests among ``args``."""
    found = set()
    for a in args:
        test = a.get("NullTest") if isinstance(a, dict) else None
        if test:
            found.add((str(test.get("nulltesttype")), repr(_bare(test.get("arg")))))
    return found


def always_true(where: Tree | None) -> bool:
    """A WHERE that keeps every row: ``true``, ``'t'::boolean``, ``1 = 1``, ``id = id``,
    ``NOT false``, ``a IS NULL OR a IS NOT NULL``, or an OR with one of those (the disguises
    of an unbounded UPDATE or DELETE)."""
    if not where:
        return False
    ((kind, v),) = where.items()
    if kind == "A_Const":
        return (v.get("boolval") or {}).get("boolval") is True
    if kind == "TypeCast":
        names = [
            n.get("String", {}).get("sval") for n in (v.get("typeName") or {}).get("names", [])
        ]
        text = ((v.get("arg") or {}).get("A_Const") or {}).get("sval", {}).get("sval")
        return bool(names) and names[-1] in ("bool", "boolean") and str(text).lower() in _TRUE_TEXT
    if kind == "A_Expr" and v.get("kind") == "AEXPR_OP":
        op = [n.get("String", {}).get("sval") for n in v.get("name") or []]
        return op[-1:] in (["="], [">="], ["<="]) and _bare(v.get("lexpr")) == _bare(v.get("rexpr"))
    if kind == "BoolExpr":
        args = v.get("args") or []
        if v.get("boolop") == "NOT_EXPR":
            return _always_false(args[0] if args else None)
        if v.get("boolop") == "OR_EXPR":
            tests = _null_tests(args)
            if any(("IS_NULL", e) in tests for kind_, e in tests if kind_ == "IS_NOT_NULL"):
                return True  # a IS NULL OR a IS NOT NULL
            return any(always_true(a) for a in args)
        if v.get("boolop") == "AND_EXPR":
            return all(always_true(a) for a in args)
    return False


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_OBJECT_KIND = {  # ObjectType of ALTER ... / RENAME / OWNER / SET SCHEMA -> kind
    "OBJECT_TABLE": "alter_table",
    "OBJECT_COLUMN": "alter_table",
    "OBJECT_TABCONSTRAINT": "alter_table",
    "OBJECT_INDEX": "alter_index",
    "OBJECT_SEQUENCE": "alter_sequence",
    "OBJECT_VIEW": "alter_view",
    "OBJECT_MATVIEW": "alter_materialized_view",
    "OBJECT_FOREIGN_TABLE": "alter_foreign_table",
    "OBJECT_TYPE": "alter_type",
    "OBJECT_ATTRIBUTE": "alter_type",
}
_SIMPLE_KIND = {
    "CreateStmt": "create_table",
    "CreateTableAsStmt": "create_table",
    "IndexStmt": "create_index",
    "ViewStmt": "create_view",
    "CreateEnumStmt": "create_type",
    "CompositeTypeStmt": "create_type",
    "CreateRangeStmt": "create_type",
    "CreateSeqStmt": "create_sequence",
    "CreateSchemaStmt": "create_schema",
    "CreateExtensionStmt": "create_extension",
    "CreateFunctionStmt": "create_function",
    "CreateTrigStmt": "create_trigger",
    "CreateForeignTableStmt": "create_foreign_table",
    "CreateFdwStmt": "create_foreign_data_wrapper",
    "AlterFdwStmt": "alter_foreign_data_wrapper",
    "CreateForeignServerStmt": "create_server",
    "AlterForeignServerStmt": "alter_server",
    "AlterTSConfigurationStmt": "alter_text_search_configuration",
    "AlterTSDictionaryStmt": "alter_text_search_dictionary",
    "DropStmt": "drop",
    "InsertStmt": "insert",
    "UpdateStmt": "update",
    "DeleteStmt": "delete",
    "MergeStmt": "merge",
    "SelectStmt": "select",
    "TruncateStmt": "truncate",
    "CommentStmt": "comment",
    "CopyStmt": "copy",
    "ClusterStmt": "cluster",
    "LockStmt": "lock",
    "ReindexStmt": "reindex",
    "RefreshMatViewStmt": "refresh_materialized_view",
    "DoStmt": "do",
    "CallStmt": "call",
    "AlterSeqStmt": "alter_sequence",
    "AlterEnumStmt": "alter_type",
    "AlterFunctionStmt": "alter_function",
    "ExplainStmt": "explain",
    "SecLabelStmt": "security_label",
    "ImportForeignSchemaStmt": "import",
    "LoadStmt": "load",
    "RuleStmt": "create_rule",
    "CreateStatsStmt": "create_statistics",
    "CreateEventTrigStmt": "create_event_trigger",
}
_TRANSACTION = {
    "TRANS_STMT_BEGIN": "begin",
    "TRANS_STMT_START": "begin",
    "TRANS_STMT_COMMIT": "commit",
    "TRANS_STMT_ROLLBACK": "rollback",
    "TRANS_STMT_SAVEPOINT": "savepoint",
    "TRANS_STMT_RELEASE": "savepoint",
    "TRANS_STMT_ROLLBACK_TO": "savepoint",
    "TRANS_STMT_PREPARE": "prepare_transaction",
    "TRANS_STMT_COMMIT_PREPARED": "prepare_transaction",
    "TRANS_STMT_ROLLBACK_PREPARED": "prepare_transaction",
}
_DEFINE = {
    "OBJECT_TYPE": "create_type",
    "OBJECT_AGGREGATE": "create_aggregate",
    "OBJECT_OPERATOR": "create_operator",
    "OBJECT_COLLATION": "create_collation",
}


def _kind_of(node: str, tree: Tree) -> str:
    """The statement kind the rules and the allow-list speak of, from the parse node."""
    simple = _SIMPLE_KIND.get(node)
    if simple == "create_table" and node == "CreateTableAsStmt":
        return "create_view" if tree.get("objtype") == "OBJECT_MATVIEW" else "create_table"
    if simple == "alter_type" and node == "AlterEnumStmt":
        return "alter_type_add_value" if tree.get("newVal") and not tree.get("oldVal") else simple
    if simple:
        return simple
    if node == "AlterTableStmt":
        kind = _OBJECT_KIND.get(str(tree.get("objtype")), "alter_table")
        subtypes = {c.get("subtype") for _, c in _commands(tree)}
        if kind == "alter_table" and subtypes == {"AT_ValidateConstraint"}:
            return "validate_constraint"
        if kind == "alter_table" and subtypes and all(_uses_index(c) for _, c in _commands(tree)):
            return "add_constraint_using_index"
        return kind
    if node in ("RenameStmt", "AlterOwnerStmt", "AlterObjectSchemaStmt", "AlterObjectDependsStmt"):
        obj = tree.get("renameType") or tree.get("objectType")
        if obj in ("OBJECT_COLUMN", "OBJECT_TABCONSTRAINT"):
            obj = tree.get("relationType") or "OBJECT_TABLE"
        return _OBJECT_KIND.get(str(obj), "alter_" + str(obj).removeprefix("OBJECT_").lower())
    if node.startswith("Drop"):  # DROP OWNED / ROLE / DATABASE / SUBSCRIPTION / ...
        return "drop"
    if node == "TransactionStmt":
        return _TRANSACTION.get(str(tree.get("kind")), "transaction")
    if node == "VariableSetStmt":
        return "reset" if str(tree.get("kind", "")).startswith("VAR_RESET") else "set"
    if node in ("GrantStmt", "GrantRoleStmt"):
        return "grant" if tree.get("is_grant") else "revoke"
    if node == "VacuumStmt":
        return "vacuum" if tree.get("is_vacuumcmd") else "analyze"
    if node == "DefineStmt":
        return _DEFINE.get(str(tree.get("kind")), "create_text_search")
    if node.endswith("Stmt"):
        return _snake(node.removesuffix("Stmt"))
    return _snake(node)


def _commands(tree: Tree) -> Iterator[tuple[str, Tree]]:
    for cmd in tree.get("cmds") or ():
        if "AlterTableCmd" in cmd:
            yield "AlterTableCmd", cmd["AlterTableCmd"]


def _uses_index(cmd: Tree) -> bool:
    if cmd.get("subtype") == "AT_AddIndexConstraint":
        return True
    con = (cmd.get("def") or {}).get("Constraint") or {}
    return cmd.get("subtype") == "AT_AddConstraint" and bool(con.get("indexname"))


def _concurrently(node: str, tree: Tree) -> bool:
    if node in ("IndexStmt", "DropStmt", "RefreshMatViewStmt"):
        return bool(tree.get("concurrent"))
    if node == "ReindexStmt":
        return any(
            d.get("defname") == "concurrently" for _, d in nodes(tree.get("params"), "DefElem")
        )
    if node == "AlterTableStmt":  # DETACH PARTITION ... CONCURRENTLY
        return any(
            (c.get("def") or {}).get("PartitionCmd", {}).get("concurrent")
            for _, c in _commands(tree)
        )
    return False


def _parse(text: str) -> tuple[list[Tree] | None, str | None, str, int | None]:
    """PostgreSQL's parse trees of ``text``, or why it rejects it and where (a byte offset;
    the end of the text when it ran out of input); and the trees as JSON text."""
    from pglast import parser

    try:
        raw = parser.parse_sql_json(text)
    except parser.ParseError as e:
        index = e.args[1] if len(e.args) > 1 and isinstance(e.args[1], int) else None
        stripped = text.rstrip()
        at = len(stripped[:index].encode()) if index is not None else len(stripped.encode()) - 1
        return None, str(e.args[0] if e.args else e).splitlines()[0][:160], "", max(at, 0)
    return [s["stmt"] for s in json.loads(raw).get("stmts", [])], None, raw, None


# sqlglot, the second opinion, on the statements whose verdict depends on a clause (the WHERE
# of an UPDATE or DELETE, the ON CONFLICT of an INSERT): the class names that agree
_SECOND: dict[str, tuple[str, ...]] = {
    "insert": ("Insert",),
    "update": ("Update",),
    "delete": ("Delete",),
    "merge": ("Merge",),
}


# bulk data: a second parser's reading of megabytes of VALUES costs seconds and can only
# confirm what PostgreSQL's parser already read (the class and the ON CONFLICT clause)
SECOND_OPINION_MAX_BYTES = 256 * 1024


def _permissive(info: StatementInfo) -> bool:
    """Whether PostgreSQL's reading is the one that lets the statement through (an UPDATE or
    DELETE with a WHERE, an INSERT with ON CONFLICT, any MERGE): only then can a second reading
    change a verdict, so only then is it asked for (not for an INSERT of bulk VALUES)."""
    if info.kind == "insert":
        select = (info.tree.get("selectStmt") or {}).get("SelectStmt") or {}
        bulk = bool(select.get("valuesLists")) and len(info.stmt.text) > SECOND_OPINION_MAX_BYTES
        return bool(info.tree.get("onConflictClause")) and not bulk
    if info.kind in ("update", "delete"):
        return bool(info.tree.get("whereClause"))
    return True


_SQLGLOT = threading.local()  # each thread's own tokenizer and parser (they keep state)


def _sqlglot_parse(sql: str) -> Any:
    """sqlglot's reading of ``sql`` as PostgreSQL. The dialect, tokenizer and parser are made
    once per thread: making them per statement was a third of a 25,000-statement file's lint."""
    pair = getattr(_SQLGLOT, "pair", None)
    if pair is None:
        import sqlglot

        logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
        dialect = sqlglot.Dialect.get_or_raise("postgres")
        pair = _SQLGLOT.pair = (dialect.tokenizer(), dialect.parser())
    tokenizer, parser = pair
    return parser.parse(tokenizer.tokenize(sql), sql)[0]  # (each call starts afresh)


def _second_opinion(info: StatementInfo) -> str | None:
    """None when sqlglot agrees with PostgreSQL (or has no model of the statement); otherwise
    what they disagree about."""
    from sqlglot import exp

    try:
        ast = _sqlglot_parse(info.stmt.code)
    except Exception:  # no model of it, or a grammar it lacks: PostgreSQL's reading stands
        return None
    if ast is None or isinstance(ast, exp.Command):
        return None
    got = type(ast).__name__
    if got not in _SECOND[info.kind]:
        return f"PostgreSQL reads {info.node} but the second parser (sqlglot) reads {got}"
    if info.kind in ("update", "delete") and bool(ast.args.get("where")) != bool(
        info.tree.get("whereClause")
    ):
        return "the two parsers disagree about its WHERE clause"
    if info.kind == "insert" and bool(ast.args.get("conflict")) != bool(
        info.tree.get("onConflictClause")
    ):
        return "the two parsers disagree about its ON CONFLICT clause"
    info.ast = ast
    return None


# psql puts its variables in before the server sees a statement: ``:name`` as written,
# ``:'name'`` as a string literal, ``:"name"`` as an identifier (graphile-migrate's ``:NAME``
# placeholders are the first kind). The server's grammar has no such thing, so a statement
# with one is read with each spelled as a name or a value of the same length (``_name``,
# `` 'name'``, `` "name"``: every location stays where it was), and the variables are listed
# for ban-psql-meta-command to report: without psql nothing puts their values in.
_PSQL_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
# a token right before a colon that makes it an array slice's (``a[1:n]``, ``a[:n]``), not
# psql's
_OPERAND = frozenset({"IDENT", "ICONST", "FCONST", "SCONST", "ASCII_91", "ASCII_93", "ASCII_41"})


def _psql_variables(text: str) -> tuple[str, list[tuple[int, str]]] | None:
    """``text`` with its psql variables spelled as SQL of the same length, and each variable
    (byte offset, as written); None when it has none. Strings, comments and routine bodies
    are single tokens of the scanner: a colon in them is never a variable, as in psql."""
    if ":" not in text:
        return None
    from pglast import parser

    try:
        tokens = parser.scan(text)
    except parser.ParseError:
        return None
    data = bytearray(text.encode())
    found: list[tuple[int, str]] = []
    for i, colon in enumerate(tokens[:-1]):
        after = tokens[i + 1]
        if colon.name != "ASCII_58" or after.start != colon.end + 1:
            continue
        before = tokens[i - 1] if i else None
        if (
            before is not None
            and before.end + 1 == colon.start
            and (before.name in _OPERAND or before.kind != "NO_KEYWORD")
        ):
            continue
        word = bytes(data[after.start : after.end + 1])
        quoted = word[:1] in (b"'", b'"') and word[-1:] == word[:1] and len(word) > 2
        if not (_PSQL_NAME.fullmatch(word[1:-1] if quoted else word)):
            continue
        found.append((colon.start, (b":" + word).decode()))
        data[colon.start] = ord(" " if quoted else "_")
    if not found:
        return None
    return data.decode(), found


def classify(stmt: Statement) -> StatementInfo:
    trees, error, raw, error_at = _parse(stmt.text)
    variables: list[tuple[int, str]] = []
    if trees is None and (read := _psql_variables(stmt.text)) is not None:
        spelled, found = read
        again = _parse(spelled)
        if again[0] is not None and len(again[0]) == 1:
            trees, error, raw, error_at = again
            variables = found
            code = stmt.code
            for _, written in found:
                code = re.sub(
                    rf"(?<![:\w]){re.escape(written)}(?![\w'\"])",
                    (" " if written[1] in "'\"" else "_") + written[1:],
                    code,
                )
            stmt = Statement(
                stmt.index, spelled, code, stmt.line, stmt.col, stmt.end_line, stmt.data
            )
    if trees is None or len(trees) != 1:
        info = StatementInfo(stmt, _leading_word(stmt), syntax_error_at=error_at)
        info.why_unparsed = (
            f"PostgreSQL's parser rejects it: {error}"
            if trees is None
            else f"PostgreSQL's parser reads {len(trees)} statements here"
        )
        return info
    ((node, tree),) = trees[0].items()
    info = StatementInfo(stmt, _kind_of(node, tree), node, tree, raw, parsed=True)
    info.psql_variables = [(*(info.at(at) or (stmt.line, stmt.col)), w) for at, w in variables]
    info.concurrently = _concurrently(node, tree)
    info.replace = bool(tree.get("replace"))
    if info.kind == "do":
        _do_block(info)
    elif info.kind == "create_function":
        _function_body(info)
    elif node in ("ExplainStmt", "PrepareStmt", "CopyStmt"):
        _runs_inner(info)
    elif info.kind in _SECOND and _permissive(info):
        why = _second_opinion(info)
        if why:
            info.parsed, info.why_unparsed = False, why
    return info


def _leading_word(stmt: Statement) -> str:
    words = stmt.code.split(None, 1)
    return re.sub(r"\W", "", words[0]).lower() if words else "empty"


# ---------------------------------------------------------------- PL/pgSQL and routine bodies


def _option(tree: Tree, name: str) -> Any:
    for _, d in nodes(tree.get("options") or tree.get("args"), "DefElem"):
        if d.get("defname") == name:
            return d.get("arg")
    return None


def _strings(arg: Any) -> list[str]:
    return [s.get("sval", "") for _, s in nodes(arg, "String")]


def routine_option(tree: Tree, name: str) -> str | None:
    """A CREATE FUNCTION's or DO's option as written (``volatility``: ``"immutable"``,
    ``language``: ``"plpgsql"``); None when it gives none."""
    return next(iter(_strings(_option(tree, name))), None)


def _body_line(info: StatementInfo) -> int:
    text = info.stmt.text
    m = _DOLLAR_BODY.search(text)
    if m is None:  # the quoted string that is the body, not a LANGUAGE 'plpgsql' before it
        body = next(iter(_strings(_option(info.tree, "as"))), None)
        quoted = list(_STRING.finditer(text))
        m = next((q for q in quoted if q.group(0)[1:-1].replace("''", "'") == body), None)
        m = m or (quoted[0] if quoted else None)
    if not m:
        return info.stmt.line
    inner = m.start() + (len(m.group(1) or "") + 2 if m.group(0).startswith("$") else 1)
    return info.stmt.line + info.stmt.text[:inner].count("\n")


_ASSIGN = re.compile(r"^\s*[^:=]+?\s*:?=\s*", re.DOTALL)

# The PL/pgSQL parser PostgreSQL's library ships reads without a catalog: a type it does not
# know (an enum, a domain, an extension's citext, a table's row type) it takes for a record,
# and then refuses what the server accepts, a variable of an enum in a multi-item INTO, an
# array of a composite as a parameter. A routine it refused is read again with each such type
# spelled text: types decide no statement's shape, and the lines stay where they were.
_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_TYPE = re.compile(
    rf"{_NAME}(?:\s*\.\s*{_NAME})*"  # a name, maybe qualified
    r"(?:\s+(?:precision|varying))?"  # double precision, character varying
    r"(?:\s*\([^()]*\))?"  # modifiers: numeric(10, 2)
    r"(?:\s+with(?:out)?\s+time\s+zone)?"
    r"(?:\s*\[\s*\d*\s*\])*",  # array bounds
    re.IGNORECASE,
)
_DECLARATION = re.compile(
    r"\s*(?P<name>\"(?:[^\"]|\"\")+\"|[A-Za-z_][\w$]*)\s+(?:CONSTANT\s+)?(?P<type>[A-Za-z_\"])",
    re.IGNORECASE,
)
_ROWTYPE = re.compile(rf"{_NAME}(?:\s*\.\s*{_NAME})*\s*%\s*rowtype\b", re.IGNORECASE)
_GAP = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)  # (comments between declarations)
_NOT_A_TYPE = {"alias", "cursor", "scroll", "no", "record", "refcursor"}
# pseudo-types, which no variable may have but a routine may return or take: kept as written
_PSEUDO = {"void", "trigger", "event_trigger", "internal", "cstring", "language_handler"}
_SECTION_WORD = re.compile(r"\b(?:DECLARE|BEGIN)\b", re.IGNORECASE)
# strings and comments in a body: blanked before looking for its sections
_QUOTED = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/|(\$\w*\$).*?\1", re.DOTALL)


_RECORD_LIKE: dict[str, bool] = {}  # type as written -> taken for a record


def _taken_for_record(type_text: str) -> bool:
    """Does the catalog-less PL/pgSQL parser take this type for a record?"""
    import pglast
    from pglast.parser import ParseError

    if type_text not in _RECORD_LIKE:
        probe = (
            "CREATE FUNCTION pg_temp.reconciler_probe() RETURNS void LANGUAGE plpgsql AS "
            f"$probe$ DECLARE a {type_text}; b int; BEGIN SELECT 1, 2 INTO a, b; END $probe$"
        )
        try:
            pglast.parse_plpgsql(probe)
            _RECORD_LIKE[type_text] = False
        except ParseError:
            _RECORD_LIKE[type_text] = True
    return _RECORD_LIKE[type_text]


def _type_span(text: str, start: int) -> tuple[int, int] | None:
    """Where the type written at ``start`` begins and ends (after a SETOF); None for one
    written as another's (``users.id%TYPE``), which the parser reads without a catalog."""
    m = _TYPE.match(text, start)
    if m and m.group(0).lower() == "setof":
        m = _TYPE.match(text, _GAP.match(text, m.end()).end())  # type: ignore[union-attr]
    if not m or text[m.end() :].lstrip()[:1] == "%":
        return None
    return m.start(), m.end()


def _as_text(type_text: str, spelled: str = "text") -> str:
    """``type_text`` spelled ``spelled`` (arrays as ``text[]``), padded to its length with
    its newlines kept, when the parser takes it for a record; else as it is."""
    bare = type_text.strip()
    lower = bare.lower().removeprefix("pg_catalog.")
    if (
        not bare
        or "%" in bare
        or lower in _NOT_A_TYPE
        or lower in _PSEUDO
        or lower.startswith("any")
        or not _taken_for_record(bare)
    ):
        return type_text
    base = re.sub(r"(\s*\[\s*\d*\s*\])+$", "", bare)
    if base.lower() == "record":
        return type_text
    arrays = "[]" if base != bare else ""
    spelled = "text" if arrays else spelled  # (an array of rows is read as one of text)
    return (spelled + arrays).ljust(len(type_text)) + "\n" * type_text.count("\n")


def _scalar_types(source: str, info: StatementInfo, spelled: bool = False) -> str | None:
    """``source`` (a CREATE FUNCTION) with every type the catalog-less parser takes for a
    record, other than record itself, spelled text: in the parameters, the result and the
    body's DECLARE sections; a VARIADIC parameter's array spelled anyarray, the one kind it
    takes for such a parameter. None when nothing changed. ``spelled``: the body's :NAME
    placeholders are spelled as names in ``source`` (``_BODY_VARIABLE``)."""
    body = (_strings(_option(info.tree, "as")) or [""])[0]
    if spelled:
        body = _spell_body(body)
    at = source.find(body) if body else -1
    quoted = at < 0 and "'" in body  # an old-style body in '...', its quotes written twice
    if quoted:
        at = source.find(body.replace("'", "''"))
    if at < 0:
        return None
    header, tail = source[:at], source[at + len(body) + quoted * body.count("'") :]
    changed = False
    out: list[str] = []
    spans: list[tuple[int, int, bool]] = []  # (start, end, a VARIADIC parameter)
    encoded = info.stmt.text.encode()
    params = info.tree.get("parameters") if info.node == "CreateFunctionStmt" else None
    # (a VARIADIC parameter: the catalog-less parser takes none but anyarray for an array)
    variadic = [
        p.get("argType")
        for _, p in nodes(params, "FunctionParameter")
        if p.get("mode") == "FUNC_PARAM_VARIADIC"
    ]
    types = [p.get("argType") for _, p in nodes(params, "FunctionParameter")]
    returns = info.tree.get("returnType") if info.node == "CreateFunctionStmt" else None
    loc = (returns or {}).get("location")
    if (
        isinstance(loc, int)
        and not re.match(  # (RETURNS TABLE (...): its columns are above)
            r"table\s*\(", encoded[loc:].decode(errors="replace"), re.IGNORECASE
        )
    ):
        types.append(returns)
    for typ in types:
        loc = (typ or {}).get("location")
        if isinstance(loc, int) and loc >= 0:
            start = len(encoded[:loc].decode(errors="replace"))
            span = _type_span(header, start)
            if span is not None:
                spans.append((*span, any(typ is v for v in variadic)))
    rewritten, last = [], 0
    for start, end, is_variadic in sorted(spans):
        if start < last or end > len(header):
            return None
        old = header[start:end]
        if is_variadic and not old.strip().lower().startswith("any"):
            new = "anyarray" + " " * max(0, len(old) - 8) + "\n" * old.count("\n")
        else:
            new = _as_text(old)
        changed |= new != header[start:end]
        rewritten += [header[last:start], new]
        last = end
    header = "".join(rewritten) + header[last:]
    # the body: each DECLARE section, up to its BEGIN
    last = 0
    plain = _QUOTED.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)  # (same offsets)
    for word in _SECTION_WORD.finditer(plain):
        if word.group(0).lower() != "declare" or word.start() < last:
            continue
        begin = _SECTION_WORD.search(plain, word.end())
        while begin and begin.group(0).lower() != "begin":
            begin = _SECTION_WORD.search(plain, begin.end())
        section_end = begin.start() if begin else len(body)
        out.append(body[last : word.end()])
        pos = word.end()
        while pos < section_end:
            gap = _GAP.match(body, pos)
            decl = _DECLARATION.match(plain, gap.end() if gap else pos)
            semi = plain.find(";", pos)
            if semi < 0 or semi > section_end:
                break
            if decl and decl.end() <= semi:
                at = decl.start("type")
                span = _type_span(body, at)
                start, end = span if span is not None and span[1] <= semi else (semi, semi)
                rowtype = _ROWTYPE.match(body, at)
                name = re.escape(decl.group("name"))
                if rowtype and rowtype.end() <= semi:  # (a row: its fields are assigned)
                    start, end = at, rowtype.end()
                    new = "record".ljust(end - start)
                elif re.search(rf"(?<![\w$.]){name}\s*\.\s*[A-Za-z_]", plain[semi:]):
                    new = _as_text(body[start:end], "record")  # (r.field: a composite)
                else:
                    new = _as_text(body[start:end])
                changed |= new != body[start:end]
                out.append(body[pos:start] + new + body[end : semi + 1])
            else:
                out.append(body[pos : semi + 1])
            pos = semi + 1
        last = pos
    out.append(body[last:])
    rewritten_body = "".join(out)
    if quoted:
        rewritten_body = rewritten_body.replace("'", "''")
    return header + rewritten_body + tail if changed else None


# a psql-style variable in a routine's body: psql leaves a dollar-quoted body alone, but the
# tools that replace :NAME placeholders as text (graphile-migrate, graphile-worker) do not
# (never ``:=``; where one may stand: PSQL_VARIABLE_AFTER)
_BODY_VARIABLE = re.compile(rf"{PSQL_VARIABLE_AFTER}:([A-Za-z_][A-Za-z0-9_]*)\b")


def _spell_body(text: str) -> str:
    """``text`` with each :NAME placeholder spelled _NAME (same length: lines stay)."""
    return _BODY_VARIABLE.sub(lambda m: "_" + m.group(1), text) if ":" in text else text


def _body_variables(info: StatementInfo) -> None:
    """List the :NAME placeholders in the body of the routine or DO block ``info`` was read
    past, where the file has them."""
    text = info.stmt.text
    body = _DOLLAR_BODY.search(text) or _STRING.search(text)
    start = body.start() if body else 0
    seen = {(line, col) for line, col, _ in info.psql_variables}
    for m in _BODY_VARIABLE.finditer(text, start):
        at = info.at(len(text[: m.start()].encode()))
        if at is not None and at not in seen:
            info.psql_variables.append((*at, m.group(0)))


def _plpgsql(source: str, info: StatementInfo) -> tuple[list[tuple[str, int]], list[int]] | None:
    """(SQL statements with their body lines, lines of dynamic EXECUTEs) of a PL/pgSQL routine;
    None when PostgreSQL's PL/pgSQL parser rejects it (``why_unparsed`` then says why)."""
    import pglast
    from pglast.parser import ParseError

    try:
        tree = pglast.parse_plpgsql(source)
    except ParseError as e:
        tree = None
        # read again past a text-replacing tool's :NAME placeholders in the body, then past the
        # application's own types
        spelled = _spell_body(source)
        attempts = [_scalar_types(source, info)]
        if spelled != source:
            attempts = [spelled, _scalar_types(spelled, info, spelled=True), *attempts]
        for attempt in attempts:
            if tree is None and attempt is not None:
                with contextlib.suppress(ParseError):
                    tree = pglast.parse_plpgsql(attempt)
        if tree is not None and spelled != source:
            _body_variables(info)
        if tree is None:
            info.why_unparsed = f"PostgreSQL's PL/pgSQL parser rejects the body: {str(e)[:120]}"
            return None
    queries: list[tuple[str, int]] = []
    dynamic: list[int] = []
    calls: list[tuple[str, int]] = []

    def walk(item: Any, line: int) -> None:
        if isinstance(item, list):
            for x in item:
                walk(x, line)
            return
        if not isinstance(item, dict):
            return
        line = int(item.get("lineno") or line)
        for key, value in item.items():
            if key in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"):
                at = int(value.get("lineno") or line)
                constant = _constant_sql(value.get("query"))
                if constant is None:
                    dynamic.append(at)  # built at run time: nothing to read here
                else:
                    queries.append((constant, at))  # EXECUTE 'ALTER TABLE ...': plain SQL
            if key == "PLpgSQL_stmt_open" and value.get("dynquery"):
                dynamic.append(int(value.get("lineno") or line))
            if key in ("PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"):
                word = key.rsplit("_", 1)[1]
                at = int((value or {}).get("lineno") or line)
                info.inner.append((f"transaction:{word}", info.body_line + at - 1))
            if key == "PLpgSQL_expr" and isinstance(value, dict):
                query = str(value.get("query") or "")
                if value.get("parseMode") == 0 and query:
                    queries.append((query, line))
                elif query:  # an expression or an assignment: only the functions it calls
                    calls.append(
                        (
                            _ASSIGN.sub("", query, count=1)
                            if value.get("parseMode", 2) > 2
                            else query,
                            line,
                        )
                    )
                continue
            walk(value, line)

    walk(tree, 1)
    for expr, line in calls:
        trees, _, _, _ = _parse(f"SELECT {expr}")
        if trees is None:
            if info.kind != "do":
                continue  # a routine's body runs later: its summary is best effort
            info.why_unparsed = f"an expression in the body (body line {line}) cannot be read"
            return None
        for name in called_functions(trees):
            info.inner.append((f"call:{name}", info.body_line + line - 1))
    return queries, dynamic


# what stands for a name or a value that an EXECUTE's string gets at run time: a quoted
# identifier and a string literal are each one token wherever they appear, as quote_ident()'s
# and quote_literal()'s output is; objects so named are never taken for ones the file made
DYNAMIC_NAME = "%I"
_DYNAMIC_IDENT = '"%I"'
_DYNAMIC_VALUE = "'%L'"
_FORMAT_SPEC = re.compile(r"%(?:(\d+)\$)?(?:-?(?:\d+|\*(?:\d+\$)?))?(.?)")
_QUOTES = {
    "quote_ident": _DYNAMIC_IDENT,
    "quote_literal": _DYNAMIC_VALUE,
    "quote_nullable": _DYNAMIC_VALUE,
}


def _constant_sql(expr: Any) -> str | None:
    """The SQL of ``EXECUTE 'ALTER TABLE ...'`` when the query is one string constant (in any
    quoting PostgreSQL accepts, read by its parser), or built from constants and quoted values
    only (placeholders standing for those); else None: the SQL is built at run time."""
    query = ((expr or {}).get("PLpgSQL_expr") or {}).get("query")
    if not query:
        return None
    trees, _, _, _ = _parse(f"SELECT {query}")
    if not trees or len(trees) != 1:
        return None
    select = trees[0].get("SelectStmt") or {}
    targets = select.get("targetList") or []
    if len(targets) != 1 or set(select) - {"targetList", "limitOption", "op"}:
        return None
    text = _template((targets[0].get("ResTarget") or {}).get("val") or {})
    return text if text and text.strip() else None


def _template(value: Tree) -> str | None:
    """The text an expression evaluates to, names and values quoted at run time as
    placeholders; None when any part of it could be other SQL text."""
    if set(value) == {"A_Const"}:
        text = (value["A_Const"].get("sval") or {}).get("sval")
        return text if isinstance(text, str) else None
    if "TypeCast" in value:  # 'ALTER ...'::text
        cast = value["TypeCast"]
        names = [
            n.get("String", {}).get("sval") for n in (cast.get("typeName") or {}).get("names", [])
        ]
        return _template(cast.get("arg") or {}) if names[-1:] in (["text"], ["varchar"]) else None
    if "A_Expr" in value:
        e = value["A_Expr"]
        op = [n.get("String", {}).get("sval") for n in e.get("name") or []]
        if e.get("kind") != "AEXPR_OP" or op != ["||"]:
            return None
        left, right = _template(e.get("lexpr") or {}), _template(e.get("rexpr") or {})
        return None if left is None or right is None else left + right
    if "FuncCall" in value:
        call = value["FuncCall"]
        name = (function_name(call) or [""])[-1].lower()
        args = call.get("args") or []
        if name in _QUOTES and len(args) == 1:
            return _QUOTES[name]
        if name == "format" and args and not call.get("agg_star"):
            fmt = _template(args[0])
            return None if fmt is None else _format(fmt, args[1:])
    return None


def _constant(value: Tree) -> str | None:
    """The text of a string or integer constant, else None."""
    const = value.get("A_Const") if set(value) == {"A_Const"} else None
    if not const:
        return None
    if "sval" in const:
        return str((const["sval"] or {}).get("sval", ""))
    if "ival" in const:
        return str((const["ival"] or {}).get("ival", 0))
    return None


def _format(fmt: str, args: list[Tree]) -> str | None:
    """format()'s output: a constant argument as it is written in (quoted for %I and %L), any
    other as a placeholder for %I and %L; a %s of anything but constant text and quoted
    values (quote_ident(), quote_literal()) could be any SQL: None."""
    out: list[str] = []
    at = 0
    following = 0  # the argument a specifier without a position takes
    for m in _FORMAT_SPEC.finditer(fmt):
        out.append(fmt[at : m.start()])
        at = m.end()
        spec = m.group(2)
        if spec == "%" and m.group(0) == "%%":
            out.append("%")
            continue
        if spec not in ("I", "L", "s") or "*" in m.group(0):
            return None
        index = int(m.group(1)) - 1 if m.group(1) else following
        following = index + 1
        arg = args[index] if 0 <= index < len(args) else None
        if arg is None:
            return None  # format() itself fails: too few arguments
        text = _constant(arg)
        if spec == "I":
            out.append(_DYNAMIC_IDENT if text is None else '"' + text.replace('"', '""') + '"')
        elif spec == "L":
            out.append(_DYNAMIC_VALUE if text is None else "'" + text.replace("'", "''") + "'")
        else:
            text = text if text is not None else _template(arg)
            if text is None:
                return None
            out.append(text)
    out.append(fmt[at:])
    return "".join(out)


def function_name(call: Tree) -> list[str]:
    """The parts of a FuncCall's name, schema first (``pg_catalog.f`` is ``["pg_catalog", "f"]``)."""
    return [n["String"].get("sval", "") for n in call.get("funcname") or () if "String" in n]


def called_functions(tree: Any) -> list[str]:
    """The functions a tree calls, by name, with their schema unless it is pg_catalog
    (``pg_catalog.f`` is ``f``, ``app.f`` is ``app.f``)."""
    out = []
    for _, f in nodes(tree, "FuncCall"):
        names = [n.lower() for n in function_name(f)] or [""]
        out.append(".".join(names[-2:]) if names[-2:-1] not in ([], ["pg_catalog"]) else names[-1])
    return out


def _children(info: StatementInfo, queries: list[tuple[str, int]]) -> list[StatementInfo]:
    from reconciler.sql.split import split_sql

    out = []
    own_lines = info.stmt.text.split("\n")
    for query, lineno in queries:
        at = info.body_line + lineno - 1
        for child in split_sql(query).statements:
            line = at + child.line - 1
            col = child.col if child.line > 1 else 1
            if child.line == 1 and 0 <= line - info.stmt.line < len(own_lines):
                # PL/pgSQL gives lines only: find the statement's text on its line
                first = child.text.split("\n")[0][:40]
                written = own_lines[line - info.stmt.line]
                found = written.find(first)
                if found < 0:  # (in a body quoted '...', its quotes are written twice)
                    found = written.find(first.replace("'", "''"))
                if found >= 0:
                    col = found + 1 + (info.stmt.col - 1 if line == info.stmt.line else 0)
            moved = Statement(
                child.index, child.text, child.code, line, col, at + child.end_line - 1
            )
            child_info = classify(moved)
            child_info.inside = info.kind
            out.append(child_info)
    return out


def _do_block(info: StatementInfo) -> None:
    language = _strings(_option(info.tree, "language"))
    if language and language[0].lower() != "plpgsql":
        info.parsed = False
        info.why_unparsed = f"a DO block in {language[0]} is opaque to static analysis"
        return
    body = (_strings(_option(info.tree, "as")) or [""])[0]
    info.body_line = _body_line(info)
    tag = "$__reconciler_do_body$"
    if tag in body:
        info.parsed, info.why_unparsed = False, "the DO body contains the reader's own quote tag"
        return
    read = _plpgsql(
        f"CREATE FUNCTION pg_temp.reconciler_do() RETURNS void LANGUAGE plpgsql AS {tag}{body}{tag}",
        info,
    )
    if read is None:
        info.parsed = False
        return
    queries, dynamic = read
    info.children = _children(info, queries)
    if dynamic:
        info.parsed = False
        info.why_unparsed = (
            f"EXECUTE of a dynamic string (line {info.body_line + dynamic[0] - 1}) runs SQL that "
            "cannot be known before it runs"
        )


def _runs_inner(info: StatementInfo) -> None:
    """The statement an EXPLAIN ANALYZE runs, a PREPARE names for an EXECUTE, and a
    COPY (query) TO runs: judged by every rule as if written on its own."""
    inner = info.tree.get("query")
    if not isinstance(inner, dict) or len(inner) != 1:
        return
    if info.node == "ExplainStmt":
        analyze = [d for _, d in nodes(info.tree.get("options"), "DefElem")]
        analyze = [d for d in analyze if d.get("defname") == "analyze"]
        value = [s.lower() for s in _strings(analyze[-1].get("arg"))] if analyze else ["off"]
        if value[:1] in (["false"], ["off"], ["0"], ["no"]):
            return  # a plain EXPLAIN only plans the statement
    ((name, sub),) = inner.items()
    child = StatementInfo(info.stmt, _kind_of(name, sub), name, sub, parsed=info.parsed)
    child.inside = info.kind
    info.children.append(child)


def operations(child: StatementInfo) -> list[str]:
    """The destructive operations one statement performs (for summaries of routine bodies)."""
    out: list[str] = []
    if child.kind == "drop":
        table = child.tree.get("removeType") in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE")
        out.append("drop_table" if table else "drop_object")
    for _, cmd in _commands(child.tree):
        if cmd.get("subtype") == "AT_DropColumn":
            out.append("drop_column")
        elif cmd.get("subtype") == "AT_DropConstraint":
            out.append("drop_object")
    found = {n for n, _ in child.find("DeleteStmt", "TruncateStmt")}
    if child.node in ("DeleteStmt", "TruncateStmt"):
        found.add(child.node)
    out += ["delete"] * ("DeleteStmt" in found) + ["truncate"] * ("TruncateStmt" in found)
    updates = [child.tree] if child.node == "UpdateStmt" else []
    updates += [u for _, u in child.find("UpdateStmt")]
    if any(not u.get("whereClause") or always_true(u.get("whereClause")) for u in updates):
        out.append("update_without_where")
    if not child.raw or '"FuncCall"' in child.raw:
        out += [f"call:{name}" for name in called_functions(child.tree)]
    return out


def _function_body(info: StatementInfo) -> None:
    """A new routine is what runs at migration time; its body is summarised, not run."""
    language = [x.lower() for x in _strings(_option(info.tree, "language"))]
    info.body_line = _body_line(info)
    children: list[StatementInfo] = []
    if info.tree.get("sql_body"):  # BEGIN ATOMIC / RETURN: already parsed with the statement
        for name, sub in nodes(
            info.tree.get("sql_body"), "InsertStmt", "UpdateStmt", "DeleteStmt", "SelectStmt"
        ):
            child = StatementInfo(info.stmt, _kind_of(name, sub), name, sub, parsed=True)
            children.append(child)
    elif language == ["plpgsql"]:
        read = _plpgsql(info.stmt.text, info)
        if read is None:
            info.parsed = False
            return
        children = _children(info, read[0])
    elif language == ["sql"]:
        body = (_strings(_option(info.tree, "as")) or [""])[0]
        children = _children(info, [(body, 1)])
    info.body = children
    for child in children:  # (a SQL body's :NAME placeholders, read past statement by statement)
        info.psql_variables += [v for v in child.psql_variables if v not in info.psql_variables]
    temporary = {
        r["relname"]
        for c in children
        for r in _range_vars(c.tree)
        if r.get("relpersistence") == "t"
    }
    for child in children:
        if not child.parsed and language != ["sql"]:
            continue
        info.inner += [(op, child.stmt.line) for op in operations(child)]
        ctes = {c.get("ctename") for _, c in nodes(child.tree, "CommonTableExpr")}
        info.unqualified += [
            (str(r["relname"]), child.stmt.line)
            for r in _range_vars(child.tree)
            if not r.get("schemaname") and r["relname"] not in ctes | temporary
        ]
    info.inner.sort(key=lambda x: (x[1], x[0]))
