ALTER TABLE access_tokens DROP COLUMN status_reason;
ALTER TABLE access_tokens DROP COLUMN status_changed_by_support;
ALTER TABLE access_tokens DROP COLUMN status_changed_at;
DROP TRIGGER audit_events_no_delete;
DROP TRIGGER audit_events_no_update;
DROP TABLE audit_events;
