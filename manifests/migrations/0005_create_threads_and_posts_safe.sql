-- Description: Threads and posts inside forums
-- Created: 2026-11-26T00:00:00Z
-- Type: SAFE (No destructive operations)
-- Rollback: Manual rollback instructions below

-- Migration starts here
CREATE TABLE threads (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    forum_slug text        NOT NULL REFERENCES forum_structure (slug),
    author_id  bigint      NOT NULL REFERENCES users (id),
    title      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE posts (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id  bigint      NOT NULL REFERENCES threads (id),
    author_id  bigint      NOT NULL REFERENCES users (id),
    body       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX threads_forum_idx ON threads (forum_slug);
CREATE INDEX posts_thread_idx ON posts (thread_id);

-- Rollback instructions:
-- 1. DROP TABLE IF EXISTS posts;
-- 2. DROP TABLE IF EXISTS threads;
