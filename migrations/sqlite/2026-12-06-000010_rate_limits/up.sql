-- Mirrors migrations/postgres/2026-12-06-000010_rate_limits. On SQLite (one instance) the counts stay
-- in memory and no listener needs telling; the table exists so the schema is one.

-- Requests a second a token may make: the merchant's limit, or the token's own.
ALTER TABLE merchants
    ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 100 CHECK (rate_limit BETWEEN 1 AND 1000000);
ALTER TABLE access_tokens
    ADD COLUMN rate_limit INTEGER CHECK (rate_limit BETWEEN 1 AND 1000000);
-- Requests refused for the limit, beside allowed and denied.
ALTER TABLE token_usage_daily ADD COLUMN limited BIGINT NOT NULL DEFAULT 0;

CREATE TABLE rate_counts (
    token_id BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (token_id, window_start)
);
CREATE INDEX rate_counts_window ON rate_counts (window_start);
