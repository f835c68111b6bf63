"""Schema drift on a real PostgreSQL: each kind of out-of-band change, found and explained."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import query, run_cli


def apply(project: Path, env: str = "dev", *extra: str) -> None:
    r = run_cli(project, "apply", "--env", env, *extra)
    assert r.returncode == 0, r.stdout + r.stderr


def plan_json(project: Path, env: str = "dev") -> dict:
    r = run_cli(project, "plan", "--env", env, "-f", "json")
    assert r.returncode in (0, 2, 3), r.stdout + r.stderr
    return json.loads(r.stdout)


def drift_of(doc: dict) -> dict[str, dict]:
    return {f["subject"]: f for f in doc["findings"] if f["kind"] == "SchemaDrift"}


def test_snapshot_after_apply_and_no_drift(project: Path, db_url: str) -> None:
    apply(project)
    rows = query(
        db_url,
        "SELECT environment, version, taken_by, jsonb_typeof(objects) FROM reconciler.schema_snapshot",
    )
    assert rows == [("dev", "0007", "reconciler:tester", "object")]
    keys = query(db_url, "SELECT jsonb_object_keys(objects) FROM reconciler.schema_snapshot")
    keys = {k for (k,) in keys}
    assert {
        "table:public.users",
        "column:public.users.email",
        "index:public.posts_thread_idx",
    } <= keys
    assert not any(k.startswith(("table:reconciler.", "index:reconciler.")) for k in keys)
    doc = plan_json(project)
    assert drift_of(doc) == {}
    assert run_cli(project, "plan", "--env", "dev").returncode == 0


CASES = [
    (
        "ALTER TABLE users ADD COLUMN nickname text",
        "column:public.users.nickname",
        "column public.users.nickname was added outside the reconciler",
    ),
    (
        "DROP INDEX posts_thread_idx",
        "index:public.posts_thread_idx",
        "index public.posts_thread_idx was dropped outside the reconciler",
    ),
    (
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'posts_thread_idx'::regclass",
        "index:public.posts_thread_idx",
        "index public.posts_thread_idx is INVALID",
    ),
    (
        "ALTER TABLE posts DROP CONSTRAINT posts_author_id_fkey; ALTER TABLE posts ADD CONSTRAINT "
        "posts_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID",
        "constraint:public.posts.posts_author_id_fkey",
        "constraint public.posts.posts_author_id_fkey is NOT VALID",
    ),
    (
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(200)",
        "column:public.users.email",
        "column public.users.email changed outside the reconciler: type text -> character varying(200)",
    ),
    (
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
        "column:public.users.email",
        "nullable false -> true",
    ),
    (
        "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x@example.com'",
        "column:public.users.email",
        "default NULL -> 'x@example.com'::text",
    ),
    (
        "CREATE TABLE scratch (id int)",
        "table:public.scratch",
        "table public.scratch was added outside the reconciler",
    ),
    (
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; "
        "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch()",
        "trigger:public.users.users_touch",
        "trigger public.users.users_touch was added outside the reconciler",
    ),
    (
        "CREATE SEQUENCE ticket_seq",
        "sequence:public.ticket_seq",
        "sequence public.ticket_seq was added outside the reconciler",
    ),
    (
        "CREATE VIEW recent_posts AS SELECT id FROM posts",
        "view:public.recent_posts",
        "view public.recent_posts was added outside the reconciler",
    ),
    (
        "ALTER TABLE posts ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON posts USING (author_id = 1)",
        "policy:public.posts.own",
        "row-level security policy public.posts.own was added outside the reconciler",
    ),
    (
        "CREATE EXTENSION vector",  # the one extension pgserver bundles
        "extension:vector",
        "extension vector was added outside the reconciler",
    ),
]


@pytest.mark.parametrize(("change", "key", "message"), CASES, ids=[c[1] for c in CASES])
def test_out_of_band_change_is_found(
    project: Path, db_url: str, change: str, key: str, message: str
) -> None:
    apply(project)
    query(db_url, change)
    found = drift_of(plan_json(project))
    assert key in found, sorted(found)
    assert message in found[key]["message"]
    assert found[key]["severity"] == "warning"  # dev is not strict
    assert "--adopt-drift" in found[key]["hint"]


def test_function_body_and_trigger_state(project: Path, db_url: str) -> None:
    (project / "manifests/migrations/0008_touch_safe.sql").write_text(
        "-- Description: test step\n-- rollback: DROP TRIGGER users_touch ON users; DROP FUNCTION touch();\n"
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n"
        "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();\n"
    )
    apply(project)
    assert drift_of(plan_json(project)) == {}
    query(
        db_url,
        "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN NEW.email := lower(NEW.email); RETURN NEW; END$$; "
        "ALTER TABLE users DISABLE TRIGGER users_touch",
    )
    found = drift_of(plan_json(project))
    assert found["function:public.touch()"]["message"].endswith("body changed")
    assert (
        found["trigger:public.users.users_touch"]["message"]
        == "trigger public.users.users_touch is disabled"
    )


def test_drift_blocks_strict_environments_and_is_in_the_hash(project: Path, db_url: str) -> None:
    apply(project, "staging")
    before = plan_json(project, "staging")
    query(db_url, "ALTER TABLE users ADD COLUMN nickname text")
    staging = project / "environments/staging.yaml"
    staging.write_text(staging.read_text().replace("policy:\n", "policy:\n  schema_drift: error\n"))
    r = run_cli(project, "apply", "--env", "staging")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "column public.users.nickname was added outside the reconciler" in r.stdout + r.stderr
    after = plan_json(project, "staging")
    assert after["plan_hash"] != before["plan_hash"]
    # off: not reported at all
    staging.write_text(staging.read_text().replace("schema_drift: error", "schema_drift: off"))
    assert drift_of(plan_json(project, "staging")) == {}


def test_strict_default_is_error(project: Path, db_url: str) -> None:
    env = project / "environments/dev.yaml"
    env.write_text(env.read_text().replace("policy:\n", "policy:\n  strict: true\n"))
    apply(project)
    query(db_url, "CREATE INDEX users_email_idx ON users (email)")
    found = drift_of(plan_json(project))
    assert found["index:public.users_email_idx"]["severity"] == "error"


def test_an_apply_beside_drift_does_not_adopt_it(project: Path, db_url: str) -> None:
    apply(project)
    query(db_url, "ALTER TABLE users ADD COLUMN nickname text")
    (project / "manifests/migrations/0008_more_safe.sql").write_text(
        "-- Description: test step\n-- rollback: DROP TABLE badges;\nCREATE TABLE badges (id int PRIMARY KEY);\n"
    )
    apply(project)  # dev: drift is a warning, the apply goes ahead
    # a snapshot that keeps drift is not what the catalogs say: no stamp, always compared
    assert query(db_url, "SELECT stamp FROM reconciler.schema_snapshot") == [(None,)]
    found = drift_of(plan_json(project))
    assert list(found) == ["column:public.users.nickname"]  # still drift; badges is not


def test_a_migration_that_puts_it_back_resolves_it(project: Path, db_url: str) -> None:
    apply(project)
    query(db_url, "DROP INDEX posts_thread_idx")
    (project / "manifests/migrations/0008_restore_index_safe.sql").write_text(
        "-- Description: test step\n-- rollback: none\nCREATE INDEX CONCURRENTLY IF NOT EXISTS posts_thread_idx ON posts (thread_id);\n"
    )
    apply(project)
    assert drift_of(plan_json(project)) == {}


def test_adopt_drift_is_audited(project: Path, db_url: str) -> None:
    apply(project)
    query(db_url, "ALTER TABLE users ADD COLUMN nickname text")
    r = run_cli(project, "repair", "--env", "dev", "--adopt-drift")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "column public.users.nickname" in r.stdout
    assert drift_of(plan_json(project)) == {}
    events = query(
        db_url,
        "SELECT action, details::text FROM reconciler.audit_log WHERE action LIKE 'repair.%' ORDER BY id",
    )
    assert [a for a, _ in events] == ["repair.started", "repair.succeeded"]
    assert "column:public.users.nickname" in events[-1][1]


def test_adopt_drift_needs_approvals_where_required(project: Path, db_url: str) -> None:
    apply(project)
    prod = project / "environments/prod.yaml"
    text = prod.read_text().replace("sources: [database, kubernetes]", "sources: [database]")
    prod.write_text(text.replace("target: 0006_add_user_prefs_safe", "target: latest"))
    query(db_url, "ALTER TABLE users ADD COLUMN nickname text")
    r = run_cli(project, "repair", "--env", "prod", "--adopt-drift")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "reconcile approve" in r.stdout
    assert query(
        db_url, "SELECT count(*) FROM reconciler.audit_log WHERE action = 'repair.succeeded'"
    ) == [(0,)]


def test_no_snapshot_yet_is_said(project: Path, db_url: str) -> None:
    apply(project)
    query(db_url, "DELETE FROM reconciler.schema_snapshot")
    doc = plan_json(project)
    kinds = {f["kind"] for f in doc["findings"]}
    assert "SchemaUnsnapshotted" in kinds and "SchemaDrift" not in kinds
    apply(project)  # the next apply records one
    assert query(db_url, "SELECT count(*) FROM reconciler.schema_snapshot") == [(1,)]


def test_status_counts_drift(project: Path, db_url: str) -> None:
    apply(project)
    r = run_cli(project, "status", "--env", "dev")
    assert "schema       no drift since the snapshot" in r.stdout
    query(db_url, "ALTER TABLE users ADD COLUMN nickname text; DROP INDEX posts_thread_idx")
    r = run_cli(project, "status", "--env", "dev")
    assert "schema       2 object(s) drifted since the snapshot" in r.stdout
    doc = json.loads(run_cli(project, "status", "--env", "dev", "-f", "json").stdout)
    assert doc["schema"] == {"snapshot": True, "snapshot_version": "0007", "drifted": 2}


def test_init_records_a_snapshot_but_never_over_one(project: Path, db_url: str) -> None:
    query(db_url, "CREATE TABLE legacy (id int PRIMARY KEY)")
    r = run_cli(project, "init", "--env", "dev")
    assert r.returncode == 0, r.stderr
    assert "schema snapshot of" in r.stdout
    query(db_url, "ALTER TABLE legacy ADD COLUMN note text")
    r = run_cli(project, "init", "--env", "dev")
    assert "schema snapshot" not in r.stdout  # that would adopt the drift silently
    found = drift_of(plan_json(project))
    assert "column:public.legacy.note" in found


@pytest.fixture
def shadow_server(project: Path) -> Iterator[None]:
    """diff builds its shadow on the project's embedded server: stop it after the test."""
    yield
    from reconciler.embedded import stop_embedded

    stop_embedded()


