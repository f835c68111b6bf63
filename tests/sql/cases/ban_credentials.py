"""Cases for ban-credentials: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # a setting named like a credential, as Supabase's and PostgREST's JWT secrets were kept
    F(
        "ban-credentials",
        "ALTER DATABASE postgres SET \"app.jwt_secret\" TO 'a-jwt-signing-key-of-32-characters';",
    ),
    F("ban-credentials", "ALTER ROLE authenticator SET pgrst.jwt_secret = 'Qm9vZ2llV29vZ2llMTIz';"),
    F("ban-credentials", "SELECT set_config('app.api_key', 'k3y-0f-the-service', false);"),
    # a settings table's row: the value beside a credential's name
    F(
        "ban-credentials",
        "INSERT INTO settings (key, value) VALUES ('smtp_password', 'Pa55w0rd!xyz')\n"
        "ON CONFLICT DO NOTHING;",
    ),
    F("ban-credentials", "UPDATE settings SET value = '3f8a9c2d7e1b4f6a' WHERE key = 'api_key';"),
    P("ban-credentials", "SET app.jwt_secret = '${JWT_SECRET}';"),
    # a template's placeholder is filled in when the file is run (Logto's tenant roles)
    P("ban-credentials", "CREATE ROLE logto_tenant PASSWORD '${password}' NOINHERIT;"),
    P("ban-credentials", "CREATE ROLE app LOGIN PASSWORD '{{ .Password }}';"),
    P(
        "ban-credentials",
        "SELECT dblink_connect('postgresql://app:${DB_PASSWORD}@db/app'); -- password=${PW}",
    ),
    F("ban-credentials", "CREATE ROLE app LOGIN PASSWORD '${prefix}-hunter2';"),
    F("ban-credentials", "SELECT dblink_connect('postgresql://app:${PW}x9@db/app');"),
    P("ban-credentials", "ALTER DATABASE postgres SET \"app.settings.jwt_exp\" TO '3600';"),
    P(
        "ban-credentials",
        "INSERT INTO settings (key, value) VALUES ('password_min_length', '12'), "
        "('smtp_password', '') ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-credentials",
        "INSERT INTO providers (name, secret_name) VALUES ('github', 'github_client_secret')\n"
        "ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-credentials",
        "INSERT INTO oauth_clients (name, redirect) VALUES "
        "('client_secret', 'https://example.com/callback') ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-credentials",
        "UPDATE settings SET value = 'true' WHERE key = 'password_reset_enabled';",
    ),
    F("ban-credentials", "CREATE ROLE app LOGIN PASSWORD 'hunter22';"),
    F(
        "ban-credentials",
        "-- connect with postgres://admin:s3cret@db.example.com/forum\nCREATE TABLE t (id bigint);",
    ),
    F("ban-credentials", "COMMENT ON TABLE t IS 'api_key=AKIAABCDEFGHIJKLMNOP';"),
    F("ban-credentials", "-- token: ghp_abcdefghijklmnopqrstuvwxyz0123456789\nSELECT 1;"),
    F("ban-credentials", "-- napi_abcdefghijklmnopqrstuvwxyz0123456789ab\nSELECT 1;"),
    F("ban-credentials", "/* password = 'correcthorse' */ CREATE TABLE t (id bigint);"),
    P("ban-credentials", "CREATE TABLE users (password_hash text NOT NULL);"),
    P(
        "ban-credentials",
        "-- the password column stores argon2 hashes\nCREATE TABLE t (id bigint);",
    ),
    P("ban-credentials", "CREATE ROLE app LOGIN;"),
    # a literal written into a credential column: a seeded account, a known key
    F(
        "ban-credentials",
        "INSERT INTO users (email, encrypted_password) VALUES\n"
        "  ('admin@example.com', '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy')\n"
        "  ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-credentials",
        "INSERT INTO oauth_clients (id, client_secret) VALUES (1, 'changeme') "
        "ON CONFLICT DO NOTHING;",
    ),
    F("ban-credentials", "UPDATE users SET password = 'hunter22'::text WHERE id = 1;"),
    F(
        "ban-credentials",
        "INSERT INTO integrations (name, api_key) SELECT 'mail', 'key-3f9a81c2d4e5' "
        "ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-credentials",
        "UPDATE bots SET access_token = 'a8f3k2m9q7w1e5r4t6y0u2' WHERE id = 1;",
    ),
    # hashed where it is written: the password is still in the file
    F(
        "ban-credentials",
        "INSERT INTO auth.users (email, encrypted_password) VALUES "
        "('admin@example.com', crypt('admin123', gen_salt('bf'))) ON CONFLICT DO NOTHING;",
    ),
    F("ban-credentials", "UPDATE users SET password_hash = md5('letmein1'::text) WHERE id = 1;"),
    P("ban-credentials", "UPDATE users SET password_hash = md5(random()::text) WHERE id = 1;"),
    P("ban-credentials", "UPDATE users SET token = gen_random_uuid()::text WHERE id = 1;"),
    # names, dates, placeholders, empties and short words are not credentials
    P(
        "ban-credentials",
        "INSERT INTO token_types (token, label) VALUES ('refresh', 'Refresh token') "
        "ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-credentials",
        "UPDATE users SET password_reset_sent_at = '2024-01-02', password = '' WHERE id = 1;",
    ),
    P(
        "ban-credentials",
        "INSERT INTO settings (key, value) VALUES ('smtp_password', '') ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-credentials",
        "INSERT INTO apps (id, secret) VALUES (1, '${APP_SECRET}') ON CONFLICT DO NOTHING;",
    ),
    P("ban-credentials", "UPDATE users SET password = NULL, token = 'short' WHERE id = 1;"),
    # a credential's name assigned a name or an expression in code is no credential written
    # in: in SQL and in a routine's body; in a comment or a string it is
    P("ban-credentials", "UPDATE accounts SET token = NEW.token WHERE id = 1;"),
    P(
        "ban-credentials",
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n"
        "  UPDATE locks SET token = OLD.token, secret = v_secret WHERE id = 1;\n"
        "  RETURN NEW;\nEND $fn$;",
    ),
    F("ban-credentials", "-- password=hunter2secret\nSELECT 1;"),
    F(
        "ban-credentials",
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$\nBEGIN\n"
        "  PERFORM dblink_connect('host=db password=abcdef123456');\nEND $fn$;",
    ),
    F("ban-credentials", "UPDATE t SET api_key = 12345678901 WHERE id = 2;"),
]
