//! `rotate-master-key`: re-seals every API secret under a new master key, in batches, resumable.
//!
//! With the key in `$KWIK_DATA_DIR/master.key`, the new key is generated into `master.key.next`
//! first, every secret is re-sealed, then the files are swapped (the old key is kept as
//! `master.key.old-<id>`). A crash in between is finished by running the command again. With
//! `KWIK_MASTER_KEY`, the new key comes from `KWIK_NEW_MASTER_KEY`, so no key is ever printed.

use std::path::PathBuf;

use diesel::Connection;

use crate::config::Config;
use crate::credentials::seal::{Keyring, MasterKey};
use crate::db::DbConn;
use crate::db::models::AccessToken;
use crate::state::{AppState, MASTER_KEY_FILE, decode_master_key, load_keyring, write_key_file};

/// Secrets re-sealed per transaction.
const BATCH: i64 = 500;

/// Re-seals every secret (current, and previous ones in a roll's grace window) that is not under `new`
/// yet. Returns how many were re-sealed.
pub fn reseal_all(conn: &mut DbConn, old: &Keyring, new: &Keyring) -> anyhow::Result<usize> {
    let current = reseal(
        conn,
        old,
        new,
        AccessToken::sealed_not_under,
        AccessToken::set_sealed,
    )?;
    let previous = reseal(
        conn,
        old,
        new,
        AccessToken::previous_sealed_not_under,
        AccessToken::set_previous_sealed,
    )?;
    Ok(current + previous)
}

type Find = fn(
    &mut DbConn,
    &str,
    i64,
) -> diesel::QueryResult<Vec<crate::db::models::access_token::SealedSecret>>;
type Store = fn(&mut DbConn, crate::db::models::TokenId, &str, &[u8]) -> diesel::QueryResult<()>;

fn reseal(
    conn: &mut DbConn,
    old: &Keyring,
    new: &Keyring,
    find: Find,
    store: Store,
) -> anyhow::Result<usize> {
    let mut done = 0;
    loop {
        let rows = find(conn, new.current_id(), BATCH)?;
        if rows.is_empty() {
            return Ok(done);
        }
        conn.transaction(|conn| -> anyhow::Result<()> {
            for (id, key_hash, key_id, sealed) in &rows {
                let secret = old
                    .open(key_id, sealed, key_hash)
                    .map_err(|e| anyhow::anyhow!("token {}: {e}", id.0))?;
                let (new_id, resealed) = new.seal(&secret, key_hash)?;
                store(conn, *id, &new_id, &resealed)?;
            }
            Ok(())
        })?;
        done += rows.len();
    }
}

/// Runs the command with the environment's configuration; returns what to tell the operator.
pub fn rotate_master_key() -> anyhow::Result<String> {
    let config = Config::from_env()?;
    let file_based = config.master_key.is_none();
    let next_path: PathBuf = config.data_dir.join(format!("{MASTER_KEY_FILE}.next"));
    let new_key = if file_based {
        if next_path.exists() {
            decode_master_key(&std::fs::read_to_string(&next_path)?).map_err(anyhow::Error::msg)?
        } else {
            let key = crate::credentials::random_bytes::<32>()?.to_vec();
            write_key_file(&next_path, &key, true)?;
            key
        }
    } else {
        let text = std::env::var("KWIK_NEW_MASTER_KEY").map_err(|_| {
            anyhow::anyhow!("KWIK_MASTER_KEY is set: put the new key in KWIK_NEW_MASTER_KEY (`openssl rand -base64 32`)")
        })?;
        decode_master_key(&text).map_err(|e| anyhow::anyhow!("KWIK_NEW_MASTER_KEY: {e}"))?
    };
    let state = AppState::build(config.clone())?;
    let old = load_keyring(&config)?;
    let new = Keyring::new(
        MasterKey::new(&new_key).map_err(anyhow::Error::msg)?,
        vec![],
    );
    if new.current_id() == old.current_id() {
        anyhow::bail!("the new master key is the current one");
    }
    let mut conn = state.pool.get()?;
    let count = reseal_all(&mut conn, &old, &new)?;
    if file_based {
        let current = config.data_dir.join(MASTER_KEY_FILE);
        let kept = config
            .data_dir
            .join(format!("{MASTER_KEY_FILE}.old-{}", old.current_id()));
        std::fs::rename(&current, &kept)?;
        std::fs::rename(&next_path, &current)?;
        Ok(format!(
            "Re-sealed {count} secrets under master key {}. {} now holds it; the old key is in {} \
             (delete it once every instance has restarted). Restart the dashboard.",
            new.current_id(),
            current.display(),
            kept.display()
        ))
    } else {
        Ok(format!(
            "Re-sealed {count} secrets under master key {}. Now set KWIK_MASTER_KEY to the value of \
             KWIK_NEW_MASTER_KEY on every instance (and KWIK_MASTER_KEY_PREVIOUS to the old key until all \
             have restarted).",
            new.current_id()
        ))
    }
}
