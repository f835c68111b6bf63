-- Routines over the application's own types (an enum, a composite, a domain, a type in
-- another schema): PostgreSQL's library reads PL/pgSQL without a catalog and takes such a
-- type for a record, refusing what the server accepts (procrastinate's job functions).
CREATE SCHEMA queue;
CREATE TYPE queue.job_status AS ENUM ('todo', 'doing', 'failed', 'succeeded');
CREATE TYPE queue.job_to_defer AS (queue_name text, task_name text, priority integer);
CREATE DOMAIN queue.positive AS integer CHECK (VALUE > 0);
CREATE TABLE queue.jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue_name text NOT NULL,
    task_name text NOT NULL,
    priority integer NOT NULL DEFAULT 0,
    status queue.job_status NOT NULL DEFAULT 'todo',
    abort_requested boolean NOT NULL DEFAULT false
);
CREATE FUNCTION queue.retry_job(p_job_id bigint, p_priority queue.positive)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    -- the enum and a boolean in one INTO
    _status queue.job_status;
    _abort_requested boolean;
BEGIN
    SELECT status, abort_requested FROM queue.jobs WHERE id = p_job_id FOR UPDATE
        INTO _status, _abort_requested;
    IF _status = 'doing' AND _abort_requested THEN
        UPDATE queue.jobs SET status = 'failed' WHERE id = p_job_id;
    ELSE
        UPDATE queue.jobs SET status = 'todo', priority = p_priority WHERE id = p_job_id;
    END IF;
END
$$;
CREATE FUNCTION queue.defer_jobs(jobs queue.job_to_defer[])
    RETURNS SETOF queue.jobs LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    INSERT INTO queue.jobs (queue_name, task_name, priority)
    SELECT (job).queue_name, (job).task_name, (job).priority FROM unnest(jobs) AS job
    RETURNING *;
END
$$;
CREATE FUNCTION queue.statuses() RETURNS queue.job_status[] LANGUAGE plpgsql STABLE AS $$
DECLARE
    found queue.job_status[];
    n integer;
BEGIN
    SELECT array_agg(DISTINCT status), count(*) FROM queue.jobs INTO found, n;
    RETURN found;
END
$$;
DO $$
DECLARE
    s queue.job_status;
    n bigint;
BEGIN
    SELECT 'todo'::queue.job_status, 0 INTO s, n;
    RAISE NOTICE '% %', s, n;
END
$$;
CREATE FUNCTION queue.bump(p_id bigint)
    RETURNS TABLE (id bigint, status queue.job_status) LANGUAGE plpgsql AS $$
DECLARE
    r queue.jobs%ROWTYPE;
    j queue.job_to_defer;
BEGIN
    SELECT * INTO r FROM queue.jobs WHERE queue.jobs.id = p_id;
    r.priority := r.priority + 1;  -- a row's field assigned
    j.queue_name := r.queue_name;  -- and a composite's
    UPDATE queue.jobs SET priority = r.priority WHERE queue.jobs.id = p_id;
    RETURN QUERY SELECT r.id, r.status;
END
$$;
