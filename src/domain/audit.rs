//! The audit history: who did what to which token or user, when, from where. Every change records
//! its event in the same transaction as the change itself.

use diesel::QueryResult;

use crate::db::DbConn;
use crate::db::models::audit::{AuditEvent, NewAuditEvent};
use crate::db::models::{MerchantId, Role, User, UserId, text_enum};

text_enum! {
    /// What happened.
    Event {
        /// A token was created.
        TokenCreated = "token.created",
        /// A token's name, sections, permission or status were edited.
        TokenUpdated = "token.updated",
        /// A token was enabled.
        TokenEnabled = "token.enabled",
        /// A token was disabled.
        TokenDisabled = "token.disabled",
        /// A token was deleted.
        TokenDeleted = "token.deleted",
        /// A token's secret was rolled.
        TokenSecretRolled = "token.secret_rolled",
        /// A secret scanner found a token's key or secret in public, and the token was disabled.
        TokenLeakDisabled = "token.leak_disabled",
        /// A secret scanner found a token's public key in public (public by design: nothing done).
        PublicKeyReported = "token.public_key_reported",
        /// An admin acknowledged the banner about tokens disabled after a leak report.
        LeakReportsAcknowledged = "token.leak_reports_acknowledged",
        /// Someone signed in.
        LoginSucceeded = "login.succeeded",
        /// A sign-in was refused (wrong password, unknown email, or throttled).
        LoginFailed = "login.failed",
        /// Someone signed out.
        Logout = "logout",
        /// A user was added.
        UserAdded = "user.added",
        /// A user's role changed.
        UserRoleChanged = "user.role_changed",
        /// A user was disabled.
        UserDisabled = "user.disabled",
        /// A user was enabled again.
        UserEnabled = "user.enabled",
        /// A user changed their password.
        PasswordChanged = "user.password_changed",
        /// Someone asked for a password reset link for a user (it was mailed to them).
        PasswordResetRequested = "user.password_reset_requested",
        /// A user set a new password with an emailed link.
        PasswordReset = "user.password_reset",
        /// A user signed one of their sessions out, or all the others.
        SessionsEnded = "user.sessions_ended",
        /// A user turned two-factor sign-in on.
        TwoFactorEnabled = "user.2fa_enabled",
        /// A user turned two-factor sign-in off.
        TwoFactorDisabled = "user.2fa_disabled",
        /// An admin reset a member's two-factor sign-in.
        TwoFactorReset = "user.2fa_reset",
        /// A user replaced their recovery codes.
        RecoveryCodesRegenerated = "user.recovery_codes_regenerated",
        /// A recovery code was used to sign in or re-authenticate.
        RecoveryCodeUsed = "user.recovery_code_used",
        /// A re-authentication before a sensitive action was refused.
        SudoRefused = "user.sudo_refused",
        /// An admin changed whether the merchant requires two-factor sign-in.
        TwoFactorPolicyChanged = "merchant.2fa_policy_changed",
        /// The requests a second the merchant's tokens may make (those without their own) changed.
        RateLimitChanged = "merchant.rate_limit_changed",
    }
}

impl Event {
    /// How the history page names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::TokenCreated => "Token created",
            Self::TokenUpdated => "Token updated",
            Self::TokenEnabled => "Token enabled",
            Self::TokenDisabled => "Token disabled",
            Self::TokenDeleted => "Token deleted",
            Self::TokenSecretRolled => "Secret rolled",
            Self::TokenLeakDisabled => "Disabled after a leak report",
            Self::PublicKeyReported => "Public key reported found in public",
            Self::LeakReportsAcknowledged => "Leak report acknowledged",
            Self::LoginSucceeded => "Signed in",
            Self::LoginFailed => "Sign-in refused",
            Self::Logout => "Signed out",
            Self::UserAdded => "User added",
            Self::UserRoleChanged => "Role changed",
            Self::UserDisabled => "User disabled",
            Self::UserEnabled => "User enabled",
            Self::PasswordChanged => "Password changed",
            Self::PasswordResetRequested => "Password reset link mailed",
            Self::PasswordReset => "Password reset by email",
            Self::SessionsEnded => "Sessions signed out",
            Self::TwoFactorEnabled => "Two-factor turned on",
            Self::TwoFactorDisabled => "Two-factor turned off",
            Self::TwoFactorReset => "Two-factor reset",
            Self::RecoveryCodesRegenerated => "Recovery codes replaced",
            Self::RecoveryCodeUsed => "Recovery code used",
            Self::SudoRefused => "Re-authentication refused",
            Self::TwoFactorPolicyChanged => "Two-factor policy changed",
            Self::RateLimitChanged => "Rate limit changed",
        }
    }
}

