"""What earlier migrations proved (reconciler.sql.proofs): a CHECK (col IS NOT NULL) validated
in one migration lets a later migration's SET NOT NULL through, as PostgreSQL skips its scan."""

from __future__ import annotations

import pytest

from reconciler.sql.migration import parse_migration
from reconciler.sql.proofs import DOMAIN, TYPE, history_proofs, history_types, keeps_rows
from tests.sql.test_rules import STRICT, lint

ADD = "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
VALIDATE = "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n"
SET = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"


def proofs(*texts: str) -> list[frozenset[tuple[str, str, str]]]:
    return history_proofs([parse_migration(f"m/{n:04d}_x.sql", t) for n, t in enumerate(texts)])


def test_a_check_validated_in_an_earlier_migration_proves_the_column() -> None:
    assert proofs(ADD, VALIDATE, SET) == [
        frozenset(),
        frozenset(),
        frozenset({("users", "users_email_nn", "email")}),
    ]
    # added valid at once (it scanned then), an AND of tests, a schema-qualified table
    both = "ALTER TABLE public.users ADD CONSTRAINT c CHECK (a IS NOT NULL AND b IS NOT NULL);"
    assert proofs(both, SET)[1] == {("users", "c", "a"), ("users", "c", "b")}


def test_no_proof_without_a_validation_or_after_a_drop() -> None:
    assert proofs(ADD, SET)[1] == frozenset()  # never validated
    assert proofs(ADD, VALIDATE, "ALTER TABLE users DROP CONSTRAINT users_email_nn;", SET)[3] == (
        frozenset()
    )
    assert proofs(ADD, VALIDATE, "ALTER TABLE users DROP COLUMN email;", SET)[3] == frozenset()
    other = "ALTER TABLE app.users ADD CONSTRAINT c CHECK (email IS NOT NULL);"
    assert proofs(other, SET)[1] == {("app.users", "c", "email")}  # another table's
    weak = "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL OR legacy);"
    assert proofs(weak, SET)[1] == frozenset()  # (an OR proves nothing)


def test_set_not_null_passes_strict_when_an_earlier_migration_proved_it() -> None:
    def codes(proven: frozenset[tuple[str, str, str]]) -> set[str]:
        return {d.code for d in lint(SET, STRICT, proven=proven) if d.severity == "error"}

    assert "ban-set-not-null" in codes(frozenset())
    proven = proofs(ADD, VALIDATE, SET)[2]
    assert not {"ban-set-not-null", "ban-unlisted-operation"} & codes(proven)
    assert "ban-set-not-null" in codes(frozenset({("users", "c", "name")}))  # another column
    # dropped in the same file before the SET NOT NULL: the proof is gone
    dropped = {
        d.code
        for d in lint(
            "ALTER TABLE users DROP CONSTRAINT users_email_nn;\n" + SET, STRICT, proven=proven
        )
    }
    assert "ban-set-not-null" in dropped


def test_a_domain_constrained_by_an_earlier_migration_makes_a_new_column_rewrite() -> None:
    """A column added with a domain that has a CHECK or NOT NULL rewrites the table; the
    domain may have been made (or constrained) by any earlier migration, and renamed since."""
    made = "CREATE DOMAIN app.positive AS int CHECK (VALUE > 0);"
    add = "ALTER TABLE t ADD COLUMN n app.positive;\n"
    facts = proofs(made, add)
    assert (DOMAIN, "app.positive", "constrained") in facts[1]
    hits = [d for d in lint(add, STRICT, proven=facts[1]) if d.code == "ban-volatile-default"]
    assert hits and "an earlier migration" in hits[0].message
    assert not [d for d in lint(add, STRICT) if d.code == "ban-volatile-default"]
    later = proofs("CREATE DOMAIN code AS text;", "ALTER DOMAIN code SET NOT NULL;", "SELECT 1;")
    assert later[1] == frozenset() and later[2] == {(DOMAIN, "code", "constrained")}
    renamed = proofs(made, "ALTER DOMAIN app.positive RENAME TO pos;", "SELECT 1;")[2]
    assert renamed == {(DOMAIN, "app.pos", "constrained")}
    assert proofs(made, "DROP DOMAIN app.positive;", "SELECT 1;")[2] == frozenset()
    plain = proofs("CREATE DOMAIN label AS text DEFAULT 'x';", "SELECT 1;")[1]
    assert plain == frozenset()


@pytest.mark.parametrize(
    ("old", "new", "keeps"),
    [
        ("varchar(255)", "varchar(500)", True),
        ("varchar(255)", "varchar", True),
        ("varchar(255)", "text", True),
        ("text", "varchar", True),
        ("varchar(255)", "varchar(255)", True),
        ("numeric(10,2)", "numeric(12,2)", True),
        ("numeric(10)", "numeric(12)", True),
        ("numeric(10,2)", "numeric", True),
        ("varbit(8)", "varbit(16)", True),
        ("varchar(255)", "varchar(100)", False),  # every row's length is checked
        ("text", "varchar(10)", False),
        ("varchar", "varchar(10)", False),
        ("numeric(10,2)", "numeric(12,3)", False),  # another scale: every value changes
        ("numeric", "numeric(10,2)", False),
        ("int4", "int8", False),
        ("timestamp", "timestamptz", False),  # (only without a rewrite when TimeZone is UTC)
        ("text[]", "varchar[]", False),
    ],
)
def test_which_type_changes_leave_the_rows_alone(old: str, new: str, keeps: bool) -> None:
    assert keeps_rows(old, new) is keeps


