"""Coverage on real-world-shaped migrations (tests/sql/corpus/): every statement PostgreSQL's
own parser accepts is understood, and the dangerous ones are found on their lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from pglast import parser

from reconciler.sql.classify import classify
from reconciler.sql.lint import LintConfig, lint_migration
from reconciler.sql.migration import parse_migration

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.sql"))


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_every_statement_postgresql_parses_is_understood(path: Path) -> None:
    source = parse_migration(str(path), path.read_text())
    assert source.statements and not source.errors
    for stmt in source.statements:
        parser.parse_sql(stmt.text)  # the corpus is valid PostgreSQL
        info = classify(stmt)
        assert info.parsed, f"{path.name}:{stmt.line}: {info.kind}: {info.why_unparsed}"


def test_the_corpus_is_large_and_varied() -> None:
    kinds = set()
    count = 0
    for path in CORPUS:
        for stmt in parse_migration(str(path), path.read_text()).statements:
            kinds.add(classify(stmt).kind)
            count += 1
    assert count >= 80
    assert {
        "create_trigger",
        "create_function",
        "create_sequence",
        "alter_sequence",
        "create_type",
        "create_policy",
        "create_publication",
        "grant",
        "comment",
        "create_rule",
        "create_domain",
        "do",
    } <= kinds


def test_dangerous_statements_are_found_on_their_lines() -> None:
    path = next(p for p in CORPUS if p.name.startswith("0011"))
    found = {
        (d.code, d.location.line)
        for d in lint_migration(
            parse_migration(str(path), path.read_text()), path.name, False, LintConfig(strict=True)
        )
        if d.location is not None
    }
    assert {
        ("ban-alter-column-type", 7),
        ("ban-set-not-null", 8),
        ("ban-rename", 9),
        ("ban-drop-column", 10),
        ("ban-drop-table", 12),
        ("ban-truncate", 13),
        ("require-concurrent-index", 6),
        ("require-concurrent-index", 11),
    } <= found
    assert not any(code == "unparsed-statement" for code, _ in found)


def test_a_variadic_routines_body_is_read_and_its_statements_linted() -> None:
    text = (
        "CREATE FUNCTION purge(VARIADIC ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    DELETE FROM jobs;\n"
        "END $$;\n"
    )
    found = [
        (d.code, d.location.line if d.location else 0)
        for d in lint_migration(parse_migration("v.sql", text), "v.sql", False, LintConfig(True))
    ]
    assert ("ban-delete", 3) in found and not any(c == "unparsed-statement" for c, _ in found)


def test_syntax_newer_than_the_target_fails_on_the_server_with_nothing_applied(
    project: Path, db_url: str
) -> None:
    """The parser is PostgreSQL 18's; the embedded server is 16. A 17-only statement passes the
    lint (it is valid PostgreSQL) and the target refuses it: located, and nothing of the file
    is applied."""
    from tests.conftest import query, run_cli

    assert run_cli(project, "apply", "--env", "dev").returncode == 0
    (project / "manifests/migrations/0008_generated_safe.sql").write_text(
        "-- Description: a PostgreSQL 17 form\n-- rollback: none\n"
        "ALTER TABLE users ADD COLUMN handle text;\n"
        "ALTER TABLE users ALTER COLUMN handle SET EXPRESSION AS (lower(username));\n"
    )
    lint = run_cli(project, "validate", "--env", "dev")
    assert "unparsed-statement" not in lint.stdout + lint.stderr
    r = run_cli(project, "apply", "--env", "dev")
    assert r.returncode == 1
    assert "0008_generated_safe.sql:4:43: error[migration-failed]" in r.stderr
    assert 'syntax error at or near "EXPRESSION"' in r.stderr  # PostgreSQL 16 has no such form
    assert query(
        db_url, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'handle'"
    ) == [(0,)]


@pytest.mark.parametrize("major", [15, 16])
def test_the_corpus_is_valid_sql_on_every_supported_major(
    major: int, request: pytest.FixtureRequest
) -> None:
    """What the checker understands is what the servers run: the whole corpus executes on a
    real PostgreSQL of each supported major (statement by statement, in a database dropped
    afterwards), so "no statement is unparsed" is a claim about SQL those servers accept. An
    extension the server does not ship (the embedded build has no contrib) is not created, and
    a security label is not set (it needs a label provider loaded into the server)."""
    import contextlib
    import uuid

    import psycopg

    admin = request.getfixturevalue("pg15_admin_url" if major == 15 else "pg_admin_url")
    name = f"corpus_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
        version = c.execute("SHOW server_version_num").fetchone()
    assert version is not None and int(version[0]) // 10000 == major
    from urllib.parse import urlsplit, urlunsplit

    p = urlsplit(admin)
    url = urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for path in CORPUS:  # each file as an apply runs it: one transaction, or not
                m = parse_migration(str(path), path.read_text())
                with contextlib.nullcontext() if m.no_transaction else conn.transaction():
                    for stmt in m.statements:
                        info = classify(stmt)
                        if info.node == "SecLabelStmt":
                            continue
                        if (
                            info.node == "CreateExtensionStmt"
                            and not conn.execute(
                                "SELECT 1 FROM pg_available_extensions WHERE name = %s",
                                (info.tree["extname"],),
                            ).fetchone()
                        ):
                            continue
                        try:
                            conn.execute(stmt.text)  # type: ignore[arg-type]
                        except psycopg.Error as e:
                            raise AssertionError(f"{path.name}:{stmt.line}: {e}") from e
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
