"""Every kind of bad desired state gets a located error with a hint (pure: in-memory files)."""

from __future__ import annotations

import re

import pytest

from reconciler.errors import ManifestError, format_diagnostic
from reconciler.manifest import MemoryFiles, load_environment

ENV = """\
name: dev
database:
  url_from_env: DATABASE_URL_DEV
migrations:
  dir: ../m
  target: latest
config:
  files: [../config/*.yaml]
forum_map: ../forum.yaml
"""
MIG = (
    "-- Description: x\nCREATE TABLE t (id int);\n-- Rollback instructions:\n-- 1. DROP TABLE t;\n"
)
CONFIG = "category: xp\nentries:\n  daily_cap:\n    value: 10\n    type: integer\n    min: 0\n    max: 100\n"
FORUM = "zones:\n  - slug: a\n    name: A\n    forums:\n      - slug: b\n        name: B\n"


def tree(**over: str | bytes | None) -> MemoryFiles:
    files: dict[str, str | bytes | None] = {
        "env/dev.yaml": ENV,
        "m/0001_init.sql": MIG,
        "config/xp.yaml": CONFIG,
        "forum.yaml": FORUM,
    }
    files.update({k.replace("__", "/").replace("_DOT_", "."): v for k, v in over.items()})
    return MemoryFiles({k: v for k, v in files.items() if v is not None})


def errors(files: MemoryFiles) -> list[str]:
    with pytest.raises(ManifestError) as ei:
        load_environment("env/dev.yaml", files)
    return [format_diagnostic(d) for d in ei.value.diagnostics]


def test_sample_tree_loads() -> None:
    d = load_environment("env/dev.yaml", tree())
    assert [m.version for m in d.migrations] == ["0001"]
    assert d.config is not None and d.config[0].value == 10
    assert d.forums is not None
    assert [(f.slug, f.parent_slug, f.kind) for f in d.forums] == [
        ("a", None, "zone"),
        ("b", "a", "forum"),
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"env__dev_DOT_yaml": ENV + "  bad: [\n"}, "env/dev.yaml:10:6: error[yaml-syntax]"),
        (
            {"env__dev_DOT_yaml": ENV.replace("target: latest", "target: latest\n  target: x")},
            "env/dev.yaml:7:3: error[duplicate-key]",
        ),
        (
            {"env__dev_DOT_yaml": ENV.replace("forum_map", "forum_mapp")},
            "env/dev.yaml:9:1: error[unknown-key]: unknown key 'forum_mapp'\n  help: did you mean 'forum_map'?",
        ),
        (
            {"env__dev_DOT_yaml": ENV.replace("  target: latest", "  target: latest\n  dirs: x")},
            "env/dev.yaml:7:3: error[unknown-key]: unknown key 'migrations.dirs'",
        ),
        (
            {"env__dev_DOT_yaml": ENV + "policy:\n  lock_timeout: soon\n"},
            "env/dev.yaml:11:17: error[wrong-type]: policy.lock_timeout: 'soon' is not a duration",
        ),
        (
            {"env__dev_DOT_yaml": ENV + "policy:\n  auto_apply: maybe\n"},
            "env/dev.yaml:11:15: error[wrong-type]: policy.auto_apply",
        ),
        (
            {"env__dev_DOT_yaml": ENV.replace("migrations:\n  dir: ../m\n  target: latest\n", "")},
            "error[missing-key]: missing required key 'migrations'",
        ),
        (
            {"forum_DOT_yaml": None},
            "env/dev.yaml:9:12: error[missing-file]: forum map forum.yaml does not exist",
        ),
        (  # a bad key is located at the key, not at the first entry of its mapping
            {"config__xp_DOT_yaml": CONFIG + "  Daily-Cap:\n    value: 1\n    type: integer\n"},
            "config/xp.yaml:8:3: error[bad-key]: entries: key 'Daily-Cap' is not lower_snake_case",
        ),
        (
            {"env__dev_DOT_yaml": ENV.replace("../config/*.yaml", "../conf/*.yaml")},
            "env/dev.yaml:8:11: error[bad-glob]: config.files pattern '../conf/*.yaml' matches no file",
        ),
        (
            {"m__0001_other_DOT_sql": MIG},
            "m/0001_other.sql: error[duplicate-version]: version 0001 is used twice",
        ),
        ({"m__Bad-Name_DOT_sql": MIG}, "m/Bad-Name.sql: error[bad-file-name]"),
        (
            {
                "env__dev_DOT_yaml": ENV.replace(
                    "url_from_env: DATABASE_URL_DEV", "url_from_env: postgres://app:hunter2@db/x"
                )
            },
            "env/dev.yaml:3:17: error[literal-secret]: database.url_from_env: a connection string with a password is written here",
        ),
        (
            {"env__dev_DOT_yaml": ENV + "neon: {project_id: p, password: hunter2}\n"},
            "env/dev.yaml:10:33: error[literal-secret]: neon.password: key 'password' holds a literal secret",
        ),
        (
            {
                "config__xp_DOT_yaml": CONFIG
                + "  smtp_password:\n    value: Pa55w0rd!xyz\n    type: string\n"
            },
            "config/xp.yaml:9:12: error[literal-secret]: entries.smtp_password.value: config "
            "entry 'smtp_password' holds a literal secret",
        ),
        (
            {"config__xp_DOT_yaml": CONFIG.replace("value: 10", "value: 1000")},
            "config/xp.yaml:4:12: error[bad-config-value]: xp.daily_cap: 1000 is above the maximum 100",
        ),
        (
            {"config__xp_DOT_yaml": CONFIG.replace("value: 10", "value: ten")},
            "config/xp.yaml:4:12: error[bad-config-value]: xp.daily_cap: must be of type integer, not text",
        ),
        (
            {
                "env__dev_DOT_yaml": ENV
                + "policy:\n  rules: {ban-delete: off, prefer-bigints: error}\n"
            },
            "env/dev.yaml:11:28: error[unknown-rule]: policy.rules names 'prefer-bigints', which is "
            "no rule\n  help: did you mean 'prefer-bigint'?",
        ),
        (
            {
                "env__dev_DOT_yaml": ENV
                + "policy:\n  approvals: {required: 3, approvers: [alice, bob, alice]}\n"
            },
            "env/dev.yaml:11:52: error[duplicate-approver]: approver 'alice' is listed twice",
        ),
        (
            {
                "env__dev_DOT_yaml": ENV
                + "policy:\n  approvals: {required: 3, approvers: [alice, bob, alice]}\n"
            },
            "env/dev.yaml:11:25: error[unsatisfiable-approvals]: policy.approvals.required is 3, "
            "but 2 distinct approver(s) are listed: no plan could ever be approved",
        ),
        (
            {"env__dev_DOT_yaml": ENV + "policy:\n  approvals: {required: 1}\n"},
            "env/dev.yaml:11:25: error[unsatisfiable-approvals]: policy.approvals.required is 1, "
            "but 0 distinct approver(s) are listed",
        ),
        (
            {"env__dev_DOT_yaml": ENV + "policy:\n  backup: {provider: neon}\n"},
            "env/dev.yaml:11:22: error[missing-neon]: policy.backup.provider is neon, but the "
            "environment has no neon: section",
        ),
        (
            {"env__dev_DOT_yaml": ENV + "policy:\n  strict: true\n  lock_timeout: 0\n"},
            "env/dev.yaml:12:17: error[no-lock-timeout]: policy.lock_timeout is 0 (none) in a "
            "strict environment",
        ),
        (
            {"config__xp_DOT_yaml": CONFIG.replace("value: 10", "value: '10'")},
            "config/xp.yaml:4:12: error[bad-config-value]: xp.daily_cap: must be of type integer, not "
            "text ('10' is quoted: write the number without quotes)",
        ),
        (
            {
                "config__xp_DOT_yaml": CONFIG.replace("value: 10", "value: on").replace(
                    "type: integer\n    min: 0\n    max: 100", "type: boolean"
                )
            },
            "config/xp.yaml:4:12: error[bad-config-value]: xp.daily_cap: must be of type boolean, not "
            "text ('on' is text in YAML 1.2: write true or false)",
        ),
        (
            {
                "env__dev_DOT_yaml": ENV.replace(
                    "files: [../config/*.yaml]",
                    "files: [../config/*.yaml]\n  overrides: {xp: {daily_cab: 5}}",
                )
            },
            "env/dev.yaml:9:20: error[unknown-override]: override xp.daily_cab names no config entry\n"
            "  help: did you mean xp.daily_cap?",
        ),
        (
            {
                "env__dev_DOT_yaml": ENV.replace(
                    "files: [../config/*.yaml]",
                    "files: [../config/*.yaml]\n  overrides: {xp: {daily_cap: -1}}",
                )
            },
            "env/dev.yaml:9:31: error[bad-config-value]: override xp.daily_cap: -1 is below the minimum 0",
        ),
        (
            {"env__dev_DOT_yaml": ENV.replace("target: latest", "target: 0001_inti")},
            "env/dev.yaml:6:11: error[unknown-target]: migrations.target '0001_inti' names no migration file\n"
            "  help: did you mean '0001_init'?",
        ),
        (
            {"forum_DOT_yaml": FORUM + "  - slug: b\n    name: again\n"},
            "forum.yaml:7:11: error[duplicate-slug]: forum slug 'b' is used twice",
        ),
        (
            {"forum_DOT_yaml": "zones:\n  - slug: A B\n    name: x\n"},
            "forum.yaml:2:11: error[wrong-type]: zones.0.slug: String should match pattern",
        ),
        (
            {"m__0002_bin_DOT_sql": b"SELECT '\xff\xfe';"},
            "m/0002_bin.sql: error[not-utf8]: m/0002_bin.sql is not UTF-8",
        ),
        (
            {"m__0002_empty_DOT_sql": "-- nothing here\n"},
            "m/0002_empty.sql:1:1: error[empty-migration]",
        ),
        (
            {"m__0002_open_DOT_sql": "SELECT $x$ never closed;\n"},
            "m/0002_open.sql:1:8: error[unterminated-dollar-quote]",
        ),
        (
            {"env__dev_DOT_yaml": ENV.replace("name: dev", "name: prod")},
            "env/dev.yaml:1:7: error[name-mismatch]",
        ),
        (
            {"env__dev_DOT_yaml": "- just\n- a list\n"},
            "env/dev.yaml:1:1: error[wrong-type]: expected a mapping",
        ),
    ],
)
def test_bad_input_is_located(files: dict[str, str | bytes | None], expected: str) -> None:
    text = "\n".join(errors(tree(**files)))
    assert expected in text


