"""reconcile ui: the admin web UI over every environment under --root."""

from __future__ import annotations

import argparse
import os
import sys

FORMATS: tuple[str, ...] = ()
NEEDS_ENV = False  # serves every environment under --root


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument(
        "--read-only", action="store_true", help="no writes at all: no forms, no POST routes"
    )
    p.add_argument(
        "--token-from-env",
        metavar="VAR",
        help="require this variable's value as a bearer token or through the login form "
        "(required to bind anything but loopback)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve the admin UI at http://HOST:PORT/admin/database-config (Configuration,
    Migrations and Sync tabs). Every change is a change to the manifests, applied through
    the engine with each environment's gates.

    Exit 64 when binding a non-loopback address without --token-from-env.
    """
    from reconciler.cli.common import EX_USAGE

    try:
        from reconciler.web import serve
        from reconciler.web.security import is_loopback
    except ImportError as e:  # pragma: no cover - depends on the install
        print(
            f"the UI needs its extra: pip install 'neon-reconciler[ui]' ({e.name} missing)",
            file=sys.stderr,
        )
        return 1
    token = None
    if args.token_from_env:
        token = os.environ.get(args.token_from_env, "")
        if len(token) < 16:
            print(
                f"error: {args.token_from_env} must hold a token of at least 16 characters",
                file=sys.stderr,
            )
            return EX_USAGE
    if not is_loopback(args.host) and token is None:
        print(
            f"error: binding {args.host} exposes the UI beyond this machine; "
            "give --token-from-env VAR (a bearer token / login) or bind 127.0.0.1",
            file=sys.stderr,
        )
        return EX_USAGE
    where = f"[{args.host}]" if ":" in args.host else args.host
    from reconciler.web import listening_socket

    sock = listening_socket(args.host, args.port)  # (a port in use: said before anything else)
    print(
        f"admin UI on http://{where}:{args.port}/admin/database-config"
        + (" (read-only)" if args.read_only else "")
        + (" (token required)" if token else ""),
        file=sys.stderr,
        flush=True,
    )
    serve(args.root, args.host, args.port, read_only=args.read_only, token=token, sock=sock)
    return 0
