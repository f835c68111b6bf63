-- Description: Configuration entries managed by neon-reconciler (forum, wallet, xp, general)
-- Created: 2026-11-26T00:00:00Z
-- Type: SAFE (No destructive operations)
-- Rollback: Manual rollback instructions below

-- Migration starts here
CREATE TABLE app_config (
    category    text        NOT NULL,
    key         text        NOT NULL,
    value       jsonb       NOT NULL,
    description text        NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL DEFAULT current_user,
    PRIMARY KEY (category, key)
);
COMMENT ON TABLE app_config IS 'Owned by neon-reconciler: edit manifests/config/*.yaml, not this table';

-- Rollback instructions:
-- 1. DROP TABLE IF EXISTS app_config;
