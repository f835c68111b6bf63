"""The rule case table, the rule registry meta-test, severities per environment, suppressions."""

from __future__ import annotations

import pkgutil
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

import reconciler.sql.rules as rules_pkg
from reconciler.errors import Diagnostic, format_diagnostic
from reconciler.files import LocalFiles
from reconciler.manifest import load_environment
from reconciler.sql.lint import LintConfig, lint_migration
from reconciler.sql.migration import MIGRATION_FILE, parse_migration
from reconciler.sql.rules import RULES
from reconciler.sql.template import render_template
from tests.conftest import REPO
from tests.sql.cases import CASES, Case

STRICT = LintConfig(strict=True, require_safe_suffix=True, require_rollback_section=True)
DEV = LintConfig()
ROLLBACK = "\n-- Rollback instructions:\n-- 1. undo it\n"


def lint(
    sql: str,
    cfg: LintConfig = STRICT,
    filename: str = "0001_case_safe.sql",
    proven: frozenset[tuple[str, str, str]] = frozenset(),
) -> list[Diagnostic]:
    src = parse_migration(f"m/{filename}", sql)
    m = MIGRATION_FILE.match(filename)
    return lint_migration(src, filename, bool(m and m.group("safe")), cfg, proven)


def located(sql: str) -> dict[str, tuple[int, int]]:
    """(line, col) of each rule's finding, strict environment."""
    return {
        d.code: (d.location.line, d.location.col)
        for d in lint(sql, LintConfig(strict=True))
        if d.location is not None
    }


def case_text(c: Case) -> str:
    return c.sql + (ROLLBACK if c.rollback else "")


@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c.rule}:{'fail' if c.fires else 'pass'}:{c.sql[:40]}"
)
def test_case(case: Case) -> None:
    found = [d for d in lint(case_text(case), filename=case.filename) if d.code == case.rule]
    assert bool(found) is case.fires, "\n".join(
        format_diagnostic(d) for d in lint(case_text(case), filename=case.filename)
    )


def test_case_table_size() -> None:
    assert len(CASES) >= 150


def test_every_rule_is_registered_documented_and_has_cases() -> None:
    modules = {m.name for m in pkgutil.iter_modules(rules_pkg.__path__)} - {"base"}
    registered = {r.id.replace("-", "_") for r in RULES.values()}
    assert modules == registered, (
        "a rule module is not registered (or a registered rule has no module)"
    )
    for rid, rule in RULES.items():
        assert re.fullmatch(r"(ban|require|prefer|unparsed)-[a-z-]+", rid)
        doc = REPO / "docs" / "rules" / f"{rid}.md"
        assert doc.exists(), f"docs/rules/{rid}.md is missing"
        text = doc.read_text()
        for heading in ("## Problem", "## Safe alternative", "## Example"):
            assert heading in text, f"{doc} lacks {heading}"
        assert any(c.rule == rid and c.fires for c in CASES), f"{rid} has no failing case"
        assert any(c.rule == rid and not c.fires for c in CASES), f"{rid} has no passing case"
        assert (rule.check is None) != (rule.check_file is None)


def test_strict_and_dev_policies_differ_on_the_same_file() -> None:
    sql = (
        "DELETE FROM t WHERE id = 1;\nGRANT SELECT ON t TO r;\nCREATE INDEX i ON t (a);\n"
        + ROLLBACK
    )
    strict = {(d.code, d.severity) for d in lint(sql)}
    dev = {(d.code, d.severity) for d in lint(sql, DEV)}
    assert ("ban-delete", "error") in strict and ("ban-delete", "warning") in dev
    assert ("require-concurrent-index", "error") in strict and (
        "require-concurrent-index",
        "warning",
    ) in dev
    assert ("ban-unlisted-operation", "error") in strict  # GRANT is not on the safe list
    assert not any(code == "ban-unlisted-operation" for code, _ in dev)
    assert not any(sev == "error" for _, sev in dev)


def test_policy_overrides() -> None:
    sql = "CREATE TABLE t (at timestamp);\nDELETE FROM t WHERE id = 1;" + ROLLBACK
    cfg = LintConfig(strict=True, overrides={"prefer-timestamptz": "error", "ban-delete": "off"})
    got = {(d.code, d.severity) for d in lint(sql, cfg)}
    assert ("prefer-timestamptz", "error") in got
    assert not any(c == "ban-delete" for c, _ in got)


@pytest.mark.parametrize(
    ("setting", "blocked"),
    [
        ("SET lock_timeout = '2s';", False),  # the policy's own value
        ("SET LOCAL lock_timeout = 1999;", False),
        ("SET lock_timeout = '2.5s';", True),
        ("SET lock_timeout = '1 min';", True),
        ("SET lock_timeout = 600000;", True),
        ("SET statement_timeout = '5min';", False),
        ("SET statement_timeout = '11min';", True),
        ("SET statement_timeout = '1h';", True),
        ("SET lock_timeout = 'abc';", True),
    ],
)
def test_a_file_may_lower_the_policys_timeouts_never_raise_them(
    setting: str, blocked: bool
) -> None:
    cfg = LintConfig(strict=True, lock_timeout=2000, statement_timeout=600_000)
    found = [d for d in lint(setting + ROLLBACK, cfg) if d.code == "ban-unlisted-operation"]
    assert bool(found) == blocked, found
    if blocked and "abc" not in setting:
        assert "above the policy's" in found[0].message
    # with no timeout in the policy (0) there is nothing to raise above
    unbounded = LintConfig(strict=True, lock_timeout=0, statement_timeout=0)
    assert not [d for d in lint(setting + ROLLBACK, unbounded) if "above the policy's" in d.message]


def test_the_policys_timeouts_reach_the_linter() -> None:
    from reconciler.policy import lint_config

    desired = load_environment(str(REPO / "environments/prod.yaml"), LocalFiles(), str(REPO))
    cfg = lint_config(desired)
    policy = desired.env.policy
    assert (cfg.lock_timeout, cfg.statement_timeout) == (
        policy.lock_timeout,
        policy.statement_timeout,
    )
    raised = LintConfig(**{**vars(cfg), "lock_timeout": cfg.lock_timeout + 1})
    assert raised.fingerprint("r") != cfg.fingerprint("r")  # cached results follow the policy


