"""Lint benchmark (issue 3): 2,000 generated migration files of mixed content.

Times `reconcile validate` cold (no caches) and warm (lint and desired-state caches filled)
against `squawk` on the same files; whole processes, 5 alternating rounds, medians, reported
as ratios.

    python bench/lint_scale.py      # prints a table; writes bench/out/lint_scale.json
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import finish, median_of, reconcile_cmd, remove_workdir, run

REPO = Path(__file__).resolve().parent.parent
N = 2000
BODIES = [
    "CREATE TABLE t{n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());",
    "ALTER TABLE users ADD COLUMN c{n} text;",
    "CREATE INDEX CONCURRENTLY idx_{n} ON posts (author_id, created_at);",
    "ALTER TABLE posts ADD CONSTRAINT fk_{n} FOREIGN KEY (thread_id) REFERENCES threads (id) NOT VALID;\nALTER TABLE posts VALIDATE CONSTRAINT fk_{n};",
    "INSERT INTO xp_reasons (code, description) VALUES ('r{n}', 'reason {n}') ON CONFLICT DO NOTHING;",
    "COMMENT ON TABLE users IS 'revision {n}';",
    "ALTER TABLE users ADD COLUMN n{n} integer NOT NULL;",
    "CREATE INDEX idx_plain_{n} ON posts (body);",
    "UPDATE users SET email = lower(email);",
    "ALTER TABLE posts ALTER COLUMN body TYPE varchar(2000);",
    "DELETE FROM posts WHERE created_at < now() - interval '1 year';",
    "DO $$ BEGIN\n  PERFORM 1;\nEND $$;",
]


def generate(root: Path) -> Path:
    rnd = random.Random(42)
    mig = root / "manifests/migrations"
    mig.mkdir(parents=True)
    for n in range(1, N + 1):
        body = "\n".join(rnd.choice(BODIES).format(n=n) for _ in range(rnd.randint(1, 4)))
        (mig / f"{n:04d}_generated_step_{n}_safe.sql").write_text(
            f"-- Description: generated step {n}\n-- Created: 2026-11-26T00:00:00Z\n-- Type: SAFE\n"
            f"-- Rollback: Manual rollback instructions below\n\n-- Migration starts here\n{body}\n\n"
            "-- Rollback instructions:\n-- 1. revert by hand\n"
        )
    (root / "environments").mkdir()
    (root / "environments/bench.yaml").write_text(
        "name: bench\ndatabase: {url_from_env: DATABASE_URL_BENCH}\n"
        "migrations: {dir: ../manifests/migrations}\n"
        "policy: {strict: true, require_safe_suffix: true, require_rollback_section: true}\n"
    )
    return mig


def main() -> None:
    squawk = shutil.which("squawk")
    if not squawk:
        sys.exit("squawk is not installed: pip install squawk-cli")
    work = Path(tempfile.mkdtemp(prefix="lint_scale_"))
    mig = generate(work)
    # files a user validates were written more than 2 s before; younger ones are always read
    # (a change within the same timestamp tick would not show in their stat)
    import time

    time.sleep(2.1)
    env = {**os.environ, "RECONCILER_HOME": str(work / ".reconciler")}
    cold_env = {**env, "RECONCILER_NO_CACHE": "1"}
    validate = reconcile_cmd("validate", "--env", "bench", "-f", "json")
    _, r = run(validate, work, env)  # fills the caches, and gives the counts
    doc = json.loads(r.stdout)
    files = sorted(str(p) for p in mig.glob("*.sql"))
    runs: dict[str, list[float]] = {"cold": [], "warm": [], "squawk": []}
    for _ in range(5):  # alternating, so a busier moment of the machine touches all three
        runs["cold"].append(median_of(1, validate, work, cold_env, ok=(0, 3)))
        runs["warm"].append(median_of(1, validate, work, env, ok=(0, 3)))
        runs["squawk"].append(median_of(1, [squawk, *files], work, env, ok=(0, 1, 2)))
    t_cold, t_warm, t_squawk = (statistics.median(runs[k]) for k in ("cold", "warm", "squawk"))
    rows = [
        ("squawk, 2,000 files", f"{t_squawk:.2f} s", "1.00x", "-"),
        (
            "reconcile validate, cold (no caches)",
            f"{t_cold:.2f} s",
            f"{t_cold / t_squawk:.2f}x",
            "<= 1.0x",
        ),
        (
            "reconcile validate, warm (caches filled)",
            f"{t_warm:.2f} s",
            f"{t_warm / t_squawk:.2f}x",
            "<= 0.3x",
        ),
    ]
    print(
        f"{N} files, {doc['errors']} errors and {doc['warnings']} warnings found by reconcile validate\n"
    )
    print(f"{'run':42} {'median':>8} {'ratio':>7}  target")
    for a, b, c, d in rows:
        print(f"{a:42} {b:>8} {c:>7}  {d}")
    out = REPO / "bench/out"
    out.mkdir(exist_ok=True)
    (out / "lint_scale.json").write_text(
        json.dumps(
            {
                "files": N,
                "squawk_s": t_squawk,
                "cold_s": t_cold,
                "warm_s": t_warm,
                "cold_ratio": t_cold / t_squawk,
                "warm_ratio": t_warm / t_squawk,
                "errors": doc["errors"],
                "warnings": doc["warnings"],
            },
            indent=2,
        )
    )
    one_ms, unparsed = _watch_loop_lint(sorted(mig.glob("*.sql"))[:200])
    print(
        f"{'lint of one file in a warm process (watch loop)':42} {one_ms:6.2f}ms          <= 20 ms"
    )
    print(f"{'unparsed statements, tests/sql/corpus':42} {unparsed:>8}          <= 1%")
    rows.append(("lint of one file, warm process", f"{one_ms:.2f} ms", "<= 20 ms"))
    remove_workdir(work)
    finish(rows)


def _watch_loop_lint(paths: list[Path]) -> tuple[float, str]:
    """Median time to parse and lint one file in a process that has linted before (the dev
    agent's case), and the unparsed share of the real-world-shaped corpus under tests/."""
    import statistics
    import time

    from reconciler.sql.classify import classify
    from reconciler.sql.lint import LintConfig, lint_migration
    from reconciler.sql.migration import parse_migration

    cfg = LintConfig(strict=True, require_safe_suffix=True, require_rollback_section=True)
    texts = [(str(p), p.read_text()) for p in paths]
    for path, text in texts[:5]:  # imports and first-use costs, as after the agent's first run
        lint_migration(parse_migration(path, text), Path(path).name, True, cfg)
    times = []
    for path, text in texts:
        t0 = time.perf_counter()
        lint_migration(parse_migration(path, text), Path(path).name, True, cfg)
        times.append((time.perf_counter() - t0) * 1000)
    total = bad = 0
    for p in sorted((REPO / "tests/sql/corpus").glob("*.sql")):
        for stmt in parse_migration(str(p), p.read_text()).statements:
            total += 1
            bad += not classify(stmt).parsed
    return statistics.median(times), f"{bad}/{total}"


if __name__ == "__main__":
    main()
