DROP TRIGGER access_tokens_version_insert;
DROP TRIGGER access_tokens_version_update;
DROP TRIGGER access_tokens_version_delete;

CREATE TRIGGER access_tokens_version_insert AFTER INSERT ON access_tokens
BEGIN
    UPDATE merchants SET tokens_version = tokens_version + 1,
        tokens_listed = tokens_listed + (NEW.deleted_at IS NULL)
    WHERE id = NEW.merchant_id;
END;

CREATE TRIGGER access_tokens_version_update AFTER UPDATE ON access_tokens
BEGIN
    UPDATE merchants SET tokens_version = tokens_version + 1,
        tokens_listed = tokens_listed + (NEW.deleted_at IS NULL) - (OLD.deleted_at IS NULL)
    WHERE id = NEW.merchant_id;
END;

CREATE TRIGGER access_tokens_version_delete AFTER DELETE ON access_tokens
BEGIN
    UPDATE merchants SET tokens_version = tokens_version + 1,
        tokens_listed = tokens_listed - (OLD.deleted_at IS NULL)
    WHERE id = OLD.merchant_id;
END;

ALTER TABLE merchants DROP COLUMN tokens_live_read_only;
ALTER TABLE merchants DROP COLUMN tokens_live_read_write;
ALTER TABLE merchants DROP COLUMN tokens_disabled_read_only;
ALTER TABLE merchants DROP COLUMN tokens_disabled_read_write;
