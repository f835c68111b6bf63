"""The admin web UI (``reconcile ui``): /admin/database-config with its Configuration,
Migrations and Sync tabs, a front door over the one engine like the CLI and the operator.

Its dependencies (Starlette, Jinja2, uvicorn, python-multipart) are the ``ui`` extra, so the
operator image stays lean: ``pip install 'neon-reconciler[ui]'``.
"""

from __future__ import annotations

import socket

from reconciler.listen import listening_socket

__all__ = ["create_app", "listening_socket", "serve"]


def create_app(root: str, **kw: object) -> object:
    from reconciler.web.app import create_app as make

    return make(root, **kw)  # type: ignore[arg-type]


def serve(
    root: str,
    host: str,
    port: int,
    *,
    read_only: bool,
    token: str | None,
    sock: socket.socket | None = None,
) -> None:
    """Serve until interrupted. ``host`` other than loopback needs a token (checked by the door)."""
    import uvicorn

    from reconciler.web.app import create_app as make
    from reconciler.web.security import is_loopback

    sock = sock or listening_socket(host, port)
    app = make(root, read_only=read_only, token=token, loopback_only=is_loopback(host))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
