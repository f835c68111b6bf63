"""What a credential looks like in text: password literals, connection strings and DSNs with a
password, assignments to password-ish names, and the token formats of well-known services.

Pure and light (no parser): the SQL rule ``ban-credentials`` and the manifest loader (config
values, forum settings) both use it. A match says what kind of secret it is, never the secret.
"""

from __future__ import annotations

import re

__all__ = [
    "MARKERS",
    "PATTERNS",
    "SECRET_COLUMN",
    "SECRET_KEYS",
    "excerpt",
    "find",
    "secret_value",
]

# a string or dollar-quoted literal (to its end, or to the end of the excerpt)
_LITERAL = re.compile(r"(?:[EeUu]&?)?'(?:[^']|'')*(?:'|$)|\$(\w*)\$.*?(?:\$\1\$|$)", re.S)


def excerpt(sql: str, limit: int | None = None) -> str:
    """SQL as an error or a report may show it: on one line, cut to ``limit`` characters,
    every string or dollar-quoted literal shown as '…' (a password or a token in a statement
    the checker did not take for one must still not be printed)."""
    one_line = " ".join(sql.split())
    return _LITERAL.sub("'…'", one_line if limit is None else one_line[:limit])


_PLACEHOLDER = r"(?:\$\{[^\s'\"{}@]*\}|\{\{[^'\"{}@]*\}\})"

PATTERNS = [
    # (a value that is only a template's placeholder, ${password} or {{ .Password }}, is
    # filled in when the file is run: no credential is written in it)
    (
        re.compile(rf"\bPASSWORD\s+'(?!{_PLACEHOLDER}')[^']+'", re.IGNORECASE),
        "a password literal",
    ),
    (
        re.compile(
            rf"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]*:(?!{_PLACEHOLDER}@)[^\s@/'\"]+@", re.IGNORECASE
        ),
        "a connection string with a password",
    ),
    (
        re.compile(
            # (a function call is no literal: token = gen_random_uuid()::text)
            r"\b(?:password|passwd|pwd|secret|api[_-]?key|token)\s*[=:]\s*['\"]?"
            rf"(?!{_PLACEHOLDER}(?![^\s'\";(]))[^\s'\";(]{{6,}}+(?!\()",
            re.IGNORECASE,
        ),
        "a credential assignment",
    ),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"), "a GitHub token"),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}\b"), "a Stripe secret key"),
    (re.compile(r"\bnapi_[A-Za-z0-9]{30,}\b"), "a Neon API key"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{32,}\b"), "an API secret key"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        "a JSON web token",
    ),
]

# every pattern contains one of these (lower-cased); most texts contain none: skip them cheaply
MARKERS = (
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
    "github_pat_",
    "xox",
    "_live_",
    "napi_",
    "sk-",
    "-----begin",
    "eyj",
)

SECRET_KEYS = re.compile(
    r"(?i)^(password|passwd|pwd|secret|client_secret|api_key|apikey|api-key|token|"
    r"access_token|auth_token|private_key)$"
)

ANY = re.compile(
    "|".join(
        f"(?P<p{n}>(?i:{p.pattern}))" if p.flags & re.IGNORECASE else f"(?P<p{n}>{p.pattern})"
        for n, (p, _) in enumerate(PATTERNS)
    )
)

_MARKER = re.compile("|".join(re.escape(m) for m in MARKERS))  # one scan of the text, not 22


# how far before its marker a match can start (a URL's scheme) and after it end (a quoted
# password): the patterns are only tried near a marker, not over a whole large file
_BEFORE, _AFTER = 64, 4096


def find(text: str) -> list[tuple[int, str]]:
    """(offset, kind) of every credential-shaped span in ``text``."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: offsets differ
        if _MARKER.search(lowered) is None:
            return []
        return [
            (m.start(), PATTERNS[int((m.lastgroup or "p0")[1:])][1]) for m in ANY.finditer(text)
        ]
    windows: list[list[int]] = []
    for m in _MARKER.finditer(lowered):
        start, end = max(0, m.start() - _BEFORE), m.end() + _AFTER
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    found: list[tuple[int, str]] = []
    for start, end in windows:
        for m in ANY.finditer(text, start, min(end, len(text))):
            found.append((m.start(), PATTERNS[int((m.lastgroup or "p0")[1:])][1]))
    return found


# a column that holds a credential (or its hash: a known account's password hash lets anyone
# who reads the repository log in as it): the name's last word, with a hash-ish suffix at most
SECRET_COLUMN = re.compile(
    r"(?i)^(?:[a-z0-9_]*_)?(password|passwd|pwd|secret|api_?key|private_key|access_key|"
    r"secret_key|token)(?:_(?:hash|hashed|digest|encrypted|enc|base|bcrypt))?$"
)
_NOT_SECRET = re.compile(
    r"(?i)^(?:|true|false|null|none|n/a|-?[0-9.]+|\d{4}-\d\d-\d\d.*|\$\{.*\}|\{\{.*\}\}|:[a-z_]+|<.*>)$"
)


def secret_value(column: str, value: str) -> bool:
    """A literal written into a credential column looks like a credential: not empty, a
    number, a date, a template placeholder or a short word (``token_type = 'refresh'`` is
    a token column only by name)."""
    m = SECRET_COLUMN.match(column)
    if m is None:
        return False
    v = value.strip()
    if _NOT_SECRET.match(v) or any(c.isspace() for c in v):
        return False
    return len(v) >= (16 if m.group(1).lower() == "token" else 6)
