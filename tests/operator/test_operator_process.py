"""`reconcile operator` as deployed: a real process with health, readiness and Prometheus metrics."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx

from tests.operator.conftest import KubeThread, free_port, operator_command, package, wait_for


def test_operator_process_serves_health_readiness_and_metrics(
    project: Path, db_url: str, kube: KubeThread, tmp_path: Path
) -> None:
    health, metrics = free_port(), free_port()
    env = {
        **os.environ,
        "RECONCILER_KUBE_URL": kube.url,
        "RECONCILER_HOME": str(tmp_path / "home"),
        "RECONCILER_TIMER_S": "1",
    }

    def applied_metric() -> str | None:
        text = httpx.get(f"http://127.0.0.1:{metrics}/metrics").text
        return text if 'reconciler_reconciles_total{result="applied"} 1' in text else None

    with (tmp_path / "operator.log").open("w") as log:
        p = subprocess.Popen(
            operator_command(health, metrics),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: httpx.get(f"http://127.0.0.1:{metrics}/readyz").status_code == 200,
                30,
                "readiness",
            )
            wait_for(
                lambda: httpx.get(f"http://127.0.0.1:{health}/healthz").status_code == 200,
                30,
                "liveness",
            )
            kube.post("/api/v1/namespaces/default/configmaps", package(project, "dev", "pkg-dev"))
            kube.secret("db-dev", db_url)
            kube.dbsync("dev", "dev")
            wait_for(lambda: kube.status("dev").get("phase") == "Ready", 60, "Ready")
            text = wait_for(applied_metric, 20, "the metrics")
            assert "reconciler_reconcile_duration_seconds_count" in text
            assert 'reconciler_pending_approvals{databasesync="default/dev"} 0' in text
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)


def test_a_port_in_use_stops_the_operator_before_it_starts(tmp_path: Path) -> None:
    """kopf and the metrics server bind inside the event loop, where a busy port was a
    traceback among the logs; it is one error now, naming the port, before anything starts."""
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 0))
        s.listen()
        busy = s.getsockname()[1]
        r = subprocess.run(
            operator_command(metrics_port=busy),
            env={**os.environ, "RECONCILER_HOME": str(tmp_path / "home")},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"error[port-in-use]: cannot serve on 0.0.0.0:{busy}" in r.stderr, r.stderr
    assert "choose another port with --metrics-port" in r.stderr and "Traceback" not in r.stderr
