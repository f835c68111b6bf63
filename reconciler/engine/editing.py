"""Changing the manifests from a front door: a config value, an override, a new entry.

Git stays the source of truth: an edit is a change to the YAML files (ruamel round trip,
comments kept), checked by loading every environment with the same models as any manifest
before anything is written, and optionally committed on a new branch for review. Whether
a database changes afterwards is the caller's request to :func:`reconcile` (with the
environment's gates), never a side effect of the edit.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reconciler.engine.request import Request
from reconciler.engine.session import load
from reconciler.errors import Diagnostic, ManifestError, ReconcilerError, SourceLocation
from reconciler.files import LocalFiles

if TYPE_CHECKING:
    from reconciler.manifest import Desired
    from reconciler.manifest.models import ConfigEntrySpec

__all__ = [
    "CatalogEntry",
    "ConfigChange",
    "Edit",
    "catalog",
    "commit_on_branch",
    "environment_file",
    "environment_names",
    "git_work_tree",
    "prepare",
    "save",
]

_UNSET: Any = object()


def environment_names(root: str) -> list[str]:
    """Every environment file under ``<root>/environments``, by name."""
    folder = os.path.join(root, "environments")
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(
        n.rsplit(".", 1)[0]
        for n in names
        if n.endswith((".yaml", ".yml")) and not n.startswith(".")
    )


@dataclass(frozen=True)
class CatalogEntry:
    """One entry as its category file declares it: the value in git and its constraints."""

    category: str
    key: str
    file: str
    spec: ConfigEntrySpec


def _category_files(desired: Desired) -> list[str]:
    base = posixpath.dirname(desired.env_file)
    out: list[str] = []
    for pattern in desired.env.config.files:
        out += LocalFiles().glob(posixpath.normpath(posixpath.join(base, pattern)))
    return out


def catalog(desireds: list[Desired]) -> dict[tuple[str, str], CatalogEntry]:
    """Every entry of every category file the given environments read."""
    from reconciler.manifest.load import read_category

    out: dict[tuple[str, str], CatalogEntry] = {}
    seen: set[str] = set()
    for d in desireds:
        for path in _category_files(d):
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            try:
                spec = read_category(LocalFiles().read_text(path), path)
            except (ManifestError, OSError):
                continue  # reported, located, by the environment that reads it
            for key, entry in spec.entries.items():
                out[(spec.category, key)] = CatalogEntry(spec.category, key, path, entry)
    return out


@dataclass(frozen=True)
class ConfigChange:
    """Set one entry's value in git (``environment`` None) or in one environment's override.

    The value is either typed (``value``) or a form's text (``raw``), read by the entry's
    declared type. ``constraints`` (type, min, max, enum) describe an entry being added.
    """

    category: str
    key: str
    raw: str | None = None
    value: Any = _UNSET
    environment: str | None = None
    description: str | None = None
    constraints: Mapping[str, Any] | None = None


@dataclass
class Edit:
    change: ConfigChange
    files: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (before, after)
    field_errors: dict[str, str] = field(default_factory=dict)  # form field -> why
    problems: list[Diagnostic] = field(default_factory=list)  # what loading the result says
    affected: list[str] = field(default_factory=list)  # environments whose config changes
    value: Any = None

    @property
    def ok(self) -> bool:
        return not self.field_errors and not self.problems

    def diff(self, root: str) -> str:
        from reconciler.manifest.edit import unified_diff

        return "".join(
            unified_diff(os.path.relpath(p, root), before, after)
            for p, (before, after) in self.files.items()
        )


class _Overlay(LocalFiles):
    """The files on disk, with the edited ones replaced by their new text."""

    def __init__(self, changed: Mapping[str, str]) -> None:
        self.changed = {os.path.realpath(p): t for p, t in changed.items()}

    def read_text(self, path: str) -> str:
        hit = self.changed.get(os.path.realpath(path))
        return hit if hit is not None else super().read_text(path)

    def signature(self, path: str) -> str | None:
        # an edited file's text is not what is on disk: never vouch for it by the disk's stat
        return None if os.path.realpath(path) in self.changed else super().signature(path)


def environment_file(root: str, name: str) -> str:
    """``<root>/environments/<name>.yaml`` (or ``.yml``, as :func:`environment_names` lists)."""
    path = os.path.join(root, "environments", f"{name}.yaml")
    return (
        path
        if os.path.exists(path) or not os.path.exists(path[:-5] + ".yml")
        else path[:-5] + ".yml"
    )


def _env_request(root: str, name: str, files: LocalFiles | None = None) -> Request:
    return Request(environment_file(root, name), root=root, files=files)


def _declared(d: Desired) -> dict[tuple[str, str], Any]:
    from reconciler.plan.live import canonical_json

    return {(c.category, c.key): canonical_json(c.value) for c in d.config or []}


def prepare(root: str, change: ConfigChange) -> Edit:
    """The edit as new file texts, checked; nothing is written. ``Edit.ok`` says if it may be."""
    from pydantic import ValidationError

    from reconciler.manifest.edit import parse_value, set_entry, set_override
    from reconciler.manifest.load import check_value
    from reconciler.manifest.models import ConfigEntrySpec

    edit = Edit(change)
    names = environment_names(root)
    before: dict[str, Desired] = {}
    for n in names:
        try:
            before[n] = load(_env_request(root, n), trusted_only=True)
        except ManifestError:
            continue  # a broken environment is reported when it is loaded for itself
    entries = catalog(list(before.values()))
    entry = entries.get((change.category, change.key))
    adding = entry is None
    if change.environment is not None and change.environment not in before:
        edit.field_errors["environment"] = f"no loadable environment {change.environment!r}"
        return edit
    files_by_category = {e.category: e.file for e in entries.values()}
    if adding and change.environment is not None:
        edit.field_errors["key"] = (
            f"{change.category}.{change.key} is not declared in git: add the entry first, "
            "then override it"
        )
        return edit
    if adding and change.category not in files_by_category:
        edit.field_errors["category"] = (
            f"no category file declares {change.category!r}: create "
            f"manifests/config/{change.category}.yaml with `category: {change.category}`"
        )
        return edit
    if adding and not re.fullmatch(r"[a-z][a-z0-9_.]*", change.key):
        edit.field_errors["key"] = "a key is lower_snake_case (letters, digits, _ and .)"
        return edit
    constraints = {k: v for k, v in (change.constraints or {}).items() if v not in (None, "")}
    kind = constraints.get("type") if adding else entry.spec.type if entry else None
    if change.value is not _UNSET:
        value = change.value
    else:
        try:
            value = parse_value(change.raw or "", kind)
        except ValueError as e:
            edit.field_errors["value"] = str(e)
            return edit
    edit.value = value
    if adding:
        try:
            spec = ConfigEntrySpec.model_validate(
                {"value": value, "description": change.description or "", **constraints}
            )
        except ValidationError as e:
            for err in e.errors():
                where = str(err["loc"][0]) if err["loc"] else "value"
                edit.field_errors[where] = str(err["msg"]).removeprefix("Value error, ")
            return edit
    else:
        assert entry is not None
        spec = entry.spec
    bad = check_value(spec, value)
    if bad:
        edit.field_errors["value"] = bad
        return edit
    try:
        if change.environment is None:
            path = files_by_category[change.category]
            old = LocalFiles().read_text(path)
            new = set_entry(
                old,
                path,
                change.key,
                value,
                description=change.description,
                constraints=constraints if adding else None,
            )
        else:
            path = before[change.environment].env_file
            old = LocalFiles().read_text(path)
            new = set_override(old, path, change.category, change.key, value)
    except ManifestError as e:  # the file no longer reads as YAML (edited by hand meanwhile)
        edit.problems += e.diagnostics
        return edit
    except (OSError, UnicodeDecodeError) as e:
        edit.problems.append(
            Diagnostic(
                "unreadable",
                f"cannot read the file to edit: {type(e).__name__}: {e}",
                None,
                "check the file exists, is readable by this user and is UTF-8 text",
            )
        )
        return edit
    if new == old:
        edit.field_errors["value"] = "that is the value git already has"
        return edit
    edit.files[path] = (old, new)
    overlay = _Overlay({path: new})
    for n in names:
        try:
            after = load(_env_request(root, n, overlay))
        except ManifestError as e:
            edit.problems += e.diagnostics
            continue
        if n not in before or _declared(before[n]) != _declared(after):
            edit.affected.append(n)
    return edit


def save(edit: Edit) -> list[str]:
    """Write the edit's files (each atomically), refusing if one changed on disk since."""
    if not edit.ok:
        raise ReconcilerError("the edit does not load; nothing was written", code="bad-edit")
    for path, (before, _after) in edit.files.items():
        if LocalFiles().read_text(path) != before:
            raise ReconcilerError(
                f"{path} changed on disk since the edit was prepared; nothing was written",
                location=SourceLocation(path),
                code="edit-conflict",
                hint="reload the page and make the change again",
            )
    for path, (_before, after) in edit.files.items():
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".reconciler-edit-", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(after)
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return list(edit.files)


