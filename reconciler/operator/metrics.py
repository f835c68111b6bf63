"""Prometheus-format metrics and readiness for the operator (an aiohttp app beside kopf's health probe)."""

from __future__ import annotations

import threading
from collections import defaultdict

from aiohttp import web

__all__ = ["METRICS", "Metrics", "serve"]


class Metrics:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reconciles: dict[str, int] = defaultdict(int)  # by result
        self.duration_sum = 0.0
        self.duration_count = 0
        self.failures = 0
        self.pending_approvals: dict[str, int] = {}  # by namespace/name
        self.ready = False

    def observe(self, result: str, seconds: float) -> None:
        with self.lock:
            self.reconciles[result] += 1
            self.duration_sum += seconds
            self.duration_count += 1
            if result in ("failed", "retrying"):
                self.failures += 1

    def render(self) -> str:
        with self.lock:
            lines = [
                "# HELP reconciler_reconciles_total Reconcile runs by result.",
                "# TYPE reconciler_reconciles_total counter",
                *[
                    f'reconciler_reconciles_total{{result="{r}"}} {n}'
                    for r, n in sorted(self.reconciles.items())
                ],
                "# HELP reconciler_reconcile_duration_seconds Time spent in reconcile runs.",
                "# TYPE reconciler_reconcile_duration_seconds summary",
                f"reconciler_reconcile_duration_seconds_sum {self.duration_sum:.6f}",
                f"reconciler_reconcile_duration_seconds_count {self.duration_count}",
                "# HELP reconciler_failures_total Reconcile runs that failed or will be retried.",
                "# TYPE reconciler_failures_total counter",
                f"reconciler_failures_total {self.failures}",
                "# HELP reconciler_pending_approvals Approvals still missing, per DatabaseSync.",
                "# TYPE reconciler_pending_approvals gauge",
                *[
                    f'reconciler_pending_approvals{{databasesync="{k}"}} {v}'
                    for k, v in sorted(self.pending_approvals.items())
                ],
            ]
        return "\n".join(lines) + "\n"


METRICS = Metrics()


async def serve(host: str, port: int) -> web.AppRunner:
    async def metrics(_: web.Request) -> web.Response:
        return web.Response(text=METRICS.render(), content_type="text/plain")

    async def ready(_: web.Request) -> web.Response:
        return web.Response(
            status=200 if METRICS.ready else 503, text="ready" if METRICS.ready else "starting"
        )

    app = web.Application()
    app.add_routes([web.get("/metrics", metrics), web.get("/readyz", ready)])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
