"""The splitter is right about comments, quotes, dollar quotes and BEGIN ATOMIC, and locates statements."""

from __future__ import annotations

import pytest

from reconciler.sql.migration import parse_migration
from reconciler.sql.split import split_sql


def codes(text: str) -> list[str]:
    r = split_sql(text)
    assert not r.errors, r.errors
    return [s.code for s in r.statements]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("select 1; select 2", ["select 1", "select 2"]),
        ("select 1;;; select 2;", ["select 1", "select 2"]),
        ("select ';' ; select 'it''s;'", ["select ';'", "select 'it''s;'"]),
        ("select E'\\';' ; select 2", ["select E'\\';'", "select 2"]),
        ('select 1 as "a;b"; select 2', ['select 1 as "a;b"', "select 2"]),
        ("-- a; b\nselect 1; -- c; d\nselect 2", ["select 1", "select 2"]),
        ("/* a; /* nested; */ b; */ select 1", ["select 1"]),
        ("do $$ begin perform 1; end $$; select 2", ["do $$ begin perform 1; end $$", "select 2"]),
        (
            "create function f() returns int as $fn$ select 1; $fn$ language sql; select 3",
            ["create function f() returns int as $fn$ select 1; $fn$ language sql", "select 3"],
        ),
        ("select $1, a$b$c from t; select 2", ["select $1, a$b$c from t", "select 2"]),
        (
            "create function g() returns int language sql begin atomic select 1; "
            "select case when true then 2 end; end; select 4",
            [
                "create function g() returns int language sql begin atomic select 1; "
                "select case when true then 2 end; end",
                "select 4",
            ],
        ),
        ("-- only a comment\n", []),
        ("", []),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


def test_positions() -> None:
    r = split_sql(
        "-- header\n\nCREATE TABLE a (id int);\n  ALTER TABLE a\n    ADD COLUMN b int;", "f.sql"
    )
    assert [(s.line, s.col, s.end_line) for s in r.statements] == [(3, 1, 3), (4, 3, 5)]


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        ("select 'open", "unterminated-quote", (1, 8)),
        ('select "open', "unterminated-quote", (1, 8)),
        ("select 1;\nselect $tag$ body", "unterminated-dollar-quote", (2, 8)),
        ("select 1 /* never", "unterminated-comment", (1, 10)),
    ],
)
def test_unterminated(text: str, code: str, where: tuple[int, int]) -> None:
    r = split_sql(text, "f.sql")
    assert [(e.code, (e.location.line, e.location.col)) for e in r.errors if e.location] == [
        (code, where)
    ]


TEMPLATE = """-- Description: add prefs
-- Created: 2026-01-01T00:00:00Z
-- Type: SAFE (No destructive operations)
-- Rollback: Manual rollback instructions below

-- Migration starts here
ALTER TABLE table_name ADD COLUMN new_column TEXT DEFAULT '';
CREATE INDEX CONCURRENTLY idx_table_column ON table_name(column_name);

-- Rollback instructions:
-- 1. DROP INDEX IF EXISTS idx_table_column;
-- 2. ALTER TABLE table_name DROP COLUMN IF EXISTS new_column;
"""


def test_original_template_structure() -> None:
    m = parse_migration("x.sql", TEMPLATE)
    assert m.header["description"] == "add prefs"
    assert m.header["type"].startswith("SAFE")
    assert len(m.rollback) == 2 and m.rollback[0].startswith("1. DROP INDEX")
    assert m.no_transaction and "line 8" in (m.no_transaction_reason or "")
    assert len(m.statements) == 2  # the rollback lines are comments, not statements


@pytest.mark.parametrize(
    ("sql", "no_tx"),
    [
        ("CREATE INDEX CONCURRENTLY i ON t (a);", True),
        ("create unique index concurrently i on t (a);", True),
        ("DROP INDEX CONCURRENTLY i;", True),
        ("REINDEX INDEX CONCURRENTLY i;", True),
        ("VACUUM ANALYZE t;", True),
        ("REINDEX DATABASE app;", True),
        ("REINDEX (VERBOSE) SYSTEM app;", True),
        ("CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p;", True),
        ("DROP SUBSCRIPTION s;", True),
        ("ALTER DATABASE app SET TABLESPACE fast;", True),
        ("ALTER DATABASE app SET work_mem = '64MB';", False),
        ("REINDEX TABLE t;", False),
        ("CREATE INDEX i ON t (a);", False),
        ("-- CREATE INDEX CONCURRENTLY in a comment\nCREATE INDEX i ON t (a);", False),
        ("SELECT 'CREATE INDEX CONCURRENTLY';", False),
        ("-- reconciler:no-transaction\nUPDATE t SET a = 1 WHERE id < 10;", True),
    ],
)
def test_no_transaction_detection(sql: str, no_tx: bool) -> None:
    assert parse_migration("x.sql", sql).no_transaction is no_tx


