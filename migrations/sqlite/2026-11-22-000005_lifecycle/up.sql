-- Token lifecycle: expiry, an IP allowlist, the previous secret (and key) still accepted during a
-- roll's grace window, and deletion that keeps the row for the history.
ALTER TABLE access_tokens ADD COLUMN expires_at TEXT;
-- comma-separated addresses and CIDR ranges; empty: any address
ALTER TABLE access_tokens ADD COLUMN ip_allowlist TEXT NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN previous_secret_hash BLOB;
ALTER TABLE access_tokens ADD COLUMN previous_secret_sealed BLOB;
ALTER TABLE access_tokens ADD COLUMN previous_secret_key_id TEXT;
-- set when the roll also issued a new API_KEY: the old key works with the old secret in the window
ALTER TABLE access_tokens ADD COLUMN previous_key_hash BLOB;
ALTER TABLE access_tokens ADD COLUMN previous_expires_at TEXT;
ALTER TABLE access_tokens ADD COLUMN deleted_at TEXT;
CREATE UNIQUE INDEX access_tokens_previous_key_hash ON access_tokens (previous_key_hash);
-- the maximum lifetime a merchant allows for new tokens, in days; NULL: no maximum
ALTER TABLE merchants ADD COLUMN max_token_lifetime_days INTEGER;
