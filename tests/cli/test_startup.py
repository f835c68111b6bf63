"""The command's start: psycopg and its compiled part get their versions without
importlib.metadata, the same versions it would have read, and a layout the shortcut does not
know leaves them to read it themselves."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys
import reconciler.cli as cli
if sys.argv[1] == "hide":  # a layout without the .dist-info folders the shortcut reads
    import os
    real = os.listdir
    os.listdir = lambda p=".": [n for n in real(p) if not n.endswith(".dist-info")]
    cli._seed_versions()
    os.listdir = real
else:
    cli._seed_versions()
seeded = "importlib.metadata" not in sys.modules
import psycopg, psycopg_binary
from psycopg import _cmodule
seeded = seeded and "importlib.metadata" not in sys.modules
from importlib import metadata
print(json.dumps({
    "without_metadata": seeded,
    "psycopg": [psycopg.__version__, metadata.version("psycopg")],
    "binary": [psycopg_binary.__version__, _cmodule.__version__, metadata.version("psycopg-binary")],
}))
"""


def _probe(mode: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return dict(json.loads(out.stdout))


def test_psycopg_learns_its_version_without_importlib_metadata() -> None:
    got = _probe("seed")
    assert got["without_metadata"] is True
    psycopg_v, real = got["psycopg"]  # type: ignore[misc]
    assert psycopg_v == real and real.count(".") >= 2
    binary, cmodule, real_binary = got["binary"]  # type: ignore[misc]
    assert binary == cmodule == real_binary


def test_an_unknown_layout_reads_the_version_as_before() -> None:
    got = _probe("hide")
    assert got["without_metadata"] is False
    assert got["psycopg"][0] == got["psycopg"][1]  # type: ignore[index]
