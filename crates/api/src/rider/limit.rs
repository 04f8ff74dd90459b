//! The rider API's rate limits: each caller (a rider's token, or the client address of a request
//! without one) may make `rider_requests_per_minute` requests, in bursts of up to
//! `rider_burst`, after which the answer is 429 (-24) with `Retry-After`. A mobile app polls and
//! retries; one misbehaving install (or a script with a stolen token) must not take the
//! server's capacity from the others. Sign-in and codes have their own, stricter throttle
//! (`auth::throttle`).
//!
//! The limiter is `governor`'s keyed GCRA: one timestamp per key in a sharded map, checked
//! without a lock held across keys. Keys idle for a whole period are dropped from time to time
//! so that the map stays as large as the callers of the last minute.

use crate::access::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::net::ClientAddress;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// Whom a request counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(i64),
    Address(String),
}

/// Checks between two sweeps of the idle keys.
const SWEEP_EVERY: u64 = 4096;

/// The limits of one server, in memory.
pub struct RiderLimiter {
    limiter: DefaultKeyedRateLimiter<Key>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl std::fmt::Debug for RiderLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RiderLimiter")
            .field("keys", &self.limiter.len())
            .finish()
    }
}

impl RiderLimiter {
    /// `per_minute` requests a minute per caller, `burst` at once.
    pub fn new(per_minute: NonZeroU32, burst: NonZeroU32) -> Self {
        RiderLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Count a request of `key`: the seconds to wait when it is over its limit.
    fn check(&self, key: &Key) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            // Whole seconds, rounded up: a client that waits as told is let through.
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The middleware: requests under `/rider/` count against their caller.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/rider/") {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let key = match parts.extensions.get::<Caller>() {
        Some(caller) => Key::User(caller.user.id),
        None => Key::Address(
            ClientAddress::of(&parts, state.settings.trust_forwarded_for)
                .0
                .unwrap_or_default(),
        ),
    };
    let req = Request::from_parts(parts, body);
    match state.rider_limits.check(&key) {
        Ok(()) => next.run(req).await,
        Err(wait) => refused(wait),
    }
}

fn refused(wait: u64) -> Response {
    let mut err = ApiError::new(
        ErrorCode::RateLimited,
        "too many requests from this caller; retry after the `Retry-After` delay",
    );
    err.retry_after = Some(wait.max(1));
    err.into_response()
}