def test_all_problems_reported_together() -> None:
    errs = errors(
        tree(
            **{
                "m__0001_other_DOT_sql": MIG,
                "config__xp_DOT_yaml": CONFIG.replace("value: 10", "value: 1000"),
            }
        )
    )
    assert any("duplicate-version" in e for e in errs)
    assert any("bad-config-value" in e for e in errs)


def test_missing_environment_file() -> None:
    with pytest.raises(ManifestError) as ei:
        load_environment("env/qa.yaml", tree())
    assert "environment file env/qa.yaml does not exist" in ei.value.message


def test_target_by_version_and_stem() -> None:
    t = tree(
        **{
            "m__0002_more_safe_DOT_sql": MIG,
            "env__dev_DOT_yaml": ENV.replace("target: latest", "target: 0001"),
        }
    )
    assert [m.version for m in load_environment("env/dev.yaml", t).wanted] == ["0001"]
    t = tree(
        **{
            "m__0002_more_safe_DOT_sql": MIG,
            "env__dev_DOT_yaml": ENV.replace("target: latest", "target: 0002_more_safe"),
        }
    )
    d = load_environment("env/dev.yaml", t)
    assert [m.version for m in d.wanted] == ["0001", "0002"] and d.migrations[1].safe


def test_overrides_replace_values() -> None:
    t = tree(
        **{
            "env__dev_DOT_yaml": ENV.replace(
                "files: [../config/*.yaml]",
                "files: [../config/*.yaml]\n  overrides: {xp: {daily_cap: 42}}",
            )
        }
    )
    d = load_environment("env/dev.yaml", t)
    assert d.config is not None and d.config[0].value == 42


def test_durations() -> None:
    t = tree(
        **{"env__dev_DOT_yaml": ENV + "policy: {lock_timeout: 1500ms, statement_timeout: 10min}\n"}
    )
    p = load_environment("env/dev.yaml", t).env.policy
    assert (p.lock_timeout, p.statement_timeout) == (1500, 600_000)


def test_repository_environments_load() -> None:
    from reconciler.files import LocalFiles
    from tests.conftest import REPO

    for env in ("dev", "staging", "prod"):
        d = load_environment(str(REPO / "environments" / f"{env}.yaml"), LocalFiles())
        assert d.config and d.forums and len(d.migrations) >= 6
        assert any(m.source.no_transaction for m in d.migrations)


def test_the_quick_clean_pass_agrees_with_the_located_search() -> None:
    """The pass that lets clean data skip the located search finds exactly what it finds."""
    import random

    from reconciler.manifest import load as L
    from reconciler.sql import secrets

    leaves = [
        "plain",
        "",
        "postgres://app:hunter2@db.example.com/app",
        "ghp_" + "a" * 36,
        "AKIA" + "B" * 16,
        0,
        7,
        2**53,
        -(2**60),
        True,
        None,
        1.5,
    ]
    keys = ["name", "password", "api_token", "secret", "value", 3, "passwordless_hint"]
    rnd = random.Random(7)

    def tree(depth: int) -> object:
        pick = rnd.random()
        if depth > 3 or pick < 0.4:
            return rnd.choice(leaves)
        if pick < 0.7:
            return [tree(depth + 1) for _ in range(rnd.randint(0, 3))]
        return {rnd.choice(keys): tree(depth + 1) for _ in range(rnd.randint(0, 3))}

    seen = {True: 0, False: 0}
    for _ in range(2000):
        data = tree(0)
        found = bool(list(L.find_secret(data)) or list(L._unsafe_numbers(data)))
        clean = L._clean(data, secrets.SECRET_KEYS.match, secrets.find)
        assert clean is not found, data
        seen[clean] += 1
    assert min(seen.values()) > 200  # both outcomes exercised


def test_a_missing_environment_names_the_ones_there() -> None:
    with pytest.raises(ManifestError) as ei:
        load_environment("env/prod.yaml", tree())
    assert ei.value.diagnostics[0].hint == "environments here: dev"
    with pytest.raises(ManifestError) as ei:
        load_environment("nowhere/dev.yaml", tree())
    assert "--root" in (ei.value.diagnostics[0].hint or "")


def test_migrations_kept_as_folders_by_another_tool_are_read() -> None:
    """Prisma's <version>_<name>/migration.sql (beside its migration_lock.toml) and Diesel's
    <yyyy-mm-dd-hhmmss>_<name>/up.sql: a history in either layout is read as it is kept."""
    files = tree(
        **{
            "m__0001_init_DOT_sql": None,
            "m__20230101000000_init__migration_DOT_sql": "CREATE TABLE a (id bigint);\n",
            "m__20230201000000_add_b__migration_DOT_sql": "ALTER TABLE a ADD COLUMN b text;\n",
            "m__migration_lock_DOT_toml": 'provider = "postgresql"\n',
            "m__2023-03-01-000000_create_c__up_DOT_sql": "CREATE TABLE c (id bigint);\n",
            "m__2023-03-01-000000_create_c__down_DOT_sql": "DROP TABLE c;\n",
        }
    )
    d = load_environment("env/dev.yaml", files)
    assert [(m.version, m.name, m.filename, m.stem) for m in d.migrations] == [
        ("20230101000000", "init", "20230101000000_init/migration.sql", "20230101000000_init"),
        ("20230201000000", "add_b", "20230201000000_add_b/migration.sql", "20230201000000_add_b"),
        (
            "20230301000000",
            "create_c",
            "2023-03-01-000000_create_c/up.sql",
            "2023-03-01-000000_create_c",
        ),
    ]
    assert [len(m.source.statements) for m in d.migrations] == [1, 1, 1]
    # a folder of SQL files that is no migration is still reported, not passed over
    errs = errors(tree(**{"m__deploy__users_DOT_sql": "CREATE TABLE u (id bigint);\n"}))
    assert any("error[nested-migrations]" in e for e in errs)
    # nor is a history one level further down (migrations.dir naming prisma/ for
    # prisma/migrations, or a sqitch project's parent): said with the folder to name
    for deeper in (
        {  # (m is prisma/ here)
            "schema.prisma": "model A {}\n",
            "migrations/migration_lock.toml": 'provider = "postgresql"\n',
            "migrations/20230101000000_init/migration.sql": "CREATE TABLE a (id int);\n",
        },
        {"db/sqitch.plan": "a 2024-01-01T00:00:00Z A <a@b>\n", "db/deploy/a.sql": "SELECT 1;\n"},
    ):
        (e,) = _errors_as(deeper)
        folder = "m/migrations" if "schema.prisma" in deeper else "m/db"
        assert e.startswith(f"{folder}: error[nested-migrations]: "), e
        assert f"point migrations.dir at {folder}" in e, e


def test_prisma_folders_numbered_by_hand_are_read_in_prisma_s_order() -> None:
    """Folders numbered 01_, 02_ (umami's history) are migrations; a date without a time
    (20260108_, LiteLLM's) runs where Prisma's name order puts it, after that day's
    timestamps; a name in words is read as snake_case; the folder's name names it."""
    assert _read_as_folders(["01_init", "02_report_schema", "10_later"]) == [
        ("0001", "init"),
        ("0002", "report_schema"),
        ("0010", "later"),
    ]
    got = _read_as_folders(
        ["20250101000000_a", "20260108_b", "20260108120000_c", "20260109000000_Add d to e"]
    )
    assert got == [
        ("20250101000000", "a"),
        ("20260108120000", "c"),
        ("20260108999999", "b"),
        ("20260109000000", "add_d_to_e"),
    ]
    files = tree(m__0001_init_DOT_sql=None)
    files.files.update({"m/20260108_b/migration.sql": "SELECT 1;\n"})
    d = load_environment("env/dev.yaml", files)
    assert d.migrations[0].is_named("20260108_b")


def _read_as_folders(folders: list[str]) -> list[tuple[str, str]]:
    """(version, name) of Prisma folders of these names."""
    read = _read_as({f"{f}/migration.sql": "SELECT 1;\n" for f in folders})
    return [(version, name) for version, name, _, _ in read]


def test_prisma_folders_with_one_timestamp_run_in_prisma_order() -> None:
    """Prisma tells them apart by the whole name, in name order (LiteLLM's history has ten
    such pairs): the second is version <timestamp>.1, the third .2, each after the one
    before and before the next timestamp; each is named by its folder."""
    folders = ["20230101000000_init", "20230101000000_more", "20230101000000_most"]
    assert _read_as_folders([*folders, "20230101000001_next"]) == [
        ("20230101000000", "init"),
        ("20230101000000.1", "more"),
        ("20230101000000.2", "most"),
        ("20230101000001", "next"),
    ]
    files = tree(m__0001_init_DOT_sql=None)
    files.files.update({f"m/{f}/migration.sql": "SELECT 1;\n" for f in folders})
    d = load_environment("env/dev.yaml", files)
    assert d.migrations[2].is_named("20230101000000_most")  # (by its folder, as targets are)
    files.files["m/20230101000001_next/migration.sql"] = "SELECT 1;\n"
    # (a plain file of one version with a folder's is still two names for one version)
    files.files["m/20230101000001_other.sql"] = "SELECT 1;\n"
    assert any("error[duplicate-version]" in e for e in errors(files))


