"""Every problem the package reports says what to do about it: each Diagnostic it constructs
carries a hint (bad input gets a located error plus a hint, a standard of the project)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO


def _unhinted() -> list[str]:
    out = []
    for path in sorted((REPO / "reconciler").rglob("*.py")):
        if path.name == "errors.py":
            continue  # (the error tree's placeholder for an empty list, never shown)
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name != "Diagnostic":
                continue
            keywords = {k.arg for k in node.keywords}
            if len(node.args) < 4 and "hint" not in keywords and None not in keywords:
                out.append(f"{Path(path).relative_to(REPO)}:{node.lineno}")
    return out


def test_every_diagnostic_the_package_makes_has_a_hint() -> None:
    assert _unhinted() == []
