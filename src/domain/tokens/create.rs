//! Creating a token with fresh credentials, sealed secret and history event, in one transaction.

use super::{TokenSpec, allowlist_text, describe, target};
use crate::db::DbConn;
use crate::db::models::access_token::{is_name_conflict, natural_key};
use crate::db::models::{AccessToken, MerchantId, NewAccessToken};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::credentials::seal::{Keyring, SealError};
use crate::domain::credentials::{NewCredentials, RandomError};

/// Why a token could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// No credentials could be generated.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The secret could not be sealed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Another token of the merchant already has this name (ignoring case).
    #[error("another token is already called {0:?}")]
    DuplicateName(String),
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
    let allowlist = allowlist_text(&spec.ip_allowlist);
    let token = conn
        .write_transaction(|conn| {
            if AccessToken::name_taken(conn, merchant, &spec.name, None)? {
                return Err(CreateError::DuplicateName(spec.name.clone()));
            }
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
                    expires_at: spec.expires_at,
                    ip_allowlist: &allowlist,
                    rate_limit: spec.rate_limit,
                    name_key: natural_key(&spec.name),
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
            Ok(token)
        })
        .map_err(|e| duplicate_name(e, &spec.name))?;
    Ok((token, credentials))
}

/// A create that lost a race with another for the same name meets the unique index: the same answer.
fn duplicate_name(err: CreateError, name: &str) -> CreateError {
    match err {
        CreateError::Db(e) if is_name_conflict(&e) => CreateError::DuplicateName(name.to_owned()),
        other => other,
    }
}
