CREATE OR REPLACE FUNCTION access_tokens_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE merchants SET tokens_version = tokens_version + 1,
            tokens_listed = tokens_listed - (OLD.deleted_at IS NULL)::int
        WHERE id = OLD.merchant_id;
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE merchants SET tokens_version = tokens_version + 1,
            tokens_listed = tokens_listed + (NEW.deleted_at IS NULL)::int
        WHERE id = NEW.merchant_id;
    ELSE
        UPDATE merchants SET tokens_version = tokens_version + 1,
            tokens_listed = tokens_listed + (NEW.deleted_at IS NULL)::int - (OLD.deleted_at IS NULL)::int
        WHERE id = NEW.merchant_id;
    END IF;
    RETURN NULL;
END
$$;

ALTER TABLE merchants
    DROP COLUMN tokens_live_read_only,
    DROP COLUMN tokens_live_read_write,
    DROP COLUMN tokens_disabled_read_only,
    DROP COLUMN tokens_disabled_read_write;