def _errors_as(named: dict[str, str]) -> list[str]:
    """The errors of a migrations folder holding these files (and nothing else)."""
    files = tree(m__0001_init_DOT_sql=None)
    files.files.update({f"m/{name}": text for name, text in named.items()})
    return errors(files)


def _read_as(named: dict[str, str]) -> list[tuple[str, str, str, bool]]:
    """(version, name, file name, _safe) of the migrations a folder of these files holds."""
    files = tree(m__0001_init_DOT_sql=None)
    files.files.update({f"m/{name}": text for name, text in named.items()})
    d = load_environment("env/dev.yaml", files)
    return [(m.version, m.name, m.filename, m.safe) for m in d.migrations]


def test_a_graphile_migrate_history_is_read_as_it_is_kept() -> None:
    """graphile-migrate commits 000001.sql, or 000002-message.sql with a message: a version,
    and a name from the message (or none); a hand-numbered 12.sql (tt-rss keeps 3.sql ..
    140.sql) is version 0012, as Flyway's V12 is."""
    assert _read_as(
        {
            "000001.sql": "CREATE TABLE a (id bigint);\n",
            "000002-Add-B_safe.sql": "ALTER TABLE a ADD COLUMN b text;\n",
            "000010.sql": "SELECT 1;\n",
        }
    ) == [
        ("000001", "migration", "000001.sql", False),
        ("000002", "add_b", "000002-Add-B_safe.sql", True),
        ("000010", "migration", "000010.sql", False),
    ]
    assert _read_as(
        {"3.sql": "SELECT 1;\n", "12.sql": "SELECT 1;\n", "140.sql": "SELECT 1;\n"}
    ) == [
        ("0003", "migration", "3.sql", False),
        ("0012", "migration", "12.sql", False),
        ("0140", "migration", "140.sql", False),
    ]
    # golang-migrate's short versions: 1_init.up.sql beside its .down.sql, which never runs
    assert _read_as(
        {
            "1_init.up.sql": "CREATE TABLE a (id bigint);\n",
            "1_init.down.sql": "DROP TABLE a;\n",
            "2_Add-B.up.sql": "ALTER TABLE a ADD COLUMN b text;\n",
            "2_Add-B.down.sql": "ALTER TABLE a DROP COLUMN b;\n",
        }
    ) == [
        ("0001", "init", "1_init.up.sql", False),
        ("0002", "add_b", "2_Add-B.up.sql", False),
    ]
    (e,) = errors(
        tree(**{"m__1_other_DOT_sql": "SELECT 1;\n"})  # 0001_init.sql is there already
    )
    assert "m/1_other.sql: error[duplicate-version]: version 0001 is used twice" in e


def test_upgrade_scripts_named_by_release_run_in_release_order() -> None:
    """Icinga keeps its upgrade scripts as 2.0.2.sql .. 2.8.1.sql: a dotted version alone
    (each part a number: 2.10.0 runs after 2.8.1, and 2.08 is 2.8, as Flyway reads V2.08)."""
    assert _read_as(
        {
            "2.8.1.sql": "SELECT 1;\n",
            "2.10.0.sql": "SELECT 1;\n",
            "2.0.2.sql": "SELECT 1;\n",
            "2.8.0-Fix-Downtimes.sql": "SELECT 1;\n",
        }
    ) == [
        ("0002.0.2", "migration", "2.0.2.sql", False),
        ("0002.8.0", "fix_downtimes", "2.8.0-Fix-Downtimes.sql", False),
        ("0002.8.1", "migration", "2.8.1.sql", False),
        ("0002.10.0", "migration", "2.10.0.sql", False),
    ]
    (e,) = _errors_as({"2.8.1.sql": "SELECT 1;\n", "2.08.1.sql": "SELECT 2;\n"})
    assert "error[duplicate-version]: version 0002.8.1 is used twice" in e


def test_upgrade_scripts_named_from_release_to_release_run_in_release_order() -> None:
    """PowerDNS keeps 3.4.0_to_4.1.0_schema.pgsql.sql .. 4.3.0_to_4.7.0_schema.pgsql.sql: each
    versioned by the release it brings the schema to (not by the first number, which made
    three of them version 4, nor by the first dotted part of a description); a release that
    is not a number (dnssec-3.x_to_3.4.0.sql) is no version."""
    assert _read_as(
        {
            "4.3.0_to_4.7.0_schema.pgsql.sql": "SELECT 1;\n",
            "4.1.0_to_4.2.0_schema.pgsql.sql": "SELECT 1;\n",
            "3.4.0_to_4.1.0_schema.pgsql.sql": "SELECT 1;\n",
            "4.2.0_to_4.3.0_schema.pgsql.sql": "SELECT 1;\n",
            "upgrade-4.7.0-to-4.10.0.sql": "SELECT 1;\n",
        }
    ) == [
        ("0004.1.0", "from_3_4_0_schema_pgsql", "3.4.0_to_4.1.0_schema.pgsql.sql", False),
        ("0004.2.0", "from_4_1_0_schema_pgsql", "4.1.0_to_4.2.0_schema.pgsql.sql", False),
        ("0004.3.0", "from_4_2_0_schema_pgsql", "4.2.0_to_4.3.0_schema.pgsql.sql", False),
        ("0004.7.0", "from_4_3_0_schema_pgsql", "4.3.0_to_4.7.0_schema.pgsql.sql", False),
        ("0004.10.0", "from_4_7_0", "upgrade-4.7.0-to-4.10.0.sql", False),
    ]
    (e,) = _errors_as({"dnssec-3.x_to_3.4.0_schema.pgsql.sql": "SELECT 1;\n"})
    assert "error[bad-file-name]" in e
    # the releases joined by a hyphen alone, a pre-release after either (icingaweb2's
    # 2.0.0beta3-2.0.0rc1.sql before its 2.5.0.sql): 1.2-1.10 is no Debian version 1.2 of
    # revision "1.10.sql", and runs after 1.1-1.2 (it ran first, by name)
    assert _read_as(
        {
            "2.0.0beta3-2.0.0rc1.sql": "SELECT 1;\n",
            "2.5.0.sql": "SELECT 1;\n",
            "upgrade-2.5.0-2.6.0.sql": "SELECT 1;\n",
        }
    ) == [
        ("0002.0.0", "from_2_0_0beta3_rc1", "2.0.0beta3-2.0.0rc1.sql", False),
        ("0002.5.0", "migration", "2.5.0.sql", False),
        ("0002.6.0", "from_2_5_0", "upgrade-2.5.0-2.6.0.sql", False),
    ]
    assert [v for v, *_ in _read_as({"1.2-1.10.sql": "SELECT 1;\n", "1.1-1.2.sql": ""})] == [
        "0001.2",
        "0001.10",
    ]
    # (two pre-releases of one release share its number: a located error, never a guess)
    (e,) = _errors_as({"2.0.0beta3-2.0.0rc1.sql": "SELECT 1;\n", "2.0.0rc1-2.0.0.sql": ""})
    assert "error[duplicate-version]: version 0002.0.0 is used twice" in e
    # (a version, a dot and a description that starts with a digit is not DbUp's or yoyo's
    # 0004.create-users.sql: no version 4 named "1.0 ...")
    (e,) = _errors_as({"4.1.0 schema.sql": "SELECT 1;\n"})
    assert "error[bad-file-name]" in e


def test_a_release_after_words_that_say_so_is_its_version() -> None:
    """Guacamole keeps upgrade-pre-0.9.10.sql .. upgrade-pre-1.6.0.sql; others v1.2.0.sql,
    schema-v4.sql, patch_5.sql: the release is the version (its parts numbers), named by the
    description after it or else by the words. Words outside that vocabulary are no release:
    add_users_2.sql and init2.sql stay bad names, not versions 2."""
    assert _read_as(
        {
            "upgrade-pre-1.0.0.sql": "SELECT 1;\n",
            "upgrade-pre-0.9.10.sql": "SELECT 1;\n",
            "upgrade-pre-0.9.9.sql": "SELECT 1;\n",
        }
    ) == [
        ("0000.9.9", "upgrade_pre", "upgrade-pre-0.9.9.sql", False),
        ("0000.9.10", "upgrade_pre", "upgrade-pre-0.9.10.sql", False),
        ("0001.0.0", "upgrade_pre", "upgrade-pre-1.0.0.sql", False),
    ]
    assert _read_as(
        {
            "v1.2.0.sql": "SELECT 1;\n",
            "v1.3-add-users.sql": "SELECT 1;\n",
            "schema-v4.sql": "SELECT 1;\n",
            "patch_5.sql": "SELECT 1;\n",
        }
    ) == [
        ("0001.2.0", "v", "v1.2.0.sql", False),
        ("0001.3", "add_users", "v1.3-add-users.sql", False),
        ("0004", "schema", "schema-v4.sql", False),
        ("0005", "patch", "patch_5.sql", False),
    ]
    # PostgreSQL's name among the words, a version's parts joined by hyphens (libpreludedb's
    # pgsql-update-14-8.sql is 14.8, after 14-7 and before 14-10)
    assert _read_as(
        {
            "pgsql-update-14-10.sql": "SELECT 1;\n",
            "pgsql-update-14-8.sql": "SELECT 1;\n",
            "postgres-upgrade-2.sql": "SELECT 1;\n",
        }
    ) == [
        ("0002", "postgres_upgrade", "postgres-upgrade-2.sql", False),
        ("0014.8", "pgsql_update", "pgsql-update-14-8.sql", False),
        ("0014.10", "pgsql_update", "pgsql-update-14-10.sql", False),
    ]
    for name in ("add_users_2.sql", "init2.sql", "mysql-update-14-8.sql"):
        (e,) = _errors_as({name: "SELECT 1;\n"})
        assert "error[bad-file-name]" in e, e


