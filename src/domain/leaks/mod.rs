//! Leaked credentials reported by secret scanners (GitHub's partner program, GitLab's revocation
//! API): a reported API_KEY or API_SECRET of a live token disables it at once, with the finding in
//! the token, the leak reports and the history; a PUBLIC_KEY (public by design) is only recorded.
//! Knows nothing of HTTP: the receivers in `web::scanning` hand it plain values.

pub mod github_keys;

use crate::db::DbConn;
use crate::db::models::leak_report::{LeakReport, NewLeakReport};
use crate::db::models::{AccessToken, TokenStatus};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::credentials::cache::TokenCache;
use crate::domain::credentials::{API_KEY_RANDOM_LEN, Kind, has_valid_checksum, kind_of, sha256};
use crate::domain::tokens::target;

/// Longest `source` and `url` kept from a report (a scanner's text, not ours).
pub const TEXT_MAX: usize = 500;

/// Who reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reporter {
    /// GitHub secret scanning.
    GitHub,
    /// GitLab secret detection.
    GitLab,
}

impl Reporter {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
        }
    }

    /// As shown.
    pub fn label(self) -> &'static str {
        match self {
            Self::GitHub => "GitHub",
            Self::GitLab => "GitLab",
        }
    }
}

/// One match a scanner reports.
#[derive(Debug, Clone, Copy)]
pub struct Finding<'a> {
    /// The text it found (a secret: never logged, stored or echoed).
    pub token: &'a str,
    /// Where (`content`, `commit`, `gist`, `npm`, ...).
    pub source: &'a str,
    /// Its link to the finding.
    pub url: &'a str,
}

/// What a finding turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not a Kwik credential of any token: a lookalike, a bad checksum, or unknown. Nothing changed.
    FalsePositive,
    /// A live token's key or secret: the token is now disabled.
    Disabled,
    /// A token's key or secret, the token already disabled: nothing changed.
    AlreadyDisabled,
    /// A token's public key: recorded, nothing else.
    PublicKeyRecorded,
}

impl Outcome {
    /// Whether the finding was a real Kwik credential (GitHub's `true_positive`).
    pub fn is_true_positive(self) -> bool {
        self != Self::FalsePositive
    }
}

/// How the status reason of a token disabled after a leak report starts.
pub const REASON_START: &str = "Disabled automatically: found in public ";

/// The sentence the token's page shows.
pub fn reason(source: &str, url: &str) -> String {
    format!("{REASON_START}{source} ({url})")
}

/// Whether a token was last disabled after a leak report: disabled, not by support, with the
/// report's sentence as its reason (the merchant's own status changes carry no reason).
pub fn disabled_by_leak(token: &AccessToken) -> bool {
    is_leak_disable(
        token.status,
        token.status_changed_by_support,
        token.status_reason.as_deref(),
    )
}

/// [`disabled_by_leak`] of a token's status, who changed it last and why.
pub fn is_leak_disable(status: TokenStatus, by_support: bool, reason: Option<&str>) -> bool {
    status == TokenStatus::Disabled
        && !by_support
        && reason.is_some_and(|r| r.starts_with(REASON_START))
}

