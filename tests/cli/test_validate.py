"""`reconcile validate` and `reconcile new` as users run them, and the plan verdict using the same rules."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from reconciler.engine import Request
from tests.conftest import REPO, query, run_cli, with_db

MIGS = "manifests/migrations"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for d in ("manifests", "environments"):
        shutil.copytree(REPO / d, tmp_path / d)
    monkeypatch.setenv("RECONCILER_HOME", str(tmp_path / ".reconciler"))
    return tmp_path


def test_samples_are_clean_everywhere(tree: Path) -> None:
    for env in ("dev", "staging", "prod"):
        r = run_cli(tree, "validate", "--env", env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "0 error(s)" in r.stdout


def test_unsafe_file_blocks_prod_and_warns_in_dev(tree: Path) -> None:
    bad = tree / MIGS / "0008_cleanup.sql"
    bad.write_text(
        "-- Description: cleanup\nDELETE FROM posts WHERE body = '';\nALTER TABLE users DROP COLUMN email;\n"
    )
    r = run_cli(tree, "validate", "--env", "prod", str(bad.relative_to(tree)))
    assert r.returncode == 3
    out = r.stdout
    assert "manifests/migrations/0008_cleanup.sql: error[require-safe-suffix]" in out
    assert (
        "manifests/migrations/0008_cleanup.sql:2:1: error[ban-delete]: DELETE removes rows" in out
    )
    assert "manifests/migrations/0008_cleanup.sql:3:19: error[ban-drop-column]" in out
    assert "  help: " in out
    r = run_cli(tree, "validate", "--env", "dev", str(bad.relative_to(tree)))
    assert r.returncode == 0 and "warning[ban-delete]" in r.stdout


def test_json_and_sarif(tree: Path) -> None:
    bad = tree / MIGS / "0008_x_safe.sql"
    bad.write_text("TRUNCATE posts;\n-- Rollback instructions:\n-- 1. none\n")
    doc = json.loads(run_cli(tree, "validate", "--env", "prod", "-f", "json", str(bad)).stdout)
    assert doc["errors"] >= 1 and doc["diagnostics"][0]["rule"] == "ban-truncate"
    assert doc["diagnostics"][0]["line"] == 1
    r = run_cli(tree, "validate", "--env", "prod", "-f", "sarif", str(bad))
    assert r.returncode == 3
    sarif = json.loads(r.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    res = run["results"][0]
    assert res["ruleId"] == "ban-truncate" and res["level"] == "error"
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 1}
    assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == "ban-truncate"


def test_invalid_manifests_are_reported_in_the_format_asked_for(tree: Path) -> None:
    """What reads validate's (or plan's) output as JSON, SARIF or workflow commands gets a
    manifest error in that form on stdout, with the text on stderr and exit 1: an empty
    stdout would break the CI step that parses it, or upload no SARIF at all."""
    (tree / MIGS / "bad_9.sql").write_text("SELECT 1;\n")
    for fmt in ("json", "sarif", "github"):
        r = run_cli(tree, "validate", "--env", "prod", "-f", fmt)
        assert r.returncode == 1 and "bad_9.sql: error[bad-file-name]" in r.stderr, r.stderr
        if fmt == "json":
            doc = json.loads(r.stdout)
            assert doc["errors"] == 1 and doc["diagnostics"][0]["rule"] == "bad-file-name"
            assert doc["diagnostics"][0]["file"].endswith("bad_9.sql")
        elif fmt == "sarif":
            res = json.loads(r.stdout)["runs"][0]["results"]
            assert [x["ruleId"] for x in res] == ["bad-file-name"]
        else:
            assert r.stdout.startswith("::error file=manifests/migrations/bad_9.sql,"), r.stdout
    r = run_cli(tree, "plan", "--env", "prod", "-f", "json")
    assert r.returncode == 1 and json.loads(r.stdout)["diagnostics"][0]["rule"] == "bad-file-name"
    r = run_cli(tree, "plan", "--env", "prod", "-f", "markdown")  # (a pull request comment)
    assert r.returncode == 1 and r.stdout.startswith("```\n") and "error[bad-file-name]" in r.stdout
    r = run_cli(tree, "plan", "--env", "prod")  # (text stays on stderr alone)
    assert r.returncode == 1 and r.stdout == "" and "error[bad-file-name]" in r.stderr


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("0009_empty_safe.sql", "-- nothing\n", "0009_empty_safe.sql:1:1: error[empty-migration]"),
        ("0009_bin_safe.sql", b"SELECT '\xff';\n", "0009_bin_safe.sql: error[not-utf8]"),
        (  # PowerShell 5's `pg_dump > file` writes UTF-16 with a byte-order mark
            "0009_utf16_safe.sql",
            "SELECT 1;\n".encode("utf-16"),
            "0009_utf16_safe.sql is UTF-16, not UTF-8\n  help: save the file as UTF-8 (in PowerShell",
        ),
        (
            "0009_open_safe.sql",
            "CREATE FUNCTION f() RETURNS int AS $body$\nSELECT 1;\n",
            "0009_open_safe.sql:1:36: error[unterminated-dollar-quote]",
        ),
        (
            "0009_garbage_safe.sql",
            "SELEC * FROM;\n-- Rollback instructions:\n-- 1. x\n",
            "0009_garbage_safe.sql:1:1: error[unparsed-statement]",
        ),
        ("bad_9.sql", "SELECT 1;\n", "bad_9.sql: error[bad-file-name]"),
    ],
)
def test_bad_files_get_located_errors(
    tree: Path, name: str, content: str | bytes, expected: str
) -> None:
    p = tree / MIGS / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    r = run_cli(tree, "validate", "--env", "prod", str(p.relative_to(tree)))
    assert r.returncode in (1, 3) and "Traceback" not in r.stderr
    assert expected in r.stdout + r.stderr


def test_ten_megabyte_file(tree: Path) -> None:
    p = tree / MIGS / "0009_huge_safe.sql"
    p.write_text("-- " + "x" * (10 * 1024 * 1024) + "\nSELECT 1;\n")
    r = run_cli(tree, "validate", "--env", "prod", str(p.relative_to(tree)))
    assert r.returncode == 1 and "0009_huge_safe.sql: error[file-too-large]" in r.stderr


def test_new_writes_next_file_that_validates(tree: Path) -> None:
    r = run_cli(tree, "new", "--env", "prod", "Add badges")
    assert r.returncode == 0, r.stderr
    path = r.stdout.strip()
    assert path.endswith("manifests/migrations/0008_add_badges_safe.sql")
    text = (tree / path).read_text()
    assert text.startswith("-- Description: add badges\n-- Created: 20")
    assert (
        "-- Type: SAFE (No destructive operations)" in text and "-- Rollback instructions:" in text
    )
    r = run_cli(tree, "validate", "--env", "prod", path)  # the example statements never run
    assert r.returncode == 3 and r.stdout.count("error[ban-template-placeholder]") == 2
    filled = (
        (tree / path)
        .read_text()
        .replace("table_name", "badges_owner")
        .replace("new_column", "badge")
    )
    (tree / path).write_text(filled.replace("idx_table_column", "idx_badges_owner_badge"))
    assert run_cli(tree, "validate", "--env", "prod", path).returncode == 0
    r = run_cli(tree, "new", "--env", "dev", "--type", "DATA", "backfill prefs")
    # dev itself is not strict, but prod reads the same folder: the file can be promoted
    assert r.stdout.strip().endswith("0009_backfill_prefs_safe.sql")
    assert run_cli(tree, "new", "--env", "dev", "!!!").returncode == 1


def test_validate_uses_the_lint_cache(tree: Path) -> None:
    from reconciler.engine import Request, validate

    first = validate(Request(env="prod", root=str(tree)))
    second = validate(Request(env="prod", root=str(tree)))
    assert first.cache_hits == 0 and second.cache_hits == first.files_checked == 7
    assert second.desired is None
    # 0007 is past prod's target: checked under prod's rules and marked, not hidden
    promoted = [d for d in first.diagnostics if d.code == "not-yet-promoted"]
    assert [d.location.file.rsplit("/", 1)[1] for d in promoted if d.location] == [
        "0007_create_xp_events_safe.sql"
    ]
    f = tree / MIGS / "0003_create_users_safe.sql"
    f.write_text(f.read_text().replace("email      text", "email      text NOT NULL DEFAULT ''"))
    assert validate(Request(env="prod", root=str(tree))).cache_hits == 6
    # a hit reads its findings when asked, even after a newer run has replaced its result
    assert second.diagnostics == first.diagnostics


def test_an_unchanged_validate_prints_what_the_last_one_printed(tree: Path) -> None:
    """A run whose inputs are unchanged prints the stored rendering of its result (in the
    format asked for); any change of a file is a new result, rendered afresh."""
    first = run_cli(tree, "validate", "--env", "prod", "-f", "json")
    assert run_cli(tree, "validate", "--env", "prod", "-f", "json").stdout == first.stdout
    stored = sorted((tree / ".reconciler/cache").glob("validate-*.out"))
    assert len(stored) == 1 and stored[0].read_text() == first.stdout.rstrip("\n")
    entry = next((tree / ".reconciler/cache").glob("validate-*.json"))
    doc = json.loads(entry.read_text())
    entry.write_text(json.dumps({**doc, "id": "../../../etc/passwd"}))  # not an id: a miss
    assert run_cli(tree, "validate", "--env", "prod", "-f", "json").stdout == first.stdout
    ident = json.loads(entry.read_text())["id"]  # the result stored anew
    (current,) = (tree / ".reconciler/cache").glob(f"validate-*.json.{ident}.*.out")
    current.write_text('{"marker": true}')  # proves the next run prints the stored text
    again = run_cli(tree, "validate", "--env", "prod", "-f", "json")
    assert again.stdout == '{"marker": true}\n' and again.returncode == first.returncode
    text = run_cli(tree, "validate", "--env", "prod")
    assert text.stdout.rstrip().endswith("7 file(s) checked: 0 error(s), 2 warning(s)")
    assert len(list((tree / ".reconciler/cache").glob(f"validate-*.json.{ident}.*.out"))) == 2
    for part in (tree / ".reconciler/cache").glob("validate-*.json.*"):
        os.utime(part, (time.time() - 120, time.time() - 120))  # no run reads them any more
    f = tree / MIGS / "0003_create_users_safe.sql"
    f.write_text(
        f.read_text().replace("-- Migration starts here", "-- Migration starts here\nTRUNCATE t;")
    )
    changed = run_cli(tree, "validate", "--env", "prod", "-f", "json")
    assert changed.returncode == 3 and "marker" not in changed.stdout
    assert '"rule": "ban-truncate"' in changed.stdout
    # the replaced result's parts went with it (kept for a minute for runs reading them)
    assert [p.read_text() for p in (tree / ".reconciler/cache").glob("validate-*.out")] == [
        changed.stdout.rstrip("\n")
    ]


def test_plan_verdict_uses_the_rules(project: Path, db_url: str) -> None:
    (project / MIGS / "0006_add_user_prefs_safe.sql").write_text(
        (project / MIGS / "0006_add_user_prefs_safe.sql")
        .read_text()
        .replace("CREATE INDEX CONCURRENTLY idx_posts_author", "CREATE INDEX idx_posts_author")
    )
    r = run_cli(project, "plan", "--env", "prod")
    assert r.returncode == 3
    assert "0006_add_user_prefs_safe.sql:11:1: error[require-concurrent-index]" in r.stdout
    assert "verdict: blocked" in r.stdout
    r = run_cli(project, "plan", "--env", "dev")  # the same file is a warning in dev
    assert r.returncode == 2 and "warning[require-concurrent-index]" in r.stdout
    r = run_cli(project, "apply", "--env", "prod", "--emergency")
    assert r.returncode == 64 and "--emergency needs --reason" in r.stderr
    assert query(db_url, "SELECT to_regnamespace('reconciler')") == [(None,)]


def test_parallel_lint_gives_the_same_result(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reconciler.lintcache as lc
    from reconciler.engine import load
    from reconciler.policy import lint_config

    for n in range(8, 20):
        (tree / MIGS / f"{n:04d}_gen_{n}_safe.sql").write_text(
            f"ALTER TABLE users ADD COLUMN c{n} int NOT NULL;\nDELETE FROM posts WHERE id = {n};\n"
        )
    desired = load(Request(env="prod", root=str(tree)))
    serial = lc.LintCache(None, lint_config(desired)).lint_all(desired.migrations)
    monkeypatch.setattr(lc, "PARALLEL_THRESHOLD", 1)
    parallel_cache = lc.LintCache(None, lint_config(desired))
    parallel_cache.prefetch(desired.migrations)
    assert parallel_cache.misses == 0 and len(parallel_cache.entries) == len(desired.migrations)
    assert parallel_cache.lint_all(desired.migrations) == serial
    assert parallel_cache.hits == len(desired.migrations)


def test_a_few_large_files_are_linted_in_parallel_and_spread(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An extension's install script or a squashed history: few files, much SQL. The work,
    not the count of files, decides whether workers start, and the large files do not all
    land on one worker."""
    import reconciler.lintcache as lc
    from reconciler.engine import load
    from reconciler.policy import lint_config, lint_file

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: prefetch lints one by one (no workers to spread the work over)")
    body = "".join(f"CREATE TABLE t{i} (id bigint PRIMARY KEY, note text);\n" for i in range(1500))
    for n in range(8, 12):
        (tree / MIGS / f"{n:04d}_bulk_{n}_safe.sql").write_text(
            body.replace("CREATE TABLE t", f"CREATE TABLE b{n}_")
        )
    desired = load(Request(env="prod", root=str(tree)))
    big = [m for m in desired.migrations if "bulk" in m.filename]
    assert sum(len(m.source.text) for m in big) > lc.PARALLEL_BYTES
    assert len(desired.migrations) < lc.PARALLEL_THRESHOLD
    chunks = lc._balanced(big, 2)
    assert [len(c) for c in chunks] == [2, 2]
    cfg = lint_config(desired)
    cache = lc.LintCache(None, cfg)
    assert not any(cache._key(m) in cache.entries for m in big)
    # with another thread running (the operator, the web UI), no fork: the files are
    # linted one by one when asked for
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        cache.prefetch(desired.migrations)
    finally:
        release.set()
        other.join()
    assert not any(cache._key(m) in cache.entries for m in big)
    # the command line's process has one thread (this test's may have others left over)
    monkeypatch.setattr(lc.threading, "active_count", lambda: 1)
    cache.prefetch(desired.migrations)
    assert all(cache._key(m) in cache.entries for m in desired.migrations)
    assert cache.lint_all(desired.migrations) == {
        m.version: lint_file(m, cfg) for m in desired.migrations
    }