def test_emergency_relaxes_all_but_unparsed_and_credentials() -> None:
    sql = (
        "DROP TABLE t;\nDO $$ BEGIN EXECUTE 'SELECT ' || 1; END $$;\nCREATE ROLE r PASSWORD 'abcdefgh';"
        + ROLLBACK
    )
    got = {(d.code, d.severity) for d in lint(sql, LintConfig(strict=True, emergency=True))}
    assert ("ban-drop-table", "warning") in got
    assert ("unparsed-statement", "error") in got and ("ban-credentials", "error") in got


def test_a_rule_that_fails_blocks_the_statement_in_strict_and_the_others_still_judge_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reconciler.sql.lint import _rules_for

    def broken(ctx: Any) -> Iterator[Any]:
        if "users" in ctx.info.stmt.text:
            raise KeyError("relname")
        yield from ()

    broken_rule = replace(RULES["prefer-text"], check=broken, kinds=None)
    monkeypatch.setitem(RULES, "prefer-text", broken_rule)
    _rules_for.cache_clear()  # the rules per statement kind are worked out once
    try:
        sql = "CREATE TABLE t (id bigint);\nDROP TABLE users;\n" + ROLLBACK
        strict = {(d.code, d.severity, d.location.line if d.location else 0) for d in lint(sql)}
        dev = {(d.code, d.severity, d.location.line if d.location else 0) for d in lint(sql, DEV)}
    finally:
        monkeypatch.undo()
        _rules_for.cache_clear()
    assert ("checker-failed", "error", 2) in strict and ("ban-drop-table", "error", 2) in strict
    assert not any(code == "checker-failed" and line == 1 for code, _, line in strict)
    assert ("checker-failed", "warning", 2) in dev


def test_a_statement_the_checker_fails_to_read_is_blocked_in_strict_even_where_unparsed_is_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reconciler.sql.lint as lint_module

    real = lint_module.classify

    def broken(stmt: Any) -> Any:
        if "users" in stmt.text:
            raise IndexError("list index out of range")
        return real(stmt)

    monkeypatch.setattr(lint_module, "classify", broken)
    sql = (
        "-- reconciler:allow-unparsed -- reviewed\nCREATE TABLE t (id bigint);\n"
        "DROP TABLE users;\n" + ROLLBACK
    )
    got = {(d.code, d.severity, d.location.line if d.location else 0) for d in lint(sql)}
    assert ("checker-failed", "error", 3) in got
    assert not any(code == "checker-failed" and line == 2 for code, _, line in got)


def test_suppression_needs_reason_and_unused_ignore_is_reported() -> None:
    sql = (
        "-- reconciler:ignore ban-drop-table -- legacy table, confirmed empty on 2026-11-01\n"
        "DROP TABLE old_things;\n"
        "-- reconciler:ignore ban-delete\n"
        "DELETE FROM t WHERE id = 1;\n"
        "-- reconciler:ignore ban-rename -- not needed\n"
        "CREATE TABLE fresh (id bigint);\n"
        "DROP TABLE other_things;\n" + ROLLBACK
    )
    ds = lint(sql)
    codes = [(d.code, d.location.line if d.location else 0) for d in ds]
    assert ("ban-drop-table", 2) not in codes and ("ban-unlisted-operation", 2) not in codes
    assert ("ban-drop-table", 7) in codes  # the ignore covers only the next statement
    assert ("bad-directive", 3) in codes and ("ban-delete", 4) in codes  # no reason: no effect
    assert ("unused-ignore", 5) in codes
    assert ("bad-directive", 1) not in codes
    # what an ignore waived is still told (as info): an approver of the plan sees it and why
    waived = [d for d in ds if d.code == "waived"]
    assert [(d.severity, d.location.line if d.location else 0) for d in waived] == [("info", 2)]
    assert "ban-drop-table" in waived[0].message and "confirmed empty" in waived[0].hint


def test_trailing_ignore_and_unknown_rule() -> None:
    sql = (
        "DROP TABLE t; -- reconciler:ignore ban-drop-table -- scratch table\n-- reconciler:ignore no-such-rule -- x\nSELECT 1;"
        + ROLLBACK
    )
    codes = {d.code for d in lint(sql, DEV)}
    assert "ban-drop-table" not in codes and "bad-directive" in codes


def test_allow_unparsed_with_reason() -> None:
    body = "DO $$ BEGIN EXECUTE 'SELECT ' || 1; END $$;" + ROLLBACK
    assert ("unparsed-statement", "error") in {(d.code, d.severity) for d in lint(body)}
    allowed = "-- reconciler:allow-unparsed -- reviewed by alice: only SELECT 1\n" + body
    assert ("unparsed-statement", "warning") in {(d.code, d.severity) for d in lint(allowed)}
    no_reason = "-- reconciler:allow-unparsed\n" + body
    assert "bad-directive" in {d.code for d in lint(no_reason)}
    # a DROP inside an allowed DO block is still caught
    dropping = (
        "-- reconciler:allow-unparsed -- reviewed\nDO $$ BEGIN DROP TABLE t; END $$;" + ROLLBACK
    )
    assert ("ban-drop-table", "error") in {(d.code, d.severity) for d in lint(dropping)}


def test_credentials_message_never_contains_the_secret() -> None:
    ds = lint("CREATE ROLE app LOGIN PASSWORD 'hunter2hunter2';" + ROLLBACK)
    cred = [d for d in ds if d.code == "ban-credentials"]
    assert cred and all("hunter2" not in format_diagnostic(d) for d in ds)
    assert cred[0].location is not None and (cred[0].location.line, cred[0].location.col) == (1, 23)


