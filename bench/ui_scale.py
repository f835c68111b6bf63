"""The admin UI at scale (issue 13): 10,000 config entries and 2,000 migrations.

Starts the real `reconcile ui` server (a subprocess, as a user runs it) over plan_scale's
generated project, applied, and times each tab's response:

- start: from launching the process to answering (it plans every environment and reads
  the config catalog before it answers);
- first: the first request for that tab after the server started (the engine's desired-state
  and lint caches on disk are warm, as after any earlier run);
- later: a request once the shown plan is over 3 s old (served from it while a newer one is
  computed in the background);
- computed: the same on a server started with RECONCILER_UI_MAX_STALE=0, where every such
  request waits for a full engine plan (as the first page after an edit does).

Medians over 5 server starts.

    python bench/ui_scale.py
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    finish,
    print_rows,
    reconcile_cmd,
    remove_workdir,
    run,
    workspace,
)
from plan_scale import generate

PREFIX = "/admin/database-config"
TABS = {
    "Configuration": f"{PREFIX}/config",
    "Configuration, search": f"{PREFIX}/config?q=key_4711",
    "Configuration, page 150": f"{PREFIX}/config?page=150",
    "Migrations": f"{PREFIX}/migrations?env=bench",
    "Migrations, a file": f"{PREFIX}/migrations/file?env=bench&version=1500",
    "Sync": f"{PREFIX}/sync?env=bench",
}
PLAN_TTL = 3.0  # reconciler.web.workspace.PLAN_TTL
RUNS = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        body = r.read()
        assert r.status == 200 and body, url
    return time.perf_counter() - t0


def start(proj: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    t0 = time.perf_counter()
    p = subprocess.Popen(
        reconcile_cmd("ui", "--root", str(proj), "--port", str(port)),
        cwd=proj,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/static/app.js", timeout=1).read()
            return p, base, time.perf_counter() - t0
        except OSError:
            if time.monotonic() > deadline or p.poll() is not None:
                p.kill()
                sys.exit("the UI server did not start")
            time.sleep(0.05)


def main() -> None:
    work, _admin, _url, proj, env = workspace("ui_scale")
    generate(proj, 1)
    env["RECONCILER_HOME"] = str(work / "home")
    _, r = run(reconcile_cmd("--env", "bench", "-q"), proj, env)
    if r.returncode != 0:
        sys.exit(f"initial apply failed:\n{r.stderr[-3000:]}")
    run(reconcile_cmd("validate", "--env", "bench", "-q"), proj, env)  # the lint cache, as after CI

    starts: list[float] = []
    kinds = ("first", "later", "computed")
    times: dict[tuple[str, str], list[float]] = {(k, t): [] for k in kinds for t in TABS}
    for _ in range(RUNS):
        for computed in (False, True):  # alternating the two servers
            senv = {**env, "RECONCILER_UI_MAX_STALE": "0"} if computed else env
            p, base, took = start(proj, senv)
            starts.append(took)
            try:
                for tab, path in TABS.items():  # each tab's first request on a new server
                    if not computed:
                        times["first", tab].append(get(base + path))
                for tab, path in TABS.items():
                    time.sleep(PLAN_TTL + 0.1)  # the shown plan is now over 3 s old
                    times["computed" if computed else "later", tab].append(get(base + path))
            finally:
                p.terminate()
                p.wait(10)

    label = {
        "first": "first response after start",
        "later": "later, plan refreshed in the background",
        "computed": "later, waiting for a new plan",
    }
    rows = [
        (
            f"start to first answer (median of {len(starts)})",
            f"{statistics.median(starts):.2f} s",
            "-",
        )
    ]
    for tab in TABS:
        for k in kinds:
            rows.append(
                (
                    f"{tab}: {label[k]}",
                    f"{statistics.median(times[k, tab]) * 1000:.0f} ms",
                    "<= 300 ms",
                )
            )
    print_rows(rows, "10,000 config entries, 2,000 migrations")
    remove_workdir(work)
    finish(rows)


if __name__ == "__main__":
    main()
