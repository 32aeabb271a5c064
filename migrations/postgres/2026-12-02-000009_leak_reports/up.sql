-- Mirrors migrations/sqlite/2026-12-02-000009_leak_reports.
CREATE TABLE leak_reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL,
    reporter TEXT NOT NULL,
    kind TEXT NOT NULL,
    token_id BIGINT NOT NULL REFERENCES access_tokens (id),
    merchant_id BIGINT NOT NULL REFERENCES merchants (id),
    outcome TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by BIGINT REFERENCES users (id)
);
CREATE INDEX leak_reports_merchant ON leak_reports (merchant_id, acknowledged_at);
CREATE INDEX leak_reports_token ON leak_reports (token_id);
CREATE INDEX access_tokens_secret_hash ON access_tokens (secret_hash);
CREATE INDEX access_tokens_previous_secret_hash ON access_tokens (previous_secret_hash);
