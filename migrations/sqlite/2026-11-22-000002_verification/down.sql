DROP INDEX access_tokens_public_key_status;
ALTER TABLE access_tokens DROP COLUMN last_used_ips;
ALTER TABLE access_tokens DROP COLUMN last_used_at;
ALTER TABLE access_tokens DROP COLUMN secret_key_id;
ALTER TABLE access_tokens DROP COLUMN secret_sealed;
