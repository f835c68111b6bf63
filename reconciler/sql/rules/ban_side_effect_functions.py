"""ban-side-effect-functions: functions that kill sessions, read server files or reach other servers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.classify import function_name
from reconciler.sql.rules.base import Hit, Rule, StatementContext

FUNCTIONS = frozenset(
    {
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "lo_import",
        "lo_export",
        "dblink",
        "dblink_exec",
        "dblink_connect",
        "dblink_connect_u",
        "pg_switch_wal",
        "pg_promote",
        "pg_create_restore_point",
        "pg_file_write",
        "pg_sleep",
        "pg_sleep_for",
        "pg_sleep_until",
        # releases every advisory lock of the session, the reconciler's own among them: a
        # second reconciler could then start on the same database mid-run
        "pg_advisory_unlock_all",
        # large objects live outside every table: unlinking one destroys it for every row
        # that holds its oid, and nothing in a migration's plan shows which
        "lo_unlink",
        "lo_truncate",
        "lo_truncate64",
        # replication: dropping a slot or origin breaks the subscriber or CDC reading it
        "pg_drop_replication_slot",
        "pg_replication_origin_drop",
        "pg_replication_slot_advance",
        "pg_copy_logical_replication_slot",
        "pg_create_logical_replication_slot",
        "pg_create_physical_replication_slot",
    }
)


def _hit(name: str, line: int | None = None, col: int | None = None) -> Hit:
    return Hit(
        f"{name}() has effects outside the migration (sessions, locks, server files, other "
        "servers, large objects, replication, time)",
        "do operational actions by hand, not in a schema migration",
        line,
        col,
    )


_NAMED = re.compile('"sval":"(' + "|".join(sorted(FUNCTIONS)) + ')"')


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    calls = i.find("FuncCall") if not i.raw or _NAMED.search(i.raw) else iter(())
    for _, call in calls:
        names = function_name(call)
        if names and names[-1] in FUNCTIONS:
            where = i.at(call.get("location"))
            yield _hit(names[-1], *(where or (None, None)))
    for what, line in i.inner:
        name = what[5:].rsplit(".", 1)[-1]
        if not what.startswith("call:") or name not in FUNCTIONS:
            continue
        if i.kind == "create_function" and name in _WAITS:
            continue  # a routine that polls waits when it is called, not in the migration
        yield _hit(name, line)


# waiting is an effect only while the migration holds its locks
_WAITS = frozenset({"pg_sleep", "pg_sleep_for", "pg_sleep_until"})


RULE = Rule(
    "ban-side-effect-functions",
    "error",
    "warning",
    "no session-killing, file-reading or remote functions",
    check,
)
