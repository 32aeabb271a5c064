//! Enabling and disabling a token, by its merchant or by Kwik Support (with a reason).

use super::target;
use crate::db::DbConn;
use crate::db::models::{AccessToken, MerchantId, TokenId};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::credentials::TokenStatus;
use crate::domain::credentials::cache::TokenCache;

/// Whose tokens a status change may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only this merchant's (merchant admins).
    Merchant(MerchantId),
    /// Any merchant's (Kwik support, the command line).
    Platform,
}

/// Shortest and longest reason support must give.
pub const REASON_CHARS: std::ops::RangeInclusive<usize> = 5..=500;

/// Why a status change was refused.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// Support and the command line must say why (5 to 500 characters).
    #[error("give a reason of 5 to 500 characters")]
    ReasonRequired,
    /// The database refused (`NotFound` for a token out of scope).
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Enables or disables a token within `scope` (another merchant's token is `NotFound`), recording who,
/// when and why in the token and in the history, in one transaction. Setting the current status again
/// changes and records nothing.
pub fn set_status(
    conn: &mut DbConn,
    cache: &TokenCache,
    scope: Scope,
    id: TokenId,
    status: TokenStatus,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<AccessToken, StatusError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if scope == Scope::Platform
        && !reason.is_some_and(|r| REASON_CHARS.contains(&r.chars().count()))
    {
        return Err(StatusError::ReasonRequired);
    }
    cache.invalidate_after(conn.write_transaction(|conn| {
        let token = match scope {
            Scope::Merchant(m) => AccessToken::find_for_merchant(conn, m, id)?,
            Scope::Platform => AccessToken::find(conn, id)?,
        };
        if token.status == status {
            return Ok(token);
        }
        let token = AccessToken::set_status(
            conn,
            id,
            status,
            crate::db::now(),
            actor.is_support(),
            reason,
        )?;
        let event = match status {
            TokenStatus::Live => Event::TokenEnabled,
            TokenStatus::Disabled => Event::TokenDisabled,
        };
        let mut detail = format!("status: {} → {}", label_of(status.other()), status.label());
        if let Some(r) = reason {
            detail.push_str(&format!("; reason: {r}"));
        }
        audit::record(
            conn,
            actor,
            event,
            Some(token.merchant_id),
            Some(target(&token)),
            &detail,
        )?;
        Ok(token)
    }))
}

fn label_of(status: TokenStatus) -> &'static str {
    status.label()
}
