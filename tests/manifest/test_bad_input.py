"""Bad input a new user, a fault injector or an attacker brings is refused at load, located,
before anything is applied (issue 11's reproductions, one test each)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reconciler.errors import ManifestError, format_diagnostic
from reconciler.files import LocalFiles
from reconciler.manifest import load_environment
from tests.conftest import REPO, query, run_cli


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the sample project (no database needed)."""
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, tmp_path / d)
    return tmp_path


def problems(root: Path, env: str = "dev") -> list[str]:
    with pytest.raises(ManifestError) as e:
        load_environment(f"{root}/environments/{env}.yaml", LocalFiles(), str(root))
    return [format_diagnostic(d).replace(str(root) + "/", "") for d in e.value.diagnostics]


def _bomb(levels: int) -> str:
    lines = [
        "category: forum",
        "entries:",
        "  bomb:",
        "    value:",
        "      l0: &l0 [x, x, x, x, x, x, x, x, x]",
    ]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"      l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [6, 10])
def test_a_yaml_alias_bomb_is_refused(tree: Path, levels: int) -> None:
    (tree / "manifests/config/bomb.yaml").write_text(_bomb(levels))
    (found,) = [p for p in problems(tree) if "bomb.yaml" in p]
    assert "error[yaml-alias-limit]" in found and found.startswith("manifests/config/bomb.yaml:")


def test_a_recursive_alias_is_refused(tree: Path) -> None:
    (tree / "manifests/config/loop.yaml").write_text(
        "category: loop\nentries:\n  x: &x\n    value: [*x]\n"
    )
    assert any("error[yaml-recursive-alias]" in p for p in problems(tree))


def test_a_huge_yaml_file_is_refused(tree: Path) -> None:
    big = "category: big\nentries:\n" + "".join(
        f"  key_{i}: {{value: {'x' * 200!r}}}\n" for i in range(55_000)
    )
    (tree / "manifests/config/big.yaml").write_text(big)
    assert any("error[file-too-large]" in p and "big.yaml" in p for p in problems(tree))


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "manifests/config/general.yaml",
            "value: Degentalk",
            'value: "For\\0um"',
            "error[nul-byte]",
        ),
        ("manifests/forum-map.yaml", "name: Community", 'name: "Comm\\0unity"', "error[nul-byte]"),
        ("manifests/config/xp.yaml", "value: 1000", "value: .nan", "error[bad-number]"),
        ("manifests/config/xp.yaml", "value: 1000", "value: .inf", "error[bad-number]"),
        ("manifests/config/xp.yaml", "value: 1000", "value: 9007199254740993", "error[bad-number]"),
        (
            "manifests/forum-map.yaml",
            "name: Community",
            "name: Community\n    position: 99999999999",
            "error[wrong-type]",
        ),
        (
            "manifests/config/general.yaml",
            "  site_name:",
            '  "site_name\\n":\n    value: evil\n  site_name:',
            "error[control-character]",
        ),
        (
            "manifests/config/general.yaml",
            "value: Degentalk",
            "value: 'postgresql://:pw1234@db.example.com/forum'",
            "error[literal-secret]",
        ),
        (
            "manifests/config/general.yaml",
            "value: Degentalk",
            "value: 'host=db.example.com user=app password=hunter22'",
            "error[literal-secret]",
        ),
        (
            "manifests/forum-map.yaml",
            "name: Community",
            "name: Community\n    settings: {webhook: {api_key: abcdef123456}}",
            "error[literal-secret]",
        ),
        (
            "manifests/forum-map.yaml",
            "name: Community",
            "name: Community\n    settings: {mirror: 'https://bot:s3cr3tpass@example.com/x'}",
            "error[literal-secret]",
        ),
        # a tag the loader would otherwise drop, storing its text: !secret x would be "x"
        ("manifests/config/general.yaml", "value: Degentalk", "value: !secret name", "yaml-tag"),
        ("manifests/config/xp.yaml", "value: 1000", "value: !!binary aGVsbG8=", "yaml-tag"),
        ("manifests/config/xp.yaml", "value: 1000", "value: !!int many", "yaml-tag"),
        ("manifests/forum-map.yaml", "name: Community", "name: !!python/str x", "yaml-tag"),
        ("manifests/config/xp.yaml", "entries:", "entries: !!set", "yaml-tag"),
    ],
)
def test_bad_values_are_located(tree: Path, file: str, old: str, new: str, expected: str) -> None:
    path = tree / file
    assert old in path.read_text(), (file, old)
    path.write_text(path.read_text().replace(old, new, 1))
    found = [p for p in problems(tree) if expected in p]
    assert found and found[0].startswith(f"{file}:"), problems(tree)
    assert "pw1234" not in str(found) and "hunter22" not in str(found)


