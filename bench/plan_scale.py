"""Scale benchmark for the core reconciler (issue 2).

Generates 2,000 migrations, 10,000 config entries and 500 forum nodes; applies them; then
measures a no-op `reconcile plan` (whole process, median of 5) and counts its database round
trips through a counting proxy; then changes all 10,000 config values and times the apply.

    python bench/plan_scale.py            # prints a table; writes bench/out/plan_scale.json
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

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

REPO = Path(__file__).resolve().parent.parent
N_MIGRATIONS, N_CONFIG, N_CATEGORIES = 2000, 10_000, 10


def generate(root: Path, generation: int) -> None:
    mig = root / "manifests/migrations"
    if not mig.exists():
        mig.mkdir(parents=True)
        shutil.copy(REPO / "manifests/migrations/0001_create_app_config_safe.sql", mig)
        shutil.copy(REPO / "manifests/migrations/0002_create_forum_structure_safe.sql", mig)
        (mig / "0003_create_bench_log_safe.sql").write_text(
            "CREATE TABLE bench_log (n integer PRIMARY KEY, note text);\n"
        )
        for n in range(4, N_MIGRATIONS + 1):
            if n % 10 == 0:
                sql = f"CREATE TABLE bench_t{n} (id bigint PRIMARY KEY, body text);\n"
            elif n % 10 == 5:
                sql = f"CREATE INDEX bench_log_note_{n} ON bench_log (note) WHERE n = {n};\n"
            else:
                sql = f"INSERT INTO bench_log (n, note) VALUES ({n}, 'migration {n}') ON CONFLICT DO NOTHING;\n"
            (mig / f"{n:04d}_bench_step_{n}_safe.sql").write_text(
                f"-- Description: generated step {n}\n-- Type: SAFE\n{sql}"
                "-- Rollback instructions:\n-- 1. nothing to undo\n"
            )
    cfg = root / "manifests/config"
    cfg.mkdir(parents=True, exist_ok=True)
    per = N_CONFIG // N_CATEGORIES
    for c in range(N_CATEGORIES):
        lines = [f"category: cat{c}", "entries:"]
        for k in range(per):
            lines += [
                f"  key_{k}:",
                f"    value: {generation * 100000 + c * per + k}",
                f"    description: generated entry {k}",
                "    type: integer",
            ]
        (cfg / f"cat{c}.yaml").write_text("\n".join(lines) + "\n")
    zones = []
    for z in range(10):
        forums = []
        for f in range(7):
            subs = [f"          - {{slug: s{z}-{f}-{s}, name: Sub {s}}}" for s in range(6)]
            forums.append(
                f"      - slug: f{z}-{f}\n        name: Forum {f}\n        subforums:\n"
                + "\n".join(subs)
            )
        zones.append(f"  - slug: z{z}\n    name: Zone {z}\n    forums:\n" + "\n".join(forums))
    (root / "manifests/forum-map.yaml").write_text("zones:\n" + "\n".join(zones) + "\n")
    envs = root / "environments"
    envs.mkdir(exist_ok=True)
    (envs / "bench.yaml").write_text(
        "name: bench\ndatabase: {url_from_env: DATABASE_URL_BENCH}\n"
        "migrations: {dir: ../manifests/migrations}\n"
        "config: {files: [../manifests/config/*.yaml]}\n"
        "forum_map: ../manifests/forum-map.yaml\n"
        "policy: {statement_timeout: 30min}\n"
    )


def main() -> None:
    work, admin, _url, proj, env = workspace("plan_scale")
    generate(proj, 1)

    t_apply, r = run(reconcile_cmd("--env", "bench", "-q"), proj, env)
    if r.returncode != 0:
        sys.exit(f"initial apply failed:\n{r.stderr[-3000:]}")
    t_noop = median_of(5, reconcile_cmd("plan", "--env", "bench", "-q"), proj, env)
    cold_env = {**env, "RECONCILER_NO_CACHE": "1"}
    t_cold = median_of(5, reconcile_cmd("plan", "--env", "bench", "-q"), proj, cold_env)

    proxy = RoundTripProxy(admin)
    penv = {**env, "DATABASE_URL_BENCH": proxy.url("postgres", "plan_scale")}
    proxy.reset()
    _, r = run(reconcile_cmd("plan", "--env", "bench", "-q"), proj, penv)
    time.sleep(0.2)
    trips = proxy.round_trips
    assert r.returncode == 0, r.stderr

    generate(proj, 2)  # every config value changes
    _, r = run(reconcile_cmd("plan", "--env", "bench", "-f", "json", "-q"), proj, env)
    pending = json.loads(r.stdout)["counts"]
    t_change, r = run(reconcile_cmd("--env", "bench", "-q"), proj, env)
    if r.returncode != 0:
        sys.exit(f"config apply failed:\n{r.stderr[-3000:]}")

    rows = [
        (
            "initial apply: 2,000 migrations + 10,000 config + 500 forum nodes",
            f"{t_apply:.2f} s",
            "-",
        ),
        ("no-op `reconcile plan`, whole process, median of 5", f"{t_noop:.2f} s", "<= 1.0 s"),
        ("same, desired-state cache disabled (RECONCILER_NO_CACHE=1)", f"{t_cold:.2f} s", "-"),
        ("database round trips of that no-op plan", str(trips), "<= 5"),
        (
            f"apply of {pending.get('upsert_config', 0):,} config changes, whole process",
            f"{t_change:.2f} s",
            "<= 2 s",
        ),
    ]
    print_rows(rows)
    out = REPO / "bench/out"
    out.mkdir(exist_ok=True)
    (out / "plan_scale.json").write_text(
        json.dumps(
            {
                "initial_apply_s": t_apply,
                "noop_plan_s": t_noop,
                "noop_plan_uncached_s": t_cold,
                "noop_plan_round_trips": trips,
                "config_change_apply_s": t_change,
                "config_changes": pending.get("upsert_config", 0),
            },
            indent=2,
        )
    )
    remove_workdir(work)
    finish(rows)


if __name__ == "__main__":
    main()
