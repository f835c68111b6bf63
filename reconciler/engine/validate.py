"""validate: manifests and migrations against the environment's policy, without a database.

A run whose inputs (every file read, glob and listing) are unchanged since the last one is
answered from a cache at the cost of checking the files (their stat, or their hash).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.cachefile import source_fingerprint, write_whole
from reconciler.digest import sha256
from reconciler.embedded import state_dir
from reconciler.engine.request import EXIT_BLOCKED, EXIT_ERROR, EXIT_OK, Request
from reconciler.errors import Diagnostic, ReconcilerError, SourceLocation
from reconciler.files import LocalFiles
from reconciler.lintcache import LintCache, dump_diagnostic, load_diagnostic
from reconciler.loadcache import RecordingFiles, load_cached, still_valid

if TYPE_CHECKING:
    from reconciler.manifest import Desired, DesiredMigration

__all__ = ["ValidateOutcome", "validate"]


class ValidateOutcome:
    """What validate found. A result answered whole from the cache reads its diagnostics only
    when they are asked for, and may have a front door's earlier rendering of them."""

    def __init__(
        self,
        desired: Desired | None,  # None when the result came whole from the cache
        diagnostics: list[Diagnostic] | None,
        files_checked: int,
        exit_code: int,
        cache_hits: int = 0,
        *,
        stored: str | None = None,
        renderings: Sequence[str] = (),
    ) -> None:
        self.desired = desired
        self._diagnostics = diagnostics
        self.files_checked = files_checked
        self.exit_code = exit_code
        self.cache_hits = cache_hits
        # where this result's parts are kept (``<entry>.<id>``), and which renderings exist
        self._stored = stored
        self._renderings = list(renderings)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        if self._diagnostics is None:
            try:
                with open(f"{self._stored}.diagnostics") as f:
                    rows = json.loads(f.read())
            except (OSError, ValueError, TypeError) as e:  # removed or damaged since the hit
                raise ReconcilerError(
                    f"the cached validate result {self._stored} is unreadable ({type(e).__name__})",
                    hint="run again (or set RECONCILER_NO_CACHE=1)",
                    code="cache-corrupt",
                ) from None
            self._diagnostics = [load_diagnostic(r) for r in rows]
        return self._diagnostics

    def rendered(self, key: str) -> str | None:
        """This very result as a front door rendered it before under ``key`` (format, version)."""
        if self._stored is None or key not in self._renderings:
            return None
        try:
            with open(f"{self._stored}.{_digest(key)}.out") as f:
                return f.read()
        except OSError:
            return None

    def remember(self, key: str, text: str) -> None:
        """Keep a rendering beside the cached result, so an unchanged run prints it as is."""
        if self._stored is None:
            return
        write_whole(f"{self._stored}.{_digest(key)}.out", text)  # (again, if it went missing)
        if key in self._renderings:
            return
        entry_file = self._stored.rsplit(".", 1)[0]
        try:
            with open(entry_file) as f:
                entry = json.loads(f.read())
            if f"{entry_file}.{entry['id']}" != self._stored:
                return  # another run has stored a newer result meanwhile
            entry["rendered"] = [*entry.get("rendered", [])[-(_RENDERINGS - 1) :], key]
        except (OSError, ValueError, KeyError, TypeError):
            return
        write_whole(entry_file, json.dumps(entry))
        self._renderings.append(key)


_RENDERINGS = 4  # renderings kept per result (text, json, sarif, github)
_GRACE = 60.0  # seconds a replaced result's parts are kept for runs still reading them


def _digest(text: str) -> str:
    return sha256(text.encode()).hexdigest()[:16]


def _cache_dir(request: Request) -> Path:
    """Where validate keeps its caches: the project's .reconciler/cache; for files checked
    without an environment (maybe in someone else's checkout), the user's cache folder, so
    that linting a folder leaves nothing in it."""
    if request.env or os.environ.get("RECONCILER_HOME"):
        return state_dir() / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "neon-reconciler"


def _key(request: Request, paths: Sequence[str], policy: object = None) -> str:
    from reconciler import __version__
    from reconciler.lintcache import rules_fingerprint

    doc = json.dumps(
        [
            __version__,
            rules_fingerprint(),
            # the loader's, the policy's and this verb's own code: an edited one of the same
            # version (an editable install, a patched package) never answers with the old result
            source_fingerprint(".", "manifest", "engine"),
            os.path.abspath(request.root),
            # the findings name files as the run was asked (relative to where it ran, or not)
            request.root,
            os.getcwd(),
            request.env,
            list(paths),
            request.emergency,
            policy,  # a standalone run's --rule and --relaxed
        ]
    )
    return str(sha256(doc.encode()).hexdigest())[:32]


