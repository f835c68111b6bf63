"""ban-credentials: passwords, connection strings and key-shaped tokens in SQL, comments included.

The message never repeats the secret; it names the kind and the position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import FileContext, Hit, Rule

PATTERNS = [
    (re.compile(r"\bPASSWORD\s+'[^']+'", re.IGNORECASE), "a password literal"),
    (
        re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:[^\s@/'\"]+@", re.IGNORECASE),
        "a connection string with a password",
    ),
    (
        re.compile(
            r"\b(?:password|passwd|pwd|secret|api[_-]?key|token)\s*[=:]\s*['\"]?[^\s'\";]{6,}",
            re.IGNORECASE,
        ),
        "a credential assignment",
    ),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}\b"), "a Stripe secret key"),
    (re.compile(r"\bnapi_[A-Za-z0-9]{30,}\b"), "a Neon API key"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        "a JSON web token",
    ),
]


_ANY = re.compile(
    "|".join(
        f"(?P<p{n}>(?i:{p.pattern}))" if p.flags & re.IGNORECASE else f"(?P<p{n}>{p.pattern})"
        for n, (p, _) in enumerate(PATTERNS)
    )
)


# every pattern contains one of these (lower-cased); most files contain none, so skip them cheaply
_MARKERS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "api_key",
    "api-key",
    "apikey",
    "token",
    "://",
    "akia",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "xox",
    "_live_",
    "napi_",
    "-----begin",
    "eyj",
)


def check_file(ctx: FileContext) -> Iterator[Hit]:
    text = ctx.source.text
    low = text.lower()
    if not any(m in low for m in _MARKERS):
        return
    for m in _ANY.finditer(text):  # one pass over the file for every pattern
        what = PATTERNS[int((m.lastgroup or "p0")[1:])][1]
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        yield Hit(
            f"{what} is written in the migration",
            "never commit credentials: create roles and secrets outside migrations, from a secret store",
            line,
            col,
        )


RULE = Rule(
    "ban-credentials",
    "error",
    "error",
    "no credentials in SQL, comments included",
    check_file=check_file,
)
