CREATE INDEX access_tokens_merchant_listed_plain ON access_tokens (merchant_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;
DROP INDEX access_tokens_merchant_listed;
ALTER INDEX access_tokens_merchant_listed_plain RENAME TO access_tokens_merchant_listed;