def _cached(
    request: Request, paths: Sequence[str], policy: object = None
) -> tuple[ValidateOutcome | None, str | None]:
    """The stored result of an earlier run with the same inputs, if no input changed since.

    An entry (``validate-<key>.json``) lists the files, listings and globs the run read with
    their signatures; its diagnostics and each rendering of them sit beside it in files named
    after the entry's id, so a hit reads only what it prints."""
    if request.files is not None or os.environ.get("RECONCILER_NO_CACHE"):
        return None, None
    cache_file = str(_cache_dir(request) / f"validate-{_key(request, paths, policy)}.json")
    try:
        with open(cache_file) as f:
            entry = json.loads(f.read())
        ident = str(entry["id"])
        if len(ident) != 16 or not all(c in "0123456789abcdef" for c in ident):
            raise ValueError("not an id this code wrote")  # never a path of its choosing
        if still_valid([(o[0], o[1], o[2]) for o in entry["ops"]], LocalFiles()):
            out = ValidateOutcome(
                None,
                None,
                int(entry["checked"]),
                int(entry["exit"]),
                int(entry["checked"]),
                stored=f"{cache_file}.{ident}",
                renderings=[str(k) for k in entry.get("rendered", [])],
            )
            return out, cache_file
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None, cache_file


def _store(cache_file: str, recorder: RecordingFiles, out: ValidateOutcome) -> None:
    import secrets

    folder, name = os.path.split(cache_file)
    # the parts of the results this one replaces, once no run that answered from them a
    # moment ago can still be reading them
    try:
        for old in os.listdir(folder):
            path = os.path.join(folder, old)
            if old.startswith(name + ".") and os.stat(path).st_mtime < time.time() - _GRACE:
                os.unlink(path)
    except OSError:
        pass
    ident = secrets.token_hex(8)
    stored = f"{cache_file}.{ident}"
    if not write_whole(
        f"{stored}.diagnostics", json.dumps([dump_diagnostic(d) for d in out.diagnostics])
    ):
        return
    doc = {"id": ident, "ops": recorder.ops, "checked": out.files_checked, "exit": out.exit_code}
    if write_whole(cache_file, json.dumps(doc)):
        out._stored = stored


# undo halves that never run forward: golang-migrate's .down.sql, Diesel's down.sql, yoyo's
# .rollback.sql, postgrator's <version>.undo[.<description>].sql (and Flyway's
# U<version>__*.sql, FLYWAY_UNDO_FILE)
_DOWN = re.compile(r"(?:^|\.)(?:down|rollback)\.sql$|^\d+\.undo(?:\.[^/]*)?\.sql$", re.IGNORECASE)


# what PostgreSQL SQL files are named in a folder given to check (.pgsql, .psql: SQL all the
# same; Synapse's <name>.sql.postgres is the PostgreSQL one of a pair with <name>.sql.sqlite)
_SQL_FILES = ("*.sql", "*.SQL", "*.pgsql", "*.psql", "*.sql.postgres")


