"""What earlier migrations proved (reconciler.sql.proofs): a CHECK (col IS NOT NULL) validated
in one migration lets a later migration's SET NOT NULL through, as PostgreSQL skips its scan."""

from __future__ import annotations

from reconciler.sql.migration import parse_migration
from reconciler.sql.proofs import DOMAIN, history_proofs
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
