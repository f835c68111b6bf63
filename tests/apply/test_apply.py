"""Apply against a real PostgreSQL: idempotence, atomic failure, resume, lock timeouts, data sync."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest

from reconciler.engine import EXIT_BLOCKED, EXIT_CHANGES, EXIT_OK, Request, reconcile
from reconciler.errors import MigrationFailed, ReconcilerError
from reconciler.plan import ApplyMigration
from reconciler.sql.migration import checksum
from tests.conftest import query, run_cli

MIGS = "manifests/migrations"


def write(project: Path, rel: str, text: str) -> Path:
    p = project / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def run(project: Path, mode: str = "apply", env: str = "dev"):  # type: ignore[no-untyped-def]
    return reconcile(Request(env=env, mode=mode, root=str(project)))  # type: ignore[arg-type]


def history(url: str) -> list[tuple]:
    return query(
        url,
        "SELECT version, statements_done, applied_at IS NOT NULL "
        "FROM reconciler.schema_migrations ORDER BY version",
    )


def test_apply_then_plan_is_empty(project: Path, db_url: str) -> None:
    first = run(project)
    assert first.exit_code == EXIT_OK and first.applied is not None
    assert len(first.applied.migrations) == 7
    again = run(project, "plan")
    assert again.plan.empty and again.exit_code == EXIT_OK
    assert run(project).applied is None  # second apply changes nothing
    assert query(
        db_url, "SELECT value FROM app_config WHERE category='xp' AND key='daily_cap'"
    ) == [(100000,)]
    assert query(db_url, "SELECT count(*) FROM forum_structure") == [(13,)]
    idx = query(
        db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_posts_author'::regclass"
    )
    assert idx == [(True,)]
    rows = query(
        db_url,
        "SELECT applied_by, plan_hash, statements_done FROM reconciler.schema_migrations "
        "WHERE version = '0005'",
    )
    assert rows == [("tester", first.plan.hash, 4)]


def test_plan_never_writes_and_works_read_only(project: Path, db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("DROP ROLE IF EXISTS ro_reader")
        c.execute("CREATE ROLE ro_reader LOGIN")
        c.execute("ALTER ROLE ro_reader SET default_transaction_read_only = on")
    url = db_url.replace("postgres:@", "ro_reader:@").replace("postgres@", "ro_reader@")
    assert "ro_reader" in url
    import os

    os.environ["DATABASE_URL_DEV"] = url
    out = run(project, "plan")
    assert out.exit_code == EXIT_CHANGES and not out.live.bookkeeping
    assert query(db_url, "SELECT to_regnamespace('reconciler')") == [(None,)]
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("DROP OWNED BY ro_reader")
        c.execute("DROP ROLE ro_reader")


def test_failing_migration_leaves_no_trace(project: Path, db_url: str) -> None:
    write(
        project,
        f"{MIGS}/0008_broken_safe.sql",
        "CREATE TABLE half_done (id int);\n\nINSERT INTO half_done VALUES (1);\n"
        "INSERT INTO no_such_table VALUES (1);\n",
    )
    write(project, f"{MIGS}/0009_later_safe.sql", "CREATE TABLE later (id int);\n")
    with pytest.raises(MigrationFailed) as ei:
        run(project)
    e = ei.value
    assert e.sqlstate == "42P01" and e.location is not None
    assert (e.location.file.endswith("0008_broken_safe.sql"), e.location.line, e.location.col) == (
        True,
        4,
        13,
    )
    assert "statement 3" in e.message and "SQLSTATE 42P01" in e.message
    assert query(db_url, "SELECT to_regclass('half_done'), to_regclass('later')") == [(None, None)]
    assert [v for v, *_ in history(db_url)] == [
        "0001",
        "0002",
        "0003",
        "0004",
        "0005",
        "0006",
        "0007",
    ]
    # config/forum sync did not run after the failure either
    assert query(db_url, "SELECT count(*) FROM app_config") == [(0,)]


def test_no_transaction_migration_resumes_and_repairs_invalid_index(
    project: Path, db_url: str
) -> None:
    run(project)
    query(
        db_url,
        "INSERT INTO users (username, email) VALUES ('a', 'x@example.com'), ('b', 'x@example.com')",
    )
    write(
        project,
        f"{MIGS}/0008_unique_email_safe.sql",
        "ALTER TABLE users ADD COLUMN verified boolean;\n"
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
        "ALTER TABLE users ADD COLUMN email_lower text;\n",
    )
    with pytest.raises(MigrationFailed) as ei:
        run(project)
    assert (
        ei.value.sqlstate == "23505"
        and ei.value.location is not None
        and ei.value.location.line == 2
    )
    assert history(db_url)[-1] == ("0008", 1, False)  # statement 1 done, not complete
    assert query(
        db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_key'::regclass"
    ) == [(False,)]
    plan = run(project, "plan").plan
    assert isinstance(plan.actions[0], ApplyMigration) and plan.actions[0].resume_from == 1
    assert [f.kind for f in plan.findings] == ["PartiallyApplied"]
    query(db_url, "UPDATE users SET email = 'y@example.com' WHERE username = 'b'")
    out = run(project)  # statement 1 is not re-run (it would fail: column exists)
    assert out.applied is not None and out.applied.migrations == ["0008"]
    assert history(db_url)[-1] == ("0008", 3, True)
    assert query(
        db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_key'::regclass"
    ) == [(True,)]


def test_lock_timeout_is_retried_then_succeeds(project: Path, db_url: str) -> None:
    run(project)
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace("lock_timeout: 5s", "lock_timeout: 100ms\n  lock_retries: 8")
    )
    write(project, f"{MIGS}/0008_add_col_safe.sql", "ALTER TABLE wallets ADD COLUMN note text;\n")
    blocker = psycopg.connect(db_url)
    blocker.execute("LOCK TABLE wallets IN ACCESS SHARE MODE")
    threading.Timer(1.0, blocker.rollback).start()
    t0 = time.monotonic()
    out = run(project)
    assert out.applied is not None and out.applied.migrations == ["0008"]
    assert out.applied.lock_retries >= 1 and time.monotonic() - t0 >= 0.9
    blocker.close()


def test_lock_timeout_gives_up_bounded(project: Path, db_url: str) -> None:
    run(project)
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace("lock_timeout: 5s", "lock_timeout: 50ms\n  lock_retries: 1")
    )
    write(project, f"{MIGS}/0008_add_col_safe.sql", "ALTER TABLE wallets ADD COLUMN note text;\n")
    with psycopg.connect(db_url) as blocker:
        blocker.execute("LOCK TABLE wallets IN ACCESS SHARE MODE")
        with pytest.raises(MigrationFailed) as ei:
            run(project)
    assert ei.value.sqlstate == "55P03" and "after 2 attempts" in ei.value.message
    assert "0008" not in [v for v, *_ in history(db_url)]


def test_lock_retries_bound_the_lock_waits(project: Path, db_url: str) -> None:
    """lock_retries: 1 means two waits in the lock queue, however the migration is sent."""
    run(project)
    env = project / "environments/dev.yaml"
    env.write_text(
        # (each wait a second long: a watcher starved by a busy machine still sees it)
        env.read_text().replace("lock_timeout: 5s", "lock_timeout: 1s\n  lock_retries: 1")
    )
    write(project, f"{MIGS}/0008_add_col_safe.sql", "ALTER TABLE wallets ADD COLUMN note text;\n")
    waits: set[object] = set()
    done = threading.Event()

    def watch_queue() -> None:  # each attempt is its own transaction: count their starts
        with psycopg.connect(db_url, autocommit=True) as c:
            while not done.is_set():
                waits.update(
                    r[0]
                    for r in c.execute(
                        "SELECT a.xact_start FROM pg_locks l JOIN pg_stat_activity a "
                        "USING (pid) WHERE NOT l.granted AND l.relation = 'wallets'::regclass"
                        # (pg_locks and pg_stat_activity are read apart: between two attempts
                        # the session can show a waiting lock beside no transaction)
                        " AND a.xact_start IS NOT NULL"
                    )
                )
                time.sleep(0.01)

    with psycopg.connect(db_url) as blocker:
        blocker.execute("LOCK TABLE wallets IN ACCESS SHARE MODE")
        watcher = threading.Thread(target=watch_queue)
        watcher.start()
        try:
            with pytest.raises(MigrationFailed):
                run(project)
        finally:
            done.set()
            watcher.join()
    assert len(waits) == 2, f"{len(waits)} lock waits for lock_retries: 1"


@pytest.mark.parametrize("pipeline", [True, False], ids=["pipelined", "libpq-without-pipeline"])
def test_a_failing_migration_runs_once_and_is_located(
    project: Path, db_url: str, pipeline: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails is not run a second time to find the failing statement: its
    work (here a statement timeout's wait) would be done twice."""
    if not pipeline:  # the path taken with a libpq older than 14
        monkeypatch.setattr(psycopg.Pipeline, "is_supported", staticmethod(lambda: False))
    run(project)
    env = project / "environments/dev.yaml"
    env.write_text(env.read_text().replace("statement_timeout: 10min", "statement_timeout: 300ms"))
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("CREATE SEQUENCE attempts")
    write(
        project,
        f"{MIGS}/0008_slow_safe.sql",
        "SELECT nextval('attempts');\nSELECT pg_sleep(2);\nCREATE TABLE never (id int);\n",
    )
    with pytest.raises(MigrationFailed) as ei:
        run(project)
    assert ei.value.sqlstate == "57014"
    assert ei.value.location is not None and ei.value.location.line == 2
    # nextval is not rolled back: it counts the attempts
    assert query(db_url, "SELECT last_value FROM attempts") == [(1,)]
    assert "0008" not in [v for v, *_ in history(db_url)]