def _expanded(paths: Sequence[str], files: RecordingFiles, diags: list[Diagnostic]) -> list[str]:
    """The files named, a folder standing for the SQL files in it (_SQL_FILES) and in its
    subfolders one level down (Prisma's <version>_<name>/migration.sql, Diesel's up.sql, Sqitch's deploy/),
    and Flyway's V and R files at any depth up to four folders down,
    undo halves, Sqitch's revert/ and verify/ scripts and pop's files for other databases
    left out; a named file that does
    not exist is reported here, with where it was looked for."""
    from reconciler.manifest.load import sa_migrate_role, sa_migrate_upgrades, undo_twin
    from reconciler.sql.migration import (  # (not on a cached run's path)
        DBCONFIG_SCRIPT,
        FLYWAY_UNDO_FILE,
        other_database_file,
    )

    out: list[str] = []
    for raw in paths:
        p = os.path.normpath(raw)
        if os.path.isdir(p):
            patterns = [
                *(
                    os.path.join(p, *["*"] * depth, suffix)
                    for suffix in _SQL_FILES
                    for depth in (0, 1)
                ),
                # (Flyway's files deeper down too, where Flyway finds them: 2.0/hotfix/V2.0.1__x.sql)
                *(os.path.join(p, *["*"] * depth, "[VR]*__*.sql") for depth in (2, 3, 4)),
            ]
            globbed = [f for pattern in patterns for f in files.glob(pattern)]
            # (dbconfig-common's upgrade scripts: SQL named by a version alone, 1.5.10, in
            # the folder or in its upgrade/pgsql/ one level down)
            globbed += [
                f
                for depth in (0, 1)
                for f in files.glob(os.path.join(p, *["*"] * depth, "[0-9]*"))
                if DBCONFIG_SCRIPT.fullmatch(os.path.basename(f))
            ]
            beside: dict[str, set[str]] = {}  # each folder's names of files, lower case
            for f in globbed:
                beside.setdefault(os.path.dirname(f), set()).add(os.path.basename(f).lower())
            sa_index = {d: sa_migrate_upgrades(names) for d, names in beside.items()}
            found = [
                f
                for f in globbed
                if not _DOWN.search(os.path.basename(f))
                and not FLYWAY_UNDO_FILE.match(os.path.basename(f))
                and not other_database_file(os.path.basename(f), beside[os.path.dirname(f)])
                and sa_migrate_role(os.path.basename(f), sa_index[os.path.dirname(f)])
                not in ("skip", "lone-undo")
                and not undo_twin(os.path.basename(f).lower(), beside[os.path.dirname(f)])
            ]
            found = _not_other_databases(p, found, beside)
            # Sqitch keeps a change's undo and its check beside it: deploy/x.sql runs,
            # revert/x.sql and verify/x.sql never run forward
            parts = {os.path.basename(os.path.dirname(f)) for f in found}
            if "deploy" in parts:
                found = [
                    f
                    for f in found
                    if os.path.dirname(f) == p
                    or os.path.basename(os.path.dirname(f)) not in ("revert", "verify")
                ]
            if not found:
                diags.append(
                    Diagnostic(
                        "missing-file",
                        f"{raw} holds no .sql file (nor do its subfolders)",
                        SourceLocation(raw),
                        "name the migration files, or the folder that holds them",
                    )
                )
            out.extend(sorted(set(found)))  # (*.sql and *.SQL are one on some file systems)
        elif not os.path.exists(p):
            # through the recorder: a stored result must not outlive the file's absence
            with contextlib.suppress(OSError, UnicodeDecodeError):
                files.read_text(p)
            diags.append(
                Diagnostic(
                    "missing-file",
                    f"{raw} does not exist",
                    SourceLocation(raw),
                    f"paths are relative to the folder the command runs in ({os.getcwd()})",
                )
            )
        else:
            out.append(p)
    return out


def _not_other_databases(top: str, found: list[str], beside: dict[str, set[str]]) -> list[str]:
    """The files found below the folder ``top`` but those that are another database's by
    their name or a folder's on the way (other_database_twin: SQL/mysql/ beside
    SQL/postgres/, mysql.initial.sql beside postgres.initial.sql), ``beside`` holding each
    folder's names of files, lower case."""
    from reconciler.sql.migration import OTHER_DATABASES, other_database_twin

    def named(path: str) -> bool:
        low = os.path.relpath(path, top).lower()
        return any(w in low for w in OTHER_DATABASES)

    if not any(named(f) for f in found):
        return found  # (most folders: no other database named in them)
    folders: dict[str, set[str]] = {}  # each folder's subfolders that hold files, lower case
    for d in beside:
        r = os.path.relpath(d, top).split(os.sep)
        if r[0] in (os.curdir, os.pardir):
            continue
        for k in range(len(r)):
            folders.setdefault(os.path.join(top, *r[:k]), set()).add(r[k].lower())

    def other(path: str) -> bool:
        here = top
        for part in os.path.relpath(path, top).split(os.sep)[:-1]:
            if other_database_twin(part, folders.get(here, ())):
                return True
            here = os.path.join(here, part)
        return other_database_twin(os.path.basename(path), beside.get(here, ()))

    return [f for f in found if not (named(f) and other(f))]


def _history(desired: Desired, migrations: Sequence[DesiredMigration]) -> set[str]:
    """The versioned files before migrations.checked_from, up to the environment's target (a
    repeatable file changes and runs again, and one past the target is not applied there yet:
    neither is history)."""
    from reconciler.sql.migration import is_repeatable, version_key

    ref = desired.env.migrations.checked_from
    start = None if ref is None else next((m for m in migrations if m.is_named(str(ref))), None)
    if start is None:
        return set()
    limit = version_key(start.version)
    wanted = {m.version for m in desired.wanted}
    return {
        m.version
        for m in migrations
        if m.version in wanted and not is_repeatable(m.version) and version_key(m.version) < limit
    }


