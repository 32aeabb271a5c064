-- Timestamps are UTC, written by the application (not SQL defaults) so both backends agree.
CREATE TABLE merchants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) BETWEEN 1 AND 200),
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id INTEGER REFERENCES merchants (id) ON DELETE RESTRICT,
    -- stored lower-cased, so the unique index is case-insensitive
    email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'viewer', 'support')),
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at TEXT NOT NULL,
    last_login_at TEXT,
    -- platform support staff belong to no merchant; everyone else belongs to exactly one
    CHECK ((role = 'support') = (merchant_id IS NULL))
);
CREATE INDEX users_merchant_id ON users (merchant_id);

CREATE TABLE sessions (
    -- SHA-256 of the opaque cookie value: a copy of this table holds no usable session
    id_hash BLOB PRIMARY KEY,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    absolute_expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE access_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id INTEGER NOT NULL REFERENCES merchants (id) ON DELETE RESTRICT,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- what the table shows ("kwik_ak_3F9q" ... "x7Lm"); never enough to use the key
    key_prefix TEXT NOT NULL,
    key_suffix TEXT NOT NULL,
    -- SHA-256 of API_KEY and API_SECRET: the only form in which they are kept
    key_hash BLOB NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
    public_key TEXT NOT NULL UNIQUE,
    permission TEXT NOT NULL CHECK (permission IN ('read_only', 'read_write')),
    status TEXT NOT NULL CHECK (status IN ('live', 'disabled')),
    -- comma-separated section slugs, in the help page's order
    sections TEXT NOT NULL CHECK (sections <> ''),
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX access_tokens_merchant_created ON access_tokens (merchant_id, created_at DESC, id DESC);
CREATE INDEX access_tokens_key_prefix ON access_tokens (key_prefix);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- "email:<address>" or "ip:<address>"
    scope_key TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX login_failures_scope_created ON login_failures (scope_key, created_at);

CREATE TABLE login_lockouts (
    scope_key TEXT PRIMARY KEY,
    locked_until TEXT NOT NULL
);
