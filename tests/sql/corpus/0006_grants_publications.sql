DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reporting') THEN
        CREATE ROLE reporting NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO reporting;
GRANT SELECT ON accounts, invoices TO reporting;
REVOKE INSERT, UPDATE, DELETE ON invoices FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reporting;
CREATE PUBLICATION analytics FOR TABLE accounts, invoices WITH (publish = 'insert, update');
ALTER PUBLICATION analytics ADD TABLE account_events;
