"""Every interrupted state recovers by itself or with one audited command (no hand-written SQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine import EXIT_OK, Request, approve, init, reconcile, repair
from tests.conftest import query, run_cli
from tests.gates.conftest import set_policy

MIGS = "manifests/migrations"
CIC = "CREATE INDEX CONCURRENTLY idx_users_created ON users (created_at);"


def _record_part_way(db_url: str, version: str, name: str, checksum: str, done: int) -> None:
    query(
        db_url,
        "INSERT INTO reconciler.schema_migrations (version, name, checksum, applied_at, "
        "statements_done) VALUES (%s, %s, %s, NULL, %s)",
        (version, name, checksum, done),
    )


def test_a_concurrent_index_the_server_finished_after_a_kill_is_recorded_as_done(
    project: Path, db_url: str
) -> None:
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    f = project / MIGS / "0008_index_created_safe.sql"
    f.write_text(f"-- Description: index\n{CIC}\n")
    checksum = reconcile(Request("dev", root=str(project))).desired.migrations[-1].checksum
    # the state a kill -9 leaves: the client died mid-statement, the server built the index,
    # and the progress mark (statements_done) was never written
    _record_part_way(db_url, "0008", "index_created", checksum, 0)
    query(db_url, CIC)
    out = reconcile(Request("dev", "apply", root=str(project)))
    assert out.exit_code == EXIT_OK and out.applied is not None
    assert out.applied.migrations == ["0008"]
    assert query(
        db_url,
        "SELECT applied_at IS NOT NULL, statements_done FROM reconciler.schema_migrations "
        "WHERE version = '0008'",
    ) == [(True, 1)]


def test_an_invalid_index_left_by_a_kill_is_dropped_and_built_again(
    project: Path, db_url: str
) -> None:
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    query(db_url, "CREATE TABLE dup (v int)")
    f = project / MIGS / "0008_unique_names_safe.sql"
    stmt = "CREATE UNIQUE INDEX CONCURRENTLY idx_users_name ON dup (v);"
    f.write_text(f"-- Description: unique\n{stmt}\n")
    checksum = reconcile(Request("dev", root=str(project))).desired.migrations[-1].checksum
    _record_part_way(db_url, "0008", "unique_names", checksum, 0)
    query(db_url, "INSERT INTO dup VALUES (1), (1)")
    with pytest.raises(Exception, match="could not create unique index"):
        query(db_url, stmt)  # fails, leaving the INVALID index a killed run can leave
    assert query(
        db_url,
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = 'idx_users_name'",
    ) == [(False,)]
    query(db_url, "DELETE FROM dup WHERE ctid = (SELECT max(ctid) FROM dup)")
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    assert query(
        db_url,
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = 'idx_users_name'",
    ) == [(True,)]


def test_repair_unwedges_a_file_recorded_with_nothing_done(project: Path, db_url: str) -> None:
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    # a template applied at once by the watch loop, failed, and left a part-way row
    _record_part_way(db_url, "0008", "add_nickname", "checksum-of-the-template", 0)
    f = project / MIGS / "0008_add_nickname_safe.sql"
    f.write_text("-- Description: nicknames\nALTER TABLE users ADD COLUMN nickname text;\n")
    blocked = reconcile(Request("dev", "apply", root=str(project)))
    assert any(d.code == "checksum-mismatch" for d in blocked.verdict.blockers)
    r = run_cli(project, "repair", "--env", "dev")
    assert r.returncode == 0, r.stderr
    assert (
        "re-record the checksum of 0008_add_nickname: edited before any of its statements ran"
        in r.stdout
    )
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    assert query(db_url, "SELECT to_regclass('users') IS NOT NULL") == [(True,)]
    assert query(
        db_url, "SELECT column_name FROM information_schema.columns WHERE column_name = 'nickname'"
    ) == [("nickname",)]
    # or the file deleted instead: the row is forgotten
    _record_part_way(db_url, "0009", "gone", "x", 0)
    assert any(
        d.code == "unknown-applied"
        for d in reconcile(Request("dev", root=str(project))).verdict.blockers
    )
    out = repair(Request("dev", root=str(project)))
    assert out.status == "repaired" and [a.kind for a in out.actions] == ["forget"]
    assert reconcile(Request("dev", root=str(project))).plan.empty
    events = [a for (a,) in query(db_url, "SELECT action FROM reconciler.audit_log ORDER BY id")]
    assert events.count("repair.succeeded") == 2
    assert repair(Request("dev", root=str(project))).status == "nothing-to-repair"


def test_a_file_edited_after_statements_ran_is_left_to_a_person(project: Path, db_url: str) -> None:
    assert reconcile(Request("dev", "apply", root=str(project))).exit_code == EXIT_OK
    query(
        db_url,
        "UPDATE reconciler.schema_migrations SET applied_at = NULL, checksum = 'old', "
        "statements_done = 1 WHERE version = '0001'",
    )
    r = run_cli(project, "repair", "--env", "dev")
    assert (
        r.returncode == 3
        and "cannot repair 0001_create_app_config: edited after 1 statement(s) ran" in r.stdout
    )


def test_repair_in_a_strict_environment_needs_approvals_of_its_own_hash(
    project: Path, db_url: str, approvers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policy(project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none}")
    init(Request("prod", root=str(project)), grant_approvers=True)
    _record_part_way(db_url, "0042", "gone", "x", 0)
    out = repair(Request("prod", root=str(project)))
    assert out.status == "awaiting-approval" and out.required == 2
    for who in ("alice", "bob"):
        monkeypatch.setenv("DATABASE_URL_PROD", approvers[who])
        approve(Request("prod", root=str(project)), out.repair_hash, repair=True)
    monkeypatch.setenv("DATABASE_URL_PROD", db_url)
    done = repair(Request("prod", root=str(project)))
    assert done.status == "repaired" and done.received == ["alice", "bob"]
    assert query(db_url, "SELECT count(*) FROM reconciler.schema_migrations") == [(0,)]


def test_adopting_drift_in_a_strict_environment_needs_approvals_of_its_own_hash(
    project: Path, db_url: str, approvers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policy(project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none}")
    set_policy(project, "prod", "required: 2,", "required: 0,")
    assert reconcile(Request("prod", "apply", root=str(project))).exit_code == EXIT_OK
    set_policy(project, "prod", "required: 0,", "required: 2,")
    init(Request("prod", root=str(project)), grant_approvers=True)
    query(db_url, "ALTER TABLE users ADD COLUMN nickname text")
    blocked = reconcile(Request("prod", root=str(project)))
    assert blocked.verdict.status == "blocked"
    assert [d.code for d in blocked.verdict.blockers] == ["schema-drift"]
    out = repair(Request("prod", root=str(project)), adopt_drift=True)
    assert out.status == "awaiting-approval" and out.required == 2
    assert [a.version for a in out.actions] == ["column:public.users.nickname"]
    for who in ("alice", "bob"):  # each with their own login, computing the same hash
        monkeypatch.setenv("DATABASE_URL_PROD", approvers[who])
        approve(Request("prod", root=str(project)), out.repair_hash, repair=True)
    monkeypatch.setenv("DATABASE_URL_PROD", db_url)
    done = repair(Request("prod", root=str(project)), adopt_drift=True)
    assert done.status == "repaired" and done.received == ["alice", "bob"]
    assert not reconcile(Request("prod", root=str(project))).live.drift


def _run_by_another_tool(project: Path, db_url: str, upto: int) -> None:
    """The sample migrations up to ``upto``, run as psql would: no history of ours."""
    import psycopg

    from reconciler.sql.migration import parse_migration

    with psycopg.connect(db_url, autocommit=True) as c:
        for f in sorted((project / MIGS).glob("*.sql"))[:upto]:
            for stmt in parse_migration(str(f), f.read_text()).statements:
                c.execute(stmt.text)


def test_a_database_another_tool_migrated_is_adopted_with_a_baseline(
    project: Path, db_url: str, approvers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flyway's baseline, Prisma's `migrate resolve --applied`: the files up to a version are
    recorded as applied without running them; later files apply as usual. Audited, and in a
    strict environment approved by the repair's own hash. Until then, a database holding
    another tool's history and none of ours is never migrated again from the first file."""
    _run_by_another_tool(project, db_url, 6)
    # that tool's history table is there and none of ours: nothing runs again, the plan says
    # how to adopt the database (a data migration applied twice is data damaged)
    # (an application's own table of that name is no tool's history: Flyway's has its columns)
    query(db_url, "CREATE TABLE public.schema_version (app_version text)")
    r = run_cli(project, "plan", "--env", "dev")
    assert r.returncode == 2 and "other-tool-history" not in r.stdout + r.stderr, r.stdout
    query(
        db_url,
        "CREATE TABLE public.flyway_schema_history (installed_rank int PRIMARY KEY, "
        "version varchar(50), description varchar(200), success boolean NOT NULL)",
    )
    query(
        db_url,
        "INSERT INTO public.flyway_schema_history SELECT n, n::text, 'step', n <> 7 "
        "FROM generate_series(1, 7) n",  # (the 7th failed: Flyway's last applied is 6)
    )
    before = query(db_url, "SELECT count(*) FROM app_config")
    r = run_cli(project, "apply", "--env", "dev")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "error[other-tool-history]: this database holds Flyway's migration history" in (
        r.stdout + r.stderr
    )
    said = "`reconcile repair --env dev --baseline 0006_add_user_prefs_safe` records each file"
    assert said in r.stdout + r.stderr and "(Flyway's last, 6)" in r.stdout + r.stderr
    assert query(db_url, "SELECT count(*) FROM app_config") == before  # (nothing ran again)
    r = run_cli(project, "repair", "--env", "dev", "--baseline", "0099")
    assert r.returncode == 1 and "error[unknown-target]" in r.stderr, r.stdout + r.stderr
    r = run_cli(project, "repair", "--env", "dev", "--baseline", "0006_add_user_prefs_safe")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "record 0001_create_app_config as applied, without running it" in r.stdout
    rows = query(
        db_url,
        "SELECT version, statements_done, applied_at IS NOT NULL "
        "FROM reconciler.schema_migrations ORDER BY 1",
    )
    assert [v for v, _, _ in rows] == ["0001", "0002", "0003", "0004", "0005", "0006"]
    assert all(done > 0 and applied for _, done, applied in rows)
    out = reconcile(Request("dev", "apply", root=str(project)))
    assert out.exit_code == EXIT_OK and [a.version for a in out.plan.migrations] == ["0007"]
    assert query(db_url, "SELECT to_regclass('xp_events') IS NOT NULL") == [(True,)]
    events = [a for (a,) in query(db_url, "SELECT action FROM reconciler.audit_log ORDER BY id")]
    assert "repair.succeeded" in events
    # a strict environment: the same baseline waits for approvals of its own hash
    query(db_url, "DELETE FROM reconciler.schema_migrations WHERE version IN ('0005', '0006')")
    set_policy(project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none}")
    init(Request("prod", root=str(project)), grant_approvers=True)
    out = repair(Request("prod", root=str(project)), baseline="0006")
    assert out.status == "awaiting-approval" and [a.version for a in out.actions] == [
        "0005",
        "0006",
    ]
    for who in ("alice", "bob"):
        monkeypatch.setenv("DATABASE_URL_PROD", approvers[who])
        approve(Request("prod", root=str(project)), out.repair_hash, repair=True, baseline="0006")
    monkeypatch.setenv("DATABASE_URL_PROD", db_url)
    done = repair(Request("prod", root=str(project)), baseline="0006")
    assert done.status == "repaired" and done.received == ["alice", "bob"]
    assert query(db_url, "SELECT count(*) FROM reconciler.schema_migrations") == [(7,)]
