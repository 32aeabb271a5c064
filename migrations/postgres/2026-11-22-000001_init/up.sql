-- Mirrors migrations/sqlite/2026-11-22-000001_init with native types. Timestamps are UTC,
-- written by the application (not SQL defaults) so both backends agree.
CREATE TABLE merchants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) BETWEEN 1 AND 200),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merchant_id BIGINT REFERENCES merchants (id) ON DELETE RESTRICT,
    email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'viewer', 'support')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ,
    CHECK ((role = 'support') = (merchant_id IS NULL))
);
CREATE INDEX users_merchant_id ON users (merchant_id);

CREATE TABLE sessions (
    id_hash BYTEA PRIMARY KEY,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    absolute_expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE access_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE RESTRICT,
    name TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    key_prefix TEXT NOT NULL,
    key_suffix TEXT NOT NULL,
    key_hash BYTEA NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
    secret_hash BYTEA NOT NULL CHECK (octet_length(secret_hash) = 32),
    public_key TEXT NOT NULL UNIQUE,
    permission TEXT NOT NULL CHECK (permission IN ('read_only', 'read_write')),
    status TEXT NOT NULL CHECK (status IN ('live', 'disabled')),
    sections TEXT NOT NULL CHECK (sections <> ''),
    created_at TIMESTAMPTZ NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX access_tokens_merchant_created ON access_tokens (merchant_id, created_at DESC, id DESC);
CREATE INDEX access_tokens_key_prefix ON access_tokens (key_prefix);

CREATE TABLE login_failures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope_key TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_scope_created ON login_failures (scope_key, created_at);

CREATE TABLE login_lockouts (
    scope_key TEXT PRIMARY KEY,
    locked_until TIMESTAMPTZ NOT NULL
);