def test_diff_against_gits_migrations(project: Path, db_url: str, shadow_server: None) -> None:
    apply(project)
    r = run_cli(project, "diff", "--env", "dev")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no differences" in r.stdout and "7 migration(s)" in r.stdout
    query(db_url, "ALTER TABLE users ADD COLUMN nickname text; DROP INDEX posts_thread_idx")
    query(db_url, "DELETE FROM reconciler.schema_snapshot")  # a history in doubt: no snapshot
    r = run_cli(project, "diff", "--env", "dev")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "column public.users.nickname was added outside the reconciler" in r.stdout
    assert "index public.posts_thread_idx was dropped outside the reconciler" in r.stdout
    doc = json.loads(run_cli(project, "diff", "--env", "dev", "-f", "json").stdout)
    assert {d["object"] for d in doc["differences"]} == {
        "column:public.users.nickname",
        "index:public.posts_thread_idx",
    }
    md = run_cli(project, "diff", "--env", "dev", "-f", "markdown").stdout
    assert "| `index:public.posts_thread_idx` |" in md


def test_diff_of_a_database_without_history_replays_every_wanted_file(
    project: Path, db_url: str, shadow_server: None
) -> None:
    r = run_cli(project, "diff", "--env", "dev", "-f", "json")
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert len(doc["replayed"]) == 7
    assert "table:public.users" in {d["object"] for d in doc["differences"]}
    assert query(db_url, "SELECT to_regclass('users')") == [(None,)]  # the target only read