def test_a_fresh_template_never_runs_and_validates_once_filled_in() -> None:
    text = render_template("add user prefs", "2026-11-26T00:00:00Z")
    found = lint(text, filename="0042_add_user_prefs_safe.sql")
    # only its placeholders are wrong: one error per example statement, in strict and in dev
    assert [(d.code, d.severity, d.location.line if d.location else 0) for d in found] == [
        ("ban-template-placeholder", "error", 10),
        ("ban-template-placeholder", "error", 11),
    ]
    assert {d.code for d in lint(text, DEV, filename="0042_add_user_prefs_safe.sql")} == {
        "ban-template-placeholder"
    }
    filled = (
        text.replace("table_name", "users")
        .replace("new_column", "prefs")
        .replace("idx_table_column", "idx_users_prefs")
    )
    assert not [d for d in lint(filled, filename="0042_add_user_prefs_safe.sql")]
    for kind in ("DATA", "HOTFIX"):
        assert f"-- Type: {kind}" in render_template("x", "now", kind)


def test_original_template_validates_for_production() -> None:
    original = (REPO / "manifests/migrations/0006_add_user_prefs_safe.sql").read_text()
    assert [
        d for d in lint(original, filename="0006_add_user_prefs_safe.sql") if d.severity == "error"
    ] == []
    assert parse_migration("x", original).no_transaction


def test_sample_migrations_validate_for_production() -> None:
    for path in sorted((REPO / "manifests/migrations").glob("*.sql")):
        errors = [
            format_diagnostic(d)
            for d in lint(path.read_text(), filename=path.name)
            if d.severity == "error"
        ]
        assert errors == [], path.name


def test_column_findings_point_at_the_column() -> None:
    sql = (
        "CREATE TABLE events (\n"
        "    id bigint PRIMARY KEY,\n"
        "    happened timestamp NOT NULL,\n"
        "    label varchar(20)\n"
        ");\n"
        "ALTER TABLE events ADD COLUMN   n int;\n" + ROLLBACK
    )
    where = located(sql)
    assert where["prefer-timestamptz"] == (3, 5)
    assert where["prefer-text"] == (4, 5)
    assert where["prefer-bigint"] == (6, 33)


def test_every_rule_has_its_own_case_file() -> None:
    """One case table per rule, named after the rule's module."""
    for rid in RULES:
        table = REPO / "tests" / "sql" / "cases" / f"{rid.replace('-', '_')}.py"
        assert table.exists(), f"{table} is missing"


def test_clause_findings_point_at_the_clause() -> None:
    """Locations come from PostgreSQL's parse tree: the constraint, the call, the line in a DO body."""
    sql = (
        "ALTER TABLE posts\n"
        "  ADD COLUMN note text,\n"
        "  ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id);\n"
        "SELECT 1, pg_sleep(5);\n"
        "DO $$\nBEGIN\n  PERFORM 1;\n  UPDATE t SET a = 1;\nEND $$;\n" + ROLLBACK
    )
    where = located(sql)
    assert where["require-not-valid-constraint"] == (3, 7)
    assert where["ban-side-effect-functions"] == (4, 11)
    assert where["ban-update-without-where"] == (8, 3)


def test_a_finding_in_a_quoted_body_is_on_its_line() -> None:
    """A body written in '...' after LANGUAGE 'plpgsql' starts where the body does, not
    where the language's name does."""
    sql = (
        "CREATE FUNCTION f() RETURNS void\n"
        "  LANGUAGE 'plpgsql'\n"
        "  AS '\n"
        "BEGIN\n"
        "  UPDATE t SET note = ''it''''s'';\n"
        "END;';\n"
        "DO LANGUAGE 'plpgsql' '\n"
        "BEGIN\n"
        "  DELETE FROM t WHERE note = ''it''''s'' OR true;\n"
        "END;';\n" + ROLLBACK
    )
    where = located(sql)
    assert where["ban-update-without-where"][0] == 5  # (a routine's findings: the line)
    assert where["ban-delete"] == (9, 3)


def test_another_tools_placeholder_is_named_with_how_to_fill_it() -> None:
    """A template placeholder nothing replaced is reported where it stands, with the
    placeholders settings that fill it: the prefix and suffix its tool writes."""
    found = {
        d.location.col if d.location else 0: d
        for d in lint(
            'CREATE INDEX i ON {{ index .Options "Namespace" }}.sessions (user_id);\n'
            "CREATE TABLE t (id $%AUTO_INCREMENT_PRIMARY_KEY%$);\n"
            "CREATE TYPE @NAMESPACE@.vactables AS (nspname name, relname name);\n"
            "SELECT abs(@ -5), '{1,2}'::int[] @> '{1}';\n" + ROLLBACK  # (@ the operator: SQL)
        )
        if d.code == "unparsed-statement"
    }
    go, synapse, slony = found[19], found[20], found[13]
    assert len(found) == 3
    assert "placeholder @NAMESPACE@" in slony.message
    assert "placeholder_prefix: '@', placeholder_suffix: '@'" in (slony.hint or "")
    assert 'placeholder {{ index .Options "Namespace" }}' in go.message
    assert "placeholder_prefix: '{{ index .Options \"', placeholder_suffix: '\" }}'" in (
        go.hint or ""
    )
    assert "{Namespace: ...}" in (go.hint or "")
    assert "placeholder_prefix: '$%', placeholder_suffix: '%$'" in (synapse.hint or "")


def test_a_comment_or_a_string_is_never_a_statement_or_a_clause() -> None:
    """What a regular expression over text would see, the parse tree does not."""
    sql = (
        "DO $$ BEGIN\n"
        "  UPDATE t SET a = 1 /* WHERE id = 1 */;\n"
        "  UPDATE u SET note = 'WHERE' ;\n"
        "  /* DROP TABLE t */ PERFORM 1; -- TRUNCATE t\n"
        "END $$;\n" + ROLLBACK
    )
    codes = [(d.code, d.location.line if d.location else 0) for d in lint(sql)]
    assert ("ban-update-without-where", 2) in codes and ("ban-update-without-where", 3) in codes
    assert not any(c in ("ban-drop-table", "ban-truncate") for c, _ in codes)