def test_config_and_forum_sync_archive_and_drift(project: Path, db_url: str) -> None:
    run(project)
    cfg = project / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 25"))
    fm = project / "manifests/forum-map.yaml"
    original = fm.read_text()
    fm.write_text(original.replace("          - slug: music\n            name: Music\n", ""))
    query(
        db_url,
        "UPDATE app_config SET value = '7', updated_by = 'admin-ui' "
        "WHERE category = 'xp' AND key = 'per_post'",
    )
    query(db_url, "INSERT INTO app_config (category, key, value) VALUES ('xp', 'legacy', '1')")
    out = run(project, "plan")
    assert sorted(f.kind for f in out.plan.findings) == ["ConfigDrift"]
    summary = out.plan.counts()
    assert summary == {"upsert_config": 2, "delete_config": 1, "archive_forum": 1}
    run(project)
    assert query(
        db_url,
        "SELECT key, value, updated_by FROM app_config WHERE key IN "
        "('posts_per_page', 'per_post') ORDER BY key",
    ) == [("per_post", 5, "reconciler:tester"), ("posts_per_page", 25, "reconciler:tester")]
    assert query(db_url, "SELECT count(*) FROM app_config WHERE key = 'legacy'") == [(0,)]
    assert query(
        db_url, "SELECT archived_at IS NOT NULL FROM forum_structure WHERE slug = 'music'"
    ) == [(True,)]
    fm.write_text(original)
    out = run(project)
    assert [a.kind for a in out.plan.actions] == ["upsert_forum"]
    assert query(db_url, "SELECT archived_at FROM forum_structure WHERE slug = 'music'") == [
        (None,)
    ]


def test_data_sync_is_one_transaction(project: Path, db_url: str) -> None:
    run(project)
    cfg = project / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 21"))
    fm = project / "manifests/forum-map.yaml"
    fm.write_text(fm.read_text().replace("name: Music", "name: Musik"))
    # make the forum statement fail: a trigger rejects updates to forum_structure
    query(
        db_url,
        "CREATE FUNCTION no_upd() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'frozen'; END $$",
    )
    query(
        db_url,
        "CREATE TRIGGER frozen BEFORE UPDATE ON forum_structure FOR EACH ROW EXECUTE FUNCTION no_upd()",
    )
    with pytest.raises(MigrationFailed, match="frozen"):
        run(project)
    assert query(db_url, "SELECT value FROM app_config WHERE key = 'posts_per_page'") == [(20,)]


def test_live_state_read_in_constant_round_trips(project: Path, db_url: str) -> None:
    run(project)
    small = run(project, "plan").live.round_trips
    query(
        db_url,
        "INSERT INTO app_config (category, key, value) "
        "SELECT 'bulk', 'k' || g, to_jsonb(g) FROM generate_series(1, 5000) g",
    )
    query(
        db_url,
        "INSERT INTO forum_structure (slug, kind, name) "
        "SELECT 'f' || g, 'zone', 'F' FROM generate_series(1, 500) g",
    )
    big = run(project, "plan")
    assert small == big.live.round_trips == 2
    assert len(big.live.config) == 5016


def test_checksum_drift_blocks_apply(project: Path, db_url: str) -> None:
    run(project)
    f = project / MIGS / "0003_create_users_safe.sql"
    f.write_text(f.read_text().replace("email      text", "email      varchar(200)"))
    write(project, f"{MIGS}/0008_more_safe.sql", "CREATE TABLE more (id int);\n")
    out = run(project)
    assert out.exit_code == EXIT_BLOCKED and out.applied is None
    assert [b.code for b in out.verdict.blockers] == ["checksum-mismatch"]
    assert query(db_url, "SELECT to_regclass('more')") == [(None,)]


def test_unknown_applied_migration_is_reported(project: Path, db_url: str) -> None:
    run(project)
    (project / MIGS / "0007_create_xp_events_safe.sql").unlink()
    out = run(project, "plan")
    assert out.exit_code == EXIT_BLOCKED
    assert [(f.kind, f.subject) for f in out.plan.findings] == [("UnknownApplied", "0007")]


def test_missing_config_table_is_a_finding(project: Path, db_url: str) -> None:
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace(
            "  files: [../manifests/config/*.yaml]",
            "  files: [../manifests/config/*.yaml]\n  table: settings",
        )
    )
    with pytest.raises(
        ReconcilerError, match="table settings does not exist after the migrations ran"
    ):
        run(project)
    assert len(history(db_url)) == 7  # each migration is its own unit and stays applied
    out = run(project, "plan")
    assert [f.kind for f in out.plan.findings] == ["MissingTargetTable"]
    assert out.exit_code == EXIT_BLOCKED


def test_failed_apply_then_fixed_file_applies(project: Path, db_url: str) -> None:
    p = write(
        project, f"{MIGS}/0008_fix_safe.sql", "CREATE TABLE x (id int REFERENCES nope (id));\n"
    )
    with pytest.raises(ReconcilerError):
        run(project)
    p.write_text("CREATE TABLE x (id int);\n")
    assert run(project).applied is not None
    assert query(db_url, "SELECT to_regclass('x') IS NOT NULL") == [(True,)]


def test_a_files_transaction_does_not_wait_for_its_own_flush_and_the_apply_ends_durable(
    project: Path, db_url: str
) -> None:
    """Each transactional file commits with synchronous_commit off (its history row with it);
    a no-transaction file and the apply's closing commits keep the server's setting."""
    write(
        project,
        f"{MIGS}/0008_async_safe.sql",
        "CREATE TABLE commit_mode AS SELECT current_setting('synchronous_commit') AS v;\n",
    )
    write(
        project,
        f"{MIGS}/0009_sync_safe.sql",
        "CREATE INDEX CONCURRENTLY commit_mode_v ON commit_mode (v);\n"
        "INSERT INTO commit_mode SELECT current_setting('synchronous_commit');\n",
    )
    assert run(project).exit_code == EXIT_OK
    assert sorted(v for (v,) in query(db_url, "SELECT v FROM commit_mode")) == ["off", "on"]
    assert history(db_url)[-2:] == [("0008", 1, True), ("0009", 2, True)]
    # the succeeded event was committed synchronously after them: its flush covers both
    assert query(
        db_url,
        "SELECT action FROM reconciler.audit_log ORDER BY id DESC LIMIT 1",
    ) == [("apply.succeeded",)]


def test_a_file_with_a_byte_order_mark_applies_and_keeps_its_checksum(
    project: Path, db_url: str
) -> None:
    """As some Windows editors save it: the mark is neither SQL nor part of the checksum."""
    sql = "-- Description: bom\n-- Rollback: DROP TABLE bom;\nCREATE TABLE bom (id bigint);\n"
    p = project / f"{MIGS}/0008_bom_safe.sql"
    p.write_bytes(b"\xef\xbb\xbf" + sql.encode())
    out = run(project)
    assert out.exit_code == EXIT_OK, [d.message for d in out.verdict.blockers]
    assert not any(d.code == "unparsed-statement" for d in out.verdict.warnings)
    assert query(db_url, "SELECT to_regclass('bom') IS NOT NULL") == [(True,)]
    p.write_text(sql)  # saved again without the mark: not an edit
    assert run(project, "plan").exit_code == EXIT_OK


