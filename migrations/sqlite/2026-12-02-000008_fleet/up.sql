-- Mirrors migrations/postgres/2026-12-02-000008_fleet. On SQLite (one instance) the in-memory replay
-- guard stays in use and there is no listener to notify; the table exists so the schema is one.
CREATE TABLE replay_signatures (
    signature_hash BLOB PRIMARY KEY CHECK (length(signature_hash) = 32),
    expires_at BIGINT NOT NULL
);
CREATE INDEX replay_signatures_expires ON replay_signatures (expires_at);
