//! The job worker: runs the durable jobs of `relais_store::jobs` (the ride's timers and
//! deferred work) with the handler registered for each kind.
//!
//! A handler gets the claimed job and does its work in its own write transaction, ending with
//! [`relais_store::jobs::complete`] (or [`relais_store::jobs::again`] for a timer that
//! re-arms itself) in that transaction: when the claim was lost meanwhile (the lease ran out
//! and another process took the job, or it was armed again), it rolls back and answers
//! [`Done::Lost`]. An error makes the worker retry the job later, waiting longer each time.
//! Effects outside the database (a payment provider, the vehicles) carry idempotency keys, so
//! a repeat is harmless.

use crate::state::AppState;
use chrono::{DateTime, Duration as Span, Utc};
use relais_store::jobs::Job;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// How long a claim holds a job; a handler waiting longer on a provider renews it.
pub const LEASE: Span = Span::seconds(60);
/// How often the worker looks for due jobs when nothing wakes it: jobs armed by another
/// process, timers falling due.
const POLL: Duration = Duration::from_secs(1);

/// How a handler ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// The work is done and the job deleted with it.
    Completed,
    /// The claim was lost before the handler's transaction committed; nothing was changed.
    Lost,
}

/// Why a handler failed: the job is tried again later.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JobError(pub String);

impl From<relais_store::StoreError> for JobError {
    fn from(error: relais_store::StoreError) -> Self {
        JobError(error.to_string())
    }
}

/// What a handler returns.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<Done, JobError>> + Send>>;
/// A job kind's handler.
pub type Handler = Arc<dyn Fn(AppState, Job) -> JobFuture + Send + Sync>;

/// The job kinds this server runs and the worker's wake-up call; cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    handlers: Arc<HashMap<&'static str, Handler>>,
    wake: Arc<Notify>,
    /// Handlers running at once in this process.
    workers: usize,
    /// This process's prefix of claim tokens.
    process: Arc<str>,
    claims: Arc<AtomicU64>,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            handlers: Arc::new(HashMap::new()),
            wake: Arc::new(Notify::new()),
            workers: 4,
            process: uuid::Uuid::new_v4().simple().to_string()[..16].into(),
            claims: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Jobs {
    /// The same registry with `handler` running the jobs of `kind`.
    pub fn with(mut self, kind: &'static str, handler: Handler) -> Self {
        Arc::make_mut(&mut self.handlers).insert(kind, handler);
        self
    }

    /// The same registry running this many handlers at once (at least one).
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Tell the worker a job may be due now (one was armed in this process).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn token(&self) -> String {
        let n = self.claims.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.process)
    }
}

/// The wait before attempt `attempts + 1` of a failed job: 30 s, 2 min, 8 min, ... 1 day at
/// most.
fn backoff(attempts: i32) -> Span {
    let wait = Span::seconds(30 * 4_i64.pow(attempts.saturating_sub(1).clamp(0, 8) as u32));
    wait.min(Span::days(1))
}

/// Claim and run the jobs due at `now`, once, with at most `limit` claimed; how many ran.
/// Handlers run concurrently within the worker's permits.
pub async fn round(state: &AppState, permits: &Arc<Semaphore>, now: DateTime<Utc>) -> usize {
    let free = permits.available_permits();
    if free == 0 {
        return 0;
    }
    let token = state.jobs.token();
    let claimed = match relais_store::jobs::claim(&state.db, &token, now, LEASE, free as u64).await
    {
        Ok(claimed) => claimed,
        Err(error) => {
            tracing::warn!(%error, "could not claim jobs");
            return 0;
        }
    };
    let count = claimed.len();
    for job in claimed {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let state = state.clone();
        tokio::spawn(async move {
            run(&state, job).await;
            drop(permit);
        });
    }
    count
}

/// Run one claimed job with its kind's handler and record a failure.
async fn run(state: &AppState, job: Job) {
    let outcome = match state.jobs.handlers.get(job.kind.as_str()) {
        Some(handler) => handler(state.clone(), job.clone()).await,
        None => Err(JobError(format!(
            "no handler for jobs of kind {}",
            job.kind
        ))),
    };
    match outcome {
        Ok(Done::Completed) => {}
        Ok(Done::Lost) => {
            tracing::debug!(job = job.id, kind = %job.kind, "job claim lost; its effect was rolled back");
        }
        Err(error) => {
            let retry_at = Utc::now() + backoff(job.attempts);
            if job.attempts >= job.max_attempts {
                tracing::warn!(job = job.id, kind = %job.kind, %error, "job given up");
            } else {
                tracing::info!(job = job.id, kind = %job.kind, %error, "job failed; tried again later");
            }
            if let Err(e) =
                relais_store::jobs::fail(&state.db, &job, &error.to_string(), retry_at).await
            {
                tracing::warn!(job = job.id, error = %e, "could not record a job's failure");
            }
        }
    }
}

/// Run the worker for as long as the server runs.
pub fn start(state: AppState) {
    let permits = Arc::new(Semaphore::new(state.jobs.workers));
    tokio::spawn(async move {
        loop {
            let ran = round(&state, &permits, Utc::now()).await;
            if ran > 0 && permits.available_permits() > 0 {
                continue;
            }
            let _ = tokio::time::timeout(POLL, state.jobs.wake.notified()).await;
        }
    });
}
