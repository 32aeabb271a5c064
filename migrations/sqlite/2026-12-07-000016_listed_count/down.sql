DROP TRIGGER access_tokens_version_insert;
DROP TRIGGER access_tokens_version_update;
DROP TRIGGER access_tokens_version_delete;

CREATE TRIGGER access_tokens_version_insert AFTER INSERT ON access_tokens
BEGIN
    UPDATE merchants SET tokens_version = tokens_version + 1 WHERE id = NEW.merchant_id;
END;

CREATE TRIGGER access_tokens_version_update AFTER UPDATE ON access_tokens
BEGIN
    UPDATE merchants SET tokens_version = tokens_version + 1 WHERE id = NEW.merchant_id;
END;

CREATE TRIGGER access_tokens_version_delete AFTER DELETE ON access_tokens
BEGIN
    UPDATE merchants SET tokens_version = tokens_version + 1 WHERE id = OLD.merchant_id;
END;

ALTER TABLE merchants DROP COLUMN tokens_listed;