def test_validate_for_prod_sees_a_file_not_yet_promoted_that_would_block(tree: Path) -> None:
    (tree / MIGS / "0008_drop_users.sql").write_text("DROP TABLE users;\n")
    r = run_cli(tree, "validate", "--env", "prod")
    assert r.returncode == 3
    assert "0008_drop_users.sql:1:1: error[ban-drop-table]" in r.stdout
    assert (
        "info[not-yet-promoted]: 0008_drop_users.sql is past prod's migrations.target" in r.stdout
    )


def test_github_format_annotates_the_pull_request(tree: Path) -> None:
    (tree / MIGS / "0008_drop_users.sql").write_text("-- 100% sure, honest\nDROP TABLE users;\n")
    r = run_cli(tree, "validate", "--env", "prod", "--format", "github")
    assert r.returncode == 3
    line = next(x for x in r.stdout.splitlines() if "ban-drop-table" in x)
    assert line.startswith(
        "::error file=manifests/migrations/0008_drop_users.sql,line=2,col=1,"
        "title=error[ban-drop-table]::"
    )
    assert "%0Ahelp: " in line  # the help line travels escaped inside the one annotation
    assert any(
        x.startswith("::notice file=") and "not-yet-promoted" in x for x in r.stdout.splitlines()
    )