def test_the_core_schema_tags_give_their_types() -> None:
    from reconciler.manifest.yamldoc import load_yaml

    data, _ = load_yaml(
        "a: !!str 20\nb: !!int 0x1F\nc: !!float 3\nd: !!bool true\ne: !!null\n"
        "f: 20\ng: '20'\nh: !!map {x: 1}\ni: !!seq [1]\n",
        "f.yaml",
    )
    assert data == {
        "a": "20",
        "b": 31,
        "c": 3.0,
        "d": True,
        "e": None,
        "f": 20,
        "g": "20",
        "h": {"x": 1},
        "i": [1],
    }
    assert isinstance(data["c"], float)
    with pytest.raises(ManifestError) as e:
        load_yaml("a: 1\nb: !!seq {x: 1}\n!k c: 2\n? [d]\n: 3\n", "f.yaml")
    assert [(d.code, str(d.location)) for d in e.value.diagnostics] == [
        ("yaml-tag", "f.yaml:2:4"),
        ("yaml-tag", "f.yaml:3:1"),
        ("yaml-complex-key", "f.yaml:4:3"),
    ]


def test_the_non_specific_tag_makes_a_plain_value_text() -> None:
    """``! 20`` is the text "20" (YAML's non-specific tag), wherever it is written; a "!"
    inside a value or a comment changes nothing."""
    from reconciler.manifest.yamldoc import load_yaml

    data, _ = load_yaml(
        "a: ! 20\nb: [! true, 3, !!int 4]\nc:\n  - ! null\n  - !\n    7\n"
        'd: "wow !"\ne: 5 # hi !\nf: a ! b\ng: &x ! 1.5\nh: *x\n',
        "f.yaml",
    )
    assert data == {
        "a": "20",
        "b": ["true", 3, 4],
        "c": ["null", "7"],
        "d": "wow !",
        "e": 5,
        "f": "a ! b",
        "g": "1.5",
        "h": "1.5",
    }
    assert load_yaml("! 3\n", "f.yaml")[0] == "3"
    with pytest.raises(ManifestError) as e:
        load_yaml('a: ! "x\\0"\n', "f.yaml")
    assert [d.code for d in e.value.diagnostics] == ["nul-byte"]


def test_a_nul_byte_in_sql_is_found_at_load_and_nothing_is_applied(
    project: Path, db_url: str
) -> None:
    (project / "manifests/migrations/0008_nul_safe.sql").write_bytes(
        b"-- Description: x\nCREATE TABLE a (id int);\nSELECT '\x00';\n"
    )
    r = run_cli(project, "apply", "--env", "dev")
    assert r.returncode == 1
    assert "manifests/migrations/0008_nul_safe.sql:3:9: error[nul-byte]" in r.stderr
    assert query(db_url, "SELECT to_regclass('app_config')") == [(None,)]  # not even 0001


def test_versions_compare_as_numbers(tree: Path) -> None:
    mig = tree / "manifests/migrations"
    (mig / "9999_nines_safe.sql").write_text("CREATE TABLE n (id int);\n")
    (mig / "10000_ten_thousand_safe.sql").write_text("CREATE TABLE t (id int);\n")
    d = load_environment(f"{tree}/environments/dev.yaml", LocalFiles(), str(tree))
    assert [m.version for m in d.migrations][-2:] == ["9999", "10000"]
    (mig / "00008_again_safe.sql").write_text("CREATE TABLE a (id int);\n")
    (mig / "0008_first_safe.sql").write_text("CREATE TABLE b (id int);\n")
    found = [p for p in problems(tree) if "duplicate-version" in p]
    assert len(found) == 1 and "0008 and 00008 are the same" in found[0]


def test_paths_outside_the_project_are_refused(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "migrations").mkdir()
    (outside / "migrations/0001_x_safe.sql").write_text("CREATE TABLE x (id int);\n")
    dev = tree / "environments/dev.yaml"
    text = dev.read_text()
    # 1. migrations.dir that climbs out
    dev.write_text(
        text.replace(
            "dir: ../manifests/migrations",
            f"dir: {os.path.relpath(outside / 'migrations', tree / 'environments')}",
        )
    )
    assert any(
        "error[outside-root]" in p and p.startswith("environments/dev.yaml:")
        for p in problems(tree)
    )
    # 2. the same through a symlink inside the project
    dev.write_text(text)
    os.symlink(
        outside / "migrations/0001_x_safe.sql", tree / "manifests/migrations/0099_link_safe.sql"
    )
    assert any("error[outside-root]" in p and "0099_link_safe.sql" in p for p in problems(tree))
    os.unlink(tree / "manifests/migrations/0099_link_safe.sql")
    # 3. a config glob outside, and 4. a config symlink to a system file
    dev.write_text(
        text.replace("files: [../manifests/config/*.yaml]", f"files: [{outside}/*.yaml]")
    )
    (outside / "x.yaml").write_text("category: x\nentries: {a: {value: 1}}\n")
    assert any("error[outside-root]" in p for p in problems(tree))
    dev.write_text(text)
    os.symlink("/etc/hostname", tree / "manifests/config/host.yaml")
    found = [p for p in problems(tree) if "outside-root" in p]
    assert found and "host.yaml" in found[0]
    # an environment that says why may read outside
    dev.write_text(text + "allow_outside_root: shared config lives in /etc for this box\n")
    os.unlink(tree / "manifests/config/host.yaml")
    dev.write_text(
        text.replace("dir: ../manifests/migrations", f"dir: {outside / 'migrations'}")
        + "allow_outside_root: migrations are shared with another repository\n"
    )
    d = load_environment(f"{tree}/environments/dev.yaml", LocalFiles(), str(tree))
    assert [m.version for m in d.migrations] == ["0001"]


