"""The cached environment read back without pydantic is the environment pydantic validated."""

from __future__ import annotations

import copy
import pickle
import shutil
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from reconciler.files import LocalFiles
from reconciler.loadcache import load_cached
from reconciler.manifest import load_environment
from reconciler.manifest import models as M
from reconciler.manifest.codec import desired_from_json, desired_to_json
from reconciler.manifest.specview import FIELDS, MAPS, NESTED, SpecView
from reconciler.manifest.yamldoc import load_yaml
from tests.conftest import REPO

RICH = """\
name: rich
database: {url_from_env: DATABASE_URL_RICH, connect_attempts: 3, connect_timeout: 2s}
migrations:
  dir: ../manifests/migrations
  target: "0005"
  placeholders: {schema: app, ratio: 1.5, on: true}
config:
  files: [../manifests/config/*.yaml]
  overrides: {forum: {posts_per_page: 50}}
forum_map: ../manifests/forum-map.yaml
policy:
  strict: true
  require_safe_suffix: true
  rules: {ban-rename: warning}
  lock_timeout: 500ms
  lock_retries: 3
  schema_drift: warning
  schema_drift_ignore: ["extension:*"]
  approvals:
    required: 2
    approvers: [alice, bob, carol]
    sources: [database, kubernetes, github]
    kubernetes: {namespace: apps, name: forum-prod}
    github: {environment: production, logins: {alice-gh: alice}}
  backup: {provider: neon, keep: 3, timeout: 10min}
neon: {project_id: proj-1, branch: main}
audit: {webhook_url_from_env: AUDIT_URL, secret_from_env: AUDIT_SECRET}
watch: {paths: [extra], debounce_ms: 100}
checks:
  - {name: no-orphans, sql: "SELECT 1 WHERE false", description: none left}
  - {name: users-exist, sql: "SELECT count(*) > 0 FROM users"}
"""


def _spec_fields(cls: type[BaseModel]) -> dict[str, str]:
    """{field: the spec class it holds} as the pydantic model declares it."""
    out = {}
    for name, f in cls.model_fields.items():
        for arg in (f.annotation, *typing.get_args(f.annotation)):
            for inner in (arg, *typing.get_args(arg)):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    out[name] = inner.__name__
    return out


def test_the_field_tables_are_the_models() -> None:
    """FIELDS, NESTED and MAPS list every spec reachable from the three file formats, each
    with exactly its model's fields in order and every field that holds a spec (a new field on
    a model fails this until the tables have it)."""
    seen: dict[str, type[BaseModel]] = {}
    todo: list[type[BaseModel]] = [M.EnvironmentSpec, M.ConfigFileSpec, M.ForumMapSpec]
    while todo:
        cls = todo.pop()
        seen[cls.__name__] = cls
        todo += [getattr(M, n) for n in _spec_fields(cls).values() if n not in seen]
    assert set(FIELDS) == set(seen)
    for name, cls in seen.items():
        assert FIELDS[name] == tuple(cls.model_fields), name
        assert {**NESTED.get(name, {}), **MAPS.get(name, {})} == _spec_fields(cls), name
        assert not NESTED.get(name, {}).keys() & MAPS.get(name, {}).keys(), name


def _same(view: Any, model: Any, where: str) -> None:
    """Every field read through the view is what the model holds, nested specs alike."""
    if isinstance(model, BaseModel):
        assert isinstance(view, SpecView), where
        for name in FIELDS[type(model).__name__]:
            _same(getattr(view, name), getattr(model, name), f"{where}.{name}")
        assert view.model_dump(mode="json") == model.model_dump(mode="json"), where
        assert list(view.model_dump()) == list(model.model_dump()), where  # key order
        assert view == model and model == view, where
    elif isinstance(model, list) and model and isinstance(model[0], BaseModel):
        assert len(view) == len(model), where
        for i, (v, m) in enumerate(zip(view, model, strict=True)):
            _same(v, m, f"{where}[{i}]")
    else:
        assert view == model and type(view) is type(model), where


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "rich"])
def test_a_cached_environment_reads_as_the_validated_one(tmp_path: Path, env: str) -> None:
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, tmp_path / d)
    (tmp_path / "environments/rich.yaml").write_text(RICH)
    path = tmp_path / f"environments/{env}.yaml"
    desired = load_environment(str(path), LocalFiles(), None)
    # what pydantic makes of the file (the environment is loaded without it where it can be)
    model = M.EnvironmentSpec.model_validate(load_yaml(path.read_text(), str(path))[0])
    _same(desired.env, model, "env")
    back = desired_from_json(desired_to_json(desired))
    _same(back.env, model, "env")
    assert back == desired
    # the plan hash reads the policy's dump: the same text, key for key
    assert back.env.policy.model_dump(mode="json") == desired.env.policy.model_dump(mode="json")


def test_a_view_is_frozen_copyable_and_picklable() -> None:
    desired = load_environment(str(REPO / "environments/prod.yaml"), LocalFiles(), None)
    view = desired_from_json(desired_to_json(desired)).env
    with pytest.raises(TypeError):
        view.name = "other"
    with pytest.raises(AttributeError):
        _ = view.no_such_field
    db = view.database.model_copy(update={"connect_attempts": 1})
    assert db.connect_attempts == 1 and view.database.connect_attempts != 1
    assert db.url_from_env == view.database.url_from_env
    for other in (pickle.loads(pickle.dumps(view)), copy.deepcopy(view), copy.copy(view)):
        assert other == view and hash(other) == hash(view)
    assert view.model_dump() is not view.model_dump()  # a copy each time, as pydantic's
    assert "EnvironmentSpec(name='prod'" in repr(view)


@pytest.mark.parametrize(
    "damage",
    [
        lambda env: env.pop("policy"),
        lambda env: env.update(extra=1),
        lambda env: env["policy"].pop("strict"),
        lambda env: env["policy"]["approvals"].update(kubernetes={"namespace": "x"}),
        lambda env: env.update(checks=[{"name": "x"}]),
        lambda env: env.update(database="postgres://"),
    ],
    ids=["missing", "extra", "nested-missing", "nested-partial", "list-item", "not-a-spec"],
)
def test_a_cache_entry_of_another_shape_is_a_miss(damage: Any) -> None:
    desired = load_environment(str(REPO / "environments/prod.yaml"), LocalFiles(), None)
    doc = desired_to_json(desired)
    damage(doc["env"])
    with pytest.raises(ValueError):
        desired_from_json(doc)


def test_a_plan_from_the_cache_imports_no_pydantic(tmp_path: Path) -> None:
    """Reading the environment back from the cache costs no pydantic import (about 0.1 s)."""
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, tmp_path / d)
    env, cache = str(tmp_path / "environments/dev.yaml"), tmp_path / "cache"
    load_cached(env, LocalFiles(), cache)  # fills it
    code = (
        "import sys\n"
        "from reconciler.files import LocalFiles\n"
        "from reconciler.loadcache import load_cached\n"
        f"d = load_cached({env!r}, LocalFiles(), __import__('pathlib').Path({str(cache)!r}))\n"
        "assert d.env.policy.lock_timeout > 0 and d.env.database.connect_attempts > 0\n"
        "print(sorted(m for m in sys.modules if m.startswith('pydantic')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]", out.stdout
