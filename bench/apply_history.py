"""Apply benchmark (issue 16): a long migration history applied to an empty database.

1,000 migrations of two DDL statements each, applied by `reconcile apply` and, when it is
installed, by dbmate (npm) on the same server. Whole processes; the tools alternate, each on a
fresh database per run, and the table gives medians of BENCH_RUNS runs (default 3).

    python bench/apply_history.py   # DBMATE=/path/to/dbmate to choose the binary
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import embedded_admin_url, finish, fresh_database, reconcile_cmd, remove_workdir, run

N = int(os.environ.get("BENCH_N", "1000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def body(i: int) -> str:
    return f"CREATE TABLE t{i} (id bigint PRIMARY KEY, v text);\nCREATE INDEX i{i} ON t{i} (v);\n"


def generate(root: Path) -> None:
    ours, theirs = root / "ours/migrations", root / "dbmate/migrations"
    ours.mkdir(parents=True)
    theirs.mkdir(parents=True)
    for i in range(1, N + 1):
        (ours / f"{i:04d}_table_{i}.sql").write_text(body(i))
        (theirs / f"{20260101000000 + i}_table_{i}.sql").write_text(
            f"-- migrate:up\n{body(i)}\n-- migrate:down\nDROP TABLE t{i};\n"
        )
    (root / "ours/environments").mkdir()
    (root / "ours/environments/bench.yaml").write_text(
        "name: bench\ndatabase: {url_from_env: DATABASE_URL_BENCH}\nmigrations: {dir: ../migrations}\n"
    )


def dbmate_url(url: str) -> str:
    """dbmate spells a unix socket as ?socket=; libpq as ?host=."""
    p = urlsplit(url)
    host = parse_qs(p.query).get("host", [""])[0]
    if not host.startswith("/"):
        return url.replace("postgresql://", "postgres://", 1) + (
            "&sslmode=disable" if "?" in url else "?sslmode=disable"
        )
    user = p.username or "postgres"
    port = f":{p.port}" if p.port else ""
    return f"postgres://{user}@{port}{p.path}?socket={host}&sslmode=disable"


def main() -> None:
    dbmate = os.environ.get("DBMATE") or shutil.which("dbmate")
    work = Path(tempfile.mkdtemp(prefix="apply_history_"))
    try:
        generate(work)
        admin = embedded_admin_url(work)
        times: dict[str, list[float]] = {"reconcile apply": []}
        if dbmate:
            times["dbmate migrate"] = []
        for n in range(RUNS):
            url = fresh_database(admin, f"bench_ours_{n}")
            env = {
                **os.environ,
                "DATABASE_URL_BENCH": url,
                "RECONCILER_HOME": str(work / "home"),
            }
            t, r = run(reconcile_cmd("apply", "--env", "bench", "--quiet"), work / "ours", env)
            if r.returncode != 0:
                sys.exit(f"reconcile apply exited {r.returncode}:\n{r.stderr[-2000:]}")
            times["reconcile apply"].append(t)
            if dbmate:
                url = fresh_database(admin, f"bench_dbmate_{n}")
                cmd = [dbmate, "--url", dbmate_url(url), "-d", "migrations"]
                t, r = run([*cmd, "--no-dump-schema", "migrate"], work / "dbmate", dict(os.environ))
                if r.returncode != 0:
                    sys.exit(f"dbmate exited {r.returncode}:\n{r.stderr[-2000:]}")
                times["dbmate migrate"].append(t)
        print(f"{N} migrations x 2 DDL statements, median of {RUNS} alternating runs\n")
        print(f"{'tool':20} {'median':>8}  runs")
        rows = []
        for tool, ts in times.items():
            med = statistics.median(ts)
            print(f"{tool:20} {med:7.2f}s  {', '.join(f'{x:.2f}' for x in ts)}")
            rows.append((tool, f"{med:.2f} s", "-"))
        if not dbmate:
            print("\n(dbmate not found: npm install dbmate, then DBMATE=node_modules/.bin/dbmate)")
        finish(rows)
    finally:
        remove_workdir(work)


if __name__ == "__main__":
    main()
