DROP INDEX access_tokens_merchant_listed;
CREATE INDEX access_tokens_merchant_listed ON access_tokens (merchant_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;