def test_checksum_ignores_line_endings() -> None:
    a = parse_migration("x.sql", "SELECT 1;\n")
    b = parse_migration("x.sql", "SELECT 1;\r\n")
    assert a.checksum == b.checksum


def test_classic_mac_line_endings_are_line_breaks() -> None:
    """A file whose lines end in a CR alone (classic Mac OS) has lines, as one with LF or
    CRLF has: each statement, comment and directive is located on its own line, and the
    checksum is that of the same file with LF endings."""
    text = (
        "-- Description: x\n-- reconciler:ignore ban-delete -- first\nDELETE FROM a;\nSELECT 1;\n"
    )
    mac = parse_migration("x.sql", text.replace("\n", "\r"))
    unix = parse_migration("x.sql", text)
    assert [(s.line, s.code) for s in mac.statements] == [(3, "DELETE FROM a"), (4, "SELECT 1")]
    assert mac.header == {"description": "x"} and [i.line for i in mac.ignores] == [2]
    assert mac.checksum == unix.checksum


def test_unknown_directive_is_an_error() -> None:
    m = parse_migration("x.sql", "-- reconciler:no-transactoin\nSELECT 1;")
    assert [e.code for e in m.errors] == ["bad-directive"]


def test_a_semicolon_inside_parentheses_ends_nothing() -> None:
    """As in psql: a multi-action rule is one statement."""
    text = (
        "CREATE RULE log_insert AS ON INSERT TO t DO ALSO (\n"
        "  INSERT INTO log VALUES (NEW.id);\n"
        "  UPDATE counters SET n = n + 1 WHERE name = 't'\n"
        ");\n"
        "SELECT ')';\n"
        "SELECT 1;\n"
    )
    r = split_sql(text)
    assert not r.errors
    assert [s.line for s in r.statements] == [1, 5, 6]
    assert r.statements[0].text.endswith(")") and "UPDATE counters" in r.statements[0].text


def _key(r: object) -> object:
    return (
        [(s.text, s.code, s.line, s.col, s.end_line) for s in r.statements],  # type: ignore[attr-defined]
        [(c.text, c.line, c.col, c.own_line) for c in r.comments],  # type: ignore[attr-defined]
    )


def test_the_parser_split_and_the_lexer_split_agree() -> None:
    """A file PostgreSQL parses whole is split by the parser (fast on bulk data); anything else
    by the lexer. Both must give the same statements, lines, code and comments."""
    from pathlib import Path

    from reconciler.sql import split as s

    texts = [p.read_text() for p in sorted(Path(__file__).parent.glob("corpus/*.sql"))]
    texts += [
        "-- héader\nselect 'é' -- c;\n; /* x; */ select 2 /* t */;;\n"
        "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO l VALUES (1); NOTIFY t); -- tail",
        "create function g() returns int language sql begin atomic select 1; "
        "select case when true then 2 end; end; select 4",
        "/* a */ /* b */ select /* c */ 1 /* d */ ; -- e\n-- f\n",
        "select '-- not' -- yes\n;",
        "select $$ /* no */ $$ /* yes */;",
        "select 1 /* nested /* c */ */ ;",
    ]
    for text in texts:
        lines = s._Lines(text)
        by_parser = s._by_parser(text, lines)
        assert by_parser is not None, text[:80]
        assert _key(by_parser) == _key(s._by_lexer(text, "x", lines)), text[:80]
    assert s._by_parser("selec 1; select 2", s._Lines("selec 1; select 2")) is None
    assert [st.code for st in split_sql("selec 1; select 2").statements] == ["selec 1", "select 2"]


def test_a_byte_order_mark_is_no_part_of_the_sql() -> None:
    plain = parse_migration("x.sql", "CREATE TABLE t (id bigint);\n")
    marked = parse_migration("x.sql", "\ufeffCREATE TABLE t (id bigint);\n")
    assert marked.checksum == plain.checksum and not marked.errors
    assert [(s.text, s.line, s.col) for s in marked.statements] == [
        (s.text, s.line, s.col) for s in plain.statements
    ]


