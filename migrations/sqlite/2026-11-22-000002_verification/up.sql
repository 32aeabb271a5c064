-- API_SECRET sealed with AES-256-GCM under a master key kept outside the database (for signed
-- requests), the id of that key, and when and from where the token was last used.
ALTER TABLE access_tokens ADD COLUMN secret_sealed BLOB;
ALTER TABLE access_tokens ADD COLUMN secret_key_id TEXT;
ALTER TABLE access_tokens ADD COLUMN last_used_at TEXT;
-- up to 5 distinct client IPs, most recent first, comma-separated
ALTER TABLE access_tokens ADD COLUMN last_used_ips TEXT NOT NULL DEFAULT '';
CREATE INDEX access_tokens_public_key_status ON access_tokens (public_key, status);
