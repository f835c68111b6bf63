"""The audit trail: append-only, written before the first change, delivered by signed webhooks, never lost."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from reconciler.audit import verify
from reconciler.engine import EXIT_OK, Request, audit_events, reconcile
from reconciler.errors import MigrationFailed, ReconcilerError
from tests.conftest import query, run_cli
from tests.gates.conftest import SECRET, Receiver, set_policy

MIGS = "manifests/migrations"
NO_APPROVALS = (
    "approvals: {required: 2, approvers: [alice, bob, carol], sources: [database, kubernetes]}",
    "approvals: {required: 0}",
)


@pytest.fixture
def audited(project: Path) -> Path:
    """dev with an audit webhook configured."""
    (project / "environments/dev.yaml").write_text(
        (project / "environments/dev.yaml").read_text()
        + "audit: {webhook_url_from_env: AUDIT_WEBHOOK_URL, "
        "secret_from_env: AUDIT_WEBHOOK_SECRET}\n"
    )
    return project


def test_apply_is_audited_and_delivered_signed(
    audited: Path, db_url: str, receiver: Receiver
) -> None:
    out = reconcile(Request("dev", "apply", root=str(audited)))
    assert out.exit_code == EXIT_OK and len(out.audit_ids) == 2
    assert out.delivery is not None and out.delivery.delivered == 2
    events = receiver.events()
    assert [e["action"] for e in events] == ["apply.started", "apply.succeeded"]
    assert events[1]["details"]["migrations"] == [
        "0001",
        "0002",
        "0003",
        "0004",
        "0005",
        "0006",
        "0007",
    ]
    assert events[0]["plan_hash"] == out.plan.hash and events[0]["actor"] == "tester"
    for r in receiver.ok():
        h = {k.lower(): v for k, v in r["headers"].items()}
        assert verify(SECRET, h["x-reconciler-timestamp"], r["body"], h["x-reconciler-signature"])
        assert not verify(
            "wrong", h["x-reconciler-timestamp"], r["body"], h["x-reconciler-signature"]
        )
        assert h["x-reconciler-delivery"] == json.loads(r["body"])["event"]["delivery_id"]
    # the started row was committed before the first change: its id precedes every migration's
    started_at = query(
        db_url, "SELECT at FROM reconciler.audit_log WHERE action = 'apply.started'"
    )[0][0]
    first_migration = query(db_url, "SELECT min(started_at) FROM reconciler.schema_migrations")[0][
        0
    ]
    assert started_at <= first_migration


def test_audit_log_is_append_only(audited: Path, db_url: str, receiver: Receiver) -> None:
    reconcile(Request("dev", "apply", root=str(audited)))
    for stmt in (
        "UPDATE reconciler.audit_log SET outcome = 'x'",
        "DELETE FROM reconciler.audit_log",
        "TRUNCATE reconciler.audit_log CASCADE",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            query(db_url, stmt)
    assert query(db_url, "SELECT count(*) FROM reconciler.audit_log")[0][0] == 2


def test_receiver_down_for_the_whole_apply_gets_every_event_later_once(
    audited: Path, db_url: str, receiver: Receiver
) -> None:
    port = receiver.port
    receiver.stop()
    out = reconcile(Request("dev", "apply", root=str(audited)))
    assert out.exit_code == EXIT_OK and out.delivery is not None and out.delivery.pending == 2
    cfg = audited / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 21"))
    reconcile(Request("dev", "apply", root=str(audited)))  # two more events, still down
    rows = query(
        db_url, "SELECT attempts, last_error FROM reconciler.audit_outbox ORDER BY audit_id"
    )
    assert len(rows) == 4 and all(a >= 2 and "ConnectError" in e for a, e in rows)
    assert all(
        "tok_should_not_leak" not in e for _, e in rows
    )  # the URL's token never lands in the database
    receiver.port = port
    receiver.start()
    events, report = audit_events(Request("dev", root=str(audited)))
    assert report is not None and (report.delivered, report.pending) == (4, 0)
    assert all(e["delivered_at"] is not None for e in events)
    _, report2 = audit_events(Request("dev", root=str(audited)))  # nothing is sent twice
    assert report2 is not None and report2.delivered == 0
    ids = [json.loads(r["body"])["event"]["delivery_id"] for r in receiver.ok()]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert [json.loads(r["body"])["event"]["action"] for r in receiver.ok()] == [
        "apply.started",
        "apply.succeeded",
        "apply.started",
        "apply.succeeded",
    ]


def test_receiver_answering_500_is_retried_with_a_stable_delivery_id(
    audited: Path, db_url: str, receiver: Receiver
) -> None:
    receiver.status = 500
    reconcile(Request("dev", "apply", root=str(audited)))
    failed = receiver.received
    assert len(failed) == 4  # 2 events x 2 attempts in this run
    assert query(db_url, "SELECT DISTINCT last_error FROM reconciler.audit_outbox") == [
        (f"HTTP 500 from http://127.0.0.1:{receiver.port}/…",)
    ]
    receiver.status = 200
    r = run_cli(audited, "audit", "--env", "dev")
    assert r.returncode == 0 and r.stdout.count("delivered") == 2
    first_ids = {json.loads(x["body"])["event"]["delivery_id"] for x in failed}
    assert {json.loads(x["body"])["event"]["delivery_id"] for x in receiver.ok()} == first_ids


def test_failed_apply_is_audited(audited: Path, db_url: str, receiver: Receiver) -> None:
    (audited / MIGS / "0008_broken_safe.sql").write_text("SELECT no_such_function();\n")
    with pytest.raises(MigrationFailed):
        reconcile(Request("dev", "apply", root=str(audited)))
    rows = query(
        db_url,
        "SELECT action, outcome, details->>'code', details->'applied_before_failure' "
        "FROM reconciler.audit_log ORDER BY id",
    )
    assert rows[0][:2] == ("apply.started", "started")
    assert rows[1][:3] == ("apply.failed", "failed", "migration-failed") and len(rows[1][3]) == 7
    assert [e["action"] for e in receiver.events()] == ["apply.started", "apply.failed"]


def test_a_database_error_after_the_migrations_is_audited_as_the_failure(
    audited: Path, db_url: str, receiver: Receiver
) -> None:
    """A driver error outside any statement of a file (here a trigger someone put on the
    snapshot table) fails the apply as a located database error and is recorded as
    apply.failed, with the migration that committed before it; never only a "started"."""
    reconcile(Request("dev", "apply", root=str(audited)))
    query(
        db_url,
        "CREATE FUNCTION no_snapshots() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN RAISE EXCEPTION 'snapshots are frozen'; END$$; "
        "CREATE TRIGGER frozen BEFORE INSERT OR UPDATE ON reconciler.schema_snapshot "
        "FOR EACH ROW EXECUTE FUNCTION no_snapshots()",
    )
    (audited / MIGS / "0008_more_safe.sql").write_text("CREATE TABLE more (id int);\n")
    with pytest.raises(ReconcilerError) as ei:
        reconcile(Request("dev", "apply", root=str(audited)))
    assert ei.value.code == "database-error" and "snapshots are frozen" in ei.value.message
    rows = query(
        db_url,
        "SELECT action, details->>'code', details->'applied_before_failure' "
        "FROM reconciler.audit_log ORDER BY id",
    )
    assert rows[-2][0] == "apply.started"
    assert rows[-1] == ("apply.failed", "database-error", ["0008"])


def test_no_webhook_secret_means_no_unsigned_delivery(
    audited: Path, db_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUDIT_WEBHOOK_SECRET")
    out = reconcile(Request("dev", "apply", root=str(audited)))
    assert out.exit_code == EXIT_OK and receiver.received == []
    assert out.delivery is not None and out.delivery.pending == 2
    assert "refusing to send unsigned" in out.delivery.errors[0]


def test_emergency_path(project: Path, db_url: str, receiver: Receiver) -> None:
    set_policy(project, "prod", *NO_APPROVALS)
    set_policy(
        project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: pg_dump, keep: 5}"
    )
    set_policy(project, "prod", "target: 0006_add_user_prefs_safe", "target: latest")
    assert run_cli(project, "apply", "--env", "prod").returncode == 0
    hotfix = project / MIGS / "0008_purge_spam_safe.sql"
    hotfix.write_text(
        "-- Type: HOTFIX\nDELETE FROM posts WHERE body = 'spam';\n"
        "-- Rollback instructions:\n-- 1. restore from the backup\n"
    )
    r = run_cli(project, "apply", "--env", "prod")
    assert r.returncode == 3 and "error[ban-delete]" in r.stdout
    r = run_cli(project, "apply", "--env", "prod", "--emergency", "--reason", "spam wave, INC-42")
    assert r.returncode == 0, r.stdout + r.stderr
    row = query(
        db_url,
        "SELECT emergency, reason, backup_ref IS NOT NULL FROM reconciler.audit_log "
        "WHERE action = 'apply.succeeded' ORDER BY id DESC LIMIT 1",
    )
    assert row == [(True, "spam wave, INC-42", True)]  # the backup was still taken
    assert receiver.events()[-1]["emergency"] is True
    # unparsed SQL and credentials stay errors even in an emergency
    (project / MIGS / "0009_fix_safe.sql").write_text(
        "DO $$ BEGIN EXECUTE 'SELECT ' || 1; END $$;\n-- Rollback instructions:\n-- 1. none\n"
    )
    r = run_cli(project, "apply", "--env", "prod", "--emergency", "--reason", "again")
    assert r.returncode == 3 and "error[unparsed-statement]" in r.stdout


def test_secrets_never_appear(project: Path, db_url: str, receiver: Receiver) -> None:
    set_policy(project, "prod", *NO_APPROVALS)
    set_policy(
        project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: pg_dump, keep: 5}"
    )
    r = run_cli(
        project,
        "apply",
        "--env",
        "prod",
        env={"NEON_API_KEY": "napi_supersecretkey0123456789abcdef"},
    )
    r2 = run_cli(project, "audit", "--env", "prod", "-f", "json")
    everything = (
        r.stdout
        + r.stderr
        + r2.stdout
        + r2.stderr
        + json.dumps(
            query(db_url, "SELECT row_to_json(a) FROM reconciler.audit_log a"), default=str
        )
    )
    for secret in (SECRET, "tok_should_not_leak", "napi_supersecretkey"):
        assert secret not in everything


def test_audit_gate_failing_stops_before_the_first_change(
    audited: Path, db_url: str, receiver: Receiver
) -> None:
    from reconciler.engine import init
    from reconciler.errors import ReconcilerError

    init(Request("dev", root=str(audited)))
    query(
        db_url,
        "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit storage unavailable'; END $$",
    )
    query(
        db_url,
        "CREATE TRIGGER no_audit BEFORE INSERT ON reconciler.audit_log "
        "FOR EACH ROW EXECUTE FUNCTION no_audit()",
    )
    with pytest.raises(ReconcilerError, match="audit storage unavailable"):
        reconcile(Request("dev", "apply", root=str(audited)))
    assert query(db_url, "SELECT count(*) FROM reconciler.schema_migrations") == [(0,)]
    assert query(db_url, "SELECT to_regclass('app_config')") == [(None,)]
