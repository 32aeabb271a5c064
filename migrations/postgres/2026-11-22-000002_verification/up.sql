-- Mirrors migrations/sqlite/2026-11-22-000002_verification.
ALTER TABLE access_tokens ADD COLUMN secret_sealed BYTEA;
ALTER TABLE access_tokens ADD COLUMN secret_key_id TEXT;
ALTER TABLE access_tokens ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE access_tokens ADD COLUMN last_used_ips TEXT NOT NULL DEFAULT '';
CREATE INDEX access_tokens_public_key_status ON access_tokens (public_key, status);
