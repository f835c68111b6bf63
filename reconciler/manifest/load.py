"""Loading an environment: its YAML, migration folder, config files and forum map.

Every problem is collected (not just the first) and raised together as one
:class:`~reconciler.errors.ManifestError`, each with ``file:line:col`` and a hint.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import posixpath
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Any, get_args, get_origin

from reconciler.errors import Diagnostic, ManifestError, SourceLocation
from reconciler.manifest.desired import ConfigEntry, Desired, DesiredMigration, ForumNode
from reconciler.manifest.fs import Files
from reconciler.manifest.sqitch import SqitchLayout, sqitch_layout
from reconciler.sql.migration import (
    DATABASE_SQL,
    DBCONFIG_SCRIPT,
    DIALECT_FILE,
    DOWN_FILE,
    FLYWAY_UNDO_FILE,
    MIGRATION_FILE,
    POSTGRES_DIALECTS,
    POSTGRES_SQL,
    RELEASE_FOLDER,
    REPEATABLE,
    is_repeatable,
    other_database_file,
    parse_migration,
    version_key,
)
from reconciler.sql.proofs import history_proofs, history_types
from reconciler.sql.split import PSQL_VARIABLE_AFTER

if TYPE_CHECKING:
    # pydantic and the models are imported only where a manifest needs the model's own
    # judgement (see _validate), never with this module: importing them is about 0.08 s, more
    # than checking a whole environment
    from pydantic import BaseModel

    from reconciler.manifest.models import (
        ConfigEntrySpec,
        ConfigFileSpec,
        EnvironmentSpec,
        ForumMapSpec,
        ForumNodeSpec,
        MigrationsSpec,
    )
    from reconciler.manifest.yamldoc import Locator

__all__ = [
    "check_value",
    "dated_name",
    "find_secret",
    "load_environment",
    "load_migration_file",
    "read_category",
    "release_after_words",
    "release_script",
    "resolve_env_file",
    "sa_migrate_role",
    "sa_migrate_upgrades",
    "undo_twin",
    "upgrade_script",
    "version_folder_of",
]

MAX_MIGRATION_BYTES = 10 * 1024 * 1024
JSON_SAFE = 2**53 - 1  # integers beyond this lose digits in JavaScript and many JSON readers


def resolve_env_file(env: str, root: str = ".") -> str:
    """``dev`` -> ``environments/dev.yaml``; a path ending in .yaml/.yml is taken as it is."""
    if env.endswith((".yaml", ".yml")):
        return posixpath.normpath(env)
    return posixpath.normpath(posixpath.join(root, "environments", f"{env}.yaml"))


class _Secret:
    """A finding waiting its turn on find_secret's stack (so the order stays depth first)."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def find_secret(
    data: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield (path, why) for literal credentials written into YAML data, at any depth: a
    password-ish key with a value, a URL or DSN with a password, a well-known token format."""
    from reconciler.sql import secrets

    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, path)]  # depth first, in order
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            children: list[tuple[Any, tuple[str | int, ...]]] = []
            for k, v in node.items():
                if _holds_secret(k, v, secrets.SECRET_KEYS.match):
                    children.append((_Secret(f"key {k!r} holds a literal secret"), (*at, k)))
                else:
                    children.append((v, (*at, k)))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(reversed([(v, (*at, i)) for i, v in enumerate(node)]))
        elif isinstance(node, _Secret):
            yield at, node.why
        elif isinstance(node, str):
            found = secrets.find(node)
            if found:
                yield at, f"{found[0][1]} is written here"


def _unsafe_numbers(
    data: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Integers that JSON readers cannot hold exactly."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _unsafe_numbers(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _unsafe_numbers(v, (*path, i))
    elif isinstance(data, int) and not isinstance(data, bool) and abs(data) > JSON_SAFE:
        yield path, f"{data} is outside the range JSON readers hold exactly (±2**53-1)"


def _holds_secret(key: Any, value: Any, secret_key: Callable[[str], Any]) -> bool:
    """A password-ish key with a value written in; or a key named like a credential
    (``smtp_password``, ``webhook_secret``) whose text value looks like one (not empty, a
    number, a placeholder or a short word)."""
    k = str(key)
    if secret_key(k) and isinstance(value, str | int) and value != "":
        return True
    return isinstance(value, str) and _credential_name(k) and _secret_text(k, value)


@functools.cache
def _credential_name(key: str) -> bool:
    """Cheap first look (keys repeat: value, type, description ...)."""
    from reconciler.sql.secrets import SECRET_COLUMN

    return SECRET_COLUMN.match(key) is not None


def _secret_text(key: str, value: str) -> bool:
    from reconciler.sql.secrets import secret_value

    return secret_value(key, value)


def _clean(data: Any, secret_key: Callable[[str], Any], secret: Callable[[str], Any]) -> bool:
    """No secret and no unsafe number anywhere in ``data``: one pass that builds no paths (the
    located search runs only when this finds something; 10,000 config entries are clean).
    What _holds_secret and _unsafe_numbers decide, with each key judged once: a category
    file repeats ``value``, ``type`` and ``description`` thousands of times."""
    keys: dict[str, tuple[bool, bool]] = {}  # key -> (secret_key, _credential_name)
    texts: dict[str, bool] = {}  # a text value -> secret(text): `type: integer` 10,000 times
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                name = str(k)
                flags = keys.get(name)
                if flags is None:
                    flags = keys[name] = (bool(secret_key(name)), _credential_name(name))
                if isinstance(v, str):
                    found = texts.get(v)
                    if found is None:
                        found = texts[v] = bool(secret(v))
                    if found or (flags[0] and v != "") or (flags[1] and _secret_text(name, v)):
                        return False
                elif isinstance(v, int):  # (bool included, as _holds_secret has it)
                    if flags[0] or (not isinstance(v, bool) and abs(v) > JSON_SAFE):
                        return False
                elif isinstance(v, dict | list):
                    stack.append(v)
        elif isinstance(node, list):
            for v in node:
                if isinstance(v, str):
                    if secret(v):
                        return False
                elif isinstance(v, int):
                    if not isinstance(v, bool) and abs(v) > JSON_SAFE:
                        return False
                elif isinstance(v, dict | list):
                    stack.append(v)
        elif isinstance(node, str):
            return not secret(node)
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > JSON_SAFE:
            return False
    return True


def _data_problems(data: Any, loc: Locator, what: str) -> list[Diagnostic]:
    from reconciler.sql import secrets

    if _clean(data, secrets.SECRET_KEYS.match, secrets.find):
        return []
    out = [
        Diagnostic(
            "literal-secret",
            f"{'.'.join(map(str, p)) or 'value'}: {why}",
            loc.value(p),
            f"secrets do not belong in {what}: keep them in a secret store and reference them "
            "from the application",
        )
        for p, why in find_secret(data)
    ]
    out += [
        Diagnostic(
            "bad-number",
            f"{'.'.join(map(str, p))}: {why}",
            loc.value(p),
            "store it as a string",
        )
        for p, why in _unsafe_numbers(data)
    ]
    return out


def _secret_entries(data: Any, loc: Locator) -> list[Diagnostic]:
    """Config entries named like a credential (``smtp_password``, ``stripe_api_key``) whose
    value is written in: the name says what the value is, as a column's does in SQL."""
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        return []
    out = []
    for name, entry in entries.items():
        if not _credential_name(str(name)) or not isinstance(entry, dict):
            continue
        value = entry.get("value")
        if isinstance(value, str) and _secret_text(str(name), value):
            out.append(
                Diagnostic(
                    "literal-secret",
                    f"entries.{name}.value: config entry {name!r} holds a literal secret",
                    loc.value(("entries", name, "value")),
                    "secrets do not belong in config entries: keep them in a secret store and "
                    "reference them from the application",
                )
            )
    return out


