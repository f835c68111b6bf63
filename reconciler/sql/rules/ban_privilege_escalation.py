"""ban-privilege-escalation: a migration does not hand out rights beyond the schema it changes.

A migration runs as a powerful role (the database owner, on Neon a member of
``neon_superuser``), so whatever rights it grants are granted for real and outlive the change
that needed them. Reported: role attributes that bypass the permission system (SUPERUSER,
CREATEROLE, BYPASSRLS, REPLICATION), membership in roles that read or write everything or reach
the server (``pg_read_all_data``, ``pg_execute_server_program``, the platform's superuser
roles), role grants WITH ADMIN OPTION or to PUBLIC, EXECUTE on the superuser-only built-ins
that reach the server's files (``pg_read_file``, ``lo_export``, ...), privileges on data or CREATE granted to PUBLIC (every
role, present and future), the same in default privileges, row-level security switched off
on a table that had it, a SECURITY DEFINER routine left callable by PUBLIC, and a view made
without security_invoker granted to a role (it reads with its owner's rights).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    definer_clause,
    hit_at,
    nodes,
    relation,
)

# roles whose membership is, or nearly is, the whole database or the server
POWERFUL_ROLES = frozenset(
    {
        "postgres",
        "neon_superuser",
        "cloud_admin",
        "pg_read_all_data",
        "pg_write_all_data",
        "pg_execute_server_program",
        "pg_read_server_files",
        "pg_write_server_files",
        "pg_signal_backend",
        "pg_create_subscription",
        "pg_checkpoint",
        "pg_maintain",
        "rds_superuser",
        "rds_replication",
        "cloudsqlsuperuser",
        "azure_pg_admin",
        "alloydbsuperuser",
        "supabase_admin",
    }
)

# built-in functions PUBLIC may not execute (their ACL on PostgreSQL 16 grants the bootstrap
# superuser only; adminpack's and dblink's unchecked connect are revoked by their extensions):
# each reads or writes the server's files or controls the server
SERVER_FUNCTIONS = frozenset(
    {
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "pg_ls_logdir",
        "pg_ls_waldir",
        "pg_ls_tmpdir",
        "pg_ls_archive_statusdir",
        "lo_import",
        "lo_export",
        "pg_file_write",
        "pg_file_rename",
        "pg_file_unlink",
        "pg_file_sync",
        "pg_logdir_ls",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_promote",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_backup_start",
        "pg_backup_stop",
        "pg_replication_origin_create",
        "dblink_connect_u",
    }
)

_ATTRIBUTES = {  # DefElem name -> what the attribute lets a role do
    "superuser": ("SUPERUSER", "bypasses every permission check"),
    "createrole": ("CREATEROLE", "can create roles and grant itself other roles"),
    "bypassrls": ("BYPASSRLS", "reads and writes past every row-level security policy"),
    "isreplication": ("REPLICATION", "can stream every row of every table out of the server"),
}

# what PUBLIC (every role, present and future) may be given: what PostgreSQL itself gives it
_PUBLIC_OK = {
    "OBJECT_FUNCTION": {"execute"},
    "OBJECT_PROCEDURE": {"execute"},
    "OBJECT_ROUTINE": {"execute"},
    "OBJECT_SCHEMA": {"usage"},
    "OBJECT_TYPE": {"usage"},
    "OBJECT_DOMAIN": {"usage"},
    "OBJECT_LANGUAGE": {"usage"},
    "OBJECT_DATABASE": {"connect", "temporary", "temp"},
}

_ALL_IS_ONE = {
    "OBJECT_FUNCTION",
    "OBJECT_PROCEDURE",
    "OBJECT_ROUTINE",
    "OBJECT_TYPE",
    "OBJECT_DOMAIN",
    "OBJECT_LANGUAGE",
}

_OBJECTS = {
    "OBJECT_TABLE": "table",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_SCHEMA": "schema",
    "OBJECT_DATABASE": "database",
    "OBJECT_FOREIGN_SERVER": "foreign server",
    "OBJECT_FDW": "foreign-data wrapper",
    "OBJECT_LARGEOBJECT": "large object",
    "OBJECT_TABLESPACE": "tablespace",
    "OBJECT_PARAMETER_ACL": "server parameter",
}


def _true(option: dict[str, Any]) -> bool:
    arg = option.get("arg")
    if arg is None:
        return True
    if "Boolean" in arg:
        return bool(arg["Boolean"].get("boolval"))
    if "Integer" in arg:
        return bool(arg["Integer"].get("ival"))
    if "String" in arg:
        return str(arg["String"].get("sval", "")).lower() in ("true", "on", "yes", "1")
    return True


def _role_names(items: object) -> list[str]:
    out = []
    for item in items or ():  # type: ignore[attr-defined]
        if not isinstance(item, dict):
            continue
        spec = item.get("RoleSpec") or item.get("AccessPriv") or {}
        name = spec.get("rolename") or spec.get("priv_name")
        if name:
            out.append(str(name))
    return out


def _public(grantees: object) -> dict[str, Any] | None:
    for g in grantees or ():  # type: ignore[attr-defined]
        spec = g.get("RoleSpec") if isinstance(g, dict) else None
        if spec and spec.get("roletype") == "ROLESPEC_PUBLIC":
            return dict(spec)
    return None


def _privileges(tree: dict[str, Any]) -> list[str]:
    """The privileges granted, lower case; ``all`` for ALL [PRIVILEGES]."""
    privs = [
        str(p["AccessPriv"].get("priv_name") or "all").lower()
        for p in tree.get("privileges") or ()
        if isinstance(p, dict) and "AccessPriv" in p
    ]
    return privs or ["all"]


def _object_names(tree: dict[str, Any]) -> list[str]:
    out = []
    for o in tree.get("objects") or ():
        if not isinstance(o, dict):
            continue
        name = relation(o.get("RangeVar")) or (o.get("String") or {}).get("sval")
        if name:
            out.append(str(name))
    return out


def _role_attributes(ctx: StatementContext, options: object, role: str) -> Iterator[Hit]:
    i = ctx.info
    for _, o in nodes(options, "DefElem"):
        name = o.get("defname")
        if name in _ATTRIBUTES and _true(o):
            word, does = _ATTRIBUTES[str(name)]
            yield hit_at(
                i,
                o.get("location"),
                Hit(
                    f"role {role} is given {word}: it {does}",
                    "give roles attributes by hand, reviewed by whoever owns the database's "
                    "access, not in a schema migration; grant the privileges the role needs on "
                    "the objects it uses instead",
                ),
            )
        elif name == "addroleto":  # CREATE ROLE ... IN ROLE powerful
            yield from _memberships(
                ctx, _role_names((o.get("arg") or {}).get("List", {}).get("items")), role
            )


def _memberships(ctx: StatementContext, granted: list[str], grantee: str) -> Iterator[Hit]:
    for role in granted:
        if role.lower() in POWERFUL_ROLES:
            yield Hit(
                f"{grantee} is made a member of {role}, which reads or writes everything or "
                "reaches the server",
                "grant the privileges the role needs on the objects it uses, not membership "
                "in a role that holds all of them",
            )


def _public_grant(
    ctx: StatementContext, tree: dict[str, Any], objtype: str, default: bool
) -> Iterator[Hit]:
    spec = _public(tree.get("grantees"))
    if spec is None:
        return
    allowed = set(_PUBLIC_OK.get(objtype, set()))
    if objtype in _ALL_IS_ONE:  # ALL on a routine, type or language is EXECUTE or USAGE
        allowed.add("all")
    given = [p for p in _privileges(tree) if p not in allowed]
    if not given:
        return
    what = _OBJECTS.get(objtype, objtype.removeprefix("OBJECT_").lower().replace("_", " "))
    names = _object_names(tree)
    if default:
        what = f"every {what} made later"
    elif tree.get("targtype") == "ACL_TARGET_ALL_IN_SCHEMA":
        what = f"every {what} in schema {', '.join(names)}"
    elif len(names) == 1:
        what = f"{what} {names[0]}"
    else:
        what = f"{what}s {', '.join(names)}" if names else f"{what}"
    privs = ", ".join(p.upper() for p in given)
    where = "by default privileges" if default else ""
    yield hit_at(
        ctx.info,
        spec.get("location"),
        Hit(
            f"{privs} on {what} granted to PUBLIC {where}".rstrip()
            + ": every role there is or will be gets it, the application's "
            "least-privileged and anonymous roles included",
            "grant to the roles that need it (a group role the application's roles are "
            "members of), never to PUBLIC",
        ),
    )


_ROUTINES = ("OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_ROUTINE")


def _revokes_execute_from_public(tree: dict[str, Any]) -> bool:
    return (
        not tree.get("is_grant")
        and tree.get("objtype") in _ROUTINES
        and _public(tree.get("grantees")) is not None
        and bool({"execute", "all"} & set(_privileges(tree)))
    )


def _revoked(ctx: StatementContext, name: list[str]) -> bool:
    """Whether the file takes EXECUTE on routine ``name`` (schema first) away from PUBLIC: by
    name, on every routine of its schema, or (before it is made) by global default privileges."""
    schema, bare = (name[-2] if len(name) > 1 else "public"), name[-1]
    before = True
    for info in ctx.file.infos:
        if info is ctx.info:
            before = False
        t = info.tree
        if info.node == "GrantStmt" and _revokes_execute_from_public(t):
            if t.get("targtype") == "ACL_TARGET_ALL_IN_SCHEMA":
                if schema in _object_names(t):
                    return True
                continue
            for _, o in nodes(t.get("objects"), "ObjectWithArgs"):
                parts = [s.get("sval") for _, s in nodes(o.get("objname"), "String")]
                if parts and parts[-1] == bare and (len(parts) == 1 or parts[-2] == schema):
                    return True
        elif info.node == "AlterDefaultPrivilegesStmt" and before:
            schemas = [
                d for _, d in nodes(t.get("options"), "DefElem") if d.get("defname") == "schemas"
            ]
            if not schemas and _revokes_execute_from_public(t.get("action") or {}):
                return True  # (per schema, defaults only add to the global ones)
    return False


def _definer_for_public(ctx: StatementContext) -> Iterator[Hit]:
    """A SECURITY DEFINER routine runs with its owner's rights for whoever may EXECUTE it, and
    PostgreSQL lets PUBLIC execute every new routine."""
    i, t = ctx.info, ctx.info.tree
    found = definer_clause(i)
    if found is None:
        return
    if i.node == "CreateFunctionStmt":
        name_node = t.get("funcname")
        returns = [s.get("sval") for _, s in nodes(t.get("returnType"), "String")]
        if returns[-1:] in (["trigger"], ["event_trigger"]):
            return  # called only as a trigger, never by a role
    else:
        name_node = (t.get("func") or {}).get("objname")
    name = [str(s.get("sval")) for _, s in nodes(name_node, "String")]
    if not name or _revoked(ctx, name):
        return
    routine = ".".join(name)
    yield hit_at(
        i,
        found[0].get("location"),
        Hit(
            f"SECURITY DEFINER {routine} may be executed by PUBLIC (PostgreSQL grants EXECUTE "
            "on every new routine to PUBLIC): every role, the application's anonymous one "
            "included, runs its body with the rights of its owner, this migration's role",
            f"REVOKE EXECUTE ON FUNCTION {routine} FROM PUBLIC in this file, then GRANT "
            "EXECUTE to the roles that need it; roles named by default privileges still get it",
        ),
    )


def _definer_views(ctx: StatementContext, tree: dict[str, Any]) -> Iterator[Hit]:
    """A view reads its tables with its owner's rights (their grants and row-level security
    judged for the owner) unless made WITH (security_invoker): granting one this file made
    hands its tables' rows to the grantee."""
    if tree.get("objtype") != "OBJECT_TABLE" or tree.get("targtype") != "ACL_TARGET_OBJECT":
        return
    privileges = [
        p.upper() for p in _privileges(tree) if p in ("select", "insert", "update", "delete", "all")
    ]
    if not privileges:
        return
    granted = [
        relation(o.get("RangeVar")) for o in tree.get("objects") or () if isinstance(o, dict)
    ]
    grantees = ", ".join(_role_names(tree.get("grantees"))) or "PUBLIC"
    views = {id(v): v for g in granted for v in ctx.earlier_on("ViewStmt", "view", g)}
    for info in sorted(views.values(), key=ctx.file.place):
        view = relation(info.tree.get("view"))
        invoker = [
            d
            for _, d in nodes(info.tree.get("options"), "DefElem")
            if d.get("defname") == "security_invoker"
        ]
        reads = sorted(
            {r for _, v in nodes(info.tree.get("query"), "RangeVar") if (r := relation(v))}
        )
        if (invoker and _true(invoker[-1])) or not reads:
            continue
        yield Hit(
            f"view {view} reads {', '.join(reads)} with its owner's rights: "
            f"{', '.join(privileges)} on it gives {grantees} those rows past their own grants "
            "and row-level security",
            "make the view WITH (security_invoker = true) (PostgreSQL 15 and later), so each "
            "reader's own rights and policies apply, or grant it only to roles that may read "
            "every row of what it reads",
        )