def test_a_migration_the_reconciler_cannot_run_is_an_error_not_nothing() -> None:
    """goose's .go, Flyway's Java, knex's .js, Synapse's .py migrations and a Liquibase XML or
    YAML changelog with changesets of its own were passed over like notes: a history of them
    loaded as nothing and applied as 'in sync'. Each is now a located error. A helper script
    not named by a version, and a master changelog that only includes the SQL files beside
    it, are still no migrations."""
    errs = _errors_as(
        {
            "00002_rename_root.go": "package migrations\n",
            "V3__Backfill.java": "class V3__Backfill {}\n",
            "1700000000000_create-users.js": "exports.up = () => {};\n",
            "20240101_x.ts": "export async function up() {}\n",
            "run.js": "// a helper\n",
            "changes.xml": '<databaseChangeLog><changeSet id="1" author="a"/></databaseChangeLog>\n',
            "master.yaml": "databaseChangeLog:\n  - includeAll: {path: m/}\n",
            "0001_init.sql": "--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n",
        }
    )
    assert [e.split(":")[0] for e in errs] == [
        "m/00002_rename_root.go",
        "m/1700000000000_create-users.js",
        "m/20240101_x.ts",
        "m/V3__Backfill.java",
        "m/changes.xml",
    ], errs
    assert "is a Go migration, which the reconciler cannot run" in errs[0]
    assert (
        "help: write what it does as SQL in a migration of the same version (V3__Backfill.sql)"
        in errs[3]
    )
    assert "is a Liquibase changelog, which the reconciler does not read" in errs[4]
    # a master with nothing beside it: what it includes is all the history there is
    files = tree(m__0001_init_DOT_sql=None)
    files.files = {k: v for k, v in files.files.items() if not k.startswith("m/")}
    files.files["m/master.xml"] = (
        '<databaseChangeLog><includeAll path="sql/"/></databaseChangeLog>\n'
    )
    (e,) = errors(files)
    assert "m/master.xml: error[bad-file-name]" in e
    # Kong's Lua, a version's shell script (docker-entrypoint-initdb.d's 01-init.sh); a build
    # script beside them is still none
    errs = _errors_as({"000_base.lua": "return {}\n", "01-init.sh": "psql\n", "build.sh": "\n"})
    assert [e.split(": error")[0] for e in errs] == ["m/000_base.lua", "m/01-init.sh"], errs
    assert "is a Lua migration" in errs[0] and "is a shell migration" in errs[1], errs
    # Doctrine's, MikroORM's and Alembic's names (a word or a revision id before the version):
    # a folder of them loaded as no migration at all; Alembic's env.py is still none
    errs = _errors_as(
        {
            "Version20230101120000.php": "<?php\n",
            "Migration20230101120000.ts": "export {}\n",
            "a1b2c3d4e5f6_add_users.py": "revision = 'a1b2c3d4e5f6'\n",
            "m230101_120000_create_users.php": "<?php\n",
            "env.py": "\n",
        }
    )
    assert [e.split(": error")[0] for e in errs] == [
        "m/Migration20230101120000.ts",
        "m/Version20230101120000.php",
        "m/a1b2c3d4e5f6_add_users.py",
        "m/m230101_120000_create_users.php",
    ], errs
    assert "(20230101120000.sql)" in errs[1] and "NNNN_name.sql, in the order" in errs[2]
    assert "(230101120000_create_users.sql)" in errs[3]
    # a migration kept as data (pgroll's JSON operations, a YAML one per version): a folder
    # of them loaded as no migration at all; settings and notes beside them are still none
    errs = _errors_as(
        {
            "01_create_users.json": '{"name": "01_create_users", "operations": []}\n',
            "02_add_col.yaml": "operations: []\n",
            "migration_lock.toml": "",
            "meta.json": "{}\n",
        }
    )
    assert [e.split(": error")[0] for e in errs] == [
        "m/01_create_users.json",
        "m/02_add_col.yaml",
    ], errs
    assert "is a migration kept as JSON (pgroll's operations)" in errs[0]
    assert "SQL in a migration of the same version (01_create_users.sql)" in errs[0]
    # SQL kept compressed or as a template; an editor's backup, a disabled file or a dump
    # not named by a version is still none
    errs = _errors_as(
        {
            "0002_x.sql.gz": "\x1f",
            "V3__y.sql.j2": "SELECT {{ n }};\n",
            "0001_init.sql~": "SELECT 1;\n",
            "0004_z.sql.disabled": "SELECT 1;\n",
            "dump.sql.gz": "\x1f",
        }
    )
    assert [e.split(": error")[0] for e in errs] == ["m/0002_x.sql.gz", "m/V3__y.sql.j2"], errs
    assert "is compressed SQL" in errs[0] and "keep the SQL itself as 0002_x.sql" in errs[0]
    assert "is a template of SQL, which the reconciler does not render" in errs[1], errs


def test_dbconfig_common_scripts_named_by_a_version_alone_are_read_in_release_order() -> None:
    """Debian's dbconfig-common keeps a package's upgrade SQL in files named by the version
    alone, without .sql (tt-rss's upgrade/pgsql/1.5.10, 15.7+git20151123,
    20~git20201021.0a6ff72; bacula's 9.0.0). They were passed over like notes: a history of
    them loaded as nothing and the database was reported in sync."""
    assert _read_as(
        {
            "1.10": "SELECT 1;\n",
            "1.8": "SELECT 1;\n",
            "15.7+git20151123": "SELECT 1;\n",
            "20~git20201021.0a6ff72": "SELECT 1;\n",
            "19.8-safe": "SELECT 1;\n",
            "3.0.0_safe.sql": "SELECT 1;\n",  # (a release's .sql named safe and nothing more)
            "README": "notes\n",
            "1.9/01_x.sql": "SELECT 1;\n",  # (a folder named by a version: still one)
        }
    ) == [
        ("0001.8", "migration", "1.8", False),
        ("0001.9.1", "01_x", "1.9/01_x.sql", False),
        ("0001.10", "migration", "1.10", False),
        ("0003.0.0", "migration", "3.0.0_safe.sql", True),
        ("0015.7", "git20151123", "15.7+git20151123", False),
        ("0019.8", "migration", "19.8-safe", True),
        ("0020", "git20201021_0a6ff72", "20~git20201021.0a6ff72", False),
    ]


def test_a_step_that_is_no_sql_is_an_error_not_a_step_passed_over() -> None:
    """Request Tracker keeps each release's step in a folder (4.1.1/schema.Pg beside Perl
    content and acl.Pg, some named 4.0.0rc2) and helper scripts named like versions
    (3.8-ical-extension, #!/usr/bin/perl): the folders were passed over and the scripts read
    as SQL. Each is a located error; a folder of another database's SQL alone (Synapse's
    SQLite-only delta) and a version's SQL file are still read as before."""
    errs = _errors_as(
        {
            "4.1.1/schema.Pg": "CREATE TABLE x (id bigint);\n",
            "4.1.1/content": "our @Initial = (sub { 1 });\n",
            "4.0.0rc2/schema.Pg": "SELECT 1;\n",
            "3.8-ical-extension": "#!/usr/bin/perl\nuse strict;\n",
            "3.9-x": "#!/usr/bin/env PGPASSWORD=hunter2 psql\n",  # (no secret in the error)
            "56/01_only.sql.sqlite": "SELECT 1;\n",
            "57/README.md": "notes\n",
            "1.5": "SELECT 1;\n",
        }
    )
    assert len(errs) == 4, errs
    assert (
        "m/3.8-ical-extension: error[bad-file-name]: 3.8-ical-extension is a script "
        "(#!/usr/bin/perl)" in errs[0]
    )
    assert "3.9-x is a script (#!/usr/bin/env)" in errs[1] and "hunter2" not in errs[1]
    assert "m/4.0.0rc2: error[bad-file-name]: m/4.0.0rc2 is named by a version" in errs[2]
    assert "m/4.1.1 is named by a version, but holds no .sql file the reconciler reads" in errs[3]
    assert "(content, schema.Pg): its changes would never be made" in errs[3]


def test_a_step_with_a_file_per_database_runs_the_postgresql_one() -> None:
    """Glewlwyd ships each upgrade as upgrade-2.4-core.postgre.sql beside its .mariadb.sql and
    .sqlite3.sql: all were bad-file-name errors. PostgreSQL's (.postgre, .postgres,
    .postgresql, .pgsql, .pg) is read by the name without its database; another database's is
    passed over where the step has a PostgreSQL file (or every database's <step>.sql), and is
    an error where it has none: skipping it would drop the step."""
    assert _read_as(
        {
            "upgrade-2.4-core.postgre.sql": "SELECT 1;\n",
            "upgrade-2.4-core.mariadb.sql": "SELECT 1;\n",
            "upgrade-2.4-core.SQLite3.sql": "SELECT 1;\n",
            "0003_add_x.PostgreSQL.sql": "SELECT 1;\n",
            "0003_add_x.mysql.sql": "SELECT 1;\n",
            "0004_both.sql": "SELECT 1;\n",
            "0004_both.oracle.sql": "SELECT 1;\n",
        }
    ) == [
        ("0002.4", "core", "upgrade-2.4-core.postgre.sql", False),
        ("0003", "add_x", "0003_add_x.PostgreSQL.sql", False),
        ("0004", "both", "0004_both.sql", False),
    ]
    (e,) = _errors_as({"0002_x.postgres.sql": "SELECT 1;\n", "0003_y.mariadb.sql": "SELECT 1;\n"})
    assert "m/0003_y.mariadb.sql: error[bad-file-name]: 0003_y.mariadb.sql is SQL for mariadb" in e
    assert "this step has no PostgreSQL file beside it" in e


