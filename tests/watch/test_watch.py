"""The dev agent as users run it: a real `reconcile watch` process, real files, signals and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import query

MIGS = "manifests/migrations"


class Agent:
    def __init__(self, project: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.log_path = project / "agent.log"
        self.log_file = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "watch", "--env", "dev", *extra],
            cwd=project,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_log(self, text: str, timeout: float = 20, count: int = 1) -> None:
        wait_for(
            lambda: self.log().count(text) >= count,
            timeout,
            f"log line {text!r} x{count}\n{self.log()}",
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=15)
        finally:
            self.log_file.close()


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def agent_factory(project: Path) -> Iterator[Callable[..., Agent]]:
    agents: list[Agent] = []

    def make(*extra: str, env: dict[str, str] | None = None) -> Agent:
        a = Agent(project, *extra, env=env)
        agents.append(a)
        return a

    yield make
    for a in agents:
        if a.proc.poll() is None:
            a.proc.kill()
            a.proc.wait()


def config_value(url: str, key: str) -> object:
    rows = (
        query(url, "SELECT value FROM app_config WHERE key = %s", (key,))
        if _has(url, "app_config")
        else []
    )
    return rows[0][0] if rows else None


def _has(url: str, table: str) -> bool:
    return query(url, "SELECT to_regclass(%s) IS NOT NULL", (table,))[0][0]


def set_value(project: Path, old: str, new: str) -> None:
    """Edit posts_per_page (the first entry of forum.yaml) from one value to another."""
    p = project / "manifests/config/forum.yaml"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))


def test_edit_config_add_migration_and_recover_from_broken_yaml(
    project: Path, db_url: str, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory()
    wait_for(lambda: config_value(db_url, "posts_per_page") == 20, 30, "the initial apply")
    set_value(project, "value: 20", "value: 21")
    wait_for(lambda: config_value(db_url, "posts_per_page") == 21, 10, "the edited value")
    (project / MIGS / "0008_badges_safe.sql").write_text(
        "CREATE TABLE badges (id bigint PRIMARY KEY);\n"
    )
    wait_for(lambda: _has(db_url, "badges"), 10, "the new migration")
    fm = project / "manifests/forum-map.yaml"
    good = fm.read_text()
    fm.write_text("zones: [\n")
    agent.wait_log("manifests/forum-map.yaml:2:1: error[yaml-syntax]")
    assert agent.proc.poll() is None  # alive
    fm.write_text(good.replace("name: Music", "name: Musik"))
    wait_for(
        lambda: (
            query(db_url, "SELECT name FROM forum_structure WHERE slug = 'music'") == [("Musik",)]
        ),
        10,
        "the fixed forum map",
    )
    assert agent.stop() == 0
    assert "stopped cleanly" in agent.log()


def test_a_burst_of_saves_is_one_reconcile(
    project: Path, db_url: str, agent_factory: Callable[..., Agent]
) -> None:
    # a quiet period of 1 s: the 20 saves take about 0.25 s, and a busy machine that pauses
    # this test for longer than the default 300 ms between two saves would split the burst
    env_file = project / "environments/dev.yaml"
    env_file.write_text(env_file.read_text().replace("  debounce_ms: 300", "  debounce_ms: 1000"))
    agent = agent_factory()
    wait_for(lambda: config_value(db_url, "posts_per_page") == 20, 30, "the initial apply")
    agent.wait_log("[dev] plan:")
    before = agent.log().count("change(s):")
    for n in range(20):  # 20 saves, 10 ms apart: well inside the quiet period
        set_value(
            project,
            f"posts_per_page:\n    value: {20 + n}",
            f"posts_per_page:\n    value: {21 + n}",
        )
        time.sleep(0.01)
    wait_for(lambda: config_value(db_url, "posts_per_page") == 40, 10, "the last value")
    time.sleep(1.5)  # longer than the quiet period: a second cycle would have run by now
    log = agent.log()
    assert log.count("change(s):") - before == 1, log
    assert log.count("sync: 1 config upserts") == 1


def test_database_stopped_and_restarted(
    project: Path, tmp_path: Path, agent_factory: Callable[..., Agent]
) -> None:
    import pgserver
    from pgserver._commands import pg_ctl

    data = tmp_path / "ownpg"
    srv = pgserver.get_server(data, cleanup_mode="stop")
    url = srv.get_uri()
    agent = agent_factory(env={"DATABASE_URL_DEV": url})
    wait_for(lambda: config_value(url, "posts_per_page") == 20, 30, "the initial apply")
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data, user=srv.system_user)
    set_value(project, "value: 20", "value: 33")
    agent.wait_log("db: unavailable", timeout=15, count=2)
    assert agent.proc.poll() is None
    srv.ensure_postgres_running()  # start it again: same data, same socket
    wait_for(lambda: config_value(url, "posts_per_page") == 33, 30, "the apply after reconnecting")
    assert agent.stop() == 0
    srv.cleanup()


def _in_sleep(url: str) -> bool:
    return bool(
        query(
            url,
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(%%' "
            "AND state = 'active'",
        )[0][0]
    )


def test_sigterm_during_a_long_migration_finishes_it_whole_and_exits_0(
    project: Path, db_url: str, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory()
    wait_for(lambda: config_value(db_url, "posts_per_page") == 20, 30, "the initial apply")
    (project / MIGS / "0008_slow_safe.sql").write_text(
        "CREATE TABLE slow_done (id int);\nSELECT pg_sleep(3);\n"
    )
    wait_for(lambda: _in_sleep(db_url), 10, "the slow migration to start")
    t0 = time.monotonic()
    assert agent.stop(signal.SIGTERM) == 0
    assert time.monotonic() - t0 < 10
    assert _has(db_url, "slow_done")  # committed whole
    assert query(
        db_url, "SELECT count(*) FROM reconciler.schema_migrations WHERE version = '0008'"
    ) == [(1,)]
    assert query(db_url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == [(0,)]


def test_second_signal_aborts_and_the_migration_rolls_back(
    project: Path, db_url: str, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory()
    wait_for(lambda: config_value(db_url, "posts_per_page") == 20, 30, "the initial apply")
    (project / MIGS / "0008_slow_safe.sql").write_text(
        "CREATE TABLE slow_done (id int);\nSELECT pg_sleep(10);\n"
    )
    wait_for(lambda: _in_sleep(db_url), 10, "the slow migration to start")
    agent.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    t0 = time.monotonic()
    assert agent.stop(signal.SIGINT) != 0
    # at once, not after the sleep (a wide margin: a busy machine is slow to stop a process)
    assert time.monotonic() - t0 < 6
    wait_for(lambda: not _in_sleep(db_url), 10, "the aborted backend to end")
    assert not _has(db_url, "slow_done")  # rolled back whole
    assert query(
        db_url, "SELECT count(*) FROM reconciler.schema_migrations WHERE version = '0008'"
    ) == [(0,)]


def test_crash_loop_stops_after_the_restart_limit(
    project: Path, db_url: str, agent_factory: Callable[..., Agent]
) -> None:
    env_file = project / "environments/dev.yaml"
    env_file.write_text(
        env_file.read_text().replace(
            "  debounce_ms: 300", "  debounce_ms: 300\n  restart_backoff_ms: 20"
        )
    )
    agent = agent_factory(env={"RECONCILER_WATCH_FAULT": "crash"})
    assert agent.proc.wait(timeout=60) == 1
    log = agent.log()
    assert log.count("RuntimeError: injected crash") == 6
    assert "restart 5/5" in log and "crashed 6 times within 60s: giving up" in log


def test_memory_limit_restarts_between_reconciles(
    project: Path, db_url: str, agent_factory: Callable[..., Agent]
) -> None:
    env_file = project / "environments/dev.yaml"
    env_file.write_text(
        env_file.read_text().replace(
            "  debounce_ms: 300", "  debounce_ms: 300\n  memory_limit_mb: 16"
        )
    )
    agent = agent_factory()
    wait_for(lambda: config_value(db_url, "posts_per_page") == 20, 30, "the initial apply")
    agent.wait_log("[dev] plan:")
    set_value(project, "value: 20", "value: 21")
    agent.wait_log("restarting the worker to release memory")
    assert config_value(db_url, "posts_per_page") == 21  # the reconcile finished before the restart
    agent.wait_log("watching", count=2)
    set_value(project, "value: 21", "value: 22")
    wait_for(lambda: config_value(db_url, "posts_per_page") == 22, 15, "an apply after the restart")
    assert agent.stop() == 0


def test_json_logs(project: Path, db_url: str, agent_factory: Callable[..., Agent]) -> None:
    agent = agent_factory("--log-format", "json")
    wait_for(lambda: config_value(db_url, "posts_per_page") == 20, 30, "the initial apply")
    agent.wait_log('"action": "done"')
    assert agent.stop() == 0
    lines = [json.loads(x) for x in agent.log().splitlines() if x.strip()]
    assert lines and all(x["env"] == "dev" and x["action"] and "message" in x for x in lines)


def test_top_level_watch_flag_runs_the_agent(project: Path, db_url: str) -> None:
    p = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "--env", "dev", "--watch"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for(lambda: config_value(db_url, "posts_per_page") == 20, 30, "the initial apply")
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=15)
    assert p.returncode == 0 and "stopped cleanly" in out


def test_terminal_gets_colour_and_a_status_line(project: Path, db_url: str) -> None:
    import pty
    import select

    master, slave = pty.openpty()
    p = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "watch", "--env", "dev"],
        cwd=project,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and b"cycle 1" not in seen:
        if select.select([master], [], [], 0.2)[0]:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=15) == 0
    while select.select([master], [], [], 0.2)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert b"\x1b[32m[dev] done:" in seen  # coloured prefix
    # the status line is cleared on the way out: the prompt comes back on a clean line
    assert seen.rstrip(b"\r\n").endswith(b"\r\x1b[2K"), seen[-200:]
    assert b"watching 5 path(s)" in seen and b"cycle 1" in seen  # the live status line


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().split(")")[-1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return out


def test_the_worker_exits_within_a_second_of_losing_its_supervisor(
    project: Path, db_url: str, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory()
    agent.wait_log("[dev] done:")
    (worker,) = _children(agent.proc.pid)
    agent.proc.kill()  # the terminal closed, or the supervisor was killed
    agent.proc.wait()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5 and os.path.exists(f"/proc/{worker}"):
        try:
            with open(f"/proc/{worker}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    break
        except OSError:
            break
        time.sleep(0.02)
    took = time.monotonic() - t0
    print(f"worker gone {took:.2f} s after its supervisor")  # measured, not a timing test
    assert took < 5.0  # it goes by itself (it used to live on for 20-40 s)


def test_the_suite_finds_a_process_left_behind() -> None:
    """The guard the autouse fixture runs after every test: it sees a stray reconciler
    process of this session (here one that detached into a session of its own)."""
    from tests.conftest import _left_behind

    stray = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "reconciler-stray"],
        start_new_session=True,
    )
    try:  # (until it has exec'd, the child still shows the parent's command line)
        deadline = time.monotonic() + 5
        while not any(pid == stray.pid for pid, _ in _left_behind()):
            assert time.monotonic() < deadline, "the guard did not see the stray process"
            time.sleep(0.05)
    finally:
        stray.kill()
        stray.wait()
    assert not any(pid == stray.pid for pid, _ in _left_behind())


def test_new_schema_drift_is_printed_once_and_its_resolution(
    project: Path, db_url: str, agent_factory: Callable[..., Agent]
) -> None:
    agent = agent_factory()
    wait_for(lambda: config_value(db_url, "posts_per_page") == 20, 30, "the initial apply")
    query(db_url, "DROP INDEX posts_thread_idx")
    set_value(project, "value: 20", "value: 22")  # any save makes the agent plan again
    agent.wait_log("drift: index public.posts_thread_idx was dropped outside the reconciler")
    set_value(project, "value: 22", "value: 23")
    wait_for(lambda: config_value(db_url, "posts_per_page") == 23, 10, "the next apply")
    assert agent.log().count("was dropped outside the reconciler") == 1  # said once
    query(db_url, "CREATE INDEX posts_thread_idx ON posts (thread_id)")
    set_value(project, "value: 23", "value: 24")
    agent.wait_log("resolved: index public.posts_thread_idx was dropped")
    assert agent.stop() == 0
