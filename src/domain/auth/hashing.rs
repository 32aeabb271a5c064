//! The one limiter for password hashing. Every hash and check a request needs (signing in, adding a
//! team member, and what comes later) runs here, on the hashing threads: argon2id takes 19 MiB a
//! hash, so at most `threads` run at once and the rest queue; none is refused, and none runs on the
//! database threads or holds a pooled connection while it hashes.

use std::sync::Arc;
use std::time::Instant;

use zeroize::Zeroizing;

use super::password::{HashError, Passwords};
use crate::infra::metrics::{self, HashOp};
use crate::infra::threads::Threads;

/// Password hashing on its own bounded threads; cheap to clone.
#[derive(Clone)]
pub struct Hashing {
    passwords: Arc<Passwords>,
    threads: Threads,
}

impl std::fmt::Debug for Hashing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hashing").finish_non_exhaustive()
    }
}

impl Hashing {
    /// Hashing with `passwords` on `threads`.
    pub fn new(passwords: Passwords, threads: Threads) -> Self {
        Self {
            passwords: Arc::new(passwords),
            threads,
        }
    }

    /// The hasher itself, for work outside a request (the command line, the first run).
    pub fn passwords(&self) -> &Passwords {
        &self.passwords
    }

    /// Password work waiting for a hashing thread now (for the metrics).
    pub fn queued(&self) -> usize {
        self.threads.queued()
    }

    /// The PHC string of `password`, computed on the hashing threads.
    pub async fn hash(&self, password: Zeroizing<String>) -> Result<String, HashError> {
        let passwords = self.passwords.clone();
        self.threads
            .run(timed(HashOp::Hash, move || passwords.hash(&password)))
            .await
            .map_err(|e| HashError::new(e.to_string()))?
    }

    /// Whether `password` matches `stored` (`None`: no such user, checked against a dummy hash so it
    /// takes as long), on the hashing threads.
    pub async fn verify(
        &self,
        password: Zeroizing<String>,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        let passwords = self.passwords.clone();
        self.threads
            .run(timed(HashOp::Verify, move || {
                passwords.verify(&password, stored.as_deref())
            }))
            .await
            .map_err(|e| HashError::new(e.to_string()))
    }
}

/// `work`, recording how long it waited for a thread (from now until it starts) and how long it ran.
fn timed<T>(op: HashOp, work: impl FnOnce() -> T) -> impl FnOnce() -> T {
    let queued = Instant::now();
    move || {
        let started = Instant::now();
        let answer = work();
        metrics::password_hash(op, started - queued, started.elapsed());
        answer
    }
}
