-- Mirrors migrations/postgres/2026-12-07-000020_filter_counts.
-- How many of a merchant's listed tokens are in each status and permission, kept by the triggers
-- that keep `tokens_version` and `tokens_listed` (their sum): a filter by status or permission, the
-- table's common filters, reads one row for its pager instead of counting the merchant's tokens.
ALTER TABLE merchants ADD COLUMN tokens_live_read_only BIGINT NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN tokens_live_read_write BIGINT NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN tokens_disabled_read_only BIGINT NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN tokens_disabled_read_write BIGINT NOT NULL DEFAULT 0;

UPDATE merchants SET
    tokens_live_read_only = (
        SELECT COUNT(*) FROM access_tokens t WHERE t.merchant_id = merchants.id
            AND t.deleted_at IS NULL AND t.status = 'live' AND t.permission = 'read_only'
    ),
    tokens_live_read_write = (
        SELECT COUNT(*) FROM access_tokens t WHERE t.merchant_id = merchants.id
            AND t.deleted_at IS NULL AND t.status = 'live' AND t.permission = 'read_write'
    ),
    tokens_disabled_read_only = (
        SELECT COUNT(*) FROM access_tokens t WHERE t.merchant_id = merchants.id
            AND t.deleted_at IS NULL AND t.status = 'disabled' AND t.permission = 'read_only'
    ),
    tokens_disabled_read_write = (
        SELECT COUNT(*) FROM access_tokens t WHERE t.merchant_id = merchants.id
            AND t.deleted_at IS NULL AND t.status = 'disabled' AND t.permission = 'read_write'
    );

DROP TRIGGER access_tokens_version_insert;
DROP TRIGGER access_tokens_version_update;
DROP TRIGGER access_tokens_version_delete;

CREATE TRIGGER access_tokens_version_insert AFTER INSERT ON access_tokens
BEGIN
    UPDATE merchants SET tokens_version = tokens_version + 1,
        tokens_listed = tokens_listed + (NEW.deleted_at IS NULL),
        tokens_live_read_only = tokens_live_read_only
            + (NEW.deleted_at IS NULL AND NEW.status = 'live' AND NEW.permission = 'read_only'),
        tokens_live_read_write = tokens_live_read_write
            + (NEW.deleted_at IS NULL AND NEW.status = 'live' AND NEW.permission = 'read_write'),
        tokens_disabled_read_only = tokens_disabled_read_only
            + (NEW.deleted_at IS NULL AND NEW.status = 'disabled' AND NEW.permission = 'read_only'),
        tokens_disabled_read_write = tokens_disabled_read_write
            + (NEW.deleted_at IS NULL AND NEW.status = 'disabled' AND NEW.permission = 'read_write')
    WHERE id = NEW.merchant_id;
END;

CREATE TRIGGER access_tokens_version_update AFTER UPDATE ON access_tokens
BEGIN
    UPDATE merchants SET tokens_version = tokens_version + 1,
        tokens_listed = tokens_listed + (NEW.deleted_at IS NULL) - (OLD.deleted_at IS NULL),
        tokens_live_read_only = tokens_live_read_only
            + (NEW.deleted_at IS NULL AND NEW.status = 'live' AND NEW.permission = 'read_only')
            - (OLD.deleted_at IS NULL AND OLD.status = 'live' AND OLD.permission = 'read_only'),
        tokens_live_read_write = tokens_live_read_write
            + (NEW.deleted_at IS NULL AND NEW.status = 'live' AND NEW.permission = 'read_write')
            - (OLD.deleted_at IS NULL AND OLD.status = 'live' AND OLD.permission = 'read_write'),
        tokens_disabled_read_only = tokens_disabled_read_only
            + (NEW.deleted_at IS NULL AND NEW.status = 'disabled' AND NEW.permission = 'read_only')
            - (OLD.deleted_at IS NULL AND OLD.status = 'disabled' AND OLD.permission = 'read_only'),
        tokens_disabled_read_write = tokens_disabled_read_write
            + (NEW.deleted_at IS NULL AND NEW.status = 'disabled' AND NEW.permission = 'read_write')
            - (OLD.deleted_at IS NULL AND OLD.status = 'disabled' AND OLD.permission = 'read_write')
    WHERE id = NEW.merchant_id;
END;

CREATE TRIGGER access_tokens_version_delete AFTER DELETE ON access_tokens
BEGIN
    UPDATE merchants SET tokens_version = tokens_version + 1,
        tokens_listed = tokens_listed - (OLD.deleted_at IS NULL),
        tokens_live_read_only = tokens_live_read_only
            - (OLD.deleted_at IS NULL AND OLD.status = 'live' AND OLD.permission = 'read_only'),
        tokens_live_read_write = tokens_live_read_write
            - (OLD.deleted_at IS NULL AND OLD.status = 'live' AND OLD.permission = 'read_write'),
        tokens_disabled_read_only = tokens_disabled_read_only
            - (OLD.deleted_at IS NULL AND OLD.status = 'disabled' AND OLD.permission = 'read_only'),
        tokens_disabled_read_write = tokens_disabled_read_write
            - (OLD.deleted_at IS NULL AND OLD.status = 'disabled' AND OLD.permission = 'read_write')
    WHERE id = OLD.merchant_id;
END;
