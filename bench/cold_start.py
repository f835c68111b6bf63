"""Cold-start benchmark (issue 16, item 1): the commands a user waits on before any work.

Times whole processes, alternating run by run (BENCH_RUNS rounds, default 9), and prints the
min / median / max of each beside the interpreter's own start (`python -c pass`):

- `reconcile --help`;
- `reconcile validate FILE`: one migration file under a strict environment's default rules;
- `reconcile validate --env dev FILE`: the same file in the sample project, under its policy,
  lint cache disabled (`RECONCILER_NO_CACHE=1`), as on a first run.

No database is involved.

    python bench/cold_start.py      # prints a table; exits 1 when a goal is missed
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import finish, reconcile_cmd, run

REPO = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "9"))
FILE = "manifests/migrations/0003_create_users_safe.sql"


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="cold_start_"))
    try:
        measure({**os.environ, "RECONCILER_HOME": str(home)})
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(env: dict[str, str]) -> None:
    cold = {**env, "RECONCILER_NO_CACHE": "1"}
    commands: dict[str, tuple[list[str], dict[str, str], str]] = {
        "python -c pass (the interpreter's start)": ([sys.executable, "-c", "pass"], env, "-"),
        "reconcile --help": (reconcile_cmd("--help"), env, "<= 0.08 s"),
        "reconcile validate FILE (one file)": (reconcile_cmd("validate", FILE), cold, "<= 0.25 s"),
        "reconcile validate --env dev FILE": (
            reconcile_cmd("validate", "--env", "dev", FILE),
            cold,
            "<= 0.25 s",
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):  # alternating, so a busier moment of the machine touches every command
        for name, (cmd, cmd_env, _goal) in commands.items():
            t, r = run(cmd, REPO, cmd_env)
            if r.returncode != 0:
                sys.exit(
                    f"{' '.join(cmd)} exited {r.returncode}:\n{(r.stderr or r.stdout)[-2000:]}"
                )
            times[name].append(t)
    w = max(len(n) for n in commands)
    print(f"{'command'.ljust(w)}  {'min':>6} {'median':>6} {'max':>6}    goal")
    rows = []
    for name, (_cmd, _env, goal) in commands.items():
        ts = times[name]
        med = statistics.median(ts)
        print(f"{name.ljust(w)}  {min(ts):6.3f} {med:6.3f} {max(ts):6.3f} s  {goal}")
        rows.append((name, f"{med:.3f} s", goal))
    finish(rows)


if __name__ == "__main__":
    main()
