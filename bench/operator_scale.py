"""Operator benchmark (issue 6): 50 DatabaseSync resources on kmock, each on its own database.

Measures the time from operator start until all 50 report Ready (each applies the sample dev
environment: 7 migrations, 16 config entries, 13 forum nodes), then a full no-op pass (the
`requested-at` annotation set on all 50 at once, until every one has run again), and the
operator process's resident memory; then, one resource at a time, the time from a changed
package ConfigMap (`reconcile package | kubectl apply`: a config value changed) until the new
value is in that resource's database (BENCH_CM_CHANGES of them, default 5). BENCH_N sets the
number of resources, BENCH_PASSES the number of no-op passes (the resident memory is printed
after each: a leak grows pass after pass).

    python bench/operator_scale.py            # prints a table; writes bench/out/operator_scale.json
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from common import embedded_admin_url, finish, fresh_database  # noqa: E402

from tests.operator.conftest import (  # noqa: E402
    API,
    KubeThread,
    free_port,
    operator_command,
    package,
)

N = int(os.environ.get("BENCH_N", "50"))
PASSES = int(os.environ.get("BENCH_PASSES", "1"))  # no-op passes; RSS is printed after each
CM_CHANGES = int(os.environ.get("BENCH_CM_CHANGES", "5"))
PROCS: list[subprocess.Popen[bytes]] = []  # killed on the way out, whatever happened


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def one_pass(kube: KubeThread) -> tuple[float, float]:
    """Set requested-at on every DatabaseSync; the time until each has run again and is Ready,
    and the time the benchmark's own PATCH requests took."""
    before = {o["metadata"]["name"]: o["status"]["lastRunAt"] for o in kube.get(API)["items"]}
    t1 = time.perf_counter()
    for i in range(N):
        kube.patch(
            f"{API}/s{i:02d}",
            {
                "metadata": {
                    "annotations": {
                        "reconcile.reconciler.neonsync.dev/requested-at": str(time.time())
                    }
                }
            },
        )
    t_patched = time.perf_counter() - t1
    while True:
        statuses = {o["metadata"]["name"]: o.get("status") or {} for o in kube.get(API)["items"]}
        if all(statuses[k].get("lastRunAt") != before[k] for k in before) and all(
            s.get("phase") == "Ready" for s in statuses.values()
        ):
            break
        if time.perf_counter() - t1 > 300:
            sys.exit("the no-op pass did not finish in 300 s")
        time.sleep(0.25)
    return time.perf_counter() - t1, t_patched