def test_a_folder_named_by_a_version_holds_that_versions_files_in_order() -> None:
    """Synapse's delta/54/ (its files in name order, .sql.postgres read, .sql.sqlite not) and
    Temporal's v1.9/ (the files its manifest.json lists, in that order, and only those)."""
    assert _read_as(
        {
            "54/02b.sql.postgres": "SELECT 2;\n",
            "54/02b.sql.sqlite": "SELECT 3;\n",
            "54/01a.sql": "SELECT 1;\n",
            "v1.9/b.sql": "SELECT 1;\n",
            "v1.9/a.sql": "SELECT 1;\n",
            "v1.9/unlisted.sql": "SELECT 1;\n",
            "v1.9/manifest.json": '{"schemaUpdateCqlFiles": ["b.sql", "a.sql"]}',  # (any case)
        }
    ) == [
        ("0001.9.1", "b", "v1.9/b.sql", False),
        ("0001.9.2", "a", "v1.9/a.sql", False),
        ("0054.1", "01a", "54/01a.sql", False),
        ("0054.2", "02b", "54/02b.sql.postgres", False),
    ]
    (e,) = _errors_as({"v2/x.sql": "SELECT 1;\n", "v2/manifest.json": '{"Files": []}'})
    assert "m/v2/manifest.json: error[bad-file-name]: m/v2/manifest.json lists no" in e
    twice = '{"SchemaUpdateCqlFiles": ["x.sql", "../x.sql", "x.sql"]}'
    errs = _errors_as({"v2/x.sql": "SELECT 1;\n", "v2/manifest.json": twice})
    assert any("lists '../x.sql', which is no .sql file in m/v2" in e for e in errs), errs
    assert any("lists 'x.sql' twice: it would run twice" in e for e in errs), errs


def test_a_sql_file_named_otherwise_is_an_error_not_a_file_that_never_runs() -> None:
    """A migration written as 0002_x.SQL, .psql, .pgsql or .ddl was passed over like a README:
    its changes silently never made. Each is a located bad-file-name error naming the
    .sql name to give it; other files (notes, settings) are still no migrations."""
    errs = _errors_as(
        {
            "0002_x.SQL": "SELECT 1;\n",
            "0003_y.psql": "SELECT 1;\n",
            "0004_z.pgsql": "SELECT 1;\n",
            "0005_w.ddl": "SELECT 1;\n",
            "0007_u.sql.postgres": "SELECT 1;\n",  # (Synapse's PostgreSQL-only file)
            "0007_u.sql.sqlite": "SELECT 1;\n",  # (and its SQLite one, never PostgreSQL's)
            "README.md": "# notes\n",
            "0006_v.sql.conf": "executeInTransaction=false\n",
        }
    )
    assert len(errs) == 5, errs
    assert "help: rename it 0007_u.sql" in errs[-1]
    assert errs[0].startswith("m/0002_x.SQL: error[bad-file-name]: 0002_x.SQL would never run")
    assert "help: rename it 0002_x.sql" in errs[0]
    assert all("error[bad-file-name]" in e for e in errs)


def test_a_yoyo_history_is_read_as_yoyo_orders_it() -> None:
    """`yoyo new` writes <day>_<nn>_<random id>-<message>.sql, numbering the files of one
    day: each is its own version (20230419.1 before 20230419.2 before 20230420.1), named by
    its message; its .rollback.sql beside it never runs forward; `-- transactional: false`
    among the comments before the first statement (yoyo reads it nowhere else) makes the
    file a no-transaction one; a Python migration, which cannot run here, is an error."""
    files = {
        "20230419_01_Xs3Mz-create-a.sql": "CREATE TABLE a (id bigint);\n",
        "20230419_01_Xs3Mz-create-a.rollback.sql": "DROP TABLE a;\n",
        "20230419_02_aB9kq-create-b.sql": "CREATE TABLE b (id bigint);\n",
        "20230419_02_aB9kq-create-b.rollback.sql": "DROP TABLE b;\n",
        "20230420_01_9QzZ1.sql": (
            "-- transactional: false\n-- depends: 20230419_02_aB9kq-create-b\n"
            "CREATE INDEX CONCURRENTLY ib ON b (id);\n"
        ),
        "20230421_01_Rr2aa-later.sql": (
            "CREATE TABLE c (id bigint);\n-- transactional: false\nSELECT 1;\n"
        ),
    }
    assert _read_as(files) == [
        ("20230419.1", "create_a", "20230419_01_Xs3Mz-create-a.sql", False),
        ("20230419.2", "create_b", "20230419_02_aB9kq-create-b.sql", False),
        ("20230420.1", "migration", "20230420_01_9QzZ1.sql", False),
        ("20230421.1", "later", "20230421_01_Rr2aa-later.sql", False),
    ]
    tree_ = tree(m__0001_init_DOT_sql=None)
    tree_.files.update({f"m/{name}": text for name, text in files.items()})
    d = load_environment("env/dev.yaml", tree_)
    assert [m.source.no_transaction for m in d.migrations] == [False, False, True, False]
    (e,) = _errors_as({**files, "20230422_01_Pp1aa-backfill.py": "steps = []\n"})
    assert "m/20230422_01_Pp1aa-backfill.py: error[bad-file-name]:" in e
    assert "Python migration" in e and "20230422_01_Pp1aa-backfill.sql" in e
    # a rollback file alone is no migration to skip: it is reported, never run nor hidden
    (e,) = _errors_as({"20230419_03_Zz9zz-x.rollback.sql": "DROP TABLE a;\n"})
    assert "error[bad-file-name]" in e


def test_versions_with_sequence_numbers_and_letters_keep_their_order() -> None:
    """procrastinate keeps 00.05.00_01_<name>.sql .. 03.00.00_50_<name>.sql: the release
    and the step within it are one version (0000.5.0.1); DAViCal's 1.1.11a.sql runs after
    1.1.11.sql and before 1.1.12.sql (version 1.1.11.1)."""
    assert _read_as(
        {
            "00.10.00_01_Close_race.sql": "SELECT 1;\n",
            "00.05.00_02_drop_started_at.sql": "SELECT 1;\n",
            "00.05.00_01_drop_started_at.sql": "SELECT 1;\n",
            "03.00.00_50_post_cancel.sql": "SELECT 1;\n",
        }
    ) == [
        ("0000.5.0.1", "drop_started_at", "00.05.00_01_drop_started_at.sql", False),
        ("0000.5.0.2", "drop_started_at", "00.05.00_02_drop_started_at.sql", False),
        ("0000.10.0.1", "close_race", "00.10.00_01_Close_race.sql", False),
        ("0003.0.0.50", "post_cancel", "03.00.00_50_post_cancel.sql", False),
    ]
    assert _read_as(
        {"1.1.12.sql": "SELECT 1;\n", "1.1.11a.sql": "SELECT 1;\n", "1.1.11.sql": "SELECT 1;\n"}
    ) == [
        ("0001.1.11", "migration", "1.1.11.sql", False),
        ("0001.1.11.1", "migration", "1.1.11a.sql", False),
        ("0001.1.12", "migration", "1.1.12.sql", False),
    ]


def test_versions_written_as_dates_order_by_day_then_time() -> None:
    """2024-01-15-add-users.sql is version 20240115; a time after the date is a part after it
    (2024-02-01-0930_more.sql is 20240201.930), so a day's file without a time runs before
    that day's with one, and both before the next day's; two of one day without a time are
    one version twice."""
    assert _read_as(
        {
            "2024-02-02.sql": "SELECT 1;\n",
            "2024-02-01-0930_more.sql": "SELECT 1;\n",
            "2024-02-01-Plain_safe.sql": "SELECT 1;\n",
            "2023-12-31-last.sql": "SELECT 1;\n",
        }
    ) == [
        ("20231231", "last", "2023-12-31-last.sql", False),
        ("20240201", "plain", "2024-02-01-Plain_safe.sql", True),
        ("20240201.930", "more", "2024-02-01-0930_more.sql", False),
        ("20240202", "migration", "2024-02-02.sql", False),
    ]
    (e,) = _errors_as({"2024-01-15-a.sql": "SELECT 1;\n", "2024-01-15-b.sql": "SELECT 1;\n"})
    assert "error[duplicate-version]: version 20240115 is used twice" in e
    # with underscores (Laravel's names): a real date, not version 2014 named "10_12_...",
    # which made every second file of a year a duplicate and ordered a year's by name
    assert _read_as(
        {
            "2014_10_12_100000_create_password_resets_table.sql": "SELECT 1;\n",
            "2014_10_12_000000_create_users_table.sql": "SELECT 1;\n",
            "2019_08_19_000000_create_failed_jobs_table.sql": "SELECT 1;\n",
            "2019_08_18_Add2fa.sql": "SELECT 1;\n",
            "2019_13_01_x.sql": "SELECT 1;\n",  # (no month 13: this tool's version 2019)
        }
    ) == [
        ("2019", "13_01_x", "2019_13_01_x.sql", False),
        ("20141012.0", "create_users_table", "2014_10_12_000000_create_users_table.sql", False),
        (
            "20141012.100000",
            "create_password_resets_table",
            "2014_10_12_100000_create_password_resets_table.sql",
            False,
        ),
        ("20190818", "add2fa", "2019_08_18_Add2fa.sql", False),
        (
            "20190819.0",
            "create_failed_jobs_table",
            "2019_08_19_000000_create_failed_jobs_table.sql",
            False,
        ),
    ]
    # an ISO time after a T (2023-01-01T12-00-00_init.sql was version 2023 named
    # "01_01t12_00_00_init"), read to the second
    assert [
        v
        for v, *_ in _read_as(
            {
                "2023-01-01T13:00_b.sql": "SELECT 1;\n",
                "2023-01-01T12-00-00_init.sql": "SELECT 1;\n",
                "2023-01-02t0930-c.sql": "SELECT 1;\n",
                "2023-01-03_08-15_d.sql": "SELECT 1;\n",
            }
        )
    ] == ["20230101.120000", "20230101.130000", "20230102.93000", "20230103.81500"]
    # the up half of an up/down pair named by a date: 2023-01-01-create.up.sql was version
    # 2023 named "01_01_create", and a second such pair one version twice
    assert _read_as(
        {
            "2023-01-01-create.up.sql": "SELECT 1;\n",
            "2023-01-01-create.down.sql": "SELECT 1;\n",
            "2023_01_02_000000_posts.up.sql": "SELECT 1;\n",
            "2023_01_02_000000_posts.down.sql": "SELECT 1;\n",
        }
    ) == [
        ("20230101", "create", "2023-01-01-create.up.sql", False),
        ("20230102.0", "posts", "2023_01_02_000000_posts.up.sql", False),
    ]


