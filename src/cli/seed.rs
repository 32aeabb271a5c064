//! Fills a database with merchants and tokens for load work (`kwik-dashboard seed`), in batched
//! inserts, one transaction per batch. The generated credentials are discarded: only their hashes are
//! stored, as for real tokens.

use std::io::Write;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use zeroize::Zeroizing;

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
    mut sample: Option<&mut Sample>,
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
            match (sample.as_deref_mut(), pending.last()) {
                (Some(sample), Some(row)) if row.status == TokenStatus::Live => {
                    sample.offer(&row.credentials)?;
                }
                _ => {}
            }
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

/// A uniform random sample of the live tokens' credentials a seed run made (reservoir sampling), for
/// load tests that must call the API as tokens spread over the whole table. In memory until written.
pub struct Sample {
    keep: usize,
    seen: u64,
    picked: Vec<(Zeroizing<String>, Zeroizing<String>)>,
}

impl Sample {
    /// A sample of at most `keep` credentials.
    pub fn new(keep: usize) -> Self {
        Self {
            keep,
            seen: 0,
            picked: Vec::with_capacity(keep.min(1_000_000)),
        }
    }

    fn offer(&mut self, credentials: &NewCredentials) -> Result<(), RandomError> {
        self.seen += 1;
        let pair = || (credentials.api_key.clone(), credentials.api_secret.clone());
        if self.picked.len() < self.keep {
            self.picked.push(pair());
            return Ok(());
        }
        let draw = u64::from_le_bytes(crate::domain::credentials::random_bytes::<8>()?);
        if let Some(slot) = self.picked.get_mut((draw % self.seen) as usize) {
            *slot = pair();
        }
        Ok(())
    }

    /// How many credentials it holds.
    pub fn len(&self) -> usize {
        self.picked.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.picked.is_empty()
    }

    /// Writes `API_KEY:API_SECRET` lines to `path`, a new file only its owner can read.
    pub fn write_new(&self, path: &std::path::Path) -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = std::io::BufWriter::new(options.open(path)?);
        for (key, secret) in &self.picked {
            writeln!(out, "{}:{}", key.as_str(), secret.as_str())?;
        }
        out.flush()
    }
}

/// `kwik-dashboard seed`: `merchants` new merchants of `tokens_per_merchant` tokens each (or that
/// many into the merchant `into`), with progress on stderr and the rate on stdout; with
/// `sample = Some((path, n))`, n of the new live tokens' credentials written to `path` for a load
/// test.
pub fn command(
    state: &crate::web::state::AppState,
    (merchants, tokens_per_merchant): (usize, usize),
    into: Option<&str>,
    sample: Option<(std::path::PathBuf, usize)>,
) -> anyhow::Result<()> {
    let mut conn = state.database.pool.get()?;
    let merchants = if into.is_some() { 1 } else { merchants };
    let total = merchants * tokens_per_merchant;
    let mut last_report = Instant::now();
    let mut picked = sample.as_ref().map(|(_, n)| Sample::new(*n));
    let report = seed(
        &mut conn,
        &state.keyring,
        into,
        merchants,
        tokens_per_merchant,
        |done| {
            if last_report.elapsed() >= Duration::from_secs(5) {
                eprintln!("  {done} / {total} tokens");
                last_report = Instant::now();
            }
        },
        picked.as_mut(),
    )?;
    let secs = report.elapsed.as_secs_f64();
    println!(
        "Seeded {} tokens over {} merchants in {secs:.1} s ({:.0} tokens/s).",
        report.tokens,
        report.merchants,
        report.tokens as f64 / secs.max(f64::EPSILON)
    );
    if let Some(first) = report.first_merchant {
        println!("First merchant: \"{first}\" (add a user with `user add --merchant`).");
    }
    if let (Some((path, _)), Some(picked)) = (sample, picked) {
        picked
            .write_new(&path)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        println!(
            "Wrote {} credentials, drawn at random, to {} (a load test's; delete it after).",
            picked.len(),
            path.display()
        );
    }
    Ok(())
}
