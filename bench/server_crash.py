"""Server crash in the middle of a long apply: what the asynchronous per-file commit may lose.

Each migration's transaction commits with synchronous_commit off. This kills the PostgreSQL
server itself (SIGKILL to the postmaster, as a power cut would look to it) at a random moment of
an apply of N migrations, restarts it, and checks that the database is consistent (every file
recorded in the history has its table, no table exists without its history row) and that the
next `reconcile apply` converges: exit 0, an empty plan, N complete history rows, N tables.

    python bench/server_crash.py [RUNS]     # default 5; N = BENCH_N (default 500)
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from apply_history import body
from common import reconcile_cmd, remove_workdir

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
N = int(os.environ.get("BENCH_N", "500"))


def server(pgdata: Path) -> str:
    """Start (or, after a crash, restart) the server in pgdata; its URL."""
    import pgserver

    srv = pgserver.get_server(pgdata, cleanup_mode=None)
    try:
        srv.ensure_postgres_running()  # pgserver keeps one handle per folder: start it again
    except subprocess.CalledProcessError:
        sys.exit("the server did not start again:\n" + (pgdata / "log").read_text()[-1500:])
    return str(srv.get_uri())


def kill_server(pgdata: Path) -> None:
    """SIGKILL the postmaster and every backend at once, as a power cut would."""
    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    children = []
    for entry in os.listdir("/proc"):
        try:
            if (
                entry.isdigit()
                and int(Path(f"/proc/{entry}/stat").read_text().split(")")[-1].split()[1]) == pid
            ):
                children.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    for p in [pid, *children]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    for p in [pid, *children]:
        while (
            Path(f"/proc/{p}").exists()
            and "Z" not in Path(f"/proc/{p}/stat").read_text().split(")")[-1].split()[0]
        ):
            time.sleep(0.05)
    for stale in ("postmaster.pid", ".s.PGSQL.5432.lock", ".s.PGSQL.5432"):
        (pgdata / stale).unlink(missing_ok=True)


def stop(pgdata: Path) -> None:
    import pgserver
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    srv = pgserver.get_server(pgdata, cleanup_mode=None)
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=srv.system_user)


def consistent(url: str) -> tuple[int, int]:
    """(complete history rows, tables t1..tN); raises if a row and its table disagree."""
    with psycopg.connect(url) as c:
        if not c.execute("SELECT to_regclass('reconciler.schema_migrations')").fetchone()[0]:  # type: ignore[index]
            rows: set[int] = set()
        else:
            rows = {
                int(v)
                for (v,) in c.execute(
                    "SELECT version FROM reconciler.schema_migrations WHERE applied_at IS NOT NULL"
                )
            }
        tables = {
            int(t[1:])
            for (t,) in c.execute("SELECT tablename FROM pg_tables WHERE tablename ~ '^t[0-9]+$'")
        }
    assert rows == tables, f"history and tables disagree: {sorted(rows ^ tables)[:10]}"
    return len(rows), len(tables)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="server_crash_"))
    os.environ.setdefault("XDG_RUNTIME_DIR", str(work / "run"))
    (work / "run").mkdir(mode=0o700)
    root = work / "ours"
    (root / "migrations").mkdir(parents=True)
    for i in range(1, N + 1):
        (root / "migrations" / f"{i:04d}_table_{i}.sql").write_text(body(i))
    (root / "environments").mkdir()
    (root / "environments/bench.yaml").write_text(
        "name: bench\ndatabase: {url_from_env: DATABASE_URL_BENCH, connect_attempts: 2}\n"
        "migrations: {dir: ../migrations}\n"
    )
    failures = 0
    try:
        for run in range(RUNS):
            pgdata = work / f"pg{run}"
            url = server(pgdata)
            env = {
                **os.environ,
                "DATABASE_URL_BENCH": url,
                "RECONCILER_HOME": str(work / "home"),
            }
            p = subprocess.Popen(
                reconcile_cmd("apply", "--env", "bench", "-q"),
                cwd=root,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(random.uniform(0.6, 1.6))
            kill_server(pgdata)
            p.wait(60)
            url = server(pgdata)  # restarted: crash recovery replays the WAL it has
            env["DATABASE_URL_BENCH"] = url
            done, _ = consistent(url)
            again = subprocess.run(
                reconcile_cmd("apply", "--env", "bench", "-q"),
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
            )
            plan = subprocess.run(
                reconcile_cmd("plan", "--env", "bench", "-q"),
                cwd=root,
                env=env,
                capture_output=True,
            )
            final = consistent(url)
            ok = again.returncode == 0 and plan.returncode == 0 and final == (N, N)
            failures += not ok
            print(
                f"run {run + 1}: server killed after {done} of {N} files were durable; "
                f"next apply {'converged' if ok else 'FAILED: ' + again.stderr[-300:]}"
            )
            stop(pgdata)
    finally:
        remove_workdir(work)
    print(f"converged: {RUNS - failures}/{RUNS}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