def test_the_rows_after_copy_from_stdin_are_its_data_not_sql() -> None:
    text = (
        "CREATE TABLE t (a bigint, b text);\n"
        "COPY t (a, b) FROM stdin; -- seed\n1\tx;y\n2\t'unclosed\n\\.\n\n"
        'COPY t (a, b) FROM STDIN WITH (FORMAT csv);\n3,"$$z"\n\\.\n'
        "CREATE INDEX i ON t (a);\n"
    )
    r = split_sql(text, "f.sql")
    assert not r.errors
    assert [(s.line, s.text, s.data) for s in r.statements] == [
        (1, "CREATE TABLE t (a bigint, b text)", None),
        (2, "COPY t (a, b) FROM stdin", "1\tx;y\n2\t'unclosed\n"),
        (7, "COPY t (a, b) FROM STDIN WITH (FORMAT csv)", '3,"$$z"\n'),
        (10, "CREATE INDEX i ON t (a)", None),
    ]
    assert parse_migration("f.sql", text).checksum == parse_migration("f.sql", text).checksum


def test_copy_rows_must_end_and_a_copy_in_a_body_is_no_copy() -> None:
    open_rows = split_sql("COPY t FROM stdin;\n1\n2\n", "f.sql")
    assert [(e.code, e.location.line if e.location else 0) for e in open_rows.errors] == [
        ("unterminated-copy", 1)
    ]
    body = split_sql(
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$\nCOPY t FROM stdin;\n$$;\nSELECT 1;\n"
    )
    assert [(s.line, s.data) for s in body.statements] == [(1, None), (4, None)]
    assert not body.errors


def test_a_psql_meta_command_is_set_aside_and_the_statements_around_it_still_split() -> None:
    """pg_dump's \\restrict pair, \\set, \\connect, \\i: listed with their lines (for
    ban-psql-meta-command); the SQL between them keeps its statements and their lines."""
    dump = "\\restrict AbC123\n\nSET search_path = app;\nCREATE TABLE a (id bigint);\n\\unrestrict AbC123\n"
    r = split_sql(dump, "f.sql")
    assert [(s.line, s.code) for s in r.statements] == [
        (3, "SET search_path = app"),
        (4, "CREATE TABLE a (id bigint)"),
    ]
    assert r.meta_commands == [(1, "restrict"), (5, "unrestrict")] and not r.errors
    script = split_sql("  \\set ON_ERROR_STOP on\nSELECT 1;\n\\i seed.sql\n", "f.sql")
    assert [s.line for s in script.statements] == [2]
    assert script.meta_commands == [(1, "set"), (3, "i")]


def test_a_backslash_line_inside_a_string_or_body_is_no_meta_command() -> None:
    body = "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$\n\\x\n$$;\nSELECT 'a\n\\set b\n';\n"
    r = split_sql(body, "f.sql")
    assert [s.line for s in r.statements] == [1, 4] and not r.errors
    comment = split_sql("/*\n\\d users  (what psql shows)\n*/\nSELECT 1;\n", "f.sql")
    assert [s.line for s in comment.statements] == [4] and not comment.errors
    rows = split_sql("COPY t FROM STDIN;\n\\N\t1\n\\.\nSELECT 1;\n", "f.sql")
    assert rows.statements[0].data == "\\N\t1\n" and not rows.errors


@pytest.mark.parametrize(
    "text",
    [
        "-- migrate:up\nCREATE TABLE c (id bigint);\n\n-- migrate:down\nDROP TABLE c;\n",
        "-- +goose Up\nCREATE TABLE c (id bigint);\n-- +goose Down\nDROP TABLE c;\n",
        "-- +migrate Up\nCREATE TABLE c (id bigint);\n-- +migrate Down\nDROP TABLE c;\n",
        # tern (jackc/tern), whose 001_name.sql files are read as versions since 2fa9c08
        "CREATE TABLE c (id bigint);\n---- create above / drop below ----\nDROP TABLE c;\n",
        "CREATE TABLE c (id bigint);\n\n---- Create above / Drop below ----\n\nDROP TABLE c;\n",
        # MyBatis Migrations (20090225155001_name.sql) and dbdeploy
        "-- // create c\nCREATE TABLE c (id bigint);\n-- //@UNDO\nDROP TABLE c;\n",
        # shmig
        "-- ==== UP ====\nCREATE TABLE c (id bigint);\n-- ==== DOWN ====\nDROP TABLE c;\n",
        # Play evolutions, written as SQL comments
        "-- !Ups\nCREATE TABLE c (id bigint);\n-- !Downs\nDROP TABLE c;\n",
        # node-pg-migrate's SQL files (1600000000000_name.sql)
        "-- Up Migration\nCREATE TABLE c (id bigint);\n-- Down Migration\nDROP TABLE c;\n",
        "-- rambler up\nCREATE TABLE c (id bigint);\n-- rambler down\nDROP TABLE c;\n",
        "-- +micrate Up\nCREATE TABLE c (id bigint);\n-- +micrate Down\nDROP TABLE c;\n",
    ],
)
def test_another_tools_down_section_is_the_rollback_and_never_runs(text: str) -> None:
    """dbmate, goose, sql-migrate, tern, MyBatis, shmig, Play, node-pg-migrate, rambler and
    micrate keep the undo after a marker in the same file; run whole it would undo the
    migration in its own transaction. It is the file's rollback section."""
    src = parse_migration("m/0001_c.sql", text)
    assert [s.code for s in src.statements] == ["CREATE TABLE c (id bigint)"]
    assert src.rollback == ["1. DROP TABLE c;"] and not src.errors and not src.no_transaction


