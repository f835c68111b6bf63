"""As an attacker with an approver's login: every write to the approvals and the audit trail
that does not go through the definer functions fails, and the definer functions cannot be
made to write in someone else's name."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from reconciler.engine import EXIT_BLOCKED, EXIT_OK, Request, approve, init, reconcile
from tests.conftest import query
from tests.gates.conftest import Receiver, set_policy

ATTACKS = [
    "UPDATE reconciler.approvals SET at = now() WHERE approved_by = 'bob'",
    "UPDATE reconciler.approvals SET approved_by = 'carol'",
    "DELETE FROM reconciler.approvals",
    "TRUNCATE reconciler.approvals",
    "INSERT INTO reconciler.approvals (environment, plan_hash, approved_by) "
    "VALUES ('prod', '{h}', 'bob')",
    "INSERT INTO reconciler.audit_log (environment, actor, db_user, action, outcome, at) "
    "VALUES ('prod', 'bob', 'bob', 'approval.recorded', 'recorded', now() - interval '2 days')",
    "UPDATE reconciler.audit_log SET outcome = 'failed'",
    "DELETE FROM reconciler.audit_log",
    "INSERT INTO reconciler.audit_outbox (audit_id) SELECT max(id) FROM reconciler.audit_log",
    "UPDATE reconciler.audit_outbox SET delivered_at = now()",
    "DELETE FROM reconciler.audit_outbox",
    "INSERT INTO reconciler.environments (name, outbox) VALUES ('prod', false)",
    "UPDATE reconciler.environments SET outbox = false",
    "INSERT INTO reconciler.schema_migrations (version, name, checksum) VALUES ('9999', 'x', 'y')",
]


@pytest.fixture
def prod(
    project: Path, approvers: dict[str, str], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """prod set up as the docs say: init --grant-approvers by the owner, a webhook, no backups."""
    set_policy(project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none}")
    init(Request("prod", root=str(project)), grant_approvers=True)
    # dave: a login on the database, not an approver, granted what approvers get by mistake
    query(db_url, "DO $$ BEGIN CREATE ROLE dave LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    for grant in (
        "USAGE ON SCHEMA reconciler",
        "SELECT ON reconciler.schema_migrations, reconciler.approvals",
        "EXECUTE ON FUNCTION reconciler.approve(text, text, text, text)",
    ):
        query(db_url, f"GRANT {grant} TO dave")
    return project


def _login(db_url: str, user: str) -> str:
    from tests.gates.conftest import login_url

    return login_url(db_url, user)


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "dave", "mallory"])
def test_no_write_to_the_trail_outside_the_definer_functions(
    prod: Path, db_url: str, approvers: dict[str, str], who: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = reconcile(Request("prod", root=str(prod))).plan.hash
    monkeypatch.setenv("DATABASE_URL_PROD", approvers["bob"])
    approve(Request("prod", root=str(prod)), h)
    before = query(
        db_url,
        "SELECT (SELECT count(*) FROM reconciler.approvals), (SELECT count(*) FROM "
        "reconciler.audit_log), (SELECT count(*) FROM reconciler.audit_outbox WHERE delivered_at "
        "IS NULL)",
    )
    with psycopg.connect(_login(db_url, who), autocommit=True) as c:
        for attack in ATTACKS:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(attack.format(h=h))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("SET ROLE postgres")
    after = query(
        db_url,
        "SELECT (SELECT count(*) FROM reconciler.approvals), (SELECT count(*) FROM "
        "reconciler.audit_log), (SELECT count(*) FROM reconciler.audit_outbox WHERE delivered_at "
        "IS NULL)",
    )
    assert after == before
    assert query(db_url, "SELECT approved_by FROM reconciler.approvals") == [("bob",)]


def test_the_definer_function_records_the_caller_whatever_name_it_is_given(
    prod: Path, db_url: str, approvers: dict[str, str], request: pytest.FixtureRequest
) -> None:
    h = reconcile(Request("prod", root=str(prod))).plan.hash
    # carol may act as bob's role (an owner's mistake): the approval is still carol's
    query(db_url, "GRANT bob TO carol")
    request.addfinalizer(lambda: query(db_url, "REVOKE bob FROM carol"))  # roles are cluster-wide
    with psycopg.connect(approvers["carol"], autocommit=True) as c:
        c.execute("SET ROLE bob")
        assert c.execute("SELECT reconciler.approve('prod', %s, 'bob')", (h,)).fetchone() == (
            "carol",
        )
        c.execute("RESET ROLE")
        c.execute("SELECT reconciler.approve('prod', %s, 'alice@laptop')", (h,))
    assert query(db_url, "SELECT approved_by FROM reconciler.approvals") == [("carol",)]
    events = query(
        db_url,
        "SELECT db_user, actor, approvals FROM reconciler.audit_log "
        "WHERE action = 'approval.recorded' ORDER BY id",
    )
    # the actor text is what the caller said; the database login is what the database knows
    assert events == [("carol", "bob", ["carol"]), ("carol", "alice@laptop", ["carol"])]
    # one approver, however many calls, under however many names: 1 of 2, still blocked
    out = reconcile(Request("prod", "apply", root=str(prod)))
    assert out.exit_code == EXIT_BLOCKED and out.verdict.approvals_received == ["carol"]


def test_a_callers_temporary_tables_do_not_stand_in_for_the_definer_functions_types(
    prod: Path, db_url: str, approvers: dict[str, str]
) -> None:
    h = reconcile(Request("prod", root=str(prod))).plan.hash
    with psycopg.connect(approvers["bob"], autocommit=True) as c:
        # each also makes a type of that name in pg_temp, searched first unless named last
        c.execute("CREATE TEMP TABLE jsonb (x int); CREATE TEMP TABLE bigint (x int)")
        assert c.execute("SELECT reconciler.approve('prod', %s, 'bob')", (h,)).fetchone() == (
            "bob",
        )
        c.execute("SELECT reconciler.refuse_approval('prod', %s, 'bob', 'no')", (h,))
    events = query(
        db_url, "SELECT action FROM reconciler.audit_log WHERE actor = 'bob' ORDER BY id"
    )
    assert events == [("approval.recorded",), ("approval.refused",)]


def test_a_stranger_calling_the_function_directly_never_counts(
    prod: Path, db_url: str, approvers: dict[str, str]
) -> None:
    h = reconcile(Request("prod", root=str(prod))).plan.hash
    with psycopg.connect(_login(db_url, "dave"), autocommit=True) as c:
        c.execute("SELECT reconciler.approve('prod', %s, 'alice')", (h,))
    with (
        psycopg.connect(approvers["mallory"], autocommit=True) as c,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        c.execute("SELECT reconciler.approve('prod', %s, 'alice')", (h,))
    out = reconcile(Request("prod", "apply", root=str(prod)))
    assert out.exit_code == EXIT_BLOCKED and out.verdict.approvals_received == []


def test_the_owner_is_trusted_and_the_webhook_is_the_copy_it_cannot_rewrite(
    prod: Path,
    db_url: str,
    approvers: dict[str, str],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_policy(prod, "prod", "backup: {provider: none}", "backup: {provider: none}")
    h = reconcile(Request("prod", root=str(prod))).plan.hash
    for who in ("alice", "bob"):
        monkeypatch.setenv("DATABASE_URL_PROD", approvers[who])
        approve(Request("prod", root=str(prod)), h)
    monkeypatch.setenv("DATABASE_URL_PROD", db_url)
    assert reconcile(Request("prod", "apply", root=str(prod))).exit_code == EXIT_OK
    sent = [(e["action"], e["db_user"]) for e in receiver.events()]
    assert ("approval.recorded", "alice") in sent and ("approval.recorded", "bob") in sent
    assert ("apply.succeeded", "postgres") in sent
    # the owner owns the tables: it can switch the protection off and rewrite history...
    query(db_url, "ALTER TABLE reconciler.audit_log DISABLE TRIGGER audit_log_append_only")
    query(
        db_url, "UPDATE reconciler.audit_log SET db_user = 'nobody' WHERE action LIKE 'approval%'"
    )
    assert query(
        db_url, "SELECT DISTINCT db_user FROM reconciler.audit_log WHERE action LIKE 'approval%'"
    ) == [("nobody",)]
    # ...but not the copy the receiver already holds, signed as it was sent
    assert {e["db_user"] for e in receiver.events() if e["action"] == "approval.recorded"} == {
        "alice",
        "bob",
    }


def test_an_installation_from_before_is_upgraded_and_loses_the_old_write_grants(
    project: Path, db_url: str, approvers: dict[str, str]
) -> None:
    """Schema version 2 gave approvers INSERT/UPDATE on the trail; the upgrade takes it back."""
    from reconciler.db.bookkeeping import _STEPS, ensure_bookkeeping

    with psycopg.connect(db_url, autocommit=True) as c:
        for n, step in enumerate(_STEPS[:2], start=1):  # what an earlier version installed
            c.execute(step)
            c.execute(
                "INSERT INTO reconciler.meta (id, schema_version) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET schema_version = EXCLUDED.schema_version",
                (n,),
            )
        c.execute("GRANT USAGE ON SCHEMA reconciler TO alice")
        c.execute("GRANT SELECT, INSERT, UPDATE ON reconciler.approvals TO alice")
        c.execute("GRANT INSERT ON reconciler.audit_log TO alice")
        c.execute("GRANT INSERT, UPDATE ON reconciler.audit_outbox TO alice")
        ensure_bookkeeping(c)
        assert c.execute("SELECT schema_version FROM reconciler.meta").fetchone() == (len(_STEPS),)
    with psycopg.connect(approvers["alice"], autocommit=True) as c:
        for attack in ATTACKS[:2] + ATTACKS[5:7] + ATTACKS[9:10]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(attack.format(h="0" * 64))


def test_not_even_the_owner_can_delete_an_event_the_webhook_has_not_had(
    project: Path, db_url: str
) -> None:
    """The outbox holds the events a webhook is owed; delivery only updates its rows. A
    DELETE or TRUNCATE by the owner itself (a migration runs as the owner) is refused."""
    from reconciler.db.bookkeeping import ensure_bookkeeping

    with psycopg.connect(db_url, autocommit=True) as c:
        ensure_bookkeeping(c)
        c.execute(
            "INSERT INTO reconciler.audit_log (environment, actor, action, outcome) "
            "VALUES ('dev', 'x', 'apply.started', 'started')"
        )
        c.execute(
            "INSERT INTO reconciler.audit_outbox (audit_id) SELECT max(id) FROM reconciler.audit_log"
        )
        for attack in ("DELETE FROM reconciler.audit_outbox", "TRUNCATE reconciler.audit_outbox"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="keeps every event"):
                c.execute(attack)
        c.execute("UPDATE reconciler.audit_outbox SET attempts = attempts + 1")  # delivery's way
        row = c.execute("SELECT count(*) FROM reconciler.audit_outbox").fetchone()
        assert row is not None and row[0] >= 1
