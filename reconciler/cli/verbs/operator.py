"""reconcile operator: the Kubernetes operator for DatabaseSync resources."""

from __future__ import annotations

import argparse
import os

FORMATS: tuple[str, ...] = ()
NEEDS_ENV = False  # the operator reads environments from resources


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--namespace", "-n", action="append", help="watch only this namespace (repeatable)"
    )
    p.add_argument(
        "--standalone", action="store_true", help="no peering (only for a single replica)"
    )
    p.add_argument("--health-port", type=int, default=8080)
    p.add_argument("--metrics-port", type=int, default=9090)
    p.add_argument(
        "--webhook-port",
        type=int,
        default=0,
        help="serve the admission webhook (TLS from RECONCILER_WEBHOOK_CERT/KEY)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the Kubernetes operator (kopf) that reconciles DatabaseSync resources.

    Health at :8080/healthz (kopf), metrics and readiness at :9090/metrics and /readyz,
    the admission webhook at :9443 when --webhook-port is given.
    """
    import asyncio

    import kopf

    from reconciler.listen import require_free

    # (kopf, the metrics server and the webhook bind later, inside the event loop, where a port
    # in use is a traceback among the operator's logs: said here, before anything starts)
    ports = {"--health-port": args.health_port, "--metrics-port": args.metrics_port}
    if args.webhook_port:
        ports["--webhook-port"] = args.webhook_port
    require_free("0.0.0.0", ports)
    os.environ.setdefault("RECONCILER_METRICS_PORT", str(args.metrics_port))
    if args.webhook_port:
        os.environ.setdefault("RECONCILER_WEBHOOK_PORT", str(args.webhook_port))
    import reconciler.operator.handlers  # noqa: F401 - registers the handlers (reads the ports above)

    kopf.configure(verbose=False, debug=False)
    asyncio.run(
        kopf.operator(
            clusterwide=not args.namespace,
            namespaces=args.namespace or [],
            standalone=args.standalone,
            liveness_endpoint=f"http://0.0.0.0:{args.health_port}/healthz",
        )
    )
    return 0
