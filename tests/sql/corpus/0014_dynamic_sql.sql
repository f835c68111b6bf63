-- Description: changes to a set of tables through dynamic SQL, as histories write them
-- (each name and value quoted by format's %I and %L or by quote_ident/quote_literal)
CREATE TABLE events_2026_01 (id bigint PRIMARY KEY, at timestamptz NOT NULL);
CREATE TABLE events_2026_02 (id bigint PRIMARY KEY, at timestamptz NOT NULL);

DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT tablename FROM pg_tables
    WHERE schemaname = 'public' AND tablename LIKE 'events\_2026\_%'
  LOOP
    EXECUTE format('ALTER TABLE public.%I ADD COLUMN IF NOT EXISTS source text', r.tablename);
    EXECUTE format('COMMENT ON TABLE public.%1$I IS %2$L', r.tablename, 'events of ' || r.tablename);
    EXECUTE format('GRANT SELECT ON public.%I TO %I', r.tablename, current_user);
  END LOOP;
END $$;

DO $$
DECLARE
  month text := '2026_03';
BEGIN
  EXECUTE 'CREATE TABLE IF NOT EXISTS ' || quote_ident('events_' || month)
    || ' (LIKE events_2026_01 INCLUDING ALL)';
  EXECUTE 'COMMENT ON COLUMN ' || quote_ident('events_' || month) || '.at IS '
    || quote_literal('when it happened');
END $$;
