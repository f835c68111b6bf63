"""The live schema as catalog facts, its snapshot after every apply, and the drift between them.

One object per key (``column:public.users.nickname``, ``index:public.idx_posts_author``, ...)
with the facts that matter to an application (type, default, nullability, identity,
generation; index definition and validity; constraint definition and validation; trigger
definition and whether it fires; function signature and body hash; sequence options; view
definition hash; extension version; row-level security policies; enum labels). Never OIDs,
owners or grants, so a pg_dump restore or a Neon branch restore reads the same.

Managed schemas are every schema but the system ones and ``reconciler``; objects that belong
to an extension are the extension's, not ours. The comparison with the stored snapshot runs in
the server, so the live-state read stays one SELECT however many objects there are, and only
the differences travel.

Rendering the facts costs a new server process about 75 ms per 1,000 tables, so the snapshot
also keeps a *stamp* of the catalogs: the number of rows of every catalog the facts are
rendered from and a sum of hashes of the transactions that wrote them (``xmin``). DDL writes
catalog rows; every write is a new row version stamped with the writer's transaction; a
transaction whose rows a stamp saw had committed, so it can write no row later. A row added
or removed therefore changes the sum (but for a 64-bit hash collision), and while the stamp is
unchanged no fact can have changed: the comparison is skipped (about 15 ms instead of 75 per
1,000 tables). A stamp that changed for another reason (a temporary table, a restore) only
means the facts are compared. A snapshot that keeps drift an apply did not adopt (``keep``)
is not the live catalog, so it gets no stamp and is always compared.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import psycopg

__all__ = [
    "CATALOG_SQL",
    "DRIFT_SQL",
    "STAMPED_DRIFT_SQL",
    "catalog",
    "has_snapshot",
    "take_snapshot",
]

_MANAGED = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'reconciler', 'pg_toast') "
    "AND n.nspname !~ '^pg_'"
)


def _not_extension(classid: str, oid: str) -> str:
    return (
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = "
        f"'{classid}'::regclass AND d.objid = {oid} AND d.deptype = 'e')"
    )


# (key text, facts jsonb) for every object of the managed schemas
CATALOG_SQL = f"""
SELECT 'table:' || n.nspname || '.' || c.relname,
       jsonb_build_object('kind', c.relkind, 'rls', c.relrowsecurity, 'partition', c.relispartition)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'f') AND {_MANAGED} AND {_not_extension("pg_class", "c.oid")}
UNION ALL
SELECT 'column:' || n.nspname || '.' || c.relname || '.' || a.attname,
       jsonb_build_object('type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                          'nullable', NOT a.attnotnull,
                          'default', pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),
                          'identity', a.attidentity, 'generated', a.attgenerated)
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f')
   AND {_MANAGED} AND {_not_extension("pg_class", "c.oid")}
UNION ALL
SELECT 'index:' || n.nspname || '.' || ic.relname,
       jsonb_build_object('definition', pg_catalog.pg_get_indexdef(i.indexrelid),
                          'valid', i.indisvalid)
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
 WHERE {_MANAGED} AND {_not_extension("pg_class", "i.indrelid")}
UNION ALL
SELECT 'constraint:' || n.nspname || '.' || coalesce(c.relname, t.typname) || '.' || k.conname,
       jsonb_build_object('definition', pg_catalog.pg_get_constraintdef(k.oid),
                          'validated', k.convalidated)
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_namespace n ON n.oid = k.connamespace
  LEFT JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
  LEFT JOIN pg_catalog.pg_type t ON t.oid = k.contypid
 WHERE {_MANAGED} AND (c.oid IS NOT NULL OR t.oid IS NOT NULL)
   AND (c.oid IS NULL OR {_not_extension("pg_class", "c.oid")})
   AND (t.oid IS NULL OR {_not_extension("pg_type", "t.oid")})
UNION ALL
SELECT 'trigger:' || n.nspname || '.' || c.relname || '.' || tg.tgname,
       jsonb_build_object('definition', pg_catalog.pg_get_triggerdef(tg.oid),
                          'enabled', tg.tgenabled)
  FROM pg_catalog.pg_trigger tg
  JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT tg.tgisinternal AND {_MANAGED} AND {_not_extension("pg_class", "c.oid")}
