//! Fixed sets of named threads that blocking work runs on, answering back to the async caller.
//!
//! Two sets use it:
//! - **Password hashing** (`domain::auth::Hashing`): argon2id takes 19 MiB a hash, so at most
//!   `threads` run at once and the rest queue, and the memory stays in these threads' arenas. The
//!   threads are `SCHED_IDLE`: hashing takes the CPU that requests leave.
//! - **Database calls** (`db::Database`; `db::call_threads` says how many). Calls for the same key
//!   that queue together can share one run ([`Joined`]): the session store reads a session once for
//!   all of its requests that are waiting.
//!
//! The database threads and the request workers (`cli::serve`) are `SCHED_BATCH`: a woken thread
//! does not preempt the running one, so a worker queues the calls of every ready connection and a
//! database thread takes them back to back. The measurements behind both choices are in
//! `docs/perf.md`.

mod batched;
mod joined;

pub use batched::Batched;
pub use joined::Joined;

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// How the threads are scheduled against the request workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Only when nothing else wants the CPU (`SCHED_IDLE`): other threads mostly preempt it when they
    /// wake (see the module's notes for when they wait up to a tick).
    Lowest,
    /// A fair share, without preempting the thread that woke them (`SCHED_BATCH`).
    Batch,
}

/// A set of threads and the queue they take work from. The threads stop when the last clone is
/// dropped, after finishing the queued work.
#[derive(Debug, Clone)]
pub struct Threads {
    shared: Arc<Shared>,
    _closer: Arc<Closer>,
    name: &'static str,
}

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// Threads waiting for work.
    idle: usize,
    /// Of those, how many were woken and have not run yet: a push wakes a thread only if one is
    /// idle and not already woken, so a burst of calls wakes each idle thread at most once instead
    /// of once a call. A thread that runs takes queued work back to back until the queue is empty.
    woken: usize,
    closed: bool,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("jobs", &self.jobs.len())
            .field("idle", &self.idle)
            .field("woken", &self.woken)
            .field("closed", &self.closed)
            .finish()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A job runs outside the lock, so a panic cannot leave the queue half-changed.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn work(&self) {
        let mut queue = self.lock();
        loop {
            if let Some(job) = queue.jobs.pop_front() {
                drop(queue);
                // A panicking call fails only its own request (its answer is dropped); the thread
                // lives on, so the set never shrinks to nothing with work queued behind it.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                queue = self.lock();
                continue;
            }
            if queue.closed {
                return;
            }
            queue.idle += 1;
            queue = self
                .wake
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
            queue.idle -= 1;
            queue.woken = queue.woken.saturating_sub(1);
        }
    }
}

/// Closes the queue when the last handle goes.
#[derive(Debug)]
struct Closer(Arc<Shared>);

impl Drop for Closer {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.wake.notify_all();
    }
}

/// The work gave no answer: it panicked, or the threads have stopped.
#[derive(Debug, thiserror::Error)]
#[error("a call on the {0} threads gave no answer (it panicked, or the threads stopped)")]
pub struct Stopped(&'static str);

impl Threads {
    /// Starts `threads` threads named `kwik-{name}-{n}`.
    pub fn new(name: &'static str, threads: usize, priority: Priority) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        for n in 0..threads.max(1) {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("kwik-{name}-{n}"))
                .spawn(move || {
                    if let Err(e) = schedule(priority) {
                        tracing::warn!(error = %e, threads = name, ?priority, "threads keep the default scheduling");
                    }
                    shared.work();
                })?;
        }
        Ok(Self {
            _closer: Arc::new(Closer(shared.clone())),
            shared,
            name,
        })
    }

    /// Runs `work` on one of the threads and waits (asynchronously) for its answer.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Stopped> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.spawn(move || {
            let _ = tx.send(work());
        });
        rx.await.map_err(|_| Stopped(self.name))
    }

    /// How much work is queued and waiting for a thread now (not counting what runs).
    pub fn queued(&self) -> usize {
        self.shared.lock().jobs.len()
    }

    /// Queues `work` for one of the threads; nothing waits for it.
    pub fn spawn(&self, work: impl FnOnce() + Send + 'static) {
        let mut queue = self.shared.lock();
        queue.jobs.push_back(Box::new(work));
        if queue.idle > queue.woken {
            queue.woken += 1;
            self.shared.wake.notify_one();
        }
    }
}