def test_postgrator_and_bun_histories_run_their_forward_files_only() -> None:
    """postgrator keeps <version>.do[.<description>].sql and its .undo. files, which never run
    forward; Bun keeps <version>_<name>.up.sql and .tx.up.sql (its marker for a migration run
    in a transaction: here every file is) beside their .down.sql."""
    assert _read_as(
        {
            "001.do.create-users.sql": "CREATE TABLE u (id bigint);\n",
            "001.undo.create-users.sql": "DROP TABLE u;\n",
            "002.do.sql": "SELECT 1;\n",
            "002.undo.sql": "SELECT 1;\n",
            "010.do.Add_Email.sql": "SELECT 1;\n",
        }
    ) == [
        ("0001", "create_users", "001.do.create-users.sql", False),
        ("0002", "migration", "002.do.sql", False),
        ("0010", "add_email", "010.do.Add_Email.sql", False),
    ]
    assert _read_as(
        {
            "20210505110026_foo.tx.up.sql": "CREATE TABLE f (id bigint);\n",
            "20210505110026_foo.tx.down.sql": "DROP TABLE f;\n",
            "20210506110026_bar.up.sql": "SELECT 1;\n",
            "20210506110026_bar.down.sql": "SELECT 1;\n",
        }
    ) == [
        ("20210505110026", "foo", "20210505110026_foo.tx.up.sql", False),
        ("20210506110026", "bar", "20210506110026_bar.up.sql", False),
    ]


def test_an_undo_kept_beside_its_forward_file_never_runs() -> None:
    """db-migrate keeps 20230101120000-add-users-up.sql beside its -down.sql; hand-kept
    histories 0001_init_rollback.sql (or _revert, _undo, _down) beside 0001_init.sql: each
    pair was one version twice. The undo is passed over where its forward file is beside
    it, and read where it is not (0003_mark_users_down.sql may be a forward migration)."""
    assert _read_as(
        {
            "20230101120000-add-users-up.sql": "SELECT 1;\n",
            "20230101120000-add-users-down.sql": "SELECT 1;\n",
            "20230102000000_init.sql": "SELECT 1;\n",
            "20230102000000_init_rollback.sql": "SELECT 1;\n",
            "20230103000000_x.sql": "SELECT 1;\n",
            "20230103000000_x-REVERT.sql": "SELECT 1;\n",
            "20230104000000_mark_users_down.sql": "SELECT 1;\n",
        }
    ) == [
        ("20230101120000", "add_users_up", "20230101120000-add-users-up.sql", False),
        ("20230102000000", "init", "20230102000000_init.sql", False),
        ("20230103000000", "x", "20230103000000_x.sql", False),
        ("20230104000000", "mark_users_down", "20230104000000_mark_users_down.sql", False),
    ]


def test_sqlalchemy_migrate_runs_each_versions_postgresql_upgrade() -> None:
    """sqlalchemy-migrate keeps <version>_[<description>_]<database>_upgrade.sql and its
    _downgrade.sql: each version's PostgreSQL script runs (or, without one, every database's
    "default" one), never an undo or another database's; these were one version twice. A
    version with only another database's script, or an undo alone, is a located error."""
    assert _read_as(
        {
            "001_init_default_upgrade.sql": "SELECT 1;\n",
            "001_init_default_downgrade.sql": "SELECT 1;\n",
            "001_init_sqlite_upgrade.sql": "SELECT 1;\n",
            "002_postgresql_upgrade.sql": "SELECT 1;\n",
            "002_postgresql_downgrade.sql": "SELECT 1;\n",
            "002_default_upgrade.sql": "SELECT 1;\n",
            "002_mysql_upgrade.sql": "SELECT 1;\n",
            "010_add_users_postgresql_upgrade.sql": "SELECT 1;\n",
        }
    ) == [
        ("0001", "init", "001_init_default_upgrade.sql", False),
        ("0002", "migration", "002_postgresql_upgrade.sql", False),
        ("0010", "add_users", "010_add_users_postgresql_upgrade.sql", False),
    ]
    (e,) = _errors_as({"001_x_postgresql_upgrade.sql": "", "002_x_sqlite_upgrade.sql": ""})
    assert "002_x_sqlite_upgrade.sql: error[bad-file-name]" in e and "for sqlite" in e
    (e,) = _errors_as({"003_x_postgresql_downgrade.sql": "SELECT 1;\n"})
    assert "error[bad-file-name]" in e and "undo of version 003" in e


def test_an_up_down_pair_named_with_a_v_and_dots_runs_its_up_half() -> None:
    """Authelia keeps V0001.Initial_Schema.up.sql beside its .down.sql: the up half is
    migration 0001, the down half never runs (nor does any .down.sql whose .up.sql is
    there)."""
    assert _read_as(
        {
            "V0001.Initial_Schema.up.sql": "CREATE TABLE u (id bigint);\n",
            "V0001.Initial_Schema.down.sql": "DROP TABLE u;\n",
            "V0002.Webauthn.up.sql": "SELECT 1;\n",
            "V0002.Webauthn.down.sql": "SELECT 1;\n",
        }
    ) == [
        ("0001", "initial_schema", "V0001.Initial_Schema.up.sql", False),
        ("0002", "webauthn", "V0002.Webauthn.up.sql", False),
    ]
    # (our own NNNN_name.up.sql stays ours: an empty one is still a mistake)
    (e,) = _errors_as({"0001_init.up.sql": "-- nothing\n"})
    assert "error[empty-migration]" in e


def test_a_version_then_a_description_after_a_space_or_a_dot_is_read() -> None:
    """DbUp's Script0001 - Create tables.sql, 00003. Create schema.sql, yoyo's older
    0004.create-users.sql: the number is the version, the rest its name."""
    assert _read_as(
        {
            "Script0001 - Create tables.sql": "SELECT 1;\n",
            "Script0002 - Add index.sql": "SELECT 1;\n",
            "00003. Create schema.sql": "SELECT 1;\n",
            "0004.create-users.sql": "SELECT 1;\n",
            "0005 more things_safe.sql": "SELECT 1;\n",
        }
    ) == [
        ("0001", "create_tables", "Script0001 - Create tables.sql", False),
        ("0002", "add_index", "Script0002 - Add index.sql", False),
        ("00003", "create_schema", "00003. Create schema.sql", False),
        ("0004", "create_users", "0004.create-users.sql", False),
        ("0005", "more_things", "0005 more things_safe.sql", True),
    ]


def test_a_pop_history_runs_postgresql_files_and_never_other_databases() -> None:
    """pop (gobuffalo, Ory's Kratos and Hydra) keeps <version>_<name>.up.sql for every
    database and <version>_<name>.<dialect>.up.sql for one: PostgreSQL's own file takes the
    place of the common one, another database's never runs, no .down.sql runs (a lone one
    included), and a version only other databases have is no migration here."""
    assert _read_as(
        {
            "20191100000001000000_identities.postgres.up.sql": "CREATE TABLE i (id uuid);\n",
            "20191100000001000000_identities.postgres.down.sql": "DROP TABLE i;\n",
            "20191100000001000000_identities.mysql.up.sql": "CREATE TABLE i (id char(36));\n",
            "20191100000001000000_identities.sqlite3.up.sql": "CREATE TABLE i (id TEXT);\n",
            "20191100000001000000_identities.cockroach.up.sql": "CREATE TABLE i (id UUID);\n",
            "20191100000002000000_requests.up.sql": "CREATE TABLE r (id uuid);\n",
            "20191100000002000000_requests.down.sql": "DROP TABLE r;\n",
            "20191100000003000000_Add-Name.up.sql": "ALTER TABLE i ADD COLUMN n text;\n",
            "20191100000003000000_Add-Name.postgres.up.sql": "ALTER TABLE i ADD n text NOT NULL;\n",
            "20191100000004000000_only_mysql.mysql.up.sql": "ALTER TABLE i ENGINE=InnoDB;\n",
            "20191100000005000000_undo.postgres.down.sql": "DROP TABLE r;\n",
            "20191100000006000000_mysql_fix.mysql.up.sql": "ALTER TABLE i ENGINE=InnoDB;\n",
            "20191100000006000000_mysql_fix.down.sql": "SELECT 1;\n",
        }
    ) == [
        (
            "20191100000001000000",
            "identities",
            "20191100000001000000_identities.postgres.up.sql",
            False,
        ),
        ("20191100000002000000", "requests", "20191100000002000000_requests.up.sql", False),
        (
            "20191100000003000000",
            "add_name",
            "20191100000003000000_Add-Name.postgres.up.sql",
            False,
        ),
    ]
    files = tree(m__0001_init_DOT_sql=None)
    files.files["m/20191100000004000000_y.up.fizz"] = 'create_table("y") {}\n'
    (e,) = errors(files)
    assert "m/20191100000004000000_y.up.fizz: error[bad-file-name]:" in e and "fizz" in e


def test_a_sqitch_project_is_read_where_its_sqitch_conf_keeps_it() -> None:
    """sqitch.conf's top_dir, plan_file and deploy_dir ([engine "pg"]'s over [core]'s) say
    where the plan and the deploy scripts are; revert/ never runs; a path out of the
    folder is an error, not a read."""
    plan = "%project=forum\ninit 2024-01-01T00:00:00Z Ann <ann@example.org> # init\n"
    conf = '[core]\n\tengine = pg\n\ttop_dir = sql\n[engine "pg"]\n\ttarget = db:pg:app\n'
    assert _read_as(
        {
            "sqitch.conf": conf,
            "sql/sqitch.plan": plan,
            "sql/deploy/init.sql": "CREATE TABLE a (id bigint);\n",
            "sql/revert/init.sql": "DROP TABLE a;\n",
        }
    ) == [("0001", "init", "init.sql", False)]
    per_engine = (
        "[core]\n\tengine = pg\n\tplan_file = other.plan\n"
        '[engine "pg"]\n\tplan_file = "pg.plan"  # ours\n\tdeploy_dir = pg/up\n'
    )
    assert _read_as(
        {
            "sqitch.conf": per_engine,
            "pg.plan": plan,
            "pg/up/init.sql": "CREATE TABLE a (id bigint);\n",
        }
    ) == [("0001", "init", "init.sql", False)]
    (e,) = _errors_as(
        {"sqitch.conf": "[core]\n\ttop_dir = ../elsewhere\n", "0001_a.sql": "SELECT 1;\n"}
    )
    assert e.startswith("m/sqitch.conf: error[outside-root]: sqitch.conf puts the plan"), e