UNION ALL
SELECT 'function:' || n.nspname || '.' || p.proname || '('
         || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
       jsonb_build_object('returns', pg_catalog.pg_get_function_result(p.oid),
                          'language', l.lanname, 'volatility', p.provolatile,
                          'security_definer', p.prosecdef, 'body', md5(coalesce(p.prosrc, '')))
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE {_MANAGED} AND {_not_extension("pg_proc", "p.oid")}
UNION ALL
SELECT 'sequence:' || n.nspname || '.' || c.relname,
       jsonb_build_object('type', pg_catalog.format_type(s.seqtypid, NULL),
                          'increment', s.seqincrement, 'min', s.seqmin, 'max', s.seqmax,
                          'cycle', s.seqcycle)
  FROM pg_catalog.pg_sequence s
  JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {_MANAGED} AND {_not_extension("pg_class", "c.oid")}
UNION ALL
SELECT 'view:' || n.nspname || '.' || c.relname,
       jsonb_build_object('kind', c.relkind, 'definition', md5(pg_catalog.pg_get_viewdef(c.oid)))
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('v', 'm') AND {_MANAGED} AND {_not_extension("pg_class", "c.oid")}
UNION ALL
SELECT 'extension:' || e.extname,
       jsonb_build_object('version', e.extversion, 'schema', n.nspname)
  FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname <> 'plpgsql'
UNION ALL
SELECT 'policy:' || n.nspname || '.' || c.relname || '.' || pol.polname,
       jsonb_build_object('command', pol.polcmd, 'permissive', pol.polpermissive,
                          'roles', (SELECT coalesce(jsonb_agg(CASE WHEN r = 0 THEN 'public'
                                      ELSE pg_catalog.pg_get_userbyid(r)::text END ORDER BY 1), '[]')
                                      FROM unnest(pol.polroles) r),
                          'using', pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
                          'check', pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid))
  FROM pg_catalog.pg_policy pol
  JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {_MANAGED}
UNION ALL
SELECT 'type:' || n.nspname || '.' || t.typname,
       jsonb_build_object('labels', (SELECT jsonb_agg(e.enumlabel ORDER BY e.enumsortorder)
                                       FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid))
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'e' AND {_MANAGED} AND {_not_extension("pg_type", "t.oid")}
"""

# Every catalog a fact is read from or rendered with (names in definitions and expressions,
# operator classes and collations in index definitions, the roles of a policy): a fact cannot
# change while none of their rows does. pg_index's state flags were once set in place (without
# a new row version), so they are part of its rows' stamp.
_STAMPED = (
    "pg_namespace",
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_index",
    "pg_constraint",
    "pg_trigger",
    "pg_proc",
    "pg_language",
    "pg_sequence",
    "pg_extension",
    "pg_policy",
    "pg_type",
    "pg_enum",
    "pg_depend",
    "pg_rewrite",
    "pg_operator",
    "pg_opclass",
    "pg_am",
    "pg_collation",
    "pg_ts_config",
    "pg_ts_dict",
)


def _stamp_of(table: str) -> str:
    extra = (
        " || indisvalid::text || indisready::text || indislive::text" if table == "pg_index" else ""
    )
    return (
        f"(SELECT count(*) || ':' || coalesce(sum(hashtextextended(xmin::text{extra}, 0)), 0) "
        f"FROM pg_catalog.{table})"
    )


# the stamp of the catalogs as this statement sees them (pg_authid is not readable by every
# login, so roles are stamped by their names through pg_roles)
STAMP_SQL = (
    "md5(concat_ws(',', "
    + ", ".join(_stamp_of(t) for t in _STAMPED)
    + ", (SELECT count(*) || ':' || coalesce(sum(hashtextextended(oid::text || ':' || rolname, 0)), 0) "
    "FROM pg_catalog.pg_roles)))"
)

_COMPARED = """(SELECT coalesce(json_agg(json_build_array(coalesce(cur.key, snap.key), snap.facts, cur.facts)
                             ORDER BY coalesce(cur.key, snap.key)), '[]')
      FROM reconciler.catalog_facts() AS cur (key, facts)
      FULL JOIN (SELECT key, value FROM jsonb_each(s.objects)) AS snap (key, facts)
        ON snap.key = cur.key
     WHERE cur.facts IS DISTINCT FROM snap.facts)"""

# one value for the live-state read: [version, [[key, snapshot facts, live facts]...]]
DRIFT_SQL = f"""
(SELECT json_build_array(s.version, {_COMPARED})
   FROM reconciler.schema_snapshot s WHERE s.environment = %s)
"""

# the same where the snapshot table has its stamp column: the facts are compared only when
# the catalogs' stamp is not the one taken with the snapshot
STAMPED_DRIFT_SQL = f"""
(SELECT json_build_array(
   s.version,
   CASE WHEN s.stamp IS NOT NULL AND s.stamp = {STAMP_SQL} THEN '[]'::json ELSE {_COMPARED} END)
   FROM reconciler.schema_snapshot s WHERE s.environment = %s)
