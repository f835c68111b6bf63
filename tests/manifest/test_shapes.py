"""The fast path of validation never accepts what the pydantic models reject, and gives what
they give: held to the models over the project's manifests and thousands of variations."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from reconciler.manifest import models as M
from reconciler.manifest.shapes import dump
from reconciler.manifest.yamldoc import load_yaml
from tests.conftest import REPO
from tests.manifest.test_specview import RICH

# values put in every place of a manifest, one at a time: each kind a field can hold, the
# edges of their constraints, and what the models coerce (which the fast path must leave them)
PALETTE: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    7,
    16,
    50,
    51,
    100,
    101,
    2**31,
    -(2**31) - 1,
    1.5,
    2.0,
    math.inf,
    math.nan,
    "",
    "x",
    "X",
    "abc\n",
    "ab c",
    "2s",
    " 2s",
    "2 s",
    "10min",
    "1h",
    "500ms",
    "5",
    "true",
    "latest",
    "0042",
    "error",
    "warning",
    "neon",
    "pg_dump",
    "database",
    "github",
    "integer",
    "a" * 9,
    "user-1",
    "my_key.sub",
    "DATABASE_URL",
    "Bad Name",
    "é",
    [],
    ["database"],
    ["database", "kubernetes"],
    ["x"],
    [1],
    [None],
    [{"name": "c", "sql": "SELECT 1"}],
    [{"slug": "a", "name": "A"}],
    {},
    {"a": 1},
    {"a": "b"},
    {"a": {"b": 1}},
    {"value": 1},
    {"value": 1, "type": "integer", "min": 0, "max": 5},
    {"namespace": "apps", "name": "x"},
    {"project_id": "p"},
    {1: "a"},
]


def _manifests() -> list[tuple[str, str, Any]]:
    """(name, model, data) for every manifest of the project and a rich environment."""
    out: list[tuple[str, str, Any]] = [("rich", "EnvironmentSpec", load_yaml(RICH, "rich")[0])]
    for path in sorted((REPO / "environments").glob("*.yaml")):
        out.append((path.name, "EnvironmentSpec", load_yaml(path.read_text(), str(path))[0]))
    for path in sorted((REPO / "manifests/config").glob("*.yaml")):
        out.append((path.name, "ConfigFileSpec", load_yaml(path.read_text(), str(path))[0]))
    path = REPO / "manifests/forum-map.yaml"
    out.append((path.name, "ForumMapSpec", load_yaml(path.read_text(), str(path))[0]))
    return out


def _places(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every position in ``data`` that holds a value."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield (*path, k)
            yield from _places(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield (*path, i)
            yield from _places(v, (*path, i))


def _maps(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(data, dict):
        yield path
        for k, v in data.items():
            yield from _maps(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _maps(v, (*path, i))


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        data = data[p]
    return data


def _variations(data: Any) -> Iterator[Any]:
    """The document with one value replaced, one key removed or one unknown key added."""
    for place in _places(data):
        for value in PALETTE:
            doc = copy.deepcopy(data)
            _at(doc, place[:-1])[place[-1]] = copy.deepcopy(value)
            yield doc
        parent = _at(data, place[:-1])
        if isinstance(parent, dict):
            doc = copy.deepcopy(data)
            del _at(doc, place[:-1])[place[-1]]
            yield doc
    for place in _maps(data):
        doc = copy.deepcopy(data)
        _at(doc, place)["no_such_key"] = 1
        yield doc
    for value in PALETTE:
        yield copy.deepcopy(value) if not isinstance(value, dict) else {**data, **value}


def _reference(model: str, data: Any) -> str | None:
    """The model's dump as JSON text (key order and int/float kept apart), None if rejected."""
    try:
        return json.dumps(getattr(M, model).model_validate(data).model_dump())
    except ValidationError:
        return None


@pytest.mark.parametrize(("name", "model", "data"), _manifests(), ids=lambda v: str(v)[:20])
def test_the_fast_path_is_never_looser_than_the_model(name: str, model: str, data: Any) -> None:
    """Wherever the fast path answers, the model accepts the same data and dumps the same
    thing, field for field and in order; and it answers for every manifest of the project
    and for most accepted variations (it is the path a user's manifests take)."""
    fast = dump(model, data)
    assert fast is not None, name
    assert json.dumps(fast) == _reference(model, data), name
    accepted = answered = tried = 0
    for doc in _variations(data):
        tried += 1
        ref = _reference(model, doc)
        got = dump(model, doc)
        if got is not None:
            answered += 1
            assert ref is not None, f"{name}: the fast path accepted what the model rejects: {doc}"
            assert json.dumps(got) == ref, f"{name}: {doc}"
        accepted += ref is not None
    assert tried > 100, name
    assert answered >= 0.6 * accepted, (name, answered, accepted)


def test_coercions_are_left_to_the_model() -> None:
    """What the model accepts only by converting it (a quoted number, a bool where a number
    goes, a duration with spaces), the fast path does not vouch for."""
    base = {"name": "x", "database": {"url_from_env": "X"}, "migrations": {"dir": "m"}}
    for policy in (
        {"lock_retries": "5"},
        {"lock_retries": True},
        {"lock_timeout": " 2s"},
        {"strict": "true"},
        {"strict": 1},
    ):
        assert dump("EnvironmentSpec", {**base, "policy": policy}) is None, policy
    assert dump("ConfigEntrySpec", {"value": 1, "min": True}) is None
    assert dump("ConfigEntrySpec", {"value": 1, "min": 0})["min"] == 0.0  # type: ignore[index]


def test_the_written_out_config_entry_is_the_declared_one() -> None:
    """A category file's entries are read by a hand-written copy of ConfigEntrySpec's shape
    (thousands per file): it answers as the declared shape does, value for value."""
    from reconciler.manifest import shapes

    assert frozenset(f[0] for f in shapes.SHAPES["ConfigEntrySpec"]) == shapes._ENTRY_FIELDS
    entry = {"value": {"a": [1, 2.5]}, "type": "object", "min": 1, "max": 2.5, "enum": [1]}
    for doc in [entry, *_variations(entry)]:
        generic = dump("ConfigEntrySpec", doc)
        try:
            written = shapes._config_entry(doc)
        except shapes._Unsure:
            written = None
        assert json.dumps(written) == json.dumps(generic), doc


def test_loading_a_valid_environment_imports_no_pydantic(tmp_path: Path) -> None:
    """`validate --env` of the project's environments and a category file read alone take
    the fast path: pydantic (about 0.08 s to import) is never loaded."""
    code = (
        "import sys\n"
        "from reconciler.files import LocalFiles\n"
        "from reconciler.manifest import load_environment\n"
        "from reconciler.manifest.load import read_category\n"
        f"root = {str(REPO)!r}\n"
        "for env in ('dev', 'staging', 'prod'):\n"
        "    d = load_environment(root + f'/environments/{env}.yaml', LocalFiles(), None)\n"
        "    assert d.config and d.forums is not None, env\n"
        "spec = read_category(open(root + '/manifests/config/xp.yaml').read(), 'xp.yaml')\n"
        "assert spec.entries\n"
        "print(sorted(m for m in sys.modules if m.startswith('pydantic')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
