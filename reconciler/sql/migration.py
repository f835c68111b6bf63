"""The structure of one migration file: header fields, directives, rollback section, statements.

Also decides whether the file must run outside a transaction block: a statement that
PostgreSQL refuses inside one (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY,
VACUUM, ...) switches the file to no-transaction mode, as does ``-- reconciler:no-transaction``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from reconciler.errors import Diagnostic, SourceLocation
from reconciler.sql.split import Comment, Statement, split_sql

__all__ = [
    "DOWN_FILE",
    "FLYWAY_UNDO_FILE",
    "MIGRATION_FILE",
    "OTHER_DATABASES",
    "REPEATABLE",
    "VERSION",
    "Ignore",
    "MigrationSource",
    "checksum",
    "is_repeatable",
    "needs_no_transaction",
    "parse_migration",
    "version_key",
]

# a version as the history keeps it: a number, or numbers with dots (another tool's dotted
# versions, Flyway's V1.2__); compared part by part as numbers, by version_key()
VERSION = re.compile(r"\d+(?:\.\d+)*")
# a folder named by a release, holding that version's files (Synapse's 54/, Temporal's v1.1/)
RELEASE_FOLDER = re.compile(r"[vV]?(?P<version>\d+(?:\.\d+)*)")

# Debian's dbconfig-common upgrade scripts: SQL in a file named by the package version it
# upgrades the schema to, and nothing else (upgrade/pgsql/1.5.10, 15.7+git20151123,
# 20~git20201021.0a6ff72, 0.7-1); read with a whole-name match
DBCONFIG_SCRIPT = re.compile(
    r"(?P<version>\d+(?:\.\d+)*)(?:[+~-](?P<rest>[0-9A-Za-z][0-9A-Za-z.+~-]*))?"
)


# the version of a repeatable migration (Flyway's R__<description>.sql) is R__<name>: it is
# applied after every versioned one, by name, and again whenever its file changes
REPEATABLE = "R__"
_AFTER_EVERY_VERSION = 10**30


def is_repeatable(version: str) -> bool:
    return version.startswith(REPEATABLE)


def version_key(version: str) -> tuple[int, ...]:
    """What versions are ordered and told apart by: their numbers, part by part (9999 before
    10000, 1.9 before 1.10 before 2), trailing zero parts dropped as Flyway does (1.0 is 1);
    a repeatable migration after every version, by its name."""
    if version.isdecimal() and version.isascii():  # (most are one number: the quick way)
        return (int(version),)
    if is_repeatable(version):
        return (_AFTER_EVERY_VERSION, *(ord(c) for c in version[len(REPEATABLE) :]))
    parts = [int(p) for p in version.split(".")] if version else []
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


MIGRATION_FILE = re.compile(
    # (the .up of golang-migrate's NNNN_name.up.sql pairs is allowed: see DOWN_FILE)
    r"^(?P<version>\d{4,})_(?P<name>[a-z0-9][a-z0-9_]*?)(?P<safe>_safe)?(?:\.up)?\.sql$"
)

# statements PostgreSQL refuses inside a transaction block, as one pattern (a statement is
# checked once, not once per pattern: a 25,000-statement seed file is checked per statement)
# the undo half of a golang-migrate pair: never run; its .up.sql is the migration
# (and of a Bun pair, <version>_<name>.tx.up.sql and .tx.down.sql)
DOWN_FILE = re.compile(r"^(?P<stem>\d+_[A-Za-z0-9][A-Za-z0-9_-]*?(?:\.tx)?)\.down\.sql$")
# pop's (gobuffalo's, Ory's) <version>_<name>.<dialect>.up.sql and .down.sql: a database's
# own file, which takes the place of the <version>_<name>.up.sql every database runs; only
# POSTGRES_DIALECTS' up files run here
DIALECT_FILE = re.compile(
    r"^(?P<stem>(?P<version>\d+)_(?P<desc>[A-Za-z0-9][A-Za-z0-9_-]*?))"
    r"\.(?P<dialect>postgres|postgresql|cockroach|mysql|mariadb|sqlite3?|mssql|sqlserver)"
    r"\.(?P<way>up|down)\.sql$",
    re.IGNORECASE,
)
POSTGRES_DIALECTS = ("postgres", "postgresql")


# one database's SQL of a step that each database has a file for (Glewlwyd's
# upgrade-2.4-core.postgre.sql beside its .mariadb.sql and .sqlite3.sql): PostgreSQL's is read
# by the name without its database, the others never run here
DATABASE_SQL = re.compile(
    r"^(?P<stem>.+?)\.(?P<dialect>postgres|postgresql|postgre|pgsql|pg|cockroach|cockroachdb"
    r"|mysql|mariadb|sqlite3?|mssql|sqlserver|oracle|h2|derby|hsqldb|db2)\.sql$",
    re.IGNORECASE,
)
POSTGRES_SQL = ("postgres", "postgresql", "postgre", "pgsql", "pg")


def other_database_file(name: str, beside: Collection[str] = ()) -> bool:
    """A pop file of another database's own (``.mysql.up.sql``, ``.sqlite3.down.sql``, ...),
    or another database's ``<step>.<database>.sql`` where the names ``beside`` it (its
    folder's, lower case) hold PostgreSQL's file of the step (or every database's
    ``<step>.sql``): never PostgreSQL's to read or run."""
    if name.count(".") < 2:
        return False  # (x.sql: no database named; most names, so nothing more is matched)
    m = DIALECT_FILE.match(name)
    if m is not None:
        return m["dialect"].lower() not in POSTGRES_DIALECTS
    db = DATABASE_SQL.match(name)
    if db is None or db["dialect"].lower() in POSTGRES_SQL:
        return False
    stem = db["stem"].lower()
    return f"{stem}.sql" in beside or any(f"{stem}.{d}.sql" in beside for d in POSTGRES_SQL)