def test_a_snapshot_survives_a_no_transaction_resume(project: Path, db_url: str) -> None:
    apply(project)
    query(db_url, "INSERT INTO users (username, email) VALUES ('a', 'x@e.com'), ('b', 'x@e.com')")
    (project / "manifests/migrations/0008_unique_email_safe.sql").write_text(
        "-- Description: unique e-mail\n-- rollback: DROP INDEX users_email_key;\n"
        "ALTER TABLE users ADD COLUMN verified boolean;\n"
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
        "ALTER TABLE users ADD COLUMN email_lower text;\n"
    )
    r = run_cli(project, "apply", "--env", "dev")
    assert r.returncode == 1  # the duplicate stops it after statement 1
    doc = plan_json(project)
    assert not drift_of(doc)  # a part-way apply is not drift
    assert query(db_url, "SELECT version FROM reconciler.schema_snapshot") == [("0007",)]
    query(db_url, "UPDATE users SET email = 'y@e.com' WHERE username = 'b'")
    apply(project)  # resumes at statement 2 (rebuilding the invalid index)
    assert query(db_url, "SELECT version FROM reconciler.schema_snapshot") == [("0008",)]
    facts = query(
        db_url,
        "SELECT objects -> 'index:public.users_email_key' ->> 'valid', "
        "objects ? 'column:public.users.email_lower' FROM reconciler.schema_snapshot",
    )
    assert facts == [("true", True)]
    doc = plan_json(project)
    assert not drift_of(doc) and not [
        f for f in doc["findings"] if f["kind"] == "SchemaUnsnapshotted"
    ]


