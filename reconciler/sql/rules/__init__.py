"""The rule registry: one module per rule, each with its id, severities, check and doc page.

Add a rule by writing its module here and listing it in ``_MODULES``; the meta-test fails
until it is registered, documented in docs/rules/<id>.md and has failing and passing cases.
"""

from __future__ import annotations

from importlib import import_module

from reconciler.sql.rules.base import FileContext, Hit, Rule, StatementContext

__all__ = ["RULES", "FileContext", "Hit", "Rule", "StatementContext"]

_MODULES = [
    "unparsed_statement",
    "ban_unlisted_operation",
    "ban_drop_table",
    "ban_drop_column",
    "ban_drop_object",
    "ban_delete",
    "ban_truncate",
    "ban_update_without_where",
    "require_concurrent_index",
    "ban_concurrently_in_transaction",
    "require_add_column_default",
    "ban_volatile_default",
    "ban_alter_column_type",
    "ban_set_not_null",
    "ban_drop_not_null",
    "require_not_valid_constraint",
    "require_unique_using_index",
    "ban_rename",
    "ban_blocking_maintenance",
    "require_insert_on_conflict",
    "ban_transaction_control",
    "ban_psql_meta_command",
    "ban_new_enum_value_use",
    "ban_credentials",
    "ban_side_effect_functions",
    "ban_copy_program",
    "require_definer_search_path",
    "require_safe_suffix",
    "require_rollback_section",
    "ban_template_placeholder",
    "prefer_timestamptz",
    "prefer_identity",
    "prefer_bigint",
    "prefer_text",
    "prefer_attach_partition",
]

RULES: dict[str, Rule] = {}
for _name in _MODULES:
    _rule: Rule = import_module(f"{__name__}.{_name}").RULE
    RULES[_rule.id] = _rule
