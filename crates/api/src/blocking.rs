//! CPU-bound work of request handlers (password hashing and verification, PDF and PNG
//! rendering) off the async workers, a bounded number at a time.
//!
//! Work run inline on an async worker stalls every request that worker serves (`/healthz`
//! included); work handed to `spawn_blocking` alone runs on as many threads as there are
//! requests (argon2 allocates 19 MiB per verification, so a burst of failed logins took the
//! server past a gigabyte). Here the work runs on tokio's blocking threads under a semaphore of
//! as many permits as the machine has cores: excess work waits its turn, FIFO, in the caller's
//! future, costing a few bytes. The permit moves into the blocking task, so work whose caller
//! went away (a client hanging up, the request timeout) still holds its permit until it ends.
//! `scripts/load-cpu.sh` times `/healthz` while label sheets render; `scripts/load-logins.sh`
//! measures memory under bursts of failed logins.

use crate::state::AppState;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The permits for CPU-bound work, shared by every request.
#[derive(Debug, Clone)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
    size: usize,
}

impl CpuPool {
    /// At most `size` (at least 1) pieces of work at a time.
    pub fn new(size: usize) -> Self {
        let size = size.max(1);
        CpuPool {
            permits: Arc::new(Semaphore::new(size)),
            size,
        }
    }

    /// As many at a time as the machine has cores (`std::thread::available_parallelism`).
    pub fn sized_to_cores() -> Self {
        CpuPool::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// How many pieces of work may run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Run `f` on a blocking thread once a permit is free, and return its result. A panic in
    /// `f` resumes in the caller, as if `f` had run inline (the server's panic layer answers it).
    pub async fn run<T, F>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("the CPU pool's semaphore is never closed");
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        });
        match task.await {
            Ok(value) => value,
            Err(err) => match err.try_into_panic() {
                Ok(payload) => std::panic::resume_unwind(payload),
                // Only a runtime shutting down cancels a blocking task.
                Err(err) => panic!("CPU-bound work cancelled: {err}"),
            },
        }
    }
}

/// Run CPU-bound `f` in the server's [`CpuPool`]: every password hash and verification and
/// every rendering in a request path goes through here.
pub async fn cpu<T, F>(state: &AppState, f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    state.cpu.run(f).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_its_size_run_at_once() {
        let pool = CpuPool::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..24 {
            let (pool, running, peak) = (pool.clone(), running.clone(), peak.clone());
            tasks.spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                    i
                })
                .await
            });
        }
        let mut results: Vec<i32> = tasks.join_all().await;
        results.sort_unstable();
        assert_eq!(results, (0..24).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn work_whose_caller_went_away_keeps_its_permit_until_it_ends() {
        let pool = CpuPool::new(1);
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let abandoned = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    started_tx.send(()).unwrap();
                    release_rx.recv().ok();
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        abandoned.abort();
        let _ = abandoned.await;
        // The abandoned work still runs: the next piece waits for it.
        let next = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| 7).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!next.is_finished());
        release_tx.send(()).unwrap();
        assert_eq!(next.await.unwrap(), 7);
    }

    #[tokio::test]
    #[should_panic(expected = "boom")]
    async fn a_panic_resumes_in_the_caller() {
        CpuPool::new(1).run(|| panic!("boom")).await
    }
}
