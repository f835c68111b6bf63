"""Watch-loop benchmark (issue 5).

1. Latency: 20 edits of a config file under `reconcile watch --env dev` (default 300 ms
   debounce); for each, the time from the file write to the new value being visible in
   the database. Reports p50 and p95.
2. Memory: the watch worker's resident memory after 200 edits, with 2,000 migrations in
   the manifests.

    python bench/watch_latency.py            # prints a table; writes bench/out/watch_latency.json
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import embedded_admin_url, finish, fresh_database, remove_workdir

REPO = Path(__file__).resolve().parent.parent


def value(url: str) -> object:
    with psycopg.connect(url, autocommit=True) as c:
        if not c.execute("SELECT to_regclass('app_config')").fetchone()[0]:  # type: ignore[index]
            return None
        row = c.execute(
            "SELECT value FROM app_config WHERE category = 'forum' AND key = 'posts_per_page'"
        ).fetchone()
        return row[0] if row else None


def wait_value(url: str, want: int, timeout: float = 60) -> float:
    deadline = time.perf_counter() + timeout
    with psycopg.connect(url, autocommit=True) as c:
        while time.perf_counter() < deadline:
            if not c.execute("SELECT to_regclass('app_config') IS NOT NULL").fetchone()[0]:  # type: ignore[index]
                time.sleep(0.05)
                continue
            row = c.execute(
                "SELECT value FROM app_config WHERE category = 'forum' AND key = 'posts_per_page'"
            ).fetchone()
            if row and row[0] == want:
                return time.perf_counter()
            time.sleep(0.002)
    raise SystemExit(f"value {want} never arrived")


def edit(cfg: Path, new: int) -> None:
    text = cfg.read_text()
    start = text.index("posts_per_page:\n    value: ") + len("posts_per_page:\n    value: ")
    end = text.index("\n", start)
    cfg.write_text(text[:start] + str(new) + text[end:])


def worker_rss_mb(supervisor: int) -> float:
    kids = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    for kid in kids:
        for line in Path(f"/proc/{kid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_agent(project: Path, url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL_DEV": url, "RECONCILER_HOME": str(project / ".reconciler")}
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "watch", "--env", "dev"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(project / "agent.log", "w"),
    )


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="watch_latency_"))
    admin = embedded_admin_url(work)

    # 1. latency on the sample project
    proj = work / "sample"
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, proj / d)
    url = fresh_database(admin, "watch_latency")
    agent = run_agent(proj, url)
    wait_value(url, 20)
    time.sleep(1.0)
    cfg = proj / "manifests/config/forum.yaml"
    latencies = []
    for n in range(20):
        t0 = time.perf_counter()
        edit(cfg, 21 + n)
        latencies.append(wait_value(url, 21 + n) - t0)
        time.sleep(0.5)
    agent.send_signal(signal.SIGTERM)
    agent.wait(timeout=20)

    # 2. memory after 200 edits with 2,000 migrations
    big = work / "big"
    shutil.copytree(REPO / "manifests", big / "manifests")
    shutil.copytree(REPO / "environments", big / "environments")
    mig = big / "manifests/migrations"
    for n in range(8, 2001):
        (mig / f"{n:04d}_generated_{n}_safe.sql").write_text(
            f"-- Description: generated {n}\nCOMMENT ON TABLE app_config IS 'revision {n}';\n"
            "-- Rollback instructions:\n-- 1. nothing\n"
        )
    url2 = fresh_database(admin, "watch_memory")
    agent = run_agent(big, url2)
    wait_value(url2, 20, timeout=300)
    cfg2 = big / "manifests/config/forum.yaml"
    t_start = time.perf_counter()
    rss_steps = []  # after every 50 edits: growth from step to step would be a leak
    for n in range(200):
        v = 5 + (n % 90)  # posts_per_page must stay within 5..100; consecutive values differ
        edit(cfg2, v)
        wait_value(url2, v)
        if n % 50 == 49:
            rss_steps.append(worker_rss_mb(agent.pid))
    t_edits = time.perf_counter() - t_start
    rss = worker_rss_mb(agent.pid)
    agent.send_signal(signal.SIGTERM)
    agent.wait(timeout=20)

    p50 = statistics.median(latencies)
    p95 = sorted(latencies)[int(0.95 * len(latencies)) - 1]
    rows = [
        ("edit -> row visible, p50 (20 edits, 300 ms debounce)", f"{p50:.3f} s", "<= 0.6 s"),
        ("edit -> row visible, p95", f"{p95:.3f} s", "<= 1.0 s"),
        ("worker RSS after 200 edits, 2,000 migrations", f"{rss:.0f} MB", "<= 150 MB"),
        (
            "worker RSS after 50, 100, 150, 200 edits",
            " ".join(f"{r:.0f}" for r in rss_steps) + " MB",
            "-",
        ),
        ("mean time per edit in that run", f"{t_edits / 200:.2f} s", "-"),
    ]
    w = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(w)}  {'result':>9}  target")
    for a, b, c in rows:
        print(f"{a.ljust(w)}  {b:>9}  {c}")
    out = REPO / "bench/out"
    out.mkdir(exist_ok=True)
    (out / "watch_latency.json").write_text(
        json.dumps(
            {
                "latencies_s": latencies,
                "p50_s": p50,
                "p95_s": p95,
                "rss_mb_after_200_edits": rss,
                "rss_mb_every_50_edits": rss_steps,
                "seconds_per_edit_2000_migrations": t_edits / 200,
            },
            indent=2,
        )
    )
    remove_workdir(work)
    finish(rows)


if __name__ == "__main__":
    main()
