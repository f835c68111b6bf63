"""Cases for require-rls-policy: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

R = "require-rls-policy"

CASES = [
    F(R, "ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;"),
    F(R, "ALTER TABLE profiles FORCE ROW LEVEL SECURITY;"),
    # a policy on another table of that name is not this table's
    F(
        R,
        "ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY own ON app.profiles FOR SELECT USING (id = current_setting('app.uid')::bigint);",
    ),
    P(
        R,
        "ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY own ON public.profiles FOR SELECT USING (id = current_setting('app.uid')::bigint);",
    ),
    P(
        R,
        "CREATE POLICY own ON profiles USING (true);\nALTER TABLE profiles ENABLE ROW LEVEL SECURITY;",
    ),
    P(R, "CREATE TABLE secrets (id bigint);\nALTER TABLE secrets ENABLE ROW LEVEL SECURITY;"),
    P(R, "ALTER TABLE profiles DISABLE ROW LEVEL SECURITY;"),
    # a loop that switches it on for every table
    F(
        R,
        "DO $$ DECLARE r record; BEGIN\n"
        "FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP\n"
        "  EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.tablename);\n"
        "END LOOP; END $$;",
    ),
]
