"""The desired-state cache is used only while every input is unchanged (real files in tmp_path)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.files import LocalFiles
from reconciler.loadcache import RecordingFiles, load_cached
from tests.conftest import REPO


class CountingFiles(LocalFiles):
    def __init__(self) -> None:
        self.reads = 0

    def read_text(self, path: str) -> str:
        self.reads += 1
        return super().read_text(path)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, tmp_path / d)
    return tmp_path


def test_hit_miss_and_invalidation(tree: Path) -> None:
    env = str(tree / "environments/dev.yaml")
    cache = tree / "cache"
    first = load_cached(env, LocalFiles(), cache)
    again = load_cached(env, LocalFiles(), cache)
    assert again == first and again is not first  # from the pickle
    # each kind of input change is seen
    cfg = tree / "manifests/config/xp.yaml"
    cfg.write_text(cfg.read_text().replace("value: 5\n", "value: 6\n"))
    changed = load_cached(env, LocalFiles(), cache)
    assert changed.config is not None
    assert {c.key: c.value for c in changed.config if c.category == "xp"}["per_post"] == 6
    (tree / "manifests/migrations/0099_new_safe.sql").write_text("CREATE TABLE n (id int);\n")
    assert load_cached(env, LocalFiles(), cache).migrations[-1].version == "0099"
    (tree / "manifests/config/extra.yaml").write_text("category: extra\nentries: {a: {value: 1}}\n")
    assert any(c.category == "extra" for c in load_cached(env, LocalFiles(), cache).config or [])


def test_errors_are_never_cached(tree: Path) -> None:
    env = tree / "environments/dev.yaml"
    good = env.read_text()
    env.write_text(good + "bogus: 1\n")
    for _ in range(2):
        with pytest.raises(ManifestError):
            load_cached(str(env), LocalFiles(), tree / "cache")
    env.write_text(good)
    assert load_cached(str(env), LocalFiles(), tree / "cache").env.name == "dev"


def test_corrupt_entry_is_a_miss(tree: Path) -> None:
    env = str(tree / "environments/dev.yaml")
    load_cached(env, LocalFiles(), tree / "cache")
    for p in (tree / "cache").iterdir():
        p.write_bytes(b"not a pickle")
    assert load_cached(env, LocalFiles(), tree / "cache").env.name == "dev"


def test_recording_notes_failures(tree: Path) -> None:
    rec = RecordingFiles(LocalFiles())
    with pytest.raises(FileNotFoundError):
        rec.read_text(str(tree / "nope.yaml"))
    assert rec.ops[0][2] == "!FileNotFoundError"
