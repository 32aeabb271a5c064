//! Re-sealing every API secret (and every user's TOTP secret) under a new master key, in batches of one transaction each, so a
//! rotation stopped half-way is finished by running it again. The key files are `cli::rotate`'s.

use crate::db::DbConn;
use crate::db::models::AccessToken;
use crate::domain::credentials::seal::Keyring;

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
    Ok(current + previous + reseal_totp(conn, old, new)?)
}

/// Re-seals users' TOTP secrets (bound to their user ids) under `new`.
fn reseal_totp(conn: &mut DbConn, old: &Keyring, new: &Keyring) -> anyhow::Result<usize> {
    use crate::db::models::two_factor;
    use crate::domain::auth::totp::binding;
    let (mut done, mut after) = (0, crate::db::models::UserId(0));
    loop {
        let rows = two_factor::sealed_batch(conn, new.current_id(), after, BATCH)?;
        let Some(last) = rows.last() else {
            return Ok(done);
        };
        after = last.0;
        conn.write_transaction(|conn| -> anyhow::Result<()> {
            for (user, sealed, key_id) in &rows {
                let secret = old
                    .open(key_id, sealed, &binding(*user))
                    .map_err(|e| anyhow::anyhow!("user {}'s TOTP secret: {e}", user.0))?;
                let (new_id, resealed) = new.seal(&secret, &binding(*user))?;
                two_factor::store_sealed(conn, *user, &new_id, &resealed)?;
            }
            Ok(())
        })?;
        done += rows.len();
    }
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
        conn.write_transaction(|conn| -> anyhow::Result<()> {
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