# what other databases are called in the names of their folders and files
OTHER_DATABASES = frozenset(
    {"mysql", "mariadb", "sqlite", "sqlite3", "mssql", "sqlserver", "oracle", "h2", "derby"}
    | {"hsqldb", "db2", "cockroach", "cockroachdb", "firebird", "sybase", "informix", "hana"}
)
_NAME_PARTS = re.compile(r"([._-])")


def other_database_twin(name: str, beside: Collection[str]) -> bool:
    """A folder or file named for another database whose PostgreSQL twin, the same name with
    PostgreSQL's instead, is ``beside`` it (its folder's names, lower case): Roundcube's
    SQL/mysql/ beside SQL/postgres/, mysql.initial.sql beside postgres.initial.sql,
    icingaweb2's mysql-upgrades/ beside pgsql-upgrades/. Without a twin it is not known to be
    another database's, and is read."""
    parts = _NAME_PARTS.split(name.lower())
    for i, part in enumerate(parts):
        if part in OTHER_DATABASES:
            for pg in POSTGRES_SQL:
                if "".join([*parts[:i], pg, *parts[i + 1 :]]) in beside:
                    return True
    return False


# Flyway's undo of a versioned file (U<version>__<description>.sql): never run forward
FLYWAY_UNDO_FILE = re.compile(r"^U\d+(?:[._]\d+)*__.+\.sql$")

