"""Passwords never leak: every way of writing one x every verb x text and json x the audit row.

The test server trusts local logins, so a password in the target is carried everywhere the
target goes without being needed; each output is searched for it (as written, decoded and
encoded). An unreachable server makes the driver's error messages part of the search too.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.cli.test_cli import _closed_port
from tests.conftest import query, run_cli

SECRETS = {
    "hash-in-url": "Pa#Hash2Sekr1t",
    "question-in-url": "Pa?Quest2Sekr1t",
    "at-encoded": "Pa@Enc2Sekr1t",
    "query-param": "QuerySekr1t9",
    "key-value": "KvSekr1t77x",
    "pgpassword": "EnvSekr1t55y",
}


def _target(
    form: str, host: str, dbname: str, port: str | None = None
) -> tuple[str, dict[str, str]]:
    pw = SECRETS[form]
    hostpart = f"host={host}" if host.startswith("/") else ""
    netloc_host = "" if host.startswith("/") else f"{host}:{port}"
    q = f"?{hostpart}" if hostpart else ""
    env: dict[str, str] = {}
    if form in ("hash-in-url", "question-in-url"):
        url = f"postgresql://postgres:{pw}@{netloc_host}/{dbname}{q}"
    elif form == "at-encoded":
        url = f"postgresql://postgres:{quote(pw, safe='')}@{netloc_host}/{dbname}{q}"
    elif form == "query-param":
        url = f"postgresql://postgres@{netloc_host}/{dbname}{q}{'&' if q else '?'}password={pw}"
    elif form == "key-value":
        url = f"host={host} {'port=' + port if port else ''} dbname={dbname} user=postgres password={pw}"
    else:
        url = f"postgresql://postgres@{netloc_host}/{dbname}{q}"
        env["PGPASSWORD"] = pw
    return url, env


def _leaks(text: str, form: str) -> list[str]:
    pw = SECRETS[form]
    return [v for v in {pw, quote(pw, safe=""), pw[2:]} if v in text]


VERBS = [
    ("plan", "text"),
    ("plan", "json"),
    ("status", "text"),
    ("status", "json"),
    ("apply", "json"),
    ("history", "json"),
    ("approvals", "json"),
    ("audit", "text"),
    ("audit", "json"),
    ("init",),
    ("backup",),
]


@pytest.mark.parametrize("form", sorted(SECRETS))
def test_no_verb_shows_or_stores_the_password(project: Path, db_url: str, form: str) -> None:
    p = conninfo_to_dict(db_url)
    url, extra = _target(form, str(p["host"]), str(p["dbname"]))
    env = {"DATABASE_URL_STAGING": url, **extra}
    for verb in VERBS:
        args = ["--env", "staging"] + (["--format", verb[1]] if len(verb) > 1 else [])
        r = run_cli(project, verb[0], *args, env=env)
        assert r.returncode in (0, 2, 3), (verb, r.stderr)
        assert not _leaks(r.stdout + r.stderr, form), (verb, r.stdout + r.stderr)
    rows = query(
        db_url, "SELECT details::text, actor, coalesce(reason, '') FROM reconciler.audit_log"
    )
    assert rows and not _leaks(repr(rows), form)
    stored = query(
        db_url,
        "SELECT details->'database' FROM reconciler.audit_log WHERE action = 'apply.started'",
    )
    assert stored and set(stored[0][0]) == {"host", "port", "dbname", "user"}
    assert stored[0][0]["user"] == "postgres" and stored[0][0]["dbname"] == p["dbname"]
    # the pg_dump backup got the password through its environment, and its dump is usable
    assert any(".dump" in f.name for f in (project / ".reconciler/backups/staging").iterdir())


@pytest.mark.parametrize("form", sorted(SECRETS))
def test_connection_errors_never_show_the_password(project: Path, form: str) -> None:
    env_file = project / "environments/staging.yaml"
    env_file.write_text(
        env_file.read_text().replace(
            "  url_from_env: DATABASE_URL_STAGING",
            "  url_from_env: DATABASE_URL_STAGING\n  connect_attempts: 1",
        )
    )
    url, extra = _target(form, "127.0.0.1", "forum", str(_closed_port()))
    for verb, fmt in (("plan", "json"), ("status", "json"), ("apply", "text"), ("audit", "json")):
        r = run_cli(
            project,
            verb,
            "--env",
            "staging",
            "--format",
            fmt,
            env={"DATABASE_URL_STAGING": url, **extra},
        )
        assert (
            r.returncode == 1 and "cannot connect to postgresql://postgres@127.0.0.1:" in r.stderr
        ), r.stderr
        assert not _leaks(r.stdout + r.stderr, form), r.stderr


@pytest.mark.parametrize(
    ("url", "secret", "reason"),
    [
        # a password with a space, unquoted, in key=value form: libpq quotes its second word
        ("host=127.0.0.1 port=5 user=bob password=Sekr1t Sp4ceSekr1t", "Sp4ceSekr1t", None),
        ("postgresql://bob:Br4cketSekr1t@[::1/forum", "Br4cketSekr1t", 'matching "]"'),
        ("postgresql://bob:Qu3rySekr1t@h:5/forum?Qu3rySekr1t=1", "Qu3rySekr1t", "query param"),
        ("Qu1teS1mplySekr1t", "Qu1teS1mplySekr1t", None),
    ],
)
def test_a_url_libpq_cannot_read_is_a_located_error_without_its_secret(
    project: Path, url: str, secret: str, reason: str | None
) -> None:
    """An unreadable target is told as such (where it came from, what libpq said of it, how
    to write one), not as a driver error about a connection string; what libpq quotes of it
    can be a piece of the password, so no such piece is shown."""
    for verb in ("plan", "apply", "status"):
        r = run_cli(project, verb, "--env", "staging", env={"DATABASE_URL_STAGING": url})
        out = r.stdout + r.stderr
        assert r.returncode == 1, out
        assert (
            "error[bad-database-url]: the database URL in $DATABASE_URL_STAGING is not one libpq "
            "can read" in out
        ), out
        assert "help: write it as postgresql://user:password@host:port/dbname" in out
        assert reason is None or reason in out, out
        assert secret not in out and secret[:6] not in out, out
