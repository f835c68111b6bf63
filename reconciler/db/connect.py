"""Opening connections: URL from the environment, redaction, the pooler rule, bounded retries.

A URL's password never leaves this module un-redacted: errors and logs use :func:`redact`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg

from reconciler.errors import ApplyRefused, DatabaseUnavailable, ReconcilerError
from reconciler.manifest.models import DatabaseSpec
from reconciler.retry import backoff

__all__ = ["DatabaseTarget", "connect", "redact", "resolve_target", "scrub"]

_NO_RETRY = (
    "authentication failed",
    "does not exist",
    "no pg_hba.conf entry",
    "permission denied",
    "invalid connection option",
    "invalid dsn",
)


def redact(url: str) -> str:
    """The URL with its password (in the netloc or the query) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"password=\S+", "password=***", url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user, pw = userinfo.split(":", 1)
            userinfo = f"{user}:***" if pw else user
        netloc = f"{userinfo}@{host}"
    query = parts.query
    if query:
        q = [
            (k, "***" if k.lower() in ("password", "sslpassword") else v)
            for k, v in parse_qsl(query, keep_blank_values=True)
        ]
        query = urlencode(q, safe="/*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, url: str) -> str:
    """Remove the URL and its password from a message (driver errors may echo them)."""
    try:
        parts = urlsplit(url)
        pw = parts.password
    except ValueError:
        pw = None
    text = text.replace(url, redact(url))
    if pw:
        text = text.replace(pw, "***")
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text)


@dataclass(frozen=True)
class DatabaseTarget:
    url: str
    source: str  # "env:NAME" or "embedded"

    @property
    def redacted(self) -> str:
        return redact(self.url)

    @property
    def host(self) -> str:
        try:
            return urlsplit(self.url).hostname or ""
        except ValueError:
            return ""


def resolve_target(
    spec: DatabaseSpec,
    environment: str,
    embedded: Callable[[str], str] | None,
    url: str | None = None,
) -> DatabaseTarget:
    """The given URL (the operator reads it from a Secret), the URL from ``url_from_env``,
    or the embedded server when that is allowed."""
    if url:
        return DatabaseTarget(url, "secret")
    if spec.url_from_env and os.environ.get(spec.url_from_env):
        return DatabaseTarget(os.environ[spec.url_from_env], f"env:{spec.url_from_env}")
    if spec.embedded and embedded is not None:
        return DatabaseTarget(embedded(environment), "embedded")
    var = spec.url_from_env or "a variable named in database.url_from_env"
    raise ReconcilerError(  # not transient: nothing changes until someone sets it
        f"no database for environment {environment}: {var} is not set",
        hint=f"export {var}=postgresql://user@host/db (password via PGPASSWORD or ~/.pgpass"
        " also works), or set database.embedded: true for a local embedded Postgres",
        code="no-database",
    )


def refuse_pooler(target: DatabaseTarget) -> None:
    """Apply needs a direct connection: PgBouncer transaction pooling breaks session state."""
    host = target.host
    if "-pooler." in host or host.endswith("-pooler"):
        direct = host.replace("-pooler", "", 1)
        raise ApplyRefused(
            f"refusing to apply through the Neon pooler host {host}",
            hint=f"use the direct host {direct}: PgBouncer transaction pooling breaks session "
            "advisory locks, SET and CREATE INDEX CONCURRENTLY",
            code="pooler-host",
        )


def connect(
    target: DatabaseTarget,
    spec: DatabaseSpec,
    *,
    application_name: str,
    sleep: Callable[[float], None] = time.sleep,
) -> psycopg.Connection:
    """Connect with bounded retries and jittered backoff (Neon computes wake from suspend)."""
    last = ""
    attempts = spec.connect_attempts
    for attempt in range(attempts):
        try:
            return psycopg.connect(
                target.url,
                autocommit=True,
                application_name=application_name[:63],
                connect_timeout=max(1, spec.connect_timeout // 1000),
            )
        except psycopg.OperationalError as e:
            last = scrub(
                str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__, target.url
            )
            if any(s in last for s in _NO_RETRY) or attempt == attempts - 1:
                break
            sleep(backoff(attempt, initial=0.25, maximum=8.0))
    raise DatabaseUnavailable(
        f"cannot connect to {target.redacted} after {attempt + 1} attempt(s): {last}",
        hint="check the URL, that the database is running and reachable, and the credentials",
    )