def test_a_sqitch_project_deploys_in_the_plans_order() -> None:
    """With sqitch.plan in the folder, its changes are the migrations, in the plan's order
    (version N for the Nth), each its deploy/<change>.sql; a change the plan reworks ran as
    deploy/<change>@<tag>.sql up to the rework, a tag between the two (the first whose script
    is there, as sqitch looks, else the last, the one rework copies to); revert/ and verify/
    never run;
    a line the plan cannot be read by is a located error."""
    plan = (
        "%syntax-version=1.0.0\n%project=forum\n\n"
        "# the schema first\n"
        "appschema 2024-01-01T00:00:00Z Ann <ann@example.org> # schema\n"
        "users [appschema] 2024-01-02T00:00:00Z Ann <ann@example.org> # users\n"
        "@v0.9 2024-01-03T00:00:00Z Ann <ann@example.org> # first tag\n\n"
        "Add-Posts [users] 2024-01-04T00:00:00Z Ann <ann@example.org> # posts\n"
        "@v1.0 2024-01-04T00:00:00Z Ann <ann@example.org> # the tag rework copies to\n"
        "users [users@v1.0] 2024-01-05T00:00:00Z Ann <ann@example.org> # users again\n"
    )
    project = {
        "sqitch.plan": plan,
        "deploy/appschema.sql": "BEGIN;\nCREATE SCHEMA app;\nCOMMIT;\n",
        "deploy/users@v1.0.sql": "CREATE TABLE app.users (id bigint);\n",
        "deploy/Add-Posts.sql": "CREATE TABLE app.posts (id bigint);\n",
        "deploy/users.sql": "ALTER TABLE app.users ADD COLUMN name text;\n",
        "revert/appschema.sql": "DROP SCHEMA app;\n",
        "verify/appschema.sql": "SELECT 1/count(*) FROM pg_namespace WHERE nspname = 'app';\n",
    }
    assert _read_as(project) == [
        ("0001", "appschema", "appschema.sql", False),
        ("0002", "users", "users@v1.0.sql", False),
        ("0003", "add_posts", "Add-Posts.sql", False),
        ("0004", "users", "users.sql", False),
    ]
    # (a plan saved with a byte-order mark, by some Windows editors, is read the same)
    assert _read_as({**project, "sqitch.plan": "\ufeff" + plan})[0][0] == "0001"
    # sqitch takes the first tag between the two whose script is there (an older rework's)
    older = {k: v for k, v in project.items() if k != "deploy/users@v1.0.sql"}
    older["deploy/users@v0.9.sql"] = project["deploy/users@v1.0.sql"]
    assert _read_as(older)[1] == ("0002", "users", "users@v0.9.sql", False)
    reverting = plan + "-users 2024-01-06T00:00:00Z Ann <ann@example.org>\n"
    (e,) = _errors_as({**project, "sqitch.plan": reverting})
    assert e.startswith("m/sqitch.plan:12:1: error[bad-file-name]:"), e
    untagged = {**project, "sqitch.plan": plan.replace("@v", "# @v")}
    assert any("m/sqitch.plan:6:1: error[bad-file-name]" in e for e in _errors_as(untagged))


def test_names_in_another_case_or_with_hyphens_are_read_as_snake_case() -> None:
    """20240103120000_AddUsers.sql and golang-migrate's 000002_Create-Posts.up.sql (its
    .down.sql beside it never runs) are migrations add_users and create_posts, _safe kept."""
    assert _read_as(
        {
            "000002_Create-Posts.up.sql": "CREATE TABLE p (id bigint);\n",
            "000002_Create-Posts.down.sql": "DROP TABLE p;\n",
            "20240103120000_AddUsers_safe.sql": "CREATE TABLE u (id bigint);\n",
        }
    ) == [
        ("000002", "create_posts", "000002_Create-Posts.up.sql", False),
        ("20240103120000", "add_users", "20240103120000_AddUsers_safe.sql", True),
    ]


def test_a_flyway_history_is_read_at_any_depth_as_flyway_scans_it() -> None:
    """Flyway finds its files in every subfolder of its locations (db/migration/1.0/...): a
    subfolder whose SQL files are all Flyway's is part of the history (undo files left out,
    a callback reported, versions unique across the tree); one holding another naming is
    still the nested-migrations error."""
    files = tree(m__0001_init_DOT_sql=None)
    files.files.update(
        {
            "m/V1__Init.sql": "CREATE TABLE a (id bigint);\n",
            "m/1.0/V1_1__more.sql": "SELECT 11;\n",
            "m/1.0/U1_1__more.sql": "SELECT 0;\n",
            "m/2.0/V2__two.sql": "SELECT 2;\n",
            "m/2.0/hotfix/V2.0.1__fix.sql": "SELECT 201;\n",
            "m/2.0/R__views.sql": "CREATE OR REPLACE VIEW v AS SELECT 1 AS one;\n",
            "m/docs/README.md": "notes\n",
        }
    )
    d = load_environment("env/dev.yaml", files)
    assert [(m.version, m.name, m.filename) for m in d.migrations] == [
        ("0001", "init", "V1__Init.sql"),
        ("0001.1", "more", "1.0/V1_1__more.sql"),
        ("0002", "two", "2.0/V2__two.sql"),
        ("0002.0.1", "fix", "2.0/hotfix/V2.0.1__fix.sql"),
        ("R__views", "views", "2.0/R__views.sql"),
    ]
    assert d.migrations[3].path == "m/2.0/hotfix/V2.0.1__fix.sql"
    files.files["m/3.0/V2__again.sql"] = "SELECT 2;\n"
    assert any("error[duplicate-version]: version 0002 is used twice" in e for e in errors(files))
    del files.files["m/3.0/V2__again.sql"]
    files.files["m/3.0/afterMigrate.sql"] = "GRANT SELECT ON a TO app;\n"
    assert any("m/3.0/afterMigrate.sql: error[flyway-callback]" in e for e in errors(files))
    del files.files["m/3.0/afterMigrate.sql"]
    files.files["m/3.0/0003_other_naming.sql"] = "SELECT 3;\n"
    assert any("m/3.0: error[nested-migrations]" in e for e in errors(files))


def test_a_flyway_history_is_read_as_it_is_kept() -> None:
    """Flyway's V<n>__<description>.sql are migrations in numeric order (V10 after V2), dotted
    versions (V1.2__, or V1_2__) part by part; its U<n>__ undo files never run; repeatable
    R__ files come after every version, by name; two names of one version are a located
    error, and so is a repeatable file that cannot run in a transaction."""
    files = tree(m__0001_init_DOT_sql=None)
    files.files.update(  # (names with "__", which tree() would read as folders)
        {
            "m/V1__Init.sql": "CREATE TABLE a (id bigint);\n",
            "m/V2__add_b.sql": "ALTER TABLE a ADD COLUMN b text;\n",
            "m/U2__add_b.sql": "ALTER TABLE a DROP COLUMN b;\n",
            "m/V10__add_c_safe.sql": "ALTER TABLE a ADD COLUMN c text;\n",
        }
    )
    d = load_environment("env/dev.yaml", files)
    assert [(m.version, m.name, m.filename, m.safe) for m in d.migrations] == [
        ("0001", "init", "V1__Init.sql", False),
        ("0002", "add_b", "V2__add_b.sql", False),
        ("0010", "add_c", "V10__add_c_safe.sql", True),
    ]
    dotted = tree(m__0001_init_DOT_sql=None)
    dotted.files.update(
        {
            "m/V1__Init.sql": "CREATE TABLE a (id bigint);\n",
            "m/V1.10__ten.sql": "SELECT 10;\n",
            "m/V1.9__Nine-and-more.sql": "SELECT 9;\n",
            "m/V1_9_1__nine_one.sql": "SELECT 91;\n",
            "m/U1.9__nine.sql": "SELECT 0;\n",
            "m/V2__two.sql": "SELECT 2;\n",
            "m/V2020.01.02__dated.sql": "SELECT 2020;\n",
            "m/R__Views.sql": "CREATE OR REPLACE VIEW v AS SELECT 1 AS one;\n",
            "m/R__a_functions.sql": "SELECT 1;\n",
        }
    )
    d = load_environment("env/dev.yaml", dotted)
    assert [(m.version, m.name, m.filename) for m in d.migrations] == [
        ("0001", "init", "V1__Init.sql"),
        ("0001.9", "nine_and_more", "V1.9__Nine-and-more.sql"),
        ("0001.9.1", "nine_one", "V1_9_1__nine_one.sql"),
        ("0001.10", "ten", "V1.10__ten.sql"),
        ("0002", "two", "V2__two.sql"),
        ("2020.1.2", "dated", "V2020.01.02__dated.sql"),
        ("R__a_functions", "a_functions", "R__a_functions.sql"),
        ("R__views", "views", "R__Views.sql"),
    ]
    assert [m.version for m in d.migrations if m.is_named("1.9")] == ["0001.9"]
    bad = tree()
    bad.files.update(
        {
            "m/V3__fix.sql": "SELECT 1;\n",
            "m/V3.0__fix_again.sql": "SELECT 1;\n",
            "m/R__index.sql": "CREATE INDEX CONCURRENTLY i ON a (id);\n",
        }
    )
    errs = errors(bad)
    assert any("V3__fix.sql" in e and "duplicate-version" in e for e in errs), errs
    assert any("R__index.sql" in e and "repeatable-no-transaction" in e for e in errs), errs


