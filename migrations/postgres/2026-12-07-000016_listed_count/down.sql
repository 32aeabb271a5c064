CREATE OR REPLACE FUNCTION access_tokens_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE merchants SET tokens_version = tokens_version + 1 WHERE id = OLD.merchant_id;
    ELSE
        UPDATE merchants SET tokens_version = tokens_version + 1 WHERE id = NEW.merchant_id;
    END IF;
    RETURN NULL;
END
$$;

ALTER TABLE merchants DROP COLUMN tokens_listed;
