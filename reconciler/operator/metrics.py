"""Prometheus metrics (prometheus_client) and readiness, served beside kopf's health probe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["METRICS", "Metrics", "serve"]


class Metrics:
    """The operator's metrics, in a registry of their own (no process collectors twice)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.reconciles = Counter(
            "reconciler_reconciles",
            "Reconcile runs by result.",
            ["result"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "reconciler_reconcile_duration_seconds",
            "Time spent in reconcile runs.",
            ["result"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
            registry=self.registry,
        )
        self.failures = Counter(
            "reconciler_failures",
            "Reconcile runs that failed or will be retried.",
            registry=self.registry,
        )
        self.pending = Gauge(
            "reconciler_pending_approvals",
            "Approvals still missing, per DatabaseSync.",
            ["databasesync"],
            registry=self.registry,
        )
        self.ready = False

    def observe(self, result: str, seconds: float) -> None:
        self.reconciles.labels(result).inc()
        self.duration.labels(result).observe(seconds)
        if result in ("failed", "retrying"):
            self.failures.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


METRICS = Metrics()


async def serve(host: str, port: int) -> web.AppRunner:
    from aiohttp import web

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=METRICS.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

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
