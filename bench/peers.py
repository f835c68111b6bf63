"""Peers in one run (issue 16): the same work done by us and by the tools people compare us with.

Against one embedded PostgreSQL, tools alternating, each apply on a fresh database:

- apply a fresh history of N migrations (two DDL statements each), N in BENCH_SCALES
  (default 100 and 1000; add 10000 for the scaling curve): `reconcile apply`, `psql -1 -f all.sql`
  (the floor: one transaction, no bookkeeping), psql running what our guarantees cost (a
  transaction per file with its history row and the policy's timeouts: our design's floor),
  dbmate (npm), yoyo and alembic (PyPI);
- a no-op status with 1,000 applied: `reconcile plan`, `dbmate status`, `alembic current`;
- lint of 2,000 files (bench/lint_scale.py's corpus): `reconcile validate` (no caches) and squawk;
- 10,000 changed config entries: `reconcile apply` against one psql `INSERT ... ON CONFLICT DO
  UPDATE` from VALUES (the floor).

Prints min / median / max of BENCH_RUNS runs (default 5) and each ratio to the first row of its
group. BENCH_ONLY_APPLY=1 runs just the apply groups, BENCH_SKIP_PYTHON_PEERS=1 leaves out yoyo
and alembic (for the 10,000-migration point of the scaling curve). yoyo and alembic are installed into a private virtualenv (BENCH_PEERS_VENV, default
~/.cache/neon-reconciler/peers) from PyPI; dbmate is DBMATE or on PATH (npm install dbmate).

    python bench/peers.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from apply_history import dbmate_url
from common import (
    embedded_admin_url,
    environment,
    fresh_database,
    reconcile_cmd,
    remove_workdir,
    run,
)

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SCALES = [int(x) for x in os.environ.get("BENCH_SCALES", "100,1000").split(",")]
PSQL = shutil.which("psql") or str(
    Path(sys.prefix) / "lib/python3.11/site-packages/pgserver/pginstall/bin/psql"
)


def body(i: int) -> str:
    return f"CREATE TABLE t{i} (id bigint PRIMARY KEY, v text);\nCREATE INDEX i{i} ON t{i} (v);\n"


def peers_venv() -> Path | None:
    venv = Path(os.environ.get("BENCH_PEERS_VENV", Path.home() / ".cache/neon-reconciler/peers"))
    if not (venv / "bin/alembic").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        r = subprocess.run(
            [
                str(venv / "bin/pip"),
                "install",
                "-q",
                "alembic",
                "yoyo-migrations",
                "psycopg[binary]",
            ],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            print(f"(alembic and yoyo not installed: {r.stderr.strip()[-300:]})")
            return None
    return venv


def socket_of(url: str) -> tuple[str, str, str]:
    p = urlsplit(url)
    return p.username or "postgres", parse_qs(p.query).get("host", [""])[0], p.path.lstrip("/")


def write_history(root: Path, n: int) -> None:
    """The same n migrations in every tool's format."""
    ours = root / "ours/migrations"
    ours.mkdir(parents=True)
    (root / "ours/environments").mkdir()
    (root / "ours/environments/bench.yaml").write_text(
        "name: bench\ndatabase: {url_from_env: DATABASE_URL_BENCH}\nmigrations: {dir: ../migrations}\n"
    )
    dbm = root / "dbmate/migrations"
    dbm.mkdir(parents=True)
    yoyo = root / "yoyo"
    yoyo.mkdir()
    alembic = root / "alembic"
    (alembic / "versions").mkdir(parents=True)
    (alembic / "alembic.ini").write_text("[alembic]\nscript_location = .\n")
    (alembic / "env.py").write_text(
        "import os\nfrom alembic import context\nfrom sqlalchemy import create_engine\n"
        "engine = create_engine(os.environ['ALEMBIC_URL'])\n"
        "with engine.connect() as conn:\n"
        "    context.configure(connection=conn, target_metadata=None, transaction_per_migration=True)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
    )
    (alembic / "script.py.mako").write_text("")
    everything = []
    for i in range(1, n + 1):
        sql = body(i)
        everything.append(sql)
        (ours / f"{i:05d}_table_{i}.sql").write_text(sql)
        (dbm / f"{20260101000000 + i}_table_{i}.sql").write_text(
            f"-- migrate:up\n{sql}\n-- migrate:down\nDROP TABLE t{i};\n"
        )
        (yoyo / f"{i:05d}_table_{i}.sql").write_text(sql)
        down = f"'r{i - 1:05d}'" if i > 1 else "None"
        (alembic / "versions" / f"r{i:05d}.py").write_text(
            f"from alembic import op\nrevision = 'r{i:05d}'\ndown_revision = {down}\n"
            "branch_labels = None\ndepends_on = None\n\n"
            f"def upgrade():\n    op.execute('''{sql}''')\n\n"
            f"def downgrade():\n    op.execute('DROP TABLE t{i}')\n"
        )
    (root / "all.sql").write_text("".join(everything))
    # what one transaction per file with its history row costs, run by psql
    history = (
        "CREATE SCHEMA book; CREATE TABLE book.history (version text PRIMARY KEY, name text, "
        "checksum text, applied_at timestamptz, applied_by text, duration_ms int, plan_hash text, "
        "statements_done int);\n"
    )
    (root / "per_file.sql").write_text(
        history
        + "".join(
            "BEGIN;\nSET LOCAL lock_timeout = 2000;\nSET LOCAL statement_timeout = 600000;\n"
            f"SET LOCAL synchronous_commit = off;\n{sql}"
            f"INSERT INTO book.history VALUES ('{i:05d}', 'table_{i}', md5('{i}'), now(), "
            "current_user, (extract(epoch FROM clock_timestamp() - transaction_timestamp()) "
            "* 1000)::int, 'plan', 2) ON CONFLICT (version) DO NOTHING;\nCOMMIT;\n"
            for i, sql in enumerate(everything, start=1)
        )
    )