_NO_TX = re.compile(
    "|".join(
        f"(?:{p})"
        for p in (
            r"^CREATE (UNIQUE )?INDEX CONCURRENTLY\b",
            r"^DROP INDEX CONCURRENTLY\b",
            r"^REINDEX\b.*\bCONCURRENTLY\b",
            r"^VACUUM\b",
            r"^CREATE DATABASE\b",
            r"^DROP DATABASE\b",
            r"^ALTER SYSTEM\b",
            r"^CREATE TABLESPACE\b",
            r"^DROP TABLESPACE\b",
            r"^CLUSTER$",
            r"^REINDEX (\(.*\) )?(DATABASE|SYSTEM)\b",
            r"^CREATE SUBSCRIPTION\b",
            r"^DROP SUBSCRIPTION\b",
            r"^ALTER DATABASE\b.*\bSET TABLESPACE\b",
            r"^ALTER TABLE\b.*\bDETACH PARTITION\b.*\bCONCURRENTLY\b",
        )
    )
)
_HEADER = re.compile(r"^(Description|Created|Type|Rollback)\s*:\s*(.*)$", re.IGNORECASE)
_ROLLBACK_SECTION = re.compile(r"^rollback(\s+instructions)?\s*:\s*$", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^reconciler:\s*([a-z-]+)\s*(.*)$")
_IGNORE = re.compile(r"^(?P<rules>[a-z0-9-]+(\s*,\s*[a-z0-9-]+)*)\s*(--\s*(?P<reason>.*))?$")


@dataclass(frozen=True)
class Ignore:
    """``-- reconciler:ignore rule-id[, rule-id] -- reason`` on its own line."""

    rules: tuple[str, ...]
    reason: str
    line: int


@dataclass(frozen=True)
class MigrationSource:
    """A migration file understood: what it runs, in which mode, and what it documents."""

    path: str
    checksum: str
    text: str
    statements: list[Statement]
    comments: list[Comment]
    header: dict[str, str]
    rollback: list[str]  # the rollback section's instruction lines
    no_transaction: bool
    no_transaction_reason: str | None
    ignores: list[Ignore] = field(default_factory=list)
    directives: dict[str, str] = field(default_factory=dict)
    errors: list[Diagnostic] = field(default_factory=list)
    meta_commands: list[tuple[int, str]] = field(default_factory=list)  # (line, psql command)


def checksum(text: str) -> str:
    """sha256 of the file with line endings normalised, so a checkout on Windows matches (the
    caller leaves out a byte-order mark)."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode()).hexdigest()


def needs_no_transaction(stmt: Statement) -> bool:
    kw = stmt.keywords
    return _NO_TX.search(kw) is not None


# another tool's marker of the down half of a two-way file: dbmate (`-- migrate:down`),
# goose (`-- +goose Down`), sql-migrate (`-- +migrate Down`), tern (`---- create above / drop
# below ----`), MyBatis Migrations and dbdeploy (`-- //@UNDO`), shmig (`-- ==== DOWN ====`),
# Play evolutions (`-- !Downs`), node-pg-migrate (`-- Down Migration`, the whole comment),
# rambler (`-- rambler down`), micrate (`-- +micrate Down`)
_OTHER_TOOL_DOWN = re.compile(
    r"^(?:migrate:down\b|\+(?:goose|migrate|micrate)\s+down\b|rambler\s+down\b"
    r"|-*\s*create\s+above\s*/\s*drop\s+below\b|//\s*@undo\b|=+\s*down\s*=+"
    r"|-*\s*!downs\b|down\s+migration\s*$)",
    re.I,
)
# ... and its way of saying the file runs outside a transaction
_OTHER_TOOL_UP_NO_TX = re.compile(
    r"^(?:migrate:up\b.*\btransaction:\s*false|\+goose\s+no\s+transaction"
    r"|\+migrate\s+up\b.*\bnotransaction|atlas:txmode\s+none)\b",
    re.I,
)


# yoyo's directive for a migration that runs outside a transaction, in the comments before
# its first statement
_YOYO_NO_TX = re.compile(r"^\s*transactional\s*:\s*false\s*$", re.I)


# Liquibase's formatted SQL: `--liquibase formatted sql` on the first line, then changesets
# (`--changeset author:id attribute:value ...`), each with its `--rollback <sql>` lines
_LIQUIBASE = re.compile(r"^liquibase\s+formatted\s+sql\b", re.I)
_LB_CHANGESET = re.compile(r"^changeset\s+(?P<id>\S+)(?P<attrs>.*)$", re.I)
_LB_ATTR = re.compile(r"(\w+):(\S+)")
_LB_ROLLBACK = re.compile(r"^rollback\s+(?P<sql>\S.*)$", re.I)
_LB_UNREAD = re.compile(r"^(?P<what>precondition-[\w-]+|preconditions?\b|ignoreLines\b)", re.I)


def _liquibase(
    path: str,
    comments: list[Comment],
    rollback: list[str],
    directives: dict[str, str],
    errors: list[Diagnostic],
) -> None:
    """A Liquibase formatted SQL file's comments read as Liquibase reads them: its rollback
    lines are the rollback section; `runInTransaction:false` makes the file run statement by
    statement; what decides whether, where or how often a changeset runs, which the
    reconciler does not evaluate, is an error where it is written (never silently ignored:
    a changeset for one context or database would run everywhere)."""

    def refuse(c: Comment, message: str, hint: str) -> None:
        errors.append(
            Diagnostic("liquibase-unsupported", message, SourceLocation(path, c.line, c.col), hint)
        )

    for c in comments:
        if not c.own_line:
            continue
        rb = _LB_ROLLBACK.match(c.text)
        if rb:
            rollback.append(rb["sql"])
            continue
        unread = _LB_UNREAD.match(c.text)
        if unread:
            refuse(
                c,
                f"Liquibase's --{unread['what']} is not evaluated here: the changeset's "
                "statements would run whatever it says",
                "express the condition in the SQL (IF NOT EXISTS, a DO block that checks "
                "first), or leave the statements out",
            )
            continue
        changeset = _LB_CHANGESET.match(c.text)
        if not changeset:
            continue
        attrs = {k.lower(): v for k, v in _LB_ATTR.findall(changeset["attrs"])}
        name = changeset["id"]
        if attrs.get("runintransaction", "").lower() == "false":
            directives.setdefault("no-transaction", f"-- {c.text.strip()}")
        for key in ("context", "contextfilter", "labels"):
            if key in attrs:
                refuse(
                    c,
                    f"changeset {name} runs under Liquibase only where {key} {attrs[key]} is "
                    "chosen; here it would run in every environment",
                    "give the environments that need it their own migrations folder "
                    "(migrations.dir), or drop the attribute if it runs everywhere",
                )
        dbms = attrs.get("dbms", "").lower()
        if dbms and (dbms.startswith("!") or not {"postgresql", "all"} & set(dbms.split(","))):
            refuse(
                c,
                f"changeset {name} is for dbms {attrs['dbms']}: here it would run on PostgreSQL",
                "leave it out of the PostgreSQL history, or drop the attribute",
            )
        for key in ("runalways", "runonchange"):
            if attrs.get(key, "").lower() == "true":
                refuse(
                    c,
                    f"changeset {name} runs again {'on every update' if key == 'runalways' else 'whenever it changes'} "
                    "under Liquibase; here it would run once, as a versioned migration (and a "
                    "change to it would be a checksum mismatch)",
                    "make it a repeatable migration of its own (R__<name>.sql: applied after "
                    "the versioned ones, and again whenever it changes)",
                )


# a file's own transaction blocks, as sqitch, Django's sqlmigrate, Prisma and many hand-written
# files have them: plain BEGIN / START TRANSACTION ... COMMIT / END (an isolation level or
# other mode would change what the file does, so only these; see _unwrapped)
_OPEN = re.compile(r"^(?:BEGIN|START TRANSACTION)(?: WORK| TRANSACTION)?$")
_CLOSE = re.compile(r"^(?:COMMIT|END)(?: WORK| TRANSACTION)?$")
_CONTROL = re.compile(
    r"^(?:BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE TRANSACTION)\b"
)


def _unwrapped(statements: list[Statement]) -> list[Statement]:
    """The statements without the file's own plain BEGIN ... COMMIT pairs (around all of it,
    as sqitch writes them, or around a part, as Prisma does for an enum change), when they
    pair up, nothing else controls the transaction and no statement must run outside one:
    the reconciler runs the whole file in one transaction, which holds every such block, so
    a pair would only end that transaction early (before the history row)."""
    words = [s.keywords.strip() for s in statements]
    depth, pairs = 0, 0
    for w in words:
        if _OPEN.match(w):
            if depth:
                return statements  # a BEGIN inside a BEGIN: not a pairing to read
            depth = 1
        elif _CLOSE.match(w):
            if not depth:
                return statements  # a COMMIT with no BEGIN of the file's own
            depth, pairs = 0, pairs + 1
        elif _CONTROL.match(w):
            return statements  # ROLLBACK, SAVEPOINT, BEGIN ISOLATION LEVEL ...: reported
    if depth or not pairs:
        return statements
    kept = [
        s for s, w in zip(statements, words, strict=True) if not (_OPEN.match(w) or _CLOSE.match(w))
    ]
    if not kept or any(needs_no_transaction(s) for s in kept):
        return statements  # psql would refuse it inside BEGIN too: report, never reinterpret
    return kept


def parse_migration(path: str, text: str, no_transaction: str | None = None) -> MigrationSource:
    """A migration file read: its statements, header, rollback section and directives.
    ``no_transaction`` is another tool's way, outside the file, of saying it runs statement
    by statement (Flyway's ``executeInTransaction=false`` in its .sql.conf), as said there."""
    # a byte-order mark, as some Windows editors write, is no part of the SQL (PostgreSQL would
    # reject it) nor of the checksum (re-saving a file with one does not edit it)
    text = text.removeprefix("\ufeff")
    if "\r" in text and "\n" not in text:
        # classic Mac OS line endings (a CR alone): each is the line break it stands for, so
        # that every location names its own line (PostgreSQL reads either as whitespace)
        text = text.replace("\r", "\n")
    split = split_sql(text, path)
    errors = list(split.errors)
    header: dict[str, str] = {}
    rollback: list[str] = []
    directives: dict[str, str] = {}
    ignores: list[Ignore] = []
    first_stmt_line = split.statements[0].line if split.statements else 10**9
    in_rollback = False
    statements = split.statements
    down = next((c for c in split.comments if c.own_line and _OTHER_TOOL_DOWN.match(c.text)), None)
    if down is not None:
        # another tool's two-way file: what follows its down marker undoes the migration, so
        # it is the rollback section, never run (the statements before it keep their indices)
        statements = [s for s in split.statements if s.line < down.line]
        undo = [s for s in split.statements if s.line > down.line]
        rollback.extend(f"{n}. {' '.join(s.text.split())};" for n, s in enumerate(undo, 1))
    if no_transaction:
        directives["no-transaction"] = no_transaction
    if split.comments and split.comments[0].line == 1 and _LIQUIBASE.match(split.comments[0].text):
        _liquibase(path, split.comments, rollback, directives, errors)
    for c in split.comments:
        if c.own_line and _OTHER_TOOL_UP_NO_TX.match(c.text):
            directives.setdefault("no-transaction", f"-- {c.text}")
        elif c.line < first_stmt_line and _YOYO_NO_TX.match(c.text):
            # (yoyo reads its directives in the comments before the first statement only)
            directives.setdefault("no-transaction", f"-- {c.text.strip()}")
        elif c.line == 1 and c.text.strip().lower() == "no-transaction":
            directives.setdefault("no-transaction", "-- no-transaction")  # sqlx's first line
        m = _DIRECTIVE.match(c.text)
        if m:
            name, arg = m.group(1), m.group(2).strip()
            if name == "ignore":
                im = _IGNORE.match(arg)
                if not im:
                    errors.append(
                        Diagnostic(
                            "bad-directive",
                            f"cannot read ignore directive {arg!r}",
                            SourceLocation(path, c.line, c.col),
                            "write `-- reconciler:ignore <rule-id> -- <reason>`",
                        )
                    )
                    continue
                rules = tuple(r.strip() for r in im.group("rules").split(","))
                ignores.append(Ignore(rules, (im.group("reason") or "").strip(), c.line))
            elif name in ("no-transaction", "allow-unparsed"):
                directives[name] = arg
            else:
                errors.append(
                    Diagnostic(
                        "bad-directive",
                        f"unknown directive reconciler:{name}",
                        SourceLocation(path, c.line, c.col),
                        "known directives: no-transaction, ignore, allow-unparsed",
                    )
                )
            continue
        if c.line < first_stmt_line and c.own_line:
            hm = _HEADER.match(c.text)
            if hm:
                header.setdefault(hm.group(1).lower(), hm.group(2).strip())
        if c.own_line and _ROLLBACK_SECTION.match(c.text):
            in_rollback = True
            continue
        if in_rollback and c.own_line and c.text:
            rollback.append(c.text)
    if "no-transaction" not in directives:
        # (in a file that runs statement by statement, its own BEGIN ... COMMIT is what keeps
        # a block whole: never dropped there)
        statements = _unwrapped(statements)
    reason = None
    if "no-transaction" in directives:
        said = directives["no-transaction"]
        reason = said if said.startswith("-- ") else "-- reconciler:no-transaction"
    else:
        for s in statements:
            if needs_no_transaction(s):
                reason = (
                    f"line {s.line}: {' '.join(s.code.split()[:4])} cannot run in a transaction"
                )
                break
    return MigrationSource(
        path=path,
        checksum=checksum(text),
        text=text,
        statements=statements,
        comments=split.comments,
        header=header,
        rollback=rollback,
        no_transaction=reason is not None,
        no_transaction_reason=reason,
        ignores=ignores,
        directives=directives,
        errors=errors,
        meta_commands=split.meta_commands,
    )