"""


def catalog(conn: psycopg.Connection[Any]) -> dict[str, dict[str, Any]]:
    """Every object of the managed schemas with its facts, rendered with search_path set to
    pg_catalog alone (every name schema-qualified), as reconciler.catalog_facts() renders
    them: the same facts whoever reads them, here or on a shadow database without our schema."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SET LOCAL search_path = pg_catalog")
        cur.execute(
            f"SELECT coalesce(jsonb_object_agg(key, facts), '{{}}') FROM ({CATALOG_SQL}) AS o (key, facts)"
        )
        row = cur.fetchone()
    return dict(row[0]) if row and row[0] else {}


def _stamp(conn: psycopg.Connection[Any]) -> str | None:
    row = conn.execute(f"SELECT {STAMP_SQL}").fetchone()
    return str(row[0]) if row and row[0] else None


def has_snapshot(conn: psycopg.Connection[Any], environment: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM reconciler.schema_snapshot WHERE environment = %s)",
        (environment,),
    ).fetchone()
    return bool(row and row[0])


_LAST_VERSION = (
    "(SELECT version FROM reconciler.schema_migrations WHERE applied_at IS NOT NULL "
    # as numbers, part by part (9999 before 10000, 1.9 before 1.10 before 2)
    "ORDER BY CASE WHEN version OPERATOR(pg_catalog.~) '^[0-9]+(\\.[0-9]+)*$' "
    "THEN pg_catalog.string_to_array(version, '.')::pg_catalog.numeric[] END DESC NULLS LAST, "
    "version DESC LIMIT 1)"
)
_UPSERT = (
    "INSERT INTO reconciler.schema_snapshot (environment, version, objects, taken_by, stamp) "
    "SELECT %s, {version}, {objects}, %s, %s ON CONFLICT (environment) DO UPDATE SET "
    "version = EXCLUDED.version, objects = EXCLUDED.objects, taken_at = pg_catalog.now(), "
    "taken_by = EXCLUDED.taken_by, stamp = EXCLUDED.stamp"
)


def take_snapshot(
    conn: psycopg.Connection[Any],
    environment: str,
    actor: str,
    keep: Iterable[tuple[str, Any, Any]] = (),
) -> int:
    """Record the live schema as the environment's snapshot, in a transaction of its own, with
    the last migration applied; returns its object count.

    ``keep``: drift seen before an apply, (key, snapshot facts, live facts then). An object
    the apply did not touch (its facts are still those it had) keeps its old snapshot facts,
    so drift is never adopted by an apply that merely ran beside it. Without any, the facts
    are read and stored by one statement and never leave the server (600 kB of JSON each way
    for 1,000 tables, about 20 ms).
    """
    from reconciler.plan.compute import RECONCILER_ACTOR_PREFIX

    keep = list(keep)
    who = f"{RECONCILER_ACTOR_PREFIX}{actor}"
    with conn.transaction():
        before_stamp = _stamp(conn)
        if not keep:
            with conn.cursor() as cur:
                cur.execute("SET LOCAL search_path = pg_catalog")
                cur.execute(
                    _UPSERT.format(
                        version=_LAST_VERSION,
                        objects="(SELECT coalesce(pg_catalog.jsonb_object_agg(key, facts), "
                        f"'{{}}') FROM ({CATALOG_SQL}) AS o (key, facts))",
                    )
                    + " RETURNING (SELECT pg_catalog.count(*) FROM "
                    "pg_catalog.jsonb_object_keys(objects))",
                    (environment, who, before_stamp),
                )
                row = cur.fetchone()
            # a stamp only where it surely names these facts: none changed while they were read
            if before_stamp != _stamp(conn):
                conn.execute(
                    "UPDATE reconciler.schema_snapshot SET stamp = NULL WHERE environment = %s",
                    (environment,),
                )
            return int(row[0]) if row else 0
        objects = catalog(conn)
        # (and the snapshot keeps no drift: it is then not what the catalogs say)
        stamp = before_stamp if before_stamp == _stamp(conn) else None
        for key, before, drifted in keep:
            if objects.get(key) == drifted:
                stamp = None
                if before is None:
                    objects.pop(key, None)
                else:
                    objects[key] = before
        conn.execute(
            _UPSERT.format(version=_LAST_VERSION, objects="%s"),
            (environment, json.dumps(objects), who, stamp),
        )
    return len(objects)
