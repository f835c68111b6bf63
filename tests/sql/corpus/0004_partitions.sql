CREATE TABLE measurements (
    device_id bigint NOT NULL,
    taken_at  timestamptz NOT NULL,
    value     double precision
) PARTITION BY RANGE (taken_at);
CREATE TABLE measurements_2026 PARTITION OF measurements
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE measurements_default PARTITION OF measurements DEFAULT;
CREATE INDEX measurements_device_idx ON ONLY measurements (device_id, taken_at);
CREATE TABLE measurements_2027 (LIKE measurements INCLUDING DEFAULTS);
ALTER TABLE measurements ATTACH PARTITION measurements_2027
    FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
ALTER TABLE measurements DETACH PARTITION measurements_default;
