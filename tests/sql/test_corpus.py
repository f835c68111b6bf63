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
    } <= found
    assert not any(code == "unparsed-statement" for code, _ in found)