def test_what_a_terminal_acts_on_is_shown_not_done(tmp_path: Path) -> None:
    """A file name or quoted SQL holding ESC sequences, a carriage return or a bidirectional
    override was printed as it was: in a terminal or a CI log it erased the error line,
    moved the cursor over it or reordered it. Each is shown as an escape, in text and in
    GitHub's annotations; JSON escapes them as JSON does."""
    esc = "\x1b"
    (tmp_path / "m").mkdir()
    name = f"Script0001 - x{esc}[2K\r{esc}[1A.sql"
    (tmp_path / "m" / name).write_text(
        f'CREATE INDEX "i_{esc}[31m\u202eevil" ON users (id);\n', encoding="utf-8"
    )
    env = {"RECONCILER_ENV": "", "RECONCILER_HOME": str(tmp_path / "home")}
    for fmt in ("text", "github"):
        r = run_cli(tmp_path, "validate", "m", "-f", fmt, env=env)
        assert r.returncode == 3, r.stdout + r.stderr
        assert esc not in r.stdout and "\r" not in r.stdout and "\u202e" not in r.stdout
        assert "x\\x1b[2K\\x0d\\x1b[1A" in r.stdout and "i_\\x1b[31m\\u202eevil" in r.stdout
    r = run_cli(tmp_path, "validate", "m", "-f", "json", env=env)
    assert esc not in r.stdout and json.loads(r.stdout)["errors"] == 1


def test_files_named_on_the_command_line_are_checked_whatever_their_names(tree: Path) -> None:
    """Another tool's history (Flyway's V1__x.sql, golang-migrate's .up.sql, a Diesel up.sql)
    can be checked file by file before it is renamed into the folder."""
    other = tree / "elsewhere"
    (other / "2020-01-01-000000_d").mkdir(parents=True)
    (other / "V1__init.sql").write_text("CREATE TABLE a (id bigint);\n")
    (other / "000002_b.down.sql").write_text("DROP TABLE b;\n")
    (other / "2020-01-01-000000_d/up.sql").write_text("CREATE TABLE d (id bigint);\n")
    r = run_cli(
        tree,
        "validate",
        "--env",
        "dev",
        "elsewhere/V1__init.sql",
        "elsewhere/000002_b.down.sql",
        "elsewhere/2020-01-01-000000_d/up.sql",
    )
    assert r.returncode == 0, r.stdout + r.stderr  # dev: a DROP TABLE is a warning
    assert "elsewhere/000002_b.down.sql:1:1: warning[ban-drop-table]" in r.stdout
    assert "3 file(s) checked" in r.stdout and "bad-file-name" not in r.stdout
    # in the environment's own folder the convention still holds, with a hint for the tool
    # the name comes from, and a folder of SQL files in it is not passed over in silence
    (tree / MIGS / "V9.1__late.sql").write_text("SELECT 1;\n")
    (tree / MIGS / "x.down.sql").write_text("SELECT 1;\n")
    (tree / MIGS / "deploy").mkdir()
    (tree / MIGS / "deploy/users.sql").write_text("SELECT 1;\n")
    (tree / MIGS / "NOTES").write_text("not a folder\n")
    r = run_cli(tree, "validate", "--env", "dev")
    out = r.stderr + r.stdout
    assert r.returncode == 1 and out.count("error[bad-file-name]") == 1
    assert "x.down.sql: error[bad-file-name]" in out and "V9.1__late.sql" not in out
    assert f"{MIGS}/deploy: error[nested-migrations]" in out
    assert "NOTES" not in out


def test_the_cached_result_follows_how_the_root_was_given(tree: Path) -> None:
    """Findings name files as the command was given them: with --root as an absolute path
    they are absolute, so the cached result of a run with --root . is not the answer."""
    relative = run_cli(tree, "validate", "--env", "prod", "--root", ".")
    absolute = run_cli(tree, "validate", "--env", "prod", "--root", str(tree))
    assert relative.returncode == absolute.returncode == 0
    assert "\nmanifests/migrations/0007" in "\n" + relative.stdout
    assert f"{tree}/manifests/migrations/0007" in absolute.stdout


def test_files_are_checked_without_an_environment_as_another_linter_would(tmp_path: Path) -> None:
    """`reconcile validate FILES` in a folder with no project: a strict environment's safety
    rules, none of the project's file conventions; nothing else without --env."""
    (tmp_path / "db").mkdir()
    (tmp_path / "db/20200101_init.sql").write_text(
        "-- Rollback: DROP TABLE a;\nCREATE TABLE a (id bigint PRIMARY KEY);\n"
    )
    (tmp_path / "db/20200102_idx.sql").write_text("CREATE INDEX a_id ON a (id);\n")
    env = {"RECONCILER_ENV": "", "RECONCILER_HOME": str(tmp_path / "home")}
    r = run_cli(tmp_path, "validate", "db/20200101_init.sql", env=env)
    assert r.returncode == 0, r.stdout + r.stderr  # no _safe name, rollback section or header
    assert "1 file(s) checked: 0 error(s)" in r.stdout
    r = run_cli(tmp_path, "validate", "db/20200101_init.sql", "db/20200102_idx.sql", env=env)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "db/20200102_idx.sql:1:1: error[require-concurrent-index]" in r.stdout
    assert "ban-unlisted-operation" not in r.stdout and "require-safe-suffix" not in r.stdout
    r = run_cli(
        tmp_path, "validate", "--emergency", "--reason", "x", "db/20200102_idx.sql", env=env
    )
    assert r.returncode == 0 and "warning[require-concurrent-index]" in r.stdout
    r = run_cli(tmp_path, "validate", env=env)
    assert r.returncode == 64 and "or name the migration FILES" in r.stderr