def test_the_second_parser_disagreeing_fails_closed() -> None:
    """sqlglot reads the statement's text; when PostgreSQL's reading of what the statement does
    differs (here, a WHERE clause only one of them sees), the statement is not trusted."""
    from reconciler.sql.classify import _second_opinion, classify
    from reconciler.sql.split import split_sql

    with_where = classify(split_sql("UPDATE t SET a = 1 WHERE id = 2").statements[0])
    assert with_where.parsed and with_where.ast is not None
    without = classify(split_sql("UPDATE t SET a = 1").statements[0])
    # PostgreSQL's tree of the unbounded UPDATE beside the text of the bounded one
    without.stmt, without.ast = with_where.stmt, None
    assert _second_opinion(without) == "the two parsers disagree about its WHERE clause"
    other = classify(split_sql("DELETE FROM t WHERE id = 2").statements[0])
    other.stmt = with_where.stmt
    assert "reads DeleteStmt but the second parser (sqlglot) reads Update" in str(
        _second_opinion(other)
    )


def test_a_data_file_gets_no_leeway_for_a_where_that_keeps_every_row() -> None:
    """A DATA migration may UPDATE or DELETE with a WHERE in strict environments; a WHERE that
    is always true (``true``, ``1 = 1``, ``id = id``) is no bound."""
    cfg = LintConfig(strict=True, data_migration=True)
    head = "-- Description: fix\n-- Type: DATA\n"

    def errors(sql: str) -> set[str]:
        return {d.code for d in lint(head + sql + ROLLBACK, cfg) if d.severity == "error"}

    assert errors("UPDATE users SET a = 1 WHERE id < 10;") == set()
    assert "ban-update-without-where" in errors("UPDATE users SET a = 1 WHERE 1 = 1;")
    assert "ban-delete" in errors("DELETE FROM wallets WHERE id = id;")
    assert errors("DELETE FROM wallets WHERE balance < 0;") == set()


def test_the_duplicate_checks_find_what_would_fail_on_postgresql(db_url: str) -> None:
    """The query a require-duplicate-check finding gives runs on a real server and returns
    the rows that make the change fail there (which it then does); on clean rows it returns
    none and the change succeeds."""
    import re

    import psycopg

    setup = (
        "CREATE SCHEMA app; CREATE TABLE app.users (id bigint, email text, deleted_at date);"
        "INSERT INTO app.users VALUES (1, 'a@x', NULL), (2, 'A@x', NULL), (3, 'b@x', NULL),"
        " (3, 'c@x', '2020-01-01'), (NULL, 'd@x', NULL), (5, NULL, NULL), (6, NULL, NULL);"
    )
    changes = [
        # lower(email) clashes on 1 and 2; the deleted row is outside the partial index
        "CREATE UNIQUE INDEX users_lower_email ON app.users (lower(email)) "
        "WHERE deleted_at IS NULL;",
        "ALTER TABLE app.users ADD CONSTRAINT users_id_pkey PRIMARY KEY (id);",  # 3 twice, NULL
        "ALTER TABLE app.users ADD CONSTRAINT users_email_key UNIQUE (email);",  # NULLs never clash
    ]
    look = re.compile(r"look first: (.*?;(?: SELECT count\(\*\) .*?;)?) remove")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(setup)  # type: ignore[arg-type]
        found = []
        for change in changes:
            (d,) = [
                d for d in lint(change + "\n" + ROLLBACK) if d.code == "require-duplicate-check"
            ]
            m = look.search(d.hint or "")
            assert m is not None, d.hint
            rows = [
                conn.execute(q.strip() + ";").fetchall()  # type: ignore[arg-type]
                for q in m.group(1).split(";")
                if q.strip()
            ]
            clash = any(r for r in rows[0]) or any(r[0] for r in rows[1:])
            failed = False
            try:
                conn.execute(change)  # type: ignore[arg-type]
            except psycopg.Error:
                failed = True
            found.append((clash, failed))
        assert found == [(True, True), (True, True), (False, False)]


def test_the_suggested_rewrites_run_on_postgresql(db_url: str) -> None:
    """The exact statements a finding suggests (written by PostgreSQL's deparser from the
    edited tree, quoting kept) run on a real server and leave what the original would have."""
    import re

    import psycopg

    setup = (
        'CREATE SCHEMA app; CREATE TABLE app."Order" (id bigint, "Tenant" int, total int);'
        "CREATE TABLE threads (id bigint PRIMARY KEY);"
        "CREATE TABLE posts (id bigint, thread_id bigint, body text);"
        "INSERT INTO threads VALUES (1); INSERT INTO posts VALUES (1, 1, 'x');"
        'INSERT INTO app."Order" VALUES (1, 1, 5);'
    )
    sql = (
        'ALTER TABLE ONLY app."Order" ADD CONSTRAINT "Order_pkey" PRIMARY KEY (id, "Tenant");\n'
        "ALTER TABLE posts ADD CONSTRAINT posts_thread_fk FOREIGN KEY (thread_id) "
        "REFERENCES threads (id) ON DELETE CASCADE;\n"
        'ALTER TABLE app."Order" ADD CONSTRAINT total_positive CHECK (total > 0);\n'
        "CREATE INDEX posts_body_idx ON posts (lower(body)) WHERE body IS NOT NULL;\n"
    )
    pair = re.compile(
        r"write it as: (.*?); (?:then|and in a later migration \(or with this file no-transaction\)): (.*?); \("
    )
    single = re.compile(r"write it as: (.*?); \(")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(setup)  # type: ignore[arg-type]
        ran = 0
        for d in lint(sql + ROLLBACK):
            m = pair.search(d.hint or "") or single.search(d.hint or "")
            if m is None:
                continue
            for statement in m.groups():
                conn.execute(statement)  # type: ignore[arg-type]
            ran += 1
        assert ran == 4
        constraints = conn.execute(
            "SELECT conname, contype, convalidated FROM pg_constraint "
            "WHERE conname IN ('Order_pkey', 'posts_thread_fk', 'total_positive') ORDER BY 1"
        ).fetchall()
        assert constraints == [
            ("Order_pkey", "p", True),
            ("posts_thread_fk", "f", True),
            ("total_positive", "c", True),
        ]
        assert conn.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'posts_body_idx'::regclass"
        ).fetchone() == (True,)


