"""Database targets as people may write them, parsed once by libpq's rules (psycopg), shown without secrets.

Every place a target is shown, logged, stored or handed to a client program goes through
here: URLs (with ``#``, ``?``, ``@`` or ``%``-encoded characters in the password, or a
``password`` query parameter), key=value DSNs, and ``PGPASSWORD``. What is shown is only
``user@host:port/dbname``; what is stored in the audit trail is those four fields; what a
client program gets is the target without its password, which travels in ``PGPASSWORD``.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, unquote

__all__ = ["display", "params", "public_fields", "scrub", "tool_target"]

_SECRET_KEYS = ("password", "sslpassword")
_URL_USERINFO = re.compile(r"(?i)\b(postgres(?:ql)?://)([^/\s]*)@")
_KV_SECRET = re.compile(r"(?i)\b(password|sslpassword)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")


def params(target: str) -> dict[str, str] | None:
    """libpq's reading of a URL or key=value DSN, or None when libpq cannot read it."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {k: str(v) for k, v in conninfo_to_dict(target).items() if v is not None}
    except (ProgrammingError, ValueError, TypeError):
        return None


def public_fields(target: str) -> dict[str, str | None]:
    """Host, port, database and user: all the audit trail keeps of a target."""
    p = params(target) or {}
    return {
        "host": _host(p.get("host")),
        "port": p.get("port"),
        "dbname": p.get("dbname"),
        "user": p.get("user"),
    }


def _host(host: str | None) -> str | None:
    # a raw "@" in a URL's password makes libpq read the rest of it as part of the host
    return None if host is None else host.rsplit("@", 1)[-1]


def display(target: str) -> str:
    """``postgresql://user@host:port/dbname``: never a password, whatever the input form."""
    p = params(target)
    if p is None:
        return "<a connection string libpq cannot read>"
    user = p.get("user")
    host = _host(p.get("host")) or ""
    port = p.get("port")
    where = host if not host.startswith("/") else ""
    if port and where:
        where += f":{port}"
    shown = (
        f"postgresql://{quote(user, safe='') + '@' if user else ''}{where}/{p.get('dbname', '')}"
    )
    if host.startswith("/"):  # a unix socket folder
        shown += f"?host={host}"
    return shown


def _secrets(target: str) -> list[str]:
    found: list[str] = []
    p = params(target) or {}
    for key in _SECRET_KEYS:
        if p.get(key):
            found.append(p[key])
    m = _URL_USERINFO.search(target)
    if m and ":" in m.group(2):  # everything after the user, up to the last @: the raw password
        found.append(m.group(2).split(":", 1)[1])
    if os.environ.get("PGPASSWORD"):
        found.append(os.environ["PGPASSWORD"])
    out: set[str] = set()
    for s in found:
        if len(s) >= 3:  # shorter ones would blank ordinary words
            out.update({s, quote(s, safe=""), unquote(s)})
    return sorted(out, key=len, reverse=True)


def scrub(text: str, target: str) -> str:
    """``text`` (a driver's error, say) with the target and any password in it removed."""
    if target:
        text = text.replace(target, display(target))
    for secret in _secrets(target):
        text = text.replace(secret, "***")
    text = _URL_USERINFO.sub(lambda m: m.group(1) + m.group(2).split(":", 1)[0] + "@", text)
    return _KV_SECRET.sub(lambda m: f"{m.group(1)}=***", text)


def tool_target(target: str) -> tuple[str, dict[str, str]]:
    """The target for a client program (pg_dump, psql): a DSN without the password, and an
    environment carrying it in PGPASSWORD, so ``ps`` never shows it."""
    from psycopg.conninfo import make_conninfo

    p = params(target)
    env = dict(os.environ)
    if p is None:
        return target, env
    password = p.pop("password", None)
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo("", **p), env
