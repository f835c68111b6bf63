"""What a rule is, what it sees, and helpers for reading PostgreSQL's parse trees."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from reconciler.sql.classify import DYNAMIC_NAME, StatementInfo, function_name, nodes
from reconciler.sql.migration import MigrationSource

__all__ = [
    "FileContext",
    "Hit",
    "Rule",
    "StatementContext",
    "alter_commands",
    "alter_target",
    "column_defs",
    "command_at",
    "constraint_types",
    "created_object",
    "created_table",
    "definer_clause",
    "dotted_name",
    "dropped_objects",
    "drops_only_new",
    "hit_at",
    "index_target",
    "locks_held",
    "made_here",
    "name_key",
    "new_sequence",
    "nodes",
    "object_name",
    "option_text",
    "proven_not_null",
    "relation",
    "retype_keeps_rows",
    "rewritten",
    "same_table",
    "spelled",
    "type_name",
    "with_word_after",
]

Severity = Literal["error", "warning"]
Tree = dict[str, Any]


@dataclass(frozen=True)
class Hit:
    message: str
    help: str
    line: int | None = None  # default: the statement's line
    col: int | None = None
    # an error no ignore, policy override or emergency can relax: what it reports would break
    # the apply's own guarantees (a file half-applied, history that lies), not only the database
    fixed: bool = False


@dataclass
class FileContext:
    source: MigrationSource
    filename: str
    safe_suffix: bool
    strict: bool
    require_safe_suffix: bool
    require_rollback_section: bool
    infos: list[StatementInfo] = field(default_factory=list)
    timeouts: dict[str, int | None] = field(default_factory=dict)  # the policy's, in ms
    # (table, constraint, column) that earlier migrations of the history proved NOT NULL
    proven_before: frozenset[tuple[str, str, str]] = frozenset()
    made: _MadeIndex | None = field(default=None, repr=False, compare=False)  # see made_here
    # what a rule derives once per file from its statements, by the rule's own key
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    # each statement's place in infos (a DO block's statements: the block's), and the places
    # of the statements of each node type: built once per file, on first use, so a rule that
    # looks back for a CREATE TABLE or a trigger does not read the whole file per statement
    # (a 17,000-statement file took 80 s)
    _places: dict[int, int] | None = field(default=None, repr=False, compare=False)
    _by_node: dict[str, list[int]] | None = field(default=None, repr=False, compare=False)

    def _index(self) -> tuple[dict[int, int], dict[str, list[int]]]:
        if self._places is None or self._by_node is None:
            self._places, self._by_node = {}, {}
            for at, top in enumerate(self.infos):
                self._by_node.setdefault(top.node, []).append(at)
                for one in (top, *top.children):
                    self._places.setdefault(id(one), at)
        return self._places, self._by_node

    def place(self, info: StatementInfo) -> int:
        """Where ``info`` (or the DO block holding it) is in ``infos``; past the end if
        nowhere."""
        return self._index()[0].get(id(info), len(self.infos))

    def of_nodes(self, nodes_: tuple[str, ...], before: int) -> list[StatementInfo]:
        """The statements of these node types before place ``before``, in written order."""
        index = self._index()[1]
        found: list[int] = []
        for n in nodes_:
            places = index.get(n, [])
            found += places[: bisect.bisect_left(places, before)]
        return [self.infos[at] for at in (sorted(found) if len(nodes_) > 1 else found)]


@dataclass
class StatementContext:
    info: StatementInfo
    file: FileContext
    new_tables: AbstractSet[str]  # name_key() of the tables created earlier in this file
    # name_key() of every object created earlier in this file, tables included
    new_objects: AbstractSet[str] = frozenset()
    path_changes: int = 0  # SET search_path statements before this one in the file

    def is_new(self, table: str | None) -> bool:
        return table is not None and name_key(table, self.path_changes) in self.new_tables

    def earlier(self, *node: str) -> Iterator[StatementInfo]:
        """The file's statements before this one (before the DO block holding it, for one of
        a DO block's statements), in written order; only those of the ``node`` types, when
        given."""
        here = self.file.place(self.info)
        if node:
            yield from self.file.of_nodes(node, here)
        else:
            yield from self.file.infos[:here]

    def earlier_on(self, node: str, field_: str, table: str | None) -> list[StatementInfo]:
        """The statements of ``node`` before this one whose ``field_`` (a RangeVar: a CREATE
        TABLE's or a trigger's relation, a view's name) is ``table`` (:func:`same_table`), in
        written order; looked up in an index of the file, not by reading it all."""
        if table is None:
            return []
        key = ("earlier_on", node, field_)
        index: dict[str, list[int]] | None = self.file.memo.get(key)
        if index is None:
            index = {}
            for info in self.file.of_nodes((node,), len(self.file.infos)):
                name = relation(info.tree.get(field_))
                if name is not None:
                    index.setdefault(name_key(name), []).append(self.file.place(info))
            self.file.memo[key] = index
        places = index.get(name_key(table), [])
        here = self.file.place(self.info)
        return [self.file.infos[at] for at in places[: bisect.bisect_left(places, here)]]

    def earlier_in_transaction(self) -> Iterator[StatementInfo]:
        """The statements this one's transaction ran before it, a DO block's among them (in a
        no-transaction file each statement is a transaction: only a DO block's own)."""
        alone = self.file.source.no_transaction
        for info in self.file.infos:
            if info is self.info:
                return
            siblings: list[StatementInfo] = []
            for child in info.children:
                if child is self.info:
                    yield from siblings
                    return
                siblings.append(child)
            if not alone:
                yield from siblings
                yield info

    def before(self) -> Iterator[StatementInfo]:
        """Every statement the file runs before this one, in order: a DO block and then its
        statements, and, for one of a DO block's statements, its siblings before it."""
        for info in self.file.infos:
            if info is self.info:
                return
            if any(c is self.info for c in info.children):
                for child in info.children:
                    if child is self.info:
                        return
                    yield child
                return
            yield info
            yield from info.children

    def made_earlier(self, name: str | None) -> bool:
        """This file created the object ``name`` before this statement."""
        return name is not None and name_key(name, self.path_changes) in self.new_objects


@dataclass(frozen=True)
class Rule:
    """One check. ``severity`` applies in strict environments, ``relaxed`` in the others
    (None: the rule is silent there). ``policy.rules`` overrides both."""

    id: str
    severity: Severity
    relaxed: Severity | None
    summary: str
    check: Callable[[StatementContext], Iterable[Hit]] | None = None
    check_file: Callable[[FileContext], Iterable[Hit]] | None = None
    kinds: frozenset[str] | None = None  # statement kinds the check looks at; None: every kind


def relation(rangevar: Tree | None) -> str | None:
    """``schema.name`` (or ``name``) of a RangeVar, as PostgreSQL folds it."""
    if not rangevar or not rangevar.get("relname"):
        return None
    schema = rangevar.get("schemaname")
    return f"{schema}.{rangevar['relname']}" if schema else str(rangevar["relname"])


def name_key(name: str, path_changes: int = 0) -> str:
    """What two names of one object have in common: ``t`` and ``public.t`` are one table
    (``public`` is where an unqualified name is created and found), ``app.t`` is another. Once
    the file has set search_path (``path_changes`` times so far), an unqualified name means
    one object only until the next change: it is not ``public.t``."""
    schema, _, bare = name.rpartition(".")
    if schema == "" and path_changes:
        return f"~{path_changes}:{bare}"
    return bare if schema in ("", "public") else name


def _new_rel(rangevar: Tree | None) -> str | None:
    name = relation(rangevar)
    if name and (rangevar or {}).get("relpersistence") == "t":
        return f"pg_temp.{name.rpartition('.')[2]}"  # not the table a later statement names
    return name


def created_table(info: StatementInfo) -> str | None:
    """The table this statement creates, when it is sure to be a new, empty one: not one
    created IF NOT EXISTS (it may be there already, with its rows and its users)."""
    if info.tree.get("if_not_exists"):
        return None
    if info.node == "CreateStmt":
        return _new_rel(info.tree.get("relation"))
    if info.node == "CreateTableAsStmt":
        return _new_rel((info.tree.get("into") or {}).get("rel"))
    return None


def domain_target(ctx: StatementContext) -> str | None:
    """``schema.name`` of the domain an ALTER DOMAIN changes, unless the same file created it
    earlier (None then, or for any other statement): no column has that type yet."""
    info = ctx.info
    if info.node != "AlterDomainStmt":
        return None
    name = dotted_name(info.tree.get("typeName"))
    return None if ctx.made_earlier(name) else name


def not_null_changes(
    ctx: StatementContext, domain_subtype: str, table_subtype: str
) -> Iterator[tuple[str, str, Tree | None]]:
    """``("domain", name, None)`` or ``("column", name, the ALTER TABLE action)`` for each
    SET/DROP NOT NULL of these subtypes on a domain, or a column of a table, that the file did
    not create."""
    i = ctx.info
    domain = domain_target(ctx)
    if domain is not None:
        if i.tree.get("subtype") == domain_subtype:
            yield "domain", domain, None
        return
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for cmd in alter_commands(i):
        if cmd.get("subtype") == table_subtype:
            yield "column", str(cmd.get("name")), cmd


def dotted_name(names: object) -> str:
    """``schema.name`` from a parse tree's list of name parts."""
    return ".".join(s.get("sval", "") for _, s in nodes(names, "String"))


def created_object(info: StatementInfo) -> str | None:
    """The name (as written) of the object this statement creates, when it is a new one:
    a table, view, sequence, schema, type, domain or function (not one replaced with CREATE
    OR REPLACE, which may have existed before)."""
    t, node = info.tree, info.node
    if t.get("if_not_exists"):
        return None  # (it may be there already)
    if node in ("CreateStmt", "CreateTableAsStmt"):
        return created_table(info)
    if node == "CreateSeqStmt":
        return _new_rel(t.get("sequence"))  # (a temporary one as pg_temp.name)
    if node == "ViewStmt" and not t.get("replace"):
        return _new_rel(t.get("view"))
    if node == "CreateSchemaStmt":
        return t.get("schemaname")
    if node in ("CreateEnumStmt", "CreateRangeStmt"):
        return dotted_name(t.get("typeName")) or None
    if node == "CompositeTypeStmt":
        return relation(t.get("typevar"))
    if node == "CreateDomainStmt":
        return dotted_name(t.get("domainname")) or None
    if node == "DefineStmt" and t.get("kind") == "OBJECT_TYPE":  # (a base type, or its shell)
        return dotted_name(t.get("defnames")) or None
    if node == "CreateFunctionStmt" and not t.get("replace"):
        return dotted_name(t.get("funcname")) or None
    return None


_MADE_BY = {  # DROP's removeType: the statements that make such an object, and its name
    "OBJECT_TABLE": ("CreateStmt", "CreateTableAsStmt"),
    "OBJECT_MATVIEW": ("CreateTableAsStmt",),
    "OBJECT_VIEW": ("ViewStmt",),
    "OBJECT_SEQUENCE": ("CreateSeqStmt",),
    "OBJECT_INDEX": ("IndexStmt",),
    "OBJECT_TYPE": ("CreateEnumStmt", "CreateRangeStmt", "CompositeTypeStmt", "DefineStmt"),
    "OBJECT_DOMAIN": ("CreateDomainStmt",),
    "OBJECT_SCHEMA": ("CreateSchemaStmt",),
}


def _made_name(info: StatementInfo, remove_type: str) -> str | None:
    if info.node not in _MADE_BY.get(remove_type, ()):
        return None
    if info.node == "CreateTableAsStmt":
        made_matview = info.tree.get("objtype") == "OBJECT_MATVIEW"
        if made_matview != (remove_type == "OBJECT_MATVIEW"):
            return None
    if info.node == "IndexStmt":
        t = info.tree
        if t.get("if_not_exists") or not t.get("idxname"):
            return None
        schema = (t.get("relation") or {}).get("schemaname")
        # (its table's schema; an unqualified table's is wherever the search_path found it)
        return f"{schema}.{t['idxname']}" if schema else None
    return created_object(info)


def dropped_objects(info: StatementInfo) -> list[str | None]:
    """The names a DropStmt removes, as written (None for one this cannot name)."""
    out: list[str | None] = []
    for obj in info.tree.get("objects") or []:
        if "TypeName" in obj:
            out.append(dotted_name(obj["TypeName"].get("names")) or None)
        else:
            out.append(object_name(obj))
    return out


@dataclass
class _MadeIndex:
    """What a file made, and when: per DROP kind and name as written, the spans of statement
    positions (made at, gone at) in the order the file runs them (a DO block's statements
    after it). Built once per file, on first use."""

    position: dict[int, int]  # id(StatementInfo) -> its place in that order
    spans: dict[tuple[str, str], list[tuple[int, int | None]]]

    def live(self, kind: str, name: str, info: StatementInfo) -> bool:
        at = self.position.get(id(info))
        return at is not None and any(
            made < at and (gone is None or at <= gone)
            for made, gone in self.spans.get((kind, name), ())
        )


def _made_index(file: FileContext) -> _MadeIndex:
    if file.made is None:
        file.made = _build_made_index(file)
    return file.made


def _build_made_index(file: FileContext) -> _MadeIndex:
    position: dict[int, int] = {}
    spans: dict[tuple[str, str], list[tuple[int, int | None]]] = {}
    open_: dict[tuple[str, str], int] = {}  # (kind, name) -> index of its span in spans

    def make(kind: str, name: str | None, at: int) -> None:
        if name is None or DYNAMIC_NAME in name:  # a name EXECUTE gets at run time: unknown
            return
        spans.setdefault((kind, name), []).append((at, None))
        open_[(kind, name)] = len(spans[(kind, name)]) - 1

    def kill(bare: set[str] | None, at: int) -> None:  # (None: every name)
        for key in [k for k in open_ if bare is None or k[1].rpartition(".")[2] in bare]:
            n = open_.pop(key)
            spans[key][n] = (spans[key][n][0], at)

    flat = [one for info in file.infos for one in (info, *info.children)]
    for at, e in enumerate(flat):
        position[id(e)] = at
        for kind in _MADE_BY:
            make(kind, _made_name(e, kind), at)
        table = created_table(e) if e.node == "CreateStmt" else None
        if e.node == "AlterTableStmt" and ("OBJECT_TABLE", alter_target(e) or "") in open_:
            table = alter_target(e)
        if table is not None:
            for seq in _owned_sequences(e, table):
                make("OBJECT_SEQUENCE", seq, at)
        # after a drop, a rename or a move the name may mean an older object
        if e.node == "DropStmt":
            kill({n.rpartition(".")[2] for n in dropped_objects(e) if n}, at)
        elif e.node == "RenameStmt":
            kill({str(e.tree.get("newname"))}, at)
        elif e.node == "AlterObjectSchemaStmt":
            moved = relation(e.tree.get("relation")) or object_name(e.tree.get("object") or {})
            kill(None if moved is None else {moved.rpartition(".")[2]}, at)
    return _MadeIndex(position, spans)


def drops_only_new(ctx: StatementContext) -> bool:
    """This DROP (without CASCADE) removes only objects this file made before it, that
    nothing has since dropped, renamed or moved, so no row or object older than the
    migration goes. A temporary table is matched by ``pg_temp.name`` only: an unqualified
    name finds it first unless the role's or database's search_path lists pg_temp later
    ("public, pg_temp"), and then it is an older table of the same name. Once the file has
    changed search_path, only schema-qualified names are matched (pg_dump's output sets it
    and qualifies every name)."""
    i = ctx.info
    kind = str(i.tree.get("removeType"))
    if i.node != "DropStmt" or kind not in _MADE_BY or i.tree.get("behavior") == "DROP_CASCADE":
        return False
    names = dropped_objects(i)
    # an index is made in its table's schema, not the first one of the search_path that an
    # unqualified DROP INDEX searches: matched only when the DROP names its schema
    return bool(names) and all(
        n is not None and ("." in n or kind != "OBJECT_INDEX") and made_here(ctx, kind, n)
        for n in names
    )


def truncates_only_new(ctx: StatementContext) -> bool:
    """This TRUNCATE (without CASCADE, which reaches the tables referencing them) empties only
    tables this file made before it: they hold only what the file put there."""
    i = ctx.info
    if i.node != "TruncateStmt" or i.tree.get("behavior") == "DROP_CASCADE":
        return False
    tables = [relation(r) for _, r in nodes(i.tree.get("relations"), "RangeVar")]
    return bool(tables) and all(ctx.is_new(t) for t in tables)


_SERIAL = frozenset(("serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"))


def _regclass_text(text: str) -> str:
    """A sequence name as regclass reads it: quoted parts kept, the others lower-cased."""
    parts = []
    for part in text.split("."):
        part = part.strip()
        quoted = len(part) > 1 and part[0] == part[-1] == '"'
        parts.append(part[1:-1].replace('""', '"') if quoted else part.lower())
    return ".".join(parts)


def _string(node: object) -> str | None:
    """The text of a string constant (through a ::regclass or ::text cast)."""
    while isinstance(node, dict) and "TypeCast" in node:
        node = node["TypeCast"].get("arg")
    if isinstance(node, dict) and "A_Const" in node:
        value = node["A_Const"].get("sval")
        if isinstance(value, dict) and "sval" in value:
            return str(value["sval"])
    return None


def new_sequence(ctx: StatementContext, arg: object) -> bool:
    """setval()'s sequence is one this file made: by CREATE SEQUENCE, or as the serial or
    identity sequence of a table it created (``t_col_seq``, or pg_get_serial_sequence's)."""
    if isinstance(arg, dict) and "FuncCall" in arg:
        call = arg["FuncCall"]
        table = _string((call.get("args") or [None])[0])
        return (
            function_name(call)[-1:] == ["pg_get_serial_sequence"]
            and table is not None
            and made_here(ctx, "OBJECT_TABLE", _regclass_text(table))
        )
    text = _string(arg)
    return text is not None and made_here(ctx, "OBJECT_SEQUENCE", _regclass_text(text))


def made_here(ctx: StatementContext, kind: str, name: str | None) -> bool:
    """The file made the object ``name`` of a DROP's ``kind`` (OBJECT_SEQUENCE, ...) before
    this statement, nothing dropped, renamed or moved it since, and ``name`` is written as it
    was made: ``x`` and ``public.x`` are one object only where the search_path finds public
    first, and after a search_path change an unqualified name is not judged (unlike
    made_earlier, which takes them for one: these answers let a change destroy or reset)."""
    if name is None or ("." not in name and ctx.path_changes):
        return False
    return _made_index(ctx.file).live(kind, name, ctx.info)


def _owned_sequences(info: StatementInfo, table: str) -> list[str]:
    """The serial and identity sequences that this CREATE TABLE, or ALTER TABLE of a table
    the file made, gives its columns: ``t_col_seq`` in the table's schema, or the identity's
    SEQUENCE NAME."""

    def name(column: object, identity: Tree | None) -> str:
        named = [
            dotted_name((o.get("arg") or {}).get("List", {}).get("items"))
            for _, o in nodes((identity or {}).get("options"), "DefElem")
            if o.get("defname") == "sequence_name"
        ]
        schema, _, bare = table.rpartition(".")
        return named[0] if named else f"{schema}{'.' * bool(schema)}{bare}_{column}_seq"

    out = []
    for col in column_defs(info):  # CREATE TABLE's columns, or ALTER TABLE ADD COLUMN's
        identity = next(column_constraints(col, "CONSTR_IDENTITY"), None)
        if type_name(col)[0] in _SERIAL or identity is not None:
            out.append(name(col.get("colname"), identity))
    for cmd in alter_commands(info):
        if cmd.get("subtype") == "AT_AddIdentity":
            out.append(name(cmd.get("name"), (cmd.get("def") or {}).get("Constraint")))
    return out


def definer_clause(info: StatementInfo) -> tuple[Tree, list[Tree]] | None:
    """(the SECURITY DEFINER clause, every option of the routine) of a CREATE or ALTER
    FUNCTION|PROCEDURE|ROUTINE that makes the routine a definer; None otherwise."""
    if info.node == "CreateFunctionStmt":
        key = "options"
    elif info.node == "AlterFunctionStmt":
        key = "actions"
    else:
        return None
    options = [o for _, o in nodes(info.tree.get(key), "DefElem")]
    for o in options:
        if o.get("defname") == "security" and ((o.get("arg") or {}).get("Boolean") or {}).get(
            "boolval"
        ):
            return o, options
    return None


def object_name(obj: dict[str, Any]) -> str | None:
    """The name an object node (a GRANT's, an ALTER ... OWNER's or RENAME's) is written
    with, schema first; a function's without its argument types."""
    if "RangeVar" in obj:
        return relation(obj["RangeVar"])
    if "ObjectWithArgs" in obj:
        obj = {"List": {"items": obj["ObjectWithArgs"].get("objname") or []}}
    if "String" in obj:
        return str(obj["String"].get("sval", "")) or None
    items = (obj.get("List") or {}).get("items") or []
    return ".".join(str((i.get("String") or {}).get("sval", "")) for i in items) or None


def same_table(a: str | None, b: str | None) -> bool:
    """The same table, one side maybe schema-qualified (``public.t`` and ``t``, not
    ``app.t`` and ``t``)."""
    return a is not None and b is not None and name_key(a) == name_key(b)


def proven_not_null(ctx: StatementContext) -> set[str]:
    """Columns this SET NOT NULL changes that a CHECK added and validated earlier (in this
    file, or in an earlier migration of the history) proves NOT NULL, so it skips the scan."""
    from reconciler.sql.proofs import NotNullProofs

    table = alter_target(ctx.info)
    proofs = NotNullProofs(ctx.file.proven_before)
    for earlier in ctx.file.infos:
        if earlier is ctx.info:
            break
        proofs.see(earlier)
    known = proofs.columns(name_key(table)) if table else set()
    return {
        str(cmd.get("name"))
        for cmd in alter_commands(ctx.info)
        if cmd.get("subtype") == "AT_SetNotNull" and str(cmd.get("name")) in known
    }


def retype_keeps_rows(ctx: StatementContext, cmd: Tree) -> bool:
    """This ALTER COLUMN ... TYPE leaves every row and index as it is (a longer varchar, text,
    more numeric digits: reconciler.sql.proofs.keeps_rows), judged from the column's type as
    the history's earlier migrations made it; never with USING or COLLATE, nor for a column
    this file touched before."""
    from reconciler.sql.proofs import TYPE, keeps_rows, type_text

    coldef = (cmd.get("def") or {}).get("ColumnDef") or {}
    table, column = alter_target(ctx.info), str(cmd.get("name"))
    if table is None or coldef.get("raw_default") or coldef.get("collClause"):
        return False

    def named(e: StatementInfo) -> set[Any]:
        return {c.get("name") for c in alter_commands(e) if c is not cmd} | {
            ((c.get("def") or {}).get("ColumnDef") or {}).get("colname")
            for c in alter_commands(e)
            if c is not cmd
        }

    earlier = [one for e in ctx.earlier() for one in (e, *e.children)]
    for e in [*earlier, ctx.info]:
        if same_table(alter_target(e), table) and (e.node == "RenameStmt" or column in named(e)):
            return False  # (its type here is not the history's)
    key = f"{name_key(table, ctx.path_changes)}|{column}"
    old = next((t for kind, k, t in ctx.file.proven_before if kind == TYPE and k == key), None)
    new = type_text(coldef.get("typeName"))
    return old is not None and new is not None and keeps_rows(old, new)


def alter_target(info: StatementInfo) -> str | None:
    """The table an ALTER TABLE (or a RENAME / SET SCHEMA of a table's parts) changes."""
    return relation(info.tree.get("relation")) if info.kind == "alter_table" else None


# ALTER TABLE actions that take at most SHARE UPDATE EXCLUSIVE (writes go on); every other
# action blocks writes until the transaction ends, and all but a foreign key's blocks reads too
WRITES_GO_ON = frozenset(
    {
        "AT_ValidateConstraint",
        "AT_SetStatistics",
        "AT_SetOptions",
        "AT_ResetOptions",
        "AT_SetRelOptions",  # fillfactor, autovacuum and planner parameters
        "AT_ResetRelOptions",
        "AT_ClusterOn",
        "AT_DropCluster",
        "AT_AttachPartition",
        "AT_DetachPartitionFinalize",
    }
)
_RENAMED_TABLE = ("OBJECT_TABLE", "OBJECT_COLUMN", "OBJECT_TABCONSTRAINT", "OBJECT_VIEW")
_SHARE = 5  # LOCK TABLE's modes: SHARE and above block writes, ACCESS EXCLUSIVE (8) reads too


def locks_held(info: StatementInfo) -> list[tuple[str, bool]]:
    """(table, whether reads stop too) for each table this statement locks against writes
    until its transaction ends."""
    t, node = info.tree, info.node
    if node == "AlterTableStmt" and t.get("objtype") in ("OBJECT_TABLE", "OBJECT_MATVIEW"):
        table = relation(t.get("relation"))
        blocking = [c for c in alter_commands(info) if c.get("subtype") not in WRITES_GO_ON]
        if table is None or not blocking:
            return []
        keys = [
            (c.get("def") or {}).get("Constraint") or {}
            for c in blocking
            if c.get("subtype") == "AT_AddConstraint"
        ]
        fks = [k for k in keys if k.get("contype") == "CONSTR_FOREIGN"]
        out = [(table, len(fks) < len(blocking))]
        out.extend((ref, False) for k in fks if (ref := relation(k.get("pktable"))))
        return out
    if node == "IndexStmt" and not info.concurrently:
        return [(table, False) for table in [relation(t.get("relation"))] if table]
    if node == "LockStmt" and int(t.get("mode") or 0) >= _SHARE:
        reads = int(t.get("mode") or 0) == 8
        return [(n, reads) for _, r in nodes(t.get("relations"), "RangeVar") if (n := relation(r))]
    if node == "TruncateStmt":
        return [(n, True) for _, r in nodes(t.get("relations"), "RangeVar") if (n := relation(r))]
    if node in ("CreateTrigStmt", "RefreshMatViewStmt", "CreatePolicyStmt", "AlterPolicyStmt"):
        table = relation(t.get("relation") or t.get("table"))
        reads = node != "CreateTrigStmt" and not t.get("concurrent")
        return [(table, reads)] if table and (reads or node == "CreateTrigStmt") else []
    if node == "RenameStmt" and t.get("renameType") in _RENAMED_TABLE:
        return [(n, True) for n in [relation(t.get("relation"))] if n]
    return []


def index_target(info: StatementInfo) -> str | None:
    return relation(info.tree.get("relation")) if info.node == "IndexStmt" else None


def alter_commands(info: StatementInfo) -> list[Tree]:
    """The actions (AlterTableCmd) of an ALTER TABLE, in order."""
    if info.node != "AlterTableStmt":
        return []
    return [c["AlterTableCmd"] for c in info.tree.get("cmds") or () if "AlterTableCmd" in c]


def column_defs(info: StatementInfo) -> list[Tree]:
    """ColumnDef nodes of CREATE TABLE (...) and of ALTER TABLE ... ADD [COLUMN]."""
    if info.node == "CreateStmt":
        return [e["ColumnDef"] for e in info.tree.get("tableElts") or () if "ColumnDef" in e]
    return [
        c["def"]["ColumnDef"]
        for c in alter_commands(info)
        if c.get("subtype") == "AT_AddColumn" and "ColumnDef" in (c.get("def") or {})
    ]


def constraint_types(coldef: Tree) -> set[str]:
    """CONSTR_NOTNULL, CONSTR_DEFAULT, ... of a column definition."""
    return {
        str(c["Constraint"].get("contype"))
        for c in coldef.get("constraints") or ()
        if "Constraint" in c
    }


def column_constraints(coldef: Tree, contype: str) -> Iterator[Tree]:
    for c in coldef.get("constraints") or ():
        if c.get("Constraint", {}).get("contype") == contype:
            yield c["Constraint"]


def type_name(coldef: Tree) -> tuple[str, bool]:
    """(the type's own name, lower-cased without pg_catalog, whether it has a modifier)."""
    t = coldef.get("typeName") or {}
    names = [s["String"].get("sval", "") for s in t.get("names") or () if "String" in s]
    return (names[-1].lower() if names else ""), bool(t.get("typmods"))


def option_text(arg: Tree | None) -> str:
    """An option's value (a DefElem's ``arg``) as written: a number's digits, a word or
    string, a boolean as true or false; "" for an option given without one."""
    if not arg:
        return ""
    if "Integer" in arg:  # (the parser leaves out an ival of 0)
        return str((arg["Integer"] or {}).get("ival", 0))
    if "String" in arg:
        return str(arg["String"].get("sval", ""))
    if "Boolean" in arg:
        return "true" if arg["Boolean"].get("boolval") else "false"
    if "TypeName" in arg:  # a bare word where a type name may stand (SET (x = off))
        names = arg["TypeName"].get("names") or [{}]
        return str((names[-1].get("String") or {}).get("sval", ""))
    return ""


def hit_at(info: StatementInfo, location: int | None, hit: Hit) -> Hit:
    """The hit placed where PostgreSQL's parser says the clause is (line and column)."""
    where = info.at(location)
    return replace(hit, line=where[0], col=where[1]) if where else hit


def command_at(info: StatementInfo, cmd: Tree, hit: Hit) -> Hit:
    """The hit placed at the start of ``cmd``, one action of a multi-action ALTER TABLE (its
    node carries no location): the action after the table's name, or after the n-th comma
    outside parentheses; the statement's start when the text does not show that many."""
    commands = alter_commands(info)
    index = next((n for n, c in enumerate(commands) if c is cmd), None)
    starts = _command_starts(info)
    if index is None or starts is None or len(starts) != len(commands):
        return hit
    return hit_at(info, starts[index], hit)


def _command_starts(info: StatementInfo) -> list[int] | None:
    from pglast import parser

    name_at = (info.tree.get("relation") or {}).get("location")
    if name_at is None:
        return None
    try:
        tokens = [
            t for t in parser.scan(info.stmt.text) if t.name not in ("C_COMMENT", "SQL_COMMENT")
        ]
    except parser.ParseError:
        return None
    j = next((n for n, t in enumerate(tokens) if t.start == name_at), None)
    if j is None:
        return None
    while j + 2 < len(tokens) and tokens[j + 1].name == "ASCII_46":  # schema.table
        j += 2
    if j + 1 >= len(tokens):
        return None
    starts, depth = [tokens[j + 1].start], 0
    for t in tokens[j + 1 :]:
        if t.name == "ASCII_40":
            depth += 1
        elif t.name == "ASCII_41":
            depth -= 1
        elif t.name == "ASCII_44" and depth == 0:
            starts.append(-1)  # the next token's start
        elif starts[-1] == -1:
            starts[-1] = t.start
    return starts if -1 not in starts else None


def with_word_after(info: StatementInfo, keywords: frozenset[str], word: str) -> str | None:
    """The statement as the user wrote it, with ``word`` after the first of the lexer's
    ``keywords`` tokens (``CONCURRENTLY`` after ``INDEX``): comments, case and layout kept."""
    from pglast import parser

    text = info.stmt.text
    try:
        tokens = parser.scan(text)
    except parser.ParseError:
        return None
    for tok in tokens:
        if tok.name in keywords:
            return f"{text[: tok.end + 1]} {word}{text[tok.end + 1 :]}"
    return None


def rewritten(info: StatementInfo, change: Callable[[Any], Any]) -> str | None:
    """The statement as PostgreSQL's deparser writes it after ``change`` edits its parse tree
    (pglast's AST objects), or the statement ``change`` returns in its place: the exact safe
    form to suggest, quoting included. None when it cannot be written."""
    try:
        from pglast import parser
        from pglast.stream import RawStream

        stmt = parser.parse_sql(info.stmt.text)[0].stmt
        if stmt is None:
            return None
        other = change(stmt)
        return str(RawStream()(other if other is not None else stmt))
    except Exception:  # a suggestion is optional; the finding stands without it
        return None


# statement kinds named after the parser's nodes whose SQL is spelled otherwise
_SPELLED = {
    "check_point": "CHECKPOINT",
    "alter_event_trig": "ALTER EVENT TRIGGER",
    "alter_database_refresh_coll": "ALTER DATABASE REFRESH COLLATION VERSION",
    "alter_extension_contents": "ALTER EXTENSION ADD / DROP",
    "alter_op_family": "ALTER OPERATOR FAMILY",
    "alter_stats": "ALTER STATISTICS",
    "alter_table_move_all": "ALTER TABLE ALL IN TABLESPACE",
    "alter_table_space_options": "ALTER TABLESPACE",
    "close_portal": "CLOSE",
    "constraints_set": "SET CONSTRAINTS",
    "create_am": "CREATE ACCESS METHOD",
    "create_op_class": "CREATE OPERATOR CLASS",
    "create_op_family": "CREATE OPERATOR FAMILY",
    "create_p_lang": "CREATE LANGUAGE",
    "create_table_space": "CREATE TABLESPACE",
    "createdb": "CREATE DATABASE",
    "declare_cursor": "DECLARE",
    "variable_show": "SHOW",
}


def spelled(kind: str) -> str:
    """A statement kind as SQL spells it (create_function: CREATE FUNCTION)."""
    return _SPELLED.get(kind) or kind.replace("_", " ").upper()