def test_postgresql_refuses_a_commit_inside_a_do_block_in_a_transaction(db_url: str) -> None:
    """What ban-transaction-control says of COMMIT inside DO, checked on the server: every
    statement of a migration runs inside a transaction (its file's, or its own with its
    progress mark in a no-transaction file)."""
    import psycopg

    with (
        psycopg.connect(db_url) as conn,
        pytest.raises(psycopg.errors.InvalidTransactionTermination),
        conn.transaction(),
    ):
        conn.execute("DO $$ BEGIN PERFORM 1; COMMIT; END $$")
    found = lint("DO $$ BEGIN PERFORM 1; COMMIT; END $$;" + ROLLBACK, DEV)
    assert [(d.code, d.severity) for d in found if d.code == "ban-transaction-control"] == [
        ("ban-transaction-control", "error")
    ]


def test_every_not_valid_advice_defers_the_validate_to_a_later_migration() -> None:
    """Validating in the file that added the constraint is itself reported, so no advice may
    suggest it."""
    for sql in (
        "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);",
        "ALTER TABLE t ADD COLUMN a int CHECK (a > 0);",
        "ALTER TABLE t ADD COLUMN u bigint REFERENCES u (id);",
    ):
        (found,) = [d for d in lint(sql + ROLLBACK) if d.code == "require-not-valid-constraint"]
        assert "later migration" in (found.hint or ""), found.hint


@pytest.mark.parametrize(
    ("sql", "label"),
    [
        ("CREATE FOREIGN TABLE f (a int) SERVER s;", "CREATE FOREIGN TABLE"),
        ("CREATE FOREIGN DATA WRAPPER w;", "CREATE FOREIGN DATA WRAPPER"),
        ("CREATE SERVER s FOREIGN DATA WRAPPER w;", "CREATE SERVER"),
        ("CREATE TEXT SEARCH CONFIGURATION c (COPY = simple);", "CREATE TEXT SEARCH"),
        (
            "ALTER TEXT SEARCH CONFIGURATION c ALTER MAPPING FOR word WITH simple;",
            "ALTER TEXT SEARCH CONFIGURATION",
        ),
        (
            "ALTER MATERIALIZED VIEW v OWNER TO bob;",
            "ALTER MATERIALIZED VIEW v: OWNER TO (changes who may alter, drop or grant it)",
        ),
        ("REFRESH MATERIALIZED VIEW CONCURRENTLY v;", "REFRESH MATERIALIZED VIEW"),
    ],
)
def test_an_unlisted_statement_is_named_in_full(sql: str, label: str) -> None:
    """The finding names the statement as it is written, not a clipped form of it."""
    found = [d.message for d in lint(sql + ROLLBACK) if d.code == "ban-unlisted-operation"]
    assert found == [f"{label} is not on the list of safe operations for strict environments"]


def test_an_unlisted_alter_action_is_named_where_it_is() -> None:
    """In a multi-action ALTER TABLE the allow-list names the actions off the list and points
    at the first of them, not at the ALTER's first line."""
    sql = (
        "ALTER TABLE icinga_comments\n"
        "  ALTER COLUMN entry_time SET DEFAULT now(),\n"
        "  ALTER COLUMN entry_time DROP DEFAULT, ALTER COLUMN entry_time TYPE timestamp,\n"
        "  REPLICA IDENTITY FULL;\n"
    )
    (found,) = [d for d in lint(sql + ROLLBACK) if d.code == "ban-unlisted-operation"]
    assert found.message == (
        "ALTER TABLE icinga_comments: ALTER COLUMN entry_time DROP DEFAULT, ALTER COLUMN "
        "entry_time TYPE, REPLICA IDENTITY (changes what logical replication and change-data "
        "consumers receive) are not on the list of safe operations for strict environments"
    )
    assert (found.location.line, found.location.col) == (3, 3)
    one_line = "ALTER TABLE t ALTER COLUMN c DROP DEFAULT, ALTER COLUMN c TYPE bigint;"
    assert sorted(d.code for d in lint(one_line + ROLLBACK) if d.severity == "error") == [
        "ban-alter-column-type"  # (the precise rule speaks for the statement's line)
    ]


def test_a_finding_about_the_file_does_not_hide_its_first_statement() -> None:
    """A missing rollback section is reported at 1:1; the statement on line 1 is judged anyway."""
    codes = {d.code for d in lint("GRANT SELECT ON t TO reporting;\n")}
    assert codes == {"require-rollback-section", "ban-unlisted-operation"}


