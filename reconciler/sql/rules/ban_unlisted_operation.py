"""ban-unlisted-operation: strict environments allow only the operations on the safe list.

The list follows the original's "Safe Operations Only": new objects, ADD COLUMN that is
nullable or has a non-volatile default, a column's SET DEFAULT, constraints added NOT VALID then
validated,
INSERT ... ON CONFLICT DO NOTHING, ANALYZE, COMMENT and session settings. Anything on a table
created earlier in the same file is also safe (nobody uses it yet).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from reconciler.sql.classify import (
    DYNAMIC_NAME,
    StatementInfo,
    called_functions,
    function_name,
    routine_option,
)
from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    Tree,
    alter_commands,
    alter_target,
    command_at,
    domain_target,
    dotted_name,
    drops_only_new,
    hit_at,
    index_target,
    made_here,
    name_key,
    new_sequence,
    nodes,
    object_name,
    option_text,
    proven_not_null,
    relation,
    retype_keeps_rows,
    same_table,
    spelled,
    truncates_only_new,
)

_ALWAYS = {
    "create_table",
    "create_type",
    "create_domain",
    "create_sequence",
    "create_schema",
    "create_extension",
    "validate_constraint",
    "add_constraint_using_index",
    "alter_type_add_value",
    "comment",
    "analyze",  # planner statistics: SHARE UPDATE EXCLUSIVE, blocks no read or write
    # extended statistics: a catalog entry (SHARE UPDATE EXCLUSIVE), gathered by the next
    # ANALYZE; nothing scanned now
    "create_statistics",
    "constraints_set",  # SET CONSTRAINTS: when this transaction checks its deferrable ones
    "set",
    "reset",
    "do",  # (when its PL/pgSQL was read: each statement inside is judged on its own)
}
_ADVICE = {
    "update": "data changes belong in a DATA migration run outside strict gates, or in batches with a WHERE",
    "delete": "data removal is never automatic in production: archive instead, or run it by hand with approval",
    "drop": "keep the object and stop using it; drop it later in a reviewed, non-strict change",
    "truncate": "never truncate in production from a migration",
    "select": "migrations should not run queries; move checks into tests or a DATA migration",
    "insert": "use INSERT ... ON CONFLICT DO NOTHING so the migration is idempotent",
    "alter_table": "split the change into safe steps: add nullable/defaulted columns, add constraints NOT VALID and VALIDATE them in a later migration",
    "create_index": "use CREATE INDEX CONCURRENTLY",
    "grant": "manage privileges outside schema migrations, or allow this file explicitly with a reason",
    "create_function": "replacing a function changes running code: review it and allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
    "create_view": "replacing a view changes what every reader sees: review it and allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
    "create_trigger": "replacing a trigger changes what every write does: review it and allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
}


_SAFE_ACTIONS = {
    "AT_AddColumn",  # the column rules decide about NOT NULL, volatile defaults, REFERENCES
    "AT_ValidateConstraint",
    "AT_AddIndexConstraint",
}


# storage parameters that only steer the planner, vacuum or how new rows and index entries are
# laid out: set in the catalog under a SHARE UPDATE EXCLUSIVE lock (reads and writes go on), no
# scan, no rewrite. Not the ones that change who sees what (a view's security_barrier and
# security_invoker, check_option) or what logical decoding reads (user_catalog_table).
_TUNING = re.compile(
    r"(?:toast\.)?(?:autovacuum_\w+|fillfactor|toast_tuple_target|parallel_workers"
    r"|log_autovacuum_min_duration|vacuum_index_cleanup|vacuum_truncate|deduplicate_items"
    r"|fastupdate|gin_pending_list_limit|buffering|pages_per_range|autosummarize)"
)


def _tuning(cmd: Tree) -> bool:
    """ALTER ... SET STATISTICS, a column's n_distinct, or a table's or index's tuning storage
    parameters (_TUNING): statistics and layout for what comes next, nothing rewritten."""
    subtype = cmd.get("subtype")
    if subtype in ("AT_SetStatistics", "AT_SetOptions", "AT_ResetOptions"):
        return True  # a column's statistics target, n_distinct (the only attribute options)
    if subtype not in ("AT_SetRelOptions", "AT_ResetRelOptions"):
        return False
    options = _rel_options(cmd)
    return (
        bool(options)
        and all(_TUNING.fullmatch(name) for name, _ in options)
        and not _autovacuum_off(cmd)
    )


def _rel_options(cmd: Tree) -> list[tuple[str, Tree]]:
    """(name, the DefElem) of each storage parameter an ALTER ... SET (...) or RESET (...)
    names, a TOAST table's as ``toast.<name>``."""
    out = []
    for item in (cmd.get("def") or {}).get("List", {}).get("items") or ():
        o = item.get("DefElem") or {}
        name = str(o.get("defname"))
        out.append((f"{o['defnamespace']}.{name}" if o.get("defnamespace") else name, o))
    return out


def _off(value: str) -> bool:
    """PostgreSQL reads it as false: 0, or a prefix of false or no, or of off (2 letters on)."""
    v = value.strip().lower()
    return bool(v) and (
        v == "0"
        or "false".startswith(v)
        or "no".startswith(v)
        or (len(v) >= 2 and "off".startswith(v))
    )


def _autovacuum_off(cmd: Tree) -> list[str]:
    """The autovacuum_enabled parameters an ALTER ... SET (...) turns off: the table is then
    never vacuumed nor analyzed but to prevent wraparound (dead rows pile up, plans go
    stale), a decision of its own, not tuning."""
    if cmd.get("subtype") != "AT_SetRelOptions":
        return []
    off = []
    for name, o in _rel_options(cmd):
        if name.removeprefix("toast.") != "autovacuum_enabled":
            continue
        if _off(option_text(o.get("arg"))):  # (written without a value: on)
            off.append(name)
    return off


