"""What earlier migrations established that a later statement's checks depend on: a validated
``CHECK (col IS NOT NULL)`` proves ``col`` holds no NULL, so PostgreSQL 12+ sets NOT NULL on it
without scanning the table; a domain given a CHECK or NOT NULL makes every column added with
it rewrite the table. Read statement by statement within a file, and across the files of a
history (the check added NOT VALID in one migration and validated in the next, the SET NOT
NULL in a third, as the rules advise). Pure: parse trees and sources in, facts out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (the parser is loaded only when a statement must be read)
    from reconciler.sql.classify import StatementInfo
    from reconciler.sql.migration import MigrationSource

__all__ = ["DOMAIN", "NotNullProofs", "ProvenColumns", "history_proofs", "proven_columns"]

# (the table's name_key, the constraint's name, a column it proves non-null), and
# (DOMAIN, the domain's name_key, "constrained") for a domain with a CHECK or NOT NULL
ProvenColumns = frozenset[tuple[str, str, str]]
DOMAIN = "<domain>"  # (no table is named so)


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
            else:
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
    validate or drop such a check are parsed."""
    from reconciler.sql.classify import classify

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
            if not _ALTER.search(text):
                continue
            low = text.lower()
            if (
                not _CHECK_NOT_NULL.search(text)
                and "domain" not in low
                and not any(n in low for n in names)
            ):
                continue
            state.see(classify(stmt))
            names = state.names()
    return out
