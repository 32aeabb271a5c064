-- Verifications per token per South African day, allowed and denied: one row a day, never one a request.
CREATE TABLE token_usage_daily (
    token_id INTEGER NOT NULL REFERENCES access_tokens (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    allowed BIGINT NOT NULL DEFAULT 0,
    denied BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (token_id, day)
);
