-- Secret-scanning leak reports (GitHub's partner program, GitLab's revocation API). A report that
-- matches a token is kept here: which token, what was done, where it was found; never the secret.
-- The Access Tokens banner lists a merchant's leak disables until an admin acknowledges them.
CREATE TABLE leak_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    -- github or gitlab
    reporter TEXT NOT NULL,
    -- api_key, api_secret or public_key
    kind TEXT NOT NULL,
    token_id INTEGER NOT NULL REFERENCES access_tokens (id),
    merchant_id INTEGER NOT NULL REFERENCES merchants (id),
    -- disabled (this report disabled it), recorded (public key) or unchanged (already disabled)
    outcome TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by INTEGER REFERENCES users (id)
);
CREATE INDEX leak_reports_merchant ON leak_reports (merchant_id, acknowledged_at);
CREATE INDEX leak_reports_token ON leak_reports (token_id);
-- a reported secret is looked up by its hash, like a key
CREATE INDEX access_tokens_secret_hash ON access_tokens (secret_hash);
CREATE INDEX access_tokens_previous_secret_hash ON access_tokens (previous_secret_hash);
