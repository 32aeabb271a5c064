//! A fixed set of threads for password hashing. argon2id takes 19 MiB a hash; on the general blocking
//! pool every thread that ever hashed keeps that memory in its allocator arena, so a login storm grew
//! the process by hundreds of MiB. Here at most `threads` hashes run at once, on the same threads, and
//! the rest queue: logins wait, none is refused, and memory stays at `threads` × the argon2 cost. The
//! threads run at the lowest scheduling priority, so hashing only takes the CPU that requests leave.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads.
#[derive(Debug, Clone)]
pub struct HashPool {
    jobs: Sender<Job>,
}

/// The pool has stopped (its threads are gone).
#[derive(Debug, thiserror::Error)]
#[error("the password hashing threads have stopped")]
pub struct PoolStopped;

impl HashPool {
    /// Starts `threads` hashing threads.
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue: Arc<Mutex<Receiver<Job>>> = queue.clone();
            std::thread::Builder::new()
                .name(format!("kwik-hash-{n}"))
                .spawn(move || {
                    // Below the request workers: under load a page view is served before the next
                    // slice of a hash, so a login storm cannot slow every page (sign-ins wait instead).
                    if let Err(e) = thread_priority::set_current_thread_priority(
                        thread_priority::ThreadPriority::Min,
                    ) {
                        tracing::warn!(error = %e, "password hashing runs at normal priority");
                    }
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Self { jobs })
    }

    /// Runs `work` on a hashing thread and waits (asynchronously) for its answer.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolStopped> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(work());
            }))
            .map_err(|_| PoolStopped)?;
        rx.await.map_err(|_| PoolStopped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn work_runs_on_the_pool_threads_and_answers_back() {
        let pool = HashPool::new(2).unwrap();
        let names: Vec<String> =
            futures_util::future::join_all((0..6).map(|_| {
                pool.run(|| std::thread::current().name().unwrap_or_default().to_owned())
            }))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert!(
            names
                .iter()
                .all(|n| n == "kwik-hash-0" || n == "kwik-hash-1"),
            "{names:?}"
        );
    }
}
