-- Mirrors migrations/sqlite/2026-12-06-000012_natural_name_sort.
-- The table sorts names in natural order ("Integration 2" before "Integration 10"): the app stores,
-- beside each name, a key in which every run of digits is padded to the same width, and sorts by it
-- byte for byte (COLLATE "C", as SQLite's BINARY). Rows written before this get their key when the
-- app next starts (db::migrate), so the column starts empty.
ALTER TABLE access_tokens ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';

CREATE INDEX access_tokens_merchant_name_key
    ON access_tokens (merchant_id, name_key, id) WHERE deleted_at IS NULL;

-- The rows still without a key: empty once the app has started, so the start-up step that looks for
-- them reads this (empty) index instead of the whole table.
CREATE INDEX access_tokens_missing_name_key ON access_tokens (id) WHERE name_key = '';