@pytest.mark.parametrize(
    "marker",
    [
        "-- migrate:up transaction:false",
        "-- +goose NO TRANSACTION",
        "-- +migrate Up notransaction",
        "-- atlas:txmode none",
        "-- no-transaction",  # sqlx's, on the first line
    ],
)
def test_another_tools_no_transaction_marker_is_honoured(marker: str) -> None:
    src = parse_migration("m/0001_c.sql", f"{marker}\nUPDATE t SET a = 1 WHERE id < 10;\n")
    assert src.no_transaction and src.no_transaction_reason == marker


def test_sqlx_no_transaction_counts_on_the_first_line_only() -> None:
    later = parse_migration(
        "m/0001_c.sql", "UPDATE t SET a = 1 WHERE id < 10;\n-- no-transaction\n"
    )
    assert not later.no_transaction


def test_an_empty_down_section_or_a_marker_in_a_statement_changes_nothing() -> None:
    up_only = parse_migration("f.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\n")
    assert [s.code for s in up_only.statements] == ["SELECT 1"] and not up_only.rollback
    inline = parse_migration("f.sql", "SELECT 1; -- migrate:down later\nSELECT 2;\n")
    assert [s.code for s in inline.statements] == ["SELECT 1", "SELECT 2"]


LIQUIBASE = """--liquibase formatted sql

--changeset bob:1
CREATE TABLE person (id bigint PRIMARY KEY, name text NOT NULL);
--rollback DROP TABLE person;

--changeset bob:2 runInTransaction:false
CREATE INDEX CONCURRENTLY person_name ON person (name);
--rollback DROP INDEX CONCURRENTLY person_name;
"""


def test_a_liquibase_formatted_file_is_read_as_liquibase_reads_it() -> None:
    """Its --rollback lines are the rollback section (never run), and a changeset with
    runInTransaction:false makes the file run statement by statement."""
    src = parse_migration("m/001-init.sql", LIQUIBASE)
    assert [s.code.split(" (")[0] for s in src.statements] == [
        "CREATE TABLE person",
        "CREATE INDEX CONCURRENTLY person_name ON person",
    ]
    assert src.rollback == ["DROP TABLE person;", "DROP INDEX CONCURRENTLY person_name;"]
    assert src.no_transaction and "runInTransaction:false" in (src.no_transaction_reason or "")
    assert not src.errors
    # the same lines in a file that is not Liquibase's are plain comments
    plain = parse_migration("m/0001_a.sql", LIQUIBASE.split("\n", 1)[1])
    assert not plain.rollback and plain.errors == [] and not plain.directives


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("--changeset bob:3 context:test", "runs under Liquibase only where context test"),
        ("--changeset bob:3 labels:seed", "only where labels seed"),
        ("--changeset bob:3 dbms:mysql,mariadb", "is for dbms mysql,mariadb"),
        ("--changeset bob:3 dbms:!postgresql", "is for dbms !postgresql"),
        ("--changeset bob:3 runOnChange:true", "runs again whenever it changes"),
        ("--changeset bob:3 runAlways:true", "runs again on every update"),
        ("--preconditions onFail:MARK_RAN", "--preconditions is not evaluated here"),
        (
            "--precondition-sql-check expectedResult:0 SELECT count(*) FROM person",
            "--precondition-sql-check is not evaluated here",
        ),
        ("--ignoreLines:start", "--ignoreLines is not evaluated here"),
    ],
)
def test_what_decides_whether_a_liquibase_changeset_runs_is_never_ignored(
    line: str, said: str
) -> None:
    """A changeset for one context, label set or other database, one Liquibase runs again,
    or one behind a precondition would silently run everywhere, once: a located error."""
    src = parse_migration("m/001-init.sql", f"{LIQUIBASE}\n{line}\nSELECT 1;\n")
    (e,) = src.errors
    assert e.code == "liquibase-unsupported" and said in e.message, e.message
    assert e.location is not None and e.location.line == 11
    ok = parse_migration(
        "m/001-init.sql", f"{LIQUIBASE}\n--changeset bob:3 dbms:postgresql,h2\nSELECT 1;\n"
    )
    assert not ok.errors
