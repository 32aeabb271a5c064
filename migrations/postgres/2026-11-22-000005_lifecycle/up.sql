-- Mirrors migrations/sqlite/2026-11-22-000005_lifecycle.
ALTER TABLE access_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE access_tokens ADD COLUMN ip_allowlist TEXT NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN previous_secret_hash BYTEA;
ALTER TABLE access_tokens ADD COLUMN previous_secret_sealed BYTEA;
ALTER TABLE access_tokens ADD COLUMN previous_secret_key_id TEXT;
ALTER TABLE access_tokens ADD COLUMN previous_key_hash BYTEA;
ALTER TABLE access_tokens ADD COLUMN previous_expires_at TIMESTAMPTZ;
ALTER TABLE access_tokens ADD COLUMN deleted_at TIMESTAMPTZ;
CREATE UNIQUE INDEX access_tokens_previous_key_hash ON access_tokens (previous_key_hash);
ALTER TABLE merchants ADD COLUMN max_token_lifetime_days INTEGER CHECK (max_token_lifetime_days > 0);
