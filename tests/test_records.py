"""Records made by the ten thousand keep every behaviour of a frozen dataclass with
cheap_init's __init__: the same signature and defaults, equality, hashing, order, replace,
pickling, and no assignment."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from reconciler.errors import SourceLocation
from reconciler.manifest.desired import ConfigEntry
from reconciler.plan.live import LiveConfig
from reconciler.plan.model import UpsertConfig
from reconciler.records import cheap_init
from reconciler.sql.split import Comment, Statement

CHEAP = [SourceLocation, ConfigEntry, LiveConfig, UpsertConfig, Statement, Comment]


@pytest.mark.parametrize("cls", CHEAP, ids=[c.__name__ for c in CHEAP])
def test_the_signature_is_the_dataclasss_own(cls: type) -> None:
    # the same class made again without cheap_init: its generated __init__ is the reference
    fields = [
        (f.name, f.type)
        if f.default is dataclasses.MISSING
        else (f.name, f.type, dataclasses.field(default=f.default))
        for f in dataclasses.fields(cls)
    ]
    plain = dataclasses.make_dataclass(f"Plain{cls.__name__}", fields, frozen=True)
    got = [(p.name, p.default, p.kind) for p in inspect.signature(cls.__init__).parameters.values()]
    want = [
        (p.name, p.default, p.kind) for p in inspect.signature(plain.__init__).parameters.values()
    ]
    assert got == want


def test_a_cheap_record_behaves_as_a_frozen_dataclass() -> None:
    a = SourceLocation("m.sql", 3, 7)
    assert a == SourceLocation("m.sql", 3, 7) and hash(a) == hash(SourceLocation("m.sql", 3, 7))
    assert SourceLocation("m.sql") == SourceLocation("m.sql", 0, 0)  # defaults
    assert SourceLocation(file="m.sql", col=2).col == 2  # by keyword
    assert sorted([SourceLocation("b", 1), a, SourceLocation("a", 9)])[0] == SourceLocation("a", 9)
    assert repr(a) == "SourceLocation(file='m.sql', line=3, col=7)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.line = 4  # type: ignore[misc]
    assert dataclasses.replace(a, line=4) == SourceLocation("m.sql", 4, 7)
    assert pickle.loads(pickle.dumps(a)) == a
    u = UpsertConfig("app", "k", 1, "d")
    assert (u.old_value, u.exists) == (None, False)
    assert u.to_dict() == {
        "kind": "upsert_config",
        "category": "app",
        "key": "k",
        "value": 1,
        "description": "d",
        "old_value": None,
        "exists": False,
    }
    with pytest.raises(TypeError):
        UpsertConfig("app", "k")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        SourceLocation("m.sql", nope=1)  # type: ignore[call-arg]


def test_it_refuses_what_it_cannot_keep() -> None:
    @dataclasses.dataclass(frozen=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class WithPostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    # (a field named like the generated function's own names)
    named_self = dataclasses.make_dataclass("NamedSelf", [("self", int)], frozen=True)
    named_local = dataclasses.make_dataclass("NamedLocal", [("__d", int)], frozen=True)

    for cls in (WithFactory, WithPostInit, named_self, named_local, int):
        with pytest.raises(TypeError):
            cheap_init(cls)
