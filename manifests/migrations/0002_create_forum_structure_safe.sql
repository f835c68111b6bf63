-- Description: Forum tree (zones -> forums -> subforums) synced from manifests/forum-map.yaml
-- Created: 2026-11-26T00:00:00Z
-- Type: SAFE (No destructive operations)
-- Rollback: Manual rollback instructions below

-- Migration starts here
CREATE TABLE forum_structure (
    slug        text        PRIMARY KEY,
    parent_slug text        REFERENCES forum_structure (slug) DEFERRABLE INITIALLY DEFERRED,
    kind        text        NOT NULL CHECK (kind IN ('zone', 'forum', 'subforum')),
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    position    integer     NOT NULL DEFAULT 0,
    settings    jsonb       NOT NULL DEFAULT '{}',
    archived_at timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX forum_structure_parent_idx ON forum_structure (parent_slug);

-- Rollback instructions:
-- 1. DROP TABLE IF EXISTS forum_structure;
