-- Mirrors migrations/sqlite/2026-12-07-000014_outbox_and_password_resets.
-- Mail to send, written in the same transaction as the change that causes it, and delivered by a
-- background worker on any instance. A row is claimed for a while (claimed_until) by one instance
-- (FOR UPDATE SKIP LOCKED), sent, then marked sent or given a later attempt; rows are kept 30 days.
-- params holds what the mail says (never a secret); the one secret a mail may carry, a password
-- reset's token, is sealed under the master key (sealed_secret, secret_key_id) and erased once sent.
CREATE TABLE outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    params TEXT NOT NULL,
    sealed_secret BYTEA,
    secret_key_id TEXT,
    -- Mail that must go once however many instances notice its cause (an expiry warning).
    dedupe_key TEXT UNIQUE,
    -- pending, sent or failed (given up after its last attempt)
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_created ON outbox (created_at);

-- A password reset asked for by email: the link's random token is kept only as its SHA-256. It works
-- once, for 30 minutes, and only while the password is still the one it was asked for under
-- (password_fingerprint: SHA-256 of the stored password hash then).
CREATE TABLE password_resets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    password_fingerprint BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    requested_ip TEXT
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
