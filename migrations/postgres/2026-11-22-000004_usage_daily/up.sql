-- Mirrors migrations/sqlite/2026-11-22-000004_usage_daily.
CREATE TABLE token_usage_daily (
    token_id BIGINT NOT NULL REFERENCES access_tokens (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    allowed BIGINT NOT NULL DEFAULT 0,
    denied BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (token_id, day)
);
