"""validate: manifests and migrations against the environment's policy, without a database.

A run whose inputs (every file read, glob and listing) are unchanged since the last one is
answered from a cache at the cost of checking the files (their stat, or their hash).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.embedded import state_dir
from reconciler.engine.request import EXIT_BLOCKED, EXIT_OK, Request
from reconciler.errors import Diagnostic, SourceLocation
from reconciler.files import LocalFiles
from reconciler.lintcache import LintCache, dump_diagnostic, load_diagnostic
from reconciler.loadcache import RecordingFiles, load_cached, still_valid

if TYPE_CHECKING:
    from reconciler.manifest import Desired, DesiredMigration

__all__ = ["ValidateOutcome", "validate"]


@dataclass
class ValidateOutcome:
    desired: Desired | None  # None when the result came whole from the cache
    diagnostics: list[Diagnostic]
    files_checked: int
    exit_code: int
    cache_hits: int = 0


def _key(request: Request, paths: Sequence[str]) -> str:
    from reconciler import __version__
    from reconciler.lintcache import rules_fingerprint

    doc = json.dumps(
        [
            __version__,
            rules_fingerprint(),
            os.path.abspath(request.root),
            request.env,
            list(paths),
            request.emergency,
        ]
    )
    return hashlib.sha256(doc.encode()).hexdigest()[:32]


def _cached(request: Request, paths: Sequence[str]) -> tuple[ValidateOutcome | None, str | None]:
    if request.files is not None or os.environ.get("RECONCILER_NO_CACHE"):
        return None, None
    cache_file = str(state_dir() / "cache" / f"validate-{_key(request, paths)}.json")
    try:
        with open(cache_file) as f:
            entry = json.load(f)
        if still_valid([(o[0], o[1], o[2]) for o in entry["ops"]], LocalFiles()):
            cached = [load_diagnostic(r) for r in entry["diagnostics"]]
            return (
                ValidateOutcome(None, cached, entry["checked"], entry["exit"], entry["checked"]),
                cache_file,
            )
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None, cache_file


def _store(cache_file: str, recorder: RecordingFiles, out: ValidateOutcome) -> None:
    doc = {
        "ops": recorder.ops,
        "checked": out.files_checked,
        "exit": out.exit_code,
        "diagnostics": [dump_diagnostic(d) for d in out.diagnostics],
    }
    try:
        os.makedirs(os.path.dirname(cache_file), exist_ok=True)
        tmp = cache_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, cache_file)
    except OSError:
        pass


def validate(request: Request, paths: Sequence[str] = ()) -> ValidateOutcome:
    """Lint migrations under the environment's policy: the given files, else every file in the
    folder (those past the target marked "not yet promoted", so a pull request learns now what
    would block at promotion)."""
    hit, cache_file = _cached(request, paths)
    if hit is not None:
        return hit
    from reconciler.manifest import load_environment, resolve_env_file
    from reconciler.manifest.load import load_migration_file
    from reconciler.policy import lint_config

    recorder = RecordingFiles(request.files or LocalFiles())
    env_file = resolve_env_file(request.env, request.root)
    if request.files is None:  # the desired-state cache replays its inputs through the recorder
        desired = load_cached(env_file, recorder, state_dir() / "cache", None, request.root)
    else:
        desired = load_environment(env_file, recorder, request.root)
    diags: list[Diagnostic] = []
    migrations: list[DesiredMigration]
    if paths:
        migrations = []
        for p in paths:
            m = load_migration_file(os.path.normpath(p), recorder, diags)
            if m is not None:
                migrations.append(m)
    else:
        migrations = list(desired.migrations)  # every file: those past the target come later
    wanted = {m.version for m in desired.wanted}
    cache = LintCache(state_dir() / "cache", lint_config(desired, request.emergency))
    cache.prefetch(migrations)
    for m in migrations:
        found = cache.lint(m)
        diags.extend(found)
        if m.version not in wanted and not paths:
            diags.append(
                Diagnostic(
                    "not-yet-promoted",
                    f"{m.filename} is past {desired.env.name}'s migrations.target "
                    f"({desired.target}): checked under {desired.env.name}'s rules for when it "
                    "is promoted"
                    + (
                        f"; it has {sum(d.severity == 'error' for d in found)} error(s)"
                        if any(d.severity == "error" for d in found)
                        else ""
                    ),
                    SourceLocation(m.path),
                    None,
                    "info",
                )
            )
    cache.save()
    code = EXIT_BLOCKED if any(d.severity == "error" for d in diags) else EXIT_OK
    out = ValidateOutcome(desired, diags, len(migrations), code, cache.hits)
    if cache_file is not None:
        _store(cache_file, recorder, out)
    return out
