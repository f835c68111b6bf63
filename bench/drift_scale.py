"""Schema drift at scale (issue 15): 500 tables and 2,000 indexes, snapshotted.

Applies 500 migrations (a table of 6 columns with 4 indexes, a foreign key and a check each),
then measures a no-op `reconcile plan` (whole process, median of 5) and its database round
trips through a counting proxy, the drift comparison alone (the server-side query, median of
5; and the same read when the catalogs' stamp says nothing changed, as a plan reads it), and
the same plan once an index was dropped and a column added out of band.

    python bench/drift_scale.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    RoundTripProxy,
    finish,
    median_of,
    print_rows,
    reconcile_cmd,
    remove_workdir,
    run,
    workspace,
)

N_TABLES, INDEXES_PER_TABLE = 500, 4


def generate(root: Path) -> None:
    mig = root / "manifests/migrations"
    mig.mkdir(parents=True)
    for n in range(1, N_TABLES + 1):
        ref = f" REFERENCES t{n - 1} (id)" if n > 1 else ""
        sql = (
            f"CREATE TABLE t{n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            f"parent bigint{ref}, name text NOT NULL, score integer NOT NULL DEFAULT 0 "
            f"CHECK (score >= 0), created_at timestamptz NOT NULL DEFAULT now(), note text);\n"
            + "".join(
                f"CREATE INDEX t{n}_i{i} ON t{n} ({col});\n"
                for i, col in enumerate(
                    ("parent", "name", "score", "created_at")[:INDEXES_PER_TABLE]
                )
            )
        )
        (mig / f"{n:04d}_table_{n}_safe.sql").write_text(
            f"-- Description: table {n}\n{sql}-- Rollback instructions:\n-- 1. DROP TABLE t{n};\n"
        )
    envs = root / "environments"
    envs.mkdir()
    (envs / "bench.yaml").write_text(
        "name: bench\ndatabase: {url_from_env: DATABASE_URL_BENCH}\n"
        "migrations: {dir: ../manifests/migrations}\n"
        "policy: {statement_timeout: 30min}\n"
    )


def main() -> None:
    from reconciler.db.schema import DRIFT_SQL, STAMPED_DRIFT_SQL

    work, admin, url, proj, env = workspace("drift_scale")
    generate(proj)
    t_apply, r = run(reconcile_cmd("--env", "bench", "-q"), proj, env)
    if r.returncode != 0:
        sys.exit(f"initial apply failed:\n{r.stderr[-3000:]}")
    with psycopg.connect(url, autocommit=True) as c:
        objects = c.execute(
            "SELECT count(*) FROM reconciler.schema_snapshot, jsonb_object_keys(objects)"
        ).fetchone()[0]  # type: ignore[index]
        indexes = c.execute(
            "SELECT count(*) FROM reconciler.schema_snapshot, jsonb_object_keys(objects) k "
            "WHERE k LIKE 'index:%'"
        ).fetchone()[0]  # type: ignore[index]
        query_times, stamped_times = [], []
        for _ in range(5):
            t0 = time.perf_counter()
            c.execute("SELECT " + DRIFT_SQL, ("bench",)).fetchone()
            query_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            got = c.execute("SELECT " + STAMPED_DRIFT_SQL, ("bench",)).fetchone()
            stamped_times.append(time.perf_counter() - t0)
            assert got is not None and got[0][1] == [], got  # no drift, by the stamp
    t_noop = median_of(5, reconcile_cmd("plan", "--env", "bench", "-q"), proj, env)
    proxy = RoundTripProxy(admin)
    penv = {**env, "DATABASE_URL_BENCH": proxy.url("postgres", "drift_scale")}
    proxy.reset()
    _, r = run(reconcile_cmd("plan", "--env", "bench", "-q"), proj, penv)
    time.sleep(0.2)
    trips = proxy.round_trips
    assert r.returncode == 0, r.stderr
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("DROP INDEX t250_i1; ALTER TABLE t17 ADD COLUMN nickname text")
    t_drift = median_of(5, reconcile_cmd("plan", "--env", "bench", "-q"), proj, env, ok=(0, 2, 3))
    _, r = run(reconcile_cmd("plan", "--env", "bench", "-f", "json", "-q"), proj, env)
    found = [f["subject"] for f in json.loads(r.stdout)["findings"] if f["kind"] == "SchemaDrift"]
    assert sorted(found) == ["column:public.t17.nickname", "index:public.t250_i1"], found

    rows = [
        (
            f"initial apply: {N_TABLES} tables, {indexes:,} indexes ({objects:,} objects)",
            f"{t_apply:.2f} s",
            "-",
        ),
        ("no-op `reconcile plan`, whole process, median of 5", f"{t_noop:.2f} s", "<= 1.0 s"),
        ("database round trips of that no-op plan", str(trips), "<= 3"),
        (
            "the drift comparison alone (server side), median of 5",
            f"{statistics.median(query_times) * 1000:.0f} ms",
            "-",
        ),
        (
            "the same read when the catalogs' stamp is unchanged (what a plan runs)",
            f"{statistics.median(stamped_times) * 1000:.0f} ms",
            "-",
        ),
        ("`reconcile plan` finding 2 drifted objects, median of 5", f"{t_drift:.2f} s", "<= 1.0 s"),
    ]
    print_rows(rows)
    remove_workdir(work)
    finish(rows)


if __name__ == "__main__":
    main()
