CREATE VIEW active_accounts AS
    SELECT id, email FROM accounts WHERE state = 'active';
CREATE OR REPLACE VIEW active_accounts AS
    SELECT id, email, created_at FROM accounts WHERE state = 'active';
CREATE MATERIALIZED VIEW invoice_totals AS
    SELECT owner_id, sum(amount) AS total FROM invoices GROUP BY owner_id WITH NO DATA;
CREATE UNIQUE INDEX invoice_totals_owner ON invoice_totals (owner_id);
REFRESH MATERIALIZED VIEW invoice_totals;
CREATE RULE active_accounts_delete AS ON DELETE TO active_accounts DO INSTEAD NOTHING;
ALTER VIEW active_accounts RENAME COLUMN email TO email_address;
CREATE RULE invoices_log AS ON INSERT TO invoices DO ALSO (
    INSERT INTO account_events (account_id, change) VALUES (NEW.owner_id, '{}');
    NOTIFY invoices_changed
);
