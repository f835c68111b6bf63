"""Flyway's placeholders: ${name} in migrations replaced by the environment's values before a
file is checked, checksummed and run; an unknown one is a located error (pure: in-memory)."""

from __future__ import annotations

import pytest

from reconciler.manifest import MemoryFiles, load_environment
from reconciler.sql.migration import checksum
from tests.manifest.test_load_errors import ENV, errors, tree

PLACED = ENV.replace(
    "  target: latest\n",
    "  target: latest\n  placeholders:\n    schema: app\n    owner: app_owner\n    n: 3\n"
    "    flag: true\n",
)
MIG = (
    "-- Description: x\n"
    "CREATE TABLE ${schema}.t (id bigint, n int DEFAULT ${n}, f boolean DEFAULT ${flag});\n"
    "ALTER TABLE ${schema}.t OWNER TO ${OWNER}; -- ${flyway:filename}\n"
)


def test_placeholders_are_replaced_in_what_is_checked_and_run() -> None:
    d = load_environment("env/dev.yaml", tree(env__dev_DOT_yaml=PLACED, m__0001_init_DOT_sql=MIG))
    (m,) = d.migrations
    assert [s.code for s in m.source.statements] == [
        "CREATE TABLE app.t (id bigint, n int DEFAULT 3, f boolean DEFAULT true)",
        "ALTER TABLE app.t OWNER TO app_owner",  # names match regardless of case, as in Flyway
    ]
    assert "-- 0001_init.sql" in m.source.text  # the built-in flyway:filename
    # the checksum is of the SQL that runs: another value is another migration
    assert m.checksum == checksum(m.source.text) != checksum(MIG)
    other = load_environment(
        "env/dev.yaml",
        tree(
            env__dev_DOT_yaml=PLACED.replace("schema: app", "schema: app2"),
            m__0001_init_DOT_sql=MIG,
        ),
    )
    assert other.migrations[0].checksum != m.checksum
    assert "app2.t" in other.migrations[0].source.statements[0].code


def test_without_placeholders_the_text_is_left_alone() -> None:
    text = (
        "-- Description: x\nCREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '${x}' $$;\n"
    )
    d = load_environment("env/dev.yaml", tree(m__0001_init_DOT_sql=text))
    assert "'${x}'" in d.migrations[0].source.text


def test_an_unknown_placeholder_is_a_located_error() -> None:
    text = "-- Description: x\nCREATE TABLE t (id bigint);\nGRANT SELECT ON t TO ${reader};\n"
    (e,) = errors(tree(env__dev_DOT_yaml=PLACED, m__0001_init_DOT_sql=text))
    assert e.startswith("m/0001_init.sql:3:22: error[unknown-placeholder]: placeholder ${reader}")
    assert "migrations.placeholders" in e and "defined: flag, n, owner, schema" in e
    # one of Flyway's own (filled from its settings) says how to give Flyway's value here,
    # and once given, it is read as any other
    text = "-- Description: x\nCREATE TABLE ${flyway:defaultSchema}.t (id bigint);\n"
    (e,) = errors(tree(env__dev_DOT_yaml=PLACED, m__0001_init_DOT_sql=text))
    assert 'give it the value Flyway would, as "flyway:defaultSchema": ...' in e, e
    env = PLACED.replace("    schema: app\n", '    schema: app\n    "flyway:defaultSchema": app\n')
    d = load_environment("env/dev.yaml", tree(env__dev_DOT_yaml=env, m__0001_init_DOT_sql=text))
    assert d.migrations[0].source.statements[0].code == "CREATE TABLE app.t (id bigint)"


@pytest.mark.parametrize("value", ['"a\\nb"', '"a\\rb"'])
def test_a_value_that_adds_a_line_or_a_nul_is_refused(value: str) -> None:
    env = PLACED.replace("schema: app", f"schema: {value}")
    found = errors(tree(env__dev_DOT_yaml=env, m__0001_init_DOT_sql=MIG))
    assert any("error[bad-placeholder]: placeholder 'schema'" in e for e in found), found
    assert any(e.startswith("env/dev.yaml:8:13:") for e in found), found


