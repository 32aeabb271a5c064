ALTER TABLE access_tokens DROP COLUMN status_reason;
ALTER TABLE access_tokens DROP COLUMN status_changed_by_support;
ALTER TABLE access_tokens DROP COLUMN status_changed_at;
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