Timed = Callable[[str], tuple[list[str], Path, dict[str, str]]]


def measure(
    title: str,
    admin: str,
    tools: dict[str, Timed],
    prepare: Callable[[str, str], None] | None = None,
    check: Callable[[str], None] | None = None,
) -> list[tuple[str, list[float]]]:
    """Alternate the tools RUNS times, each on a fresh database (prepared by ``prepare``, its
    result verified by ``check``: a tool that did less is not faster)."""
    times: dict[str, list[float]] = {t: [] for t in tools}
    for n in range(RUNS):
        for k, (tool, make) in enumerate(tools.items()):
            url = fresh_database(admin, f"peer_{k}_{n}")
            if prepare is not None:
                prepare(tool, url)
            cmd, cwd, env = make(url)
            t, r = run(cmd, cwd, env)
            if r.returncode != 0:
                sys.exit(
                    f"{title}: {tool} exited {r.returncode}:\n{(r.stderr or r.stdout)[-1500:]}"
                )
            if check is not None:
                check(url)
            times[tool].append(t)
    return list(times.items())


def tables_made(n: int) -> Callable[[str], None]:
    def check(url: str) -> None:
        import psycopg

        with psycopg.connect(url) as c:
            got = c.execute(
                "SELECT count(*) FROM pg_tables WHERE tablename ~ '^t[0-9]+$'"
            ).fetchone()
        assert got is not None and got[0] == n, f"{got} tables, not {n}"

    return check


def report(title: str, rows: list[tuple[str, list[float]]], goal: dict[str, float]) -> list[str]:
    print(f"\n{title} (min / median / max of {RUNS} alternating runs)")
    base = statistics.median(rows[0][1])
    missed = []
    for tool, ts in rows:
        med = statistics.median(ts)
        ratio = med / base
        target = goal.get(tool)
        mark = f"  goal <= {target:.2f}x" + (" MISSED" if ratio > target else "") if target else ""
        if target and ratio > target:
            missed.append(f"{title}: {tool} {ratio:.2f}x (goal {target:.2f}x)")
        print(f"  {tool:34} {min(ts):6.2f} {med:6.2f} {max(ts):6.2f} s  {ratio:5.2f}x{mark}")
    return missed


