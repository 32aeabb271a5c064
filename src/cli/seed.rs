//! Fills a database with merchants and tokens for load work (`kwik-dashboard seed`), in batched
//! inserts, one transaction per batch. The generated credentials are discarded: only their hashes are
//! stored, as for real tokens.

use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::db::models::access_token::natural_key;
use crate::db::models::{AccessToken, Merchant, MerchantId, NewAccessToken};
use crate::db::schema::merchants;
use crate::db::{DbConn, now};
use crate::domain::credentials::seal::Keyring;
use crate::domain::credentials::{
    NewCredentials, Permission, RandomError, Section, Sections, TokenStatus,
};

/// What a seed run did.
#[derive(Debug, Clone)]
pub struct SeedReport {
    /// Merchants created.
    pub merchants: usize,
    /// Tokens created.
    pub tokens: usize,
    /// Name of the first merchant created (to add a user to it for measurements).
    pub first_merchant: Option<String>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Why seeding stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The random source failed.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The database refused.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// A secret could not be sealed.
    #[error(transparent)]
    Seal(#[from] crate::domain::credentials::seal::SealError),
}

/// Rows per INSERT: below each backend's bound-parameter limit (13 columns a row).
fn batch_rows(conn: &DbConn) -> usize {
    match conn {
        DbConn::Sqlite(_) => 500,
        DbConn::Pg(_) => 2_000,
    }
}

/// Creates `merchants` new merchants with `tokens_per_merchant` tokens each, or with `into`, that many
/// tokens in the merchant of that name (created if missing). `progress` hears the running token count
/// after every batch.
pub fn seed(
    conn: &mut DbConn,
    keyring: &Keyring,
    into: Option<&str>,
    merchants: usize,
    tokens_per_merchant: usize,
    mut progress: impl FnMut(usize),
) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    let run = hex::encode(crate::domain::credentials::random_bytes::<3>()?);
    let batch = batch_rows(conn);
    let stamp = now();
    let mut created = 0usize;
    let mut first_merchant = None;
    let mut pending: Vec<Row> = Vec::with_capacity(batch);
    let mut rng_bytes = [0u8; 64];
    let mut rng_used = rng_bytes.len();

    let merchants = if into.is_some() { 1 } else { merchants };
    for m in 0..merchants {
        let (name, merchant) = match into {
            Some(name) => (name.to_owned(), Merchant::find_or_create(conn, name)?.id),
            None => {
                let name = format!("Seed {run} #{:06}", m + 1);
                let id: MerchantId = diesel::insert_into(merchants::table)
                    .values((merchants::name.eq(&name), merchants::created_at.eq(stamp)))
                    .returning(merchants::id)
                    .get_result(conn)?;
                (name, id)
            }
        };
        first_merchant.get_or_insert(name);
        for t in 0..tokens_per_merchant {
            if rng_used + 4 > rng_bytes.len() {
                rng_bytes = crate::domain::credentials::random_bytes::<64>()?;
                rng_used = 0;
            }
            let r = &rng_bytes[rng_used..rng_used + 4];
            rng_used += 4;
            // Varied but plausible tokens: 1–10 sections, a fifth Read-Write, a tenth disabled, spread over a year.
            let sections = Sections::new(
                Section::ALL
                    .iter()
                    .copied()
                    .filter(|s| (u16::from(r[0]) | u16::from(r[1]) << 8) >> (*s as u16) & 1 == 1),
            );
            let sections = if sections.is_empty() {
                Sections::new([Section::Payments])
            } else {
                sections
            };
            let age =
                time::Duration::minutes(i64::from(r[2]) * 2_000 + i64::from(r[3]) * 8 + t as i64);
            pending.push(Row {
                merchant,
                // Names are unique in a merchant: one that already has tokens gets this run's.
                name: if into.is_some() {
                    format!("Integration {} ({run})", t + 1)
                } else {
                    format!("Integration {}", t + 1)
                },
                credentials: NewCredentials::generate()?,
                sections: sections.to_stored(),
                permission: if r[3] % 5 == 0 {
                    Permission::ReadWrite
                } else {
                    Permission::ReadOnly
                },
                status: if r[2] % 10 == 0 {
                    TokenStatus::Disabled
                } else {
                    TokenStatus::Live
                },
                created_at: stamp - age,
            });
            if pending.len() == batch {
                created += flush(conn, keyring, &mut pending)?;
                progress(created);
            }
        }
    }
    created += flush(conn, keyring, &mut pending)?;
    progress(created);
    Ok(SeedReport {
        merchants,
        tokens: created,
        first_merchant,
        elapsed: started.elapsed(),
    })
}

struct Row {
    merchant: MerchantId,
    name: String,
    credentials: NewCredentials,
    sections: String,
    permission: Permission,
    status: TokenStatus,
    created_at: time::PrimitiveDateTime,
}

fn flush(conn: &mut DbConn, keyring: &Keyring, pending: &mut Vec<Row>) -> Result<usize, SeedError> {
    if pending.is_empty() {
        return Ok(0);
    }
    let hashes = pending
        .iter()
        .map(|r| {
            let key_hash = r.credentials.key_hash();
            let (key_id, sealed) = keyring.seal(r.credentials.api_secret.as_bytes(), &key_hash)?;
            Ok((key_hash, r.credentials.secret_hash(), key_id, sealed))
        })
        .collect::<Result<Vec<_>, SeedError>>()?;
    let values: Vec<NewAccessToken<'_>> = pending
        .iter()
        .zip(&hashes)
        .map(
            |(r, (key_hash, secret_hash, key_id, sealed))| NewAccessToken {
                merchant_id: r.merchant,
                name: &r.name,
                key_prefix: r.credentials.key_prefix(),
                key_suffix: r.credentials.key_suffix(),
                key_hash,
                secret_hash,
                public_key: &r.credentials.public_key,
                permission: r.permission,
                status: r.status,
                sections: &r.sections,
                created_at: r.created_at,
                created_by: None,
                updated_at: r.created_at,
                secret_sealed: Some(sealed),
                secret_key_id: Some(key_id),
                expires_at: None,
                ip_allowlist: "",
                rate_limit: None,
                name_key: natural_key(&r.name),
            },
        )
        .collect();
    let inserted = conn.write_transaction(|c| AccessToken::insert_batch(c, &values))?;
    drop(values);
    pending.clear();
    Ok(inserted)
}
