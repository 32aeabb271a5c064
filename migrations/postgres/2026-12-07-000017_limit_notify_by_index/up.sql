-- A merchant's new rate limit told every instance by reading its tokens without a limit of their own
-- with no `deleted_at IS NULL`, so no index starting with the merchant applied (they are all partial,
-- over tokens not deleted): each change read the whole table, a million rows at scale. Deleted tokens
-- never verify again, so they need no notice; the merchant's range of `access_tokens_merchant_listed`
-- is read instead.
CREATE OR REPLACE FUNCTION kwik_notify_merchant_limit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    h BYTEA;
BEGIN
    FOR h IN
        SELECT key_hash FROM access_tokens
        WHERE merchant_id = NEW.id AND deleted_at IS NULL AND rate_limit IS NULL
        UNION ALL
        SELECT previous_key_hash FROM access_tokens
        WHERE merchant_id = NEW.id AND deleted_at IS NULL AND rate_limit IS NULL
            AND previous_key_hash IS NOT NULL
    LOOP
        PERFORM pg_notify('kwik_tokens', encode(h, 'hex'));
    END LOOP;
    RETURN NULL;
END
$$;