def test_copy_from_stdin_rows_are_loaded_with_their_file(project: Path, db_url: str) -> None:
    """pg_dump's seed data: the rows after COPY ... FROM STDIN, up to a line \\., in the file's
    transaction; a bad row fails the file as a whole, located at its COPY."""
    head = "-- Description: seed\n-- Rollback: DROP TABLE seed;\n"
    bad = write(
        project,
        f"{MIGS}/0008_seed.sql",
        head + "CREATE TABLE seed (id bigint PRIMARY KEY, name text);\n"
        "COPY seed (id, name) FROM stdin;\n1\tone\nnot a number\ttwo\n\\.\n"
        "CREATE INDEX seed_name ON seed (name);\n",
    )
    with pytest.raises(MigrationFailed) as e:
        run(project)
    assert e.value.location is not None and e.value.location.line == 4
    assert "22P02" in e.value.message  # invalid input syntax, from the server
    assert query(db_url, "SELECT to_regclass('seed')") == [(None,)]  # nothing half-applied
    bad.write_text(bad.read_text().replace("not a number\ttwo", "2\t\\N"))  # \N: NULL
    assert run(project).exit_code == EXIT_OK
    assert query(db_url, "SELECT id, name FROM seed ORDER BY id") == [(1, "one"), (2, None)]
    # a no-transaction file (statement by statement) copies its rows too
    write(
        project,
        f"{MIGS}/0009_more_seed.sql",
        head + "-- reconciler:no-transaction\n"
        'COPY seed (id, name) FROM stdin WITH (FORMAT csv);\n3,"three, quoted"\n\\.\n',
    )
    assert run(project).exit_code == EXIT_OK
    assert query(db_url, "SELECT name FROM seed WHERE id = 3") == [("three, quoted",)]
    assert [v for v, _, done in history(db_url) if done][-2:] == ["0008", "0009"]


def test_each_file_starts_from_the_session_as_it_was_opened(project: Path, db_url: str) -> None:
    """A SET without LOCAL outlives its file's transaction; the next file of the same run must
    not inherit it (applied in a run of its own, it would not): the same files give the same
    schema whether one run applies them or several."""
    write(
        project,
        f"{MIGS}/0008_side_schema.sql",
        "CREATE SCHEMA side;\nSET search_path = side, public;\n"
        "SELECT set_config('statement_timeout', '1234', false);\n"
        "CREATE TEMP TABLE scratch (a int);\n"
        "PREPARE one_row AS SELECT 1;\nLISTEN side_changes;\n"
        "DECLARE held CURSOR WITH HOLD FOR SELECT 1;\n"
        "SELECT pg_advisory_lock(4242), pg_advisory_lock(4242), pg_advisory_lock_shared(7, -8);\n",
    )
    write(
        project,
        f"{MIGS}/0009_after_it.sql",
        "CREATE TABLE after_side (id bigint);\n"
        "PREPARE one_row AS SELECT 2;\n"  # fails if the earlier file's statement is still there
        "DO $$ BEGIN\n"
        "  IF EXISTS (SELECT FROM pg_listening_channels()) THEN RAISE 'a LISTEN leaked'; END IF;\n"
        "  IF EXISTS (SELECT FROM pg_cursors WHERE name = 'held') THEN RAISE 'a cursor leaked'; END IF;\n"
        "  IF to_regclass('pg_temp.scratch') IS NOT NULL THEN RAISE 'a temporary table leaked'; END IF;\n"
        "  IF current_setting('statement_timeout') = '1234ms' THEN RAISE 'a setting leaked'; END IF;\n"
        "  IF EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()\n"
        "    AND objid IN (4242, 4294967288)) THEN RAISE 'an advisory lock leaked'; END IF;\n"
        "  IF NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())\n"
        "    THEN RAISE 'the reconciler lost its own lock'; END IF;\n"
        "END $$;\n",
    )
    out = run(project)
    assert out.exit_code == EXIT_OK and out.applied is not None
    assert out.applied.migrations[-2:] == ["0008", "0009"]
    assert query(
        db_url,
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'after_side'",
    ) == [("public",)]


def test_a_setting_a_function_changed_does_not_reach_the_next_file(
    project: Path, db_url: str
) -> None:
    """A function called in a file can set_config() without a SET in the file's text: the
    next file, and the config rows after the last one, still start from the session as it
    was opened."""
    write(
        project,
        f"{MIGS}/0008_side_path.sql",
        "CREATE SCHEMA side;\n"
        "CREATE FUNCTION side.use_side() RETURNS void LANGUAGE sql AS\n"
        "$$ SELECT set_config('search_path', 'side', false), "
        "set_config('statement_timeout', '4321', false) $$;\n"
        "CREATE FUNCTION side.scratch() RETURNS void LANGUAGE sql AS\n"
        "$$ CREATE TEMP TABLE IF NOT EXISTS after_call (id bigint) $$;\n",
    )
    write(project, f"{MIGS}/0009_call_it.sql", "SELECT side.use_side();\nSELECT side.scratch();\n")
    write(
        project,
        f"{MIGS}/0010_after_it.sql",
        "CREATE TABLE after_call (id bigint);\n"
        "INSERT INTO after_call VALUES (1);\n"  # (not into the temporary one the function made)
        "DO $$ BEGIN\n"
        "  IF current_setting('statement_timeout') = '4321ms' THEN RAISE 'a setting leaked'; END IF;\n"
        "END $$;\n"
        "SELECT side.use_side();\n",  # the last file leaves it too: the config rows come next
    )
    out = run(project)
    assert out.exit_code == EXIT_OK and out.applied is not None, out
    assert out.applied.migrations[-3:] == ["0008", "0009", "0010"]
    assert query(
        db_url,
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'after_call'",
    ) == [("public",)]
    assert query(db_url, "SELECT count(*) FROM public.after_call") == [(1,)]
    assert query(db_url, "SELECT count(*) > 0 FROM public.app_config") == [(True,)]


def test_a_dbmate_file_runs_its_up_half_only(project: Path, db_url: str) -> None:
    """A two-way file from dbmate: the statements after `-- migrate:down` are its rollback
    instructions and never run (applied whole, it would drop what it created)."""
    write(
        project,
        f"{MIGS}/0008_from_dbmate.sql",
        "-- migrate:up\nCREATE TABLE from_dbmate (id bigint);\n\n"
        "-- migrate:down\nDROP TABLE from_dbmate;\n",
    )
    out = run(project)
    assert out.exit_code == EXIT_OK and out.applied is not None
    assert query(db_url, "SELECT to_regclass('from_dbmate') IS NOT NULL") == [(True,)]
    assert query(
        db_url, "SELECT statements_done FROM reconciler.schema_migrations WHERE version = '0008'"
    ) == [(1,)]


def test_a_psql_meta_command_blocks_the_file_and_the_rest_is_still_checked(
    project: Path, db_url: str
) -> None:
    """pg_dump's \\restrict pair around a dump: reported in every environment (the server
    cannot run it), located, nothing applied; the statements between are read and judged."""
    write(
        project,
        f"{MIGS}/0008_from_a_dump.sql",
        "\\restrict AbC123\nCREATE TABLE from_dump (id bigint);\n\\unrestrict AbC123\n",
    )
    out = run(project)
    assert out.exit_code == EXIT_BLOCKED and out.applied is None
    found = [(f.code, f.location.line) for f in out.verdict.blockers if f.location]
    assert ("ban-psql-meta-command", 1) in found and ("ban-psql-meta-command", 3) in found
    assert query(db_url, "SELECT to_regclass('from_dump')") == [(None,)]


def test_a_golang_migrate_pair_applies_its_up_file_only(project: Path, db_url: str) -> None:
    """0008_x.up.sql is migration 0008; the .down.sql beside it is its undo and never runs."""
    write(project, f"{MIGS}/0008_from_golang_migrate.up.sql", "CREATE TABLE from_gm (id bigint);\n")
    write(project, f"{MIGS}/0008_from_golang_migrate.down.sql", "DROP TABLE from_gm;\n")
    out = run(project)
    assert out.exit_code == EXIT_OK and out.applied is not None
    assert out.applied.migrations[-1] == "0008"
    assert query(db_url, "SELECT to_regclass('from_gm') IS NOT NULL") == [(True,)]
    assert query(
        db_url, "SELECT name FROM reconciler.schema_migrations WHERE version = '0008'"
    ) == [("from_golang_migrate",)]
    write(project, f"{MIGS}/0009_orphan.down.sql", "DROP TABLE users;\n")  # no .up.sql
    with pytest.raises(ReconcilerError, match=r"0009_orphan\.down\.sql"):
        run(project, "plan")


