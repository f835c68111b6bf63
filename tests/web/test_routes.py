"""The admin UI's routes through Starlette's test client (httpx), on a real PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import query, run_cli
from tests.web.conftest import git, git_work_tree

starlette = pytest.importorskip("starlette", reason="the ui extra (starlette) is not installed")
import httpx  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from reconciler.web.app import PREFIX, create_app  # noqa: E402

TOKEN = "correct-horse-battery-staple"


def client(project: Path, **kw: object) -> TestClient:
    return TestClient(create_app(str(project), **kw), base_url="http://127.0.0.1:8765")  # type: ignore[arg-type]


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "the page carries no CSRF token"
    return m.group(1)


def applied_dev(project: Path) -> None:
    r = run_cli(project, "apply", "--env", "dev")
    assert r.returncode == 0, r.stdout + r.stderr


def live_value(db_url: str, category: str, key: str) -> object:
    rows = query(
        db_url, "SELECT value FROM app_config WHERE category=%s AND key=%s", (category, key)
    )
    return rows[0][0] if rows else None


def edit(
    c: TestClient, form: str, category: str, key: str, value: str, env: str = ""
) -> httpx.Response:
    """Submit the edit form (fetched as ``form``) with a new value for one entry."""
    data = {"mode": "edit", "category": category, "key": key, "value": value, "env": env}
    return c.post(f"{PREFIX}/config/edit", data={**data, "csrf": csrf_of(form)})


def wait_run(c: TestClient, html: str) -> str:
    """Follow the page's first run stream to its end; return the end event's data."""
    m = re.search(r'data-stream="([^"]+)"', html)
    assert m, "no run on the page"
    with c.stream("GET", m.group(1)) as r:
        body = "".join(r.iter_text())
    assert "event: end" in body, body
    return body


def test_root_redirects_and_tabs_render(project: Path, db_url: str) -> None:
    applied_dev(project)
    with client(project) as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"{PREFIX}/config"
        page = c.get(f"{PREFIX}/config").text
        assert "xp.daily_cap" in page and "Most XP a user can earn in one day" in page
        # dev's override and its live value; prod's override
        row = page[page.index('id="row-xp-daily_cap"') :].split("</tr>")[0]
        assert "100000" in row and "500" in row and "max 100000" in row
        mig = c.get(f"{PREFIX}/migrations?env=dev").text
        assert "0001_create_app_config_safe.sql" in mig and ">applied" in mig
        sync = c.get(f"{PREFIX}/sync?env=dev").text
        assert "announcements" in sync and "Sync forums now" in sync


def test_security_headers_and_no_inline_script(project: Path) -> None:
    with client(project) as c:
        r = c.get(f"{PREFIX}/config")
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert not re.search(r"<script(?![^>]*\bsrc=)", r.text), "an inline script"
        assert " on" not in re.sub(r"<[^>]*>", "", "") and not re.search(r"\son[a-z]+=", r.text)


def test_post_without_csrf_is_refused_and_changes_nothing(project: Path, db_url: str) -> None:
    applied_dev(project)
    before = (project / "manifests/config/xp.yaml").read_text()
    with client(project) as c:
        form = {"mode": "edit", "category": "xp", "key": "per_post", "value": "7", "env": ""}
        assert c.post(f"{PREFIX}/config/edit", data=form).status_code == 403
        assert c.post(f"{PREFIX}/config/edit", data={**form, "csrf": "guess"}).status_code == 403
        assert c.post(f"{PREFIX}/sync", data={"env": "dev"}).status_code == 403
        # a request from another origin is refused even with the token
        token = csrf_of(c.get(f"{PREFIX}/sync?env=dev").text)
        r = c.post(
            f"{PREFIX}/sync",
            data={"env": "dev", "csrf": token},
            headers={"origin": "http://evil.example"},
        )
        assert r.status_code == 403
    assert (project / "manifests/config/xp.yaml").read_text() == before
    assert live_value(db_url, "xp", "per_post") == 5


def test_every_post_route_needs_the_csrf_token(project: Path) -> None:
    app = create_app(str(project))
    posts = [r.path for r in app.app.routes if "POST" in (getattr(r, "methods", None) or ())]
    assert len(posts) >= 6
    with TestClient(app, base_url="http://127.0.0.1") as c:
        for path in posts:
            if path == "/login":
                continue
            assert c.post(path, data={"env": "dev"}).status_code == 403, path


def test_foreign_host_header_is_refused_on_loopback(project: Path) -> None:
    with client(project) as c:
        r = c.get(f"{PREFIX}/config", headers={"host": "attacker.example:8765"})
        assert r.status_code == 421


def test_token_required_bearer_or_login_cookie(project: Path) -> None:
    app = create_app(str(project), token=TOKEN, loopback_only=False)
    with TestClient(app, base_url="http://10.0.0.5:8765") as c:
        assert c.get(f"{PREFIX}/config").status_code == 401
        assert (
            c.get(f"{PREFIX}/config", headers={"authorization": "Bearer nope"}).status_code == 401
        )
        r = c.get(f"{PREFIX}/config", headers={"accept": "text/html"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        ok = c.get(f"{PREFIX}/config", headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        login = c.get("/login").text
        bad = c.post("/login", data={"token": "wrong", "csrf": csrf_of(login)})
        assert bad.status_code == 401
        r = c.post("/login", data={"token": TOKEN, "csrf": csrf_of(login)}, follow_redirects=False)
        cookie = r.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert TOKEN not in cookie
        assert c.get(f"{PREFIX}/config").status_code == 200  # the cookie now


def test_read_only_has_no_writes(project: Path, db_url: str) -> None:
    applied_dev(project)
    with client(project, read_only=True) as c:
        page = c.get(f"{PREFIX}/config").text
        assert (
            '<form method="post"' not in page
            and "Sync forums now" not in c.get(f"{PREFIX}/sync").text
        )
        token = "x"
        for path in ("/config/edit", "/config/adopt", "/config/restore", "/sync", "/config/commit"):
            assert c.post(PREFIX + path, data={"csrf": token, "env": "dev"}).status_code in (
                404,
                405,
            )


def test_out_of_bounds_value_shows_the_error_and_writes_nothing(project: Path, db_url: str) -> None:
    applied_dev(project)
    before = (project / "manifests/config/xp.yaml").read_text()
    with client(project) as c:
        form = c.get(f"{PREFIX}/config/edit?category=xp&key=daily_cap").text
        assert 'type="number"' in form and 'max="100000"' in form
        r = edit(c, form, "xp", "daily_cap", "999999")
        assert r.status_code == 422
        assert 'id="error-value"' in r.text and "above the maximum 100000" in r.text
        r = edit(c, form, "xp", "per_post", "lots")
        assert r.status_code == 422 and "not a whole number" in r.text
    assert (project / "manifests/config/xp.yaml").read_text() == before
    assert live_value(db_url, "xp", "daily_cap") == 100000


def test_dev_edit_keeps_comments_shows_diff_and_applies(project: Path, db_url: str) -> None:
    applied_dev(project)
    path = project / "manifests/config/xp.yaml"
    path.write_text(
        "# XP economy: reviewed by the game team\n"
        + path.read_text().replace("  per_post:\n", "  # what one post earns\n  per_post:\n")
    )
    with client(project) as c:
        form = c.get(f"{PREFIX}/config/edit?category=xp&key=per_post").text
        r = edit(c, form, "xp", "per_post", "8")
        assert r.status_code == 200, r.text
        assert "-    value: 5" in r.text and "+    value: 8" in r.text
        end = wait_run(c, r.text)
        assert '"ok": true' in end
        # prod's and staging's databases need a pull request
        assert 'id="result-prod"' in r.text and "needs-pr" in r.text
    text = path.read_text()
    assert text.startswith("# XP economy: reviewed by the game team\n")
    assert "  # what one post earns\n  per_post:\n    value: 8\n" in text
    assert live_value(db_url, "xp", "per_post") == 8


def test_prod_override_diff_and_commit_on_a_new_branch_database_untouched(
    project: Path, db_url: str
) -> None:
    applied_dev(project)
    git_work_tree(project)
    before_rows = query(db_url, "SELECT category, key, value FROM app_config ORDER BY 1, 2")
    with client(project) as c:
        form = c.get(f"{PREFIX}/config/edit?category=xp&key=daily_cap&env=prod").text
        r = edit(c, form, "xp", "daily_cap", "750", env="prod")
        assert r.status_code == 200, r.text
        assert "+  overrides: {xp: {daily_cap: 750}}" in r.text
        assert "data-stream" not in r.text  # nothing is applied anywhere
        assert "Commit this change on a new branch" in r.text
        edit_id = re.search(r'name="edit" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
        done = c.post(f"{PREFIX}/config/commit", data={"edit": edit_id, "csrf": csrf_of(r.text)})
        assert done.status_code == 200, done.text
        branch = re.search(r'id="branch">([^<]+)<', done.text).group(1)  # type: ignore[union-attr]
    assert branch.startswith("reconciler/prod-xp-daily_cap-")
    assert git(project, "rev-parse", "--abbrev-ref", "HEAD") == "main"  # not switched
    shown = git(project, "show", f"{branch}:environments/prod.yaml")
    assert "daily_cap: 750" in shown and shown.startswith("# Production")
    assert git(project, "diff", "--name-only", "main", branch) == "environments/prod.yaml"
    assert query(db_url, "SELECT category, key, value FROM app_config ORDER BY 1, 2") == before_rows


def test_drift_adopt_into_git_and_put_back(project: Path, db_url: str) -> None:
    applied_dev(project)
    query(
        db_url,
        "UPDATE app_config SET value = '42', updated_by = 'dba' WHERE category='xp' AND key='per_thread'",
    )
    with client(project) as c:
        page = c.get(f"{PREFIX}/config?drift=1").text
        row = page[page.index('id="row-xp-per_thread"') :].split("</tr>")[0]
        assert "drift: live differs from git" in row and "changed by dba" in row
        # put git's value back (dev's gates allow it)
        r = c.post(f"{PREFIX}/config/restore", data={"env": "dev", "csrf": csrf_of(page)})
        assert r.status_code == 200 and '"ok": true' in wait_run(c, r.text)
        assert live_value(db_url, "xp", "per_thread") == 15
        query(
            db_url,
            "UPDATE app_config SET value = '42', updated_by = 'dba' WHERE category='xp' AND key='per_thread'",
        )
        time.sleep(0.01)
        c.app.app.state.workspace.forget()  # type: ignore[attr-defined]
        r = c.post(
            f"{PREFIX}/config/adopt",
            data={"env": "dev", "category": "xp", "key": "per_thread", "csrf": csrf_of(page)},
        )
        assert r.status_code == 200, r.text
    assert "per_thread: 42" in (project / "environments/dev.yaml").read_text()
    assert live_value(db_url, "xp", "per_thread") == 42


def test_add_an_entry(project: Path, db_url: str) -> None:
    applied_dev(project)
    with client(project) as c:
        form = c.get(f"{PREFIX}/config/edit?new=1").text
        data = {
            "mode": "new",
            "category": "xp",
            "key": "per_reply",
            "value": "3",
            "type": "integer",
            "min": "0",
            "max": "50",
            "description": "XP per reply",
            "csrf": csrf_of(form),
        }
        r = c.post(f"{PREFIX}/config/edit", data={**data, "value": "60"})
        assert r.status_code == 422 and "above the maximum 50" in r.text
        r = c.post(f"{PREFIX}/config/edit", data=data)
        assert r.status_code == 200, r.text
        wait_run(c, r.text)
    assert (
        "  per_reply:\n    value: 3\n    description: XP per reply\n    type: integer\n"
        in (project / "manifests/config/xp.yaml").read_text()
    )
    assert live_value(db_url, "xp", "per_reply") == 3


def test_blocked_migration_finding_on_its_line(project: Path) -> None:
    (project / "manifests/migrations/0008_drop_stuff_safe.sql").write_text(
        # ban-copy-program is an error everywhere; the DROP a warning in dev
        "-- rollback: none\nSELECT 1;\nDROP TABLE xp_events;\nCOPY xp_events FROM PROGRAM 'true';\n"
    )
    with client(project) as c:
        page = c.get(f"{PREFIX}/migrations?env=prod").text
        assert "past the target" in page
        page = c.get(f"{PREFIX}/migrations?env=dev").text
        row = page[page.index('id="mig-0008"') :].split("</tr>")[0]
        assert "blocked" in row
        f = c.get(f"{PREFIX}/migrations/file?env=dev&version=0008").text
        line3 = f[f.index('id="L3"') :].split("</tr>")[0]
        assert "ban-drop-table" in line3 and f"{PREFIX}/rules/ban-drop-table" in line3
        assert "has-finding" in line3
        doc = c.get(f"{PREFIX}/rules/ban-drop-table")
        assert doc.status_code == 200 and "ban-drop-table" in doc.text
        assert c.get(f"{PREFIX}/rules/..%2f..%2fetc%2fpasswd").status_code == 404


def test_prod_shows_approvals_and_the_approve_command(project: Path, db_url: str) -> None:
    with client(project) as c:
        page = c.get(f"{PREFIX}/migrations?env=prod").text
        h = re.search(r'id="plan-hash">([0-9a-f]{64})<', page).group(1)  # type: ignore[union-attr]
        assert f"reconcile approve --env prod --plan {h}" in page
        assert "0 of 2 received" in page


def test_sync_forums_now_streams_and_creates(project: Path, db_url: str) -> None:
    r = run_cli(project, "apply", "--env", "dev", "--only", "migrations")
    assert r.returncode == 0, r.stdout + r.stderr
    with client(project) as c:
        page = c.get(f"{PREFIX}/sync?env=dev").text
        assert "create announcements" in page
        r = c.post(f"{PREFIX}/sync", data={"env": "dev", "csrf": csrf_of(page)})
        assert r.status_code == 200
        end = wait_run(c, r.text)
        assert "event: progress" in end and '"ok": true' in end
    slugs = {s for (s,) in query(db_url, "SELECT slug FROM forum_structure")}
    assert {"announcements", "games", "price-talk"} <= slugs
    # a forum-only apply: no migration beyond those already there, no config rows
    assert query(db_url, "SELECT count(*) FROM app_config")[0][0] == 0


def test_unreachable_database_is_said_not_hung(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL_PROD", "postgresql://u:s3cret-pw@127.0.0.1:1/x")
    with client(project) as c:
        t = time.monotonic()
        page = c.get(f"{PREFIX}/migrations?env=prod").text
        assert time.monotonic() - t < 15
        assert "database not read" in page and "s3cret-pw" not in page


def test_cli_refuses_a_public_address_without_a_token(project: Path) -> None:
    r = run_cli(project, "ui", "--host", "0.0.0.0", "--port", "1")
    assert r.returncode == 64
    assert "--token-from-env" in r.stderr
    r = run_cli(
        project,
        "ui",
        "--host",
        "0.0.0.0",
        "--token-from-env",
        "UI_TOKEN",
        env={"UI_TOKEN": "short"},
    )
    assert r.returncode == 64 and "at least 16 characters" in r.stderr


def test_cli_serves_the_ui(project: Path, db_url: str) -> None:
    import os
    import socket
    import sys
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "ui",
            "--root",
            str(project),
            "--port",
            str(port),
            "--read-only",
        ],
        cwd=project,
        env=dict(os.environ),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}{PREFIX}/config", timeout=5
                ) as r:
                    body = r.read().decode()
                break
            except OSError:
                assert p.poll() is None and time.monotonic() < deadline, "the UI did not start"
                time.sleep(0.1)
        assert "xp.daily_cap" in body and "read-only" in body and '<form method="post"' not in body
    finally:
        p.terminate()
        _, err = p.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/admin/database-config (read-only)" in err


def test_migrations_tab_lists_drifted_objects(project: Path, db_url: str) -> None:
    applied_dev(project)
    with client(project) as c:
        assert "no schema drift since the snapshot" in c.get(f"{PREFIX}/migrations?env=dev").text
        query(db_url, "ALTER TABLE users ADD COLUMN nickname text")
        c.app.app.state.workspace.forget()  # type: ignore[attr-defined]
        page = c.get(f"{PREFIX}/migrations?env=dev").text
    section = page[page.index('id="schema-drift"') :].split("</section>")[0]
    assert "1 object(s) changed outside the reconciler" in section
    assert "column public.users.nickname was added outside the reconciler" in section
    assert "--adopt-drift" in section


def test_a_category_file_broken_meanwhile_is_an_error_on_the_form(project: Path) -> None:
    with client(project) as c:
        form = c.get(f"{PREFIX}/config/edit?category=xp&key=per_post").text
        path = project / "manifests/config/xp.yaml"
        path.write_text(path.read_text() + "  broken: [\n")  # someone's half-saved edit
        r = edit(c, form, "xp", "per_post", "6")
    assert r.status_code in (404, 422), r.text
    assert path.read_text().endswith("  broken: [\n")  # nothing written


def test_an_environment_file_named_yml_is_served_and_edited(project: Path, db_url: str) -> None:
    (project / "environments/staging.yaml").rename(project / "environments/staging.yml")
    with client(project) as c:
        assert "staging" in c.get(f"{PREFIX}/migrations?env=staging").text
        form = c.get(f"{PREFIX}/config/edit?category=xp&key=per_post&env=staging").text
        r = edit(c, form, "xp", "per_post", "9", env="staging")
        assert r.status_code == 200, r.text
    assert "per_post: 9" in (project / "environments/staging.yml").read_text()


def test_a_port_in_use_is_a_clear_error_naming_its_holder(project: Path) -> None:
    """The original's "Port Already in Use" (npm run kill-ports): the UI says which process
    holds the port and how to free it, before printing any address, and exits 1."""
    import os
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_cli(project, "ui", "--port", str(port))
    assert r.returncode == 1, r.stderr
    assert f"error[port-in-use]: cannot serve on 127.0.0.1:{port}" in r.stderr
    if os.path.exists("/proc/net/tcp"):  # (Linux: who holds it is known)
        assert f"held by pid {os.getpid()}" in r.stderr and f"kill {os.getpid()}" in r.stderr
    assert "choose another port with --port" in r.stderr and "admin UI on" not in r.stderr
