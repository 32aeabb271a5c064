-- The table only ever lists a merchant's tokens that are not deleted. Indexing just those rows lets
-- the pager's count read the index alone, instead of visiting every row to check `deleted_at`.
DROP INDEX access_tokens_merchant_created;
CREATE INDEX access_tokens_merchant_listed ON access_tokens (merchant_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;

-- A number that changes with every change to a merchant's tokens (the usage flush's last-used times
-- included), on whichever instance or CLI made it: the table's rendered rows are reused only while it
-- is unchanged. Written by triggers, so no code path can forget it.
ALTER TABLE merchants ADD COLUMN tokens_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION access_tokens_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE merchants SET tokens_version = tokens_version + 1 WHERE id = OLD.merchant_id;
    ELSE
        UPDATE merchants SET tokens_version = tokens_version + 1 WHERE id = NEW.merchant_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER access_tokens_version AFTER INSERT OR UPDATE OR DELETE ON access_tokens
    FOR EACH ROW EXECUTE FUNCTION access_tokens_bump_version();