def test_another_search_path_reads_the_same_facts(project: Path, db_url: str) -> None:
    """A login whose search_path differs (an approver's role setting) must not see false drift:
    defaults like nextval('users_id_seq'::regclass) render the same for everyone."""
    (project / "manifests/migrations/0008_serial_safe.sql").write_text(
        "-- Description: a serial column\n-- rollback: DROP TABLE tickets;\n"
        "CREATE TABLE tickets (id serial PRIMARY KEY, note text DEFAULT 'x');\n"
    )
    apply(project)
    dbname = query(db_url, "SELECT current_database()")[0][0]
    query(db_url, f'ALTER DATABASE "{dbname}" SET search_path = pg_catalog')
    try:
        assert drift_of(plan_json(project)) == {}
    finally:
        query(db_url, f'ALTER DATABASE "{dbname}" RESET search_path')


def test_objects_the_environment_does_not_own_can_be_ignored(project: Path, db_url: str) -> None:
    env = project / "environments/dev.yaml"
    env.write_text(
        env.read_text().replace(
            "policy:\n", "policy:\n  schema_drift_ignore: ['extension:vector', '*:reporting.*']\n"
        )
    )
    apply(project)
    query(
        db_url,
        "CREATE EXTENSION vector; CREATE SCHEMA reporting; CREATE TABLE reporting.daily (d date)",
    )
    query(db_url, "CREATE INDEX users_email_idx ON users (email)")
    assert list(drift_of(plan_json(project))) == ["index:public.users_email_idx"]


def _stamps(db_url: str) -> tuple[str | None, str]:
    from reconciler.db.schema import STAMP_SQL

    ((stored,),) = query(db_url, "SELECT stamp FROM reconciler.schema_snapshot")
    ((live,),) = query(db_url, f"SELECT {STAMP_SQL}")
    return stored, live


def test_an_unchanged_catalog_is_not_compared_again(project: Path, db_url: str) -> None:
    apply(project)
    stored, live = _stamps(db_url)
    assert stored is not None and stored == live
    # proof that the stamp decides: a snapshot edited behind the stamp's back is not compared...
    query(
        db_url,
        "UPDATE reconciler.schema_snapshot SET objects = objects - 'column:public.users.email'",
    )
    assert drift_of(plan_json(project)) == {}
    # ...until the stamp is gone (or the catalogs change): then the facts are compared
    query(db_url, "UPDATE reconciler.schema_snapshot SET stamp = NULL")
    assert "column:public.users.email" in drift_of(plan_json(project))


