"""ban-psql-meta-command: a psql meta-command line or variable is no SQL, and the server
cannot run it.

``\\set``, ``\\connect``, ``\\i`` or pg_dump's ``\\restrict`` pair, on a line between
statements, are instructions to psql. The splitter sets such lines aside (the statements
around them are still read and checked); this rule reports each, in every environment:
the file does not do what it says without psql. So is a psql variable in a statement
(``:schema``, ``:'value'``, ``:"name"``, graphile-migrate's ``:DATABASE_OWNER``): the statement
is checked as psql would send it, and the variable reported, unless the environment gives it
a value (``migrations.placeholders`` with ``placeholder_prefix: ":"``).
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import FileContext, Hit, Rule

_DUMP_PAIR = (
    "pg_dump (since 17.6, 16.10, 15.14, 14.19, 13.22) writes \\restrict and \\unrestrict "
    "around a dump for psql; delete both lines"
)
_OTHER_DATABASE = (
    "a migration runs against its environment's database only; move statements for another "
    "database to that database's manifests"
)
_INCLUDE = "write the included file's statements here, or make it a migration of its own"
_HINTS = {
    "restrict": _DUMP_PAIR,
    "unrestrict": _DUMP_PAIR,
    "set": "delete the line: psql's settings and variables mean nothing to the reconciler, "
    "which stops at a file's first failing statement anyway",
    "connect": _OTHER_DATABASE,
    "c": _OTHER_DATABASE,
    "i": _INCLUDE,
    "ir": _INCLUDE,
    "include": _INCLUDE,
}


# what psql does for these changes only psql itself (its variables, output and display) or
# tells something: set aside, the file runs the statements psql would have run. Every other
# one (\connect, \i, \if, \q, \copy, \gexec, \g, \!, ...) decides where or which statements
# run, or runs something of its own: set aside, the file would do something else, so that
# is an error no ignore can waive.
_DROPPABLE = frozenset(
    {
        "set", "unset", "pset", "echo", "qecho", "warn", "timing", "restrict", "unrestrict",
        "encoding", "x", "a", "t", "f", "H", "T", "C", "conninfo", "errverbose", "h", "?",
        "setenv", "cd", "p", "print", "r", "reset", "l", "list", "z", "sf", "sv", "prompt",
        "o", "out", "w", "write", "s", "copyright", "lo_list",
    }
)  # fmt: skip


def _droppable(name: str) -> bool:
    return name in _DROPPABLE or name.startswith("d")  # (\d, \dt, \df, ...: describe)


def _words(ctx: FileContext, line: int) -> list[str]:
    """The words of the file's ``line`` (a meta-command's: its name, then its arguments)."""
    lines = ctx.source.text.split("\n")
    return lines[line - 1].split() if 0 < line <= len(lines) else []


def _set_used(ctx: FileContext, line: int) -> str | None:
    """The variable a ``\\set`` line defines, when a statement of the file uses it."""
    words = _words(ctx, line)
    used = {w.lstrip(":").strip("'\"") for i in ctx.infos for _, _, w in i.psql_variables}
    return words[1] if len(words) > 1 and words[1] in used else None


_TRUE = {"on", "1", "true", "yes", "t", "y"}


def _stops_on_error(ctx: FileContext, line: int, name: str) -> bool:
    """``\\set ON_ERROR_STOP on`` asks psql for what the reconciler does anyway (stop at the
    first failing statement), and unsetting it after the last statement changes nothing: such
    a line (a psql-run script's usual first and last) says nothing the file does not do."""
    words = _words(ctx, line)
    if len(words) < 2 or words[1] != "ON_ERROR_STOP":
        return False
    if name == "set" and len(words) == 3 and words[2].lower() in _TRUE:
        return True
    last = max((s.end_line for s in ctx.source.statements), default=0)
    return line > last and (name == "unset" or (name == "set" and len(words) == 3))


def check_file(ctx: FileContext) -> Iterator[Hit]:
    for line, name in ctx.source.meta_commands:
        if name in ("set", "unset") and _stops_on_error(ctx, line, name):
            continue
        if _droppable(name):
            variable = _set_used(ctx, line) if name == "set" else None
            yield Hit(
                f"\\{name} is a psql meta-command, not SQL: the reconciler sends statements to "
                "the server, which cannot run it",
                f"the file uses :{variable}: give it this value under migrations.placeholders "
                "(with placeholder_prefix ':' and placeholder_suffix ''), then delete the line"
                if variable
                else _HINTS.get(name, "delete the line, or write what it does as SQL"),
                line,
                1,
            )
        else:
            yield Hit(
                f"\\{name} is a psql meta-command, not SQL, and without psql the file would do "
                "something else (where or which statements run, or what else runs), so no "
                "ignore or policy can set it aside",
                _HINTS.get(name, "write what it does as SQL in the migration, or run it by hand"),
                line,
                1,
                fixed=True,
            )
    # each variable once, where the file first uses it, with the lines of its other uses (a
    # schema variable stands in every statement: one finding per use buries the others)
    uses: dict[str, list[tuple[int, int, str]]] = {}
    for info in ctx.infos:
        for line, col, written in info.psql_variables:
            uses.setdefault(written.lstrip(":").strip("'\""), []).append((line, col, written))
    for found in uses.values():
        line, col, written = found[0]
        more = sorted({at for at, _, _ in found[1:]})
        also = ""
        if more:
            shown = ", ".join(map(str, more[:8])) + (", ..." if len(more) > 8 else "")
            also = f" (used {len(found) - 1} more time(s) in this file: line(s) {shown})"
        yield Hit(
            f"{written} is a psql variable, not SQL: psql puts its value in, the "
            "reconciler sends the statement to the server as written, and the server "
            f"cannot read it{also}",
            "give it a value under migrations.placeholders with placeholder_prefix ':' "
            "and placeholder_suffix '' (as psql's -v or graphile-migrate's placeholders "
            "do), or write the value in the file",
            line,
            col,
        )


RULE = Rule(
    "ban-psql-meta-command",
    "error",
    "error",
    "no psql meta-commands or variables in migration files",
    check_file=check_file,
)
