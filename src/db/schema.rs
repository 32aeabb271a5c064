//! The one portable schema for both backends. Portable SQL types only: `BigInt`, `Text`, `Bool`,
//! `Binary`, `Timestamp` (always UTC; `timestamptz` on Postgres, ISO text on SQLite).

diesel::table! {
    merchants (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
        max_token_lifetime_days -> Nullable<Integer>,
        tokens_version -> BigInt,
        require_two_factor -> Bool,
        rate_limit -> Integer,
        tokens_listed -> BigInt,
        leaks_unacknowledged -> BigInt,
        tokens_live_read_only -> BigInt,
        tokens_live_read_write -> BigInt,
        tokens_disabled_read_only -> BigInt,
        tokens_disabled_read_write -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        merchant_id -> Nullable<BigInt>,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        totp_secret_sealed -> Nullable<Binary>,
        totp_key_id -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamp>,
        totp_last_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Binary,
        user_id -> Nullable<BigInt>,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        absolute_expires_at -> Timestamp,
        pending_user_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    access_tokens (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        name -> Text,
        key_prefix -> Text,
        key_suffix -> Text,
        key_hash -> Binary,
        secret_hash -> Binary,
        public_key -> Text,
        permission -> Text,
        status -> Text,
        sections -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
        secret_sealed -> Nullable<Binary>,
        secret_key_id -> Nullable<Text>,
        last_used_at -> Nullable<Timestamp>,
        last_used_ips -> Text,
        status_changed_at -> Nullable<Timestamp>,
        status_changed_by_support -> Bool,
        status_reason -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        ip_allowlist -> Text,
        previous_secret_hash -> Nullable<Binary>,
        previous_secret_sealed -> Nullable<Binary>,
        previous_secret_key_id -> Nullable<Text>,
        previous_key_hash -> Nullable<Binary>,
        previous_expires_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        rate_limit -> Nullable<Integer>,
        name_key -> Text,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        event -> Text,
        actor_user_id -> Nullable<BigInt>,
        actor_email -> Nullable<Text>,
        actor_role -> Text,
        merchant_id -> Nullable<BigInt>,
        target_type -> Nullable<Text>,
        target_id -> Nullable<BigInt>,
        target_label -> Nullable<Text>,
        detail -> Text,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        scope_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_lockouts (scope_key) {
        scope_key -> Text,
        locked_until -> Timestamp,
    }
}

diesel::table! {
    token_usage_daily (token_id, day) {
        token_id -> BigInt,
        day -> Date,
        allowed -> BigInt,
        denied -> BigInt,
        limited -> BigInt,
    }
}

diesel::table! {
    token_denials_daily (token_id, day, code) {
        token_id -> BigInt,
        day -> Date,
        code -> Text,
        requests -> BigInt,
    }
}

diesel::table! {
    alert_opt_outs (user_id, alert) {
        user_id -> BigInt,
        alert -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        recipient -> Text,
        params -> Text,
        sealed_secret -> Nullable<Binary>,
        secret_key_id -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Binary,
        password_fingerprint -> Binary,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        requested_ip -> Nullable<Text>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Binary,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    leak_reports (id) {
        id -> BigInt,
        received_at -> Timestamp,
        reporter -> Text,
        kind -> Text,
        token_id -> BigInt,
        merchant_id -> BigInt,
        outcome -> Text,
        source -> Text,
        url -> Text,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<BigInt>,
    }
}

diesel::joinable!(leak_reports -> access_tokens (token_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(token_usage_daily -> access_tokens (token_id));
diesel::joinable!(token_denials_daily -> access_tokens (token_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(alert_opt_outs -> users (user_id));
diesel::joinable!(users -> merchants (merchant_id));
diesel::joinable!(audit_events -> merchants (merchant_id));
diesel::joinable!(access_tokens -> merchants (merchant_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    merchants,
    users,
    sessions,
    access_tokens,
    login_failures,
    recovery_codes,
    login_lockouts,
    audit_events,
    token_usage_daily,
    token_denials_daily,
    outbox,
    password_resets,
    alert_opt_outs,
    leak_reports,
    replay_signatures,
    rate_counts,
);

diesel::table! {
    replay_signatures (signature_hash) {
        signature_hash -> Binary,
        expires_at -> BigInt,
    }
}

diesel::table! {
    rate_counts (token_id, window_start) {
        token_id -> BigInt,
        window_start -> BigInt,
        hits -> BigInt,
    }
}