def _unlisted_actions(ctx: StatementContext) -> list[Tree]:
    """The actions of an ALTER TABLE that are not on the list, in order (none: all are)."""
    out: list[Tree] = []
    proven: set[str] | None = None
    for cmd in alter_commands(ctx.info):
        if cmd.get("subtype") in _SAFE_ACTIONS or _tuning(cmd):
            continue
        if cmd.get("subtype") == "AT_ColumnDefault" and cmd.get("def") is not None:
            continue  # SET DEFAULT: for rows inserted from now on; no scan, no rewrite
        if cmd.get("subtype") == "AT_AlterColumnType" and retype_keeps_rows(ctx, cmd):
            continue  # a longer varchar, text, more digits: the rows are left as they are
        if cmd.get("subtype") == "AT_SetNotNull":
            # proven by a check this file added and validated: no scan (ban-set-not-null)
            proven = proven_not_null(ctx) if proven is None else proven
            if cmd.get("name") in proven:
                continue
        con = (cmd.get("def") or {}).get("Constraint") or {}
        if cmd.get("subtype") == "AT_AddConstraint":
            if con.get("contype") in ("CONSTR_CHECK", "CONSTR_FOREIGN") and con.get(
                "skip_validation"
            ):
                continue  # NOT VALID, validated later
            if con.get("contype") in ("CONSTR_UNIQUE", "CONSTR_PRIMARY") and con.get("indexname"):
                continue  # USING INDEX built concurrently
        out.append(cmd)
    return out


# an ALTER TABLE action as SQL spells it ({} is the column, constraint or trigger it names)
_ACTION = {
    "AT_AddConstraint": "ADD CONSTRAINT {}",
    "AT_AddIdentity": "ALTER COLUMN {} ADD GENERATED AS IDENTITY",
    "AT_AddInherit": "INHERIT",
    "AT_AddOf": "OF",
    "AT_AlterColumnType": "ALTER COLUMN {} TYPE",
    "AT_AlterConstraint": "ALTER CONSTRAINT {}",
    "AT_AttachPartition": "ATTACH PARTITION",
    "AT_ChangeOwner": "OWNER TO",
    "AT_ClusterOn": "CLUSTER ON {}",
    "AT_DetachPartition": "DETACH PARTITION",
    "AT_DetachPartitionFinalize": "DETACH PARTITION FINALIZE",
    "AT_DisableRowSecurity": "DISABLE ROW LEVEL SECURITY",
    "AT_DisableRule": "DISABLE RULE {}",
    "AT_DisableTrig": "DISABLE TRIGGER {}",
    "AT_DisableTrigAll": "DISABLE TRIGGER ALL",
    "AT_DisableTrigUser": "DISABLE TRIGGER USER",
    "AT_DropCluster": "SET WITHOUT CLUSTER",
    "AT_DropColumn": "DROP COLUMN {}",
    "AT_DropConstraint": "DROP CONSTRAINT {}",
    "AT_DropExpression": "ALTER COLUMN {} DROP EXPRESSION",
    "AT_DropIdentity": "ALTER COLUMN {} DROP IDENTITY",
    "AT_DropInherit": "NO INHERIT",
    "AT_DropNotNull": "ALTER COLUMN {} DROP NOT NULL",
    "AT_DropOf": "NOT OF",
    "AT_EnableAlwaysRule": "ENABLE ALWAYS RULE {}",
    "AT_EnableAlwaysTrig": "ENABLE ALWAYS TRIGGER {}",
    "AT_EnableReplicaRule": "ENABLE REPLICA RULE {}",
    "AT_EnableReplicaTrig": "ENABLE REPLICA TRIGGER {}",
    "AT_EnableRowSecurity": "ENABLE ROW LEVEL SECURITY",
    "AT_EnableRule": "ENABLE RULE {}",
    "AT_EnableTrig": "ENABLE TRIGGER {}",
    "AT_EnableTrigAll": "ENABLE TRIGGER ALL",
    "AT_EnableTrigUser": "ENABLE TRIGGER USER",
    "AT_ForceRowSecurity": "FORCE ROW LEVEL SECURITY",
    "AT_GenericOptions": "OPTIONS",
    "AT_NoForceRowSecurity": "NO FORCE ROW LEVEL SECURITY",
    "AT_ReplicaIdentity": "REPLICA IDENTITY",
    "AT_ResetRelOptions": "RESET (...)",
    "AT_SetAccessMethod": "SET ACCESS METHOD",
    "AT_SetCompression": "ALTER COLUMN {} SET COMPRESSION",
    "AT_SetExpression": "ALTER COLUMN {} SET EXPRESSION",
    "AT_SetIdentity": "ALTER COLUMN {} SET (identity)",
    "AT_SetLogged": "SET LOGGED",
    "AT_SetNotNull": "ALTER COLUMN {} SET NOT NULL",
    "AT_SetRelOptions": "SET (...)",
    "AT_SetStorage": "ALTER COLUMN {} SET STORAGE",
    "AT_SetTableSpace": "SET TABLESPACE",
    "AT_SetUnLogged": "SET UNLOGGED",
}


# why an ALTER TABLE action off the list is there (what it does to the table's readers)
_REWRITES = "rewrites the table under a lock that blocks reads and writes"
_WHY = {
    "AT_DetachPartition": "its rows leave every query of the parent",
    "AT_AttachPartition": "its rows join every query of the parent, after a scan that checks them",
    "AT_AddInherit": "its rows join every query of the parent",
    "AT_DropInherit": "its rows leave every query of the parent",
    "AT_ReplicaIdentity": "changes what logical replication and change-data consumers receive",
    "AT_SetTableSpace": _REWRITES,
    "AT_SetAccessMethod": _REWRITES,
    "AT_SetLogged": _REWRITES,
    "AT_SetUnLogged": _REWRITES,
    "AT_SetExpression": _REWRITES,
    "AT_ChangeOwner": "changes who may alter, drop or grant it",
    "AT_DisableRowSecurity": "every role with SELECT then sees every row",
    "AT_NoForceRowSecurity": "its owner then sees every row",
    "AT_DropIdentity": "an INSERT that leaves the column out then stores NULL or fails",
}