/// Sets how the calling thread is scheduled.
pub fn schedule(priority: Priority) -> Result<(), thread_priority::Error> {
    use thread_priority::{
        NormalThreadSchedulePolicy as Normal, ThreadPriority, ThreadPriorityOsValue,
        ThreadSchedulePolicy, set_thread_priority_and_policy, thread_native_id,
    };
    let policy = match priority {
        Priority::Lowest => Normal::Idle,
        Priority::Batch => Normal::Batch,
    };
    // `Os(0)` is nice 0, the default. (The crate's cross-platform 0 is its lowest priority, nice 19.)
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Os(ThreadPriorityOsValue::default()),
        ThreadSchedulePolicy::Normal(policy),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One thread, held busy until `release` is sent, so that work queues behind it.
    pub(crate) fn held() -> (Threads, std::sync::mpsc::Sender<()>) {
        let threads = Threads::new("test", 1, Priority::Batch).unwrap();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        threads.spawn(move || {
            let _ = wait.recv();
        });
        (threads, release)
    }

    #[actix_web::test]
    async fn work_runs_on_the_named_threads_and_answers_back() {
        for priority in [Priority::Lowest, Priority::Batch] {
            let threads = Threads::new("test", 2, priority).unwrap();
            let names: Vec<String> = futures_util::future::join_all((0..6).map(|_| {
                threads.run(|| std::thread::current().name().unwrap_or_default().to_owned())
            }))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
            assert!(
                names
                    .iter()
                    .all(|n| n == "kwik-test-0" || n == "kwik-test-1"),
                "{names:?}"
            );
        }
    }

    #[actix_web::test]
    async fn a_panicking_call_fails_alone_and_the_thread_lives_on() {
        let threads = Threads::new("test", 1, Priority::Batch).unwrap();
        let failed = threads.run(|| -> u8 { panic!("boom") }).await;
        assert!(failed.is_err());
        assert_eq!(threads.run(|| 7).await.unwrap(), 7);
    }

    #[actix_web::test]
    async fn queued_counts_the_work_waiting_for_a_thread_not_the_work_running() {
        let threads = Threads::new("test", 1, Priority::Batch).unwrap();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        threads.spawn(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        started_rx.recv().unwrap();
        assert_eq!(threads.queued(), 0);
        threads.spawn(|| {});
        threads.spawn(|| {});
        assert_eq!(threads.queued(), 2);
        release_tx.send(()).unwrap();
        assert_eq!(
            threads.run(|| ()).await.map(|_| threads.queued()).unwrap(),
            0
        );
    }

    #[test]
    fn the_threads_stop_when_the_last_handle_is_dropped() {
        let threads = Threads::new("test", 2, Priority::Batch).unwrap();
        let copy = threads.clone();
        let shared = Arc::downgrade(&threads.shared);
        drop(threads);
        assert!(shared.upgrade().is_some(), "a clone still holds them");
        drop(copy);
        for _ in 0..400 {
            if shared.upgrade().is_none() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("the threads did not stop");
    }

    /// The policy and nice value of the calling thread.
    #[cfg(target_os = "linux")]
    fn how_scheduled() -> (thread_priority::ThreadSchedulePolicy, i64) {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        let nice = after_name.split(' ').nth(16).unwrap().parse().unwrap();
        (thread_priority::thread_schedule_policy().unwrap(), nice)
    }

    #[cfg(target_os = "linux")]
    #[actix_web::test]
    async fn threads_run_at_their_policy_and_the_default_nice_value() {
        use thread_priority::NormalThreadSchedulePolicy::{Batch, Idle};
        use thread_priority::ThreadSchedulePolicy::Normal;
        for (priority, policy) in [(Priority::Batch, Batch), (Priority::Lowest, Idle)] {
            let threads = Threads::new("test", 1, priority).unwrap();
            let got = threads.run(how_scheduled).await.unwrap();
            assert_eq!(got, (Normal(policy), 0), "{priority:?}");
        }
    }
}
