"""What earlier migrations established that a later statement's checks depend on: a validated
``CHECK (col IS NOT NULL)`` proves ``col`` holds no NULL, so PostgreSQL 12+ sets NOT NULL on it
without scanning the table; a domain given a CHECK or NOT NULL makes every column added with
it rewrite the table; a column's type tells whether changing it rewrites (a longer varchar
does not). Read statement by statement within a file, and across the files of a history (the
check added NOT VALID in one migration and validated in the next, the SET NOT NULL in a third,
as the rules advise). Pure: parse trees and sources in, facts out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (the parser is loaded only when a statement must be read)
    from reconciler.sql.classify import StatementInfo
    from reconciler.sql.migration import MigrationSource

__all__ = [
    "DOMAIN",
    "TYPE",
    "NotNullProofs",
    "ProvenColumns",
    "history_proofs",
    "history_types",
    "keeps_rows",
    "proven_columns",
    "type_text",
]

# (the table's name_key, the constraint's name, a column it proves non-null),
# (DOMAIN, the domain's name_key, "constrained") for a domain with a CHECK or NOT NULL, and
# (TYPE, "table_key|column", its type) for a column whose type a file changes
ProvenColumns = frozenset[tuple[str, str, str]]
DOMAIN = "<domain>"  # (no table is named so)
TYPE = "<type>"


def proven_columns(expr: Any) -> set[str]:
    """The columns a CHECK expression proves non-null: ``col IS NOT NULL``, or an AND with
    such terms."""
    if not isinstance(expr, dict):
        return set()
    test = expr.get("NullTest")
    if test is not None:
        fields = ((test.get("arg") or {}).get("ColumnRef") or {}).get("fields") or []
        name = (fields[-1].get("String") or {}).get("sval") if fields else None
        return {str(name)} if test.get("nulltesttype") == "IS_NOT_NULL" and name else set()
    both = expr.get("BoolExpr")
    if both is not None and both.get("boolop") == "AND_EXPR":
        return set().union(*(proven_columns(a) for a in both.get("args") or ()))
    return set()


class NotNullProofs:
    """The NOT NULL checks added and validated so far, and the domains constrained so far,
    fed one statement at a time."""

    def __init__(self, before: ProvenColumns = frozenset()) -> None:
        self.valid: dict[tuple[str, str], set[str]] = {}  # (table, constraint) -> columns
        self.domains: set[str] = set()  # name_key of each domain with a CHECK or NOT NULL
        for table, name, column in before:
            if table == DOMAIN:
                self.domains.add(name)
            elif table != TYPE:
                self.valid.setdefault((table, name), set()).add(column)
        self.pending: dict[tuple[str, str], set[str]] = {}  # added NOT VALID, not validated

    def see(self, info: StatementInfo) -> None:
        from reconciler.sql.rules.base import alter_commands, name_key, relation

        if info.node in ("CreateDomainStmt", "AlterDomainStmt", "DropStmt", "RenameStmt"):
            self._domain(info)
            return
        if info.node != "AlterTableStmt":
            return
        table = relation(info.tree.get("relation"))
        if table is None:
            return
        key = name_key(table)
        for cmd in alter_commands(info):
            sub, name = cmd.get("subtype"), str(cmd.get("name"))
            con = (cmd.get("def") or {}).get("Constraint") or {}
            if sub == "AT_AddConstraint" and con.get("contype") == "CONSTR_CHECK":
                columns = proven_columns(con.get("raw_expr"))
                if columns:
                    into = self.pending if con.get("skip_validation") else self.valid
                    into[(key, str(con.get("conname")))] = columns
            elif sub == "AT_ValidateConstraint" and (key, name) in self.pending:
                self.valid[(key, name)] = self.pending.pop((key, name))
            elif sub == "AT_DropConstraint":
                self.pending.pop((key, name), None)
                self.valid.pop((key, name), None)
            elif sub == "AT_DropColumn":  # (its checks go with it)
                for k in [k for k, c in self.valid.items() if k[0] == key and name in c]:
                    del self.valid[k]

    def _domain(self, info: StatementInfo) -> None:
        """A domain given a CHECK or NOT NULL stays constrained until dropped (dropping one of
        its constraints may leave others: it is still taken for constrained)."""
        from reconciler.sql.rules.base import dotted_name, name_key

        t = info.tree
        if info.node == "CreateDomainStmt":
            cons = [(c.get("Constraint") or {}).get("contype") for c in t.get("constraints") or ()]
            if {"CONSTR_CHECK", "CONSTR_NOTNULL"} & set(cons):
                self.domains.add(name_key(dotted_name(t.get("domainname"))))
        elif info.node == "AlterDomainStmt" and t.get("subtype") in ("C", "O"):
            self.domains.add(name_key(dotted_name(t.get("typeName"))))
        elif info.node == "DropStmt" and t.get("removeType") == "OBJECT_DOMAIN":
            for obj in t.get("objects") or ():
                self.domains.discard(
                    name_key(dotted_name((obj.get("TypeName") or {}).get("names")))
                )
        elif info.node == "RenameStmt" and t.get("renameType") == "OBJECT_DOMAIN":
            old = dotted_name(t.get("object", {}).get("List", {}).get("items"))
            if name_key(old) in self.domains:
                self.domains.discard(name_key(old))
                schema = old.rpartition(".")[0]
                self.domains.add(
                    name_key(f"{schema}.{t.get('newname')}" if schema else str(t.get("newname")))
                )

    def constrained_domain(self, name_key: str) -> bool:
        return name_key in self.domains

    def columns(self, table_key: str) -> set[str]:
        """The columns of this table proven non-null now."""
        out: set[str] = set()
        for (t, _), cols in self.valid.items():
            if t == table_key:
                out |= cols
        return out

    def proven(self) -> ProvenColumns:
        facts = {(t, n, c) for (t, n), cols in self.valid.items() for c in cols}
        return frozenset(facts | {(DOMAIN, d, "constrained") for d in self.domains})

    def names(self) -> set[str]:
        """The constraints' and columns' names: what a later statement changing them says."""
        cols = [c for cs in (*self.valid.values(), *self.pending.values()) for c in cs]
        return {n.lower() for n in (*(n for _, n in (*self.valid, *self.pending)), *cols)}


_ALTER = re.compile(r"\bALTER\s+TABLE\b|\b(?:CREATE|ALTER|DROP)\s+DOMAIN\b", re.I)
_CHECK_NOT_NULL = re.compile(r"\bCHECK\b.*\bNOT\s+NULL\b", re.I | re.S)


def history_proofs(sources: Sequence[MigrationSource]) -> list[ProvenColumns]:
    """For each file of a history in order, what the files before it proved (constraints
    added valid, or validated, and not dropped since). Only the statements that can add,
    validate or drop such a check are parsed (the parser is loaded only for one)."""
    state = NotNullProofs()
    out: list[ProvenColumns] = []
    for src in sources:
        out.append(state.proven())
        names = state.names()
        whole = src.text.lower()
        if "check" not in whole and "domain" not in whole and not any(n in whole for n in names):
            continue  # (most files: nothing to read)
        for stmt in src.statements:
            text = stmt.text
            if not _leading(text, "ALTER", "CREATE", "DROP") or not _ALTER.search(text):
                continue
            low = text.lower()
            if (
                not _CHECK_NOT_NULL.search(text)
                and "domain" not in low
                and not any(n in low for n in names)
            ):
                continue
            from reconciler.sql.classify import classify

            state.see(classify(stmt))
            names = state.names()
    return out


# ---- column types: which ALTER COLUMN ... TYPE leaves the rows as they are -----------------

_TYPE_WORD = re.compile(r"\btype\b", re.I)


def _leading(text: str, *words: str) -> bool:
    """The statement starts with one of ``words`` (its text starts at its first keyword)."""
    return text[:6].upper().startswith(words)


def _changes_a_type(text: str) -> bool:
    return (
        _leading(text, "ALTER") and "TABLE" in text[:40].upper() and bool(_TYPE_WORD.search(text))
    )


def _defines_a_table(text: str) -> bool:
    return _leading(text, "CREATE", "ALTER", "DROP") and "TABLE" in text[:60].upper()


def type_text(type_name: Any) -> str | None:
    """A column type as one comparable string (``varchar(255)``, ``numeric(10,2)``, ``text``),
    or None when it cannot be told from the statement (a modifier that is not a number)."""
    if not isinstance(type_name, dict):
        return None
    names = [(n.get("String") or {}).get("sval", "") for n in type_name.get("names") or ()]
    if not names:
        return None
    mods = []
    for m in type_name.get("typmods") or ():
        value = ((m.get("A_Const") or {}).get("ival") or {}).get("ival")
        if "A_Const" not in m or (value is None and (m["A_Const"].get("ival") is None)):
            return None
        mods.append(str(value or 0))
    name = names[-1].lower() if names[:-1] in ([], ["pg_catalog"]) else ".".join(names).lower()
    text = f"{name}({','.join(mods)})" if mods else name
    return text + "[]" * len(type_name.get("arrayBounds") or ())


_PARTS = re.compile(r"^([a-z0-9_.]+)(?:\(([0-9,]*)\))?$")


def keeps_rows(old: str, new: str) -> bool:
    """PostgreSQL changes the column's type without rewriting or checking a row, nor
    rebuilding its indexes: the same type, a longer (or no) length limit on varchar or varbit,
    varchar to text and back without a limit, more digits of numeric at the same scale."""
    if old == new:
        return True
    a, b = _PARTS.match(old), _PARTS.match(new)
    if a is None or b is None:
        return False
    (oname, omods), (nname, nmods) = a.groups(), b.groups()
    if oname in ("varchar", "text") and nname in ("varchar", "text"):
        if nname == "text" or nmods is None:
            return True  # no limit: nothing to check
        return oname == "varchar" and omods is not None and int(nmods) >= int(omods)
    if oname == nname == "varbit":
        return nmods is None or (omods is not None and int(nmods) >= int(omods))
    if oname == nname == "numeric" and omods is not None:
        if nmods is None:
            return True
        (op, _, os_), (np_, _, ns) = omods.partition(","), nmods.partition(",")
        return (os_ or "0") == (ns or "0") and int(np_) >= int(op)
    return False


def _tree(text: str) -> dict[str, Any] | None:
    """(node, fields) of one statement's parse, or None when it does not parse."""
    import json

    from pglast import parser

    try:
        stmts = json.loads(parser.parse_sql_json(text)).get("stmts") or []
    except (parser.ParseError, ValueError):
        return None
    return stmts[0].get("stmt") if len(stmts) == 1 else None


