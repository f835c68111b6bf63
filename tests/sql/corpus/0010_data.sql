-- a DATA migration
INSERT INTO accounts (email) VALUES ('admin@example.com') ON CONFLICT DO NOTHING;
UPDATE accounts SET nickname = split_part(email, '@', 1) WHERE nickname IS NULL AND id < 1000;
WITH stale AS (SELECT id FROM accounts WHERE state = 'suspended' AND created_at < now() - interval '2 years')
UPDATE accounts a SET state = 'deleted' FROM stale WHERE a.id = stale.id;
DELETE FROM archive.account_events WHERE at < now() - interval '5 years';
COPY accounts (email) FROM '/dev/null';
ANALYZE accounts;
VACUUM (ANALYZE) invoices;
