-- A search's page first reads the ids of its 50 tokens, then only their rows (see
-- `token_list::page`). With the name in the merchant's newest-first index, those ids come from the
-- index alone: before, each token the search tested was fetched from the table, some 4,000 rows for
-- a page of a rare name among 10,000 tokens (11 ms -> 2 ms). Built in the migration's transaction:
-- writes to the tokens wait for it (about a second at a million tokens); reads do not.
CREATE INDEX access_tokens_merchant_listed_names ON access_tokens (merchant_id, created_at DESC, id DESC)
    INCLUDE (name) WHERE deleted_at IS NULL;
DROP INDEX access_tokens_merchant_listed;
ALTER INDEX access_tokens_merchant_listed_names RENAME TO access_tokens_merchant_listed;