def test_a_broken_config_file_is_not_followed_by_spurious_override_errors(tree: Path) -> None:
    xp = tree / "manifests/config/xp.yaml"
    xp.write_text(xp.read_text().replace("entries:", "entries: [", 1))
    found = problems(tree)
    assert any("xp.yaml" in p and "yaml-syntax" in p for p in found)
    assert not any("unknown-override" in p for p in found)  # dev overrides xp.daily_cap


def test_local_files_resolve_like_realpath(tmp_path: Path) -> None:
    """The folder-cached resolve gives what os.path.realpath gives: a symlinked file, a file in
    a symlinked folder, a plain file, '..'."""
    from reconciler.files import LocalFiles

    (tmp_path / "real").mkdir()
    (tmp_path / "real/a.sql").write_text("SELECT 1;")
    (tmp_path / "outside.sql").write_text("SELECT 2;")
    (tmp_path / "real/link.sql").symlink_to(tmp_path / "outside.sql")
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    files = LocalFiles()
    for p in ("real/a.sql", "real/link.sql", "alias/a.sql", "alias/link.sql", "real/..", "alias"):
        path = str(tmp_path / p)
        assert files.resolve(path) == os.path.realpath(path), p


def test_a_file_is_trusted_by_its_stat_only_when_not_racy_and_unchanged(tmp_path: Path) -> None:
    """The warm-cache check skips reading a file whose size, times and inode are as recorded;
    a file written in the last 2 seconds is always read, and any rewrite is seen."""
    import time

    from reconciler.files import LocalFiles
    from reconciler.loadcache import RecordingFiles, still_valid

    old = tmp_path / "old.sql"
    old.write_text("SELECT 1;")
    past = time.time() - 60
    os.utime(old, (past, past))
    time.sleep(2.1)  # the change time cannot be set back: let it age past the racy window
    fresh = tmp_path / "fresh.sql"
    fresh.write_text("SELECT 2;")
    files = LocalFiles()
    assert files.signature(str(fresh)) is None  # racy: just written
    rec = RecordingFiles(files)
    rec.read_text(str(old))
    rec.read_text(str(fresh))
    assert "@" in rec.ops[0][2] and "@" not in rec.ops[1][2]
    assert still_valid(rec.ops, LocalFiles())
    old.write_text("SELECT 3;")  # same size, new content: ctime and mtime move on
    os.utime(old, (past, past))  # even with the old mtime put back
    assert not still_valid(rec.ops, LocalFiles())
    old.write_text("SELECT 1;")  # the recorded content again: read, hashed, accepted
    assert still_valid(rec.ops, LocalFiles())


def test_a_retargeted_symlink_is_never_vouched_for_by_a_stat(tmp_path: Path) -> None:
    """A symlink's own stat says nothing of its target: it is read and resolved again, so a
    link pointed at another file with the same text still invalidates the cache."""
    import time

    from reconciler.files import LocalFiles
    from reconciler.loadcache import RecordingFiles, still_valid

    (tmp_path / "a.sql").write_text("SELECT 1;")
    (tmp_path / "b.sql").write_text("SELECT 1;")
    link = tmp_path / "link.sql"
    link.symlink_to(tmp_path / "a.sql")
    time.sleep(2.1)
    files = LocalFiles()
    assert files.signature(str(link)) is None and files.signature(str(tmp_path / "a.sql"))
    rec = RecordingFiles(files)
    rec.resolve(str(link))
    rec.read_text(str(link))
    rec.resolve(str(tmp_path / "a.sql"))
    rec.read_text(str(tmp_path / "a.sql"))
    assert still_valid(rec.ops, LocalFiles())
    link.unlink()
    link.symlink_to(tmp_path / "b.sql")
    assert not still_valid(rec.ops, LocalFiles())
