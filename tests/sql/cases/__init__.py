"""The rule case tables: one file per rule (``<rule_module>.py`` beside the others here), each
with SQL that must fire the rule and SQL that must not.

Each case is linted as a file 0001_case_safe.sql with a rollback section in a strict
environment (unless the case says otherwise). The squawk comparison test reuses these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    rule: str
    sql: str
    fires: bool
    filename: str = "0001_case_safe.sql"
    rollback: bool = True


def F(rule: str, sql: str, **kw: object) -> Case:
    return Case(rule, sql, True, **kw)  # type: ignore[arg-type]


def P(rule: str, sql: str, **kw: object) -> Case:
    return Case(rule, sql, False, **kw)  # type: ignore[arg-type]


def _collect() -> list[Case]:
    import pkgutil
    from importlib import import_module

    out: list[Case] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        table = import_module(f"{__name__}.{module}").CASES
        assert all(c.rule.replace("-", "_") == module for c in table), module
        out.extend(table)
    return out


CASES: list[Case] = _collect()
