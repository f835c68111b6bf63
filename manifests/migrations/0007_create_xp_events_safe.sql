-- Description: XP ledger and the built-in reasons for earning XP
-- Created: 2026-11-26T00:00:00Z
-- Type: SAFE (No destructive operations)
-- Rollback: Manual rollback instructions below

-- Migration starts here
CREATE TABLE xp_reasons (
    code        text PRIMARY KEY,
    description text NOT NULL
);
CREATE TABLE xp_events (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id),
    reason     text        NOT NULL REFERENCES xp_reasons (code),
    amount     integer     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO xp_reasons (code, description) VALUES
    ('post', 'Wrote a post'),
    ('thread', 'Started a thread'),
    ('daily_login', 'Logged in today')
ON CONFLICT DO NOTHING;

-- Rollback instructions:
-- 1. DROP TABLE IF EXISTS xp_events;
-- 2. DROP TABLE IF EXISTS xp_reasons;
