//! Items from many callers handled by one run, each caller getting its own answer: a write that costs
//! one round trip and one commit (a durable flush) however many rows it has, so that under load a
//! hundred waiting callers pay for one flush instead of a hundred.
//!
//! The first item to arrive queues a run; every item that arrives before that run starts joins it,
//! and the run takes them all the moment it starts. An item that arrives later queues a run of its
//! own. So without load each item is one run, as without batching, and nothing waits for a batch to
//! fill: the batch is simply whatever queued while the runs' few threads of their own were busy.
//! Items whose caller stopped waiting before the run started are left out of it.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use super::{Stopped, Threads};

type Waiting<I, O> = Arc<Mutex<Vec<(I, oneshot::Sender<O>)>>>;

/// Items waiting for the next run, and the threads runs take turns on.
#[derive(Debug)]
pub struct Batched<I, O> {
    waiting: Waiting<I, O>,
    threads: Threads,
}

impl<I, O> Batched<I, O>
where
    I: Send + 'static,
    O: Send + 'static,
{
    /// Runs on `threads`: few, so that items queue behind them and runs grow with the load.
    pub fn new(threads: Threads) -> Self {
        Self {
            waiting: Arc::default(),
            threads,
        }
    }

    /// The answer for `item` from a run of `work`: this call's, or one queued before
    /// it that had not started yet (this call's `work` is then dropped). `work` gets the items in
    /// the order they arrived and must answer each, in the same order; an item left unanswered gets
    /// `Stopped`, as does every item of a run that panicked.
    pub async fn run(
        &self,
        item: I,
        work: impl FnOnce(Vec<I>) -> Vec<O> + Send + 'static,
    ) -> Result<O, Stopped> {
        let (tx, rx) = oneshot::channel();
        let first = {
            let mut waiting = lock(&self.waiting);
            waiting.push((item, tx));
            waiting.len() == 1
        };
        if first {
            let waiting = self.waiting.clone();
            self.threads.spawn(move || {
                // From here on, an item that arrives queues a run that starts after it arrived.
                let batch = std::mem::take(&mut *lock(&waiting));
                let (items, callers): (Vec<I>, Vec<oneshot::Sender<O>>) = batch
                    .into_iter()
                    .filter(|(_, caller)| !caller.is_closed())
                    .unzip();
                if items.is_empty() {
                    return;
                }
                for (caller, answer) in callers.into_iter().zip(work(items)) {
                    let _ = caller.send(answer);
                }
            });
        }
        rx.await.map_err(|_| Stopped(self.threads.name))
    }
}

fn lock<I, O>(waiting: &Waiting<I, O>) -> std::sync::MutexGuard<'_, Vec<(I, oneshot::Sender<O>)>> {
    // Only pushes and takes happen under the lock: a panic cannot leave the list half-changed.
    waiting.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::threads::Priority;
    use crate::infra::threads::tests::held;

    #[actix_web::test]
    async fn items_queued_together_share_one_run_and_each_gets_its_own_answer() {
        let (threads, release) = held();
        let batched: Batched<u32, (u32, usize)> = Batched::new(threads);
        let (runs_tx, runs) = std::sync::mpsc::channel::<usize>();
        let calls = (1..=5u32).map(|n| {
            let runs_tx = runs_tx.clone();
            batched.run(n, move |items| {
                let size = items.len();
                let _ = runs_tx.send(size);
                items.into_iter().map(|i| (i * 10, size)).collect()
            })
        });
        let all = futures_util::future::join_all(calls);
        release.send(()).unwrap();
        let answers: Vec<(u32, usize)> = all.await.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            answers,
            [(10, 5), (20, 5), (30, 5), (40, 5), (50, 5)],
            "one run of five, each its own answer"
        );
        drop(runs_tx);
        assert_eq!(runs.iter().collect::<Vec<_>>(), [5]);
    }

    #[actix_web::test]
    async fn without_a_queue_each_item_is_a_run_of_its_own() {
        let threads = Threads::new("test", 1, Priority::Batch).unwrap();
        let batched: Batched<u32, usize> = Batched::new(threads);
        for n in 0..3 {
            let size = batched.run(n, |items| vec![items.len()]).await.unwrap();
            assert_eq!(size, 1);
        }
    }

    #[actix_web::test]
    async fn an_unanswered_item_gets_stopped_and_a_caller_gone_is_left_out() {
        use futures_util::FutureExt;
        let (threads, release) = held();
        let batched: Batched<u32, u32> = Batched::new(threads);
        let mut kept = Box::pin(batched.run(1, |items| {
            assert_eq!(
                items,
                [1],
                "the caller that stopped waiting is not in the run"
            );
            Vec::new()
        }));
        let mut gone = Box::pin(batched.run(2, |items| items));
        // Both queue (one poll each), then the second stops waiting before the run starts.
        assert!((&mut kept).now_or_never().is_none());
        assert!((&mut gone).now_or_never().is_none());
        drop(gone);
        release.send(()).unwrap();
        assert!(kept.await.is_err(), "left unanswered: stopped");
    }
}