def _git(
    root: str, *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None
) -> str:
    done = subprocess.run(
        ["git", "-C", root, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if done.returncode != 0:
        raise ReconcilerError(
            f"git {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}",
            code="git-error",
        )
    return done.stdout.strip()


def git_work_tree(root: str) -> str | None:
    """The top of the git work tree holding ``root``, or None (no git, or not a work tree)."""
    try:
        return _git(root, "rev-parse", "--show-toplevel")
    except (ReconcilerError, OSError):
        return None


def commit_on_branch(
    root: str, contents: Mapping[str, str], message: str, branch_hint: str, actor: str
) -> tuple[str, str]:
    """Commit ``contents`` (path -> text) on top of HEAD on a new branch. Returns (branch, sha).

    Neither the work tree, the index nor the checked-out branch is touched: the commit is
    built in a private index, so a person's uncommitted work stays as it was.
    """
    top = git_work_tree(root)
    if top is None:
        raise ReconcilerError(
            f"{root} is not inside a git work tree",
            code="git-error",
            hint="git init, or commit by hand",
        )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^a-z0-9._-]+", "-", branch_hint.lower()).strip("-.") or "config"
    branch = f"reconciler/{slug}-{stamp}"
    identity: dict[str, str] = {}
    if not _git_config(top, "user.email"):
        who = actor.split("@")[0] or "reconciler"
        identity = {
            "GIT_AUTHOR_NAME": who,
            "GIT_COMMITTER_NAME": who,
            "GIT_AUTHOR_EMAIL": f"{who}@neon-reconciler.invalid",
            "GIT_COMMITTER_EMAIL": f"{who}@neon-reconciler.invalid",
        }
    with tempfile.TemporaryDirectory(prefix="reconciler-index-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index"), **identity}
        _git(top, "read-tree", "HEAD", env=env)
        for path, text in contents.items():
            rel = os.path.relpath(os.path.realpath(path), os.path.realpath(top))
            if rel.startswith(".."):
                raise ReconcilerError(f"{path} is outside the work tree {top}", code="git-error")
            blob = _git(top, "hash-object", "-w", "--stdin", stdin=text, env=env)
            _git(top, "update-index", "--add", "--cacheinfo", f"100644,{blob},{rel}", env=env)
        tree = _git(top, "write-tree", env=env)
        sha = _git(top, "commit-tree", tree, "-p", "HEAD", "-m", message, env=env)
        _git(top, "branch", branch, sha, env=env)
    return branch, sha


def _git_config(top: str, name: str) -> str:
    try:
        return _git(top, "config", "--get", name)
    except ReconcilerError:
        return ""
