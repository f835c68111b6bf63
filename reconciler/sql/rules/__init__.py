"""The rule registry: one module per rule, each with its id, severities, check and doc page.

Add a rule by writing its module here and listing it in ``reconciler.sql.ruleids``; the
meta-test fails until it is registered, documented in docs/rules/<id>.md and has failing and
passing cases.
"""

from __future__ import annotations

from importlib import import_module

from reconciler.sql.ruleids import RULE_MODULES as _MODULES
from reconciler.sql.rules.base import FileContext, Hit, Rule, StatementContext

__all__ = ["RULES", "FileContext", "Hit", "Rule", "StatementContext"]


RULES: dict[str, Rule] = {}
for _name in _MODULES:
    _rule: Rule = import_module(f"{__name__}.{_name}").RULE
    RULES[_rule.id] = _rule
