-- Two-factor sign-in (TOTP, RFC 6238), recovery codes and the merchant's 2FA policy.
-- The TOTP secret is sealed under the master key (AES-256-GCM, bound to the user's id); while
-- enrolment is unconfirmed it is kept with totp_enabled_at NULL, and never signs anyone in.
ALTER TABLE users ADD COLUMN totp_secret_sealed BLOB;
ALTER TABLE users ADD COLUMN totp_key_id TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT;
-- the last time step accepted: a code is accepted once (RFC 6238 section 5.2)
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
-- every member must use two-factor sign-in
ALTER TABLE merchants ADD COLUMN require_two_factor INTEGER NOT NULL DEFAULT 0 CHECK (require_two_factor IN (0, 1));

-- single-use recovery codes, kept only as SHA-256
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL CHECK (length(code_hash) = 32),
    created_at TEXT NOT NULL,
    used_at TEXT
);
CREATE UNIQUE INDEX recovery_codes_user_hash ON recovery_codes (user_id, code_hash);

-- a session half-way through a two-factor sign-in (password checked, code not yet): whose it is,
-- so that a password change or a 2FA reset ends it with the user's other sessions
ALTER TABLE sessions ADD COLUMN pending_user_id INTEGER;
