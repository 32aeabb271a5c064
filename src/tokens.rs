//! Access-token use cases: validating the create form, creating a token with fresh credentials, and
//! enabling or disabling it. Plain values in, decisions out; no HTTP.

use diesel::Connection;

use crate::audit::{self, Actor, Event, Target};
use crate::credentials::seal::{Keyring, SealError};
use crate::credentials::{NewCredentials, Permission, RandomError, Section, Sections, TokenStatus};
use crate::db::DbConn;
use crate::db::models::{AccessToken, MerchantId, NewAccessToken, TokenId};

/// Longest token name, in characters.
pub const NAME_MAX: usize = 100;

/// The create form as submitted: every value still text.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenInput {
    /// Friendly name.
    #[serde(default)]
    pub name: String,
    /// Section slugs (repeated field).
    #[serde(default)]
    pub sections: Vec<String>,
    /// `read_only` or `read_write`; absent means the default, Read-Only.
    #[serde(default)]
    pub permission: Option<String>,
    /// `live` or `disabled`; absent means the default, Live.
    #[serde(default)]
    pub status: Option<String>,
}

/// A validated token definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    /// Trimmed name, 1 to [`NAME_MAX`] characters.
    pub name: String,
    /// At least one section.
    pub sections: Sections,
    /// Access level.
    pub permission: Permission,
    /// Initial status.
    pub status: TokenStatus,
}

/// A message per field that did not validate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    /// About the name.
    pub name: Option<String>,
    /// About the sections.
    pub sections: Option<String>,
    /// About the permission.
    pub permission: Option<String>,
    /// About the status.
    pub status: Option<String>,
}

impl FieldErrors {
    /// Whether no field has an error.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.sections.is_none()
            && self.permission.is_none()
            && self.status.is_none()
    }

    /// How many fields have an error.
    pub fn count(&self) -> usize {
        [&self.name, &self.sections, &self.permission, &self.status]
            .iter()
            .filter(|e| e.is_some())
            .count()
    }
}

/// Checks the form. Every problem is reported at once, each next to its field; nothing is dropped
/// silently (an unknown section is an error, not ignored).
pub fn validate(input: &TokenInput) -> Result<TokenSpec, FieldErrors> {
    let mut errors = FieldErrors::default();

    let name = input.name.trim();
    let length = name.chars().count();
    if name.is_empty() {
        errors.name =
            Some("Enter a name, so you can tell which integration uses this token.".into());
    } else if length > NAME_MAX {
        errors.name = Some(format!(
            "Use at most {NAME_MAX} characters; this name has {length}."
        ));
    } else if name.chars().any(char::is_control) {
        errors.name = Some("Remove line breaks and other control characters from the name.".into());
    }

    let mut sections = Vec::new();
    let mut unknown = Vec::new();
    for slug in &input.sections {
        match slug.parse::<Section>() {
            Ok(s) => sections.push(s),
            Err(_) => unknown.push(slug.as_str()),
        }
    }
    if !unknown.is_empty() {
        let list = unknown
            .iter()
            .map(|u| format!("“{u}”"))
            .collect::<Vec<_>>()
            .join(", ");
        errors.sections = Some(format!(
            "{list} is not a Kwik section. Choose sections from the list."
        ));
    } else if sections.is_empty() {
        errors.sections = Some(
            "Choose at least one section: the token can reach only the sections you choose.".into(),
        );
    }

    let permission = match input.permission.as_deref() {
        None | Some("") => Some(Permission::ReadOnly),
        Some(p) => p.parse().ok(),
    };
    if permission.is_none() {
        errors.permission = Some("Choose Read-Only or Read-Write.".into());
    }
    let status = match input.status.as_deref() {
        None | Some("") => Some(TokenStatus::Live),
        Some(s) => s.parse().ok(),
    };
    if status.is_none() {
        errors.status = Some("Choose Live or Disabled.".into());
    }

    match (errors.is_empty(), permission, status) {
        (true, Some(permission), Some(status)) => Ok(TokenSpec {
            name: name.to_owned(),
            sections: Sections::new(sections),
            permission,
            status,
        }),
        _ => Err(errors),
    }
}