def _known_fields(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """Field names of the model reached by following ``loc`` from ``model``."""
    from pydantic import BaseModel

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        f = current.model_fields.get(str(part))
        if f is None:
            return []
        ann = f.annotation
        while get_origin(ann) is not None:
            args = [a for a in get_args(ann) if a is not type(None)]
            ann = args[-1] if args else None
        current = ann
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _validate(kind: str, data: Any, loc: Locator, diags: list[Diagnostic]) -> Any:
    """The spec ``data`` declares, ``kind`` naming its model (EnvironmentSpec,
    ConfigFileSpec, ...), as a :class:`SpecView`; None with located problems in ``diags``.

    The fast path (:mod:`reconciler.manifest.shapes`) answers for data it is sure the model
    accepts as written, without importing pydantic; anything else goes to the model, whose
    messages are the ones reported."""
    from reconciler.manifest.shapes import dump
    from reconciler.manifest.specview import SpecView

    if not isinstance(data, dict):
        diags.append(
            Diagnostic(
                "wrong-type",
                f"expected a mapping at the top of the file, found {type(data).__name__}",
                loc.value(()),
                f"see the reference for the {kind} format in README.md",
            )
        )
        return None
    fast = dump(kind, data)
    if fast is not None:
        return SpecView(kind, fast, checked=True)
    from pydantic import ValidationError

    from reconciler.manifest import models

    model: type[BaseModel] = getattr(models, kind)
    try:
        return SpecView(kind, model.model_validate(data).model_dump(), checked=True)
    except ValidationError as exc:
        for e in exc.errors():
            path = tuple(e["loc"])
            dotted = ".".join(str(p) for p in path)
            if e["type"] == "extra_forbidden":
                known = _known_fields(model, path[:-1])
                close = difflib.get_close_matches(str(path[-1]), known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else None
                if known:
                    hint = (hint + " " if hint else "") + "known keys: " + ", ".join(known)
                diags.append(
                    Diagnostic("unknown-key", f"unknown key {dotted!r}", loc.key(path), hint)
                )
            elif e["type"] == "missing":
                diags.append(
                    Diagnostic(
                        "missing-key",
                        f"missing required key {dotted!r}",
                        loc.key(path[:-1]),
                        f"add `{path[-1]}:` here",
                    )
                )
            elif path and path[-1] == "[key]":  # a mapping's key, not its value
                within = ".".join(str(p) for p in path[:-2])
                diags.append(
                    Diagnostic(
                        "bad-key",
                        f"{within}: key {path[-2]!r} is not lower_snake_case",
                        loc.key(path[:-1]),
                        "use a-z first, then a-z, 0-9, _ (and . to group)",
                    )
                )
            else:
                msg = str(e["msg"]).removeprefix("Value error, ")
                diags.append(Diagnostic("wrong-type", f"{dotted}: {msg}", loc.value(path), None))
        return None


def _read(
    files: Files, path: str, diags: list[Diagnostic], where: SourceLocation | None, what: str
) -> str | None:
    try:
        return files.read_text(path)
    except FileNotFoundError:
        diags.append(
            Diagnostic(
                "missing-file",
                f"{what} {path} does not exist",
                where,
                "check the path; it is relative to the file that names it",
            )
        )
    except IsADirectoryError:
        diags.append(Diagnostic("missing-file", f"{what} {path} is a folder", where, None))
    except UnicodeDecodeError as e:
        head = bytes(e.object[:2]) if isinstance(e.object, bytes | bytearray) else b""
        utf16 = head in (b"\xff\xfe", b"\xfe\xff")  # (PowerShell 5's > and Out-File write it)
        diags.append(
            Diagnostic(
                "not-utf8",
                f"{path} is UTF-16, not UTF-8"
                if utf16
                else f"{path} is not UTF-8 (byte {e.start})",
                SourceLocation(path),
                "save the file as UTF-8"
                + (" (in PowerShell: Out-File -Encoding utf8, or Set-Content)" if utf16 else ""),
            )
        )
    return None


_YAML_TYPES = {bool: "boolean", int: "integer", float: "number", str: "text", dict: "object"}
_YAML_11_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}


def _yaml_type(value: Any) -> str:
    if value is None:
        return "null"
    return _YAML_TYPES.get(
        type(value), "array" if isinstance(value, list) else type(value).__name__
    )


def _why_text(wanted: str, value: Any) -> str:
    """Why YAML read a value meant as a boolean or a number as text, when that is likely."""
    if not isinstance(value, str):
        return ""
    if wanted == "boolean" and value.strip().lower() in _YAML_11_BOOLEANS:
        return f" ({value!r} is text in YAML 1.2: write true or false)"
    if wanted in ("integer", "number"):
        try:
            float(value)
        except ValueError:
            return ""
        return f" ({value!r} is quoted: write the number without quotes)"
    return ""


_KINDS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def check_value(spec: ConfigEntrySpec, value: Any) -> str | None:
    """Why ``value`` breaks the entry's constraints, or None."""
    if spec.type is not None:
        ok = isinstance(value, _KINDS[spec.type])
        if spec.type in ("integer", "number") and isinstance(value, bool):
            ok = False
        if not ok:
            return f"must be of type {spec.type}, not {_yaml_type(value)}" + _why_text(
                spec.type, value
            )
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.min is not None and value < spec.min:
            return f"{value} is below the minimum {spec.min:g}"
        if spec.max is not None and value > spec.max:
            return f"{value} is above the maximum {spec.max:g}"
    if spec.enum is not None and value not in spec.enum:
        return f"{value!r} is not one of {spec.enum}"
    return None


def read_category(text: str, file: str) -> ConfigFileSpec:
    """One category file checked by the same model as in an environment (ManifestError if not)."""
    from reconciler.manifest.yamldoc import load_yaml

    diags: list[Diagnostic] = []
    data, loc = load_yaml(text, file)
    spec: ConfigFileSpec | None = _validate("ConfigFileSpec", data, loc, diags)
    if spec is None:
        raise ManifestError(diags)
    return spec


def _name_hint(name: str) -> str:
    """How to rename a file, knowing the conventions of the tools people come from."""
    if re.match(r"^\d+_.+\.down\.sql$", name):
        return (
            "the undo half of a golang-migrate pair whose .up.sql is missing: add the .up.sql, "
            "or delete this file"
        )
    return "use a number, then lower_snake_case, e.g. 0007_add_index_safe.sql"


@dataclasses.dataclass(frozen=True)
class Placeholders:
    """Flyway's placeholders: ``${name}`` in a migration's text replaced by its value (or
    psql's ``:name``, with an empty suffix)."""

    values: dict[str, str]
    prefix: str = "${"
    suffix: str = "}"
    where: SourceLocation | None = None  # migrations.placeholders in the environment file

    @property
    def psql(self) -> bool:
        """An empty suffix: psql's variables (graphile-migrate's placeholders too), a name
        after the prefix: ``:name`` is its value as written, ``:'name'`` the value as a string
        literal, ``:"name"`` as an identifier. Names are case-sensitive, and one without a
        value is left as written (a cast's ``::text`` is no placeholder; one left in a
        statement is reported by ban-psql-meta-command)."""
        return self.suffix == ""

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        if self.psql:
            name = r"[A-Za-z_][A-Za-z0-9_]*"
            return re.compile(
                rf"{PSQL_VARIABLE_AFTER}{re.escape(self.prefix)}"
                rf"""(?:'({name})'|"({name})"|({name})\b)"""
            )
        return re.compile(f"{re.escape(self.prefix)}([^\n]*?){re.escape(self.suffix)}")

    def _psql_value(self, m: re.Match[str]) -> str:
        literal, ident, raw = m.groups()
        value = self.values.get(literal or ident or raw)
        if value is None:
            return m.group(0)
        if literal:
            return "'" + value.replace("'", "''") + "'"
        if ident:
            return '"' + value.replace('"', '""') + '"'
        return value

    def replace(self, text: str, path: str, shown: str, diags: list[Diagnostic]) -> str | None:
        """The text with every placeholder replaced; None (and a located error for each) when
        one has no value, or when the values would make the file larger than a migration may
        be (a long value used many times: refused before the text is built).
        ``flyway:filename`` is the file's name, as in Flyway."""
        if self.psql:
            if (
                len(text)
                + sum(
                    len(self._psql_value(m)) - len(m.group(0)) for m in self.pattern.finditer(text)
                )
                > MAX_MIGRATION_BYTES
            ):
                diags.append(self._too_large(path, shown))
                return None
            return self.pattern.sub(self._psql_value, text)
        folded = {k.lower(): v for k, v in self.values.items()}
        unknown: list[Diagnostic] = []
        grown = len(text)
        for m in self.pattern.finditer(text):
            key = m.group(1)
            got = self.values.get(key, folded.get(key.lower()))
            if got is None and key.lower() == "flyway:filename":
                got = shown
            if got is None:
                unknown.append(
                    Diagnostic(
                        "unknown-placeholder",
                        f"placeholder {m.group(0)} has no value",
                        SourceLocation.of_offset(path, text, m.start()),
                        (
                            f"Flyway fills {m.group(0)} from its own settings: give it the "
                            f'value Flyway would, as "{key}": ... under '
                            "migrations.placeholders"
                            if key.lower().startswith("flyway:")
                            else "give it one under migrations.placeholders"
                        )
                        + (f" ({self.where})" if self.where else "")
                        + f"; defined: {', '.join(sorted(self.values)) or 'none'}",
                    )
                )
            else:
                grown += len(got) - len(m.group(0))
        if unknown:
            diags.extend(unknown)
            return None
        if grown > MAX_MIGRATION_BYTES:
            diags.append(self._too_large(path, shown))
            return None
        return self.pattern.sub(
            lambda m: self.values.get(m.group(1), folded.get(m.group(1).lower(), shown)), text
        )

    @staticmethod
    def _too_large(path: str, shown: str) -> Diagnostic:
        return Diagnostic(
            "file-too-large",
            f"{shown} is larger than 10 MB with its placeholders replaced",
            SourceLocation(path),
            "use shorter placeholder values, or split the file",
        )


def placeholders_of(
    spec: MigrationsSpec, loc: Locator, diags: list[Diagnostic]
) -> Placeholders | None:
    """The environment's placeholders, when it turns replacement on; a value that would add a
    line (and move every later line's number) is a located error (a NUL never gets here: the
    YAML reader refuses it)."""
    if spec.placeholders is None:
        return None
    values: dict[str, str] = {}
    for key, raw in spec.placeholders.items():
        text = str(raw).lower() if isinstance(raw, bool) else str(raw)
        if "\n" in text or "\r" in text:
            diags.append(
                Diagnostic(
                    "bad-placeholder",
                    f"placeholder {key!r} holds a line break",
                    loc.value(("migrations", "placeholders", key)),
                    "a placeholder stands for part of one line of SQL",
                )
            )
            continue
        values[key] = text
    return Placeholders(
        values,
        spec.placeholder_prefix,
        spec.placeholder_suffix,
        loc.key(("migrations", "placeholders")),
    )


def load_migration_file(
    path: str,
    files: Files,
    diags: list[Diagnostic],
    *,
    any_name: bool = False,
    named: tuple[str, str] | None = None,
    placeholders: Placeholders | None = None,
    settings: str | None = None,
) -> DesiredMigration | None:
    """One migration file: name, encoding, size, splitting. Problems go to ``diags``.

    With ``any_name`` (a file named on validate's command line: another tool's history, a
    draft), a name outside the NNNN_name[_safe].sql convention is read all the same; it has
    no version, and it is "safe" when it ends in _safe.sql. ``named`` is (the name it is
    versioned by, what it is shown as) for a migration in another tool's convention (Prisma's
    <version>_<name>/migration.sql, Flyway's V<n>__<description>.sql). With ``placeholders``
    the text is read with them replaced: what is checked, checksummed and run. With
    ``settings`` another tool's settings file for it is read too (_settings_no_transaction:
    Flyway's <file>.conf, Diesel's metadata.toml)."""
    name = named[0] if named else posixpath.basename(path)
    m = (_VERSIONED if named else MIGRATION_FILE).match(name)
    callback = _FLYWAY_CALLBACK.match(name) if not m and not any_name else None
    if callback is not None:
        diags.append(
            Diagnostic(
                "flyway-callback",
                f"{name} is a Flyway callback ({callback.group('event')}), which the reconciler "
                "does not run: its statements would silently stop running",
                SourceLocation(path),
                "put them in a repeatable migration (R__"
                + re.sub(r"(?<!^)(?=[A-Z])", "_", callback.group("event")).lower()
                + ".sql: applied after the versioned ones, again whenever it changes) or in a "
                "versioned one"
                if callback.group("event").startswith("after")
                else "put what it does at the top of the migrations that need it (session "
                "settings), or in the environment's policy (lock_timeout, statement_timeout)",
            )
        )
        return None
    if not m and not any_name:
        diags.append(
            Diagnostic(
                "bad-file-name",
                f"migration file name {name!r} is not NNNN_name[_safe].sql",
                SourceLocation(path),
                _name_hint(name),
            )
        )
        return None
    text = _read(files, path, diags, SourceLocation(path), "migration")
    if text is None:
        return None
    if len(text) > MAX_MIGRATION_BYTES // 4 and len(text.encode()) > MAX_MIGRATION_BYTES:
        diags.append(
            Diagnostic(
                "file-too-large",
                f"{name} is larger than 10 MB",
                SourceLocation(path),
                "split it, or load bulk data with COPY from a client",
            )
        )
        return None
    nul = text.find("\x00")
    if nul >= 0:
        diags.append(
            Diagnostic(
                "nul-byte",
                f"{name} holds a NUL byte, which PostgreSQL refuses in a statement",
                SourceLocation.of_offset(path, text, nul),
                "save the file as plain UTF-8 text",
            )
        )
        return None
    if placeholders is not None:
        text = placeholders.replace(text, path, named[1] if named else name, diags)
        if text is None:
            return None
    src = parse_migration(
        path, text, _settings_no_transaction(files, settings) if settings else None
    )
    diags.extend(src.errors)
    # another tool's history may hold files with nothing to run (Prisma writes "-- This is
    # an empty migration.", Roundcube a version's "-- empty" file): they are recorded as
    # applied, as that tool did, also when validate is given them by name; in our own layout
    # an empty file is a mistake
    if not src.statements and not src.errors and named is None and m is not None:
        diags.append(
            Diagnostic(
                "empty-migration",
                f"{name} has no SQL statement",
                SourceLocation(path, 1, 1),
                "add the SQL or delete the file",
            )
        )
    if m is None:
        stem = name.removesuffix(".sql")
        return DesiredMigration("", stem, name, path, stem.endswith("_safe"), src)
    version = m.group("version") or f"{REPEATABLE}{m.group('name')}{m.group('safe') or ''}"
    if is_repeatable(version) and src.no_transaction:
        diags.append(
            Diagnostic(
                "repeatable-no-transaction",
                f"{named[1] if named else name} is a repeatable migration that cannot run in a "
                "transaction: applied again on every change, it must apply whole or not at all",
                SourceLocation(path, 1, 1),
                "make what needs no transaction (CREATE INDEX CONCURRENTLY, ...) a versioned "
                "migration of its own",
            )
        )
        return None
    if named and m.group("name") == "safe" and not m.group("safe"):
        # a release named by its version alone but for the suffix (3.0.0_safe.sql, 1.4.2-safe):
        # safe, with no name of its own
        return DesiredMigration(version, "migration", named[1], path, True, src)
    return DesiredMigration(
        version,
        m.group("name"),
        named[1] if named else name,
        path,
        bool(m.group("safe")),
        src,
    )


# Flyway's versioned V<version>__<description>.sql, the version a number or numbers joined by
# dots or single underscores (V1_2__ is 1.2); its U<version>__ undo files never run
# (FLYWAY_UNDO_FILE)
# Flyway's SQL callbacks: beforeMigrate.sql, afterEachMigrate__grants.sql, afterMigrateError.sql
_FLYWAY_CALLBACK = re.compile(
    r"^(?P<event>(?:before|after)(?:Each)?(?:Migrate|Repeatables|Versioned|Clean|Validate|Info|"
    r"Repair|Baseline|Undo|Connect|MigrateStatement)(?:Statement)?(?:Applied|Error)?|createSchema)"
    r"(?:__.*)?\.sql$"
)
_FLYWAY = re.compile(r"^V(?P<version>\d+(?:[._]\d+)*)__(?P<desc>[A-Za-z0-9].*)\.sql$")
# the versioned name a Flyway file is read by: NNNN_name.sql, with the dotted version kept
_VERSIONED = re.compile(
    r"^(?:(?P<version>\d{4,}(?:\.\d+)*)_|R__)(?P<name>[a-z0-9][a-z0-9_]*?)(?P<safe>_safe)?\.sql$"
)
# Flyway's baseline migration (B<version>__<description>.sql): run on an empty database
# instead of the V files up to its version
_FLYWAY_BASELINE = re.compile(r"^B\d+(?:[._]\d+)*__.+\.sql$")
# Flyway's repeatable R__<description>.sql: applied after every versioned migration, and again
# whenever it changes (reconciler.sql.migration.REPEATABLE)
_FLYWAY_REPEATABLE = re.compile(r"^R__(?P<desc>[A-Za-z0-9].*)\.sql$")


# a versioned name in another case or with hyphens, as other tools and people write them
# (20240103120000_AddUsers.sql, golang-migrate's 000001_create-users.up.sql): read as the
# lower_snake_case name (AddUsers is add_users). Numbers after the version, each before an
# underscore, are parts of it: yoyo's `yoyo new` writes 20230419_01_Xs3Mz-create-users.sql
# and 20230419_02_... on one day (versions 20230419.1 and .2), procrastinate keeps
# 00.05.00_01_drop_column.sql (0000.5.0.1)
_CASED = re.compile(
    r"^(?P<version>\d+(?:\.\d+)*(?:_\d+)*)_(?P<desc>[A-Za-z0-9][A-Za-z0-9_-]*?)"
    r"(?P<up>(?:\.tx)?\.up)?\.sql$"
)
# (Bun's <version>_<name>.tx.up.sql is its migration that runs in a transaction: here every
# file does, unless it must not)

# postgrator's <version>.do[.<description>].sql; its .undo. files never run forward
_POSTGRATOR = re.compile(r"^(?P<version>\d+)\.(?P<way>do|undo)(?:\.(?P<desc>[^/\\]+?))?\.sql$")


# a version written as a date with hyphens, and a time after it (2024-01-15-add-users.sql,
# 2024-01-15-0930_add_users.sql, as hand-kept Liquibase and other histories name them; the
# .up.sql half of an up/down pair so named too): the
# date's digits, the time a part after them (20240115, 20240115.930: a day's files without a
# time run before those with one)
_DATED = re.compile(
    r"^(?P<y>\d{4})(?P<sep>-)(?P<m>\d\d)-(?P<d>\d\d)"
    r"(?:[-_](?P<t>\d{4}(?:\d\d)?)"
    r"|(?:[Tt]|[-_](?=\d\d[-:]\d\d))(?P<iso>\d\d[-:]?\d\d(?:[-:]?\d\d)?))?"
    r"(?:[-_](?P<desc>[A-Za-z0-9][A-Za-z0-9_-]*))?(?P<up>\.up)?\.sql$"
)
# (an ISO time after a T, 2023-01-01T12-00-00_init.sql, is the time: not version 2023 named
# "01_01t12_00_00_init"; so is one written with its separators, 2023-01-01_12-00_init.sql)
# the same with underscores, a real date (Laravel's 2014_10_12_000000_create_users_table,
# 2023_01_15_add_users.sql): not this tool's version 2014 named "10_12_000000_create_..."
_DATED_SNAKE = re.compile(
    r"^(?P<y>(?:19|20)\d\d)(?P<sep>_)(?P<m>0[1-9]|1[0-2])_(?P<d>0[1-9]|[12]\d|3[01])"
    r"(?:_(?P<t>\d{6}|\d{4}))?(?P<iso>(?!))?"  # (no ISO time here: the groups of _DATED)
    r"(?:_(?P<desc>[A-Za-z0-9][A-Za-z0-9_-]*?))?(?P<up>\.up)?\.sql$"
)


# the forward half of an up/down pair named otherwise than golang-migrate's: a V before the
# version, a dot or a space after it (Authelia's V0001.Initial_Schema.up.sql)
_PAIR_UP = re.compile(r"^[Vv]?(?P<version>\d+)[._ -]+(?P<desc>\w[^/\\]*?)\.up\.sql$")


# a release after words that say it is one (Guacamole's upgrade-pre-1.2.0.sql, v1.3.sql,
# schema-v4.sql, patch_5.sql, update-2.1-add-users.sql): versioned by the release. Only words
# of this vocabulary: add_users_2.sql or init2.sql are no release 2.
_WORDED = re.compile(
    r"^(?P<words>[A-Za-z]+(?:[-_][A-Za-z]+)*?)[-_]?[vV]?(?P<version>\d+(?:\.\d+)*(?:-\d+)*)"
    r"(?:[-_](?P<desc>[A-Za-z][A-Za-z0-9_-]*))?\.sql$"
)
_RELEASE_WORDS = frozenset(
    {
        "upgrade",
        "update",
        "migrate",
        "migration",
        "patch",
        "schema",
        "db",
        "database",
        "v",
        "version",
        "rev",
        "revision",
        "release",
        "delta",
        "step",
        "pre",
        "to",
        "sql",
        # PostgreSQL's own name, as a project keeping each database's scripts apart writes it
        # (libpreludedb's pgsql-update-14-8.sql)
        "pgsql",
        "postgres",
        "postgresql",
        "pg",
    }
)


def upgrade_script(name: str) -> re.Match[str] | None:
    """The reading of an upgrade script named from release to release (_UPGRADE,
    _UPGRADE_SPAN): its ``old``, ``link`` (what joins them), ``new`` and ``desc`` groups, and
    ``oldpre`` and ``newpre`` (a pre-release after a release, or None); None for any other
    name."""
    return _UPGRADE.match(name) or _UPGRADE_SPAN.match(name)


def release_script(name: str) -> re.Match[str] | None:
    """The reading of an upgrade script named by a dotted release (2.8.1.sql,
    2.8.0-Fix-Downtimes.sql, 1.1.11a.sql: _VERSION_ONLY): its ``version``, ``letter`` and
    ``desc`` groups; None for any other name (a bare 12.sql is a number, no release)."""
    m = _VERSION_ONLY.match(name)
    return m if m is not None and "." in m["version"] else None


def dated_name(name: str) -> re.Match[str] | None:
    """The reading of a name that starts with a date with hyphens or underscores (_DATED,
    _DATED_SNAKE): its ``y``, ``sep`` (the separator), ``m``, ``d``, ``t`` (a time of 4 or
    6 digits), ``iso`` (one after a T or with its separators) and ``desc`` groups; None for
    any other name."""
    return _DATED.match(name) or _DATED_SNAKE.match(name)


def release_after_words(name: str) -> re.Match[str] | None:
    """The reading of a file named by a release after words that say it is one (_WORDED):
    its ``words``, ``version`` and ``desc`` groups; None for any other name."""
    m = _WORDED.match(name)
    if m is None or not set(re.split(r"[-_]", m["words"].lower())) <= _RELEASE_WORDS:
        return None
    return m


# a version, then its description after a space, a dot or " - " (DbUp's Script0001 - Create
# tables.sql, 00001. Create schema.sql, yoyo's older 0001.create-users.sql)
# (the description starts with a letter: 4.1.0_to_4.2.0.sql is no version 4 named "1.0 to")
_SPACED = re.compile(
    r"^(?:Script)?(?P<version>\d+)(?:\s*[-.]\s*|\s+)(?P<desc>[^\W\d][^/\\]*?)\.sql$"
)


# an upgrade script named by the release it upgrades from and the one it brings the schema
# to (PowerDNS's 4.1.0_to_4.2.0_schema.pgsql.sql, upgrade-1.2-to-1.3.sql): versioned by the
# release it brings the schema to, so a chain of them runs in release order
_UPGRADE = re.compile(
    r"^(?:[A-Za-z]+[-_])?(?P<old>\d+(?:\.\d+)*)(?P<oldpre>)(?P<link>[-_]to[-_])"
    r"(?P<new>\d+(?:\.\d+)*)(?P<newpre>)"
    r"(?:[-_.](?P<desc>[A-Za-z][^/\\]*?))?\.sql$",
    re.IGNORECASE,
)
# the same with the two releases joined by a hyphen alone, each with a dot, either with a
# pre-release after it (icingaweb2's 2.0.0beta3-2.0.0rc1.sql, 1.0-1.1.sql): the pre-release
# is part of the name, not of the version (2.0.0rc1 is read as 2.0.0: a 2.0.0.sql beside it
# is a located duplicate-version error, never a silent order)
_UPGRADE_SPAN = re.compile(
    r"^(?:[A-Za-z]+[-_])?(?P<old>\d+(?:\.\d+)+)(?P<oldpre>[a-z]+\d*)?(?P<link>-)"
    r"(?P<new>\d+(?:\.\d+)+)(?P<newpre>[a-z]+\d*)?"
    r"(?:[-_.](?P<desc>[A-Za-z][^/\\]*?))?\.sql$",
    re.IGNORECASE,
)


# sqlalchemy-migrate's SQL scripts: <version>_[<description>_]<database>_upgrade.sql and its
# _downgrade.sql, a database's own (postgresql) taking the place of every database's
# (default) for that version
_SA_MIGRATE = re.compile(
    r"^(?P<version>\d+)_(?:(?P<desc>[A-Za-z0-9][A-Za-z0-9_]*?)_)?"
    r"(?P<dbms>default|postgresql|postgres|sqlite|mysql|oracle|mssql|firebird|sybase|ibm_db_sa)"
    r"_(?P<way>upgrade|downgrade)\.sql$"
)
_SA_POSTGRES = ("postgresql", "postgres")


def sa_migrate_upgrades(names: Iterable[str]) -> dict[int, set[str]]:
    """The databases sqlalchemy-migrate has an upgrade script for, by version, among
    ``names``."""
    out: dict[int, set[str]] = {}
    for n in names:
        if n.endswith("_upgrade.sql") and (sa := _SA_MIGRATE.match(n)):
            out.setdefault(int(sa["version"]), set()).add(sa["dbms"])
    return out


def sa_migrate_role(name: str, upgrades: dict[int, set[str]]) -> str | None:
    """What sqlalchemy-migrate's script ``name`` is here, ``upgrades`` being the folder's
    (sa_migrate_upgrades): "run" (the version's postgresql script, or else its default
    one), "skip" (an undo, or a script another database or every database runs where
    PostgreSQL's runs instead), "lone-undo" (an undo of a version with no upgrade script
    here), "other-database" (the version has only other databases' scripts); None for a
    name that is none of sqlalchemy-migrate's."""
    sa = _SA_MIGRATE.match(name) if name.endswith("grade.sql") else None
    if sa is None:
        return None
    dbms, ups = sa["dbms"], upgrades.get(int(sa["version"]), set())
    if sa["way"] == "downgrade":
        return "skip" if ups else "lone-undo"
    if dbms in _SA_POSTGRES:
        return "run"
    if ups & set(_SA_POSTGRES):
        return "skip"  # (every database's, or another's: PostgreSQL has its own)
    if dbms == "default":
        return "run"
    return "skip" if "default" in ups else "other-database"


# an undo kept beside its forward file under a suffix: db-migrate's
# 20230101120000-add-users-down.sql beside its -up.sql, a hand-kept 0001_init_rollback.sql
# (or _revert, _undo, _down) beside 0001_init.sql
_UNDO_SUFFIX = re.compile(r"^(?P<stem>.+?)(?P<sep>[-_])(?:down|rollback|revert|undo)\.sql$", re.I)


def undo_twin(name: str, beside: Collection[str]) -> bool:
    """Whether ``name`` is the undo of a forward file among the names ``beside`` it (its
    stem's ``.sql``, or its ``-up.sql`` / ``_up.sql``): never run forward. Without that file
    beside it, it is read (and a duplicate version, or a bad name, is reported)."""
    undo = _UNDO_SUFFIX.match(name) if name.count("_") + name.count("-") else None
    if undo is None:
        return False
    stem, sep = undo["stem"], undo["sep"]
    return (
        f"{stem}.sql" in beside or f"{stem}{sep}up.sql" in beside or f"{stem}{sep}UP.sql" in beside
    )


# what `yoyo new` writes: <yyyymmdd>_<nn>_<random id of 5>-<message>.sql
_YOYO_VERSION = re.compile(r"\d{8}_\d{2}")
_YOYO_ID = re.compile(r"^[A-Za-z0-9]{5}(?:-(?P<desc>[A-Za-z0-9].*))?$")


# a version alone or with a name in any case after a hyphen (graphile-migrate's committed
# 000001.sql and 000002-message.sql, roundcube's 2013061000.sql), the version dotted as a
# release's (Icinga's upgrade scripts 2.8.1.sql), a letter after it a step between releases
# (DAViCal's 1.1.11a.sql runs after 1.1.11.sql, before 1.1.12.sql: its version 1.1.11.1)
_VERSION_ONLY = re.compile(
    r"^(?P<version>\d+(?:\.\d+)*)(?P<letter>[a-z])?(?:-(?P<desc>[A-Za-z0-9][A-Za-z0-9_-]*))?"
    r"\.sql$"
)


def _four(version: str) -> str:
    """A version of fewer than 4 digits as 4 (1 is 0001, as Flyway's V1 is): hand-numbered
    histories (tt-rss's 3.sql .. 140.sql, golang-migrate's 1_init.up.sql) order as numbers.
    A dotted version's first part so (2.8.1 is 0002.8.1), its others as numbers (2.08 is
    0002.8, as Flyway reads V2.08)."""
    first, *rest = version.split(".")
    return ".".join(
        [f"{int(first):04d}" if len(first) < 4 else first, *(str(int(p)) for p in rest)]
    )


# a migration that is a folder (another tool's layout): Prisma's <version>_<name>/migration.sql
# and Diesel's <yyyy-mm-dd-hhmmss>_<name>/up.sql (its down.sql never runs)
_FOLDER_MIGRATION = re.compile(
    r"^(?P<version>\d+|\d{4}-\d\d-\d\d-\d{6})_(?P<rest>[A-Za-z0-9][^/\\]*)$"
)
_PLAIN_REST = re.compile(r"[A-Za-z0-9_]+")  # a folder name's rest read as it always was
_PRISMA_DIGITS = 14  # what prisma migrate writes: yyyymmddhhmmss
_FOLDER_FILES = ("migration.sql", "up.sql")


def _snake(desc: str) -> str:
    """Another tool's description as a lower_snake_case name ("migration" when it has none)."""
    return re.sub(r"[^a-z0-9]+", "_", desc.lower()).strip("_") or "migration"


# another tool's settings file saying its migration runs statement by statement: Flyway's
# executeInTransaction=false (in V3__x.sql.conf), Diesel's run_in_transaction = false (in the
# migration folder's metadata.toml)
_NO_TRANSACTION_SETTING = re.compile(
    r"^\s*(?P<setting>(?:executeInTransaction\s*[=:\s]|run_in_transaction\s*=)\s*false)"
    r"\s*(?:#.*)?$",
    re.IGNORECASE | re.MULTILINE,
)


def _settings_file(path: str, confs: set[str]) -> str | None:
    """Where another tool keeps a migration's own settings: Flyway's <file>.conf beside it
    (when the folder, whose ``confs`` these are, lists one), Diesel's metadata.toml in the
    folder of an up.sql."""
    if f"{posixpath.basename(path)}.conf" in confs:
        return f"{path}.conf"
    if path.endswith("/up.sql"):
        return posixpath.join(posixpath.dirname(path), "metadata.toml")
    return None


def _settings_no_transaction(files: Files, path: str) -> str | None:
    """The reason a settings file gives for running its migration outside a transaction
    (_NO_TRANSACTION_SETTING), or None (no such file, or no such setting)."""
    try:
        text = files.read_text(path)
    except (OSError, UnicodeDecodeError):
        return None
    said = _NO_TRANSACTION_SETTING.search(text.removeprefix("\ufeff"))
    if said is None:
        return None
    return f"-- {posixpath.basename(path)}: {' '.join(said['setting'].split())}"


def _other_convention(desired_dir: str, name: str, files: Files) -> tuple[str, str, str] | None:
    """(path, the name it is versioned by, what it is shown as) of a migration named by
    another tool's convention; PostgreSQL's file of a step every database has one for
    (``upgrade-2.4-core.postgre.sql``) by the name without its database. None otherwise."""
    found = _named_otherwise(desired_dir, name, files)
    db = DATABASE_SQL.match(name) if found is None and name.count(".") > 1 else None
    if db is None or db["dialect"].lower() not in POSTGRES_SQL:
        return found  # (pop's x.postgres.up.sql ends in .up.sql: read above, never here)
    inner = f"{db['stem']}.sql"
    if MIGRATION_FILE.match(inner):
        return posixpath.join(desired_dir, name), inner, name
    found = _named_otherwise(desired_dir, inner, files)
    return (posixpath.join(desired_dir, name), found[1], name) if found else None


def _named_otherwise(desired_dir: str, name: str, files: Files) -> tuple[str, str, str] | None:
    """(path, the name it is versioned by, what it is shown as) of a migration named by
    another tool's convention (a Flyway V file, graphile-migrate's 000001.sql, a Prisma or
    Diesel folder), else None."""
    again = _FLYWAY_REPEATABLE.match(name)
    if again is not None:
        return posixpath.join(desired_dir, name), f"R__{_snake(again['desc'])}.sql", name
    flyway = _FLYWAY.match(name)
    if flyway is not None:
        first, *rest = re.split(r"[._]", flyway.group("version"))
        version = ".".join([f"{int(first):04d}", *(str(int(p)) for p in rest)])
        versioned = f"{version}_{_snake(flyway['desc'])}.sql"
        return posixpath.join(desired_dir, name), versioned, name
    dialect = DIALECT_FILE.match(name)
    if dialect is not None:  # (a PostgreSQL one: the others never reach here)
        versioned = f"{_four(dialect['version'])}_{_snake(dialect['desc'])}.sql"
        return posixpath.join(desired_dir, name), versioned, name
    # (a date first: 2014_10_12_000000_CreateUsers.sql is no version 2014.10.12.0)
    dated = dated_name(name)
    if dated is not None:
        version = "".join(dated.group("y", "m", "d")) + (
            # (an ISO time to the second: 13:00 is 130000, after 12-00-00's 120000)
            f".{int(dated['t'] or re.sub('[-:]', '', dated['iso']).ljust(6, '0'))}"
            if dated["t"] or dated["iso"]
            else ""
        )
        return (
            posixpath.join(desired_dir, name),
            f"{version}_{_snake(re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', dated['desc'] or ''))}.sql",
            name,
        )
    cased = _CASED.match(name)
    if cased is not None and MIGRATION_FILE.match(name) is None:
        desc = cased["desc"]
        if (yoyo := _YOYO_ID.match(desc)) and _YOYO_VERSION.fullmatch(cased["version"]):
            # (yoyo's random id, there to keep branches apart, is no name)
            desc = yoyo["desc"] or ""
        words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", desc)  # AddUsers: add_users
        versioned = f"{_four(cased['version'].replace('_', '.'))}_{_snake(words)}.sql"
        return posixpath.join(desired_dir, name), versioned, name
    postgrator = _POSTGRATOR.match(name)
    if postgrator is not None:  # (a do file: the undo ones never get here)
        versioned = f"{_four(postgrator['version'])}_{_snake(postgrator['desc'] or '')}.sql"
        return posixpath.join(desired_dir, name), versioned, name
    pair = _PAIR_UP.match(name) if MIGRATION_FILE.match(name) is None else None
    if pair is not None:
        versioned = f"{_four(pair['version'])}_{_snake(pair['desc'])}.sql"
        return posixpath.join(desired_dir, name), versioned, name
    worded = release_after_words(name)
    if worded is not None:
        # (a version's parts may be joined by hyphens, 14-8 as 14.8)
        release = worded["version"].replace("-", ".")
        versioned = f"{_four(release)}_{_snake(worded['desc'] or worded['words'])}.sql"
        return posixpath.join(desired_dir, name), versioned, name
    upgrade = upgrade_script(name)
    if upgrade is not None:
        old = upgrade["old"] + (upgrade["oldpre"] or "")
        desc = f"from {old} {upgrade['newpre'] or ''} {upgrade['desc'] or ''}"
        versioned = f"{_four(upgrade['new'])}_{_snake(desc)}.sql"
        return posixpath.join(desired_dir, name), versioned, name
    spaced = _SPACED.match(name) if _VERSION_ONLY.match(name) is None else None
    if spaced is not None:
        versioned = f"{_four(spaced['version'])}_{_snake(spaced['desc'])}.sql"
        return posixpath.join(desired_dir, name), versioned, name
    bare = _VERSION_ONLY.match(name)
    if bare is not None:
        version = _four(bare["version"])
        if bare["letter"]:
            version += f".{ord(bare['letter']) - ord('a') + 1}"
        versioned = f"{version}_{_snake(bare['desc'] or '')}.sql"
        return posixpath.join(desired_dir, name), versioned, name
    # (a name that ends in .sql is no Debian version: 2.0-2.1x.sql is not 2.0 of revision
    # "2.1x.sql")
    debian = DBCONFIG_SCRIPT.fullmatch(name) if not name.lower().endswith(".sql") else None
    if debian is not None:
        try:
            files.listdir(posixpath.join(desired_dir, name))
        except OSError:
            # a file named by a version alone (dbconfig-common's): that release's SQL, its
            # name the rest of the version (15.7+git20151123 is 15.7 named git20151123, in
            # release order as dpkg orders them, unless two share a number)
            versioned = f"{_four(debian['version'])}_{_snake(debian['rest'] or '')}.sql"
            return posixpath.join(desired_dir, name), versioned, name
        return None  # (a folder named by a version: read as one, by _version_folder)
    m = _FOLDER_MIGRATION.match(name)
    if m is None:
        return None
    try:
        inside = files.listdir(posixpath.join(desired_dir, name))
    except OSError:
        return None
    for f in _FOLDER_FILES:
        if f in inside:
            # (Prisma takes any folder name: "20251122125322_Add organization_id to spend logs"
            # is read as add_organization_id_to_spend_logs)
            title = m.group("rest")
            shown = title.lower() if _PLAIN_REST.fullmatch(title) else _snake(title)
            version = m.group("version").replace("-", "")
            if f == "migration.sql" and 8 <= len(version) < _PRISMA_DIGITS:
                # Prisma runs its folders in the order of their names, and "_" sorts after
                # every digit: a hand-written date 20260108_x runs after 20260108123456_y,
                # not before 20250326162113_z as the number 20260108 would. Filled with 9s
                # to Prisma's 14 digits, the version orders as Prisma does. (Numbers shorter
                # than a date, 01_init as umami numbers its folders, order as they are, with
                # at least 4 digits, as Flyway's V1 is 0001; the folder's name names the
                # migration either way.)
                version = version.ljust(_PRISMA_DIGITS, "9")
            versioned = f"{_four(version)}_{shown}.sql"
            return posixpath.join(desired_dir, name, f), versioned, f"{name}/{f}"
    return None


def _holds_sql(files: Files, folder: str, names: list[str] | None = None) -> bool:
    """``folder`` (whose ``names`` may be listed already) holds .sql files itself."""
    if names is None:
        try:
            names = files.listdir(folder)
        except OSError:
            return False  # (a file, or nothing)
    return any(n.endswith(".sql") for n in names)


def _flyway_tree(
    desired_dir: str, name: str, files: Files
) -> list[tuple[str, tuple[str, str] | None]] | None:
    """The migrations of subfolder ``name`` when every SQL file under it is named as Flyway
    names them (V, R and U files, callbacks), which Flyway finds at any depth of its
    locations (db/migration/1.0/V1_0_1__x.sql): (path, (the name it is versioned by, its
    path from the migrations folder)), callbacks as (path, None) to be reported (a folder of
    callbacks among them); None when the subfolder is no such tree (another tool's, or no SQL
    at all)."""
    if name.startswith("."):
        return None
    out: list[tuple[str, tuple[str, str] | None]] = []
    pending = [name]
    while pending:
        rel = pending.pop()
        folder = posixpath.join(desired_dir, rel)
        try:
            names = files.listdir(folder)
        except OSError:
            if rel == name:
                return None  # a file, not a folder
            continue
        for n in sorted(names):
            if n.startswith("."):
                continue
            if not n.endswith(".sql"):
                if rel.count("/") < 8:
                    pending.append(f"{rel}/{n}")
                continue
            if FLYWAY_UNDO_FILE.match(n):
                continue
            if _FLYWAY_CALLBACK.match(n):
                out.append((posixpath.join(folder, n), None))
                continue
            if not (_FLYWAY.match(n) or _FLYWAY_REPEATABLE.match(n)):
                return None
            found = _other_convention(folder, n, files)
            assert found is not None  # (a Flyway name always reads)
            out.append((found[0], (found[1], f"{rel}/{n}")))
    return out or None


def version_folder_of(filename: str) -> re.Match[str] | None:
    """The reading of a migration's folder when it is one named by a version (``54/01a.sql``,
    ``v1.1/b.sql``): its ``version`` group; None otherwise."""
    folder, slash, _ = filename.partition("/")
    return RELEASE_FOLDER.fullmatch(folder) if slash else None


# LedgerSMB's list of its change scripts in order, in the folder of its version folders
LOAD_ORDER = "LOADORDER"


def _load_order(
    desired_dir: str, names: list[str], files: Files, diags: list[Diagnostic]
) -> dict[str, list[tuple[str, SourceLocation]]] | None:
    """What a LedgerSMB ``LOADORDER`` in the folder lists, by version folder: each line a file
    to run, ``<version>/<name>.sql``, in order (``#`` starts a comment; a ``!`` before one is
    LedgerSMB's "deemed applied even if it fails", which here, as for every file, must
    succeed). None without one."""
    if LOAD_ORDER not in names:
        return None
    path = posixpath.join(desired_dir, LOAD_ORDER)
    text = _read(files, path, diags, SourceLocation(path), "LedgerSMB's list of changes")
    if text is None:
        return {}  # (reported: none of its version folders' files is known to run)
    out: dict[str, list[tuple[str, SourceLocation]]] = {}
    last: tuple[tuple[int, ...], str] | None = None
    for i, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip().removeprefix("!").strip()
        if not entry:
            continue
        where = SourceLocation(path, i, line.find(entry) + 1)
        folder, _, name = entry.partition("/")
        m = RELEASE_FOLDER.fullmatch(folder)
        if m is None or not name.endswith(".sql") or "/" in name:
            diags.append(
                Diagnostic(
                    "bad-file-name",
                    f"{LOAD_ORDER} lists {entry!r}, which is no <version>/<name>.sql file",
                    where,
                    "list each change script by its version's folder and its name, as "
                    "LedgerSMB does (1.6/add-index.sql)",
                )
            )
            continue
        key = (version_key(_four(m["version"])), folder)
        if last is not None and key[0] < last[0]:
            diags.append(
                Diagnostic(
                    "out-of-order",
                    f"{LOAD_ORDER} runs {entry} after a file of {last[1]}/, but migrations "
                    f"run version by version: it would run before that one",
                    where,
                    f"move the line above the lines of {last[1]}/, or the file into a "
                    "later version's folder",
                )
            )
        last = max(last, key) if last is not None else key
        out.setdefault(folder, []).append((name, where))
    return out


def _version_folder(
    desired_dir: str,
    name: str,
    files: Files,
    diags: list[Diagnostic],
    load_order: dict[str, list[tuple[str, SourceLocation]]] | None = None,
) -> list[tuple[str, tuple[str, str] | None]] | None:
    """The migrations of subfolder ``name`` when it is named by a version: its SQL files in
    name order (``<name>.sql``, and Synapse's PostgreSQL-only ``<name>.sql.postgres``; its
    ``.sql.sqlite`` ones are SQLite's), or in the order a Temporal ``manifest.json`` lists them
    in ``SchemaUpdateCqlFiles``, or the parent's LedgerSMB ``LOADORDER`` (``load_order``) does
    (only those, as those tools run them); the k-th is version <version>.k. None when it is
    no such folder."""
    m = RELEASE_FOLDER.fullmatch(name)
    if m is None:
        return None
    folder = posixpath.join(desired_dir, name)
    try:
        inside = files.listdir(folder)
    except OSError:
        return None
    present = set(inside)
    taken: set[str] = set()  # (what order holds, to look up)
    if load_order is not None:
        order = []
        for n, where in load_order.get(name, ()):
            if n in taken:
                diags.append(
                    Diagnostic(
                        "duplicate-version",
                        f"{LOAD_ORDER} lists {name}/{n} again: it would run twice",
                        where,
                        "list each file once",
                    )
                )
            elif n in present:
                order.append(n)
                taken.add(n)
            else:
                diags.append(
                    Diagnostic(
                        "missing-file",
                        f"{LOAD_ORDER} lists {name}/{n}, which does not exist",
                        where,
                        "list the folder's SQL files by their names",
                    )
                )
        for n in sorted(present - taken):
            if n.endswith(".sql"):  # (what it lists is in order, or reported above)
                diags.append(
                    Diagnostic(
                        "missing-file",
                        f"{folder}/{n} is not in {LOAD_ORDER}: it would never run",
                        SourceLocation(posixpath.join(folder, n)),
                        f"add `{name}/{n}` to {desired_dir}/{LOAD_ORDER} where it is to run",
                    )
                )
    elif "manifest.json" in inside:
        manifest = posixpath.join(folder, "manifest.json")
        try:
            doc = json.loads(files.read_text(manifest))
            # (Temporal's tool reads it with Go's encoding/json: keys in any case)
            listed = next(
                (v for k, v in doc.items() if str(k).lower() == "schemaupdatecqlfiles"), None
            )
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            listed = None
        if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
            diags.append(
                Diagnostic(
                    "bad-file-name",
                    f"{manifest} lists no SchemaUpdateCqlFiles: which of {folder}'s files run, "
                    "and in what order, is not known",
                    SourceLocation(manifest),
                    'list them as Temporal does: {"SchemaUpdateCqlFiles": ["a.sql", "b.sql"]}',
                )
            )
            return []
        order = []
        for n in listed:
            if n in taken:
                diags.append(
                    Diagnostic(
                        "duplicate-version",
                        f"{manifest} lists {n!r} twice: it would run twice",
                        SourceLocation(manifest),
                        "list each file once",
                    )
                )
            elif n in present and n.endswith(".sql") and "/" not in n:
                order.append(n)
                taken.add(n)
            else:
                diags.append(
                    Diagnostic(
                        "missing-file",
                        f"{manifest} lists {n!r}, which is no .sql file in {folder}",
                        SourceLocation(manifest),
                        "list the folder's SQL files by their names",
                    )
                )
    else:
        if any(_holds_sql(files, posixpath.join(folder, sub)) for sub in inside):
            return None  # (deeper still: no version's folder)
        order = sorted(n for n in inside if n.endswith((".sql", ".sql.postgres")))
        if any(MIGRATION_FILE.match(n) or _FLYWAY.match(n) for n in order):
            return None  # (files versioned on their own: a folder of another history's files)
        for n in sorted(inside):
            if (code := _CODE_MIGRATION.match(n)) is not None:
                diags.append(
                    Diagnostic(
                        "bad-file-name",
                        f"{folder}/{n} is a {_LANGUAGES[code['ext'].lower()]} migration, which "
                        "the reconciler cannot run: its changes would silently never be made",
                        SourceLocation(posixpath.join(folder, n)),
                        f"write what it does as SQL ({code['stem']}.sql), or keep this history "
                        "in the tool that runs it",
                    )
                )
    if not order:
        return None
    version = _four(m["version"])
    return [
        (
            posixpath.join(folder, n),
            (
                f"{version}.{k}_{_snake(n.removesuffix('.postgres').removesuffix('.sql'))}.sql",
                f"{name}/{n}",
            ),
        )
        for k, n in enumerate(order, 1)
    ]


# a folder named as a release is (4.1.1, v2, 4.0.0rc2): one step of a history
_STEP_FOLDER = re.compile(r"^[vV]?\d+(?:\.\d+)*(?:[-+~._]?[A-Za-z0-9]+)*$")
# what a step's folder may hold besides its steps: notes, hidden files, Synapse's SQLite-only
# delta (and another database's x.mysql.sql: _other_databases_sql)
_BESIDE_STEPS = re.compile(r"^\.|\.(?:md|txt|rst)$|\.sql\.sqlite$", re.IGNORECASE)


def _other_databases_sql(name: str) -> bool:
    """SQL for another database than PostgreSQL, by its name (x.mysql.sql, x.sqlite3.sql)."""
    db = DATABASE_SQL.match(name) if name.count(".") > 1 else None
    return db is not None and db["dialect"].lower() not in POSTGRES_SQL


def _nested(desired_dir: str, name: str, files: Files, diags: list[Diagnostic]) -> None:
    """A subfolder holding SQL files that is no migration folder (sqitch's deploy/) is
    reported: silently finding none of them would look like a database in sync."""
    if name.startswith("."):
        return  # .gitkeep, .git: not ours to judge
    path = posixpath.join(desired_dir, name)
    try:
        inside = files.listdir(path)
    except OSError:
        return  # a file (README.md, notes.txt): not ours to judge
    if _holds_sql(files, path, inside):
        diags.append(
            Diagnostic(
                "nested-migrations",
                f"{path} holds .sql files, but migrations are read from {desired_dir} itself, "
                "not from its subfolders",
                SourceLocation(path),
                "move each migration up as NNNN_name.sql, or keep one per folder named "
                "<version>_<name> holding migration.sql (Prisma) or up.sql (Diesel)",
            )
        )
        return
    # (a migration in a programming language is reported as one, by _version_folder)
    steps = [
        n
        for n in inside
        if not (_BESIDE_STEPS.search(n) or _other_databases_sql(n) or _CODE_MIGRATION.match(n))
    ]
    if (
        _STEP_FOLDER.match(name)
        and steps
        and not any(_holds_sql(files, posixpath.join(path, sub)) for sub in inside)
    ):
        # a step of a history kept a folder per release (Request Tracker's 4.1.1/schema.Pg
        # beside its Perl content and acl.Pg): none of it runs, and passing over it would
        # look like a database in sync
        diags.append(
            Diagnostic(
                "bad-file-name",
                f"{path} is named by a version, but holds no .sql file the reconciler reads "
                f"({', '.join(inside[:4])}{', ...' if len(inside) > 4 else ''}): its changes "
                "would never be made",
                SourceLocation(path),
                f"write the step's SQL as {path}/<name>.sql (its other code as SQL too), or "
                "keep this history in the tool that runs it",
            )
        )
        return
    # a history one level further down: migrations.dir names the folder above it (prisma/
    # for prisma/migrations, a sqitch project's parent for the folder with sqitch.plan)
    if (
        "sqitch.plan" in inside
        or "migration_lock.toml" in inside
        or any(_holds_sql(files, posixpath.join(path, sub)) for sub in sorted(inside))
    ):
        diags.append(
            Diagnostic(
                "nested-migrations",
                f"{path} holds a migration history, but migrations are read from "
                f"{desired_dir} itself, not from its subfolders",
                SourceLocation(path),
                f"point migrations.dir at {path} (the folder with the tool's files: "
                "Prisma's migrations/, the one with sqitch.plan)",
            )
        )


# a change line of a sqitch.plan: its name (a leading + deploys it, a - reverts it), then its
# [dependencies], its time, its planner and a # note
_SQITCH_CHANGE = re.compile(r"^(?P<sign>[+-]?)(?P<name>[^\s\[#@:]+)(?:\s|$)")
_SQITCH_TAG = re.compile(r"^@(?P<tag>[^\s#]+)")


def sqitch_project(
    desired_dir: str, names: list[str], files: Files, diags: list[Diagnostic]
) -> SqitchLayout | None:
    """The layout of the sqitch project in the folder: sqitch.plan there, or a sqitch.conf
    whose plan (its top_dir's, or its plan_file) is there; None when the folder is none."""
    if "sqitch.conf" not in names:
        return SqitchLayout() if "sqitch.plan" in names else None
    path = posixpath.join(desired_dir, "sqitch.conf")
    try:
        conf = files.read_text(path)
    except (OSError, UnicodeDecodeError):
        conf = None
    layout = sqitch_layout(conf)
    if layout is None:
        diags.append(
            Diagnostic(
                "outside-root",
                "sqitch.conf puts the plan or the scripts outside the project folder",
                SourceLocation(path),
                "keep top_dir, plan_file and deploy_dir inside the folder migrations.dir names",
            )
        )
        return None
    plan = posixpath.join(desired_dir, layout.plan_file)
    try:
        there = posixpath.basename(plan) in files.listdir(posixpath.dirname(plan))
    except OSError:
        there = False
    return layout if there or "sqitch.plan" in names else None


def _sqitch_changes(
    desired_dir: str, files: Files, diags: list[Diagnostic], layout: SqitchLayout
) -> Iterator[tuple[str, tuple[str, str] | None]]:
    """The deploy scripts of a sqitch project (its plan where sqitch.conf says, sqitch.plan
    by default), in the plan's order: the Nth change is version N (0001, 0002, ...), named
    after the change. A change the plan reworks later ran, up to the rework, as
    deploy/<change>@<tag>.sql, a tag between the two, the first whose script is there (as
    sqitch looks); revert/ and verify/ never run."""
    plan_path = posixpath.join(desired_dir, layout.plan_file)
    deploy_dir = posixpath.join(desired_dir, layout.deploy_dir)
    text = _read(files, plan_path, diags, SourceLocation(plan_path), "sqitch plan")
    if text is None:
        return
    entries: list[tuple[int, str]] = []  # (line, change name), in plan order
    tags: list[tuple[int, str]] = []  # (how many changes came before it, tag)
    for lineno, raw in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", "%")):
            continue  # comments and pragmas (%project=..., %syntax-version=...)
        tag = _SQITCH_TAG.match(line)
        if tag is not None:
            tags.append((len(entries), tag["tag"]))
            continue
        change = _SQITCH_CHANGE.match(line)
        if change is None or change["sign"] == "-":
            diags.append(
                Diagnostic(
                    "bad-file-name",
                    f"cannot read this line of the sqitch plan as a change to deploy: {line[:60]!r}",
                    SourceLocation(plan_path, lineno, 1),
                    "write a change as `name [dependencies] time planner <email> # note`, as "
                    "`sqitch add` does (a reverting `-name` line is not run here: remove the "
                    "change's line instead)",
                )
            )
            continue
        entries.append((lineno, change["name"]))
    deployed: set[str] | None = None  # deploy/'s names, once a rework needs them
    following: dict[int, int] = {}  # a change's place -> the place it is planned again
    last: dict[str, int] = {}
    for n, (_, name) in enumerate(entries):
        if name in last:
            following[last[name]] = n
        last[name] = n
    for n, (lineno, name) in enumerate(entries):
        script = f"{name}.sql"
        again = following.get(n)
        if again is not None:
            # reworked later: `sqitch rework` kept this one as <change>@<tag>.sql, a tag
            # between the two; as sqitch, the first of those whose script is there (none
            # there: the last, the one rework copies to, is reported missing)
            between = [t for count, t in tags if n < count <= again]
            if deployed is None:
                try:
                    deployed = set(files.listdir(deploy_dir))
                except OSError:
                    deployed = set()
            there = [t for t in between if f"{name}@{t}.sql" in deployed]
            after = there[0] if there else (between[-1] if between else None)
            if after is None:
                diags.append(
                    Diagnostic(
                        "bad-file-name",
                        f"change {name} is planned again later without a tag between: sqitch "
                        "cannot tell its two scripts apart",
                        SourceLocation(plan_path, lineno, 1),
                        "tag the plan (`sqitch tag`) before reworking a change",
                    )
                )
                continue
            script = f"{name}@{after}.sql"
        versioned = f"{n + 1:04d}_{_snake(name)}.sql"
        yield posixpath.join(deploy_dir, script), (versioned, posixpath.basename(script))


# another tool's settings beside its history naming the database the history is for:
# Prisma's migration_lock.toml (provider = "postgresql"), sqitch's sqitch.conf (engine = pg)
_OTHER_DATABASE_SETTINGS = (
    ("migration_lock.toml", re.compile(r'^\s*provider\s*=\s*"([^"]*)"', re.M), ("postgresql",)),
    ("sqitch.conf", re.compile(r"^\s*engine\s*=\s*(\S+)", re.M), ("pg",)),
)


def _other_database(
    path: str,
    pattern: re.Pattern[str],
    ours: tuple[str, ...],
    files: Files,
    diags: list[Diagnostic],
) -> None:
    """A located error when the tool's settings say its history is for another database:
    its SQL is that database's, and PostgreSQL would fail on it part way (or run it wrong)."""
    try:
        text = files.read_text(path)
    except (OSError, UnicodeDecodeError):
        return
    said = pattern.search(text)
    if said is None or said[1].lower() in ours:
        return
    diags.append(
        Diagnostic(
            "other-database",
            f"{posixpath.basename(path)} says this history is for {said[1]}, not PostgreSQL: "
            "its SQL is written for that database",
            SourceLocation.of_offset(path, text, said.start(1)),
            "point migrations.dir at the history written for PostgreSQL (the tool's own "
            "setting for it is " + ", ".join(repr(o) for o in ours) + ")",
        )
    )


# a migration written in a programming language, as other tools run them (yoyo's and Synapse's
# .py, goose's .go, Flyway's V3__x.java, knex's and node-pg-migrate's .js / .ts, Phinx's .php,
# Kong's .lua, a version's shell or Perl script, Doctrine's Version20230101120000.php,
# MikroORM's Migration20230101120000.ts, Alembic's a1b2c3d4e5f6_add_users.py, Yii's
# m230101_120000_create_users.php):
# named by a version, so no helper script beside the SQL is taken for one
_CODE_MIGRATION = re.compile(
    r"^(?P<stem>(?:\d|[Vv]\d|R__|Version\d|Migration\d|[0-9a-f]{12}_|m\d{6}_\d{6}_)[^/\\]*)"
    r"\.(?P<ext>py|js|mjs|cjs|ts|go|java|kt|class|rb|php|cs|"
    r"scala|groovy|exs?|rs|lua|pl|sh|bash|clj)$",
    re.IGNORECASE,
)
_LANGUAGES = {
    "py": "Python",
    "js": "JavaScript",
    "mjs": "JavaScript",
    "cjs": "JavaScript",
    "ts": "TypeScript",
    "go": "Go",
    "java": "Java",
    "kt": "Kotlin",
    "class": "compiled Java",
    "rb": "Ruby",
    "php": "PHP",
    "cs": "C#",
    "scala": "Scala",
    "groovy": "Groovy",
    "ex": "Elixir",
    "exs": "Elixir",
    "rs": "Rust",
    "lua": "Lua",  # (Kong's 000_base.lua)
    "pl": "Perl",
    "sh": "shell",
    "bash": "shell",
    "clj": "Clojure",
}


def _changelog(files: Files, path: str, beside_sql: bool) -> bool:
    """Whether an XML, YAML or JSON file is a Liquibase changelog that would never run here:
    one with changesets of its own, or (with no SQL file beside it) one whose includes are all
    the history there is. A master that only includes the formatted SQL files beside it
    (``includeAll``) is not: those files are read."""
    try:
        text = files.read_text(path)
    except (OSError, UnicodeDecodeError):
        return False
    return "databaseChangeLog" in text[:4096] and ("changeSet" in text or not beside_sql)


# a migration another tool keeps as data, named by a version (pgroll's 01_create_users.json,
# a Liquibase YAML changelog per version): its changes are no SQL the reconciler runs
_DATA_MIGRATION = re.compile(
    r"^(?P<stem>(?:\d|[Vv]\d)[^/\\]*)\.(?P<ext>json|ya?ml|xml|toml|hcl)$", re.IGNORECASE
)


# what PostgreSQL SQL files are also named: in a migrations folder such a file is meant to run
_SQL_SUFFIXES = frozenset({"sql", "pgsql", "psql", "plpgsql", "ddl", "sql.postgres"})


# a migration's SQL kept compressed, or as a template another tool renders it from
# (0001_init.sql.gz, V2__x.sql.j2): named by a version, so a dump or a helper is not one
_WRAPPED_SQL = re.compile(
    r"^(?P<stem>(?:\d|[Vv]\d|R__)[^/\\]*\.sql)\.(?:(?P<packed>gz|bz2|xz|zst|lz4|zip|7z)"
    r"|(?P<template>tmpl|tpl|j2|jinja2?|erb|in|template|mustache|hbs|ejs|mako))$",
    re.IGNORECASE,
)


def _never_runs(desired_dir: str, name: str, names: list[str], files: Files) -> Diagnostic | None:
    """Why a file in the migrations folder that is no .sql file would silently never run,
    when it is meant to: a migration in a programming language, a Liquibase changelog, SQL
    named otherwise, compressed or kept as a template, a pop fizz file; None for anything
    else (notes, settings, folders, an editor's backup)."""
    wrapped = _WRAPPED_SQL.match(name)
    if wrapped is not None:
        return Diagnostic(
            "bad-file-name",
            f"{name} is "
            + (
                "compressed SQL, which the reconciler does not read"
                if wrapped["packed"]
                else "a template of SQL, which the reconciler does not render"
            )
            + ": its changes would silently never be made",
            SourceLocation(posixpath.join(desired_dir, name)),
            f"keep the SQL itself as {wrapped['stem']}"
            + (" (decompress it)" if wrapped["packed"] else " (render it, and commit that)"),
        )
    if DBCONFIG_SCRIPT.fullmatch(name):
        try:
            head = files.read_text(posixpath.join(desired_dir, name))[:64]
        except (OSError, UnicodeDecodeError):
            head = ""  # (a folder, or no text: read, and reported, as what it is)
        if head.startswith("#!"):
            return Diagnostic(
                "bad-file-name",
                # (the interpreter alone: the rest of the line may set a variable, even a
                # password, as in `#!/usr/bin/env PGPASSWORD=... psql`)
                f"{name} is a script ({head.split()[0]}), named by a version as an "
                "upgrade step, which the reconciler cannot run: its changes would silently "
                "never be made",
                SourceLocation(posixpath.join(desired_dir, name)),
                "write what it does as SQL in a file of the same name without the #! line, "
                "or keep this history in the tool that runs it",
            )
    code = _CODE_MIGRATION.match(name)
    if code is not None:
        stem = code["stem"]
        if re.fullmatch(r"[0-9a-f]{12}_.*", stem) and not stem[:12].isdigit():
            # (Alembic's revision id orders nothing: its files run along their down_revision)
            same = "a numbered migration (NNNN_name.sql, in the order its chain runs)"
        else:  # (Doctrine's Version20230101120000, Yii's m230101_120000_x: the digits)
            yii = re.fullmatch(r"m(\d{6})_(\d{6})_(.*)", stem)
            bare = f"{yii[1]}{yii[2]}_{yii[3]}" if yii else stem
            bare = bare.removeprefix("Version").removeprefix("Migration")
            same = f"a migration of the same version ({bare}.sql)"
        return Diagnostic(
            "bad-file-name",
            f"{name} is a {_LANGUAGES[code['ext'].lower()]} migration, which the "
            "reconciler cannot run: its changes would silently never be made",
            SourceLocation(posixpath.join(desired_dir, name)),
            f"write what it does as SQL in {same}, or keep this history in the tool that runs it",
        )
    if name.rpartition(".")[2].lower() in ("xml", "yaml", "yml", "json") and _changelog(
        files, posixpath.join(desired_dir, name), any(n.endswith(".sql") for n in names)
    ):
        return Diagnostic(
            "bad-file-name",
            f"{name} is a Liquibase changelog, which the reconciler does not read: its "
            "changesets (or the files it includes) would silently never run",
            SourceLocation(posixpath.join(desired_dir, name)),
            "keep the changes as Liquibase formatted SQL files (`--liquibase formatted "
            "sql` on the first line), which are read, and take this file out of the folder",
        )
    data = _DATA_MIGRATION.match(name)
    if data is not None:
        try:
            head = files.read_text(posixpath.join(desired_dir, name))[:4096]
        except (OSError, UnicodeDecodeError):
            head = ""
        tool = " (pgroll's operations)" if "operations" in head else ""
        return Diagnostic(
            "bad-file-name",
            f"{name} is a migration kept as {data['ext'].upper()}{tool}, which the "
            "reconciler does not read: its changes would silently never be made",
            SourceLocation(posixpath.join(desired_dir, name)),
            "write what it does as SQL in a migration of the same version "
            f"({data['stem']}.sql), or keep this history in the tool that runs it",
        )
    stem, dot, suffix = name.rpartition(".")
    if suffix.lower() in ("postgres", "postgresql") and stem.lower().endswith(".sql"):
        stem, suffix = stem[:-4], "sql.postgres"  # (Synapse's PostgreSQL-only SQL)
    if dot and stem and suffix != "sql" and suffix.lower() in _SQL_SUFFIXES:
        return Diagnostic(
            "bad-file-name",
            f"{name} would never run: only a file whose name ends in .sql (in lower "
            "case) is a migration",
            SourceLocation(posixpath.join(desired_dir, name)),
            f"rename it {stem}.sql",
        )
    if name.endswith(".fizz"):
        return Diagnostic(
            "bad-file-name",
            f"{name} is a pop (gobuffalo) fizz migration, which is not SQL and would "
            "never run here",
            SourceLocation(posixpath.join(desired_dir, name)),
            "write it as SQL in <version>_<name>.up.sql (or .postgres.up.sql), as "
            "`soda generate sql` does",
        )
    return None


def _candidates(
    desired_dir: str, names: list[str], files: Files, diags: list[Diagnostic]
) -> Iterator[tuple[str, tuple[str, str] | None]]:
    """(path, (the name it is versioned by, what it is shown as) or None) of each migration
    file in a folder, in the name order of the folder; what never runs forward (undo files,
    other databases' files) is passed over, what cannot run is reported."""
    present = set(names)
    lower = {n.lower() for n in names}
    # the versions pop keeps a file of some database's own for
    dialect_stems = {m["stem"] for n in names if (m := DIALECT_FILE.match(n))}
    sa_upgrades = sa_migrate_upgrades(names)  # (sqlalchemy-migrate's, by version)
    prisma_seen: dict[str, int] = {}  # a Prisma folder's timestamp -> how many had it before
    load_order = _load_order(desired_dir, names, files, diags)
    for name in sorted(names):
        if FLYWAY_UNDO_FILE.match(name):
            continue  # Flyway's undo of a V file: never run forward
        if _FLYWAY_BASELINE.match(name):
            diags.append(
                Diagnostic(
                    "bad-file-name",
                    f"{name} is a Flyway baseline migration, which Flyway runs on an empty "
                    "database instead of the V files up to its version; the reconciler runs "
                    "the V files, and cannot tell whether this one builds the same schema",
                    SourceLocation(posixpath.join(desired_dir, name)),
                    "keep every V file up to its version and move the baseline out of the "
                    "folder, or make it the first migration (V1__baseline.sql) of a new history",
                )
            )
            continue
        dialect = DIALECT_FILE.match(name)
        if other_database_file(name, lower) or (dialect is not None and dialect["way"] == "down"):
            continue  # other databases' files (pop's, Ory's, Glewlwyd's), and pop's undo files
        db = DATABASE_SQL.match(name) if dialect is None and name.count(".") > 1 else None
        if db is not None and db["dialect"].lower() not in POSTGRES_SQL:
            diags.append(
                Diagnostic(
                    "bad-file-name",
                    f"{name} is SQL for {db['dialect']}, and this step has no PostgreSQL file "
                    "beside it: it cannot run here, and skipping it would drop the step",
                    SourceLocation(posixpath.join(desired_dir, name)),
                    f"write the step for PostgreSQL as {db['stem']}.postgres.sql (or "
                    f"{db['stem']}.sql), or take the file out of the folder",
                )
            )
            continue
        if name.endswith(".down.sql") and f"{name[:-9]}.up.sql" in present:
            continue  # the undo half of a pair (golang-migrate's, Authelia's): never run
        down = DOWN_FILE.match(name)
        if down and (f"{down['stem']}.up.sql" in present or down["stem"] in dialect_stems):
            # the undo of its .up.sql, which is the migration, or of a version pop keeps
            # for some databases only: never run
            continue
        role = sa_migrate_role(name, sa_upgrades)
        if role is not None:
            sa = _SA_MIGRATE.match(name)
            assert sa is not None
            if role == "lone-undo":  # (its upgrade in a .py script, or gone)
                diags.append(
                    Diagnostic(
                        "bad-file-name",
                        f"{name} is sqlalchemy-migrate's undo of version {sa['version']}, "
                        "which has no upgrade script here: an undo never runs forward",
                        SourceLocation(posixpath.join(desired_dir, name)),
                        f"put version {sa['version']}'s change here as "
                        f"{name.replace('_downgrade.sql', '_upgrade.sql')}, or take the "
                        "file out of the folder",
                    )
                )
            elif role == "other-database":
                diags.append(
                    Diagnostic(
                        "bad-file-name",
                        f"{name} is sqlalchemy-migrate's SQL for {sa['dbms']}, and version "
                        f"{sa['version']} has no PostgreSQL (or default) script: it cannot "
                        "run here, and skipping it would drop the version",
                        SourceLocation(posixpath.join(desired_dir, name)),
                        f"write it for PostgreSQL as {name.replace(sa['dbms'], 'postgresql', 1)}, "
                        "or take the file out of the folder",
                    )
                )
            elif role == "run":
                desc = sa["desc"] or "migration"
                yield (
                    posixpath.join(desired_dir, name),
                    (f"{_four(sa['version'])}_{_snake(desc)}.sql", name),
                )
            continue  # (an undo, or another database's script: never run forward here)
        if name.endswith(".rollback.sql") and f"{name[:-13]}.sql" in present:
            continue  # yoyo's undo of the migration beside it: never run forward
        if undo_twin(name, present):
            continue  # an undo kept beside its forward file (db-migrate's -down.sql, ...)
        if (postgrator := _POSTGRATOR.match(name)) and postgrator["way"] == "undo":
            continue  # postgrator's undo of a version: never run forward
        up = _CASED.match(name)
        if (
            up
            and up["up"] == ".up"
            and any(f"{name[:-7]}.{d}.up.sql" in present for d in POSTGRES_DIALECTS)
        ):
            continue  # pop's file for every database, where PostgreSQL has its own
        if not name.endswith(".sql") and (never := _never_runs(desired_dir, name, names, files)):
            diags.append(never)
            continue
        other = _other_convention(desired_dir, name, files)
        if other is None and not name.endswith(".sql"):
            found = _flyway_tree(desired_dir, name, files)
            if found is None:
                found = _version_folder(desired_dir, name, files, diags, load_order)
            if found is None:
                _nested(desired_dir, name, files, diags)
            yield from found or ()
            continue
        if other is not None and other[0].endswith("/migration.sql"):
            # Prisma tells folders of one timestamp apart by their whole names, in name
            # order: the second of them is version <timestamp>.1, the third .2, ... (after
            # the first, before the next timestamp), as Flyway's dotted versions order
            version, rest = other[1].split("_", 1)
            again = prisma_seen.get(version, -1) + 1
            prisma_seen[version] = again
            if again:
                other = (other[0], f"{version}.{again}_{rest}", other[2])
        yield (other[0], other[1:]) if other else (posixpath.join(desired_dir, name), None)


def _load_migrations(
    desired_dir: str,
    files: Files,
    diags: list[Diagnostic],
    where: SourceLocation,
    within: Callable[[str, SourceLocation | None], bool] | None = None,
    placeholders: Placeholders | None = None,
) -> list[DesiredMigration]:
    try:
        names = files.listdir(desired_dir)
    except (FileNotFoundError, NotADirectoryError):
        diags.append(
            Diagnostic(
                "missing-file",
                f"migrations folder {desired_dir} does not exist",
                where,
                "create it, or fix migrations.dir",
            )
        )
        return []
    seen: dict[tuple[int, ...], str] = {}  # 0008 and 00008 (and Flyway's 1 and 1.0) are one
    out: list[DesiredMigration] = []
    confs = {n for n in names if n.endswith(".sql.conf")}  # Flyway's per-script settings
    for settings, pattern, ours in _OTHER_DATABASE_SETTINGS:
        if settings in names:
            _other_database(posixpath.join(desired_dir, settings), pattern, ours, files, diags)
    sqitch = sqitch_project(desired_dir, names, files, diags)
    candidates = (
        _sqitch_changes(desired_dir, files, diags, sqitch)
        if sqitch is not None
        else _candidates(desired_dir, names, files, diags)
    )
    for path, named in candidates:
        if within is not None and not within(path, SourceLocation(path)):
            continue
        loaded = load_migration_file(
            path,
            files,
            diags,
            named=named,
            placeholders=placeholders,
            settings=_settings_file(path, confs),
        )
        if loaded is None:
            continue
        key = version_key(loaded.version)
        if key in seen:
            diags.append(
                Diagnostic(
                    "duplicate-version",
                    f"version {loaded.version} is used twice: {seen[key]} and {loaded.filename}",
                    SourceLocation(path),
                    "renumber one of them (reconcile new picks the next free number); versions "
                    "compare as numbers, so 0008 and 00008 are the same",
                )
            )
            continue
        seen[key] = loaded.filename
        out.append(loaded)
    out.sort(key=lambda x: version_key(x.version))
    _check_parents(out, files, diags)
    sources = [m.source for m in out]
    facts = [a | b for a, b in zip(history_proofs(sources), history_types(sources), strict=True)]
    return [dataclasses.replace(m, proven=p) if p else m for m, p in zip(out, facts, strict=True)]


# the parents a migration's metadata.yaml names (Sourcegraph's <id>_<name>/metadata.yaml:
# `parents: [1669184869, 1669576792]`, or one `- <id>` a line)
_PARENTS = re.compile(
    r"^parents:[ \t]*(?:\[(?P<flow>[^\]]*)\]|(?P<block>(?:\n[ \t]*-[ \t]*\S+)+))", re.M
)


def _check_parents(out: list[DesiredMigration], files: Files, diags: list[Diagnostic]) -> None:
    """A history kept a folder per migration whose metadata.yaml names its parents
    (Sourcegraph's) is a graph, which the version order must follow: every parent is a
    migration here, older than its child; otherwise it would run after what builds on it."""
    versions = {version_key(m.version) for m in out}
    for m in out:
        if not m.path.endswith("/up.sql"):
            continue  # (Diesel's and Hasura's folders, and Sourcegraph's, hold an up.sql)
        meta = posixpath.join(posixpath.dirname(m.path), "metadata.yaml")
        try:
            text = files.read_text(meta)
        except (OSError, UnicodeDecodeError):
            continue
        found = _PARENTS.search(text)
        if found is None:
            continue
        where = SourceLocation(meta, text.count("\n", 0, found.start()) + 1, 1)
        for parent in re.findall(
            r"\d+", found["flow"] if found["flow"] is not None else found["block"]
        ):
            key = version_key(parent)
            if key not in versions:
                diags.append(
                    Diagnostic(
                        "missing-file",
                        f"{meta} names parent {parent}, which no migration here has",
                        where,
                        "restore the parent's folder, or name the parents this one builds on",
                    )
                )
            elif key >= version_key(m.version):
                diags.append(
                    Diagnostic(
                        "out-of-order",
                        f"{m.filename} builds on {parent} ({meta}), which runs after it in "
                        "version order",
                        where,
                        "renumber the migration after its parents (its folder's number)",
                    )
                )


def _named_file(
    migrations: list[DesiredMigration],
    field: str,
    ref: str | int,
    loc: Locator,
    diags: list[Diagnostic],
) -> DesiredMigration | None:
    """The migration ``migrations.<field>`` names (a version, a stem or a file name), or a
    located error with the closest stem (none when the folder holds no file: said elsewhere)."""
    t = str(ref).removesuffix(".sql")
    hit = next((m for m in migrations if m.is_named(t)), None)
    if hit is None and migrations:
        close = difflib.get_close_matches(t, [m.stem for m in migrations], n=1)
        diags.append(
            Diagnostic(
                "unknown-target" if field == "target" else "unknown-version",
                f"migrations.{field} {t!r} names no migration file",
                loc.value(("migrations", field)),
                f"did you mean {close[0]!r}?"
                if close
                else "use a file's version, its stem"
                + (", or latest" if field == "target" else ""),
            )
        )
    return hit


def _flatten_forums(
    zones: list[ForumNodeSpec], loc: Locator, diags: list[Diagnostic]
) -> list[ForumNode]:
    out: list[ForumNode] = []
    seen: dict[str, SourceLocation] = {}
    kinds = ["zone", "forum", "subforum"]

    def walk(
        nodes: list[ForumNodeSpec], parent: str | None, depth: int, path: tuple[Any, ...]
    ) -> None:
        for i, n in enumerate(nodes):
            p = (*path, i)
            where = loc.value((*p, "slug"))
            if n.slug in seen:
                diags.append(
                    Diagnostic(
                        "duplicate-slug",
                        f"forum slug {n.slug!r} is used twice",
                        where,
                        f"first used at {seen[n.slug]}; slugs are global",
                    )
                )
                continue
            seen[n.slug] = where
            out.append(
                ForumNode(
                    n.slug,
                    parent,
                    kinds[depth],
                    n.name,
                    n.description,
                    n.position if n.position is not None else i + 1,
                    dict(n.settings),
                    where,
                )
            )
            children, child_key = (n.forums, "forums") if depth == 0 else (n.subforums, "subforums")
            wrong = n.subforums if depth == 0 else n.forums
            if wrong or (depth == 2 and n.subforums):
                key = "subforums" if depth == 0 else "forums"
                diags.append(
                    Diagnostic(
                        "bad-nesting",
                        f"a {kinds[depth]} cannot hold {key}",
                        loc.key((*p, key)),
                        "the tree is zones -> forums -> subforums",
                    )
                )
            if depth < 2:
                walk(children, n.slug, depth + 1, (*p, child_key))

    walk(zones, None, 0, ("zones",))
    return out


def load_environment(env_file: str, files: Files, root: str | None = None) -> Desired:
    """Load and check everything the environment file declares. Raise ManifestError on problems.

    ``root`` is the project folder (default: the folder above the environment file's); every
    file read must lie inside it, symlinks followed, unless the environment sets a reasoned
    ``allow_outside_root``.
    """
    diags: list[Diagnostic] = []
    text = _read(files, env_file, diags, None, "environment file")
    if text is None:
        if diags and diags[-1].code == "missing-file" and "does not exist" in diags[-1].message:
            folder = posixpath.dirname(env_file) or "."
            try:
                known = sorted(
                    n.removesuffix(".yaml") for n in files.listdir(folder) if n.endswith(".yaml")
                )
            except OSError:
                known = []
            diags[-1] = Diagnostic(
                "missing-file",
                diags[-1].message,
                None,
                f"environments here: {', '.join(known)}"
                if known
                else f"write {env_file} (see the README's environments/<env>.yaml reference), or give "
                "--root the project folder that holds environments/",
            )
        raise ManifestError(diags)
    from reconciler.manifest.yamldoc import load_yaml

    data, loc = load_yaml(text, env_file)
    spec: EnvironmentSpec | None = None
    for secret_path, why in find_secret(data):
        diags.append(
            Diagnostic(
                "literal-secret",
                f"{'.'.join(map(str, secret_path)) or 'value'}: {why}",
                loc.value(secret_path),
                "never write credentials in manifests: put them in an environment variable and "
                "name it with url_from_env / *_from_env",
            )
        )
    diags += [d for d in _data_problems(data, loc, "manifests") if d.code == "bad-number"]
    if diags:
        raise ManifestError(diags)
    spec = _validate("EnvironmentSpec", data, loc, diags)
    if spec is None:
        raise ManifestError(diags)
    base = posixpath.dirname(env_file)

    def rel(p: str) -> str:
        return posixpath.normpath(posixpath.join(base, p))

    project = root if root is not None else (posixpath.dirname(base) or ".")
    real_root = files.resolve(project)

    def within(path: str, where: SourceLocation | None) -> bool:
        """Is the file (or folder) inside the project? Says so located when not."""
        if spec is None or spec.allow_outside_root:
            return True
        real = files.resolve(path)
        inside = posixpath.relpath(real, real_root)
        if inside != ".." and not inside.startswith("../") and not posixpath.isabs(inside):
            return True
        diags.append(
            Diagnostic(
                "outside-root",
                f"{path} leads outside the project folder {project}"
                + (f" (to {real})" if real != posixpath.normpath(path) else ""),
                where,
                "keep manifests and migrations inside the project; if this environment must "
                "read from elsewhere, say why with `allow_outside_root: <reason>`",
            )
        )
        return False

    expected = posixpath.splitext(posixpath.basename(env_file))[0]
    if spec.name != expected:
        diags.append(
            Diagnostic(
                "name-mismatch",
                f"environment name {spec.name!r} does not match file name {expected!r}",
                loc.value(("name",)),
                f"set name: {expected}",
            )
        )

    from reconciler.sql.ruleids import FIXED_RULES, RULE_IDS

    for rid, severity in spec.policy.rules.items():
        if rid in FIXED_RULES and severity != "error":
            diags.append(
                Diagnostic(
                    "fixed-rule",
                    f"policy.rules sets {rid} to {severity}: it guards the tool's own history, "
                    "approvals and audit log, and is an error in every environment",
                    loc.key(("policy", "rules", rid)),
                    f"remove {rid} from policy.rules",
                )
            )
        if rid not in RULE_IDS:  # a typo would silently keep the rule as it was
            close = difflib.get_close_matches(rid, sorted(RULE_IDS), n=1)
            diags.append(
                Diagnostic(
                    "unknown-rule",
                    f"policy.rules names {rid!r}, which is no rule",
                    loc.key(("policy", "rules", rid)),
                    f"did you mean {close[0]!r}?"
                    if close
                    else "see docs/rules/README.md for the rule ids",
                )
            )

    approvals = spec.policy.approvals
    seen: set[str] = set()
    for n, who in enumerate(approvals.approvers):
        if who in seen:
            diags.append(
                Diagnostic(
                    "duplicate-approver",
                    f"approver {who!r} is listed twice",
                    loc.value(("policy", "approvals", "approvers", n)),
                    "list each approver once: an approver counts once however often listed",
                )
            )
        seen.add(who)
    if approvals.required > len(seen):
        diags.append(
            Diagnostic(
                "unsatisfiable-approvals",
                f"policy.approvals.required is {approvals.required}, but "
                f"{len(seen)} distinct approver(s) are listed: no plan could ever be approved",
                loc.value(("policy", "approvals", "required")),
                "list more approvers in policy.approvals.approvers, or lower required",
            )
        )

    if spec.policy.backup.provider == "neon" and spec.neon is None:
        diags.append(
            Diagnostic(
                "missing-neon",
                "policy.backup.provider is neon, but the environment has no neon: section: "
                "every apply would stop at the backup",
                loc.value(("policy", "backup", "provider")),
                "add neon: {project_id: ..., branch: main, api_key_from_env: NEON_API_KEY}",
            )
        )
    if spec.policy.strict and spec.policy.lock_timeout == 0:
        diags.append(
            Diagnostic(
                "no-lock-timeout",
                "policy.lock_timeout is 0 (none) in a strict environment: a migration waiting "
                "for a lock would queue every query on that table behind it, without end",
                loc.value(("policy", "lock_timeout")),
                "set a lock timeout (2s is the default); lock_retries retries a timed-out file",
            )
        )

    mdir = rel(spec.migrations.dir)
    migrations = (
        _load_migrations(
            mdir,
            files,
            diags,
            loc.value(("migrations", "dir")),
            within,
            placeholders_of(spec.migrations, loc, diags),
        )
        if within(mdir, loc.value(("migrations", "dir")))
        else []
    )
    target: str | None = None
    if spec.migrations.target != "latest":
        found = _named_file(migrations, "target", spec.migrations.target, loc, diags)
        target = found.version if found else None
    if spec.migrations.checked_from is not None:
        _named_file(migrations, "checked_from", spec.migrations.checked_from, loc, diags)

    config: list[ConfigEntry] | None = None
    if spec.config.files:
        config = []
        broken_config = False  # a file that did not load: overrides of it are not judged
        specs: dict[tuple[str, str], ConfigEntrySpec] = {}
        where_cat: dict[str, str] = {}
        for i, pattern in enumerate(spec.config.files):
            matched = files.glob(rel(pattern))
            if not matched:
                diags.append(
                    Diagnostic(
                        "bad-glob",
                        f"config.files pattern {pattern!r} matches no file",
                        loc.value(("config", "files", i)),
                        f"looked for {rel(pattern)}",
                    )
                )
            for path in matched:
                if not within(path, loc.value(("config", "files", i))):
                    broken_config = True
                    continue
                ctext = _read(files, path, diags, loc.value(("config", "files", i)), "config file")
                if ctext is None:
                    broken_config = True
                    continue
                try:
                    cdata, cloc = load_yaml(ctext, path)
                except ManifestError as e:
                    diags.extend(e.diagnostics)
                    broken_config = True
                    continue
                diags.extend(_data_problems(cdata, cloc, "config entries"))
                diags.extend(_secret_entries(cdata, cloc))
                cf: ConfigFileSpec | None = _validate("ConfigFileSpec", cdata, cloc, diags)
                if cf is None:
                    broken_config = True
                    continue
                if cf.category in where_cat:
                    diags.append(
                        Diagnostic(
                            "duplicate-category",
                            f"category {cf.category!r} is declared in two files",
                            cloc.value(("category",)),
                            f"also in {where_cat[cf.category]}; merge them",
                        )
                    )
                    continue
                where_cat[cf.category] = path
                for key, entry in cf.entries.items():
                    bad = check_value(entry, entry.value)
                    vloc = cloc.value(("entries", key, "value"))
                    if bad:
                        diags.append(
                            Diagnostic(
                                "bad-config-value",
                                f"{cf.category}.{key}: {bad}",
                                vloc,
                                "fix the value or its constraints",
                            )
                        )
                    specs[(cf.category, key)] = entry
                    config.append(
                        ConfigEntry(cf.category, key, entry.value, entry.description, vloc)
                    )
        by_key = {(c.category, c.key): n for n, c in enumerate(config)}
        for cat, values in spec.config.overrides.items():
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                oloc = loc.value(("config", "overrides", cat, key))
                if (cat, key) not in by_key:
                    if broken_config:
                        continue  # follows from the broken file, already reported
                    oloc = loc.key(("config", "overrides", cat, key))
                    known = [k for c, k in specs if c == cat]
                    close = difflib.get_close_matches(key, known, n=1)
                    diags.append(
                        Diagnostic(
                            "unknown-override",
                            f"override {cat}.{key} names no config entry",
                            oloc,
                            f"did you mean {cat}.{close[0]}?"
                            if close
                            else "overrides may only change entries declared in config files",
                        )
                    )
                    continue
                bad = check_value(specs[(cat, key)], value)
                if bad:
                    diags.append(
                        Diagnostic(
                            "bad-config-value",
                            f"override {cat}.{key}: {bad}",
                            oloc,
                            "fix the override",
                        )
                    )
                old = config[by_key[(cat, key)]]
                config[by_key[(cat, key)]] = ConfigEntry(cat, key, value, old.description, oloc)

    forums: list[ForumNode] | None = None
    if spec.forum_map is not None:
        fpath = rel(spec.forum_map)
        ftext = (
            _read(files, fpath, diags, loc.value(("forum_map",)), "forum map")
            if within(fpath, loc.value(("forum_map",)))
            else None
        )
        if ftext is not None:
            try:
                fdata, floc = load_yaml(ftext, fpath)
                diags.extend(_data_problems(fdata, floc, "the forum map"))
                fm: ForumMapSpec | None = _validate("ForumMapSpec", fdata, floc, diags)
                if fm is not None:
                    forums = _flatten_forums(fm.zones, floc, diags)
            except ManifestError as e:
                diags.extend(e.diagnostics)

    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise ManifestError(errors)
    locations = {
        "target": loc.value(("migrations", "target")),
        "policy": loc.key(("policy",)),
        "database": loc.key(("database",)),
    }
    if spec.migrations.checked_from is not None:
        locations["checked_from"] = loc.value(("migrations", "checked_from"))
    return Desired(spec, env_file, migrations, target, config, forums, locations)
