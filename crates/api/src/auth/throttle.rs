//! Slowing down password guessing: failed logins are counted per email and per client
//! address over a sliding window; past the limit, attempts are answered 429 until the oldest
//! failure leaves the window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures allowed per email in the window.
const PER_EMAIL: usize = 5;
/// Failures allowed per client address in the window (several people may share one).
const PER_ADDRESS: usize = 20;
/// Past this many tracked keys, stale ones are swept, so the map cannot grow without bound.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// `Err(seconds to wait)` when either key has used up its failures.
    pub fn check(&self, email: &str, address: Option<&str>) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = 0;
        for (key, limit) in keys(email, address) {
            if let Some(list) = map.get_mut(&key) {
                list.retain(|t| now.duration_since(*t) < WINDOW);
                if list.len() >= limit
                    && let Some(oldest) = list.front()
                {
                    let left = WINDOW.saturating_sub(now.duration_since(*oldest));
                    wait = wait.max(left.as_secs().max(1));
                }
            }
        }
        if wait > 0 { Err(wait) } else { Ok(()) }
    }

    pub fn failed(&self, email: &str, address: Option<&str>) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, list| list.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for (key, _) in keys(email, address) {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login forgets the email's failures (not the address's).
    pub fn succeeded(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("email:{email}"));
    }
}

fn keys(email: &str, address: Option<&str>) -> Vec<(String, usize)> {
    let mut keys = vec![(format!("email:{email}"), PER_EMAIL)];
    if let Some(address) = address {
        keys.push((format!("addr:{address}"), PER_ADDRESS));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_in_a_row_is_throttled() {
        let throttle = LoginThrottle::default();
        for _ in 0..PER_EMAIL {
            assert!(throttle.check("a@b.c", None).is_ok());
            throttle.failed("a@b.c", None);
        }
        let wait = throttle.check("a@b.c", None).unwrap_err();
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        assert!(throttle.check("other@b.c", None).is_ok());
        throttle.succeeded("a@b.c");
        assert!(throttle.check("a@b.c", None).is_ok());
    }
}
