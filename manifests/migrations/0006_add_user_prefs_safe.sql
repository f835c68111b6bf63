-- Description: User preferences column and an index on post authors (the original template)
-- Created: 2026-11-26T00:00:00Z
-- Type: SAFE (No destructive operations)
-- Rollback: Manual rollback instructions below

-- CREATE INDEX CONCURRENTLY cannot run in a transaction block, so this file runs
-- statement by statement (detected automatically; resumable after a failure).

-- Migration starts here
ALTER TABLE users ADD COLUMN prefs jsonb DEFAULT '{}';
CREATE INDEX CONCURRENTLY idx_posts_author ON posts (author_id);

-- Rollback instructions:
-- 1. DROP INDEX CONCURRENTLY IF EXISTS idx_posts_author;
-- 2. ALTER TABLE users DROP COLUMN IF EXISTS prefs;
