-- Index maintenance that cannot run in a transaction: the file runs statement by statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_lower_idx ON accounts (lower(email));
REINDEX (VERBOSE) INDEX CONCURRENTLY accounts_email_lower_idx;
DROP INDEX CONCURRENTLY IF EXISTS accounts_email_lower_idx;
VACUUM (ANALYZE, SKIP_LOCKED) accounts;
