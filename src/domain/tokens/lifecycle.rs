//! A token's life after creation: edit its settings, roll its secret (and optionally its key) with a
//! grace window for the old one, and delete it for good. Each change is one transaction with its
//! history event. No HTTP here.

use zeroize::Zeroizing;

use crate::db::DbConn;
use crate::db::models::access_token::{TokenSettings, is_name_conflict};
use crate::db::models::{AccessToken, MerchantId, TokenId};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::credentials::cache::TokenCache;
use crate::domain::credentials::seal::{Keyring, SealError};
use crate::domain::credentials::{NewCredentials, RandomError, Section};
use crate::domain::tokens::{TokenSpec, allowlist_text, target};
use crate::infra::sa_time;

/// How long the old secret keeps working after a roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grace {
    /// It stops at once.
    Now,
    /// One hour.
    Hour,
    /// A day.
    Day,
    /// A week.
    Week,
}

impl Grace {
    /// From the form value: `now`, `1h`, `24h` or `7d`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "now" => Some(Self::Now),
            "1h" => Some(Self::Hour),
            "24h" => Some(Self::Day),
            "7d" => Some(Self::Week),
            _ => None,
        }
    }

    /// The window's length.
    pub fn duration(self) -> time::Duration {
        match self {
            Self::Now => time::Duration::ZERO,
            Self::Hour => time::Duration::hours(1),
            Self::Day => time::Duration::hours(24),
            Self::Week => time::Duration::days(7),
        }
    }
}

/// Why a lifecycle change failed.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The typed name does not match the token's name.
    #[error("type the token's name exactly to delete it")]
    NameMismatch,
    /// No credentials could be generated.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// A secret could not be sealed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Another token of the merchant already has this name (ignoring case).
    #[error("another token is already called {0:?}")]
    DuplicateName(String),
    /// The database refused (`NotFound` for another merchant's or a deleted token).
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

fn when(at: Option<time::PrimitiveDateTime>) -> String {
    at.map_or_else(|| "never".to_owned(), sa_time::date)
}

/// What changed between a token and a spec, for the history: `name: A → B; permission: …`.
fn diff(token: &AccessToken, spec: &TokenSpec) -> String {
    let mut changes = Vec::new();
    if token.name != spec.name {
        changes.push(format!("name: {} → {}", token.name, spec.name));
    }
    let old_sections = token.sections().unwrap_or_default();
    if old_sections != spec.sections {
        let list = |s: &crate::domain::credentials::Sections| {
            s.iter().map(Section::label).collect::<Vec<_>>().join(", ")
        };
        changes.push(format!(
            "sections: {} → {}",
            list(&old_sections),
            list(&spec.sections)
        ));
    }
    if token.permission != spec.permission {
        changes.push(format!(
            "permission: {} → {}",
            token.permission.label(),
            spec.permission.label()
        ));
    }
    if token.status != spec.status {
        changes.push(format!(
            "status: {} → {}",
            token.status.label(),
            spec.status.label()
        ));
    }
    if token.expires_at != spec.expires_at {
        changes.push(format!(
            "expiry: {} → {}",
            when(token.expires_at),
            when(spec.expires_at)
        ));
    }
    let allowlist = allowlist_text(&spec.ip_allowlist);
    if token.ip_allowlist != allowlist {
        let show = |s: &str| {
            if s.is_empty() {
                "any address".to_owned()
            } else {
                s.replace(',', ", ")
            }
        };
        changes.push(format!(
            "IP allowlist: {} → {}",
            show(&token.ip_allowlist),
            show(&allowlist)
        ));
    }
    if token.rate_limit != spec.rate_limit {
        let show = |limit: Option<i32>| {
            limit.map_or_else(
                || "the organisation’s".to_owned(),
                |n| format!("{n} a second"),
            )
        };
        changes.push(format!(
            "rate limit: {} → {}",
            show(token.rate_limit),
            show(spec.rate_limit)
        ));
    }
    changes.join("; ")
}