def test_a_file_wrapped_in_its_own_begin_commit_runs_as_one_transaction(
    project: Path, db_url: str
) -> None:
    """sqitch's and Django's sqlmigrate's files wrap themselves in BEGIN ... COMMIT. Run as
    written, the COMMIT would end the reconciler's transaction before the history row; the
    pair is the file's one transaction, which the reconciler gives every file already."""
    write(
        project,
        f"{MIGS}/0008_wrapped.sql",
        "-- Deploy app:wrapped to pg\n\nBEGIN;\n\nCREATE TABLE wrapped (id bigint);\n"
        "ALTER TABLE wrapped ADD COLUMN note text;\n\nCOMMIT;\n",
    )
    out = run(project)
    assert out.exit_code == EXIT_OK and out.applied is not None
    assert query(
        db_url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'wrapped'"
    ) == [(2,)]
    assert query(
        db_url, "SELECT statements_done FROM reconciler.schema_migrations WHERE version = '0008'"
    ) == [(2,)]
    # a failing statement inside the pair leaves nothing behind, history row included
    write(
        project,
        f"{MIGS}/0009_wrapped_failing.sql",
        "BEGIN;\nCREATE TABLE wrapped_two (id bigint);\nSELECT 1 / 0;\nCOMMIT;\n",
    )
    with pytest.raises(MigrationFailed, match="division by zero"):
        run(project)
    assert query(db_url, "SELECT to_regclass('wrapped_two')") == [(None,)]
    # Prisma's shape: a block around part of the file; the whole file is still one transaction
    (project / MIGS / "0009_wrapped_failing.sql").write_text(
        "CREATE TABLE before_block (id bigint);\nBEGIN;\nCREATE TABLE in_block (id bigint);\n"
        "COMMIT;\nSELECT 1 / 0;\n"
    )
    with pytest.raises(MigrationFailed, match="division by zero"):
        run(project)
    assert query(db_url, "SELECT to_regclass('before_block'), to_regclass('in_block')") == [
        (None, None)
    ]
    assert query(
        db_url, "SELECT count(*) FROM reconciler.schema_migrations WHERE version = '0009'"
    ) == [(0,)]


def _applied_from(project: Path, db_url: str, folder: str) -> list[tuple]:
    """Apply an environment whose migrations.dir is ``folder``; the history it recorded."""
    write(
        project,
        "environments/app.yaml",
        f"name: app\ndatabase: {{url_from_env: DATABASE_URL_DEV}}\nmigrations: {{dir: ../{folder}}}\n",
    )
    out = run(project, env="app")
    assert out.exit_code == EXIT_OK and out.applied is not None
    return query(db_url, "SELECT version, name FROM reconciler.schema_migrations ORDER BY 1")


def test_a_prisma_history_applies_as_it_is_kept(project: Path, db_url: str) -> None:
    """An environment pointed at prisma/migrations: each <version>_<name>/migration.sql is
    a migration, applied in Prisma's order (its folders' names) with its history row; then
    nothing is pending."""
    base = project / "prisma/migrations"
    write(project, "prisma/migrations/migration_lock.toml", 'provider = "postgresql"\n')
    write(
        project,
        "prisma/migrations/20230101000000_init/migration.sql",
        '-- CreateTable\nCREATE TABLE "User" ("id" TEXT NOT NULL, CONSTRAINT "User_pkey" '
        'PRIMARY KEY ("id"));\n',
    )
    write(
        project,
        "prisma/migrations/20230201000000_add_bio/migration.sql",
        '-- AlterTable\nALTER TABLE "User" ADD COLUMN "bio" TEXT;\n',
    )
    # a hand-written short timestamp: Prisma runs folders in name order ("_" after every
    # digit), so this runs after 20230101000000_init, not before it as the number 20230115
    write(
        project,
        "prisma/migrations/20230115_add_nick/migration.sql",
        'ALTER TABLE "User" ADD COLUMN "nick" TEXT;\n',
    )
    # Prisma takes any folder name (LiteLLM's history holds one with spaces)
    write(
        project,
        "prisma/migrations/20230301000000_Add organization_id to users/migration.sql",
        'ALTER TABLE "User" ADD COLUMN "organization_id" TEXT;\n',
    )
    assert base.is_dir()
    assert _applied_from(project, db_url, "prisma/migrations") == [
        ("20230101000000", "init"),
        ("20230115999999", "add_nick"),
        ("20230201000000", "add_bio"),
        ("20230301000000", "add_organization_id_to_users"),
    ]
    assert query(
        db_url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'User' "
        "ORDER BY ordinal_position",
    ) == [("id",), ("nick",), ("bio",), ("organization_id",)]
    assert run(project, mode="plan", env="app").plan.actions == []


def test_a_flyway_history_applies_in_numeric_order_without_its_undo_files(
    project: Path, db_url: str
) -> None:
    files = ["V1__init", "V2__add_b", "U2__add_b", "V10__add_c"]
    sqls = ["CREATE TABLE fw (id bigint);", "ALTER TABLE fw ADD COLUMN b text;", "DROP TABLE fw;"]
    for name, sql in zip(files, [*sqls, "ALTER TABLE fw ADD COLUMN c text;"], strict=True):
        write(project, f"db/migration/{name}.sql", sql + "\n")
    assert _applied_from(project, db_url, "db/migration") == [
        ("0001", "init"),
        ("0002", "add_b"),
        ("0010", "add_c"),
    ]
    assert query(
        db_url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'fw' "
        "ORDER BY ordinal_position",
    ) == [("id",), ("b",), ("c",)]


def test_a_flyway_history_with_dotted_versions_applies_part_by_part_in_order(
    project: Path, db_url: str
) -> None:
    """V1.10 after V1.9 after V1, before V2: versions compare as numbers part by part, in the
    apply's order, the history, the snapshot's last version and the out-of-order check."""
    for name, sql in (
        ("V1__init.sql", "CREATE TABLE fw (id bigint);\n"),
        ("V1.10__ten.sql", "INSERT INTO fw VALUES (10);\n"),
        ("V1.9__nine.sql", "INSERT INTO fw VALUES (9);\n"),
        ("V2__two.sql", "INSERT INTO fw VALUES (2);\n"),
    ):
        write(project, f"db/migration/{name}", sql)
    assert _applied_from(project, db_url, "db/migration") == [
        ("0001", "init"),
        ("0001.10", "ten"),
        ("0001.9", "nine"),
        ("0002", "two"),
    ]  # (text order here; the order they ran in is the rows')
    assert query(db_url, "SELECT id FROM fw ORDER BY ctid") == [(9,), (10,), (2,)]
    assert query(db_url, "SELECT version FROM reconciler.schema_snapshot") == [("0002",)]
    # a file slipped in below the newest applied one is out of order, as with whole numbers
    write(project, "db/migration/V1.11__late.sql", "INSERT INTO fw VALUES (11);\n")
    out = run(project, mode="plan", env="app")
    assert [(f.kind, f.subject) for f in out.plan.findings if f.severity == "error"] == [
        ("OutOfOrder", "0001.11")
    ]


def test_a_flyway_repeatable_migration_applies_after_the_versions_and_again_when_changed(
    project: Path, db_url: str
) -> None:
    """R__views.sql runs after every V file, once; edited, it runs again (its history row then
    records the new checksum, and nothing is a mismatch); a new V file still applies in order
    before it, and the newest-version and snapshot checks ignore it."""
    write(project, "db/migration/V1__init.sql", "CREATE TABLE fw (id bigint, a text);\n")
    view = "CREATE OR REPLACE VIEW fw_ids AS SELECT id FROM fw;\n"
    write(project, "db/migration/R__views.sql", view)
    assert _applied_from(project, db_url, "db/migration") == [
        ("0001", "init"),
        ("R__views", "views"),
    ]
    assert run(project, mode="plan", env="app").plan.actions == []
    write(project, "db/migration/R__views.sql", view.replace("SELECT id", "SELECT id, a"))
    write(project, "db/migration/V2__b.sql", "ALTER TABLE fw ADD COLUMN b text;\n")
    plan = run(project, mode="plan", env="app").plan
    assert [a.version for a in plan.migrations] == ["0002", "R__views"]
    assert not [f for f in plan.findings if f.severity == "error"], plan.findings
    out = run(project, env="app")
    assert out.exit_code == EXIT_OK, out
    assert query(
        db_url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'fw_ids' "
        "ORDER BY ordinal_position",
    ) == [("id",), ("a",)]
    (row,) = query(
        db_url, "SELECT checksum FROM reconciler.schema_migrations WHERE version = 'R__views'"
    )
    assert row[0] == checksum(view.replace("SELECT id", "SELECT id, a"))
    again = run(project, mode="plan", env="app").plan
    assert again.actions == [] and not [f for f in again.findings if f.kind != "SchemaDrift"]
    assert query(db_url, "SELECT version FROM reconciler.schema_snapshot") == [("0002",)]


