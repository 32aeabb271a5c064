DROP TABLE recovery_codes;
ALTER TABLE sessions DROP COLUMN pending_user_id;
ALTER TABLE merchants DROP COLUMN require_two_factor;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled_at;
ALTER TABLE users DROP COLUMN totp_key_id;
ALTER TABLE users DROP COLUMN totp_secret_sealed;