def configmap_change(kube: KubeThread, project: Path, url: str, i: int, value: int) -> float:
    """Change posts_per_page to ``value`` in the project, PATCH resource i's ConfigMap with the
    new package, and time until the value is in its database."""
    import psycopg

    forum = project / "manifests/config/forum.yaml"
    original = (REPO / "manifests/config/forum.yaml").read_text()
    assert "value: 20\n" in original  # posts_per_page
    forum.write_text(original.replace("value: 20\n", f"value: {value}\n", 1))
    cm = package(project, "dev", f"pkg-s{i:02d}")
    with psycopg.connect(url, autocommit=True) as conn:
        t0 = time.perf_counter()
        kube.patch(f"/api/v1/namespaces/default/configmaps/pkg-s{i:02d}", {"data": cm["data"]})
        while True:
            row = conn.execute(
                "SELECT value FROM app_config WHERE key = 'posts_per_page'"
            ).fetchone()
            if row is not None and row[0] == value:
                return time.perf_counter() - t0
            if time.perf_counter() - t0 > 60:
                sys.exit(f"s{i:02d}: the changed ConfigMap was not applied within 60 s")
            time.sleep(0.01)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="operator_scale_"))
    admin = embedded_admin_url(work)
    project = work / "project"
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, project / d)
    kube = KubeThread().start()
    cm = package(project, "dev", "pkg-shared")
    urls = [fresh_database(admin, f"opscale_{i:02d}") for i in range(N)]
    for i in range(N):
        kube.post(
            "/api/v1/namespaces/default/configmaps",
            {**cm, "metadata": {**cm["metadata"], "name": f"pkg-s{i:02d}"}},
        )
        kube.secret(f"db-s{i:02d}", urls[i])
        kube.dbsync(f"s{i:02d}", "dev", interval="1h")
    env = {
        **os.environ,
        "RECONCILER_KUBE_URL": kube.url,
        "RECONCILER_HOME": str(work / "home"),
        "MALLOC_ARENA_MAX": "2",
    }  # as the image and the chart set it
    log = (work / "operator.log").open("w")
    t0 = time.perf_counter()
    p = subprocess.Popen(
        operator_command(),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    PROCS.append(p)

    def ready_count() -> int:
        items = kube.get(API)["items"]
        return sum(1 for o in items if (o.get("status") or {}).get("phase") == "Ready")

    while ready_count() < N:
        if time.perf_counter() - t0 > 300:
            sys.exit(f"only {ready_count()} of {N} Ready after 300 s; see {work / 'operator.log'}")
        time.sleep(0.25)
    t_ready = time.perf_counter() - t0
    rss_ready = rss_mb(p.pid)

    rss_passes = []
    for _ in range(PASSES):
        t_pass, t_patched = one_pass(kube)
        rss_passes.append(rss_mb(p.pid))
    rss = rss_passes[-1]
    # resources one after another, each with the next value: 21, 22, ...
    cm_times = [
        configmap_change(kube, project, urls[k % N], k % N, 21 + k) for k in range(CM_CHANGES)
    ]
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)

    # a pass the API emulator cannot slow down: a fresh operator resumes all 50 at once
    # (each a no-op); the time until its metrics count 50 in-sync runs
    metrics_port = free_port()
    t2 = time.perf_counter()
    p = subprocess.Popen(
        operator_command(metrics_port=metrics_port),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    PROCS.append(p)
    import httpx

    while True:
        try:
            text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        except httpx.HTTPError:
            text = ""
        done = next(
            (
                int(float(line.rsplit(" ", 1)[1]))  # prometheus_client prints counters as floats
                for line in text.splitlines()
                if line.startswith('reconciler_reconciles_total{result="in-sync"}')
            ),
            0,
        )
        if done >= N:
            break
        if time.perf_counter() - t2 > 300:
            sys.exit("the resume pass did not finish in 300 s")
        time.sleep(0.05)
    t_resume = time.perf_counter() - t2
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    log.close()
    kube.stop()

    rows = [
        (
            f"operator start -> all {N} Ready (each applies 7 migrations + 29 rows)",
            f"{t_ready:.1f} s",
            "<= 20 s",
        ),
        (f"no-op pass over {N} triggered by requested-at on each", f"{t_pass:.1f} s", "-"),
        (f"  of which the benchmark's own {N} PATCH requests to kmock", f"{t_patched:.1f} s", "-"),
        (
            f"operator restart -> {N} no-op checks done (resume pass)",
            f"{t_resume:.1f} s",
            "<= 10 s",
        ),
        (
            f"changed package ConfigMap -> new value in the database (median of {CM_CHANGES})",
            f"{statistics.median(cm_times):.2f} s",
            "<= 5 s",
        ),
        ("  each", " ".join(f"{t:.2f}" for t in cm_times) + " s", "-"),
        ("operator resident memory when all are Ready", f"{rss_ready:.0f} MB", "-"),
        ("operator resident memory after the pass", f"{rss:.0f} MB", "<= 200 MB"),
    ]
    if PASSES > 1:  # a leak shows as growth pass after pass; per-object state as a plateau
        rows.insert(
            -1,
            (
                f"operator resident memory after each of {PASSES} passes",
                " ".join(f"{r:.0f}" for r in rss_passes) + " MB",
                "-",
            ),
        )
    w = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(w)}  {'result':>8}  target")
    for a, b, c in rows:
        print(f"{a.ljust(w)}  {b:>8}  {c}")
    out = REPO / "bench/out"
    out.mkdir(exist_ok=True)
    (out / "operator_scale.json").write_text(
        json.dumps(
            {
                "resources": N,
                "all_ready_s": t_ready,
                "noop_pass_s": t_pass,
                "rss_mb": rss,
                "rss_ready_mb": rss_ready,
                "rss_passes_mb": rss_passes,
                "configmap_change_s": cm_times,
            },
            indent=2,
        )
    )
    finish(rows)
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(work)


if __name__ == "__main__":
    try:
        main()
    finally:
        for proc in PROCS:
            if proc.poll() is None:
                proc.kill()
