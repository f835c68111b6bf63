"""Opening connections: URL from the environment, redaction, the pooler rule, bounded retries.

A target's password never leaves un-redacted: errors and logs use :func:`redact` and
:func:`scrub` (both :mod:`reconciler.conninfo`, libpq's own parser).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg

from reconciler import conninfo
from reconciler.errors import ApplyRefused, DatabaseUnavailable, ReconcilerError
from reconciler.retry import backoff

if TYPE_CHECKING:
    from reconciler.manifest.models import DatabaseSpec

__all__ = ["DatabaseTarget", "connect", "redact", "resolve_target", "scrub"]

# psycopg's own warnings are about its state, not the user's database: closing a pipeline a
# failed migration aborted logs "error ignored terminating <Pipeline ...>" (with the login
# and the database) beside the failure the apply reports itself
logging.getLogger("psycopg").setLevel(logging.ERROR)

_NO_RETRY = (
    "authentication failed",
    "does not exist",
    "no pg_hba.conf entry",
    "permission denied",
    "invalid connection option",
    "invalid dsn",
    # a value libpq or the server refuses (sslmode, a port, a timeout, options' -c): the URL
    # is wrong, and asking again only makes the user wait for the same answer
    "invalid ",
    "server does not support SSL",
    "sslmode value",
)


def redact(target: str) -> str:
    """The target as it may be shown: ``postgresql://user@host:port/dbname``, never a password."""
    return conninfo.display(target)


def scrub(text: str, target: str) -> str:
    """Remove the target and its password from a message (driver errors may echo them)."""
    return conninfo.scrub(text, target)


@dataclass(frozen=True)
class DatabaseTarget:
    url: str = field(repr=False)  # holds the password: never shown, logged or stored
    source: str = "given"  # "env:NAME", "secret" or "embedded"

    @property
    def redacted(self) -> str:
        return redact(self.url)

    @property
    def host(self) -> str:
        return conninfo.public_fields(self.url)["host"] or ""

    @property
    def public(self) -> dict[str, Any]:
        """Host, port, database and user: all the audit trail keeps."""
        return conninfo.public_fields(self.url)


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


def _source_of(target: DatabaseTarget) -> str:
    """Where the target came from, for a message: "in $DATABASE_URL_PROD ", or nothing."""
    kind, _, name = target.source.partition(":")
    return f"in ${name} " if kind == "env" else ("in the Secret " if kind == "secret" else "")


def _unreadable(url: str) -> str:
    """libpq's reason for not reading ``url``, with the URL itself left out."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(url)
    except Exception as e:  # (psycopg's ProgrammingError, or a TypeError for odd input)
        reason = str(e).strip().splitlines()[0] if str(e).strip() else ""
        reason = reason.split(' in URI: "')[0].split(" in connection info string")[0]
        # (what libpq quotes of an unreadable target can be a piece of its password, which
        # nothing here can tell apart: only a quoted character is kept)
        return re.sub(r'"([^"]*)"', lambda q: q[0] if len(q[1]) < 2 else '"…"', scrub(reason, url))
    return ""


def connect(
    target: DatabaseTarget,
    spec: DatabaseSpec,
    *,
    application_name: str,
    sleep: Callable[[float], None] = time.sleep,
) -> psycopg.Connection:
    """Connect with bounded retries and jittered backoff (Neon computes wake from suspend)."""
    if conninfo.params(target.url) is None:
        raise ReconcilerError(
            f"the database URL {_source_of(target)}is not one libpq can read"
            + (f": {why}" if (why := _unreadable(target.url)) else ""),
            code="bad-database-url",
            hint="write it as postgresql://user:password@host:port/dbname (a password's "
            "@ : / ? # [ ] % percent-encoded, e.g. %40 for @) or as key=value pairs; it is "
            "not shown here, as it may hold the password",
        )
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