def test_a_domain_constraint_locks_every_table_using_the_domain(db_url: str) -> None:
    """What require-not-valid-constraint and ban-set-not-null say of ALTER DOMAIN, checked on
    the server: adding a CHECK, validating one, and SET NOT NULL each take SHARE (writes
    wait) on a table with a column of that type, for the rest of the transaction (PostgreSQL
    19 lowered the VALIDATE's lock)."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        version = conn.info.server_version
        conn.execute("CREATE DOMAIN positive AS int; CREATE TABLE uses_it (a positive)")
        with conn.transaction(force_rollback=True):  # NOT VALID: no lock on the table at all
            conn.execute("ALTER DOMAIN positive ADD CONSTRAINT nv CHECK (VALUE > 0) NOT VALID")
            assert not conn.execute(
                "SELECT mode FROM pg_locks WHERE relation = 'uses_it'::regclass"
            ).fetchall()
        conn.execute("ALTER DOMAIN positive ADD CONSTRAINT later CHECK (VALUE > 0) NOT VALID")
        for sql in (
            "ALTER DOMAIN positive ADD CONSTRAINT now CHECK (VALUE > -1)",
            "ALTER DOMAIN positive VALIDATE CONSTRAINT later",
            "ALTER DOMAIN positive SET NOT NULL",
        ):
            with conn.transaction(force_rollback=True):
                conn.execute(sql)
                modes = conn.execute(
                    "SELECT mode FROM pg_locks WHERE relation = 'uses_it'::regclass "
                    "AND pid = pg_backend_pid()"
                ).fetchall()
            if "VALIDATE" not in sql or version < 190000:
                assert ("ShareLock",) in modes, sql
            found = lint(sql + ";" + ROLLBACK, DEV)
            if "VALIDATE" not in sql:  # a NOT VALID domain CHECK is the way to get here
                assert {d.code for d in found} & {
                    "require-not-valid-constraint",
                    "ban-set-not-null",
                }, sql


def test_postgresql_refuses_a_new_enum_value_in_the_transaction_that_added_it(
    db_url: str,
) -> None:
    """What ban-new-enum-value-use says, checked on the server: each use the rule reports
    fails until the ADD VALUE commits; a COMMENT's text (not reported) does not."""
    import psycopg

    uses = {
        "INSERT INTO t VALUES ('x')": True,
        "SELECT 'x'::mood": True,
        "ALTER TABLE t ALTER COLUMN m SET DEFAULT 'x'": True,
        "CREATE INDEX ON t (m) WHERE m = 'x'": True,
        "COMMENT ON TYPE mood IS 'x'": False,
    }
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE TYPE mood AS ENUM ('a'); CREATE TABLE t (m mood)")
        for use, refused in uses.items():
            sql = f"ALTER TYPE mood ADD VALUE 'x';\n{use};"
            found = {d.code for d in lint(sql + ROLLBACK, DEV)}
            assert ("ban-new-enum-value-use" in found) is refused, use
            try:
                with conn.transaction(force_rollback=True):
                    conn.execute("ALTER TYPE mood ADD VALUE 'x'")
                    conn.execute(use)
                failed = False
            except psycopg.errors.UnsafeNewEnumValueUsage:
                failed = True
            assert failed is refused, use


def test_postgresql_refuses_concurrently_or_vacuum_inside_a_do_block(db_url: str) -> None:
    """What ban-concurrently-in-transaction says of a DO block, checked on the server."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a int)")
        for sql in (
            "DO $$ BEGIN CREATE INDEX CONCURRENTLY i ON t (a); END $$",
            "DO $$ BEGIN VACUUM t; END $$",
        ):
            with pytest.raises(psycopg.errors.ActiveSqlTransaction):
                conn.execute(sql)
            assert "ban-concurrently-in-transaction" in {
                d.code for d in lint(sql + ";" + ROLLBACK, DEV) if d.severity == "error"
            }


def test_postgresql_skips_the_not_null_scan_after_a_validated_check(db_url: str) -> None:
    """What ban-set-not-null accepts (the three steps in a no-transaction file), checked on
    the server: SET NOT NULL proves the column from the validated check and reads no row;
    with the check not yet validated it scans the table."""
    import psycopg

    steps = (
        "ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID",
        "ALTER TABLE t VALIDATE CONSTRAINT t_a_nn",
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
    )
    text = "-- reconciler:no-transaction\n" + ";\n".join(steps) + ";\n" + ROLLBACK
    assert "ban-set-not-null" not in {d.code for d in lint(text)}
    assert "ban-set-not-null" in {d.code for d in lint(text.replace(steps[1] + ";\n", ""))}
    with psycopg.connect(db_url, autocommit=True) as conn:
        said: list[str] = []
        conn.add_notice_handler(lambda d: said.append(str(d.message_primary)))
        conn.execute("CREATE TABLE t (a int, b int)")
        conn.execute("INSERT INTO t SELECT g, g FROM generate_series(1, 100) g")
        conn.execute("SET client_min_messages = debug1")
        for sql in steps:
            said.clear()  # what the last step (SET NOT NULL) said
            conn.execute(sql)
        assert any("sufficient to prove" in m for m in said), said
        assert not any(m.startswith("verifying table") for m in said), said
        said.clear()
        conn.execute("ALTER TABLE t ADD CONSTRAINT t_b_nn CHECK (b IS NOT NULL) NOT VALID")
        conn.execute("ALTER TABLE t ALTER COLUMN b SET NOT NULL")
        assert any(m.startswith("verifying table") for m in said), said


def _examples(rid: str) -> dict[str, list[str]]:
    """The SQL blocks a rule's page shows under "Reported" and under "Instead"."""
    text = (REPO / "docs" / "rules" / f"{rid}.md").read_text().split("## Example", 1)[1]
    found: dict[str, list[str]] = {"Reported": [], "Instead": []}
    for head, body in re.findall(
        r"\n(Reported|Instead)[^\n]*:\n(.*?)(?=\n(?:Reported|Instead)|\Z)", text, re.S
    ):
        found[head] += re.findall(r"```sql\n(.*?)```", body, re.S)
    return found


@pytest.mark.parametrize("rid", sorted(set(RULES) - {"require-safe-suffix"}))
def test_each_page_s_example_is_reported_and_its_alternative_is_not(rid: str) -> None:
    """A page's advice is followed as written: its alternative never draws the same rule
    (in a strict environment or elsewhere), and its reported example does."""
    examples = _examples(rid)
    assert examples["Reported"] and examples["Instead"], f"docs/rules/{rid}.md lacks examples"
    tail = "" if rid == "require-rollback-section" else ROLLBACK
    for sql in examples["Reported"]:
        codes = {d.code for cfg in (STRICT, DEV) for d in lint(sql + tail, cfg)}
        assert rid in codes, f"{rid}'s reported example is not reported:\n{sql}"
    for sql in examples["Instead"]:
        codes = {d.code for cfg in (STRICT, DEV) for d in lint(sql + ROLLBACK, cfg)}
        assert rid not in codes, f"{rid}'s own alternative is reported:\n{sql}"