def noop_status(
    admin: str,
    root: Path,
    appliers: dict[str, Timed],
    base_env: dict[str, str],
    dbmate: str | None,
    venv: Path | None,
    n: int,
) -> list[str]:
    """Each tool's status of a database where it applied the n migrations itself; our plan's
    goal is absolute (issue 16: 0.35 s at 1,000, 0.6 s at 10,000)."""
    by = {
        "reconcile plan": "reconcile apply",
        "dbmate status": "dbmate migrate",
        "alembic current": "alembic upgrade head",
    }

    def prepare(tool: str, url: str) -> None:
        cmd, cwd, env = appliers[by[tool]](url)
        subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)

    tools: dict[str, Timed] = {
        "reconcile plan": lambda url: (
            reconcile_cmd("plan", "--env", "bench", "-q"),
            root / "ours",
            {**base_env, "DATABASE_URL_BENCH": url},
        )
    }
    if dbmate:
        tools["dbmate status"] = lambda url: (
            [dbmate, "--url", dbmate_url(url), "-d", "migrations", "status"],
            root / "dbmate",
            base_env,
        )
    if venv is not None:
        tools["alembic current"] = lambda url: (
            [str(venv / "bin/alembic"), "current"],
            root / "alembic",
            {**base_env, "ALEMBIC_URL": _sa_url(url)},
        )
    title = f"no-op status, {n:,} migrations applied"
    rows = measure(title, admin, tools, prepare=prepare)
    missed = report(title, rows, {})
    goal = {1000: 0.35, 10000: 0.6}.get(n)
    ours = statistics.median(dict(rows)["reconcile plan"])
    if goal is not None:
        print(
            f"  reconcile plan {ours:.2f} s, goal <= {goal:.2f} s"
            + (" MISSED" if ours > goal else "")
        )
        if ours > goal:
            missed.append(f"{title}: reconcile plan {ours:.2f} s (goal {goal:.2f} s)")
    # its peak resident memory, from the kernel's account of that one child
    url = fresh_database(admin, "peer_rss")
    prepare("reconcile plan", url)
    cmd, cwd, env = tools["reconcile plan"](url)
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    child = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if child.returncode != 0:
        sys.exit(f"{title}: reconcile plan failed while its memory was measured")
    mb = usage.ru_maxrss / 1024
    print(
        f"  reconcile plan resident memory: {mb:.0f} MB, goal <= 100 MB"
        + (" MISSED" if mb > 100 else "")
    )
    if mb > 100:
        missed.append(f"{title}: reconcile plan {mb:.0f} MB resident (goal 100 MB)")
    return missed


def _sa_url(url: str) -> str:
    user, sock, db = socket_of(url)
    return f"postgresql+psycopg://{user}@/{db}?host={sock}"


def lint(work: Path, base_env: dict[str, str]) -> list[str]:
    from lint_scale import generate as lint_corpus

    squawk = shutil.which("squawk") or shutil.which("squawk", path=str(Path(sys.executable).parent))
    root = work / "lint"
    mig = lint_corpus(root)
    files = sorted(str(p) for p in mig.glob("*.sql"))
    times: dict[str, list[float]] = {"squawk": [], "reconcile validate (no caches)": []}
    for _ in range(RUNS):
        if squawk:
            t, _r = run([squawk, *files], root, base_env)
            times["squawk"].append(t)
        t, r = run(
            reconcile_cmd("validate", "--env", "bench", "-q"),
            root,
            {**base_env, "RECONCILER_NO_CACHE": "1"},
        )
        assert r.returncode in (0, 3), r.stderr[-500:]
        times["reconcile validate (no caches)"].append(t)
    rows = [(k, v) for k, v in times.items() if v]
    return report("lint 2,000 migration files", rows, {"reconcile validate (no caches)": 1.0})