def _check_rule_ids(rules: Mapping[str, str]) -> None:
    from reconciler.sql.ruleids import FIXED_RULES, RULE_IDS

    for rule, severity in rules.items():
        if rule in FIXED_RULES and severity != "error":
            raise ReconcilerError(
                f"{rule} cannot be relaxed: it guards the tool's own history, approvals and "
                "audit log",
                hint="keep the migration out of the reconciler schema",
                code="fixed-rule",
            )
        if rule not in RULE_IDS:
            raise ReconcilerError(
                f"--rule names unknown rule {rule!r}",
                hint="the rule ids are in docs/rules/ (reconcile validate --help)",
                code="unknown-rule",
            )
        if severity not in ("error", "warning", "off"):
            raise ReconcilerError(
                f"--rule {rule}={severity}: the severity is error, warning or off",
                code="usage",
            )


def validate(
    request: Request,
    paths: Sequence[str] = (),
    rules: Mapping[str, str] | None = None,
    relaxed: bool = False,
) -> ValidateOutcome:
    """Lint migrations under the environment's policy: the given files, else every file in the
    folder (those past the target marked "not yet promoted", so a pull request learns now what
    would block at promotion). Files checked without an environment take ``rules`` (rule id ->
    error | warning | off) and ``relaxed`` (a non-strict environment's rules) instead."""
    rules = dict(rules or {})
    if request.env and (rules or relaxed):
        raise ReconcilerError(
            "rules given for a check with an environment: its policy decides them",
            hint=f"set policy.rules in {request.env}'s manifest, or check FILES without --env",
            code="usage",
        )
    _check_rule_ids(rules)
    hit, cache_file = _cached(request, paths, [sorted(rules.items()), relaxed])
    if hit is not None:
        return hit
    from reconciler.manifest.load import load_migration_file

    recorder = RecordingFiles(request.files or LocalFiles())
    desired: Desired | None = None
    if request.env:
        from reconciler.manifest import load_environment, resolve_env_file
        from reconciler.policy import lint_config

        env_file = resolve_env_file(request.env, request.root)
        if request.files is None:  # the desired-state cache replays its inputs through the recorder
            desired = load_cached(env_file, recorder, state_dir() / "cache", None, request.root)
        else:
            desired = load_environment(env_file, recorder, request.root)
        config = lint_config(desired, request.emergency)
    elif paths:  # no environment: the files alone, under a strict environment's default rules
        from reconciler.sql.lintconfig import standalone

        config = standalone(request.emergency, rules, relaxed)
    else:
        raise ReconcilerError(
            "validate needs an environment (--env), or the migration files to check",
            hint="reconcile validate --env prod, or reconcile validate FILES (checked under a "
            "strict environment's default rules)",
            code="no-environment",
        )
    diags: list[Diagnostic] = []
    migrations: list[DesiredMigration]
    if paths:
        migrations = []
        history = {os.path.realpath(m.path): m for m in desired.migrations} if desired else {}
        for p in _expanded(paths, recorder, diags):
            known = history.get(os.path.realpath(p))
            if known is not None:  # a file of the environment's folder, as the environment
                migrations.append(known)  # reads it: its placeholders replaced, what the
                continue  # files before it proved
            m = load_migration_file(p, recorder, diags, any_name=True)
            if m is not None:
                migrations.append(m)
    else:
        assert desired is not None
        migrations = list(desired.migrations)  # every file: those past the target come later
    wanted = {m.version for m in desired.wanted} if desired else set()
    before = _history(desired, migrations) if desired is not None and not paths else set()
    cache = LintCache(_cache_dir(request), config)
    cache.prefetch([m for m in migrations if m.version not in before])
    past = LintCache(_cache_dir(request), dataclasses.replace(config, history=True))
    past.prefetch([m for m in migrations if m.version in before])
    if before:
        assert desired is not None
        diags.append(
            Diagnostic(
                "history",
                f"{len(before)} file(s) before migrations.checked_from "
                f"({desired.env.migrations.checked_from}) are history: checked only for what "
                f"would break the apply itself, not held to {desired.env.name}'s policy",
                desired.locations.get("checked_from"),
                None,
                "info",
            )
        )
    for m in migrations:
        found = (past if m.version in before else cache).lint(m)
        diags.extend(found)
        if desired is not None and m.version not in wanted and not paths:
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
    past.save()
    code = EXIT_BLOCKED if any(d.severity == "error" for d in diags) else EXIT_OK
    if any(d.code == "missing-file" for d in diags):
        code = EXIT_ERROR  # a path that names nothing: the input is wrong, not the SQL
    out = ValidateOutcome(desired, diags, len(migrations), code, cache.hits)
    if cache_file is not None:
        _store(cache_file, recorder, out)
    return out
