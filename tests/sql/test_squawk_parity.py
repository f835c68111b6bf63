"""Parity with squawk (squawk-cli from PyPI): every case squawk flags for a rule family we
cover is blocked here in a strict environment; style families are at least reported."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from tests.sql.cases import CASES
from tests.sql.test_rules import ROLLBACK, lint

# squawk rule -> our rules that cover the same danger (blocking in strict environments)
SAFETY = {
    "adding-required-field": {"require-add-column-default"},
    "adding-not-nullable-field": {"ban-set-not-null"},
    "adding-field-with-default": {"ban-volatile-default"},
    "adding-foreign-key-constraint": {"require-not-valid-constraint"},
    "constraint-missing-not-valid": {"require-not-valid-constraint", "require-unique-using-index"},
    "disallowed-unique-constraint": {"require-unique-using-index"},
    "adding-serial-primary-key-field": {"require-unique-using-index", "ban-volatile-default"},
    "ban-drop-column": {"ban-drop-column"},
    "ban-drop-table": {"ban-drop-table"},
    "ban-drop-database": {"ban-drop-object"},
    "ban-truncate-cascade": {"ban-truncate"},
    "changing-column-type": {"ban-alter-column-type"},
    "renaming-column": {"ban-rename"},
    "renaming-table": {"ban-rename"},
    "require-concurrent-index-creation": {"require-concurrent-index"},
    "require-concurrent-index-deletion": {"require-concurrent-index"},
    "ban-concurrent-index-creation-in-transaction": {"ban-concurrently-in-transaction"},
    "transaction-nesting": {"ban-transaction-control"},
    "ban-drop-not-null": {"ban-drop-not-null"},
    "ban-alter-domain-with-add-constraint": {"require-not-valid-constraint"},
}
# style families: squawk warns, we warn
STYLE = {
    "prefer-bigint-over-int": "prefer-bigint",
    "prefer-identity": "prefer-identity",
    "prefer-text-field": "prefer-text",
    "prefer-timestamptz": "prefer-timestamptz",
}


def _on_new_table(sql: str) -> bool:
    """The flagged statement works on a table (or drops an object) created earlier in the same
    file. We exempt those on purpose (nobody can be using it yet, it holds nothing older);
    squawk, reading statements one by one, does not."""
    m = re.match(
        r"\s*(?:(?:SET|SELECT) [^;]*;\s*)*CREATE (?:TEMP |TEMPORARY |UNLOGGED )?"
        r"(?:TABLE|TYPE|VIEW|MATERIALIZED VIEW|SEQUENCE|DOMAIN|INDEX(?: CONCURRENTLY)?) ([\w.]+)[^;]*;",
        sql,
        re.IGNORECASE,
    )
    name = m.group(1).rpartition(".")[2] if m else ""
    return bool(m) and re.search(rf"\b{name}\b", sql[m.end() :] if m else "") is not None


def _non_volatile_default(rule: str, sql: str) -> bool:
    """squawk flags any function-call default; PostgreSQL 11+ stores a non-volatile one without
    rewriting the table. We judge by the catalog (reconciler.sql.nonvolatile) on purpose."""
    from reconciler.sql.rules.ban_volatile_default import volatile_calls

    m = re.search(r"\bDEFAULT\b(.*)", sql, re.IGNORECASE)
    return (
        rule == "adding-field-with-default" and bool(m) and not volatile_calls(m.group(1).upper())
    )


def _domain_check_not_valid(rule: str, sql: str) -> bool:
    """squawk flags every ALTER DOMAIN ... ADD CONSTRAINT; one added NOT VALID takes no lock on
    the tables using the domain and scans nothing (checked in test_rules), so we allow it."""
    return rule == "ban-alter-domain-with-add-constraint" and "NOT VALID" in sql.upper()


def test_every_case_squawk_flags_in_a_covered_family_is_blocked_here(tmp_path: Path) -> None:
    squawk = shutil.which("squawk")
    squawk = str(Path(squawk).resolve()) if squawk else None
    assert squawk, "squawk-cli is a test dependency (pip install -e '.[test]')"
    paths = []
    for n, case in enumerate(CASES):
        p = tmp_path / f"case_{n:03d}.sql"
        p.write_text(case.sql + (ROLLBACK if case.rollback else ""))
        paths.append(p)
    r = subprocess.run(
        [squawk, "--reporter", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    found = json.loads(r.stdout or "[]")
    assert found, r.stderr
    compared = 0
    problems = []
    for v in found:
        n = int(Path(v["file"]).stem.split("_")[1])
        case = CASES[n]
        ours = lint(case.sql + (ROLLBACK if case.rollback else ""), filename=case.filename)
        rule = v["rule_name"]
        if (
            _on_new_table(case.sql)
            or _non_volatile_default(rule, case.sql)
            or _domain_check_not_valid(rule, case.sql)
        ):
            continue
        if rule in SAFETY:
            compared += 1
            if not any(d.severity == "error" for d in ours):
                problems.append(f"squawk {rule} on {case.sql!r}: not blocked here")
            elif not any(
                d.code in SAFETY[rule] or d.code == "ban-unlisted-operation" for d in ours
            ):
                problems.append(
                    f"squawk {rule} on {case.sql!r}: blocked, but not by {SAFETY[rule]}"
                )
        elif rule in STYLE:
            compared += 1
            if not any(d.code in (STYLE[rule], "unparsed-statement") for d in ours):
                problems.append(f"squawk {rule} on {case.sql!r}: we do not report {STYLE[rule]}")
    assert not problems, "\n".join(problems)
    assert compared >= 40, f"only {compared} squawk findings were in families we cover"