def test_a_migration_kept_as_a_folder_is_told_to_rename_the_folder() -> None:
    src = parse_migration("m/20230101_init/migration.sql", "CREATE TABLE t (id bigint);\n")
    found = lint_migration(src, "20230101_init/migration.sql", False, STRICT)
    (hit,) = [d for d in found if d.code == "require-safe-suffix"]
    assert hit.message == "20230101_init must be named *_safe in this environment"
    assert hit.hint == (
        "rename the folder to 20230101_init_safe once the migration only holds safe operations"
    )


def test_names_are_written_schema_first_in_findings() -> None:
    """Found while reading pg_dump output: a qualified name's parts came out reversed
    ("f.app") and a function's argument types were part of its name."""
    sql = (
        "ALTER FUNCTION app.score(bigint) RENAME TO rank;\n"
        "ALTER DOMAIN public.email SET NOT NULL;\n" + ROLLBACK
    )
    messages = {d.code: d.message for d in lint(sql)}
    assert messages["ban-rename"].startswith("renaming function app.score breaks")
    assert "ALTER DOMAIN public.email SET NOT NULL" in messages["ban-set-not-null"]


def test_the_reconciler_schema_rule_guards_the_schema_bookkeeping_uses() -> None:
    """The rule keeps its own copy of the name (the pure core does not import the database
    edge): the two must not drift apart."""
    from reconciler.db.bookkeeping import SCHEMA
    from reconciler.sql.rules.ban_reconciler_schema import SCHEMA as GUARDED

    assert GUARDED == SCHEMA


def test_an_unreplaced_flyway_placeholder_says_how_to_give_it_a_value() -> None:
    (d,) = [
        x
        for x in lint("CREATE TABLE ${schema}.t (id bigint);" + ROLLBACK)
        if x.code == "unparsed-statement"
    ]
    assert "placeholder ${schema}, which nothing replaced" in d.message
    assert "migrations.placeholders" in (d.hint or "")


def test_a_play_evolutions_file_is_told_how_its_markers_become_comments() -> None:
    """Play's `# --- !Ups` / `# --- !Downs` lines are no SQL: each half is a syntax error (so
    nothing runs), and the hint says how the file becomes one this tool reads."""
    found = [
        x
        for x in lint(
            "# Users\n\n# --- !Ups\nCREATE TABLE u (id bigint);\n\n# --- !Downs\nDROP TABLE u;\n"
        )
        if x.code == "unparsed-statement"
    ]
    assert len(found) == 2
    assert all("`-- !Ups`, `-- !Downs`" in (d.hint or "") for d in found)
    (plain,) = [x for x in lint("SELEC 1;" + ROLLBACK) if x.code == "unparsed-statement"]
    assert "Play" not in (plain.hint or "")


def test_each_action_of_a_multi_action_alter_is_located_at_itself() -> None:
    """An ALTER TABLE's actions carry no location in PostgreSQL's parse tree; each finding
    about one points at the action (after the table's name, or after its comma), not at the
    ALTER's first line."""
    sql = (
        "ALTER TABLE u\n"
        "  ADD COLUMN a bigint,\n"
        "  ALTER COLUMN c SET NOT NULL,\n"
        "  ALTER COLUMN d DROP NOT NULL,\n"
        "  DROP COLUMN e;\n"
        'ALTER TABLE "s".u /* c, d */\n'
        "  ADD COLUMN z numeric(10, 2) DEFAULT 0,\n"
        "  SET UNLOGGED,\n"
        "  DROP CONSTRAINT k;\n"
        "ALTER TABLE u DROP COLUMN x;\n"
    )
    found = {(d.code, d.location.line, d.location.col) for d in lint(sql + ROLLBACK)}
    assert {
        ("ban-set-not-null", 3, 3),
        ("ban-drop-not-null", 4, 3),
        ("ban-drop-column", 5, 3),
        ("ban-blocking-maintenance", 8, 3),
        ("ban-unlogged-table", 8, 3),
        ("ban-drop-object", 9, 3),
        ("ban-drop-column", 10, 15),
    } <= found, sorted(found)


@pytest.mark.parametrize("end", ["COMMIT", "END", "ROLLBACK", "ABORT", "COMMIT AND CHAIN"])
def test_ending_the_files_transaction_cannot_be_waived(end: str) -> None:
    """A COMMIT or ROLLBACK in a file run as one transaction would leave it half-applied with
    a history that says otherwise: no ignore, override, emergency or environment relaxes it."""
    _never_waived("ban-transaction-control", f"{end};", "half-applied")


def _never_waived(rule: str, line: str, says: str) -> None:
    """``line`` (the file's third), under an ignore of ``rule``, is still an error in every
    environment, with the rule switched off and in an emergency."""
    sql = (
        "CREATE TABLE a (id bigint);\n"
        f"-- reconciler:ignore {rule} -- we know\n"
        f"{line}\nCREATE TABLE b (id bigint);\n" + ROLLBACK
    )
    for cfg in (
        STRICT,
        DEV,
        LintConfig(overrides={rule: "off"}),
        LintConfig(strict=True, emergency=True),
    ):
        ds = lint(sql, cfg)
        got = [d for d in ds if d.code == rule]
        assert [(d.severity, d.location.line if d.location else 0) for d in got] == [
            ("error", 3)
        ], (line, cfg)
        assert says in got[0].message
        assert not {"waived", "unused-ignore"} & {d.code for d in ds}


def test_transaction_control_that_stays_in_the_transaction_can_be_waived() -> None:
    # a savepoint stays inside the file's transaction; a no-transaction file runs statement
    # by statement, where the file's own BEGIN ... COMMIT is what keeps its block whole
    for sql in (
        "CREATE TABLE a (id bigint);\n"
        "-- reconciler:ignore ban-transaction-control -- retried insert\nSAVEPOINT s;\n",
        "-- reconciler:no-transaction\n-- reconciler:ignore ban-transaction-control -- block\n"
        "BEGIN;\nUPDATE t SET a = 1 WHERE id = 1;\n"
        "-- reconciler:ignore ban-transaction-control -- block\nCOMMIT;\n",
    ):
        ds = lint(sql + ROLLBACK, DEV)
        assert "ban-transaction-control" not in {d.code for d in ds}, ds
        assert "waived" in {d.code for d in ds}


