"""The desired-state cache is used only while every input is unchanged (real files in tmp_path)."""

from __future__ import annotations

import json
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


def test_a_hit_decodes_a_migration_only_when_it_is_read(tree: Path) -> None:
    env = str(tree / "environments/dev.yaml")
    first = load_cached(env, LocalFiles(), tree / "cache")
    again = load_cached(env, LocalFiles(), tree / "cache")
    m0, m1 = again.migrations[0], again.migrations[1]
    assert "_raw" in vars(m0.source) and "statements" not in vars(m0.source)
    assert (m0.checksum, m0.source.path) == (first.migrations[0].checksum, first.migrations[0].path)
    assert "_raw" in vars(m0.source)  # the checksum and path need no decoding
    assert m0.source.statements == first.migrations[0].source.statements
    assert "_raw" not in vars(m0.source) and "_raw" in vars(m1.source)
    assert m0.source == first.migrations[0].source and first.migrations[0].source == m0.source
    assert m1.source != m0.source


def test_a_corrupt_cached_source_is_a_clear_error(tree: Path) -> None:
    from reconciler.errors import ReconcilerError

    env = str(tree / "environments/dev.yaml")
    load_cached(env, LocalFiles(), tree / "cache")
    (entry,) = (tree / "cache").iterdir()
    doc = json.loads(entry.read_text())
    migrations = doc["desired"]["migrations"]
    migrations[0][7] = migrations[0][7][:-5]  # a cut-off source
    migrations[1][7] = migrations[2][7]  # another file's source
    entry.write_text(json.dumps(doc))
    again = load_cached(env, LocalFiles(), tree / "cache")
    for m in again.migrations[:2]:
        with pytest.raises(ReconcilerError) as e:
            _ = m.source.statements
        assert e.value.code == "cache-corrupt" and "RECONCILER_NO_CACHE" in (e.value.hint or "")
    assert again.migrations[2].source.statements  # the others are sound
