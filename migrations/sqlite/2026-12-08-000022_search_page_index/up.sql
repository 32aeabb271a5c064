-- Mirrors migrations/postgres/2026-12-08-000022_search_page_index: the name joins the merchant's
-- newest-first index, so that a search's page reads the ids of its tokens from the index alone, then
-- only their rows. SQLite has no INCLUDE, and it counts an index as covering only when it holds
-- every column the query names, the partial index's own `deleted_at` too: both go last.
DROP INDEX access_tokens_merchant_listed;
CREATE INDEX access_tokens_merchant_listed ON access_tokens (merchant_id, created_at DESC, id DESC, name, deleted_at)
    WHERE deleted_at IS NULL;