@pytest.mark.parametrize(
    "meta", ["\\connect other_db", "\\c other_db", "\\i seed.sql", "\\if :big", "\\q", "\\gexec"]
)
def test_a_meta_command_that_changes_what_runs_cannot_be_waived(meta: str) -> None:
    """Set aside, these would make the file run other statements (or elsewhere) than psql
    would: an error whatever the ignore or policy says."""
    _never_waived("ban-psql-meta-command", meta, "no ignore")


@pytest.mark.parametrize(
    "meta", ["\\set VERBOSITY verbose", "\\restrict abc", "\\dt", "\\echo hi", "\\o /dev/null"]
)
def test_a_meta_command_that_only_configures_psql_can_be_waived(meta: str) -> None:
    sql = (
        "CREATE TABLE a (id bigint);\n"
        "-- reconciler:ignore ban-psql-meta-command -- only psql's\n"
        f"{meta}\nCREATE TABLE b (id bigint);\n" + ROLLBACK
    )
    codes = {d.code for d in lint(sql, DEV)}
    assert "ban-psql-meta-command" not in codes and "waived" in codes


@pytest.mark.parametrize(
    ("sql", "where"),
    [
        ("CREATE TABLE a (id bigint);\nCREATE TABLEX b (id bigint);", (2, 8)),
        # a character offset after non-ASCII text is still the right column
        ("SELECT 1;\n  SELECT 'ééé' FROM WHERE;", (2, 21)),
        # run out of input: at its last character
        ("CREATE TABLE c (id bigint\n\n", (1, 25)),
    ],
)
def test_a_syntax_error_is_located_where_postgresql_stopped(
    sql: str, where: tuple[int, int]
) -> None:
    ds = [d for d in lint(sql, DEV) if d.code == "unparsed-statement"]
    assert [(d.location.line, d.location.col) for d in ds if d.location] == [where]
    assert "fix the SQL here" in ds[0].hint


def test_drop_default_says_why() -> None:
    ds = lint(
        'ALTER TABLE "e" ADD COLUMN "rating" integer DEFAULT 0 NOT NULL;\n'
        'ALTER TABLE "e" ALTER COLUMN "rating" DROP DEFAULT;' + ROLLBACK
    )
    got = [d for d in ds if d.code == "ban-unlisted-operation"]
    assert len(got) == 1 and "DROP DEFAULT of column rating" in got[0].message
    assert got[0].location is not None and (got[0].location.line, got[0].location.col) == (2, 17)


def test_a_psql_set_whose_variable_the_file_uses_says_where_the_value_goes() -> None:
    """`\\set schema app` then `:schema`: the value belongs under migrations.placeholders;
    a `\\set` of a variable nothing uses is only to be deleted."""
    found = {
        (d.location.line if d.location else 0): d
        for d in lint("\\set schema app\nCREATE SCHEMA :schema;\n\\set unused 1\n")
        if d.code == "ban-psql-meta-command"
    }
    assert sorted(found) == [1, 2, 3]
    assert found[1].hint is not None and "the file uses :schema" in found[1].hint
    assert found[3].hint is not None and found[3].hint.startswith("delete the line")
    assert found[2].message.startswith(":schema is a psql variable")


def test_a_call_says_whether_the_functions_body_is_in_the_file() -> None:
    """A call at migration time to a function this file creates says so (its body is right
    there, and runs now); one made elsewhere says its body is out of sight; both, each."""
    made = (
        "CREATE FUNCTION app.purge() RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN DELETE FROM app.jobs WHERE done; END $$;\n"
    )

    def said(sql: str) -> str:
        (d,) = [d for d in lint(sql + ROLLBACK) if d.code == "ban-unlisted-operation"]
        return d.message

    here = said(made + "SELECT app.purge();\n")
    assert "app.purge() at migration time, which this file creates" in here
    assert "not in this file" not in here
    away = said("SELECT app.other();\n")
    assert "app.other() at migration time" in away and "body is not in this file" in away
    both = said(made + "SELECT app.purge(), app.other();\n")
    assert "calls app.other() at migration time" in both and "body is not in this file" in both
    assert "and app.purge(), which this file creates" in both


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        ("CHECKPOINT;", "CHECKPOINT is not on the list"),
        ("ALTER EVENT TRIGGER et DISABLE;", "ALTER EVENT TRIGGER is not on the list"),
        ("CREATE LANGUAGE plx HANDLER plx_call;", "CREATE LANGUAGE is not on the list"),
        ("CREATE ACCESS METHOD am TYPE TABLE HANDLER h;", "CREATE ACCESS METHOD is not on"),
    ],
)
def test_a_statement_off_the_list_is_named_as_sql_spells_it(sql: str, said: str) -> None:
    """The parser's node names (CheckPointStmt, AlterEventTrigStmt) are no SQL a user wrote."""
    assert any(said in d.message for d in lint(sql + ROLLBACK)), [d.message for d in lint(sql)]


def test_a_psql_variable_is_reported_once_where_first_used_with_its_other_lines() -> None:
    """A schema variable stands in every statement: one finding per variable, at its first
    use, naming the lines of the others (one per use would bury every other finding)."""
    sql = (
        "CREATE TABLE :schema.jobs (id bigint);\n"
        "CREATE INDEX jobs_id ON :schema.jobs (id);\n"
        'GRANT SELECT ON :schema.jobs TO :"reader";\n'
    )
    found = [d for d in lint(sql + ROLLBACK) if d.code == "ban-psql-meta-command"]
    assert [(d.location.line, d.location.col) for d in found if d.location] == [(1, 14), (3, 33)]
    assert "(used 2 more time(s) in this file: line(s) 2, 3)" in found[0].message
    assert found[1].message.startswith(':"reader" is a psql variable') and "more time" not in (
        found[1].message
    )
