DROP TRIGGER access_tokens_version ON access_tokens;
DROP FUNCTION access_tokens_bump_version();
ALTER TABLE merchants DROP COLUMN tokens_version;
DROP INDEX access_tokens_merchant_listed;
CREATE INDEX access_tokens_merchant_created ON access_tokens (merchant_id, created_at DESC, id DESC);