def test_the_snapshot_is_the_catalog_and_a_moving_catalog_leaves_it_unstamped(
    project: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The facts are read and stored on the server in one statement: what is stored is what
    the catalogs say, counted right, and a catalog that changed while it was read (its stamp
    before and after differ) leaves no stamp, so the next plan compares the facts."""
    import psycopg

    from reconciler.db import schema

    apply(project)
    with psycopg.connect(db_url, autocommit=True) as conn:
        ((stored,),) = query(db_url, "SELECT objects FROM reconciler.schema_snapshot")
        assert stored == schema.catalog(conn)
        stamps = iter(["before", "after"])
        monkeypatch.setattr(schema, "_stamp", lambda conn: next(stamps))
        count = schema.take_snapshot(conn, "dev", "tester")
        assert count == len(stored) and count > 10
        assert query(db_url, "SELECT stamp FROM reconciler.schema_snapshot") == [(None,)]
        assert conn.execute("SHOW search_path").fetchone() != ("pg_catalog",)
        stamps = iter(["same", "same"])
        schema.take_snapshot(conn, "dev", "tester")
    assert query(db_url, "SELECT stamp FROM reconciler.schema_snapshot") == [("same",)]


def test_every_kind_of_change_moves_the_stamp(project: Path, db_url: str) -> None:
    """Each out-of-band change the facts can see, including those that change only how a fact
    is rendered (a role's name in a policy, an enum label, an operator class's name)."""
    apply(project)
    query(
        db_url,
        "CREATE ROLE drift_reader; CREATE TYPE mood AS ENUM ('ok'); "
        "ALTER TABLE posts ENABLE ROW LEVEL SECURITY; "
        "CREATE POLICY own ON posts TO drift_reader USING (author_id = 1)",
    )
    r = run_cli(project, "repair", "--env", "dev", "--adopt-drift")
    assert r.returncode == 0, r.stdout + r.stderr
    changes = {
        "ALTER ROLE drift_reader RENAME TO drift_reader2": "policy:public.posts.own",
        "ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'": "type:public.mood",
        "ALTER INDEX posts_thread_idx RENAME TO posts_thread_idx2": "index:public.posts_thread_idx2",
        "COMMENT ON TABLE posts IS 'no fact'": None,
    }
    try:
        for change, key in changes.items():
            before, _ = _stamps(db_url)
            assert before is not None, change
            query(db_url, change)
            _, after = _stamps(db_url)
            found = drift_of(plan_json(project))
            if key is None:  # pg_description is not stamped: a comment is no fact
                assert after == before and found == {}, change
            else:
                assert after != before and key in found, (change, sorted(found))
            r = run_cli(project, "repair", "--env", "dev", "--adopt-drift")
            assert r.returncode == 0, r.stdout + r.stderr
    finally:  # roles outlive the test's database
        for role in ("drift_reader", "drift_reader2"):
            if query(db_url, "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)):
                query(db_url, f"DROP OWNED BY {role}; DROP ROLE {role}")


def test_the_stamp_holds_on_postgresql_15(
    project: Path, pg15_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stamp rests on how the server versions catalog rows: checked on each major."""
    import uuid

    import psycopg

    from tests.conftest import with_db

    name = f"stamp_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg15_admin_url, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
        assert str(c.execute("SHOW server_version_num").fetchone()[0]).startswith("15")  # type: ignore[index]
    url = with_db(pg15_admin_url, name)
    try:
        monkeypatch.setenv("DATABASE_URL_DEV", url)
        apply(project)
        stored, live = _stamps(url)
        assert stored is not None and stored == live
        assert drift_of(plan_json(project)) == {}
        query(
            url,
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'posts_thread_idx'::regclass",
        )
        assert _stamps(url)[1] != stored
        assert "index:public.posts_thread_idx" in drift_of(plan_json(project))
    finally:
        with psycopg.connect(pg15_admin_url, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_diff_replays_each_file_from_a_fresh_session_as_apply_does(
    project: Path, db_url: str, shadow_server: None
) -> None:
    """A file that sets search_path for the session: apply and the shadow replay both start the
    next file afresh, so the schema git builds is the one the database has."""
    (project / "manifests/migrations/0008_side_schema.sql").write_text(
        "CREATE SCHEMA side;\nSET search_path = side, public;\n"
    )
    (project / "manifests/migrations/0009_after_side.sql").write_text(
        "CREATE TABLE after_side (id bigint);\n"
    )
    apply(project)
    r = run_cli(project, "diff", "--env", "dev")
    assert r.returncode == 0 and "no differences" in r.stdout, r.stdout + r.stderr
