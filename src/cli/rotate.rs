//! `rotate-master-key`: re-seals every API secret under a new master key, in batches, resumable.
//!
//! With the key in `$KWIK_DATA_DIR/master.key`, the new key is generated into `master.key.next`
//! first, every secret is re-sealed, then the files are swapped (the old key is kept as
//! `master.key.old-<id>`). A crash in between is finished by running the command again. With
//! `KWIK_MASTER_KEY`, the new key comes from `KWIK_NEW_MASTER_KEY`, so no key is ever printed.

use std::path::PathBuf;

use crate::config::Config;
use crate::domain::credentials::rotation::reseal_all;
use crate::domain::credentials::seal::{Keyring, MasterKey, load_keyring};
use crate::keys::{MASTER_KEY_FILE, decode_master_key, write_key_file};
use crate::web::state::AppState;

/// Runs the command with the environment's configuration; returns what to tell the operator.
pub fn rotate_master_key() -> anyhow::Result<String> {
    let config = Config::from_env()?;
    let file_based = config.master_key.is_none();
    let next_path: PathBuf = config.data_dir.join(format!("{MASTER_KEY_FILE}.next"));
    let new_key = if file_based {
        if next_path.exists() {
            decode_master_key(&std::fs::read_to_string(&next_path)?).map_err(anyhow::Error::msg)?
        } else {
            let key = crate::domain::credentials::random_bytes::<32>()?.to_vec();
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
    let mut conn = state.database.pool.get()?;
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
