"""The command's process ends without tearing the interpreter down, and still owes nothing:
exit handlers run, every byte of output arrives, the exit code is the command's, and a thread
still running is waited for as a normal exit would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

_RUN = """
import atexit, sys, threading, time
from pathlib import Path
import reconciler.cli as cli
out = Path(sys.argv[1])
atexit.register(lambda: (out / "atexit").write_text("ran"))
def main():
    sys.stdout.write("x" * 1_000_000 + "end\\n")  # buffered, not yet flushed
    sys.stderr.write("to stderr")
    if sys.argv[2] == "thread":
        def late():
            time.sleep(0.3)
            (out / "thread").write_text("finished")
        threading.Thread(target=late).start()
    return 3
cli.main = main
cli._entry()
"""


def _run(tmp_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUN, str(tmp_path), mode],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_command_ends_with_its_handlers_run_and_its_output_whole(tmp_path: Path) -> None:
    r = _run(tmp_path, "plain")
    assert r.returncode == 3
    assert r.stdout.endswith("end\n") and len(r.stdout) == 1_000_004
    assert r.stderr == "to stderr"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_a_thread_still_running_is_waited_for(tmp_path: Path) -> None:
    r = _run(tmp_path, "thread")
    assert r.returncode == 3
    assert (tmp_path / "thread").read_text() == "finished"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_the_real_command_exits_with_its_code_and_full_output(tmp_path: Path) -> None:
    """validate --format json of the sample project: the whole document, exit 0."""
    r = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "--env", "dev", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "RECONCILER_HOME": str(tmp_path)},
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["files_checked"] == 7
