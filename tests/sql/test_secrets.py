"""reconciler.sql.secrets.find: credential-shaped spans, looked for only near the words and
prefixes every pattern contains, with the same answer as a scan of the whole text."""

from __future__ import annotations

import random

from reconciler.sql import secrets


def _whole_text(text: str) -> list[tuple[int, str]]:
    """The reference: every pattern over all of ``text``."""
    if secrets._MARKER.search(text.lower()) is None:
        return []
    return [
        (m.start(), secrets.PATTERNS[int((m.lastgroup or "p0")[1:])][1])
        for m in secrets.ANY.finditer(text)
    ]


SAMPLES = [
    "ALTER ROLE app PASSWORD 'hunter2hunter2'",
    "postgres://app:pw12345@db.example.com/forum",
    "AKIAABCDEFGHIJKLMNOP",
    "ghp_" + "a" * 36,
    "-----BEGIN RSA PRIVATE KEY-----",
    "api_key = 'abcdefghijkl'",
    "eyJabcdefghij.eyJabcdefghij.abcdefghij",
    "sk-" + "b" * 40,
    "token: gen_random_uuid()",
    "İstanbul password='abcdefgh'",  # a character whose lower case is longer
]


def test_the_same_spans_as_a_scan_of_the_whole_text() -> None:
    rnd = random.Random(20261129)
    for _ in range(400):
        parts = [
            rnd.choice(SAMPLES) if rnd.random() < 0.3 else "x" * rnd.randint(0, 9000)
            for _ in range(rnd.randint(1, 8))
        ]
        text = rnd.choice([" ", "\n", "'", ";\n-- "]).join(parts)
        assert secrets.find(text) == _whole_text(text)


def test_far_apart_credentials_in_a_large_file_are_each_found() -> None:
    filler = "SELECT 1;\n" * 50_000
    text = f"{SAMPLES[0]};\n{filler}{SAMPLES[1]}\n{filler}{SAMPLES[2]}\n"
    found = secrets.find(text)
    assert [kind for _, kind in found] == [
        "a password literal",
        "a connection string with a password",
        "an AWS access key id",
    ]
    assert found == _whole_text(text)
