-- Mirrors migrations/sqlite/2026-12-06-000010_rate_limits (the trigger is Postgres-only).

-- Requests a second a token may make. Kwik's API documents 100: the merchant's limit (set with
-- `kwik-dashboard merchant set-rate-limit`) applies to every token without a limit of its own.
ALTER TABLE merchants
    ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 100 CHECK (rate_limit BETWEEN 1 AND 1000000);
ALTER TABLE access_tokens
    ADD COLUMN rate_limit INTEGER CHECK (rate_limit BETWEEN 1 AND 1000000);
-- Requests refused for the limit, beside allowed and denied.
ALTER TABLE token_usage_daily ADD COLUMN limited BIGINT NOT NULL DEFAULT 0;

-- Requests each token was allowed per second (window_start: unix seconds), summed over every
-- instance. Each instance decides locally and adds its own counts here in one statement every few
-- milliseconds while it has any, reading the fleet's total back. Unlogged: after a crash the counts
-- of the last second or two are all that is lost, and it saves a WAL write per sync.
CREATE UNLOGGED TABLE rate_counts (
    token_id BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (token_id, window_start)
);
CREATE INDEX rate_counts_window ON rate_counts (window_start);

-- A merchant's limit applies to its tokens without one: tell every instance to read them again.
CREATE FUNCTION kwik_notify_merchant_limit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    h BYTEA;
BEGIN
    FOR h IN
        SELECT key_hash FROM access_tokens WHERE merchant_id = NEW.id AND rate_limit IS NULL
        UNION ALL
        SELECT previous_key_hash FROM access_tokens
        WHERE merchant_id = NEW.id AND rate_limit IS NULL AND previous_key_hash IS NOT NULL
    LOOP
        PERFORM pg_notify('kwik_tokens', encode(h, 'hex'));
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER merchants_notify_limit AFTER UPDATE OF rate_limit ON merchants
    FOR EACH ROW WHEN (OLD.rate_limit IS DISTINCT FROM NEW.rate_limit)
    EXECUTE FUNCTION kwik_notify_merchant_limit();