def test_another_prefix_and_suffix() -> None:
    env = PLACED.replace(
        "  placeholders:\n",
        "  placeholder_prefix: '#['\n  placeholder_suffix: ']'\n  placeholders:\n",
    )
    text = "-- Description: x\nCREATE TABLE #[schema].t (id bigint, s text DEFAULT '${kept}');\n"
    d = load_environment("env/dev.yaml", tree(env__dev_DOT_yaml=env, m__0001_init_DOT_sql=text))
    assert d.migrations[0].source.statements[0].code == (
        "CREATE TABLE app.t (id bigint, s text DEFAULT '${kept}')"
    )


def test_psql_variables_with_an_empty_suffix() -> None:
    """placeholder_prefix ':' and an empty suffix: psql's -v variables (graphile-migrate's
    :NAME placeholders): :name as written, :'name' a string literal, :"name" an identifier;
    case-sensitive; casts, array slices, := and a name without a value are left alone."""
    env = PLACED.replace(
        "  placeholders:\n",
        "  placeholder_prefix: ':'\n  placeholder_suffix: ''\n  placeholders:\n"
        '    NOTE: "it\'s"\n    ROLE: \'Read "Only"\'\n',
    ).replace("schema: app", "SCHEMA: app")
    text = (
        "-- Description: x\n"
        "CREATE TABLE :SCHEMA.t (id bigint, s text DEFAULT :'NOTE', a int[], n int DEFAULT :n);\n"
        'GRANT SELECT ON :SCHEMA.t TO :"ROLE";\n'
        "SELECT a[1:n], '10:30'::time, :schema FROM :SCHEMA.t;\n"
        "CREATE FUNCTION :SCHEMA.f() RETURNS int LANGUAGE plpgsql AS $$\n"
        "DECLARE x int; BEGIN x := 1; RETURN (SELECT count(*)::int FROM :SCHEMA.t); END $$;\n"
    )
    d = load_environment("env/dev.yaml", tree(env__dev_DOT_yaml=env, m__0001_init_DOT_sql=text))
    codes = [s.code for s in d.migrations[0].source.statements]
    assert codes[0] == (
        "CREATE TABLE app.t (id bigint, s text DEFAULT 'it''s', a int[], n int DEFAULT 3)"
    )
    assert codes[1] == 'GRANT SELECT ON app.t TO "Read ""Only"""'
    assert codes[2] == "SELECT a[1:n], '10:30'::time, :schema FROM app.t"  # (case-sensitive)
    assert "x := 1" in codes[3] and "FROM app.t" in codes[3]


def test_files_from_memory_are_not_touched() -> None:
    files = tree(env__dev_DOT_yaml=PLACED, m__0001_init_DOT_sql=MIG)
    assert isinstance(files, MemoryFiles)
    load_environment("env/dev.yaml", files)
    assert files.read_text("m/0001_init.sql") == MIG


def test_values_that_would_make_the_file_huge_are_refused_before_it_is_built() -> None:
    """A long value used many times is a placeholder bomb: refused as file-too-large, with the
    size reckoned before any text is built."""
    env = PLACED.replace("schema: app", "schema: " + "a" * 100_000)
    _refused_as_too_large(env, "-- Description: x\n" + "COMMENT ON TABLE t IS '${schema}';\n" * 200)


def test_psql_variables_that_would_make_the_file_huge_are_refused_too() -> None:
    """The same bomb through psql's variables (:'schema' quoted doubles each quote in it)."""
    env = PLACED.replace(
        "  placeholders:\n",
        "  placeholder_prefix: ':'\n  placeholder_suffix: ''\n  placeholders:\n",
    ).replace("schema: app", 'schema: "' + "'" * 100_000 + '"')
    _refused_as_too_large(env, "-- Description: x\n" + "COMMENT ON TABLE t IS :'schema';\n" * 60)


def _refused_as_too_large(env: str, text: str) -> None:
    found = errors(tree(env__dev_DOT_yaml=env, m__0001_init_DOT_sql=text))
    assert any(
        e.startswith("m/0001_init.sql: error[file-too-large]: 0001_init.sql is larger than 10 MB")
        for e in found
    ), found
