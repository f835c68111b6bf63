"""The original's deploy types: schema_safe, config_only, data_migration, hotfix."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine import EXIT_OK, Request, reconcile, repair
from tests.conftest import query, run_cli
from tests.gates.conftest import set_policy

MIGS = "manifests/migrations"
STRICT_STAGING = ("policy:\n", "policy:\n  strict: true\n")
DATA = (
    "-- Description: backfill\n-- Type: DATA (Changes rows; review the WHERE clauses)\n"
    "INSERT INTO app_config (category, key, value) VALUES ('general', 'motd', '\"hi\"') "
    "ON CONFLICT (category, key) DO UPDATE SET value = EXCLUDED.value;\n"
    "UPDATE users SET nickname = username WHERE nickname IS NULL;\n"
    "DELETE FROM wallets WHERE balance < 0;\n"
    "-- Rollback instructions:\n-- 1. nothing to undo\n"
)


def _staging(project: Path) -> None:
    staging = project / "environments/staging.yaml"
    staging.write_text(staging.read_text().replace(*STRICT_STAGING, 1))
    set_policy(
        project, "staging", "backup: {provider: pg_dump, keep: 3}", "backup: {provider: none}"
    )


def test_data_migration_lets_bounded_row_changes_through_strict_mode(
    project: Path, db_url: str
) -> None:
    _staging(project)
    assert reconcile(Request("staging", "apply", root=str(project))).exit_code == EXIT_OK
    query(db_url, "ALTER TABLE users ADD COLUMN nickname text")
    # a column added by hand is drift, which strict staging blocks until someone adopts it
    assert repair(Request("staging", root=str(project)), adopt_drift=True).status == "repaired"
    (project / MIGS / "0008_backfill_safe.sql").write_text(DATA)
    normal = reconcile(Request("staging", root=str(project)))
    assert normal.verdict.status == "blocked"  # strict: UPDATE and DELETE are not on the list
    data = reconcile(Request("staging", root=str(project), migration_type="data_migration"))
    assert data.verdict.status == "allowed", data.verdict.blockers
    assert data.plan.hash != normal.plan.hash  # the type is part of what is approved
    # never DROP or TRUNCATE, and never an UPDATE without a WHERE, even in a DATA file
    (project / MIGS / "0008_backfill_safe.sql").write_text(
        DATA.replace(
            "DELETE FROM wallets WHERE balance < 0;",
            "TRUNCATE wallets;\nUPDATE users SET nickname = 'x';",
        )
    )
    worse = reconcile(Request("staging", root=str(project), migration_type="data_migration"))
    assert {d.code for d in worse.verdict.blockers} >= {"ban-truncate", "ban-update-without-where"}
    # and a file whose header does not say DATA gets no such leeway
    (project / MIGS / "0008_backfill_safe.sql").write_text(
        DATA.replace("-- Type: DATA", "-- Type: SAFE")
    )
    assert (
        reconcile(
            Request("staging", root=str(project), migration_type="data_migration")
        ).verdict.status
        == "blocked"
    )


def test_config_only_never_applies_a_migration(project: Path, db_url: str) -> None:
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    (project / MIGS / "0008_nick_safe.sql").write_text("ALTER TABLE users ADD COLUMN nick text;\n")
    cfg = project / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 40"))
    (project / "manifests/forum-map.yaml").write_text(
        (project / "manifests/forum-map.yaml")
        .read_text()
        .replace("name: Community", "name: The Community")
    )
    r = run_cli(project, "apply", "--env", "dev", "--migration-type", "config_only")
    assert r.returncode == 0, r.stderr
    assert query(db_url, "SELECT value FROM app_config WHERE key = 'posts_per_page'") == [(40,)]
    assert query(db_url, "SELECT name FROM forum_structure WHERE slug = 'community'") == [
        ("The Community",)
    ]
    assert query(
        db_url, "SELECT count(*) FROM reconciler.schema_migrations WHERE version = '0008'"
    ) == [(0,)]


def test_schema_safe_requires_safe_files_and_hotfix_requires_a_reason(
    project: Path, db_url: str
) -> None:
    (project / MIGS / "0008_plain.sql").write_text("CREATE TABLE t (id bigint);\n")
    assert reconcile(Request("dev", root=str(project))).verdict.status == "allowed"
    out = reconcile(Request("dev", root=str(project), migration_type="schema_safe"))
    assert any(d.code == "require-safe-suffix" for d in out.verdict.blockers)
    r = run_cli(project, "apply", "--env", "dev", "--migration-type", "hotfix")
    assert r.returncode == 64 and "--migration-type hotfix needs --reason" in r.stderr
    r = run_cli(
        project, "apply", "--env", "dev", "--migration-type", "hotfix", "--reason", "outage 7"
    )
    assert r.returncode == 0, r.stderr
    assert query(
        db_url,
        "SELECT emergency, reason, details->>'migration_type' FROM reconciler.audit_log "
        "WHERE action = 'apply.succeeded'",
    ) == [(True, "outage 7", "hotfix")]
