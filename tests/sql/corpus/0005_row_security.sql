ALTER TABLE invoices ADD COLUMN owner_id bigint;
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY invoices_owner ON invoices
    FOR SELECT TO PUBLIC USING (owner_id = current_setting('app.user_id')::bigint);
CREATE POLICY invoices_insert ON invoices AS RESTRICTIVE FOR INSERT
    WITH CHECK (owner_id IS NOT NULL);
ALTER POLICY invoices_owner ON invoices USING (owner_id = current_setting('app.user_id', true)::bigint);
DROP POLICY IF EXISTS invoices_insert ON invoices;
