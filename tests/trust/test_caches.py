"""The gates never trust a file someone else could have written: no pickle anywhere, a corrupt
cache is a warning and a reload, and apply lints and loads afresh whatever the caches say."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.engine import EXIT_BLOCKED, Request, reconcile
from tests.conftest import query, run_cli

DROP = "DROP TABLE users;\n-- Rollback instructions:\n-- 1. restore from backup\n"


def test_no_pickle_and_a_corrupt_cache_is_a_warning(project: Path, db_url: str) -> None:
    assert run_cli(project, "plan", "--env", "dev").returncode == 2
    cache = project / ".reconciler/cache"
    assert not list(cache.glob("*.pickle"))
    (entry,) = cache.glob("desired-*.json")
    json.loads(entry.read_text())  # plain JSON
    doc = json.loads(entry.read_text())
    entry.write_text(json.dumps({**doc, "ops": [[1]], "desired": 7}))
    r = run_cli(project, "plan", "--env", "dev")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "cache: ignoring the corrupt cache entry" in r.stderr
    assert run_cli(project, "plan", "--env", "dev").returncode == 2  # rewritten, quietly used


def test_apply_does_not_trust_a_tampered_lint_cache(project: Path, db_url: str) -> None:
    assert run_cli(project, "apply", "--env", "staging").returncode == 0
    staging = project / "environments/staging.yaml"
    staging.write_text(staging.read_text().replace("policy:\n", "policy:\n  strict: true\n", 1))
    (project / "manifests/migrations/0008_drop_users_safe.sql").write_text(DROP)
    assert run_cli(project, "plan", "--env", "staging").returncode == 3  # fills the lint cache
    # someone with write access to .reconciler/ marks every cached lint result clean
    for f in (project / ".reconciler/cache").glob("lint-*.json"):
        f.write_text(json.dumps({k: [] for k in json.loads(f.read_text())}))
    assert run_cli(project, "plan", "--env", "staging").returncode == 2  # plan trusts the cache...
    out = reconcile(Request("staging", "apply", root=str(project)))
    assert out.exit_code == EXIT_BLOCKED  # ...apply lints afresh
    assert any(d.code == "ban-drop-table" for d in out.verdict.blockers)
    assert query(db_url, "SELECT to_regclass('users') IS NOT NULL") == [(True,)]


def test_apply_does_not_trust_a_tampered_desired_state_cache(project: Path, db_url: str) -> None:
    (project / "manifests/migrations/0008_drop_users_safe.sql").write_text(DROP)
    assert run_cli(project, "plan", "--env", "dev").returncode == 2
    (entry,) = (project / ".reconciler/cache").glob("desired-*.json")
    doc = json.loads(entry.read_text())
    # the cached copy of 0008 now says something harmless; the file on disk still drops users
    m = next(m for m in doc["desired"]["migrations"] if m[0] == "0008")
    source = json.loads(m[7])
    source["statements"][0][1] = source["statements"][0][2] = "SELECT 1"
    m[7] = json.dumps(source)
    entry.write_text(json.dumps(doc))
    dev = project / "environments/dev.yaml"
    dev.write_text(dev.read_text().replace("policy:\n", "policy:\n  strict: true\n", 1))
    out = reconcile(Request("dev", "apply", root=str(project)))
    assert out.exit_code == EXIT_BLOCKED and any(
        d.code == "ban-drop-table" for d in out.verdict.blockers
    )
