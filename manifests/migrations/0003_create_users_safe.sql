-- Description: Forum members
-- Created: 2026-11-26T00:00:00Z
-- Type: SAFE (No destructive operations)
-- Rollback: Manual rollback instructions below

-- Migration starts here
CREATE TABLE users (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username   text        NOT NULL UNIQUE,
    email      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Rollback instructions:
-- 1. DROP TABLE IF EXISTS users;