def _action(cmd: Tree) -> str:
    """One ALTER TABLE action as SQL spells it: ``ALTER COLUMN x DROP DEFAULT``."""
    subtype = str(cmd.get("subtype") or "")
    if subtype == "AT_ColumnDefault":
        return f"ALTER COLUMN {cmd.get('name')} {'SET' if cmd.get('def') else 'DROP'} DEFAULT"
    name = cmd.get("name") or ((cmd.get("def") or {}).get("Constraint") or {}).get("conname")
    words = (
        _ACTION.get(subtype)
        or re.sub(r"(?<=[a-z])(?=[A-Z])", " ", subtype.removeprefix("AT_")).upper()
    )
    return words.format(name or "").replace("  ", " ").strip()


# allowed unless OR REPLACE (a reviewed change of what running code sees)
_NEW_OBJECTS = {"create_function", "create_trigger", "create_view"}


# extensions and routine languages that run code outside the database's sandbox: native code,
# untrusted procedural languages, the server's files, other servers (foreign-data wrappers,
# HTTP and cloud calls), SQL run later by a scheduler or a background worker
_OUTSIDE = {
    "http",
    "pgsql_http",
    "pg_net",
    "pg_cron",
    "pg_background",
    "aws_s3",
    "aws_lambda",
    "aws_commons",
    "log_fdw",
    "mysql_fdw",
    "oracle_fdw",
    "tds_fdw",
    "mongo_fdw",
    "redis_fdw",
    "sqlite_fdw",
    "multicorn",
    "wrappers",
    "c",
    "internal",
    "plpythonu",
    "plpython2u",
    "plpython3u",
    "plperlu",
    "pltclu",
    "plsh",
    "pljava",  # (with javaU, its untrusted language: the server's files and network)
    "javau",
    "plr",  # R, untrusted
    "pllua",  # (installs plluau, untrusted, beside it)
    "plluau",
    "adminpack",
    "file_fdw",
    "dblink",
    "postgres_fdw",
}


# extensions known to stay inside the sandbox: types, functions, operators, index methods,
# trusted languages, read-only statistics (PostgreSQL's contrib and the widespread others,
# Neon's supported list among them). Any other is out of the linter's sight: what it
# installs (native code, a language, a background worker, an event trigger) is unknown, so
# strict environments block it until reviewed
_IN_SANDBOX = frozenset(
    [
        "address_standardizer",
        "address_standardizer_data_us",
        "age",
        "amcheck",
        "anon",
        "autoinc",
        "bloom",
        "bool_plperl",
        "btree_gin",
        "btree_gist",
        "citext",
        "cube",
        "debversion",
        "dict_int",
        "dict_xsyn",
        "earthdistance",
        "embedding",
        "fuzzystrmatch",
        "h3",
        "h3_postgis",
        "hll",
        "hstore",
        "hstore_plperl",
        "hypopg",
        "icu_ext",
        "index_advisor",
        "insert_username",
        "intagg",
        "intarray",
        "ip4r",
        "isn",
        "jsonb_plperl",
        "lo",
        "ltree",
        "moddatetime",
        "neon",
        "neon_utils",
        "old_snapshot",
        "orafce",
        "periods",
        "pg_buffercache",
        "pg_freespacemap",
        "pg_graphql",
        "pg_hashids",
        "pg_hint_plan",
        "pg_ivm",
        "pg_jsonschema",
        "pg_partman",
        "pg_prewarm",
        "pg_qualstats",
        "pg_repack",
        "pg_roaringbitmap",
        "pg_search",
        "pg_session_jwt",
        "pg_similarity",
        "pg_stat_kcache",
        "pg_stat_monitor",
        "pg_stat_statements",
        "pg_tiktoken",
        "pg_trgm",
        "pg_uuidv7",
        "pg_visibility",
        "pg_wait_sampling",
        "pg_walinspect",
        "pgaudit",
        "pgcrypto",
        "pgjwt",
        "pgmq",
        "pgroonga",
        "pgroonga_database",
        "pgrouting",
        "pgrowlocks",
        "pgsodium",
        "pgstattuple",
        "pgtap",
        "pgx_ulid",
        "plcoffee",
        "plls",
        "plperl",
        "plpgsql",
        "plpgsql_check",
        "pltcl",
        "plv8",
        "pointcloud",
        "pointcloud_postgis",
        "postgis",
        "postgis_raster",
        "postgis_sfcgal",
        "postgis_tiger_geocoder",
        "postgis_topology",
        "prefix",
        "rdkit",
        "refint",
        "roaringbitmap",
        "rum",
        "seg",
        "semver",
        "sslinfo",
        "supabase_vault",
        "tablefunc",
        "tcn",
        "temporal_tables",
        "timescaledb",
        "timescaledb_toolkit",
        "tsm_system_rows",
        "tsm_system_time",
        "ulid",
        "unaccent",
        "unit",
        "uuid-ossp",
        "vector",
        "vectorscale",
    ]
)


def _unknown_extension(info: StatementInfo) -> str | None:
    """The name of an extension this statement installs that is on neither list."""
    if info.node != "CreateExtensionStmt":
        return None
    name = str(info.tree.get("extname", "")).lower()
    return name if name not in _IN_SANDBOX and name not in _OUTSIDE else None


