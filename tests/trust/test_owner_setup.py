"""``init --grant-approvers`` as the usual Neon owner: not a superuser, owning its database.

It works on every supported major (16 embedded, 15 from Debian), grants approvers only what
planning and approving need (no cluster-wide role), and leaves nothing half-granted when the
owner lacks a privilege.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from reconciler.engine import EXIT_OK, Request, approve, init, reconcile
from reconciler.errors import ReconcilerError
from tests.conftest import query, with_db
from tests.gates.conftest import login_url, set_policy


@pytest.fixture(params=[16, 15])
def owner_db(request: pytest.FixtureRequest, pg_admin_url: str) -> Iterator[tuple[str, str, str]]:
    """(superuser URL of the database, URL of it as its owner `neon_owner`, not a superuser)."""
    admin = pg_admin_url if request.param == 16 else request.getfixturevalue("pg15_admin_url")
    name = f"owned_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as c:
        for role in ("neon_owner", "alice", "bob", "carol"):
            c.execute(
                f"DO $$ BEGIN CREATE ROLE {role} LOGIN; EXCEPTION WHEN duplicate_object THEN END $$"
            )
        c.execute(f"CREATE DATABASE {name} OWNER neon_owner")
        assert c.execute("SHOW server_version_num").fetchone()[0].startswith(str(request.param))
    db = with_db(admin, name)
    yield db, login_url(db, "neon_owner"), admin
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_init_grant_approvers_as_a_non_superuser_owner(
    project: Path, owner_db: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, owner, admin = owner_db
    set_policy(project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none}")
    monkeypatch.setenv("DATABASE_URL_PROD", owner)
    notes = init(Request("prod", root=str(project)), grant_approvers=True)
    assert "approver alice: may compute plans and approve (no write access to the trail)" in notes
    assert "app_config does not exist yet: the apply that creates it grants it" in notes
    h = reconcile(Request("prod", root=str(project))).plan.hash
    for who in ("alice", "bob"):
        monkeypatch.setenv("DATABASE_URL_PROD", login_url(owner, who))
        assert approve(Request("prod", root=str(project)), h).approved_by == who
    monkeypatch.setenv("DATABASE_URL_PROD", owner)
    assert reconcile(Request("prod", "apply", root=str(project))).exit_code == EXIT_OK
    # the tables the apply created are readable by the approvers: they can plan the next change
    cfg = project / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 25"))
    monkeypatch.setenv("DATABASE_URL_PROD", login_url(owner, "carol"))
    nxt = reconcile(Request("prod", root=str(project)))
    assert nxt.plan.counts() == {"upsert_config": 1}
    # and nothing cluster-wide or writable was handed out
    roles = query(
        with_db(admin, "postgres"),
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname IN ('alice', 'bob', 'carol') "
        "AND r.rolname LIKE 'pg\\_%'",
    )
    assert roles == []  # no predefined role such as pg_read_all_data (it is cluster-wide)
    with psycopg.connect(login_url(owner, "alice"), autocommit=True) as c:
        for table in ("approvals", "audit_log", "audit_outbox"):
            assert c.execute(
                "SELECT has_table_privilege(%s, 'INSERT') OR has_table_privilege(%s, 'UPDATE')",
                (f"reconciler.{table}", f"reconciler.{table}"),
            ).fetchone() == (False,)


def test_a_missing_privilege_is_found_before_anything_is_granted(
    project: Path, owner_db: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, owner, _ = owner_db
    set_policy(project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none}")
    monkeypatch.setenv("DATABASE_URL_PROD", owner)
    init(Request("prod", root=str(project)))
    # app_config made by someone else, which the owner may read but not pass on
    query(db, "CREATE TABLE app_config (id int)")
    query(db, "GRANT SELECT ON app_config TO neon_owner")
    with pytest.raises(ReconcilerError, match="lacks SELECT on app_config") as e:
        init(Request("prod", root=str(project)), grant_approvers=True)
    assert "nothing was granted" in (e.value.hint or "")
    with psycopg.connect(login_url(owner, "alice"), autocommit=True) as c:
        assert c.execute("SELECT has_schema_privilege('reconciler', 'USAGE')").fetchone() == (
            False,
        )
