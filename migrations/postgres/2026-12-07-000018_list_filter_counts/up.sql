-- A search or a filter counts what it finds among the merchant's tokens. Counting from
-- `access_tokens_merchant_listed` fetched every one of the merchant's rows from the table to test
-- them (12 to 19 ms for a merchant of 10,000 tokens, in a table of a million). This index holds
-- every column a search or a filter tests, so the count reads the index alone (3 to 6 ms there).
-- It costs about 160 bytes a token (158 MB for a million); the columns it holds change only when a
-- token is created, edited, enabled, disabled or deleted, never on a verification or a usage flush.
CREATE INDEX access_tokens_merchant_filters ON access_tokens (merchant_id, status, permission)
    INCLUDE (expires_at, name, key_prefix, key_suffix, sections)
    WHERE deleted_at IS NULL;