/// Changes a token's name, sections, permission, status, expiry and allowlist; its credentials stay.
/// Nothing changed: nothing recorded.
pub fn update(
    conn: &mut DbConn,
    cache: &TokenCache,
    merchant: MerchantId,
    id: TokenId,
    actor: &Actor,
    spec: &TokenSpec,
) -> Result<AccessToken, LifecycleError> {
    cache
        .invalidate_after(conn.write_transaction(|conn| {
            let token = AccessToken::find_for_merchant(conn, merchant, id)?;
            let detail = diff(&token, spec);
            if detail.is_empty() {
                return Ok(token);
            }
            // Only a new name is checked: a token kept from before names were compared in every
            // script (SQLite's index folds ASCII only) stays editable under its own.
            if token.name != spec.name
                && AccessToken::name_taken(conn, merchant, &spec.name, Some(id))?
            {
                return Err(LifecycleError::DuplicateName(spec.name.clone()));
            }
            let allowlist = allowlist_text(&spec.ip_allowlist);
            let settings = TokenSettings {
                name: &spec.name,
                sections: &spec.sections,
                permission: spec.permission,
                status: spec.status,
                expires_at: spec.expires_at,
                ip_allowlist: &allowlist,
                rate_limit: spec.rate_limit,
            };
            let updated = AccessToken::update_settings(conn, id, &settings, crate::db::now())?;
            audit::record(
                conn,
                actor,
                Event::TokenUpdated,
                Some(merchant),
                Some(target(&updated)),
                &detail,
            )?;
            Ok(updated)
        }))
        .map_err(|e| match e {
            LifecycleError::Db(e) if is_name_conflict(&e) => {
                LifecycleError::DuplicateName(spec.name.clone())
            }
            other => other,
        })
}

/// The credentials a roll issues, shown once. `api_key` is `None` when the key was kept.
pub struct Rolled {
    /// The new API_KEY, when one was issued.
    pub api_key: Option<Zeroizing<String>>,
    /// The new API_SECRET.
    pub api_secret: Zeroizing<String>,
}

/// What a roll issues and how long the old credentials keep working.
#[derive(Debug, Clone, Copy)]
pub struct RollChoice {
    /// How long the old secret (and key) keep working.
    pub grace: Grace,
    /// Whether a new API_KEY is issued too.
    pub new_key: bool,
}

/// Issues a new API_SECRET (and, with `new_key`, a new API_KEY). The old secret (and key) keep working
/// for `grace`, then stop. Rolling again during a window ends the earlier window.
pub fn roll(
    conn: &mut DbConn,
    cache: &TokenCache,
    keyring: &Keyring,
    (merchant, id): (MerchantId, TokenId),
    actor: &Actor,
    RollChoice { grace, new_key }: RollChoice,
) -> Result<(AccessToken, Rolled), LifecycleError> {
    let fresh = NewCredentials::generate()?;
    let now = crate::db::now();
    let token = cache.invalidate_after(conn.write_transaction(
        |conn| -> Result<AccessToken, LifecycleError> {
            let token = AccessToken::find_for_merchant(conn, merchant, id)?;
            let key_hash = if new_key {
                fresh.key_hash().to_vec()
            } else {
                token.key_hash.clone()
            };
            let (key_id, sealed) = keyring.seal(fresh.api_secret.as_bytes(), &key_hash)?;
            let until = (grace != Grace::Now).then(|| now + grace.duration());
            let rolled = AccessToken::roll(
                conn,
                &token,
                &crate::db::models::access_token::Roll {
                    key: new_key
                        .then(|| (key_hash.as_slice(), fresh.key_prefix(), fresh.key_suffix())),
                    secret_hash: &fresh.secret_hash(),
                    secret_sealed: &sealed,
                    secret_key_id: &key_id,
                    previous_until: until,
                    at: now,
                },
            )?;
            let what = if new_key {
                "new API_KEY and API_SECRET"
            } else {
                "new API_SECRET"
            };
            let detail = match until {
                Some(t) => format!("{what}; the old one works until {}", sa_time::date_time(t)),
                None => format!("{what}; the old one stopped at once"),
            };
            audit::record(
                conn,
                actor,
                Event::TokenSecretRolled,
                Some(merchant),
                Some(target(&rolled)),
                &detail,
            )?;
            Ok(rolled)
        },
    ))?;
    let NewCredentials {
        api_key,
        api_secret,
        ..
    } = fresh;
    Ok((
        token,
        Rolled {
            api_key: new_key.then_some(api_key),
            api_secret,
        },
    ))
}

/// Deletes a token for good once its name is typed back: it never verifies again, its sealed secrets
/// are wiped, and it stays in the history (and the support console) as deleted.
pub fn delete(
    conn: &mut DbConn,
    cache: &TokenCache,
    merchant: MerchantId,
    id: TokenId,
    actor: &Actor,
    typed_name: &str,
) -> Result<AccessToken, LifecycleError> {
    cache.invalidate_after(conn.write_transaction(|conn| {
        let token = AccessToken::find_for_merchant(conn, merchant, id)?;
        if typed_name.trim() != token.name {
            return Err(LifecycleError::NameMismatch);
        }
        let deleted = AccessToken::mark_deleted(conn, id, crate::db::now())?;
        audit::record(
            conn,
            actor,
            Event::TokenDeleted,
            Some(merchant),
            Some(target(&deleted)),
            "deleted; it can never be used again",
        )?;
        Ok(deleted)
    }))
}
