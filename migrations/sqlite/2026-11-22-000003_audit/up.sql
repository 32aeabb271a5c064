-- The audit history: append-only. No code path updates or deletes it, and triggers refuse both.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT NOT NULL,
    -- e.g. token.created, token.disabled, login.failed, user.role_changed
    event TEXT NOT NULL,
    actor_user_id INTEGER REFERENCES users (id),
    -- snapshots, so the record stays readable whatever happens to the user later
    actor_email TEXT,
    actor_role TEXT NOT NULL,
    merchant_id INTEGER REFERENCES merchants (id),
    target_type TEXT,
    target_id INTEGER,
    target_label TEXT,
    -- old → new for changes, a reason; never a secret
    detail TEXT NOT NULL DEFAULT '',
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX audit_events_merchant_time ON audit_events (merchant_id, occurred_at DESC, id DESC);
CREATE INDEX audit_events_target ON audit_events (target_type, target_id, occurred_at DESC);
CREATE INDEX audit_events_actor ON audit_events (actor_user_id, occurred_at DESC);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

-- Who last changed a token's status, when and why (shown in the table: "Disabled by Kwik Support").
ALTER TABLE access_tokens ADD COLUMN status_changed_at TEXT;
ALTER TABLE access_tokens ADD COLUMN status_changed_by_support INTEGER NOT NULL DEFAULT 0;
ALTER TABLE access_tokens ADD COLUMN status_reason TEXT;