def test_an_empty_migration_of_another_tool_is_recorded_as_applied(
    project: Path, db_url: str
) -> None:
    """Prisma writes "-- This is an empty migration." for `migrate dev --create-only` with no
    change; adopted as it is kept, it is a history row with nothing run."""
    write(
        project,
        "prisma/migrations/20230101000000_init/migration.sql",
        "CREATE TABLE p (id bigint);\n",
    )
    write(
        project,
        "prisma/migrations/20230102000000_nothing/migration.sql",
        "-- This is an empty migration.",
    )
    assert _applied_from(project, db_url, "prisma/migrations") == [
        ("20230101000000", "init"),
        ("20230102000000", "nothing"),
    ]
    assert run(project, mode="plan", env="app").plan.actions == []


def test_a_failing_statement_s_excerpt_never_shows_its_literals(project: Path) -> None:
    """The hint names the failing statement by its first words; a literal in them (a value
    the checker did not take for a credential, a password in a reviewed file) is shown as
    '…', never as written."""
    from tests.conftest import run_cli

    assert run_cli(project, "apply", "--env", "dev").returncode == 0
    write(
        project,
        f"{MIGS}/0008_note_safe.sql",
        "-- Description: a note\n-- rollback: none\n"
        "INSERT INTO missing_table (note) VALUES ('s3cr3t-value-42') ON CONFLICT DO NOTHING;\n",
    )
    r = run_cli(project, "apply", "--env", "dev")
    assert r.returncode == 1
    assert "0008_note_safe.sql:3:13: error[migration-failed]" in r.stderr
    assert "the failing statement begins: INSERT INTO missing_table (note) VALUES ('…'" in r.stderr
    assert "s3cr3t" not in r.stdout + r.stderr


def test_a_waived_error_is_shown_with_the_plan(project: Path) -> None:
    """An ignore with a reason lets an error through; the plan still tells what was waived
    and why, so whoever approves the plan's hash sees it."""
    run(project)
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace(
            "  auto_apply: true\n", "  auto_apply: true\n  rules: {ban-drop-table: error}\n"
        )
    )
    write(
        project,
        f"{MIGS}/0008_retire_safe.sql",
        "-- Description: retire a table\n-- rollback: restore from the backup branch\n"
        "SELECT 1 WHERE false;\n"
        "-- reconciler:ignore ban-drop-table -- never used since 2024; ticket OPS-12\n"
        "DROP TABLE IF EXISTS retired;\n",
    )
    out = run(project, "plan")
    assert out.exit_code == EXIT_CHANGES, [d.message for d in out.verdict.blockers]
    waived = [d for d in out.verdict.warnings if d.code == "waived"]
    assert len(waived) == 1 and "ban-drop-table" in waived[0].message
    assert "OPS-12" in waived[0].hint and str(waived[0].location).endswith(
        "0008_retire_safe.sql:5:1"
    )


def test_psql_variables_are_put_in_and_one_without_a_value_stops_the_plan(
    project: Path, db_url: str
) -> None:
    """A history written for psql -v or graphile-migrate (:SCHEMA, :'note', and :SCHEMA in a
    routine's body): with placeholder_prefix ':' and an empty suffix the environment gives the
    values and the files run with them; a variable with no value is reported where it is
    written, and nothing runs."""
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace(
            "  target: latest\n",
            "  target: latest\n  placeholder_prefix: ':'\n  placeholder_suffix: ''\n"
            '  placeholders: {SCHEMA: worker, note: "it\'s"}\n',
        )
    )
    write(
        project,
        f"{MIGS}/0008_worker_safe.sql",
        "-- Description: x\n-- rollback: DROP SCHEMA worker CASCADE\n"
        "CREATE SCHEMA :SCHEMA;\n"
        "CREATE TABLE :SCHEMA.jobs (id bigint PRIMARY KEY, note text DEFAULT :'note');\n"
        "CREATE FUNCTION :SCHEMA.jobs_count() RETURNS bigint LANGUAGE plpgsql AS $$\n"
        "DECLARE n bigint; BEGIN n := (SELECT count(*) FROM :SCHEMA.jobs); RETURN n; END $$;\n",
    )
    out = run(project)
    assert out.exit_code == 0, out
    assert query(db_url, "SELECT worker.jobs_count()") == [(0,)]
    assert _note_default(db_url, "worker", "jobs") == "'it''s'::text"
    write(
        project,
        f"{MIGS}/0009_grant_safe.sql",
        "-- Description: x\n-- rollback: none\nGRANT SELECT ON :SCHEMA.jobs TO :READER;\n",
    )
    r = run_cli(project, "plan", "--env", "dev")
    assert r.returncode == 3, r.stdout + r.stderr
    # (the column of the replaced text, as for any placeholder: :SCHEMA became worker)
    assert f"{MIGS}/0009_grant_safe.sql:3:32: error[ban-psql-meta-command]: :READER" in r.stdout
    assert history(db_url)[-1][0] == "0008"


def _note_default(db_url: str, schema: str, table: str) -> str:
    """The DEFAULT of column ``note``, as the server keeps it (the placeholder tests' probe)."""
    (row,) = query(
        db_url,
        "SELECT column_default FROM information_schema.columns "
        f"WHERE table_schema = '{schema}' AND table_name = '{table}' AND column_name = 'note'",
    )
    return str(row[0])


def test_flyway_placeholders_are_replaced_in_what_is_applied(project: Path, db_url: str) -> None:
    """A Flyway history that names its schema ${schema}: the environment gives the value, the
    file runs with it, and validate of the file, checked as that environment reads it, is
    clean; a placeholder with no value stops the plan with its location."""
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace(
            "  target: latest\n",
            "  target: latest\n  placeholders: {schema: app, reader: app_ro}\n",
        )
    )
    write(
        project,
        f"{MIGS}/0008_placed_safe.sql",
        "-- Description: a table in the schema the environment names\n"
        "-- rollback: DROP SCHEMA ${schema} (nothing else uses it)\n"
        "CREATE SCHEMA ${schema};\n"
        "CREATE TABLE ${schema}.events (id bigint PRIMARY KEY, note text DEFAULT '${flyway:filename}');\n",
    )
    out = run(project)
    assert out.exit_code == 0, out
    assert _note_default(db_url, "app", "events") == "'0008_placed_safe.sql'::text"
    r = run_cli(project, "validate", "--env", "dev", f"{MIGS}/0008_placed_safe.sql")
    assert r.returncode == 0, r.stdout + r.stderr
    write(
        project,
        f"{MIGS}/0009_grant_safe.sql",
        "-- Description: x\n-- rollback: none\nGRANT SELECT ON ${schema}.events TO ${writer};\n",
    )
    r = run_cli(project, "plan", "--env", "dev")
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"{MIGS}/0009_grant_safe.sql:3:37: error[unknown-placeholder]" in r.stdout + r.stderr
    assert history(db_url)[-1][0] == "0008"  # nothing more ran


