-- Mirrors migrations/sqlite/2026-11-22-000003_audit.
CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    event TEXT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    actor_email TEXT,
    actor_role TEXT NOT NULL,
    merchant_id BIGINT REFERENCES merchants (id),
    target_type TEXT,
    target_id BIGINT,
    target_label TEXT,
    detail TEXT NOT NULL DEFAULT '',
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX audit_events_merchant_time ON audit_events (merchant_id, occurred_at DESC, id DESC);
CREATE INDEX audit_events_target ON audit_events (target_type, target_id, occurred_at DESC);
CREATE INDEX audit_events_actor ON audit_events (actor_user_id, occurred_at DESC);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

ALTER TABLE access_tokens ADD COLUMN status_changed_at TIMESTAMPTZ;
ALTER TABLE access_tokens ADD COLUMN status_changed_by_support BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE access_tokens ADD COLUMN status_reason TEXT;
