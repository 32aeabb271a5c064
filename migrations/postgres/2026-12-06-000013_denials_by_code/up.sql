-- Mirrors migrations/sqlite/2026-12-06-000013_denials_by_code.
-- A token's refused requests per South African day and answer code (DISABLED, IP_NOT_ALLOWED, ...),
-- so its page can say why requests were refused. Written with the day's totals in
-- token_usage_daily, in the same transaction; days from before this table have totals only.
CREATE TABLE token_denials_daily (
    token_id BIGINT NOT NULL REFERENCES access_tokens (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    code TEXT NOT NULL,
    requests BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (token_id, day, code)
);