def test_transactional_migrations_go_in_batches_of_one_round_trip(
    project: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file's BEGIN, session reset and timeouts, statements, history row and COMMIT go
    to the server in one pipeline with the files after it, up to a batch's size, with one
    Sync: more files in a batch cost no round trip (counted by a wire-protocol proxy: Query
    and Sync messages), a batch more costs one."""
    from urllib.parse import urlsplit

    from bench.common import RoundTripProxy
    from reconciler.db.apply import Applier

    run(project)
    proxy = RoundTripProxy(db_url)
    user, dbname = urlsplit(db_url).username or "postgres", urlsplit(db_url).path.lstrip("/")
    monkeypatch.setenv("DATABASE_URL_DEV", proxy.url(user, dbname))
    batch = Applier._BATCH_FILES
    trips = []
    for first, count in ((100, 2), (200, 12), (300, batch + 5)):
        for n in range(first, first + count):
            write(project, f"{MIGS}/{n:04d}_t{n}_safe.sql", f"CREATE TABLE t{n} (id bigint);\n")
        run(project, "plan")  # (fills the caches the apply does not use)
        proxy.reset()
        out = run(project)
        assert out.exit_code == EXIT_OK and len(out.applied.migrations) == count, out
        trips.append(proxy.round_trips)
    assert (trips[1] - trips[0], trips[2] - trips[0]) == (0, 1), trips
    assert query(
        db_url, "SELECT count(*) FROM reconciler.schema_migrations WHERE version >= '0100'"
    ) == [(19 + batch,)]


def test_a_failure_in_a_batch_keeps_the_files_before_it_and_runs_none_after(
    project: Path, db_url: str
) -> None:
    """Files sent together still commit one by one: the third of six fails at its second
    statement, so the two before it stay applied (tables and history rows), it and the three
    after it leave nothing, the error points into it, and the "migrate" events name exactly
    the files that ran, in order."""
    import logging

    from reconciler.engine.events import LOGGER

    run(project)
    bodies = {n: f"CREATE TABLE b{n} (id int);\n" for n in range(10, 16)}
    bodies[12] += "INSERT INTO b12 VALUES ('x');\n"
    for n, body in bodies.items():
        write(project, f"{MIGS}/{n:04d}_b{n}_safe.sql", body)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    LOGGER.addHandler(handler)
    try:
        with pytest.raises(MigrationFailed) as ei:
            run(project)
    finally:
        LOGGER.removeHandler(handler)
    e = ei.value
    assert e.sqlstate == "22P02" and "0012_b12_safe.sql statement 2" in e.message
    assert e.location is not None and e.location.file.endswith("0012_b12_safe.sql")
    assert e.location.line == 2
    made = query(db_url, "SELECT " + ", ".join(f"to_regclass('b{n}') IS NOT NULL" for n in bodies))
    assert made == [(True, True, False, False, False, False)]
    assert [v for v, *_ in history(db_url)][-3:] == ["0007", "0010", "0011"]
    migrate = [r.getMessage() for r in records if getattr(r, "event", None) == "migrate"]
    assert migrate == ["0010_b10_safe.sql", "0011_b11_safe.sql", "0012_b12_safe.sql"]
    kinds = [getattr(r, "event", None) for r in records]
    assert kinds.index("pipeline") < kinds.index("migrate")  # the batch is told as it is sent
    sent = [r.getMessage() for r in records if getattr(r, "event", None) == "pipeline"]
    assert sent == [
        "6 files sent together, each its own transaction: 0010_b10_safe.sql … 0015_b15_safe.sql"
    ]


@pytest.mark.parametrize("copy", [False, True], ids=["pipelined", "with-copy"])
def test_a_deferred_constraint_failing_at_commit_is_the_files_located_error(
    project: Path, db_url: str, copy: bool
) -> None:
    """A DEFERRABLE INITIALLY DEFERRED foreign key is checked at COMMIT, after every statement
    of the file ran: the error names the file and says so (not a bare driver error, which the
    audit trail would not record as the apply's failure), the file rolls back, the file
    before it stays applied and the one after it does not run, pipelined or (with rows to
    COPY) sent statement by statement."""
    run(project)
    write(project, f"{MIGS}/0008_before_safe.sql", "CREATE TABLE before_done (id int);\n")
    rows = (
        "COPY child (parent_id) FROM stdin;\n42\n\\.\n"
        if copy
        else "INSERT INTO child (parent_id) VALUES (42);\n"
    )
    write(
        project,
        f"{MIGS}/0009_deferred_safe.sql",
        "CREATE TABLE parent (id int PRIMARY KEY);\n"
        "CREATE TABLE child (parent_id int REFERENCES parent (id) "
        "DEFERRABLE INITIALLY DEFERRED);\n" + rows,
    )
    write(project, f"{MIGS}/0010_after_safe.sql", "CREATE TABLE after_done (id int);\n")
    with pytest.raises(MigrationFailed) as ei:
        run(project)
    e = ei.value
    assert e.sqlstate == "23503" and "0009_deferred_safe.sql failed at COMMIT" in e.message
    assert e.location is not None and e.location.file.endswith("0009_deferred_safe.sql")
    assert "deferred" in (e.hint or "").lower()
    assert query(
        db_url,
        "SELECT to_regclass('before_done') IS NOT NULL, to_regclass('parent') IS NULL, "
        "to_regclass('after_done') IS NULL",
    ) == [(True, True, True)]
    assert [v for v, *_ in history(db_url)][-2:] == ["0007", "0008"]
    assert query(
        db_url,
        "SELECT details->>'code', details->'applied_before_failure' FROM reconciler.audit_log "
        "WHERE action = 'apply.failed'",
    ) == [("migration-failed", ["0008"])]


def test_a_lock_timeout_in_a_batch_retries_from_that_file(project: Path, db_url: str) -> None:
    """The file before the blocked one commits before the wait (a later retry never runs it
    again), the file after it waits its turn, and all three end applied in order."""
    run(project)
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace("lock_timeout: 5s", "lock_timeout: 100ms\n  lock_retries: 8")
    )
    write(project, f"{MIGS}/0008_first_safe.sql", "CREATE TABLE first_done (id int);\n")
    write(project, f"{MIGS}/0009_add_col_safe.sql", "ALTER TABLE wallets ADD COLUMN note text;\n")
    write(project, f"{MIGS}/0010_last_safe.sql", "CREATE TABLE last_done (id int);\n")
    blocker = psycopg.connect(db_url)
    blocker.execute("LOCK TABLE wallets IN ACCESS SHARE MODE")
    seen: list[tuple] = []

    def release() -> None:
        seen.extend(
            query(
                db_url,
                "SELECT to_regclass('first_done') IS NOT NULL, to_regclass('last_done') IS NULL, "
                "(SELECT count(*) FROM reconciler.schema_migrations WHERE version = '0008')",
            )
        )
        blocker.rollback()

    threading.Timer(1.0, release).start()
    out = run(project)
    blocker.close()
    assert out.applied is not None and out.applied.migrations == ["0008", "0009", "0010"]
    assert out.applied.lock_retries >= 1
    assert seen == [(True, True, 1)]
    assert query(db_url, "SELECT to_regclass('last_done') IS NOT NULL") == [(True,)]


def test_a_killed_apply_leaves_nothing_of_the_file_it_was_running(
    project: Path, db_url: str
) -> None:
    """The file's COMMIT goes to the server with its statements, and the next files of its
    batch after it, so the server must not finish and commit what a dead reconciler sent:
    kill -9 during a long statement, and the server cancels it within about a second (it
    checks that the client is still there), rolls the file back, runs none of the files after
    it and keeps the one before it, which had committed."""
    import os
    import signal
    import subprocess
    import sys

    run(project)
    write(project, f"{MIGS}/0008_quick_safe.sql", "CREATE TABLE quick_done (id bigint);\n")
    write(
        project,
        f"{MIGS}/0009_slow_safe.sql",
        "-- Description: slow\n-- rollback: DROP TABLE slow_done\n"
        "CREATE TABLE slow_done (id bigint);\nSELECT pg_sleep(20);\n",
    )
    # sent in the same pipeline as the slow file, so already on the server when it dies
    write(project, f"{MIGS}/0010_after_safe.sql", "CREATE TABLE after_done (id bigint);\n")
    p = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--env", "dev", "-q"],
        cwd=project,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sleeping = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%%'"
    deadline = time.monotonic() + 30
    while query(db_url, sleeping) == [(0,)]:
        assert p.poll() is None and time.monotonic() < deadline, "the slow file did not start"
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    t0 = time.monotonic()
    while query(db_url, sleeping) != [(0,)]:
        assert time.monotonic() - t0 < 8, "the server went on running the dead client's file"
        time.sleep(0.1)
    assert query(
        db_url,
        "SELECT to_regclass('quick_done') IS NOT NULL, to_regclass('slow_done') IS NULL, "
        "to_regclass('after_done') IS NULL",
    ) == [(True, True, True)]
    assert query(
        db_url,
        "SELECT array_agg(version ORDER BY version) FROM reconciler.schema_migrations "
        "WHERE version >= '0008'",
    ) == [(["0008"],)]


def test_an_ignored_commit_in_the_middle_of_a_file_blocks_the_apply(
    project: Path, db_url: str
) -> None:
    """Ignored, the COMMIT would have ended the file's transaction halfway (the tables before
    it kept, the file not in the history after the failure later in it): the plan is refused
    before anything runs, in dev too."""
    run(project)
    write(project, f"{MIGS}/0008_a.sql", "CREATE TABLE pa (id bigint);\n")
    write(
        project,
        f"{MIGS}/0009_b.sql",
        "CREATE TABLE pb (id bigint);\n"
        "-- reconciler:ignore ban-transaction-control -- we commit the first half\n"
        "COMMIT;\nCREATE TABLE pc (id bigint);\nSELECT 1/0;\n",
    )
    r = run(project)
    assert r.exit_code == EXIT_BLOCKED and r.applied is None
    assert query(db_url, "SELECT relname FROM pg_class WHERE relname IN ('pa', 'pb', 'pc')") == []
    assert [v for v, _, _ in history(db_url)][-1] == "0007"


@pytest.mark.parametrize("no_transaction", [False, True], ids=["transactional", "no-transaction"])
def test_a_deadlock_with_the_application_is_retried(
    project: Path, db_url: str, no_transaction: bool
) -> None:
    """The file locks users, then waits for wallets, which a session of the application holds
    while it waits for users: PostgreSQL undoes one of the two (the one that waited first
    checks first: the migration). The file rolled back whole, so it runs again after a
    backoff, as after a lock timeout, and succeeds once the other session is done."""
    import logging

    from reconciler.engine.events import LOGGER

    run(project)
    write(
        project,
        f"{MIGS}/0008_both_safe.sql",
        # (run statement by statement, a file holds two locks at once only within one
        # statement: its LOCK of both, in that order)
        (
            "-- reconciler:no-transaction\nLOCK TABLE users, wallets IN ACCESS EXCLUSIVE MODE;\n"
            if no_transaction
            else ""
        )
        + "ALTER TABLE users ADD COLUMN dl1 text;\nALTER TABLE wallets ADD COLUMN dl2 text;\n",
    )
    app = psycopg.connect(db_url)
    # the migration's server process is the one to find the cycle and undo itself, however
    # slowly a busy machine runs either side: the application's waits a minute before looking
    app.execute("SET deadlock_timeout = '60s'")
    app.execute("SELECT 1 FROM wallets LIMIT 1")  # holds wallets (ACCESS SHARE) in a transaction
    failed: list[BaseException] = []

    def application() -> None:
        try:
            with psycopg.connect(db_url, autocommit=True) as watch:
                for _ in range(600):  # until the migration holds users
                    held = watch.execute(
                        "SELECT count(*) FROM pg_locks WHERE relation = 'users'::regclass "
                        "AND mode = 'AccessExclusiveLock' AND granted"
                    ).fetchone()
                    if held and held[0]:
                        break
                    time.sleep(0.01)
            time.sleep(0.3)  # (the migration waiting on wallets by then)
            app.execute("SELECT 1 FROM users LIMIT 1")  # waits for the migration: a cycle
            app.commit()
        except BaseException as e:  # (reported by the test below)
            failed.append(e)
            app.rollback()

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    LOGGER.addHandler(handler)
    thread = threading.Thread(target=application)
    thread.start()
    try:
        out = run(project)
    finally:
        LOGGER.removeHandler(handler)
        thread.join(30)
        app.close()
    assert not failed, failed  # the application's session went on
    assert out.applied is not None and out.applied.migrations == ["0008"]
    assert out.applied.lock_retries >= 1
    retries = [r.getMessage() for r in records if getattr(r, "event", None) == "retry"]
    assert retries and "deadlock" in retries[0], retries
    cols = query(
        db_url,
        "SELECT count(*) FROM information_schema.columns WHERE column_name IN ('dl1', 'dl2')",
    )
    assert cols == [(2,)] and history(db_url)[-1] == ("0008", 2 + no_transaction, True)


@pytest.mark.parametrize("what", ["INDEX CONCURRENTLY rx_a", "TABLE CONCURRENTLY rx"])
def test_a_reindex_concurrently_first_drops_what_an_interrupted_one_left(
    project: Path, db_url: str, what: str
) -> None:
    """An interrupted REINDEX CONCURRENTLY leaves an INVALID copy (<index>_ccnew), which every
    write keeps up and no query uses; the file's REINDEX (a rerun, or a resume) drops it first."""
    run(project)
    write(
        project,
        f"{MIGS}/0008_rx_safe.sql",
        "CREATE TABLE rx (a bigint, b bigint);\nCREATE INDEX rx_a ON rx (a);\n"
        "INSERT INTO rx VALUES (1, 1), (2, 1);\n",
    )
    run(project)
    with pytest.raises(psycopg.errors.UniqueViolation):  # as a failed rebuild leaves one
        query(db_url, "CREATE UNIQUE INDEX CONCURRENTLY rx_a_ccnew ON rx (b)")
    invalid = "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid " + (
        "WHERE i.indrelid = 'rx'::regclass AND NOT i.indisvalid"
    )
    assert query(db_url, invalid) == [("rx_a_ccnew",)]
    write(project, f"{MIGS}/0009_reindex_safe.sql", f"REINDEX {what};\n")
    out = run(project)
    assert out.applied is not None and out.applied.migrations == ["0009"]
    assert query(db_url, invalid) == []
    assert query(db_url, "SELECT count(*) FROM pg_index WHERE indrelid = 'rx'::regclass") == [(1,)]


# SQL built at run time, which the lint cannot read: a non-strict environment lets it run
_FORGE = (
    "-- Description: looks harmless\n-- rollback: none\n"
    "CREATE TABLE harmless (id bigint);\n"
    "DO $$ BEGIN EXECUTE format('INSERT INTO %I.schema_migrations (version, name, checksum, "
    "applied_at, statements_done) VALUES (%L, %L, %L, now(), 1) ON CONFLICT DO NOTHING', "
    "chr(114) || 'econciler', '0009', 'security_fix_safe', {checksum}); END $$;\n"
    "DO $$ BEGIN EXECUTE format('UPDATE %I.schema_migrations SET checksum = %L "
    "WHERE version = %L', chr(114) || 'econciler', 'forged', '0001'); END $$;\n"
)
_FIX = "-- Description: the fix\n-- rollback: none\nCREATE TABLE security_fix (id bigint);\n"


def test_a_file_that_forges_the_history_at_run_time_fails_the_run_and_the_history_is_put_back(
    project: Path, db_url: str
) -> None:
    """A file marks a later migration applied (it would never run, and plan would say all is
    well) and rewrites an earlier one's checksum, through SQL the lint cannot read. The file
    itself committed, but the run fails, names it, records the failure, and the history is
    what the reconciler wrote: the later file runs when its time comes."""
    assert run(project).exit_code == EXIT_OK
    before = query(db_url, "SELECT version, checksum FROM reconciler.schema_migrations")
    fix = write(project, f"{MIGS}/0009_security_fix_safe.sql", _FIX)
    forger = write(
        project,
        f"{MIGS}/0008_tidy_safe.sql",
        _FORGE.replace("{checksum}", "'" + checksum(fix.read_text()) + "'"),
    )
    env = project / "environments/dev.yaml"
    env.write_text(env.read_text().replace("  target: latest\n", "  target: '0008'\n"))
    with pytest.raises(ReconcilerError) as e:
        run(project)
    assert e.value.code == "history-tampered"
    assert "0009 added as applied" in e.value.message and "0001 checksum changed" in e.value.message
    assert "0008_tidy_safe.sql" in e.value.message and e.value.location is not None
    assert e.value.location.file.endswith(forger.name)
    after = query(db_url, "SELECT version, checksum FROM reconciler.schema_migrations")
    assert sorted(after) == sorted([*before, ("0008", checksum(forger.read_text()))])
    assert query(db_url, "SELECT to_regclass('harmless') IS NOT NULL") == [(True,)]
    failed = query(
        db_url,
        "SELECT details->>'code' FROM reconciler.audit_log WHERE action = 'apply.failed' "
        "ORDER BY id DESC LIMIT 1",
    )
    assert failed == [("history-tampered",)]
    assert run(project, "plan").plan.empty  # 0001's checksum is its own again
    env.write_text(env.read_text().replace("  target: '0008'\n", "  target: latest\n"))
    out = run(project)
    assert out.exit_code == EXIT_OK and out.applied is not None
    assert out.applied.migrations == ["0009"]
    assert query(db_url, "SELECT to_regclass('security_fix') IS NOT NULL") == [(True,)]


def test_files_before_a_failed_one_are_checked_for_forging_too(project: Path, db_url: str) -> None:
    """The forging file commits, a later file fails: the error is the failed file's, and the
    forged row is gone all the same."""
    assert run(project).exit_code == EXIT_OK
    write(project, f"{MIGS}/0008_tidy_safe.sql", _FORGE.replace("{checksum}", "'x'"))
    write(
        project,
        f"{MIGS}/0009_broken_safe.sql",
        "-- Description: x\n-- rollback: none\nCREATE TABLE harmless (id bigint);\n",
    )
    with pytest.raises(MigrationFailed):
        run(project)
    assert [v for v, *_ in history(db_url)][-2:] == ["0007", "0008"]
    assert query(
        db_url,
        "SELECT count(*) FROM reconciler.schema_migrations WHERE checksum IN ('x', 'forged')",
    ) == [(0,)]
    failed = query(
        db_url,
        "SELECT details->'history_tampered' FROM reconciler.audit_log "
        "WHERE action = 'apply.failed' ORDER BY id DESC LIMIT 1",
    )
    assert failed == [(["0001 checksum changed", "0009 added as applied"],)]


def test_a_file_that_unguards_the_audit_log_at_run_time_fails_and_the_guards_are_put_back(
    project: Path, db_url: str
) -> None:
    """Through SQL the lint cannot read, a file switches off the audit log's append-only
    trigger, adds one that swallows every later event and hollows out the function that
    stamps who wrote each row. The run fails, names the file, and every guard is as it was:
    the failure's own audit event is recorded (the swallowing trigger is gone) and the log
    refuses a DELETE again."""
    assert run(project).exit_code == EXIT_OK
    stamp = "SELECT pg_get_functiondef('reconciler.stamp_audit()'::regprocedure)"
    stamp_before = query(db_url, stamp)
    events = query(db_url, "SELECT count(*) FROM reconciler.audit_log")[0][0]
    write(
        project,
        f"{MIGS}/0008_tidy_safe.sql",
        "-- Description: looks harmless\n-- rollback: none\n"
        "CREATE TABLE tidy (id bigint);\n"
        "CREATE FUNCTION tidy_swallow() RETURNS trigger LANGUAGE plpgsql AS "
        "$f$ BEGIN RETURN NULL; END $f$;\n"
        "DO $$\nDECLARE s text := chr(114) || 'econciler';\nBEGIN\n"
        "    EXECUTE format('ALTER TABLE %I.audit_log DISABLE TRIGGER audit_log_append_only', s);\n"
        "    EXECUTE format('CREATE TRIGGER quiet BEFORE INSERT ON %I.audit_log FOR EACH ROW "
        "EXECUTE FUNCTION public.tidy_swallow()', s);\n"
        "    EXECUTE format('CREATE OR REPLACE FUNCTION %I.stamp_audit() RETURNS trigger "
        "LANGUAGE plpgsql AS $b$ BEGIN RETURN NEW; END $b$', s);\n"
        "END\n$$;\n",
    )
    with pytest.raises(ReconcilerError) as e:
        run(project)
    assert e.value.code == "trail-tampered", e.value.message
    for part in (
        "trigger audit_log.audit_log_append_only changed",
        "trigger audit_log.quiet added",
        "function reconciler.stamp_audit() changed",
        "0008_tidy_safe.sql",
    ):
        assert part in e.value.message
    assert "still changed" not in e.value.message
    assert e.value.hint is not None and "approvals and audit events" in e.value.hint
    assert query(db_url, stamp) == stamp_before
    assert query(
        db_url,
        "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'reconciler.audit_log'::regclass "
        "AND NOT tgisinternal ORDER BY tgname",
    ) == [("audit_log_append_only", "O"), ("audit_log_no_truncate", "O"), ("audit_log_stamp", "O")]
    assert query(
        db_url,
        "SELECT action, details->>'code' FROM reconciler.audit_log ORDER BY id DESC LIMIT 1",
    ) == [("apply.failed", "trail-tampered")]
    assert query(db_url, "SELECT count(*) FROM reconciler.audit_log")[0][0] == events + 2
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        query(db_url, "DELETE FROM reconciler.audit_log")
    assert run(project, "plan").plan.empty  # the file itself applied; nothing else is owed


def test_an_audit_log_that_drops_events_stops_the_apply_before_any_change(
    project: Path, db_url: str
) -> None:
    """A trigger left on the audit log (by hand, or a run from before this check) that keeps
    every row out: the apply's "started" event cannot be recorded, so nothing runs."""
    assert run(project).exit_code == EXIT_OK
    write(project, f"{MIGS}/0008_more_safe.sql", _FIX)
    query(
        db_url,
        "CREATE FUNCTION public.swallow() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RETURN NULL; END $$; CREATE TRIGGER swallow BEFORE INSERT ON "
        "reconciler.audit_log FOR EACH ROW EXECUTE FUNCTION public.swallow()",
    )
    try:
        with pytest.raises(ReconcilerError) as e:
            run(project)
        assert e.value.code == "audit-not-recorded", e.value.message
        assert "apply.started was not recorded" in e.value.message
        assert query(db_url, "SELECT to_regclass('security_fix')") == [(None,)]
    finally:
        query(db_url, "DROP TRIGGER swallow ON reconciler.audit_log")
    assert run(project).exit_code == EXIT_OK


def test_a_file_that_forges_then_ends_its_own_connection_is_still_checked(
    project: Path, db_url: str
) -> None:
    """A no-transaction file whose first statement forges a later migration as applied and
    commits, and whose second ends its own session: the lock went with the connection, so
    the checks run on a new one once the lock is taken again; the forged row is put back,
    and the failure is recorded with it."""
    assert run(project).exit_code == EXIT_OK
    fix = write(project, f"{MIGS}/0009_security_fix_safe.sql", _FIX)
    write(
        project,
        f"{MIGS}/0008_tidy_safe.sql",
        "-- Description: looks harmless\n-- rollback: none\n-- reconciler:no-transaction\n"
        "DO $$ BEGIN EXECUTE format('INSERT INTO %I.schema_migrations (version, name, checksum, "
        "applied_at, statements_done) VALUES (%L, %L, %L, now(), 1) ON CONFLICT DO NOTHING', "
        "chr(114) || 'econciler', '0009', 'security_fix_safe', "
        f"'{checksum(fix.read_text())}'); END $$;\n"
        "SELECT pg_terminate_backend(pg_backend_pid());\n",
    )
    env = project / "environments/dev.yaml"
    env.write_text(env.read_text().replace("  target: latest\n", "  target: '0008'\n"))
    with pytest.raises(ReconcilerError):
        run(project)
    assert query(
        db_url, "SELECT count(*) FROM reconciler.schema_migrations WHERE version = '0009'"
    ) == [(0,)]
    failed = query(
        db_url,
        "SELECT details->'history_tampered' FROM reconciler.audit_log "
        "WHERE action = 'apply.failed' ORDER BY id DESC LIMIT 1",
    )
    assert failed == [(["0009 added as applied"],)]
    assert query(db_url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == [(0,)]


def test_a_server_gone_mid_apply_fails_with_the_apply_s_own_error_after_one_reconnection_round(
    project: Path, tmp_path: Path
) -> None:
    """The server stops while a file runs: the apply reports losing it (not the failure to
    record that), tries to reconnect once for the after-failure checks, and, finding no
    server, does not try again to record apply.failed (the next run closes the run)."""
    import logging

    import pgserver
    from pgserver._commands import pg_ctl

    from reconciler.engine.events import LOGGER

    data = tmp_path / "gone"
    srv = pgserver.get_server(data, cleanup_mode="stop")
    url = srv.get_uri()
    assert (
        reconcile(Request(env="dev", mode="apply", root=str(project), database_url=url)).exit_code
        == EXIT_OK
    )
    write(
        project, f"{MIGS}/0008_slow_safe.sql", "CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n"
    )
    events: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = events.append  # type: ignore[method-assign]
    LOGGER.addHandler(handler)

    def stop_when_sleeping() -> None:
        for _ in range(300):
            if query(
                url, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'"
            )[0][0]:
                break
            time.sleep(0.05)
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=data, user=srv.system_user)

    stopper = threading.Thread(target=stop_when_sleeping)
    stopper.start()
    try:
        with pytest.raises(ReconcilerError) as e:
            reconcile(
                Request(
                    env="dev", mode="apply", root=str(project), database_url=url, connect_attempts=2
                )
            )
    finally:
        stopper.join()
        LOGGER.removeHandler(handler)
        srv.cleanup()
    assert "cannot connect" not in e.value.message, e.value.message  # the apply's own error
    said = [r.getMessage() for r in events]
    assert any("were not checked after the failure (DatabaseUnavailable)" in m for m in said), said
    assert sum("apply.failed not recorded" in m for m in said) == 1, said