def history_types(sources: Sequence[MigrationSource]) -> list[ProvenColumns]:
    """For each file, the types the files before it gave the columns whose type it changes
    (only those: they are all a later check asks for). Only the statements that change a
    column's type, or create, alter or drop a table that one is in, are parsed."""
    out: list[ProvenColumns] = [frozenset() for _ in sources]
    changes: dict[int, set[tuple[str, str]]] = {}  # file -> (table, column) it retypes
    parsed: dict[tuple[int, int], dict[str, Any] | None] = {}
    trees: dict[str, dict[str, Any] | None] = {}  # (a statement written twice parses once)

    def tree_of(text: str) -> dict[str, Any] | None:
        if text not in trees:
            trees[text] = _tree(text)
        return trees[text]

    for n, src in enumerate(sources):
        for k, stmt in enumerate(src.statements):
            if not _changes_a_type(stmt.text):
                continue
            from reconciler.sql.rules.base import name_key, relation

            tree = parsed[(n, k)] = tree_of(stmt.text)
            alter = (tree or {}).get("AlterTableStmt") or {}
            table = relation(alter.get("relation"))
            for c in alter.get("cmds") or ():
                cmd = c.get("AlterTableCmd") or {}
                if table and cmd.get("subtype") == "AT_AlterColumnType":
                    changes.setdefault(n, set()).add((name_key(table), str(cmd.get("name"))))
    if not changes:
        return out
    from reconciler.sql.rules.base import name_key, relation

    wanted = set().union(*changes.values())
    tables = {t for t, _ in wanted}
    # (lower-cased: they are looked for in lower-cased text, "User" as much as user)
    table_names = {t.rpartition(".")[2].lower() for t in tables}
    columns = {c.lower() for _, c in wanted}
    words = table_names | columns
    state: dict[tuple[str, str], str] = {}

    def column(table: str, coldef: dict[str, Any]) -> None:
        key = (table, str(coldef.get("colname")))
        if key in wanted:
            kind = type_text(coldef.get("typeName"))
            if kind is None:
                state.pop(key, None)
            else:
                state[key] = kind

    for n, src in enumerate(sources):
        if n in changes:
            out[n] = frozenset(
                (TYPE, f"{t}|{c}", state[(t, c)]) for t, c in changes[n] if (t, c) in state
            )
        low = src.text.lower()
        if not any(w in low for w in words):
            continue
        for k, stmt in enumerate(src.statements):
            text = stmt.text
            if not _defines_a_table(text):
                continue
            low = text.lower()
            # an ALTER TABLE matters when it names one of the columns, or renames; a CREATE
            # or DROP TABLE when it names one of the tables
            names = columns if _leading(text, "ALTER") else table_names
            if not any(w in low for w in names) and "rename" not in low:
                continue
            tree = parsed[(n, k)] if (n, k) in parsed else tree_of(text)
            node, t = next(iter((tree or {"": {}}).items()))
            table = relation(t.get("relation")) if isinstance(t, dict) else None
            key = name_key(table) if table else None
            if node == "CreateStmt" and key in tables:
                for e in t.get("tableElts") or ():
                    if "ColumnDef" in e:
                        column(key, e["ColumnDef"])
            elif node == "AlterTableStmt" and key in tables:
                for c in t.get("cmds") or ():
                    cmd = c.get("AlterTableCmd") or {}
                    sub, name = cmd.get("subtype"), str(cmd.get("name"))
                    coldef = (cmd.get("def") or {}).get("ColumnDef") or {}
                    if sub == "AT_AddColumn":
                        column(key, coldef)
                    elif sub == "AT_AlterColumnType":
                        column(key, {**coldef, "colname": name})
                    elif sub == "AT_DropColumn":
                        state.pop((key, name), None)
            elif node == "RenameStmt" or (node == "DropStmt" and key is None):
                # a renamed or dropped table or column: what it held is no longer known
                names = {w for w in words if w in text.lower()}
                for k2 in [k2 for k2 in state if k2[0].rpartition(".")[2] in names]:
                    del state[k2]
    return out
