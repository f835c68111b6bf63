"""The admin web UI (``reconcile ui``): /admin/database-config with its Configuration,
Migrations and Sync tabs, a front door over the one engine like the CLI and the operator.

Its dependencies (Starlette, Jinja2, uvicorn, python-multipart) are the ``ui`` extra, so the
operator image stays lean: ``pip install 'neon-reconciler[ui]'``.
"""

from __future__ import annotations

import socket

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


def listening_socket(host: str, port: int) -> socket.socket:
    """The UI's socket, bound before anything is served; a port another process holds is a
    ReconcilerError that names that process when this machine tells (Linux's /proc)."""
    from reconciler.errors import ReconcilerError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        holder = _listener(port)
        raise ReconcilerError(
            f"cannot serve on {host}:{port}: {e.strerror or e}"
            + (f" (held by pid {holder[0]}: {holder[1]})" if holder else ""),
            hint=(f"stop it (kill {holder[0]}), or " if holder else "")
            + "choose another port with --port",
            code="port-in-use" if e.errno in (98, 48) else "cannot-listen",
        ) from None
    return sock


def _listener(port: int) -> tuple[int, str] | None:
    """(pid, command line) of the process listening on ``port``, from /proc; None elsewhere."""
    import os

    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{cols[9]}]")
    if not inodes:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in fds):
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                return int(pid), cmd[:120]
        except OSError:
            continue
    return None