/// Longest user agent kept.
const USER_AGENT_MAX: usize = 300;

/// Who acted, and from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, if any.
    pub user_id: Option<UserId>,
    /// Their email.
    pub email: Option<String>,
    /// `admin`, `viewer`, `support`, `cli` or `anonymous`.
    pub role: String,
    /// The merchant they belong to (none for support, the CLI and strangers).
    pub merchant_id: Option<MerchantId>,
    /// Client IP.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
}

impl Actor {
    /// A signed-in user.
    pub fn user(user: &User, ip: Option<String>, user_agent: Option<String>) -> Self {
        Self {
            user_id: Some(user.id),
            email: Some(user.email.clone()),
            role: user.role.as_str().to_owned(),
            merchant_id: user.merchant_id,
            ip,
            user_agent: user_agent.map(truncate),
        }
    }

    /// Someone not signed in (a failed sign-in).
    pub fn anonymous(ip: Option<String>, user_agent: Option<String>) -> Self {
        Self {
            role: "anonymous".into(),
            ip,
            user_agent: user_agent.map(truncate),
            ..Self::default()
        }
    }

    /// An operator at the command line.
    pub fn cli() -> Self {
        Self {
            role: "cli".into(),
            ..Self::default()
        }
    }

    /// A secret scanner reporting a leak (`name`: "GitHub secret scanning").
    pub fn scanner(name: &str) -> Self {
        Self {
            role: "scanner".into(),
            email: Some(name.to_owned()),
            ..Self::default()
        }
    }

    /// Whether this is Kwik's support staff.
    pub fn is_support(&self) -> bool {
        self.role == Role::Support.as_str()
    }
}

fn truncate(mut text: String) -> String {
    if let Some((cut, _)) = text.char_indices().nth(USER_AGENT_MAX) {
        text.truncate(cut);
    }
    text
}

/// What an event is about.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// `token` or `user`.
    pub kind: &'static str,
    /// Its id.
    pub id: i64,
    /// Its name or email now.
    pub label: &'a str,
}

/// Appends one event, and queues the security alerts it calls for (`mail::alerts`). Call it inside
/// the transaction of the change it records.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    event: Event,
    merchant: Option<MerchantId>,
    target: Option<Target<'_>>,
    detail: &str,
) -> QueryResult<()> {
    AuditEvent::record(
        conn,
        &NewAuditEvent {
            occurred_at: crate::db::now(),
            event: event.as_str(),
            actor_user_id: actor.user_id,
            actor_email: actor.email.as_deref(),
            actor_role: &actor.role,
            merchant_id: merchant,
            target_type: target.as_ref().map(|t| t.kind),
            target_id: target.as_ref().map(|t| t.id),
            target_label: target.as_ref().map(|t| t.label),
            detail,
            ip: actor.ip.as_deref(),
            user_agent: actor.user_agent.as_deref(),
        },
    )?;
    // The security alerts the change calls for, in its transaction (see `mail::alerts`).
    crate::domain::mail::alerts::on_event(
        conn,
        &crate::domain::mail::alerts::Cause {
            event: event.as_str(),
            actor_role: &actor.role,
            actor_email: actor.email.as_deref(),
            actor_ip: actor.ip.as_deref(),
            merchant,
            target: target.as_ref().map(|t| (t.kind, t.id, t.label)),
            detail,
        },
    )
    .map(drop)
}
