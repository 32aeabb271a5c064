-- Mirrors migrations/postgres/2026-12-07-000015_alerts.
-- The security alerts and expiry warnings a user chose not to get (one row per alert turned off;
-- none: every alert). Alerts about leaked credentials and password resets cannot be turned off.
CREATE TABLE alert_opt_outs (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    alert TEXT NOT NULL,
    PRIMARY KEY (user_id, alert)
);
-- The expiry warnings' sweep reads the tokens that expire soon (or just did), across merchants.
CREATE INDEX access_tokens_expiring ON access_tokens (expires_at)
    WHERE deleted_at IS NULL AND expires_at IS NOT NULL;
