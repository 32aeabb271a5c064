//! A set of first uses in Redis: `SET key 1 NX EXAT expires` answers whether a key is new, atomically,
//! for every client of the same server, and Redis forgets the key by itself when it expires.
//!
//! Synchronous (the `redis` crate without its async runtime): it runs on threads of its own, as the
//! database does. Connections are kept for reuse; one that failed is dropped, and the next call
//! connects again, so an outage ends by itself.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::{Client, Connection, Value};

/// A Redis server keeping first uses under one key prefix.
pub struct RedisSet {
    client: Client,
    prefix: String,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for RedisSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: only where it points.
        let info = self.client.get_connection_info();
        f.debug_struct("RedisSet")
            .field("addr", &info.addr().to_string())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisSet {
    /// `url` is `redis://[user:password@]host[:port][/db]`. No connection is made yet: an instance
    /// starts while Redis is down, and refuses what needs it until it is back.
    pub fn new(url: &str, prefix: &str) -> redis::RedisResult<Self> {
        Ok(Self {
            client: Client::open(url)?,
            prefix: prefix.to_owned(),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// For each `(key, expires_at)` in order (unix seconds), whether it is the first use: one
    /// round trip for them all (a pipeline), waiting at most `deadline` to connect, to send and
    /// to read. A key that appears twice is a first use only the first time, as Redis runs the
    /// pipeline's commands in order.
    pub fn first_uses(
        &self,
        keys: &[([u8; 32], i64)],
        deadline: Duration,
    ) -> redis::RedisResult<Vec<bool>> {
        let mut pipe = redis::pipe();
        let mut key = String::with_capacity(self.prefix.len() + 64);
        for (hash, expires_at) in keys {
            key.clear();
            key.push_str(&self.prefix);
            key.push_str(&hex::encode(hash));
            pipe.cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("NX")
                .arg("EXAT")
                .arg(*expires_at);
        }
        let replies: Vec<Value> = self.with_connection(deadline, |c| pipe.query(c))?;
        replies
            .into_iter()
            .map(|reply| match reply {
                Value::Okay => Ok(true),
                Value::Nil => Ok(false),
                other => Err(redis::RedisError::from((
                    redis::ErrorKind::UnexpectedReturnType,
                    "SET NX answered neither OK nor nil",
                    format!("{other:?}"),
                ))),
            })
            .collect()
    }

    /// Whether the server answers `PING` within `deadline`.
    pub fn ping(&self, deadline: Duration) -> redis::RedisResult<()> {
        self.with_connection(deadline, |c| redis::cmd("PING").query::<()>(c))
    }

    fn with_connection<T>(
        &self,
        deadline: Duration,
        f: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        let kept = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut conn = match kept {
            Some(conn) => conn,
            None => self.client.get_connection_with_timeout(deadline)?,
        };
        conn.set_read_timeout(Some(deadline))?;
        conn.set_write_timeout(Some(deadline))?;
        // Only a connection that answered goes back: one that failed may hold half a reply.
        let answer = f(&mut conn)?;
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
        Ok(answer)
    }
}