def config(work: Path, admin: str, base_env: dict[str, str]) -> list[str]:
    """10,000 existing config rows changed: ours against one psql upsert of the same rows."""
    import json

    root = work / "config"
    (root / "migrations").mkdir(parents=True)
    shutil.copy(
        Path(__file__).resolve().parent.parent
        / "manifests/migrations/0001_create_app_config_safe.sql",
        root / "migrations",
    )
    (root / "environments").mkdir()
    (root / "environments/bench.yaml").write_text(
        "name: bench\ndatabase: {url_from_env: DATABASE_URL_BENCH}\n"
        "migrations: {dir: ../migrations}\nconfig: {files: [../config/*.yaml]}\n"
    )

    def write(generation: int) -> None:
        (root / "config").mkdir(exist_ok=True)
        for c in range(10):
            lines = [f"category: cat{c}", "entries:"]
            for k in range(1000):
                lines += [
                    f"  key_{k}:",
                    f"    value: {generation * 100000 + c * 1000 + k}",
                    "    type: integer",
                ]
            (root / "config" / f"cat{c}.yaml").write_text("\n".join(lines) + "\n")
        values = ",\n".join(
            f"('cat{c}', 'key_{k}', '{json.dumps(generation * 100000 + c * 1000 + k)}', '', now(), 'psql')"
            for c in range(10)
            for k in range(1000)
        )
        (root / "upsert.sql").write_text(
            "INSERT INTO app_config (category, key, value, description, updated_at, updated_by) VALUES\n"
            f"{values}\nON CONFLICT (category, key) DO UPDATE SET value = EXCLUDED.value, "
            "description = EXCLUDED.description, updated_at = EXCLUDED.updated_at, "
            "updated_by = EXCLUDED.updated_by;\n"
        )

    def prepare(tool: str, url: str) -> None:
        write(1)
        subprocess.run(
            reconcile_cmd("apply", "--env", "bench", "-q"),
            cwd=root,
            env={**base_env, "DATABASE_URL_BENCH": url},
            check=True,
            capture_output=True,
        )
        write(2)

    def changed(url: str) -> None:
        import psycopg

        with psycopg.connect(url) as c:
            row = c.execute(
                "SELECT count(*) FROM app_config WHERE value::bigint >= 200000"
            ).fetchone()
        assert row is not None and row[0] == 10000, row

    tools: dict[str, Timed] = {
        "psql: one INSERT ... ON CONFLICT (floor)": lambda url: (
            [PSQL, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", "upsert.sql", url],
            root,
            base_env,
        ),
        "reconcile apply": lambda url: (
            reconcile_cmd("apply", "--env", "bench", "-q"),
            root,
            {**base_env, "DATABASE_URL_BENCH": url},
        ),
    }
    title = "10,000 changed config entries"
    rows = measure(title, admin, tools, prepare=prepare, check=changed)
    return report(title, rows, {"reconcile apply": 3.0})


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="peers_"))
    missed: list[str] = []
    try:
        admin = embedded_admin_url(work)
        dbmate = os.environ.get("DBMATE") or shutil.which("dbmate")
        venv = None if os.environ.get("BENCH_SKIP_PYTHON_PEERS") else peers_venv()
        base_env = {**os.environ, "RECONCILER_HOME": str(work / "home")}
        print(f"measured {environment()}")
        for n in SCALES:
            root = work / f"history_{n}"
            write_history(root, n)
            # one transaction of 20,000 DDL outgrows the default lock table: above 1,000 files
            # the floor runs each statement on its own
            single = ["-1"] if n <= 1000 else []
            floor = f"psql {'-1 ' if single else ''}-f all.sql (floor)"
            tools: dict[str, Timed] = {
                floor: lambda url, root=root, single=single: (
                    [PSQL, "-q", "-X", *single, "-v", "ON_ERROR_STOP=1", "-f", "all.sql", url],
                    root,
                    base_env,
                ),
                "psql, a transaction per file": lambda url, root=root: (
                    [PSQL, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", "per_file.sql", url],
                    root,
                    base_env,
                ),
                "reconcile apply": lambda url, root=root: (
                    reconcile_cmd("apply", "--env", "bench", "-q"),
                    root / "ours",
                    {**base_env, "DATABASE_URL_BENCH": url},
                ),
            }
            if dbmate:
                tools["dbmate migrate"] = lambda url, root=root: (
                    [
                        dbmate,
                        "--url",
                        dbmate_url(url),
                        "-d",
                        "migrations",
                        "--no-dump-schema",
                        "migrate",
                    ],
                    root / "dbmate",
                    base_env,
                )
            if venv is not None:
                tools["yoyo apply"] = lambda url, root=root: (
                    [
                        str(venv / "bin/yoyo"),
                        "apply",
                        "--batch",
                        "--no-config-file",
                        "--database",
                        f"postgresql+psycopg://{socket_of(url)[0]}@/{socket_of(url)[2]}?host={socket_of(url)[1]}",
                        str(root / "yoyo"),
                    ],
                    root,
                    base_env,
                )
                tools["alembic upgrade head"] = lambda url, root=root: (
                    [str(venv / "bin/alembic"), "upgrade", "head"],
                    root / "alembic",
                    {
                        **base_env,
                        "ALEMBIC_URL": f"postgresql+psycopg://{socket_of(url)[0]}@/{socket_of(url)[2]}"
                        f"?host={socket_of(url)[1]}",
                    },
                )
            title = f"apply {n:,} fresh migrations (2 DDL each)"
            rows = measure(title, admin, tools, check=tables_made(n))
            goal = {"reconcile apply": 1.15 if n >= 1000 else 1.5}
            missed += report(title, rows, goal)
            times = dict(rows)
            ours = statistics.median(times["reconcile apply"])
            design = statistics.median(times["psql, a transaction per file"])
            print(
                f"  reconcile apply / psql with the same per-file transactions: {ours / design:.2f}x"
                f" (that floor is {design / statistics.median(rows[0][1]):.2f}x psql -1)"
            )
            if n >= 1000:
                missed += noop_status(admin, root, tools, base_env, dbmate, venv, n)
        if not os.environ.get("BENCH_ONLY_APPLY"):
            missed += lint(work, base_env)
            missed += config(work, admin, base_env)
    finally:
        remove_workdir(work)
    for m in missed:
        print(f"GOAL MISSED: {m}")
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
