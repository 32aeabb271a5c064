-- Mirrors migrations/postgres/2026-12-07-000018_list_filter_counts: every column a search or a filter
-- tests, so counting what it finds reads the index alone instead of each of the merchant's rows.
-- SQLite has no INCLUDE, and uses a partial index as covering only when it holds `deleted_at` too.
CREATE INDEX access_tokens_merchant_filters ON access_tokens (
    merchant_id, status, permission, expires_at, name, key_prefix, key_suffix, sections, deleted_at
) WHERE deleted_at IS NULL;