def _runs_outside(info: StatementInfo) -> str | None:
    if info.node == "CreateExtensionStmt":
        name = str(info.tree.get("extname", "")).lower()
        return f"extension {name}" if name in _OUTSIDE else None
    if info.node == "CreateFunctionStmt":
        for d in info.tree.get("options") or ():
            opt = d.get("DefElem", {})
            if opt.get("defname") == "language":
                lang = str(opt.get("arg", {}).get("String", {}).get("sval", "")).lower()
                return f"a function in LANGUAGE {lang}" if lang in _OUTSIDE else None
    return None


# settings that change who runs the rest of the file, or switch off triggers and foreign keys
_NOT_SESSION_SETTINGS = {"role", "session_authorization", "session_replication_role"}


# timeouts the environment's policy sets for every migration; a file may lower them, not switch
# them off (0, DEFAULT, RESET: back to the login's setting, often none) or raise them
_POLICY_TIMEOUTS = {"lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(us|ms|s|min|h|d)?\s*$")
_MS = {"us": 0.001, "ms": 1, None: 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def _milliseconds(info: StatementInfo) -> float | None:
    """The value a SET gives a timeout, in ms (PostgreSQL's unit for all three); None when it
    is not one constant this can read."""
    args = list(info.tree.get("args") or ())
    const = (args[0].get("A_Const") or {}) if len(args) == 1 else {}
    if "ival" in const:
        return float(const["ival"].get("ival", 0))
    if "fval" in const:
        text = str(const["fval"].get("fval", ""))
    else:
        text = str((const.get("sval") or {}).get("sval", ""))
    return _ms_of(text)


def _ms_of(text: str) -> float | None:
    m = _DURATION.match(text)
    return float(m.group(1)) * _MS[m.group(2)] if m else None


def _set_config_select(info: StatementInfo) -> list[tuple[str, str]] | None:
    """``SELECT [pg_catalog.]set_config('name', 'value', is_local)``, as pg_dump writes it to
    start its output: constant settings, each a SET by another name, readable as one."""
    t = info.tree
    if info.node != "SelectStmt" or info.inside == "do" or not t.get("targetList"):
        return None
    if any(t.get(k) for k in ("fromClause", "whereClause", "valuesLists", "larg", "withClause")):
        return None
    found = []
    for target in t["targetList"]:
        call = ((target.get("ResTarget") or {}).get("val") or {}).get("FuncCall") or {}
        args = [(a.get("A_Const") or {}) for a in call.get("args") or ()]
        if function_name(call)[-1:] != ["set_config"] or len(args) != 3:
            return None
        if not all("sval" in a for a in args[:2]) or "boolval" not in args[2]:
            return None
        found.append((str(args[0]["sval"].get("sval", "")), str(args[1]["sval"].get("sval", ""))))
    return found


def _setting_problem(name: str, value: str, policy: dict[str, int | None]) -> str | None:
    if name.lower() in _NOT_SESSION_SETTINGS:
        return f"set_config('{name}', ...) changes who runs the migration or switches off triggers and foreign keys"
    if name.lower() not in _POLICY_TIMEOUTS:
        return None
    ms = _ms_of(value)
    if ms is None:
        return f"this sets {name} to a value that cannot be read as a duration"
    if ms == 0:
        return f"this switches off {name}"
    limit = policy.get(name.lower())
    if limit and ms > limit:
        return f"this raises {name} to {ms:.0f} ms, above the policy's {limit} ms"
    return None


def _timeout_problem(info: StatementInfo, policy: dict[str, int | None]) -> str | None:
    kind, name = info.tree.get("kind"), info.tree.get("name")
    if kind == "VAR_RESET_ALL":
        return "RESET ALL puts lock_timeout and statement_timeout back to the login's settings"
    if name not in _POLICY_TIMEOUTS or info.kind not in ("set", "reset"):
        return None
    if kind in ("VAR_RESET", "VAR_SET_DEFAULT"):
        return f"this puts {name} back to the login's setting (often none)"
    value = _milliseconds(info)
    if value is None:
        return f"this sets {name} to a value that cannot be read as a duration"
    if value == 0:
        return f"this switches off {name}"
    limit = policy.get(name)
    if limit and value > limit:
        return f"this raises {name} to {value:.0f} ms, above the policy's {limit} ms"
    return None


def _calls_set_config(info: StatementInfo) -> bool:
    """set_config() run by a DO block: in its expressions, or in a query of its own (a
    query of the file's own is unlisted anyway)."""
    if info.kind == "do":
        return any(what == "call:set_config" for what, _ in info.inner)
    if info.inside != "do" or (info.raw and "set_config" not in info.raw):
        return False
    return any(function_name(call)[-1:] == ["set_config"] for _, call in info.find("FuncCall"))


# volatile functions that only make or read values (a random number or UUID, the clock, a
# sequence's next value, a hash, a lock held to the end of the transaction, a relation's size,
# the WAL position): a query a strict migration runs may call them, as it may any built-in
# PostgreSQL marks IMMUTABLE or STABLE; those named here may also come from an extension
# (uuid-ossp, pgcrypto) in its usual schema
_VALUE_MAKERS = frozenset(
    {
        "random",
        "random_normal",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuid_generate_v7",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "currval",
        "lastval",
        "pg_current_xact_id",
        "pg_current_xact_id_if_assigned",
        "gen_random_bytes",
        "gen_salt",
        "crypt",
        "digest",
        "hmac",
        "pg_advisory_xact_lock",
        "pg_advisory_xact_lock_shared",
        "pg_try_advisory_xact_lock",
        "pg_try_advisory_xact_lock_shared",
        "pg_relation_size",
        "pg_total_relation_size",
        "pg_table_size",
        "pg_indexes_size",
        "pg_database_size",
        "pg_tablespace_size",
        "pg_is_in_recovery",
        "pg_current_wal_lsn",
        "pg_current_wal_insert_lsn",
        "pg_last_committed_xact",
        "pg_xact_commit_timestamp",
    }
)
_EXTENSION_SCHEMAS = (None, "pg_catalog", "public", "extensions")

# statements whose expressions run now, at migration time (the others' run later: a column's
# DEFAULT, a view's or a function's body, a policy, a trigger's function)
_RUNS_NOW = {"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CallStmt"}


def _unknown(name: str) -> bool:
    """Whether a function, ``schema.name`` or ``name``, could do more than make a value."""
    from reconciler.sql.nonvolatile import AGGREGATES, NONVOLATILE

    schema, _, bare = name.rpartition(".")
    if schema in ("", "pg_catalog") and (bare in NONVOLATILE or bare in AGGREGATES):
        return False
    return not ((schema or None) in _EXTENSION_SCHEMAS and bare in _VALUE_MAKERS)


_EXECUTE = re.compile(r"\bEXECUTE\b", re.IGNORECASE)


def _made_functions(ctx: StatementContext) -> list[tuple[int, str, bool]]:
    """Every function the file makes or replaces: (its place in the file, its name as
    written, lower-cased, whether it only computes). Read once per file."""
    key = "ban-unlisted-operation:functions"
    if key not in ctx.file.memo:
        found: list[tuple[int, str, bool]] = []
        for info in ctx.file.of_nodes(("CreateFunctionStmt",), len(ctx.file.infos)):
            name = ".".join(
                s.get("sval", "") for _, s in nodes(info.tree.get("funcname"), "String")
            ).lower()
            found.append((ctx.file.place(info), name, _only_computes(info)))
        ctx.file.memo[key] = found
    functions: list[tuple[int, str, bool]] = ctx.file.memo[key]
    return functions


def _only_computes(info: StatementInfo) -> bool:
    """Declared IMMUTABLE or STABLE in SQL or PL/pgSQL (PostgreSQL then refuses its writes),
    with a body that calls only known functions, runs no dynamic SQL and does nothing
    destructive."""
    if not info.parsed:
        return False
    volatility = str(routine_option(info.tree, "volatility"))
    language = str(routine_option(info.tree, "language"))
    if volatility not in ("immutable", "stable") or language.lower() not in ("sql", "plpgsql"):
        return False
    if any(not w.startswith("call:") or _unknown(w[5:]) for w, _ in info.inner):
        return False
    return not _EXECUTE.search(info.stmt.text)  # dynamic SQL: its calls are not in the summary


def _functions_here(ctx: StatementContext) -> tuple[set[str], set[str]]:
    """(bare names of every function this file made or replaced before this statement, and
    name_key() of those that only compute: declared IMMUTABLE or STABLE in SQL or PL/pgSQL,
    whose writes PostgreSQL then refuses, with bodies that call only known functions and do
    nothing destructive). A function made here under a built-in's name is not the built-in."""
    here = ctx.file.place(ctx.info)
    functions = _made_functions(ctx)
    # the statements are checked in order: carry on from the last answer, not from the top
    key = "ban-unlisted-operation:functions-here"
    done, changes, made, out = ctx.file.memo.get(key, (0, ctx.path_changes, set(), set()))
    if changes != ctx.path_changes or (done and functions[done - 1][0] >= here):
        done, made, out = 0, set(), set()
    made, out = set(made), set(out)
    while done < len(functions) and functions[done][0] < here:
        _, name, computes = functions[done]
        made.add(name.rpartition(".")[2])
        if computes:
            out.add(name_key(name, ctx.path_changes))
        done += 1
    ctx.file.memo[key] = (done, ctx.path_changes, made, out)
    return made, out


def _runs_unknown_functions(ctx: StatementContext) -> list[str]:
    """The functions this statement calls at migration time that are neither built-ins
    PostgreSQL marks non-volatile, known value makers, nor functions this file made that only
    compute: a function of an earlier migration or an extension can change data, settings or
    locks, out of the linter's sight."""
    info = ctx.info
    if info.kind == "do":
        calls = [what[5:] for what, _ in info.inner if what.startswith("call:")]
    elif info.node in _RUNS_NOW or (
        info.node == "CreateTableAsStmt" and not (info.tree.get("into") or {}).get("skipData")
    ):
        calls = called_functions(info.tree)
    elif info.node in ("AlterTableStmt", "AlterDomainStmt"):
        # a CHECK added to what exists: every row written calls it, and its VALIDATE calls it
        # on every row there is, at migration time
        calls = [
            c
            for cmd in [*alter_commands(info), info.tree]
            for con in [((cmd.get("def") or {}).get("Constraint") or {})]
            if con.get("contype") == "CONSTR_CHECK"
            for c in called_functions(con.get("raw_expr"))
        ]
        if info.node == "AlterTableStmt":
            existing = not ctx.is_new(relation(info.tree.get("relation")))
        else:
            existing = domain_target(ctx) is not None
        if not calls or not existing:
            return []
    elif info.node == "CopyStmt" and info.tree.get("is_from"):
        calls = []
    elif info.node == "RefreshMatViewStmt":  # runs the query of the view, made earlier here
        view = relation(info.tree.get("relation"))
        calls = [
            c
            for made in ctx.earlier("CreateTableAsStmt")
            if same_table(relation((made.tree.get("into") or {}).get("rel")), view)
            for c in called_functions(made.tree.get("query"))
        ]
    else:
        return []
    if info.node in ("InsertStmt", "CopyStmt"):
        calls += _new_table_defaults(ctx, relation(info.tree.get("relation")))
    if not calls:
        return []
    made, computing = _functions_here(ctx)
    unknown = {c for c in calls if c and (_unknown(c) or c.rpartition(".")[2] in made)}
    return sorted(c for c in unknown if name_key(c, ctx.path_changes) not in computing)


def _defaulted(write: Any, node: str, columns: list[str] | None) -> set[str]:
    """The columns (of ``columns``, the table's in order, or None when the file does not show
    them all) whose defaults a write runs: those it does not give, and those its VALUES give
    as DEFAULT. A COPY without a column list gives every column; an INSERT without one gives
    the first as many as it has values (with SELECT *, an unknown number: none counted).
    ``{"*"}`` stands for every column's."""
    known = columns or []
    if node == "CopyStmt":
        listed = [str(s.get("sval")) for _, s in nodes(write.get("attlist"), "String")]
        return set(known) - set(listed or known) if columns is not None or listed else {"*"}
    listed = [str(r.get("name")) for _, r in nodes(write.get("cols"), "ResTarget")]
    query = (write.get("selectStmt") or {}).get("SelectStmt") or {}
    rows = [(r.get("List") or {}).get("items") or [] for r in query.get("valuesLists") or ()]
    targets = query.get("targetList") or []
    if not listed and columns is not None and (rows or "A_Star" not in str(targets)):
        listed = columns[: max([len(r) for r in rows] or [len(targets)])]
    if not listed and columns is None:
        return {"*"}
    out = set(known) - set(listed)
    for row in rows:
        given = zip(listed, row, strict=False)  # rows of unequal length: PostgreSQL refuses
        out |= {c for c, v in given if isinstance(v, dict) and "SetToDefault" in v}
    return out


def _new_table_defaults(ctx: StatementContext, target: str | None) -> list[str]:
    """The functions a write into a table this file made runs now: its checks', and the
    defaults of the columns the write does not give."""
    for info in ctx.earlier_on("CreateStmt", "relation", target):
        elements = info.tree.get("tableElts") or ()
        names = [str(e["ColumnDef"].get("colname")) for e in elements if "ColumnDef" in e]
        whole = not info.tree.get("inhRelations") and not info.tree.get("ofTypename")
        whole = whole and all("ColumnDef" in e or "Constraint" in e for e in elements)
        defaulted = _defaulted(ctx.info.tree, ctx.info.node, names if whole else None)
        out = []
        for element in elements:
            column = element.get("ColumnDef")
            if column is None:  # a table constraint
                out += called_functions(element)
                continue
            for _, con in nodes(column.get("constraints"), "Constraint"):
                if (
                    con.get("contype") != "CONSTR_DEFAULT"
                    or {column.get("colname"), "*"} & defaulted
                ):
                    out += called_functions(con)
        return out
    return []


def _constants_only(info: StatementInfo) -> bool:
    """A SELECT of constants and nothing else: no FROM, WHERE, INTO, WITH, locking clause or
    function call (``SELECT 1``, ``SELECT 'done' AS note``), which reads and changes
    nothing."""
    t = info.tree
    if info.node != "SelectStmt" or set(t) - {"targetList", "limitOption", "op"}:
        return False
    values = [(r.get("val") or {}) for _, r in nodes(t.get("targetList"), "ResTarget")]
    return bool(values) and all(set(v) == {"A_Const"} for v in values)


def _writes_within(info: StatementInfo) -> bool:
    """A data-modifying statement inside this one (a WITH's INSERT, UPDATE, DELETE or MERGE)."""
    return any(True for _ in info.find("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"))


def _dynamic_schema(info: StatementInfo) -> bool:
    """A statement an EXECUTE builds that names a schema given at run time (``%I.%I``): in a
    loop over schemas it reaches every one, the reconciler's own among them."""
    if not info.raw or f'"schemaname":"{DYNAMIC_NAME}"' not in info.raw:
        return False
    return not (info.node == "SelectStmt" and not info.tree.get("intoClause"))


def _fires_new_trigger(ctx: StatementContext) -> str | None:
    """A trigger this file created on the table this INSERT or COPY writes: its function
    runs now."""
    i = ctx.info
    if not (i.node == "InsertStmt" or (i.node == "CopyStmt" and i.tree.get("is_from"))):
        return None
    target = relation(i.tree.get("relation"))
    for info in ctx.earlier_on("CreateTrigStmt", "relation", target):
        return str(info.tree.get("trigname"))
    return None


def _on_new_objects(ctx: StatementContext) -> bool:
    """GRANT or REVOKE on, or a new owner for, objects this file creates and nothing else
    (pg_dump and `supabase db pull` write both after each object), or an ALTER SEQUENCE of a
    sequence it creates: setting up who owns and may use a new object is part of creating it."""
    i, t = ctx.info, ctx.info.tree
    if i.node == "GrantStmt":
        if t.get("targtype") != "ACL_TARGET_OBJECT" or not t.get("objects"):
            return False
        objects = [object_name(o) for o in t["objects"]]
    elif i.node == "AlterOwnerStmt":
        objects = [object_name(t.get("object") or {})]
    elif i.node == "AlterSeqStmt":  # pg_dump's OWNED BY after a CREATE SEQUENCE
        objects = [relation(t.get("sequence"))]
    elif i.node == "AlterTableStmt":
        if not alter_commands(i) or any(
            c.get("subtype") != "AT_ChangeOwner" for c in alter_commands(i)
        ):
            return False
        objects = [relation(t.get("relation"))]
    else:
        return False
    return all(ctx.made_earlier(name) for name in objects)


def _moves_new_sequences(ctx: StatementContext) -> bool:
    """``SELECT setval(...)`` of sequences this file made, nothing else (pg_dump writes one
    after each CREATE SEQUENCE, and after a table's serial or identity column)."""
    t = ctx.info.tree
    if ctx.info.node != "SelectStmt" or t.get("fromClause") or t.get("whereClause"):
        return False
    targets = [(r.get("val") or {}) for _, r in nodes(t.get("targetList"), "ResTarget")]
    return bool(targets) and all(
        "FuncCall" in v
        and function_name(v["FuncCall"])[-1:] == ["setval"]
        and function_name(v["FuncCall"])[:-1] in ([], ["pg_catalog"])
        and new_sequence(ctx, (v["FuncCall"].get("args") or [None])[0])
        for v in targets
    )


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    timeout = _timeout_problem(i, ctx.file.timeouts) if i.kind in ("set", "reset") else None
    if timeout:
        yield Hit(
            f"{timeout}; the environment's policy sets the timeouts so that a migration cannot "
            "wait on locks (or run) longer than it allows",
            "keep the policy's timeouts, or set lower ones for this file",
        )
        return
    settings = _set_config_select(i)
    if settings is not None:
        for name, value in settings:
            problem = _setting_problem(name, value, ctx.file.timeouts)
            if problem:
                yield Hit(
                    f"{problem}; the environment's policy sets the timeouts and the role a "
                    "migration runs with",
                    "keep the policy's timeouts (or set lower ones) and the migration's role",
                )
                return
        return  # session settings, as SET would make them
    if _calls_set_config(i):
        yield Hit(
            "set_config() in a DO block can change the policy's timeouts, the role the rest of "
            "the file runs as, or switch off triggers and foreign keys, out of the linter's sight",
            "use SET for session settings (a lower timeout is allowed); if it was reviewed, allow "
            "it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        )
        return
    if i.kind == "set" and i.tree.get("name") in _NOT_SESSION_SETTINGS:
        yield Hit(
            f"SET {str(i.tree['name']).upper()} changes who runs the migration or switches off "
            "triggers and foreign keys; it is not a session setting on the safe list",
            "run the migration as the role that owns the objects; never bypass constraints",
        )
        return
    if _moves_new_sequences(ctx):
        return
    unknown = _runs_unknown_functions(ctx)
    if unknown:
        made, _ = _functions_here(ctx)
        here = [f"{c}()" for c in unknown if c.rpartition(".")[2] in made]
        away = [f"{c}()" for c in unknown if c.rpartition(".")[2] not in made]
        if away:
            message = (
                f"calls {', '.join(away)} at migration time: a function that is not a "
                "built-in PostgreSQL marks IMMUTABLE or STABLE can change data, settings or "
                "locks, and its body is not in this file"
            )
            if here:
                message += f"; and {', '.join(here)}, which this file creates to do more than compute values"
        else:
            message = (
                f"calls {', '.join(here)} at migration time, which this file creates to do more "
                "than compute values (it writes, locks, or calls what the linter cannot see): "
                "its body runs now, under the migration's locks"
            )
        yield Hit(
            message,
            "run it by hand, reviewed; if it only computes values, allow it with "
            "`-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        )
        return
    if _dynamic_schema(i):
        yield Hit(
            "a schema named at run time (format's %I, quote_ident()): in production the "
            "statement must say which schema it changes (a loop over schemas reaches every "
            "one, the reconciler's own bookkeeping among them)",
            "write the schema's name in the string, or allow it with "
            "`-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        )
        return
    trigger = _fires_new_trigger(ctx)
    if trigger:
        yield Hit(
            f"this write fires trigger {trigger}, created earlier in this file: its function "
            "runs now, at migration time",
            "write the rows before creating the trigger (as pg_dump does), or allow it with "
            "`-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        )
        return
    outside = _runs_outside(i)
    if outside:
        yield Hit(
            f"{outside} runs code outside the database's sandbox (native code, an untrusted "
            "language, the server's files, other servers, or SQL run later by a scheduler)",
            "install it by hand as an operator decision, not from a schema migration; if it was "
            "reviewed, allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        )
        return
    unknown_extension = _unknown_extension(i)
    if unknown_extension:
        yield Hit(
            f"extension {unknown_extension} is not one the linter knows to stay inside the "
            "database's sandbox: what it installs (native code, a language, a background "
            "worker, an event trigger) is out of the linter's and the reviewer's sight",
            "check what it installs; if it was reviewed, allow it with "
            "`-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        )
        return
    if not i.parsed:
        return
    if i.node == "CreateTableAsStmt" and _writes_within(i):
        yield Hit(
            "the query that fills this new table changes rows of other tables (a "
            "data-modifying WITH): more than a new object",
            "make the change its own statement, or allow it with "
            "`-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        )
        return
    parents = [
        parent
        for _, r in nodes(i.tree.get("inhRelations"), "RangeVar")
        if (parent := relation(r)) and not ctx.is_new(parent)
    ]
    if i.node == "CreateStmt" and parents and not i.tree.get("partbound"):
        yield hit_at(
            i,
            (i.tree.get("inhRelations") or [{}])[0].get("RangeVar", {}).get("location"),
            Hit(
                f"a new table that INHERITS {', '.join(parents)}: its rows appear in every "
                f"query of {parents[0]} (without ONLY), past {parents[0]}'s unique "
                "constraints and triggers; more than a new object",
                "make it a table of its own (or a partition, if the parent is partitioned), "
                "or allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
            ),
        )
        return
    if i.kind in _ALWAYS:
        return
    table = relation(i.tree.get("relation")) if i.node == "CreateTrigStmt" else None
    function = dotted_name(i.tree.get("funcname")) if table else None
    if table and not ctx.is_new(table) and not ctx.made_earlier(function):
        yield hit_at(
            i,
            (i.tree.get("funcname") or [{}])[-1].get("String", {}).get("location")
            or (i.tree.get("relation") or {}).get("location"),
            Hit(
                f"a new trigger on {table}, a table in use, runs {function}(), which this file "
                "does not create: a body out of the linter's and the reviewer's sight runs on "
                "the application's writes from now on, and can change or refuse them",
                "create the function in the same file (its body is then checked and "
                "reviewed with the trigger), or allow it with "
                "`-- reconciler:ignore ban-unlisted-operation -- <reason>`",
            ),
        )
        return
    if i.kind == "select" and i.inside == "do" and not _writes_within(i):
        return  # a query a DO block reads to decide what to do (its writes are judged)
    if i.kind in _NEW_OBJECTS and not i.replace:
        return
    if i.kind == "create_index" and (i.concurrently or ctx.is_new(index_target(i))):
        return
    if (
        i.kind == "reindex"
        and i.concurrently
        and i.tree.get("kind") in ("REINDEX_OBJECT_INDEX", "REINDEX_OBJECT_TABLE")
    ):
        return  # rebuilt beside the old one, as CREATE INDEX CONCURRENTLY: no read or write waits
    commands = alter_commands(i)
    unlisted: list[Tree] | None = None  # (the ALTER's actions off the list, worked out once)
    if i.kind == "alter_table":
        if ctx.is_new(alter_target(i)):
            return
        unlisted = _unlisted_actions(ctx)
        if commands and not unlisted:
            return
    if (
        i.kind in ("alter_index", "alter_materialized_view")
        and commands
        and all(map(_tuning, commands))
    ):
        return  # an index's or view's statistics target or tuning parameters
    con = i.tree.get("def") if i.node == "AlterDomainStmt" else None
    con = (con or {}).get("Constraint") or {}
    if i.node == "AlterDomainStmt" and i.tree.get("subtype") == "C" and con.get("skip_validation"):
        return  # a domain CHECK added NOT VALID: checks new values only, scans nothing
    if i.node in ("CreatePolicyStmt", "AlterPolicyStmt") and ctx.is_new(
        relation(i.tree.get("table"))
    ):
        return  # who may see the rows of a table this file creates (nobody has yet)
    if _on_new_objects(ctx):
        return
    if i.kind == "refresh_materialized_view" and made_here(
        ctx, "OBJECT_MATVIEW", relation(i.tree.get("relation"))
    ):
        return  # fills a view this file made (pg_dump makes them WITH NO DATA, then refreshes)
    if i.kind == "drop" and drops_only_new(ctx):
        return  # a staging table, index or view this file made, gone again
    if truncates_only_new(ctx):
        return  # empties only tables this file made (a staging table refilled)
    if i.kind == "copy" and i.tree.get("is_from") and ctx.is_new(relation(i.tree.get("relation"))):
        return  # rows for a table this file creates (pg_dump's seed data)
    if (
        i.kind in ("insert", "update", "delete")
        and ctx.is_new(relation(i.tree.get("relation")))
        and not _writes_within(i)
    ):
        return  # seed rows of a table this file creates, as with COPY: nobody uses it yet
    conflict = i.tree.get("onConflictClause") or {}
    if (
        i.kind == "insert"
        and conflict.get("action") == "ONCONFLICT_NOTHING"
        and not _writes_within(i)
    ):
        return  # (not with a WITH that changes other rows on the way)
    if _constants_only(i):
        return  # SELECT 1: a no-op (a placeholder migration, a tool's "nothing to do")
    off = [name for c in commands for name in _autovacuum_off(c)]
    if off:
        yield Hit(
            f"{' and '.join(off)} = false: autovacuum then never vacuums nor analyzes the "
            "table but to prevent wraparound, so dead rows pile up and its statistics go stale",
            "tune autovacuum instead (autovacuum_vacuum_scale_factor, autovacuum_vacuum_cost_"
            "limit, ...), or, reviewed, allow it with "
            "`-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        )
        return
    dropped = [
        str(c.get("name"))
        for c in commands
        if c.get("subtype") == "AT_ColumnDefault" and c.get("def") is None
    ]
    if dropped and len(dropped) == len(commands):  # (ALTER ... DROP DEFAULT alone: say why)
        yield command_at(
            i,
            commands[0],
            Hit(
                f"DROP DEFAULT of column {', '.join(dropped)}: an INSERT that does not give it "
                "(from code deployed before this change, during a rolling deploy) then stores "
                "NULL, or fails where the column is NOT NULL",
                "keep the default until no running code inserts without the column, then drop "
                "it in a later reviewed change, or allow it with "
                "`-- reconciler:ignore ban-unlisted-operation -- <reason>`",
            ),
        )
        return
    label = spelled(i.kind)
    if unlisted is None:
        unlisted = _unlisted_actions(ctx) if commands else []
    if unlisted:  # (named, and placed at the first of them: not the ALTER's first line)
        named = dict.fromkeys(
            _action(c) + (f" ({why})" if (why := _WHY.get(str(c.get("subtype")))) else "")
            for c in unlisted
        )
        actions = ", ".join(named)
        yield command_at(
            i,
            unlisted[0],
            Hit(
                f"{label} {relation(i.tree.get('relation'))}: {actions} "
                f"{'are' if len(named) > 1 else 'is'} not on the list of safe operations "
                "for strict environments",
                _ADVICE.get(
                    i.kind,
                    "if it is safe, allow it with "
                    "`-- reconciler:ignore ban-unlisted-operation -- <reason>`",
                ),
            ),
        )
        return
    yield Hit(
        f"{label} is not on the list of safe operations for strict environments",
        _ADVICE.get(
            i.kind,
            "if it is safe, allow it with `-- reconciler:ignore ban-unlisted-operation -- <reason>`",
        ),
    )


RULE = Rule(
    "ban-unlisted-operation",
    "error",
    None,
    "strict environments allow only listed safe operations",
    check,
)
