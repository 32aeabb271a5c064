-- Mirrors migrations/sqlite/2026-12-07-000019_leaks_unacknowledged: how many of a merchant's leak
-- disables no admin has acknowledged yet, kept by a trigger; the token table asks for the banner's
-- lines only when it is not zero.
ALTER TABLE merchants ADD COLUMN leaks_unacknowledged BIGINT NOT NULL DEFAULT 0;

UPDATE merchants SET leaks_unacknowledged = (
    SELECT COUNT(*) FROM leak_reports r
    WHERE r.merchant_id = merchants.id AND r.outcome = 'disabled' AND r.acknowledged_at IS NULL
);

CREATE FUNCTION leak_reports_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.outcome = 'disabled' AND OLD.acknowledged_at IS NULL THEN
        UPDATE merchants SET leaks_unacknowledged = leaks_unacknowledged - 1
        WHERE id = OLD.merchant_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.outcome = 'disabled' AND NEW.acknowledged_at IS NULL THEN
        UPDATE merchants SET leaks_unacknowledged = leaks_unacknowledged + 1
        WHERE id = NEW.merchant_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER leak_reports_count AFTER INSERT OR UPDATE OR DELETE ON leak_reports
    FOR EACH ROW EXECUTE FUNCTION leak_reports_count();
