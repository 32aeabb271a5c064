-- Mirrors migrations/sqlite/2026-12-02-000008_fleet (the trigger is Postgres-only).

-- Signed requests already accepted by any instance: one row per signature, kept until its
-- timestamp leaves the ±300 s window (expires_at, unix seconds), then deleted in batches.
-- A logged table on purpose: after a crash, an unlogged one would come back empty and let every
-- signature of the last five minutes be replayed.
CREATE TABLE replay_signatures (
    signature_hash BYTEA PRIMARY KEY CHECK (length(signature_hash) = 32),
    expires_at BIGINT NOT NULL
);
CREATE INDEX replay_signatures_expires ON replay_signatures (expires_at);

-- Every change to a token that verification looks at, by any writer (dashboard, support, CLI),
-- tells every instance on commit: the payload is the hex SHA-256 of a key whose cached record must
-- go. The usage flush (last-used time and addresses) is no such change and stays silent.
CREATE FUNCTION kwik_notify_token() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hashes BYTEA[];
    h BYTEA;
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(OLD) - 'last_used_at' - 'last_used_ips')
         = (to_jsonb(NEW) - 'last_used_at' - 'last_used_ips') THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        hashes := hashes || OLD.key_hash || OLD.previous_key_hash;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        hashes := hashes || NEW.key_hash || NEW.previous_key_hash;
    END IF;
    FOREACH h IN ARRAY hashes LOOP
        IF h IS NOT NULL THEN
            PERFORM pg_notify('kwik_tokens', encode(h, 'hex'));
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER access_tokens_notify AFTER INSERT OR UPDATE OR DELETE ON access_tokens
    FOR EACH ROW EXECUTE FUNCTION kwik_notify_token();