def test_files_checked_without_an_environment_take_rule_severities_from_the_command_line(
    tmp_path: Path,
) -> None:
    """As another linter's configuration would: --rule ID=error|warning|off and --relaxed,
    each part of the stored result's key; the guard of the tool's own record stays fixed."""
    (tmp_path / "0002_idx.sql").write_text(
        "CREATE INDEX a_id ON a (id);\nUPDATE a SET n = 1 WHERE id = 1;\n"
    )
    env = {"RECONCILER_ENV": "", "RECONCILER_HOME": str(tmp_path / "home")}
    r = run_cli(tmp_path, "validate", "0002_idx.sql", env=env)
    assert r.returncode == 3 and "error[require-concurrent-index]" in r.stdout, r.stdout
    assert "2:1: error[ban-unlisted-operation]" in r.stdout
    r = run_cli(
        tmp_path,
        "validate",
        "--rule",
        "require-concurrent-index=off",
        "--rule",
        "ban-unlisted-operation=warning",
        "0002_idx.sql",
        env=env,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "require-concurrent-index" not in r.stdout
    assert "2:1: warning[ban-unlisted-operation]" in r.stdout
    r = run_cli(tmp_path, "validate", "--relaxed", "0002_idx.sql", env=env)
    assert r.returncode == 0 and "warning[require-concurrent-index]" in r.stdout, r.stdout
    assert "ban-unlisted-operation" not in r.stdout
    for spec, code, said in (
        ("ban-reconciler-schema=off", 1, "cannot be relaxed"),
        ("no-such-rule=off", 1, "unknown rule 'no-such-rule'"),
        ("require-concurrent-index", 64, "ID=error, ID=warning or ID=off"),
        ("require-concurrent-index=loud", 64, "ID=error, ID=warning or ID=off"),
    ):
        r = run_cli(tmp_path, "validate", "--rule", spec, "0002_idx.sql", env=env)
        assert r.returncode == code and said in r.stderr, (spec, r.stdout, r.stderr)
    r = run_cli(tmp_path, "validate", "--env", "dev", "--relaxed", env=env)
    assert r.returncode == 64 and "policy" in r.stderr


def test_the_standalone_rules_are_a_strict_environments_defaults() -> None:
    from reconciler.manifest.models import Policy
    from reconciler.sql.lintconfig import standalone

    cfg, default = standalone(), Policy(strict=True)
    assert cfg.strict and not cfg.overrides and not cfg.emergency
    assert (cfg.lock_timeout, cfg.statement_timeout) == (
        int(default.lock_timeout),
        int(default.statement_timeout),
    )


def test_a_stored_result_never_outlives_the_code_that_made_it(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by editing the loader: the stored result answered, with the same files, as the
    old loader had judged them (a new check's error never showed). The key holds the code of
    the loader, the policy and this verb, as well as the rules'."""
    import importlib

    module = importlib.import_module("reconciler.engine.validate")
    asked: list[tuple[str, ...]] = []
    code = {"now": "a"}

    def fingerprint(*folders: str) -> str:
        asked.append(folders)
        return code["now"]

    monkeypatch.setattr(module, "source_fingerprint", fingerprint)
    monkeypatch.chdir(tree)
    before = module._key(Request(env="prod"), [])
    code["now"] = "b"  # an edited loader
    assert module._key(Request(env="prod"), []) != before
    assert {"manifest", "engine", "."} <= set(asked[0])


def test_a_folder_stands_for_the_history_in_it(tmp_path: Path) -> None:
    """`reconcile validate prisma/migrations`: the SQL files in the folder and one level
    down (Prisma's <version>_<name>/migration.sql), undo halves (and Sqitch's revert/ and
    verify/) left out; a new file is
    seen by the next run; a path that names nothing is bad input (exit 1)."""
    env = {"RECONCILER_ENV": "", "RECONCILER_HOME": str(tmp_path / "home")}
    (tmp_path / "prisma/20230101_init").mkdir(parents=True)
    (tmp_path / "prisma/20230101_init/migration.sql").write_text("CREATE TABLE a (id bigint);\n")
    (tmp_path / "prisma/migration_lock.toml").write_text('provider = "postgresql"\n')
    (tmp_path / "gm").mkdir()
    (tmp_path / "gm/0001_b.up.sql").write_text("CREATE TABLE b (id bigint);\n")
    (tmp_path / "gm/0001_b.down.sql").write_text("DROP TABLE b;\n")
    (tmp_path / "gm/U2__undo.sql").write_text("DROP TABLE b;\n")
    (tmp_path / "gm/0001_b.up.rollback.sql").write_text("DROP TABLE b;\n")  # (yoyo's undo)
    (tmp_path / "gm/0001.undo.b.sql").write_text("DROP TABLE b;\n")  # (postgrator's undo)
    (tmp_path / "gm/002_c_postgresql_upgrade.sql").write_text("CREATE TABLE c (id bigint);\n")
    (tmp_path / "gm/002_c_postgresql_downgrade.sql").write_text("DROP TABLE c;\n")
    (tmp_path / "gm/002_c_mysql_upgrade.sql").write_text("CREATE TABLE c (id INT) ENGINE=x;\n")
    (tmp_path / "gm/0003_d-up.sql").write_text("CREATE TABLE d (id bigint);\n")
    (tmp_path / "gm/0003_d-down.sql").write_text("DROP TABLE d;\n")
    r = run_cli(tmp_path, "validate", "prisma", "gm", env=env)
    assert r.returncode == 0 and "4 file(s) checked: 0 error(s)" in r.stdout, r.stdout + r.stderr
    for name in ("upgrade", "downgrade", "mysql_upgrade"):
        (tmp_path / f"gm/002_c_{'postgresql_' * ('_' not in name)}{name}.sql").unlink()
    (tmp_path / "gm/0003_d-up.sql").unlink()
    (tmp_path / "gm/0003_d-down.sql").unlink()
    # another tool's empty file (Roundcube's "-- empty" for a version with nothing for this
    # database, Prisma's empty migration) is no error, as in a project's folder; ours is
    (tmp_path / "rc").mkdir()
    (tmp_path / "rc/2014042900.sql").write_text("-- empty\n")
    (tmp_path / "rc/2015030800.sql").write_text("ALTER TABLE a ADD COLUMN b text;\n")
    (tmp_path / "prisma/20230102_nothing").mkdir()
    (tmp_path / "prisma/20230102_nothing/migration.sql").write_text("-- an empty migration.\n")
    r = run_cli(tmp_path, "validate", "rc", "prisma", env=env)
    assert r.returncode == 0 and "4 file(s) checked: 0 error(s)" in r.stdout, r.stdout + r.stderr
    (tmp_path / "gm/0002_c.up.sql").write_text("-- todo\n")
    r = run_cli(tmp_path, "validate", "gm", env=env)
    assert "gm/0002_c.up.sql:1:1: error[empty-migration]" in r.stdout, r.stdout + r.stderr
    (tmp_path / "gm/0002_c.up.sql").unlink()
    shutil.rmtree(tmp_path / "rc")
    shutil.rmtree(tmp_path / "prisma/20230102_nothing")
    # a project's SQL for each database it supports: another database's folder or file beside
    # PostgreSQL's is never PostgreSQL's to check (Roundcube's SQL/, icingaweb2's schema/,
    # dbconfig-common's upgrade/); named itself, or with no PostgreSQL twin, it is checked
    mysql = "CREATE TABLE m (id INT) ENGINE=InnoDB;\n"
    for rel, text in {
        "SQL/postgres/2020091000.sql": "ALTER TABLE a ADD COLUMN b text;\n",
        "SQL/mysql/2020091000.sql": mysql,
        "SQL/postgres.initial.sql": "CREATE TABLE a (id bigint);\n",
        "SQL/mysql.initial.sql": mysql,
        "SQL/pgsql-upgrades/2.5.0.sql": "ALTER TABLE a ADD COLUMN c text;\n",
        "SQL/mysql-upgrades/2.5.0.sql": mysql,
        "deb/pgsql/1.5.10": "ALTER TABLE a ADD COLUMN d text;\n",
        "deb/mysql/1.5.10": mysql,
        "deb/sqlite3/1.5.10": mysql,
        "lone/mysql/0001_m.sql": mysql,
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    r = run_cli(tmp_path, "validate", "SQL", "deb", env=env)
    assert r.returncode == 0 and "4 file(s) checked: 0 error(s)" in r.stdout, r.stdout + r.stderr
    for named in ("SQL/mysql", "SQL/mysql.initial.sql", "lone"):
        r = run_cli(tmp_path, "validate", named, env=env)
        assert r.returncode == 3 and "1 file(s) checked: 1 error(s)" in r.stdout, r.stdout
    # Flyway's files deeper down are found where Flyway finds them
    (tmp_path / "fw/2.0/hotfix").mkdir(parents=True)
    (tmp_path / "fw/2.0/hotfix/V2.0.1__fix.sql").write_text("TRUNCATE users;\n")
    (tmp_path / "fw/2.0/hotfix/notes.sql").write_text("SELECT 1;\n")  # (not Flyway's: not deep)
    r = run_cli(tmp_path, "validate", "fw", env=env)
    assert "fw/2.0/hotfix/V2.0.1__fix.sql:1:1: error[ban-truncate]" in r.stdout, r.stdout
    assert "1 file(s) checked" in r.stdout
    (tmp_path / "prisma/20230201_idx").mkdir()
    (tmp_path / "prisma/20230201_idx/migration.sql").write_text("CREATE INDEX a_i ON a (id);\n")
    r = run_cli(tmp_path, "validate", "prisma", "gm", env=env)
    assert (
        r.returncode == 3
        and "prisma/20230201_idx/migration.sql:1:1: error[require-concurrent" in r.stdout
    )
    # a Sqitch project: deploy/ runs; revert/ (its undo) and verify/ (a check) never run
    # forward, unless named themselves
    for folder, text in (
        ("deploy", "BEGIN;\nCREATE TABLE c (id bigint);\nCOMMIT;\n"),
        ("revert", "BEGIN;\nDROP TABLE c;\nCOMMIT;\n"),
        ("verify", "SELECT id FROM c WHERE false;\n"),
    ):
        (tmp_path / "sqitch" / folder).mkdir(parents=True)
        (tmp_path / "sqitch" / folder / "c.sql").write_text(text)
    (tmp_path / "sqitch/sqitch.plan").write_text("%project=x\nc 2024-01-01T00:00:00Z a <a@b>\n")
    r = run_cli(tmp_path, "validate", "sqitch", env=env)
    assert r.returncode == 0 and "1 file(s) checked: 0 error(s)" in r.stdout, r.stdout + r.stderr
    r = run_cli(tmp_path, "validate", "sqitch/revert", env=env)
    assert r.returncode == 3 and "sqitch/revert/c.sql:2:1: error[ban-drop-table]" in r.stdout
    # a pop history (Ory's): the files for other databases are theirs, never PostgreSQL's
    (tmp_path / "pop").mkdir()
    (tmp_path / "pop/20200101000000000000_a.postgres.up.sql").write_text(
        "CREATE TABLE a (id int);\n"
    )
    (tmp_path / "pop/20200101000000000000_a.mysql.up.sql").write_text(
        "CREATE TABLE a (id INT) ENGINE=InnoDB;\n"
    )
    (tmp_path / "pop/20200101000000000000_a.sqlite3.up.sql").write_text("DELETE FROM a;\n")
    r = run_cli(tmp_path, "validate", "pop", env=env)
    assert r.returncode == 0 and "1 file(s) checked: 0 error(s)" in r.stdout, r.stdout + r.stderr
    # SQL files named otherwise (.pgsql, .psql, .SQL) are SQL all the same: checked
    (tmp_path / "pg").mkdir()
    (tmp_path / "pg/001_init.pgsql").write_text("CREATE TABLE a (id bigint);\n")
    (tmp_path / "pg/002_more.psql").write_text("TRUNCATE a;\n")
    (tmp_path / "pg/003_LAST.SQL").write_text("DROP TABLE a;\n")
    # (Synapse's deltas: <name>.sql.postgres is PostgreSQL's, <name>.sql.sqlite SQLite's)
    (tmp_path / "pg/54").mkdir()
    (tmp_path / "pg/54/02b.sql.postgres").write_text("CREATE INDEX ai ON a (id);\n")
    (tmp_path / "pg/54/02b.sql.sqlite").write_text("DELETE FROM a;\n")
    r = run_cli(tmp_path, "validate", "pg", env=env)
    assert "pg/002_more.psql:1:1: error[ban-truncate]" in r.stdout, r.stdout + r.stderr
    assert "pg/003_LAST.SQL:1:1: error[ban-drop-table]" in r.stdout, r.stdout
    assert "pg/54/02b.sql.postgres:1:1: error[require-concurrent-index]" in r.stdout, r.stdout
    assert "4 file(s) checked" in r.stdout
    r = run_cli(tmp_path, "validate", "nowhere.sql", env=env)
    assert (
        r.returncode == 1
        and "nowhere.sql: error[missing-file]: nowhere.sql does not exist" in r.stdout
    )
    assert "relative to the folder the command runs in" in r.stdout


def _history(root: Path, folder: str, files: dict[str, str]) -> dict[str, str]:
    """A project at ``root`` whose dev environment reads ``folder``, holding ``files``; the
    environment to run the CLI in there (git's and the user's settings kept out)."""
    for name, text in files.items():
        (root / folder / name).parent.mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_text(text)
    (root / "environments").mkdir()
    (root / "environments/dev.yaml").write_text(
        "name: dev\ndatabase: {url_from_env: DATABASE_URL_DEV}\n"
        f"migrations: {{dir: ../{folder}}}\n"
    )
    return {"RECONCILER_HOME": str(root / "h"), "HOME": str(root), "XDG_CONFIG_HOME": str(root)}


def _new_twice(root: Path, folder: str, first: str, text: str) -> tuple[list[str], dict[str, str]]:
    """The names `reconcile new add_b`, run twice, writes in a history of ``first`` alone,
    and the environment to run the CLI in there."""
    env = _history(root, folder, {first: text})
    for _ in range(2):
        r = run_cli(root, "new", "--env", "dev", "add_b", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
    return sorted(p.name for p in (root / folder).iterdir() if p.name != first), env


def test_new_keeps_another_tools_history_in_its_layout(tmp_path: Path) -> None:
    """`reconcile new` writes what the history's own tool would: the next V<n>__<name>.sql
    (Flyway); the next of the day, <day>_<nn>_<random id>-<name>.sql (yoyo); today's date, with
    the time once today has one (<yyyy-mm-dd>[-<hhmmss>]_<name>.sql, a history named by dates);
    the next <version>.do.<name>.sql (postgrator); the next patch release's script (2.10.1-<name>.sql after 2.10.0.sql, 4.7.0_to_4.7.1_<name>.sql after 4.3.0_to_4.7.0_x.sql); the next .up.sql pair (golang-migrate), versioned by the time after every file
    there where versions are timestamps (pop); the change planned last (sqitch); the next
    folder after the newest: <timestamp>_<name>/migration.sql (Prisma),
    <yyyy-mm-dd-hhmmss>_<name>/up.sql (Diesel), <milliseconds>_<name>/up.sql (Hasura)."""
    table = "CREATE TABLE a (id bigint);\n"
    flyway = tmp_path / "flyway"
    env = _history(flyway, "sql", {"V9__init.sql": table})
    r = run_cli(flyway, "new", "--env", "dev", "add_b", env=env)
    assert r.returncode == 0 and (flyway / "sql/V10__add_b.sql").is_file(), r.stdout + r.stderr
    # (beside the newest, in a history kept in subfolders as Flyway reads them at any depth)
    (flyway / "sql/2.0").mkdir()
    (flyway / "sql/2.0/V11__two.sql").write_text(table.replace(" a ", " b "))
    r = run_cli(flyway, "new", "--env", "dev", "add_c", env=env)
    assert r.returncode == 0 and (flyway / "sql/2.0/V12__add_c.sql").is_file(), r.stdout + r.stderr
    # a golang-migrate history: the next .up.sql, with a .down.sql beside it (never run here)
    gm = tmp_path / "gm"
    env = _history(gm, "db", {"000001_init.up.sql": table, "000001_init.down.sql": "SELECT 1;\n"})
    r = run_cli(gm, "new", "--env", "dev", "add_b", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.name for p in (gm / "db").iterdir()) == [
        "000001_init.down.sql",
        "000001_init.up.sql",
        "000002_add_b.down.sql",
        "000002_add_b.up.sql",
    ]
    r = run_cli(gm, "validate", "--env", "dev", env=env)
    assert "000002_add_b.down.sql" not in r.stdout  # the undo is not a migration
    assert "000002_add_b.up.sql" in r.stdout  # (its template's example statements are)
    # upgrade scripts named by release (Icinga's): the next patch release, then read as the
    # newest migration
    rel = tmp_path / "rel"
    env = _history(rel, "upgrade", {"2.8.1.sql": table, "2.10.0-Later.sql": "SELECT 1;\n"})
    r = run_cli(rel, "new", "--env", "dev", "add_b", env=env)
    assert r.returncode == 0 and (rel / "upgrade/2.10.1-add_b.sql").is_file(), r.stdout + r.stderr
    r = run_cli(rel, "validate", "--env", "dev", env=env)
    assert "upgrade/2.10.1-add_b.sql:" in r.stdout, r.stdout  # (its template's examples)
    # (a letter after the newest release is a step between releases: the next is a release)
    made, env = _new_twice(tmp_path / "davical", "patches", "1.1.11a.sql", table)
    assert made == ["1.1.12-add_b.sql", "1.1.13-add_b.sql"]
    # upgrade scripts named by the releases they go from and to (PowerDNS's): from the
    # newest's release to the next patch one, each read after the one before
    made, env = _new_twice(tmp_path / "pdns", "schema", "4.3.0_to_4.7.0_schema.pgsql.sql", table)
    assert made == ["4.7.0_to_4.7.1_add_b.sql", "4.7.1_to_4.7.2_add_b.sql"]
    made, env = _new_twice(tmp_path / "span", "schema", "2.0.0beta3-2.0.0rc1.sql", table)
    assert made == ["2.0.0-2.0.1_add_b.sql", "2.0.1-2.0.2_add_b.sql"]
    # a release after words that say it is one (Guacamole's): the same words, the next release
    made, env = _new_twice(tmp_path / "guac", "upgrade", "upgrade-pre-1.6.0.sql", table)
    assert made == ["upgrade-pre-1.6.1-add_b.sql", "upgrade-pre-1.6.2-add_b.sql"]
    made, env = _new_twice(tmp_path / "padded", "sql", "migration_009.sql", table)
    assert made == ["migration_010-add_b.sql", "migration_011-add_b.sql"]
    made, env = _new_twice(tmp_path / "prelude", "classic", "pgsql-update-14-8.sql", table)
    assert made == ["pgsql-update-14-10-add_b.sql", "pgsql-update-14-9-add_b.sql"]  # (by name)
    # dbconfig-common's upgrade scripts, named by a version alone: the next release, its name
    # after a hyphen (a Debian revision: no "_"), checked by validate FOLDER as well
    deb = tmp_path / "deb"
    made, env = _new_twice(deb, "pgsql", "20~git20201021.0a6ff72", table)
    assert made == ["21-add-b", "22-add-b"], made
    r = run_cli(deb, "validate", "--env", "dev", env=env)
    assert "pgsql/22-add-b:10:1: error[ban-template-placeholder]" in r.stdout, r.stdout
    r = run_cli(deb, "validate", "pgsql", env=env)
    assert "3 file(s) checked" in r.stdout, r.stdout
    # a step with a file per database (Glewlwyd's): PostgreSQL's is checked, the others not
    glew = tmp_path / "glew" / "database"
    glew.mkdir(parents=True)
    for db in ("postgre", "mariadb", "sqlite3"):
        (glew / f"upgrade-2.4-core.{db}.sql").write_text("CREATE TABLE c (id int);\n")
    r = run_cli(glew, "validate", ".", env=env)
    assert "1 file(s) checked" in r.stdout and "core.postgre.sql" in r.stdout, r.stdout
    # a yoyo history: what `yoyo new` writes, the next number of the day
    yoyo = tmp_path / "yoyo"
    made, env = _new_twice(yoyo, "migrations", "20230419_01_Xs3Mz-create-a.sql", table)
    day = max(made[0][:8], "20230419")
    assert [re.sub(r"_[A-Za-z0-9]{5}-", "_<id>-", n) for n in made] == [
        f"{day}_01_<id>-add-b.sql",
        f"{day}_02_<id>-add-b.sql",
    ], made
    r = run_cli(yoyo, "validate", "--env", "dev", env=env)
    assert f"migrations/{made[1]}:" in r.stdout and "bad-file-name" not in r.stdout, r.stdout
    # a postgrator history: the next <version>.do.<name>.sql, numbered as the last one
    pg = tmp_path / "postgrator"
    env = _history(pg, "migrations", {"009.do.init.sql": table, "009.undo.init.sql": "SELECT 1;\n"})
    r = run_cli(pg, "new", "--env", "dev", "add_b", env=env)
    assert r.returncode == 0 and (pg / "migrations/010.do.add_b.sql").is_file(), r.stdout + r.stderr
    # a history named by dates: today's date, then with the time once today has a file
    dated = tmp_path / "dated"
    made, env = _new_twice(dated, "changelog", "2024-01-15-init.sql", table)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-\d{6}_add_b\.sql", made[0]), made
    assert made[1] == f"{made[0][:10]}-add_b.sql", made
    r = run_cli(dated, "validate", "--env", "dev", env=env)
    assert "duplicate-version" not in r.stdout and f"changelog/{made[0]}:" in r.stdout, r.stdout
    made, env = _new_twice(tmp_path / "laravel", "sql", "2014_10_12_000000_users.sql", table)
    assert all(re.fullmatch(r"\d{4}_\d\d_\d\d_\d{6}_add_b\.sql", m) for m in made), made
    # (after a file of today with an ISO time: later than that time, read to the second)
    iso = tmp_path / "iso"
    today = time.strftime("%Y-%m-%d", time.gmtime())
    env = _history(iso, "sql", {"2020-01-01T00-00-00_init.sql": table})
    (iso / f"sql/{today}T23-59-58_late.sql").write_text(table)
    r = run_cli(iso, "new", "--env", "dev", "add_b", env=env)
    assert r.returncode == 0 and (iso / f"sql/{today}-235959_add_b.sql").is_file(), r.stdout
    # a timestamped pop history (Ory's 20 digits): after every file there, another
    # database's own included
    pop = tmp_path / "pop"
    env = _history(
        pop,
        "db",
        {
            "20191100000001000000_init.postgres.up.sql": table,
            "29990101000000000000_late.mysql.up.sql": "SELECT 1;\n",
        },
    )
    r = run_cli(pop, "new", "--env", "dev", "add_b", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (pop / "db/29990101000000000001_add_b.up.sql").is_file()
    assert (pop / "db/29990101000000000001_add_b.down.sql").is_file()
    # a sqitch project: the change planned last, its deploy script from the template, revert
    # and verify scripts for sqitch's own commands; the plan then reads it as the newest
    sq = tmp_path / "sq"
    plan = "%project=forum\n\ninit 2024-01-01T00:00:00Z Ann <ann@example.org> # init\n"
    env = _history(sq, "db", {"sqitch.plan": plan, "deploy/init.sql": table})
    r = run_cli(sq, "new", "--env", "dev", "add_b", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    last = (sq / "db/sqitch.plan").read_text().splitlines()[-1]
    assert re.fullmatch(r"add_b \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ .+ <.+@.+> # add b", last), last
    assert all(
        (sq / "db" / kind / "add_b.sql").is_file() for kind in ("deploy", "revert", "verify")
    )
    r = run_cli(sq, "validate", "--env", "dev", env=env)
    assert "db/deploy/add_b.sql:" in r.stdout and "revert/add_b.sql" not in r.stdout, r.stdout
    r = run_cli(sq, "new", "--env", "dev", "add_b", env=env)  # planned already
    assert r.returncode != 0 and "already plans a change add_b" in r.stdout + r.stderr
    # (where the project's sqitch.conf keeps its plan and scripts)
    sc = tmp_path / "sc"
    conf = "[core]\n\tengine = pg\n\ttop_dir = pg\n"
    env = _history(
        sc, "db", {"sqitch.conf": conf, "pg/sqitch.plan": plan, "pg/deploy/init.sql": table}
    )
    r = run_cli(sc, "new", "--env", "dev", "add_b", env=env)
    assert r.returncode == 0 and (sc / "db/pg/deploy/add_b.sql").is_file(), r.stdout + r.stderr
    assert (sc / "db/pg/revert/add_b.sql").is_file() and not (sc / "db/deploy").exists()
    assert (sc / "db/pg/sqitch.plan").read_text().splitlines()[-1].startswith("add_b ")
    r = run_cli(sc, "validate", "--env", "dev", env=env)
    assert "db/pg/deploy/add_b.sql:" in r.stdout and "revert" not in r.stdout, r.stdout
    # a stray script of the name, not in the plan: said, and nothing written
    (sq / "db/deploy/stray.sql").write_text("SELECT 1;\n")
    plan_before = (sq / "db/sqitch.plan").read_text()
    r = run_cli(sq, "new", "--env", "dev", "stray", env=env)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "deploy/stray.sql is there already" in r.stderr
    assert (sq / "db/sqitch.plan").read_text() == plan_before
    assert not (sq / "db/revert/stray.sql").exists()
    # (Hasura numbers its folders by the millisecond: 4102444800000 is 2100-01-01)
    firsts = {
        "prisma": ("20990101000000_init", "migration.sql", "20990101000001_add_b"),
        "diesel": ("2099-01-01-000000_init", "up.sql", "2099-01-01-000001_add_b"),
        "hasura": ("4102444800000_init", "up.sql", "4102444800001_add_b"),
    }
    for layout, (first, inner, second) in firsts.items():
        root = tmp_path / layout
        env = _history(root, "migrations", {f"{first}/{inner}": table})
        r = run_cli(root, "new", "--env", "dev", "add_b", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        made = sorted(
            p.relative_to(root / "migrations").as_posix() for p in root.glob("migrations/*/*.sql")
        )
        undo = [f"{second}/down.sql"] if inner == "up.sql" else []  # (never run here)
        assert made == sorted([f"{first}/{inner}", f"{second}/{inner}", *undo]), made
    # a folder in the way of the next one: said, never a traceback
    prisma = tmp_path / "prisma"
    (prisma / "migrations/20990101000002_add_c").mkdir()
    r = run_cli(prisma, "new", "--env", "dev", "add_c", env={"RECONCILER_HOME": str(prisma / "h")})
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "20990101000002_add_c is there already" in r.stderr


def test_a_missing_file_named_again_once_it_exists_is_read(tmp_path: Path) -> None:
    env = {"RECONCILER_ENV": "", "RECONCILER_HOME": str(tmp_path / "home")}
    assert run_cli(tmp_path, "validate", "late.sql", env=env).returncode == 1
    (tmp_path / "late.sql").write_text("TRUNCATE t;\n")
    r = run_cli(tmp_path, "validate", "late.sql", env=env)
    assert r.returncode == 3 and "error[ban-truncate]" in r.stdout, r.stdout


def test_checking_files_without_a_project_leaves_nothing_in_their_folder(tmp_path: Path) -> None:
    """Linting someone else's checkout must not write .reconciler/ into it: without an
    environment the caches live in the user's cache folder."""
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo/0001_a.sql").write_text("CREATE TABLE a (id bigint);\n")
    env = {"RECONCILER_ENV": "", "RECONCILER_HOME": "", "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    for _ in range(2):  # the second run answers from that cache
        r = run_cli(tmp_path / "repo", "validate", "0001_a.sql", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.name for p in (tmp_path / "repo").iterdir()) == ["0001_a.sql"]
    assert any((tmp_path / "xdg/neon-reconciler").glob("validate-*.json"))


def test_set_not_null_proven_by_an_earlier_migration_is_not_blocked(tree: Path) -> None:
    """The rules' own advice across three migrations (a CHECK added NOT VALID, validated in
    the next, SET NOT NULL in a third) passes strict validation; take the VALIDATE away and
    the SET NOT NULL is blocked again, cached results notwithstanding."""
    tail = "\n-- Rollback instructions:\n-- 1. by hand\n"
    steps = {
        "0008_email_check_safe.sql": "ALTER TABLE users ADD CONSTRAINT users_email_nn "
        "CHECK (email IS NOT NULL) NOT VALID;",
        "0009_email_check_valid_safe.sql": "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;",
        "0010_email_not_null_safe.sql": "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    }
    for name, sql in steps.items():
        (tree / MIGS / name).write_text(sql + tail)
    r = run_cli(tree, "validate", "--env", "prod")
    assert r.returncode == 0 and "0 error(s)" in r.stdout, r.stdout + r.stderr
    r = run_cli(tree, "validate", "--env", "prod", f"{MIGS}/0010_email_not_null_safe.sql")
    assert r.returncode == 0 and "0 error(s)" in r.stdout, r.stdout + r.stderr
    (tree / MIGS / "0009_email_check_valid_safe.sql").write_text(
        "COMMENT ON TABLE users IS 'u';" + tail
    )
    r = run_cli(tree, "validate", "--env", "prod")
    assert r.returncode == 3, r.stdout + r.stderr
    assert f"{MIGS}/0010_email_not_null_safe.sql:1:19: error[ban-set-not-null]" in r.stdout


def test_a_widening_the_history_shows_is_not_a_rewrite(tree: Path) -> None:
    """A longer varchar is changed in place (no rewrite, no scan): the column's type is read
    from the migration that made it, so strict validation lets the widening through and still
    blocks a narrowing."""
    tail = "\n-- Rollback instructions:\n-- 1. by hand\n"
    (tree / MIGS / "0008_profiles_safe.sql").write_text(
        "CREATE TABLE profiles (id bigint PRIMARY KEY, bio varchar(100));" + tail
    )
    widen = tree / MIGS / "0009_longer_bio_safe.sql"
    widen.write_text("ALTER TABLE profiles ALTER COLUMN bio TYPE varchar(500);" + tail)
    r = run_cli(tree, "validate", "--env", "prod")
    assert r.returncode == 0 and "0 error(s)" in r.stdout, r.stdout + r.stderr
    widen.write_text("ALTER TABLE profiles ALTER COLUMN bio TYPE varchar(50);" + tail)
    r = run_cli(tree, "validate", "--env", "prod")
    assert r.returncode == 3 and "error[ban-alter-column-type]" in r.stdout, r.stdout


def _with_history(root: Path, checked_from: str | None) -> None:
    """Three files after the samples (a DROP TABLE, a COMMIT in the middle, a DROP COLUMN)
    and prod told that files before ``checked_from`` are history."""
    rollback = "\n-- Rollback instructions:\n-- 1. by hand\n"
    for name, body in {
        "0008_drop_legacy_safe.sql": "DROP TABLE legacy_sessions;",
        "0009_commit_safe.sql": "CREATE TABLE t9 (id bigint);\nCOMMIT;\nCREATE TABLE t9b (id bigint);",
        "0010_drop_bio_safe.sql": "ALTER TABLE users DROP COLUMN bio;",
    }.items():
        (root / MIGS / name).write_text(body + rollback)
    env = root / "environments/prod.yaml"
    text = env.read_text()
    kept = [ln for ln in text.splitlines() if "target:" not in ln and "checked_from:" not in ln]
    text = "\n".join(kept) + "\n"
    if checked_from is not None:
        text = text.replace(
            "  dir: ../manifests/migrations",
            f"  dir: ../manifests/migrations\n  checked_from: {checked_from}",
        )
    env.write_text(text)


def test_files_before_checked_from_are_history_to_validate(tree: Path) -> None:
    """An applied file cannot be edited (its checksum), so a history with an old DROP TABLE
    would fail every pull request's validate; before checked_from only what would break the
    apply itself (a COMMIT in the middle) is still reported, and the run says so."""
    _with_history(tree, None)
    r = run_cli(tree, "validate", "--env", "prod")
    assert r.returncode == 3 and "0008_drop_legacy_safe.sql:1:1: error[ban-drop-table]" in r.stdout
    _with_history(tree, '"0010"')
    r = run_cli(tree, "validate", "--env", "prod")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "ban-drop-table" not in r.stdout and "prefer-bigint" not in r.stdout
    assert "0009_commit_safe.sql:2:1: error[ban-transaction-control]" in r.stdout
    assert "0010_drop_bio_safe.sql:1:19: error[ban-drop-column]" in r.stdout
    assert (
        "environments/prod.yaml:8:17: info[history]: 9 file(s) before migrations.checked_from "
        "(0010)" in r.stdout
    )
    # past the target, a file is not applied in prod yet: never history
    env = tree / "environments/prod.yaml"
    env.write_text(env.read_text().replace("  checked_from:", "  target: '0007'\n  checked_from:"))
    r = run_cli(tree, "validate", "--env", "prod")
    assert "0008_drop_legacy_safe.sql:1:1: error[ban-drop-table]" in r.stdout
    assert "info[history]: 7 file(s)" in r.stdout
    named = run_cli(tree, "validate", "--env", "prod", f"{MIGS}/0008_drop_legacy_safe.sql")
    assert named.returncode == 3 and "error[ban-drop-table]" in named.stdout  # asked for: checked
    _with_history(tree, "0100_nope")
    r = run_cli(tree, "validate", "--env", "prod")
    assert r.returncode == 1
    assert "environments/prod.yaml:8:17: error[unknown-version]: migrations.checked_from" in (
        r.stdout + r.stderr
    )


def test_a_plan_checks_a_pending_file_whatever_checked_from_says(
    project: Path, db_url: str
) -> None:
    """checked_from speaks for files applied everywhere: one the database has not applied is
    a change to it, and the plan holds it to the policy."""
    _with_history(project, '"0010"')
    r = run_cli(project, "plan", "--env", "prod")
    assert r.returncode == 3 and "0008_drop_legacy_safe.sql:1:1: error[ban-drop-table]" in r.stdout


def _adopted(
    root: Path,
    pg_admin_url: str,
    env: dict[str, str],
    prefix: str,
    setup: list[str],
    tool: str,
    baseline: str,
    hint: str,
) -> tuple[str, str]:
    """A database another tool migrated (``setup`` run in a fresh one) with none of our
    history: apply refuses it naming ``tool`` and the ``hint`` of its baseline, repair
    --baseline adopts it, then apply runs what is new. Its URL and name, to check and drop."""
    name = f"{prefix}_{root.name[-20:]}".replace("-", "_").lower()
    query(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}"')
    query(pg_admin_url, f'CREATE DATABASE "{name}"')
    url = with_db(pg_admin_url, name)
    for sql in setup:
        query(url, sql)
    env["DATABASE_URL_DEV"] = url
    r = run_cli(root, "apply", "--env", "dev", env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 3 and f"holds {tool}'s migration history" in out, out
    assert hint in out, out
    r = run_cli(root, "repair", "--env", "dev", "--baseline", baseline, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_cli(root, "apply", "--env", "dev", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return url, name


def test_a_folder_per_version_history_is_applied_in_version_order(
    tmp_path: Path, db_url: str, pg_admin_url: str
) -> None:
    """Synapse keeps each schema version's deltas in a folder named by it (54/01a.sql, its
    PostgreSQL-only 02b.sql.postgres beside SQLite's 02b.sql.sqlite); Temporal a folder per
    release (v1.1/) whose manifest.json lists the files to run, in order. The k-th file of
    version V is migration V.k, applied in that order; `reconcile new` writes the next
    release's folder (with a manifest where the newest has one)."""
    env = _history(
        tmp_path,
        "delta",
        {
            "54/01a.sql": "CREATE TABLE a (id bigint);\n",
            "54/02b.sql.postgres": "CREATE INDEX CONCURRENTLY a_id ON a (id);\n",
            "54/02b.sql.sqlite": "CREATE INDEX a_id ON a (id) WHERE sqlite_only();\n",
            "55/01c.sql": "ALTER TABLE a ADD COLUMN c text;\n",
            "9/01z.sql": "CREATE TABLE z (id bigint);\n",  # (9 before 54: versions are numbers)
        },
    )
    env["DATABASE_URL_DEV"] = db_url
    r = run_cli(tmp_path, "apply", "--env", "dev", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert query(
        db_url, "SELECT version, name FROM reconciler.schema_migrations ORDER BY applied_at"
    ) == [("0009.1", "01z"), ("0054.1", "01a"), ("0054.2", "02b"), ("0055.1", "01c")]
    assert query(db_url, "SELECT to_regclass('a_id') IS NOT NULL") == [(True,)]
    (tmp_path / "delta/55/02py.py").write_text("def run_upgrade(cur, *a): pass\n")
    r = run_cli(tmp_path, "validate", "--env", "dev", env=env)
    assert "delta/55/02py.py: error[bad-file-name]" in r.stderr, r.stdout + r.stderr
    (tmp_path / "delta/55/02py.py").unlink()
    r = run_cli(tmp_path, "new", "--env", "dev", "add_d", env=env)
    assert r.returncode == 0 and (tmp_path / "delta/56/01_add_d.sql").is_file(), r.stdout
    (tmp_path / "delta/56/01_add_d.sql").write_text("ALTER TABLE a ADD COLUMN d text;\n")

    # a database Synapse migrated: its applied_schema_deltas and none of ours. Nothing runs
    # again; the plan names the baseline by Synapse's last delta, which adopts it
    synapse, name = _adopted(
        tmp_path,
        pg_admin_url,
        env,
        "synapse",
        [
            "CREATE TABLE z (id bigint); CREATE TABLE a (id bigint, c text)",
            "CREATE INDEX a_id ON a (id)",
            "CREATE TABLE applied_schema_deltas (version int NOT NULL, file text NOT NULL)",
            "INSERT INTO applied_schema_deltas VALUES (9, '9/01z.sql'), (54, '54/01a.sql'), "
            "(54, '54/02b.sql.postgres'), (55, '55/01c.sql')",
        ],
        "Synapse",
        "55/01c",
        "--baseline 55/01c` records each file up to 55/01c.sql (Synapse's last",
    )
    assert query(synapse, "SELECT version FROM reconciler.schema_migrations ORDER BY 1") == [
        ("0009.1",),
        ("0054.1",),
        ("0054.2",),
        ("0055.1",),
        ("0056.1",),
    ]
    assert query(
        synapse, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'd'"
    ) == [(1,)]
    query(pg_admin_url, f'DROP DATABASE "{name}" WITH (FORCE)')

    temporal = tmp_path / "temporal"
    env = _history(
        temporal,
        "versioned",
        {
            "v1.0/schema.sql": "CREATE TABLE t (id bigint);\n",
            "v1.0/manifest.json": '{"CurrVersion": "1.0", "SchemaUpdateCqlFiles": ["schema.sql"]}',
            "v1.10/x.sql": "ALTER TABLE t ADD COLUMN x text;\n",
            "v1.10/manifest.json": '{"SchemaUpdateCqlFiles": ["x.sql"]}',
            "v1.9/b.sql": "ALTER TABLE t ADD COLUMN b text;\n",
            "v1.9/a.sql": "ALTER TABLE t ADD COLUMN a text;\n",
            "v1.9/unlisted.sql": "DROP TABLE t;\n",  # (Temporal runs only what is listed)
            "v1.9/manifest.json": '{"SchemaUpdateCqlFiles": ["b.sql", "a.sql"]}',
        },
    )
    r = run_cli(temporal, "validate", "--env", "dev", "-f", "json", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_cli(temporal, "new", "--env", "dev", "add_y", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    manifest = json.loads((temporal / "versioned/v1.11/manifest.json").read_text())
    assert manifest["SchemaUpdateCqlFiles"] == ["add_y.sql"]
    (temporal / "versioned/v1.9/manifest.json").write_text('{"SchemaUpdateCqlFiles": ["c.sql"]}')
    r = run_cli(temporal, "validate", "--env", "dev", env=env)
    assert "versioned/v1.9/manifest.json: error[missing-file]" in r.stderr, r.stderr


def test_a_ledgersmb_history_runs_in_the_order_its_loadorder_lists(
    tmp_path: Path, db_url: str, pg_admin_url: str
) -> None:
    """LedgerSMB keeps its change scripts in a folder per release (1.4/, 1.5/), unnumbered,
    and lists them in the order they run in LOADORDER beside the folders ('!' before one:
    LedgerSMB's "deemed applied even if it fails"). They were applied in name order, so a
    script that needs an earlier one failed, or ran before what it relies on."""
    env = _history(
        tmp_path,
        "changes",
        {
            "LOADORDER": "# changes in order\n1.4/menu.sql\n!1.4/fix.sql  # legacy\n\n"
            "1.5/add-column.sql\n",
            "1.4/menu.sql": "CREATE TABLE menu (id bigint);\n",
            "1.4/fix.sql": "ALTER TABLE menu ADD COLUMN label text;\n",  # (before menu.sql)
            "1.5/add-column.sql": "ALTER TABLE menu ADD COLUMN position integer;\n",
            "1.5/add-column.sql@1": "the script's former text, kept by LedgerSMB\n",
        },
    )
    env["DATABASE_URL_DEV"] = db_url
    r = run_cli(tmp_path, "apply", "--env", "dev", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert query(
        db_url, "SELECT version, name FROM reconciler.schema_migrations ORDER BY applied_at"
    ) == [("0001.4.1", "menu"), ("0001.4.2", "fix"), ("0001.5.1", "add_column")]
    # a script LOADORDER does not list would never run: an error, as is a line naming none
    (tmp_path / "changes/1.5/forgotten.sql").write_text("SELECT 1;\n")
    order = tmp_path / "changes/LOADORDER"
    order.write_text(order.read_text() + "1.5/gone.sql\n1.5/add-column.sql\nREADME\n1.4/late.sql\n")
    r = run_cli(tmp_path, "validate", "--env", "dev", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    for expected in (
        "changes/1.5/forgotten.sql: error[missing-file]: changes/1.5/forgotten.sql is not in "
        "LOADORDER: it would never run",
        "changes/LOADORDER:6:1: error[missing-file]: LOADORDER lists 1.5/gone.sql, which does "
        "not exist",
        "changes/LOADORDER:7:1: error[duplicate-version]: LOADORDER lists 1.5/add-column.sql "
        "again: it would run twice",
        "changes/LOADORDER:8:1: error[bad-file-name]: LOADORDER lists 'README', which is no "
        "<version>/<name>.sql file",
        "changes/LOADORDER:9:1: error[out-of-order]: LOADORDER runs 1.4/late.sql after a file "
        "of 1.5/",
    ):
        assert expected in r.stderr, r.stderr
    (tmp_path / "changes/1.5/forgotten.sql").unlink()
    order.write_text("1.4/menu.sql\n!1.4/fix.sql\n1.5/add-column.sql")  # (no newline at the end)
    # `reconcile new` puts the change in the newest release's folder and lists it last
    r = run_cli(tmp_path, "new", "--env", "dev", "add_d", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert order.read_text().splitlines()[-2:] == ["1.5/add-column.sql", "1.5/add_d.sql"]
    (tmp_path / "changes/1.5/add_d.sql").write_text("ALTER TABLE menu ADD COLUMN d text;\n")

    # a database LedgerSMB migrated: its db_patches and none of ours. The plan names the
    # baseline by LedgerSMB's last script, which adopts it
    lsmb, name = _adopted(
        tmp_path,
        pg_admin_url,
        env,
        "lsmb",
        [
            "CREATE TABLE menu (id bigint, label text, position integer)",
            "CREATE TABLE db_patches (sha text PRIMARY KEY, path text, last_updated timestamp)",
            "INSERT INTO db_patches VALUES ('a', 'sql/changes/1.4/menu.sql', '2020-01-01'), "
            "('b', 'sql/changes/1.5/add-column.sql', '2020-01-03'), "
            "('c', 'sql/changes/1.4/fix.sql', '2020-01-02')",
        ],
        "LedgerSMB",
        "1.5/add-column",
        "--baseline 1.5/add-column`",
    )
    assert query(lsmb, "SELECT version FROM reconciler.schema_migrations ORDER BY 1") == [
        ("0001.4.1",),
        ("0001.4.2",),
        ("0001.5.1",),
        ("0001.5.2",),
    ]
    query(pg_admin_url, f'DROP DATABASE "{name}" WITH (FORCE)')
