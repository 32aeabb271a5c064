-- How many of a merchant's leak disables no admin has acknowledged yet, kept by triggers: the token
-- table reads it with the session, and asks for the banner's lines only when it is not zero (every
-- page otherwise made one more database call to find none).
ALTER TABLE merchants ADD COLUMN leaks_unacknowledged BIGINT NOT NULL DEFAULT 0;

UPDATE merchants SET leaks_unacknowledged = (
    SELECT COUNT(*) FROM leak_reports r
    WHERE r.merchant_id = merchants.id AND r.outcome = 'disabled' AND r.acknowledged_at IS NULL
);

CREATE TRIGGER leak_reports_count_insert AFTER INSERT ON leak_reports
BEGIN
    UPDATE merchants SET leaks_unacknowledged = leaks_unacknowledged
        + (NEW.outcome = 'disabled' AND NEW.acknowledged_at IS NULL)
    WHERE id = NEW.merchant_id;
END;

CREATE TRIGGER leak_reports_count_update AFTER UPDATE ON leak_reports
BEGIN
    UPDATE merchants SET leaks_unacknowledged = leaks_unacknowledged
        - (OLD.outcome = 'disabled' AND OLD.acknowledged_at IS NULL)
    WHERE id = OLD.merchant_id;
    UPDATE merchants SET leaks_unacknowledged = leaks_unacknowledged
        + (NEW.outcome = 'disabled' AND NEW.acknowledged_at IS NULL)
    WHERE id = NEW.merchant_id;
END;

CREATE TRIGGER leak_reports_count_delete AFTER DELETE ON leak_reports
BEGIN
    UPDATE merchants SET leaks_unacknowledged = leaks_unacknowledged
        - (OLD.outcome = 'disabled' AND OLD.acknowledged_at IS NULL)
    WHERE id = OLD.merchant_id;
END;
