"""Take the README's screenshots of the admin UI's three tabs (docs/ui-*.png).

A copy of the sample project on the embedded PostgreSQL: dev applied, one config value
changed out of band, an index dropped by hand, a migration with findings added, the forum map
grown by one forum; then
`reconcile ui` in Debian's Chromium (Playwright, never `playwright install`).

    python scripts/ui_screenshots.py
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from common import embedded_admin_url, fresh_database, reconcile_cmd, remove_workdir  # noqa: E402

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def main() -> None:
    import psycopg
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="ui_shots_"))
    proj = work / "project"
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, proj / d)
    url = fresh_database(embedded_admin_url(work), "ui_shots")
    env = {
        **os.environ,
        **{f"DATABASE_URL_{e}": url for e in ("DEV", "STAGING", "PROD")},
        "RECONCILER_HOME": str(work / "home"),
        "RECONCILER_ACTOR": "alice@laptop",
    }
    subprocess.run(reconcile_cmd("--env", "dev", "-q"), cwd=proj, env=env, check=True)
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(
            "UPDATE app_config SET value = '25', updated_by = 'dba@console' "
            "WHERE category = 'xp' AND key = 'per_post'"
        )
        c.execute("DROP INDEX posts_thread_idx")  # schema drift, for the Migrations tab
    (proj / "manifests/migrations/0008_prune_xp_events_safe.sql").write_text(
        "-- Description: prune old XP events\n-- Type: SAFE\n\n"
        "DELETE FROM xp_events WHERE created_at < now() - interval '1 year';\n"
        "ALTER TABLE xp_events ALTER COLUMN amount SET NOT NULL;\n\n"
        "-- Rollback instructions:\n-- 1. nothing to undo\n"
    )
    fmap = proj / "manifests/forum-map.yaml"
    fmap.write_text(
        fmap.read_text().replace(
            "      - slug: introductions\n",
            "      - slug: feedback\n        name: Feedback\n        description: Tell us\n"
            "      - slug: introductions\n",
            1,
        )
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        reconcile_cmd("ui", "--root", str(proj), "--port", str(port)), cwd=proj, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/static/app.js", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            shots = {
                "ui-configuration.png": "/admin/database-config/config?q=xp",
                "ui-migrations.png": "/admin/database-config/migrations?env=dev",
                "ui-migration-file.png": "/admin/database-config/migrations/file?env=dev&version=0008",
                "ui-sync.png": "/admin/database-config/sync?env=dev",
            }
            for name, path in shots.items():
                page.goto(base + path)
                page.screenshot(path=str(REPO / "docs" / name), full_page=True)
                print(f"docs/{name}")
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
        remove_workdir(work)


if __name__ == "__main__":
    main()
