CREATE OR REPLACE FUNCTION kwik_notify_merchant_limit() RETURNS trigger LANGUAGE plpgsql AS $$
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
