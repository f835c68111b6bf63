"""The ids of the lint rules, light to import (no rule module, no parser): the manifest loader
checks ``policy.rules`` against them. Each id's module is ``reconciler.sql.rules.<id with _>``."""

from __future__ import annotations

__all__ = ["FIXED_RULES", "RULE_IDS", "RULE_MODULES"]

RULE_MODULES = [
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
    "ban_scan_under_lock",
    "require_unique_using_index",
    "require_duplicate_check",
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
    "ban_privilege_escalation",
    "ban_disabled_triggers",
    "ban_reconciler_schema",
    "ban_unlogged_table",
    "ban_sequence_reset",
    "ban_builtin_shadowing",
    "require_rls_policy",
    "require_safe_suffix",
    "require_rollback_section",
    "ban_template_placeholder",
    "prefer_timestamptz",
    "prefer_identity",
    "prefer_bigint",
    "prefer_text",
    "prefer_attach_partition",
]

RULE_IDS = frozenset(m.replace("_", "-") for m in RULE_MODULES)

# rules no environment may switch off or relax and no file may ignore: they guard what the
# tool itself trusts (its history, approvals and audit log), which a migration must not be
# able to speak for
FIXED_RULES = frozenset({"ban-reconciler-schema"})