def test_every_path_comes_back_from_the_operator_s_configmap() -> None:
    """ConfigMap keys turn / into __, which a name holding __ itself (every Flyway file)
    would not survive: such paths get keys of their own, listed in .paths.json; a package
    written before (no .paths.json) reads as it always did."""
    from reconciler.manifest.package import PATHS_KEY, files_from_configmap, package_configmap

    files = {
        "environments/dev.yaml": "name: dev\n",
        "db/migration/V1__init.sql": "CREATE TABLE a (id bigint);\n",
        "db/migration/U1__init.sql": "DROP TABLE a;\n",
        "config/a__b.yaml": "category: a\n",
        "prisma/migrations/20230101_x/migration.sql": "SELECT 1;\n",
        "odd name+plus.sql": "SELECT 2;\n",
    }
    data = package_configmap("p", "ns", files)["data"]
    assert isinstance(data, dict)
    assert all(re.fullmatch(r"[-._a-zA-Z0-9]{1,253}", k) for k in data), sorted(data)
    assert "environments__dev.yaml" in data and PATHS_KEY in data
    assert files_from_configmap(data).files == files
    old = {"environments__dev.yaml": "name: dev\n", "m__0001_a.sql": "SELECT 1;\n"}
    assert files_from_configmap(old).files == {
        "environments/dev.yaml": "name: dev\n",
        "m/0001_a.sql": "SELECT 1;\n",
    }


def test_the_rule_that_guards_the_tool_s_own_schema_cannot_be_switched_off() -> None:
    """policy.rules may relax any rule but the one that keeps migrations out of the
    reconciler schema (its history, approvals and audit log)."""
    got = errors(
        tree(
            env__dev_DOT_yaml=ENV
            + "policy:\n  rules: {ban-delete: off, ban-reconciler-schema: warning}\n"
        )
    )
    assert len(got) == 1 and got[0].startswith("env/dev.yaml:11:28: error[fixed-rule]:"), got
    assert "ban-reconciler-schema" in got[0]


def test_config_entries_named_like_credentials_hold_no_literal_secret() -> None:
    """The entry's name says what its value is, as a column's does in SQL; names that only
    mention a credential, and values that are no secret, are fine."""
    extra = (
        "  password_min_length:\n    value: 12\n    type: integer\n"
        "  api_key_header:\n    value: X-API-Key\n    type: string\n"
        "  smtp_password:\n    value: ''\n    type: string\n"
        "  reset_token_ttl:\n    value: 3600s\n    type: string\n"
    )
    load_environment("env/dev.yaml", tree(config__xp_DOT_yaml=CONFIG + extra))  # no error
    leaked = "  stripe_secret_key:\n    value: 3f8a9c2d7e1b4f6a8c0d\n    type: string\n"
    found = errors(tree(config__xp_DOT_yaml=CONFIG + leaked))
    assert len(found) == 1 and "literal-secret" in found[0] and "3f8a9c2d" not in found[0]
    # at any depth of a value, as a key named password already was
    nested = (
        "  smtp:\n    value: {host: mail, smtp_password: Pa55w0rd!xyz, token_type: bearer}\n"
        "    type: object\n"
    )
    found = errors(tree(config__xp_DOT_yaml=CONFIG + nested))
    assert found == [
        "config/xp.yaml:9:40: error[literal-secret]: entries.smtp.value.smtp_password: key "
        "'smtp_password' holds a literal secret\n  help: secrets do not belong in config "
        "entries: keep them in a secret store and reference them from the application"
    ], found


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("afterMigrate.sql", "R__after_migrate.sql"),
        ("afterEachMigrate__grants.sql", "R__after_each_migrate.sql"),
        ("beforeMigrate.sql", "environment's policy"),
        ("afterMigrateError.sql", "R__after_migrate_error.sql"),
    ],
)
def test_a_flyway_callback_is_named_not_ignored(name: str, advice: str) -> None:
    """A Flyway history's SQL callbacks (grants after every migrate, say) would silently stop
    running: each is an error saying what it is and where its statements can go."""
    files = tree()
    (e,) = errors(MemoryFiles({**files.files, f"m/{name}": "SELECT 1;\n"}))
    assert e.startswith(f"m/{name}: error[flyway-callback]: {name} is a Flyway callback"), e
    assert advice in e


def test_a_history_whose_metadata_names_parents_must_run_after_them() -> None:
    """Sourcegraph keeps a folder per migration (<id>_<name>/up.sql) whose metadata.yaml names
    its parents: a graph the reconciler runs in version order. A parent that runs after its
    child, or that no migration has, is a located error; parents in order are fine."""
    base = {
        "1000_a/up.sql": "SELECT 1;\n",
        "1000_a/metadata.yaml": "name: a\nparents: []\n",
        "1500_b/up.sql": "SELECT 1;\n",
        "1500_b/metadata.yaml": "name: b\nparents: [1000]\n",
    }
    assert [v for v, *_ in _read_as(base)] == ["1000", "1500"]
    errs = _errors_as(
        {
            **base,
            "1500_b/metadata.yaml": "name: b\nparents: [1000, 2000]\n",
            "2000_c/up.sql": "SELECT 1;\n",
            "2000_c/metadata.yaml": "name: c\nparents:\n  - 1500\n  - 999\n",
        }
    )
    assert errs[0].startswith(
        "m/1500_b/metadata.yaml:2:1: error[out-of-order]: 1500_b/up.sql builds on 2000"
    ), errs
    assert errs[1].startswith(
        "m/2000_c/metadata.yaml:2:1: error[missing-file]: m/2000_c/metadata.yaml names parent 999"
    ), errs


def test_a_flyway_baseline_migration_is_named_not_taken_for_a_bad_name() -> None:
    """Flyway runs B5__baseline.sql on an empty database instead of V1..V5; the reconciler runs
    the V files and cannot tell the two build the same schema: a located error saying what
    the file is and what to do, where it had been the generic "not NNNN_name" advice."""
    files = tree()
    (e,) = errors(MemoryFiles({**files.files, "m/B1__baseline.sql": "SELECT 1;\n"}))
    assert e.startswith(
        "m/B1__baseline.sql: error[bad-file-name]: B1__baseline.sql is a Flyway baseline migration"
    ), e
    assert "move the baseline out of the folder" in e


def test_a_settings_file_saying_no_transaction_is_honoured() -> None:
    """Flyway's V3__x.sql.conf beside V3__x.sql with executeInTransaction=false, and Diesel's
    metadata.toml with run_in_transaction = false, run the migration statement by statement
    (what ALTER TYPE ... ADD VALUE then its use needs); any other setting, or none, leaves
    it in its transaction."""
    files = tree(m__0001_init_DOT_sql=None)
    files.files.update(
        {
            "m/V1__enum.sql": "ALTER TYPE mood ADD VALUE 'meh';\nUPDATE t SET m = 'meh' WHERE id = 1;\n",
            "m/V1__enum.sql.conf": "\ufeffexecuteInTransaction = false  # (saved with a BOM)\n",
            "m/V2__plain.sql": "CREATE TABLE a (id bigint);\n",
            "m/V2__plain.sql.conf": "encoding=UTF-8\n",
            "m/V3__more.sql": "CREATE TABLE b (id bigint);\n",
        }
    )
    d = load_environment("env/dev.yaml", files)
    assert [(m.version, m.source.no_transaction) for m in d.migrations] == [
        ("0001", True),
        ("0002", False),
        ("0003", False),
    ]
    assert d.migrations[0].source.no_transaction_reason == (
        "-- V1__enum.sql.conf: executeInTransaction = false"  # (as it is written there)
    )
    # Diesel says it in the migration folder's metadata.toml
    diesel = {
        "2024-01-01-000000_enum/up.sql": "ALTER TYPE mood ADD VALUE 'meh';\n",
        "2024-01-01-000000_enum/metadata.toml": "run_in_transaction = false\n",
        "2024-01-02-000000_plain/up.sql": "CREATE TABLE a (id bigint);\n",
        "2024-01-02-000000_plain/metadata.toml": "run_in_transaction = true\n",
    }
    files = tree(m__0001_init_DOT_sql=None)
    files.files.update({f"m/{name}": text for name, text in diesel.items()})
    d = load_environment("env/dev.yaml", files)
    assert [m.source.no_transaction_reason for m in d.migrations] == [
        "-- metadata.toml: run_in_transaction = false",
        None,
    ]


def test_a_history_its_tool_says_is_for_another_database_is_a_located_error() -> None:
    """Prisma's migration_lock.toml and sqitch's sqitch.conf name the database the history
    is written for: another one's SQL would fail part way here (or run wrong)."""
    mysql = {
        "20240101000000_init/migration.sql": "CREATE TABLE a (id INT);\n",
        "migration_lock.toml": '# Please do not edit this file manually\nprovider = "mysql"\n',
    }
    (e,) = _errors_as(mysql)
    assert e.startswith("m/migration_lock.toml:2:13: error[other-database]: "), e
    assert "for mysql, not PostgreSQL" in e
    assert _read_as({**mysql, "migration_lock.toml": 'provider = "postgresql"\n'})[0][0] == (
        "20240101000000"
    )
    sqitch = {
        "sqitch.plan": "a 2024-01-01T00:00:00Z Ann <ann@example.org>\n",
        "deploy/a.sql": "CREATE TABLE a (id INT);\n",
        "sqitch.conf": "[core]\n\tengine = sqlite\n",
    }
    (e,) = _errors_as(sqitch)
    assert e.startswith("m/sqitch.conf:2:11: error[other-database]: "), e
    assert _read_as({**sqitch, "sqitch.conf": "[core]\n\tengine = pg\n"})[0][1] == "a"
