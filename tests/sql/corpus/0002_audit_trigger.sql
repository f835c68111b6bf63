CREATE TABLE account_events (
    id         bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    change     jsonb NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE OR REPLACE FUNCTION log_account_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, archive AS $$
BEGIN
    INSERT INTO account_events (account_id, change)
    VALUES (NEW.id, jsonb_build_object('old', to_jsonb(OLD), 'new', to_jsonb(NEW)));
    RETURN NEW;
END
$$;
CREATE TRIGGER accounts_log AFTER UPDATE ON accounts
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION log_account_change();
ALTER TABLE accounts DISABLE TRIGGER accounts_log;
ALTER TABLE accounts ENABLE TRIGGER accounts_log;
ALTER FUNCTION log_account_change() OWNER TO CURRENT_USER;
ALTER TRIGGER accounts_log ON accounts RENAME TO accounts_log_changes;