fn clipped(text: &str) -> &str {
    match text.char_indices().nth(TEXT_MAX) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

/// The token `text` belongs to, with its kind: the secret's checksum is checked before any lookup.
/// A deleted token's credentials, and a rolled-away key or secret after its grace window, belong to
/// nobody any more: they work nowhere, so their leak changes nothing.
fn owner(
    conn: &mut DbConn,
    text: &str,
    now: time::PrimitiveDateTime,
) -> diesel::QueryResult<Option<(Kind, AccessToken)>> {
    let kind = match kind_of(text) {
        Some(k) => k,
        None => return Ok(None),
    };
    let hash = sha256(text);
    let token = match kind {
        Kind::ApiSecret if has_valid_checksum(text) => {
            AccessToken::find_by_secret_hash(conn, &hash)?
        }
        Kind::ApiKey if well_formed_key(text) => {
            AccessToken::find_by_key_hash(conn, &hash)?.map(|(t, _merchant, _limit)| t)
        }
        Kind::PublicKey => AccessToken::find_by_public_key(conn, text)?.map(|(t, _merchant)| t),
        _ => None,
    };
    Ok(token
        .filter(|t| t.deleted_at.is_none() && still_works(t, kind, &hash, now))
        .map(|t| (kind, t)))
}

/// Whether the token's key or secret (by `kind`) has this hash now: the current one, or the
/// previous one inside the roll's grace window.
fn still_works(token: &AccessToken, kind: Kind, hash: &[u8], now: time::PrimitiveDateTime) -> bool {
    let (current, previous) = match kind {
        Kind::ApiKey => (&token.key_hash, &token.previous_key_hash),
        Kind::ApiSecret => (&token.secret_hash, &token.previous_secret_hash),
        // A roll keeps the public key: the lookup matched the one there is.
        Kind::PublicKey => return true,
    };
    current.as_slice() == hash
        || (previous.as_deref() == Some(hash)
            && token.previous_expires_at.is_some_and(|until| until > now))
}

fn well_formed_key(text: &str) -> bool {
    text.strip_prefix(crate::domain::credentials::API_KEY_PREFIX)
        .is_some_and(|r| {
            r.len() == API_KEY_RANDOM_LEN && r.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::ApiKey => "api_key",
        Kind::ApiSecret => "api_secret",
        Kind::PublicKey => "public_key",
    }
}

/// Acts on one finding, in one transaction: see [`Outcome`]. Reporting the same finding again
/// changes nothing more.
pub fn handle(
    conn: &mut DbConn,
    cache: &TokenCache,
    reporter: Reporter,
    finding: Finding<'_>,
) -> diesel::QueryResult<Outcome> {
    let (source, url) = (clipped(finding.source), clipped(finding.url));
    let now = crate::db::now();
    let outcome = conn.write_transaction(|conn| -> diesel::QueryResult<Outcome> {
        let Some((kind, token)) = owner(conn, finding.token, now)? else {
            return Ok(Outcome::FalsePositive);
        };
        let report = |outcome| NewLeakReport {
            received_at: now,
            reporter: reporter.as_str(),
            kind: kind_name(kind),
            token_id: token.id,
            merchant_id: token.merchant_id,
            outcome,
            source,
            url,
        };
        let actor = Actor::scanner(&format!("{} secret scanning", reporter.label()));
        let detail = format!(
            "reporter: {}; source: {source}; url: {url}",
            reporter.label()
        );
        if kind == Kind::PublicKey {
            if !LeakReport::exists(conn, token.id, "recorded", url)? {
                LeakReport::record(conn, &report("recorded"))?;
                audit::record(
                    conn,
                    &actor,
                    Event::PublicKeyReported,
                    Some(token.merchant_id),
                    Some(target(&token)),
                    &detail,
                )?;
            }
            return Ok(Outcome::PublicKeyRecorded);
        }
        if token.status == TokenStatus::Disabled {
            return Ok(Outcome::AlreadyDisabled);
        }
        let why = reason(source, url);
        AccessToken::set_status(
            conn,
            token.id,
            TokenStatus::Disabled,
            now,
            false,
            Some(&why),
        )?;
        LeakReport::record(conn, &report("disabled"))?;
        audit::record(
            conn,
            &actor,
            Event::TokenLeakDisabled,
            Some(token.merchant_id),
            Some(target(&token)),
            &format!("{detail}; found: {}", kind_name(kind)),
        )?;
        Ok(Outcome::Disabled)
    })?;
    if outcome == Outcome::Disabled {
        cache.invalidate_all();
    }
    Ok(outcome)
}

/// What the Access Tokens banner lists: a token disabled after a leak report, not yet acknowledged.
#[derive(Debug, Clone)]
pub struct Unacknowledged {
    /// The report.
    pub report: LeakReport,
    /// The token's name.
    pub token_name: String,
}

/// The merchant's leak disables no admin has acknowledged yet, newest first.
pub fn unacknowledged(
    conn: &mut DbConn,
    merchant: crate::db::models::MerchantId,
) -> diesel::QueryResult<Vec<Unacknowledged>> {
    Ok(LeakReport::unacknowledged(conn, merchant)?
        .into_iter()
        .map(|(report, token_name)| Unacknowledged { report, token_name })
        .collect())
}

/// An admin acknowledges the banner: every unacknowledged report of their merchant, recorded in
/// the history, in one transaction. Returns how many there were (none: nothing recorded).
pub fn acknowledge(
    conn: &mut DbConn,
    merchant: crate::db::models::MerchantId,
    actor: &Actor,
) -> diesel::QueryResult<usize> {
    let Some(user) = actor.user_id else {
        return Ok(0);
    };
    conn.write_transaction(|conn| {
        let count = LeakReport::acknowledge_all(conn, merchant, user, crate::db::now())?;
        if count > 0 {
            audit::record(
                conn,
                actor,
                Event::LeakReportsAcknowledged,
                Some(merchant),
                None,
                &format!("leak reports acknowledged: {count}"),
            )?;
        }
        Ok(count)
    })
}
