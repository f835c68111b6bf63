"""The admin UI end to end: a real uvicorn server and Debian's Chromium driven by Playwright.

Each test saves a screenshot of the page it ends on in its own output folder (tmp_path).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import query, run_cli
from tests.web.conftest import git, git_work_tree

CHROMIUM = "/usr/bin/chromium"
pytest.importorskip("starlette", reason="the ui extra (starlette) is not installed")
pw = pytest.importorskip(
    "playwright.sync_api", reason="playwright (the test extra) is not installed"
)
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"needs Debian's chromium at {CHROMIUM} (scripts/test installs it when run as root)",
        allow_module_level=True,
    )

from reconciler.web.app import PREFIX, create_app  # noqa: E402

TOKEN = "a-long-enough-ui-token-for-tests"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def serve(project: Path, **kw: Any) -> Iterator[str]:
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(str(project), **kw), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        if not t.is_alive():
            raise RuntimeError("the UI server did not start")
        threading.Event().wait(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(10)


@pytest.fixture
def ui(project: Path) -> Iterator[str]:
    yield from serve(project)


@pytest.fixture
def page(browser: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    shot = tmp_path / f"{request.node.name}.png"
    pg.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    context.close()
    # a CSP violation (an inline script, a foreign resource) shows up as a console error
    assert not [e for e in errors if "Content Security Policy" in e], errors


def live(db_url: str, category: str, key: str) -> Any:
    rows = query(
        db_url, "SELECT value FROM app_config WHERE category=%s AND key=%s", (category, key)
    )
    return rows[0][0] if rows else None


def apply_dev(project: Path) -> None:
    r = run_cli(project, "apply", "--env", "dev")
    assert r.returncode == 0, r.stdout + r.stderr


def test_edit_a_dev_value_and_see_the_database_change(
    project: Path, db_url: str, ui: str, page: Any
) -> None:
    apply_dev(project)
    page.goto(f"{ui}/")
    assert page.url.endswith(f"{PREFIX}/config")
    page.fill("input[name=q]", "per_post")
    page.click("button:has-text('Search')")
    page.click("#row-xp-per_post a:has-text('edit')")
    page.fill("#value", "11")
    page.click("#save")
    page.wait_for_selector("#diff")
    assert "+    value: 11" in page.inner_text("#diff")
    page.wait_for_selector("#result-dev .result.ok")
    assert "applied" in page.inner_text("#result-dev .result")
    assert page.locator("#result-dev .events li").count() >= 1  # the stream arrived
    assert live(db_url, "xp", "per_post") == 11
    page.goto(f"{ui}{PREFIX}/config?q=per_post")
    assert "11" in page.inner_text("#row-xp-per_post td[data-env=dev] .live")


def test_out_of_bounds_value_error_beside_the_field_nothing_written(
    project: Path, db_url: str, ui: str, page: Any
) -> None:
    apply_dev(project)
    before = (project / "manifests/config/xp.yaml").read_text()
    page.goto(f"{ui}{PREFIX}/config/edit?category=xp&key=daily_cap")
    page.fill("#value", "250000")
    page.click("#save")
    err = page.wait_for_selector("#error-value")
    assert "above the maximum 100000" in err.inner_text()
    # beside the field: in the same label as the input
    assert page.locator("label:has(#value) #error-value").count() == 1
    assert (project / "manifests/config/xp.yaml").read_text() == before
    assert live(db_url, "xp", "daily_cap") == 100000


def test_edit_a_prod_value_diff_and_branch_database_untouched(
    project: Path, db_url: str, ui: str, page: Any
) -> None:
    apply_dev(project)
    git_work_tree(project)
    rows = query(db_url, "SELECT category, key, value, updated_at FROM app_config ORDER BY 1, 2")
    page.goto(f"{ui}{PREFIX}/config?q=daily_cap")
    page.click("#row-xp-daily_cap td[data-env=prod] a:has-text('override')")
    page.fill("#value", "650")
    page.click("#save")
    assert "daily_cap: 650" in page.inner_text("#diff")
    assert "pull request" in page.inner_text("#result-prod")
    page.click("#commit")
    branch = page.inner_text("#branch")
    assert re.fullmatch(r"reconciler/prod-xp-daily_cap-\d{8}-\d{6}", branch)
    assert "daily_cap: 650" in git(project, "show", f"{branch}:environments/prod.yaml")
    assert git(project, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert (
        query(db_url, "SELECT category, key, value, updated_at FROM app_config ORDER BY 1, 2")
        == rows
    )


def test_a_blocked_migration_shows_its_finding_on_its_line(
    project: Path, ui: str, page: Any
) -> None:
    (project / "manifests/migrations/0008_tidy_up_safe.sql").write_text(
        "-- Tidy up old data\n-- rollback: none\n\nDELETE FROM xp_events;\n"
    )
    page.goto(f"{ui}{PREFIX}/migrations?env=staging")
    row = page.locator("#mig-0008")
    assert "blocked" in row.inner_text()
    row.locator("a").click()
    finding = page.locator("#L4 .finding")
    assert "ban-delete" in finding.inner_text()
    assert "help:" in finding.inner_text()
    finding.locator("a").click()
    assert "ban-delete" in page.inner_text("h2")


def test_sync_forums_now_streams_progress_and_creates_the_forums(
    project: Path, db_url: str, ui: str, page: Any
) -> None:
    r = run_cli(project, "apply", "--env", "dev", "--only", "migrations")
    assert r.returncode == 0, r.stdout + r.stderr
    page.goto(f"{ui}{PREFIX}/sync?env=dev")
    assert "create announcements" in page.inner_text("#forum-changes")
    page.click("#sync-now")
    page.wait_for_selector(".run[data-done=true]")
    assert "applied" in page.inner_text(".run .result")
    assert page.locator(".run .events li").count() >= 2
    slugs = {s for (s,) in query(db_url, "SELECT slug FROM forum_structure")}
    assert {"announcements", "off-topic", "games", "price-talk"} <= slugs
    page.goto(f"{ui}{PREFIX}/sync?env=dev")
    assert "The forum tree is in sync." in page.inner_text("#forum-changes")
    assert "apply.succeeded" in page.inner_text("table.audit")


def test_requests_without_csrf_or_token_are_refused(
    project: Path, db_url: str, browser: Any, page: Any, tmp_path: Path
) -> None:
    apply_dev(project)
    for url in serve(project):
        page.goto(f"{url}{PREFIX}/sync?env=dev")
        # the browser's own POST without the token (a forged form) is refused
        r = page.request.post(f"{url}{PREFIX}/sync", form={"env": "dev"})
        assert r.status == 403
        r = page.request.post(f"{url}{PREFIX}/sync", form={"env": "dev", "csrf": "forged"})
        assert r.status == 403
    for url in serve(project, token=TOKEN, loopback_only=False):
        page.goto(f"{url}{PREFIX}/config")
        assert page.url.endswith("/login")  # no token: the login form
        assert page.request.get(f"{url}{PREFIX}/config").status == 401
        page.fill("input[name=token]", "wrong")
        page.click("button:has-text('Log in')")
        assert "wrong token" in page.inner_text("main")
        page.fill("input[name=token]", TOKEN)
        page.click("button:has-text('Log in')")
        assert page.url.endswith(f"{PREFIX}/config")
        cookies = page.context.cookies()
        session = [c for c in cookies if c["name"] == "reconciler_ui"]
        assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
        assert TOKEN not in session[0]["value"]
        assert "xp.daily_cap" in page.inner_text("table.config")
    assert live(db_url, "xp", "per_post") == 5
