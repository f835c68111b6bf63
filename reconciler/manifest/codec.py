"""Desired <-> plain JSON data, for the desired-state cache (JSON, never pickle: a cache file
that someone else could write must never be able to run code when it is read).

Decoding is strict: anything that does not have the expected shape raises ``ValueError``,
and the cache treats that as a miss. A migration's source (its text, statements and comments)
is a JSON text of its own, decoded when something first reads more than its path or
checksum: a plan with nothing pending, over a long history, reads only those.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import TYPE_CHECKING, Any, cast

from reconciler.errors import Diagnostic, ReconcilerError, SourceLocation
from reconciler.manifest.desired import ConfigEntry, Desired, DesiredMigration, ForumNode
from reconciler.manifest.specview import SpecView
from reconciler.sql.migration import Ignore, MigrationSource
from reconciler.sql.split import Comment, Statement

if TYPE_CHECKING:
    from reconciler.manifest.models import EnvironmentSpec

__all__ = ["FORMAT", "desired_from_json", "desired_to_json"]

FORMAT = 8  # bump whenever a field below changes (8: the env read back as SpecView)


def _loc(v: SourceLocation | None) -> list[Any] | None:
    return None if v is None else [v.file, v.line, v.col]


def _unloc(v: Any) -> SourceLocation | None:
    if v is None:
        return None
    file, line, col = v
    return SourceLocation(str(file), int(line), int(col))


def _diag(d: Diagnostic) -> list[Any]:
    return [d.code, d.message, _loc(d.location), d.hint, d.severity]


def _undiag(v: Any) -> Diagnostic:
    code, message, loc, hint, severity = v
    if severity not in ("error", "warning", "info"):
        raise ValueError("bad severity")
    return Diagnostic(str(code), str(message), _unloc(loc), hint, severity)


def _source(s: MigrationSource) -> dict[str, Any]:
    return {
        "path": s.path,
        "checksum": s.checksum,
        "text": s.text,
        "statements": [
            [st.index, st.text, st.code, st.line, st.col, st.end_line, st.data]
            for st in s.statements
        ],
        "comments": [[c.text, c.line, c.col, c.own_line, c.end_line] for c in s.comments],
        "header": s.header,
        "rollback": s.rollback,
        "no_transaction": s.no_transaction,
        "no_transaction_reason": s.no_transaction_reason,
        "ignores": [[list(i.rules), i.reason, i.line] for i in s.ignores],
        "directives": s.directives,
        "errors": [_diag(d) for d in s.errors],
        "meta_commands": [[line, name] for line, name in s.meta_commands],
    }


def _unsource(v: dict[str, Any]) -> MigrationSource:
    return MigrationSource(
        path=str(v["path"]),
        checksum=str(v["checksum"]),
        text=str(v["text"]),
        statements=[
            Statement(
                int(i), str(t), str(c), int(ln), int(col), int(end), None if d is None else str(d)
            )
            for i, t, c, ln, col, end, d in v["statements"]
        ],
        comments=[
            Comment(str(t), int(ln), int(col), bool(own), int(end))
            for t, ln, col, own, end in v["comments"]
        ],
        header={str(k): str(x) for k, x in v["header"].items()},
        rollback=[str(x) for x in v["rollback"]],
        no_transaction=bool(v["no_transaction"]),
        no_transaction_reason=v["no_transaction_reason"],
        ignores=[
            Ignore(tuple(map(str, r)), str(reason), int(ln)) for r, reason, ln in v["ignores"]
        ],
        directives={str(k): str(x) for k, x in v["directives"].items()},
        errors=[_undiag(d) for d in v["errors"]],
        meta_commands=[(int(line), str(name)) for line, name in v["meta_commands"]],
    )


class _Deferred(MigrationSource):
    """A cached migration's source, decoded on first use of anything but its path and checksum."""

    def __init__(self, path: str, checksum: str, raw: str) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "checksum", checksum)
        object.__setattr__(self, "_raw", raw)

    def __getattr__(self, name: str) -> Any:  # only for what is not decoded yet
        raw = self.__dict__.get("_raw")
        if raw is None or name.startswith("__"):
            raise AttributeError(name)
        try:
            full = _unsource(json.loads(raw))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ReconcilerError(
                f"the cached source of {self.path} is unreadable ({type(e).__name__})",
                hint="delete the desired-state cache (or set RECONCILER_NO_CACHE=1) and run again",
                code="cache-corrupt",
            ) from None
        if full.checksum != self.checksum or full.path != self.path:
            raise ReconcilerError(
                f"the cached source of {self.path} is not the file it names",
                hint="delete the desired-state cache (or set RECONCILER_NO_CACHE=1) and run again",
                code="cache-corrupt",
            )
        for f in fields(MigrationSource):
            object.__setattr__(self, f.name, getattr(full, f.name))
        self.__dict__.pop("_raw", None)  # two threads may both have decoded it
        return getattr(self, name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MigrationSource):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(MigrationSource))


def desired_to_json(d: Desired) -> dict[str, Any]:
    return {
        "env": d.env.model_dump(mode="json"),
        "env_file": d.env_file,
        "migrations": [
            [
                m.version,
                m.name,
                m.filename,
                m.path,
                m.safe,
                m.source.path,
                m.source.checksum,
                json.dumps(_source(m.source), separators=(",", ":")),
                sorted(m.proven),
            ]
            for m in d.migrations
        ],
        "target": d.target,
        "config": None
        if d.config is None
        else [[c.category, c.key, c.value, c.description, _loc(c.location)] for c in d.config],
        "forums": None
        if d.forums is None
        else [
            [
                f.slug,
                f.parent_slug,
                f.kind,
                f.name,
                f.description,
                f.position,
                f.settings,
                _loc(f.location),
            ]
            for f in d.forums
        ],
        "locations": {k: _loc(v) for k, v in d.locations.items()},
    }


def desired_from_json(v: dict[str, Any]) -> Desired:
    """The Desired a :func:`desired_to_json` document describes; ValueError when it is not one."""
    try:
        config = v["config"]
        forums = v["forums"]
        return Desired(
            # the environment as validated when the entry was written, without pydantic
            env=cast("EnvironmentSpec", SpecView("EnvironmentSpec", v["env"])),
            env_file=str(v["env_file"]),
            migrations=[
                DesiredMigration(
                    str(ver),
                    str(n),
                    str(fn),
                    str(p),
                    bool(safe),
                    _Deferred(str(sp), str(sc), str(raw)),
                    frozenset((str(t), str(c), str(col)) for t, c, col in proven),
                )
                for ver, n, fn, p, safe, sp, sc, raw, proven in v["migrations"]
            ],
            target=v["target"],
            config=None
            if config is None
            else [
                ConfigEntry(str(c), str(k), val, str(desc), _unloc(loc) or SourceLocation(""))
                for c, k, val, desc, loc in config
            ],
            forums=None
            if forums is None
            else [
                ForumNode(
                    str(s),
                    par,
                    str(kind),
                    str(n),
                    str(desc),
                    int(pos),
                    dict(st),
                    _unloc(loc) or SourceLocation(""),
                )
                for s, par, kind, n, desc, pos, st, loc in forums
            ],
            locations={str(k): _unloc(x) or SourceLocation("") for k, x in v["locations"].items()},
        )
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"not a cached desired state: {e}") from None