def _server_functions(tree: dict[str, Any]) -> Iterator[Hit]:
    """EXECUTE on a built-in that reads the server's files or controls the server, or on every
    function of pg_catalog."""
    if tree.get("objtype") not in ("OBJECT_FUNCTION", "OBJECT_ROUTINE", "OBJECT_PROCEDURE"):
        return
    if not {"execute", "all"} & set(_privileges(tree)):
        return
    grantees = ", ".join(_role_names(tree.get("grantees"))) or "PUBLIC"
    if tree.get("targtype") == "ACL_TARGET_ALL_IN_SCHEMA":
        schemas = [str((o.get("String") or {}).get("sval", "")).lower() for o in tree["objects"]]
        if "pg_catalog" in schemas:
            yield Hit(
                f"{grantees} may execute every function of pg_catalog, those that read the "
                "server's files and control the server among them",
                "grant EXECUTE on the functions the role needs, by name",
            )
        return
    for obj in tree.get("objects") or []:
        parts = [
            str(s.get("sval", "")).lower()
            for _, s in nodes((obj.get("ObjectWithArgs") or {}).get("objname"), "String")
        ]
        if parts and parts[-1] in SERVER_FUNCTIONS and parts[:-1] in ([], ["pg_catalog"]):
            yield Hit(
                f"{grantees} may execute {parts[-1]}(), which only superusers may run: it "
                "reads or writes the server's files, or controls the server",
                "give the role what it needs through a reviewed SECURITY DEFINER function "
                "that checks its arguments, or do the work outside the migration",
            )


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    t = i.tree
    if i.node in ("CreateFunctionStmt", "AlterFunctionStmt"):
        yield from _definer_for_public(ctx)
    elif i.node == "AlterOwnerStmt" and t.get("objectType") in _ROUTINES:
        owner = str((t.get("newowner") or {}).get("rolename") or "")
        if owner.lower() in POWERFUL_ROLES:
            name = ".".join(str(s.get("sval")) for _, s in nodes(t.get("object"), "String"))
            yield hit_at(
                i,
                (t.get("newowner") or {}).get("location"),
                Hit(
                    f"routine {name} is given to {owner}: as a SECURITY DEFINER (now or "
                    f"later) it runs with {owner}'s rights for whoever may execute it",
                    "keep routines owned by the role that owns the schema; a definer routine "
                    "should own only the rights its body needs",
                ),
            )
    elif i.node == "CreateRoleStmt":
        yield from _role_attributes(ctx, t.get("options"), str(t.get("role")))
    elif i.node == "AlterRoleStmt":
        role = (t.get("role") or {}).get("rolename") or "the role"
        for _, o in nodes(t.get("options"), "DefElem"):
            if (
                o.get("defname") == "rolemembers" and t.get("action", 1) == 1
            ):  # ALTER GROUP ADD USER
                members = _role_names((o.get("arg") or {}).get("List", {}).get("items"))
                for member in members:
                    yield from _memberships(ctx, [role], member)
        yield from _role_attributes(ctx, t.get("options"), role)
    elif i.node == "GrantRoleStmt" and t.get("is_grant"):
        grantees = ", ".join(_role_names(t.get("grantee_roles"))) or "a role"
        yield from _memberships(ctx, _role_names(t.get("granted_roles")), grantees)
        if _public(t.get("grantee_roles")) is not None:
            roles = ", ".join(_role_names(t.get("granted_roles")))
            yield Hit(
                f"every role, present and future (PUBLIC), is made a member of {roles} and "
                "holds all it may do",
                "grant the role to the roles that need it, by name",
            )
        for _, o in nodes(t.get("opt"), "DefElem"):
            if o.get("defname") == "admin" and _true(o):
                yield hit_at(
                    i,
                    o.get("location"),
                    Hit(
                        f"{grantees} may grant the role on to any other role (WITH ADMIN "
                        "OPTION), and revoke it from its other members",
                        "grant the membership without ADMIN OPTION; who may hand out a role "
                        "is decided by whoever owns the database's access",
                    ),
                )
    elif i.node == "GrantStmt" and t.get("is_grant"):
        yield from _public_grant(ctx, t, str(t.get("objtype")), default=False)
        yield from _server_functions(t)
        yield from _definer_views(ctx, t)
    elif i.node == "AlterDefaultPrivilegesStmt":
        action = t.get("action") or {}
        if action.get("is_grant"):
            yield from _public_grant(ctx, action, str(action.get("objtype")), default=True)
    elif i.node == "AlterTableStmt":
        table = relation(t.get("relation"))
        if ctx.is_new(table):
            return  # a table this file made has no rows or users yet
        for cmd in alter_commands(i):
            off = {
                "AT_DisableRowSecurity": "DISABLE ROW LEVEL SECURITY",
                "AT_NoForceRowSecurity": "NO FORCE ROW LEVEL SECURITY",
            }.get(str(cmd.get("subtype")))
            if off:
                yield Hit(
                    f"{off} on {table}: its row-level security policies stop applying "
                    + (
                        "to every role with privileges on it; each sees and changes every row"
                        if off.startswith("DISABLE")
                        else "to the table's owner"
                    ),
                    "change the policies (CREATE or ALTER POLICY) to allow what is needed; "
                    "keep row-level security on",
                )


RULE = Rule(
    "ban-privilege-escalation",
    "error",
    "warning",
    "no superuser attributes, powerful memberships, PUBLIC grants, definer routines PUBLIC may run, views granted past RLS or RLS switched off",
    check,
    kinds=frozenset(
        (
            "create_role",
            "alter_role",
            "grant",
            "alter_default_privileges",
            "alter_table",
            "create_function",
            "alter_function",
            "alter_procedure",
            "alter_routine",
        )
    ),
)