/// Why a token could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// No credentials could be generated.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The secret could not be sealed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The database refused.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Creates a token for `merchant` with fresh credentials, in one transaction. The returned credentials
/// are the only copy of API_KEY and API_SECRET that will ever exist: only their hashes are stored.
pub fn create(
    conn: &mut DbConn,
    keyring: &Keyring,
    merchant: MerchantId,
    actor: &Actor,
    spec: &TokenSpec,
) -> Result<(AccessToken, NewCredentials), CreateError> {
    let credentials = NewCredentials::generate()?;
    let now = crate::db::now();
    let (key_hash, secret_hash) = (credentials.key_hash(), credentials.secret_hash());
    // Sealed for signed requests, bound to this key hash; the plain secret is never stored.
    let (key_id, sealed) = keyring.seal(credentials.api_secret.as_bytes(), &key_hash)?;
    let sections = spec.sections.to_stored();
    let token = conn.transaction(|conn| {
        let token = AccessToken::insert(
            conn,
            &NewAccessToken {
                merchant_id: merchant,
                name: &spec.name,
                key_prefix: credentials.key_prefix(),
                key_suffix: credentials.key_suffix(),
                key_hash: &key_hash,
                secret_hash: &secret_hash,
                public_key: &credentials.public_key,
                permission: spec.permission,
                status: spec.status,
                sections: &sections,
                created_at: now,
                created_by: actor.user_id,
                updated_at: now,
                secret_sealed: Some(&sealed),
                secret_key_id: Some(&key_id),
            },
        )?;
        audit::record(
            conn,
            actor,
            Event::TokenCreated,
            Some(merchant),
            Some(target(&token)),
            &describe(spec),
        )?;
        Ok::<_, diesel::result::Error>(token)
    })?;
    Ok((token, credentials))
}

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
    conn.transaction(|conn| {
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
    })
}

fn label_of(status: TokenStatus) -> &'static str {
    status.label()
}

/// The history's reference to a token.
pub fn target(token: &AccessToken) -> Target<'_> {
    Target {
        kind: "token",
        id: token.id.0,
        label: &token.name,
    }
}

/// A token's settings in one line, for the history: `Read-Write · Live · Customers, Payments`.
pub fn describe(spec: &TokenSpec) -> String {
    let sections = spec
        .sections
        .iter()
        .map(Section::label)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} · {} · {sections}",
        spec.permission.label(),
        spec.status.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, sections: &[&str]) -> TokenInput {
        TokenInput {
            name: name.into(),
            sections: sections.iter().map(|s| s.to_string()).collect(),
            permission: None,
            status: None,
        }
    }

    #[test]
    fn a_valid_form_defaults_to_read_only_and_live() {
        let spec = validate(&input("  Shopify sync  ", &["payments", "customers"])).unwrap();
        assert_eq!(spec.name, "Shopify sync");
        assert_eq!(spec.permission, Permission::ReadOnly);
        assert_eq!(spec.status, TokenStatus::Live);
        assert_eq!(spec.sections.to_stored(), "customers,payments");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut bad = input("", &[]);
        bad.permission = Some("admin".into());
        bad.status = Some("paused".into());
        let errors = validate(&bad).unwrap_err();
        assert_eq!(errors.count(), 4);
    }

    #[test]
    fn an_unknown_section_is_an_error_not_dropped() {
        let errors = validate(&input("x", &["payments", "wallets"])).unwrap_err();
        assert!(errors.sections.unwrap().contains("“wallets”"));
    }

    #[test]
    fn names_are_limited_to_100_characters_after_trimming() {
        assert!(validate(&input(&"é".repeat(100), &["orders"])).is_ok());
        let errors = validate(&input(&"a".repeat(101), &["orders"])).unwrap_err();
        assert!(errors.name.unwrap().contains("101"));
        assert!(
            validate(&input("   ", &["orders"]))
                .unwrap_err()
                .name
                .is_some()
        );
        assert!(
            validate(&input("two\nlines", &["orders"]))
                .unwrap_err()
                .name
                .is_some()
        );
    }
}
