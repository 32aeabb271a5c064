-- Mirrors migrations/postgres/2026-12-08-000022_search_page_index: the name joins the merchant's
-- newest-first index (as its last column: SQLite has no INCLUDE), so that a search's page reads the
-- ids of its tokens from the index alone, then only their rows.
DROP INDEX access_tokens_merchant_listed;
CREATE INDEX access_tokens_merchant_listed ON access_tokens (merchant_id, created_at DESC, id DESC, name)
    WHERE deleted_at IS NULL;
