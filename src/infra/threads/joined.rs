//! Calls for the same key that are still waiting for a thread, answered together by one run.
//!
//! The dashboard's pages each read their session from the database. When one session has many
//! requests in flight (a dashboard open in several tabs, a script, the bench's 64 connections) those
//! reads queue up behind each other and all return the same row. Here a read that has not started yet
//! is joined by the requests that ask for the same key meanwhile, and its answer goes to all of them.
//!
//! Nothing is ever answered from before it was asked: a run takes its waiting callers off the list
//! the moment it starts, so a call that arrives while the run is already reading starts a run of its
//! own. A logout committed before a request arrived is therefore always seen by that request, on
//! every instance, exactly as with one read a request.
//!
//! A run that none of its callers waits for any more (each gave up at its deadline, or its request
//! was dropped) does not start: after a stall, the reads abandoned meanwhile are not run late.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use super::{Stopped, Threads};

type Waiting<K, T> = Arc<Mutex<HashMap<K, Vec<oneshot::Sender<T>>>>>;

/// Runs of work by key, joined by the callers that ask for the same key before the run starts.
#[derive(Debug)]
pub struct Joined<K, T> {
    waiting: Waiting<K, T>,
}

impl<K, T> Default for Joined<K, T> {
    fn default() -> Self {
        Self {
            waiting: Arc::default(),
        }
    }
}

impl<K, T> Clone for Joined<K, T> {
    fn clone(&self) -> Self {
        Self {
            waiting: self.waiting.clone(),
        }
    }
}

impl<K, T> Joined<K, T>
where
    K: Hash + Eq + Clone + Send + 'static,
    T: Clone + Send + 'static,
{
    /// The answer of `work` for `key`, run on `threads`: by this call, or by a run for the same key
    /// that was queued before this call and had not started yet (this call's `work` is then dropped).
    /// A caller that stops waiting (drops this future) is left out of the run's answer.
    pub async fn run(
        &self,
        threads: &Threads,
        key: K,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Stopped> {
        let (tx, rx) = oneshot::channel();
        let first = match lock(&self.waiting).entry(key.clone()) {
            Entry::Occupied(mut queued) => {
                queued.get_mut().push(tx);
                false
            }
            Entry::Vacant(free) => {
                free.insert(vec![tx]);
                true
            }
        };
        if first {
            let waiting = self.waiting.clone();
            threads.spawn(move || {
                // From here on, whoever asks for this key gets a run that starts after they asked.
                let mut callers = lock(&waiting).remove(&key).unwrap_or_default();
                callers.retain(|caller| !caller.is_closed());
                if callers.is_empty() {
                    return;
                }
                let answer = work();
                answer_all(callers, answer);
            });
        }
        // A run that panicked drops its senders: each of its callers gets `Stopped`.
        rx.await.map_err(|_| Stopped(threads.name))
    }
}

/// Sends `answer` to every caller that is still waiting (a dropped request is skipped).
fn answer_all<T: Clone>(mut callers: Vec<oneshot::Sender<T>>, answer: T) {
    let Some(last) = callers.pop() else {
        return;
    };
    for caller in callers {
        let _ = caller.send(answer.clone());
    }
    let _ = last.send(answer);
}

fn lock<K, T>(
    waiting: &Waiting<K, T>,
) -> std::sync::MutexGuard<'_, HashMap<K, Vec<oneshot::Sender<T>>>> {
    // Only pushes and removes happen under the lock: a panic cannot leave the map half-changed.
    waiting.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    use super::*;
    use crate::infra::threads::Priority;
    use crate::infra::threads::tests::held;

    #[actix_web::test]
    async fn calls_queued_together_for_one_key_share_one_run() {
        let (threads, release) = held();
        let joined = Joined::<u8, usize>::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let call = |key: u8| {
            let runs = runs.clone();
            joined.run(&threads, key, move || runs.fetch_add(1, Ordering::SeqCst))
        };
        let all = futures_util::future::join_all([call(1), call(1), call(1), call(2)]);
        let answers = futures_util::future::join(all, async {
            release.send(()).unwrap();
        })
        .await
        .0;
        let answers: Vec<usize> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(runs.load(Ordering::SeqCst), 2, "one run per key");
        assert_eq!(answers[0], answers[1]);
        assert_eq!(answers[1], answers[2]);
        assert_ne!(answers[2], answers[3]);
    }

    #[actix_web::test]
    async fn a_call_made_while_a_run_is_working_gets_a_run_of_its_own() {
        let threads = Threads::new("test", 2, Priority::Batch).unwrap();
        let joined = Joined::<u8, &'static str>::default();
        let (started_tx, started) = mpsc::channel::<()>();
        let (finish, finish_rx) = mpsc::channel::<()>();
        let early = joined.run(&threads, 1, move || {
            started_tx.send(()).unwrap();
            finish_rx.recv().unwrap();
            "read before the change"
        });
        let late = async {
            // The first run is reading by now; whatever changed meanwhile must be read again.
            actix_web::rt::task::spawn_blocking(move || started.recv().unwrap())
                .await
                .unwrap();
            // Joining the working run would wait for it, and it waits for this: give up after a while.
            let late = joined.run(&threads, 1, || "read after the change");
            let late = actix_web::rt::time::timeout(std::time::Duration::from_secs(2), late).await;
            finish.send(()).unwrap();
            late
        };
        let (early, late) = futures_util::future::join(early, late).await;
        assert_eq!(early.unwrap(), "read before the change");
        let late = late.expect("the late call joined a run that had started");
        assert_eq!(late.unwrap(), "read after the change");
    }

    #[actix_web::test]
    async fn a_run_whose_callers_have_all_given_up_does_not_start() {
        let (threads, release) = held();
        let joined = Joined::<u8, u8>::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let gave_up = actix_web::rt::time::timeout(
            std::time::Duration::from_millis(50),
            joined.run(&threads, 1, move || {
                counted.fetch_add(1, Ordering::SeqCst) as u8
            }),
        )
        .await;
        assert!(gave_up.is_err(), "the thread is held, so the call waits");
        release.send(()).unwrap();
        // Work queued after the abandoned run ends after it (one thread, in order).
        threads.run(|| ()).await.unwrap();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            0,
            "the abandoned run was skipped"
        );
        assert_eq!(joined.run(&threads, 1, || 9).await.unwrap(), 9);
    }

    #[actix_web::test]
    async fn a_run_that_panics_fails_each_of_its_callers_and_the_key_is_free_again() {
        let (threads, release) = held();
        let joined = Joined::<u8, u8>::default();
        let both = futures_util::future::join(
            joined.run(&threads, 1, || panic!("boom")),
            joined.run(&threads, 1, || 5),
        );
        let (a, b) = futures_util::future::join(both, async {
            release.send(()).unwrap();
        })
        .await
        .0;
        assert!(a.is_err() && b.is_err());
        assert_eq!(joined.run(&threads, 1, || 9).await.unwrap(), 9);
    }
}
