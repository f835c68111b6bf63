-- Description: DGT wallets, one per user
-- Created: 2026-11-26T00:00:00Z
-- Type: SAFE (No destructive operations)
-- Rollback: Manual rollback instructions below

-- Migration starts here
CREATE TABLE wallets (
    user_id     bigint        PRIMARY KEY REFERENCES users (id),
    balance_dgt numeric(20,8) NOT NULL DEFAULT 0 CHECK (balance_dgt >= 0),
    updated_at  timestamptz   NOT NULL DEFAULT now()
);

-- Rollback instructions:
-- 1. DROP TABLE IF EXISTS wallets;
