"""Fault injection: kill -9 at random points of apply, then an apply that must converge.

Each run starts from an empty database and applies the sample dev environment plus a
heavier tail: a transactional migration filling a table (with pauses between statements), a
no-transaction migration building three indexes CONCURRENTLY, and 3,000 config entries synced
in one transaction. The reconciler is killed with SIGKILL at a random moment of that apply
(its server-side session is left to die as it would), then `reconcile apply` runs again and
must converge: exit 0, an empty plan, every history row complete, every index valid, every
row in place, and no audit run left open.

    python bench/faults.py [RUNS]        # default 24; prints the tally, exits 1 on any failure
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import embedded_admin_url, fresh_database, remove_workdir

REPO = Path(__file__).resolve().parent.parent
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 24
INDEXES = ("idx_fill_a", "idx_fill_b", "idx_fill_c")


def project(work: Path) -> Path:
    root = work / "project"
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, root / d)
    mig = root / "manifests/migrations"
    (mig / "0008_fill_safe.sql").write_text(
        "-- Description: a table with rows, filled in steps\n"
        "CREATE TABLE fill (id bigint PRIMARY KEY, a int, b int, c int);\n"
        "INSERT INTO fill SELECT g, g % 97, g % 89, g % 83 FROM generate_series(1, 150000) g;\n"
        "SELECT pg_sleep(0.2);\n"
        "INSERT INTO fill SELECT g, g % 97, g % 89, g % 83 FROM generate_series(150001, 300000) g;\n"
    )
    (mig / "0009_fill_indexes_safe.sql").write_text(
        "-- Description: three indexes built concurrently\n"
        + "".join(
            f"CREATE INDEX CONCURRENTLY {name} ON fill ({col});\nSELECT pg_sleep(0.1);\n"
            for name, col in zip(INDEXES, "abc", strict=True)
        )
    )
    (root / "manifests/config/bulk.yaml").write_text(
        "category: bulk\nentries:\n" + "".join(f"  k{i}: {{value: {i}}}\n" for i in range(3000))
    )
    dev = root / "environments/dev.yaml"
    dev.write_text(dev.read_text().replace("policy:\n", "policy:\n  advisory_lock_wait: 2min\n", 1))
    return root


def converged(url: str) -> list[str]:
    """What is wrong with the database after the final apply (empty: it converged)."""
    problems = []
    with psycopg.connect(url, autocommit=True) as c:
        rows = c.execute(
            "SELECT version, applied_at IS NOT NULL FROM reconciler.schema_migrations"
        ).fetchall()
        if len(rows) != 9 or not all(done for _, done in rows):
            problems.append(f"history: {sorted(rows)}")
        n = c.execute("SELECT count(*) FROM fill").fetchone()
        if not n or n[0] != 300000:
            problems.append(f"fill has {n} rows")
        for name in INDEXES:
            v = c.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class r ON r.oid = i.indexrelid "
                "WHERE r.relname = %s",
                (name,),
            ).fetchall()
            if v != [(True,)]:
                problems.append(f"index {name}: {v}")
        cfg = c.execute("SELECT count(*) FROM app_config WHERE category = 'bulk'").fetchone()
        if not cfg or cfg[0] != 3000:
            problems.append(f"bulk config rows: {cfg}")
        open_runs = c.execute(
            "SELECT count(*) FROM reconciler.audit_log s WHERE action = 'apply.started' AND NOT "
            "EXISTS (SELECT 1 FROM reconciler.audit_log o WHERE o.id > s.id AND "
            "o.details->>'started_id' = s.id::text)"
        ).fetchone()
        if open_runs and open_runs[0]:
            problems.append(f"{open_runs[0]} apply run(s) left open in the audit trail")
    return problems


def wait_until_done(url: str, version: str, proc: subprocess.Popen[bytes]) -> None:
    """Poll until the migration ``version`` is recorded complete (or the apply ended)."""
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with psycopg.connect(url, autocommit=True) as c:
                row = c.execute(
                    "SELECT applied_at IS NOT NULL FROM reconciler.schema_migrations "
                    "WHERE version = %s",
                    (version,),
                ).fetchone()
            if row and row[0]:
                return
        except psycopg.Error:
            pass  # the schema is not there yet
        time.sleep(0.01)


def phase(url: str) -> str:
    """Where the kill landed, judged from what the database holds."""
    with psycopg.connect(url, autocommit=True) as c:
        if c.execute("SELECT to_regclass('reconciler.schema_migrations')").fetchone() == (None,):
            return "before the first migration"
        rows = dict(
            c.execute(
                "SELECT version, applied_at IS NOT NULL FROM reconciler.schema_migrations"
            ).fetchall()
        )
    if not rows.get("0008"):
        return "transactional migrations"
    if not rows.get("0009"):
        return "no-transaction migration (CONCURRENTLY)"
    return "config and forum sync (or after)"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="faults_"))
    admin = embedded_admin_url(work)
    root = project(work)
    env = {**os.environ, "RECONCILER_HOME": str(work / "home"), "RECONCILER_ACTOR": "faults"}
    cmd = [sys.executable, "-m", "reconciler", "apply", "--env", "dev", "--quiet"]
    # how long an undisturbed apply takes: the kills land anywhere inside it
    url = fresh_database(admin, "faults_timing")
    t0 = time.perf_counter()
    subprocess.run(
        cmd, cwd=root, env={**env, "DATABASE_URL_DEV": url}, check=True, stdout=subprocess.DEVNULL
    )
    total = time.perf_counter() - t0
    rng = random.Random(int(os.environ.get("FAULTS_SEED", "20261127")))
    tally: dict[str, int] = {}
    repaired = 0  # runs that needed `reconcile repair` before the apply converged
    failures: list[str] = []
    for n in range(RUNS):
        url = fresh_database(admin, f"faults_{n:02d}")
        run_env = {**env, "DATABASE_URL_DEV": url}
        p = subprocess.Popen(
            cmd, cwd=root, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # aim each run at a phase in turn (the sync is short: a uniform kill rarely lands in
        # it), then wait a random part of that phase
        aim = ("0007", "0008", "0009", None)[n % 4]
        if aim is None:
            time.sleep(rng.uniform(0.05, total))
        else:
            wait_until_done(url, aim, p)
            time.sleep(rng.uniform(0.0, {"0007": 0.5, "0008": 0.7, "0009": 0.12}[aim]))
        killed = p.poll() is None
        if killed:
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
        where = phase(url) if killed else "finished before the kill"
        tally[where] = tally.get(where, 0) + 1
        r = subprocess.run(cmd, cwd=root, env=run_env, capture_output=True, text=True)
        if r.returncode != 0:  # one more run is allowed to find what the kill left to repair
            repaired += 1
            subprocess.run(
                [*cmd[:3], "repair", "--env", "dev"], cwd=root, env=run_env, capture_output=True
            )
            r = subprocess.run(cmd, cwd=root, env=run_env, capture_output=True, text=True)
        problems = (
            [f"apply exit {r.returncode}: {r.stderr.strip()[:300]}"] if r.returncode else []
        ) + converged(url)
        plan = subprocess.run(
            [*cmd[:3], "plan", "--env", "dev", "--quiet"],
            cwd=root,
            env=run_env,
            capture_output=True,
            text=True,
        )
        if plan.returncode != 0:
            problems.append(
                f"plan after convergence exited {plan.returncode}: {plan.stdout[-300:]}"
            )
        if problems:
            failures.append(f"run {n} (killed in {where}): {'; '.join(problems)}")
        print(
            f"run {n:2d}: kill in {where:45s} -> {'converged' if not problems else 'FAILED'}",
            flush=True,
        )
    print(f"\nundisturbed apply: {total:.2f} s; {RUNS} runs, kill -9 at a random moment of each")
    for where, count in sorted(tally.items()):
        print(f"  {count:3d} killed in {where}")
    print(f"converged: {RUNS - len(failures)}/{RUNS} ({repaired} needed `reconcile repair` first)")
    for f in failures:
        print("  " + f)
    remove_workdir(work)
    from common import environment

    print(f"measured {environment()}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
