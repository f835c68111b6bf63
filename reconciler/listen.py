"""Listening sockets of the front doors (the UI, the operator's health, metrics and webhook
ports): bound before anything is served, so a port another process holds is one clear error
that names that process, where Linux's /proc tells."""

from __future__ import annotations

import errno
import os
import socket

from reconciler.errors import ReconcilerError

__all__ = ["listening_socket", "require_free"]


def listening_socket(host: str, port: int, option: str = "--port") -> socket.socket:
    """A socket bound to ``host:port`` before anything is served; a port another process
    holds is a ReconcilerError that names that process when this machine tells (/proc)."""
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
            + f"choose another port with {option}",
            code="port-in-use" if e.errno == errno.EADDRINUSE else "cannot-listen",
        ) from None
    return sock


def _listener(port: int) -> tuple[int, str] | None:
    """(pid, program name) of the process listening on ``port``, from /proc; None elsewhere.
    Only the program's name: its other arguments may hold a password (a connection URL)."""
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
                    program = f.read().split(b"\0")[0].decode(errors="replace")
                return int(pid), os.path.basename(program)[:60]
        except OSError:
            continue
    return None


def require_free(host: str, ports: dict[str, int]) -> None:
    """Each port ({option: port}) can be listened on at ``host`` now (checked, then released),
    else the same ReconcilerError as listening_socket's: for servers that bind later."""
    for option, port in ports.items():
        listening_socket(host, port, option).close()