def types(*texts: str) -> list[frozenset[tuple[str, str, str]]]:
    return history_types([parse_migration(f"m/{n:04d}_x.sql", t) for n, t in enumerate(texts)])


WIDEN = "ALTER TABLE users ALTER COLUMN name TYPE varchar(500);\n"


def test_a_column_type_is_read_from_the_history_for_the_files_that_change_it() -> None:
    made = 'CREATE TABLE "users" (id bigint, name varchar(255), bio text);'
    assert types(made, "SELECT 1;", WIDEN) == [
        frozenset(),
        frozenset(),
        frozenset({(TYPE, "users|name", "varchar(255)")}),
    ]
    prisma = 'CREATE TABLE "User" ("id" TEXT NOT NULL, "name" VARCHAR(255));'
    retype = 'ALTER TABLE "User" ALTER COLUMN "name" SET DATA TYPE VARCHAR(500);'
    assert types(prisma, retype)[1] == {(TYPE, "User|name", "varchar(255)")}
    added = "ALTER TABLE public.users ADD COLUMN name character varying(64);"
    assert types(added, WIDEN)[1] == {(TYPE, "users|name", "varchar(64)")}
    retyped = types(made, "ALTER TABLE users ALTER COLUMN name TYPE varchar(1000);", WIDEN)
    assert retyped[1] == {(TYPE, "users|name", "varchar(255)")}
    assert retyped[2] == {(TYPE, "users|name", "varchar(1000)")}
    # renamed, dropped, or made elsewhere: not known, so not proven
    assert types(made, "ALTER TABLE users RENAME COLUMN bio TO name;", WIDEN)[2] == frozenset()
    assert types(made, "DROP TABLE users;", WIDEN)[2] == frozenset()
    assert types("CREATE TABLE app.users (name varchar(9));", WIDEN)[1] == frozenset()


def test_a_widening_the_history_proves_passes_strict_and_anything_else_does_not() -> None:
    facts = types("CREATE TABLE users (name varchar(255));", WIDEN)[1]

    def codes(sql: str, known: frozenset[tuple[str, str, str]] = facts) -> set[str]:
        return {d.code for d in lint(sql, STRICT, proven=known) if d.severity == "error"}

    blockers = {"ban-alter-column-type", "ban-unlisted-operation"}
    assert not blockers & codes(WIDEN)
    assert "ban-alter-column-type" in codes(WIDEN, frozenset())  # the old type unknown
    assert "ban-alter-column-type" in codes(
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);"
    )
    assert "ban-alter-column-type" in codes(
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(500) USING lower(name);"
    )
    assert "ban-alter-column-type" in codes(
        'ALTER TABLE users ALTER COLUMN name TYPE varchar(500) COLLATE "C";'
    )
    # the file changed the column (or renamed one of the table's) before: its type here is
    # not the history's
    assert "ban-alter-column-type" in codes(
        "ALTER TABLE users RENAME COLUMN name TO old_name;\n"
        "ALTER TABLE users RENAME COLUMN bio TO name;\n" + WIDEN
    )
    assert "ban-alter-column-type" in codes(
        "ALTER TABLE users DROP COLUMN name, ADD COLUMN name text, "
        "ALTER COLUMN name TYPE varchar(500);"
    )
    assert "ban-alter-column-type" in codes(
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(10), ALTER COLUMN name SET DEFAULT 'x';\n"
        + WIDEN
    )


SEEN_KEEPING_ROWS = [
    ("varchar(255)", "varchar(500)"),
    ("varchar(255)", "varchar"),
    ("varchar(255)", "text"),
    ("text", "varchar"),
    ("numeric(10,2)", "numeric(12,2)"),
    ("numeric(10)", "numeric(12)"),
    ("numeric(10,2)", "numeric"),
    ("varbit(8)", "varbit(16)"),
]


@pytest.mark.parametrize("server", ["pg16", "pg15"])
def test_every_change_taken_for_keeping_the_rows_keeps_them_on_a_real_server(
    server: str, request: pytest.FixtureRequest
) -> None:
    """What keeps_rows says leaves the rows alone does, on each supported major: the table's
    file and its index's are the same after the ALTER (a rewrite, or an index rebuild, gives
    new ones); and a change it refuses is one the server does rewrite."""
    import uuid

    import psycopg

    from tests.conftest import query, with_db

    admin = request.getfixturevalue("pg_admin_url" if server == "pg16" else "pg15_admin_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    query(admin, f'CREATE DATABASE "{name}"')
    url = with_db(admin, name)
    try:
        with psycopg.connect(url, autocommit=True) as c:
            for n, (old, new) in enumerate([*SEEN_KEEPING_ROWS, ("int4", "int8")]):
                assert keeps_rows(old, new) is (n < len(SEEN_KEEPING_ROWS))
                c.execute(f"CREATE TABLE k{n} (c {old}); CREATE INDEX i{n} ON k{n} (c)")
                fill = "B'1'" if old.startswith("varbit") else "'1'"
                c.execute(f"INSERT INTO k{n} SELECT {fill} FROM generate_series(1, 100)")
                files = f"SELECT pg_relation_filenode('k{n}'), pg_relation_filenode('i{n}')"
                before = c.execute(files).fetchone()
                c.execute(f"ALTER TABLE k{n} ALTER COLUMN c TYPE {new}")
                assert (c.execute(files).fetchone() == before) is keeps_rows(old, new), (old, new)
    finally:
        query(admin, f'DROP DATABASE "{name}" WITH (FORCE)')
