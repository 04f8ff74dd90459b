//! Slowing down password guessing without handing anyone a way to lock the owner out: the
//! policy of docs/security.md, "Sign-in throttling".
//!
//! Every attempt is counted as a failure *before* its password is verified, in the same lock
//! as the check ([`LoginThrottle::begin`]): concurrent attempts cannot all pass a check that
//! none of them has counted yet. A success gives the reservation back
//! ([`LoginThrottle::succeeded`]); an attempt abandoned half-way stays counted. Three counters
//! answer each attempt:
//!
//! - the (account, address) pair: a few failures, then one more every few minutes; the limit
//!   an attacker at one address meets, and the only one near a lockout, which the owner, from
//!   elsewhere, does not share;
//! - the address, whatever the account: more failures, for people sharing an address, against
//!   password spraying;
//! - the account, whatever the address: free at first, then attempts spaced out by a delay that
//!   doubles up to a short cap, which slows a guesser with many addresses without locking
//!   anyone out; an address that signed in to the account lately is not held back by it.
//!
//! Pair and address counters are leaky buckets (`burst` failures, then one forgiven every
//! `window / burst`): constant memory per key, and a person who mistyped recovers gradually.
//! Keys are keyed hashes of the normalized email and the address, and each of the three maps
//! holds at most `max_keys` of them (idle ones swept first, then the least recently touched):
//! a spray of random emails or addresses cannot grow memory without bound.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The numbers of the policy; [`Policy::default`] is the documented one.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Failures per (account, address) pair.
    pub pair: Limit,
    /// Failures per address, whatever the account.
    pub address: Limit,
    /// Failures per account, from anywhere, before attempts are spaced out.
    pub account_free: u32,
    /// The first delay between attempts on an account past `account_free`, doubled each time.
    pub account_delay: Duration,
    /// The longest delay between attempts on an account.
    pub account_max_delay: Duration,
    /// An account's failures are forgotten after this long without one.
    pub account_memory: Duration,
    /// How long a successful sign-in exempts its address from the account's delay.
    pub trust: Duration,
    /// The most keys each of the three maps (pairs, addresses, accounts) holds.
    pub max_keys: usize,
}

/// `burst` failures at once, then one more every `window / burst`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub burst: u32,
    pub window: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        let quarter_hour = Duration::from_secs(15 * 60);
        Policy {
            pair: Limit {
                burst: 5,
                window: quarter_hour,
            },
            address: Limit {
                burst: 20,
                window: quarter_hour,
            },
            account_free: 10,
            account_delay: Duration::from_secs(1),
            account_max_delay: Duration::from_secs(60),
            account_memory: quarter_hour,
            trust: Duration::from_secs(30 * 24 * 3600),
            max_keys: 50_000,
        }
    }
}

/// An attempt allowed, and counted as a failure unless it is given back as a success.
#[must_use = "a successful sign-in gives its attempt back with `LoginThrottle::succeeded`"]
#[derive(Debug)]
pub struct Attempt {
    pair: u64,
    address: Option<u64>,
    account: u64,
}

/// An attempt refused: the limit that refused it and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// `pair`, `address` or `account`.
    pub limit: &'static str,
    /// Whole seconds until an attempt may be allowed again, at least 1 (for `Retry-After`).
    pub retry_after: u64,
}

/// The sign-in throttle the login handler asks; one per server, in memory.
pub struct LoginThrottle {
    policy: Policy,
    keys: RandomState,
    maps: Mutex<Maps>,
}

#[derive(Default)]
struct Maps {
    pairs: HashMap<u64, Pair>,
    /// Failures per address (the only map of bare buckets).
    addresses: HashMap<u64, Bucket>,
    accounts: HashMap<u64, Account>,
}

/// A leaky bucket: `level` failures at `at`, leaking at its limit's rate.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: f64,
    at: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Pair {
    failures: Bucket,
    /// Exempt from the account's delay until then, after a successful sign-in.
    trusted_until: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Account {
    failures: u32,
    last: Instant,
    not_before: Instant,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(Policy::default())
    }
}

impl LoginThrottle {
    pub fn new(policy: Policy) -> Self {
        LoginThrottle {
            policy,
            keys: RandomState::new(),
            maps: Mutex::default(),
        }
    }

    /// Allow an attempt to sign in to `email` (normalized) from `address` and count it as a
    /// failure, or refuse it: one step, under one lock.
    pub fn begin(&self, email: &str, address: Option<&str>) -> Result<Attempt, Refused> {
        self.begin_at(email, address, Instant::now())
    }

    /// The attempt signed in: the pair's failures are forgiven and its address trusted by the
    /// account; the address and the account get the attempt back.
    pub fn succeeded(&self, attempt: Attempt) {
        self.succeeded_at(attempt, Instant::now());
    }

    fn begin_at(
        &self,
        email: &str,
        address: Option<&str>,
        now: Instant,
    ) -> Result<Attempt, Refused> {
        let policy = &self.policy;
        let attempt = Attempt {
            pair: self.keys.hash_one(("pair", email, address)),
            address: address.map(|a| self.keys.hash_one(("address", a))),
            account: self.keys.hash_one(("account", email)),
        };
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        let pair = maps.pairs.get(&attempt.pair).copied();
        let address_failures = attempt
            .address
            .and_then(|key| maps.addresses.get(&key).copied());
        let account = maps
            .accounts
            .get(&attempt.account)
            .map(|a| a.current(policy, now));
        let trusted = pair
            .and_then(|p| p.trusted_until)
            .is_some_and(|until| now < until);

        let waits = [
            ("pair", pair.map(|p| p.failures.wait(policy.pair, now))),
            (
                "address",
                address_failures.map(|b| b.wait(policy.address, now)),
            ),
            (
                "account",
                account
                    .filter(|_| !trusted)
                    .map(|a| a.not_before.saturating_duration_since(now)),
            ),
        ];
        if let Some((limit, wait)) = waits
            .into_iter()
            .filter_map(|(limit, wait)| Some((limit, wait?)))
            .filter(|(_, wait)| !wait.is_zero())
            .max_by_key(|(_, wait)| *wait)
        {
            return Err(Refused {
                limit,
                retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
            });
        }

        // Allowed: counted now, as a failure until it proves otherwise.
        let pair = Pair {
            failures: pair
                .map_or(Bucket::empty(now), |p| p.failures)
                .add(policy.pair, now),
            trusted_until: pair.and_then(|p| p.trusted_until),
        };
        insert(&mut maps.pairs, attempt.pair, pair, policy, now);
        if let Some(key) = attempt.address {
            let failures = address_failures
                .unwrap_or(Bucket::empty(now))
                .add(policy.address, now);
            insert(&mut maps.addresses, key, failures, policy, now);
        }
        let mut account = account.unwrap_or(Account {
            failures: 0,
            last: now,
            not_before: now,
        });
        account.failures = account.failures.saturating_add(1);
        account.last = now;
        if let Some(past) = account.failures.checked_sub(policy.account_free) {
            let delay = policy
                .account_delay
                .saturating_mul(1u32.checked_shl(past).unwrap_or(u32::MAX))
                .min(policy.account_max_delay);
            account.not_before = now + delay;
        }
        insert(&mut maps.accounts, attempt.account, account, policy, now);
        Ok(attempt)
    }

    fn succeeded_at(&self, attempt: Attempt, now: Instant) {
        let policy = &self.policy;
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        let pair = Pair {
            failures: Bucket::empty(now),
            trusted_until: Some(now + policy.trust),
        };
        insert(&mut maps.pairs, attempt.pair, pair, policy, now);
        if let Some(key) = attempt.address
            && let Some(failures) = maps.addresses.get_mut(&key)
        {
            *failures = failures.remove(policy.address, now);
        }
        if let Some(account) = maps.accounts.get_mut(&attempt.account) {
            account.failures = account.failures.saturating_sub(1);
        }
    }

    #[cfg(test)]
    fn keys_held(&self) -> [usize; 3] {
        let maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        [maps.pairs.len(), maps.addresses.len(), maps.accounts.len()]
    }
}

impl Bucket {
    fn empty(now: Instant) -> Bucket {
        Bucket {
            level: 0.0,
            at: now,
        }
    }

    /// The failures still held at `now`.
    fn level(&self, limit: Limit, now: Instant) -> f64 {
        let leaked = now.saturating_duration_since(self.at).as_secs_f64() * f64::from(limit.burst)
            / limit.window.as_secs_f64();
        (self.level - leaked).max(0.0)
    }

    /// How long until one more failure fits.
    fn wait(&self, limit: Limit, now: Instant) -> Duration {
        let excess = self.level(limit, now) + 1.0 - f64::from(limit.burst);
        if excess <= 1e-9 {
            return Duration::ZERO;
        }
        limit.window.mul_f64(excess / f64::from(limit.burst))
    }

    fn add(&self, limit: Limit, now: Instant) -> Bucket {
        Bucket {
            level: self.level(limit, now) + 1.0,
            at: now,
        }
    }

    fn remove(&self, limit: Limit, now: Instant) -> Bucket {
        Bucket {
            level: (self.level(limit, now) - 1.0).max(0.0),
            at: now,
        }
    }
}

impl Account {
    /// The account as it stands at `now`: its failures forgotten after a quiet spell.
    fn current(&self, policy: &Policy, now: Instant) -> Account {
        let mut account = *self;
        if now.saturating_duration_since(self.last) >= policy.account_memory {
            account.failures = 0;
        }
        account
    }
}

/// What the bounded maps need to know of their entries.
trait Entry: Copy {
    /// When it last changed: the least recent go first when a map is full of live entries.
    fn touched(&self) -> Instant;
    /// Whether it holds nothing any more and can be forgotten.
    fn idle(&self, policy: &Policy, now: Instant) -> bool;
}

impl Entry for Bucket {
    fn touched(&self) -> Instant {
        self.at
    }

    fn idle(&self, policy: &Policy, now: Instant) -> bool {
        self.level(policy.address, now) == 0.0
    }
}

impl Entry for Pair {
    fn touched(&self) -> Instant {
        self.failures.at
    }

    fn idle(&self, policy: &Policy, now: Instant) -> bool {
        self.failures.level(policy.pair, now) == 0.0
            && self.trusted_until.is_none_or(|until| until <= now)
    }
}

impl Entry for Account {
    fn touched(&self) -> Instant {
        self.last
    }

    fn idle(&self, policy: &Policy, now: Instant) -> bool {
        now.saturating_duration_since(self.last) >= policy.account_memory && self.not_before <= now
    }
}

/// Insert or replace, making room first when the map is full: idle entries are swept; if it is
/// still full (a spray), the least recently touched eighth is forgotten, so that sweeps stay
/// rare and the cost of each insertion constant on average.
fn insert<E: Entry>(map: &mut HashMap<u64, E>, key: u64, entry: E, policy: &Policy, now: Instant) {
    if map.len() >= policy.max_keys && !map.contains_key(&key) {
        map.retain(|_, e| !e.idle(policy, now));
        if map.len() >= policy.max_keys {
            let mut times: Vec<Instant> = map.values().map(Entry::touched).collect();
            let eighth = times.len() / 8;
            let (_, cut, _) = times.select_nth_unstable(eighth);
            let cut = *cut;
            map.retain(|_, e| e.touched() > cut);
        }
    }
    map.insert(key, entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn fails(throttle: &LoginThrottle, email: &str, address: &str, now: Instant) -> Refused {
        throttle
            .begin_at(email, Some(address), now)
            .expect_err("refused")
    }

    #[test]
    fn an_account_and_address_pair_gets_five_failures_then_one_every_three_minutes() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for _ in 0..5 {
            let _ = throttle
                .begin_at("ann@x.test", Some("1.1.1.1"), t0)
                .unwrap();
        }
        let refused = fails(&throttle, "ann@x.test", "1.1.1.1", t0);
        assert_eq!(refused.limit, "pair");
        assert_eq!(refused.retry_after, 180);
        let later = t0 + 3 * MINUTE;
        let _ = throttle
            .begin_at("ann@x.test", Some("1.1.1.1"), later)
            .unwrap();
        assert_eq!(
            fails(&throttle, "ann@x.test", "1.1.1.1", later).retry_after,
            180
        );
        // The owner, elsewhere, is not held back; nor is another account from that address.
        let _ = throttle
            .begin_at("ann@x.test", Some("2.2.2.2"), later)
            .unwrap();
        let _ = throttle
            .begin_at("bob@x.test", Some("1.1.1.1"), later)
            .unwrap();
        // A quarter of an hour forgives everything.
        let quiet = later + 15 * MINUTE;
        for _ in 0..5 {
            let _ = throttle
                .begin_at("ann@x.test", Some("1.1.1.1"), quiet)
                .unwrap();
        }
    }

    #[test]
    fn an_address_gets_twenty_failures_whatever_the_accounts() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..20 {
            let _ = throttle
                .begin_at(&format!("user{i}@x.test"), Some("1.1.1.1"), t0)
                .unwrap();
        }
        let refused = fails(&throttle, "new@x.test", "1.1.1.1", t0);
        assert_eq!(refused.limit, "address");
        assert_eq!(refused.retry_after, 45);
        let _ = throttle
            .begin_at("new@x.test", Some("2.2.2.2"), t0)
            .unwrap();
    }

    #[test]
    fn many_addresses_on_one_account_are_slowed_exponentially_never_locked() {
        let throttle = LoginThrottle::default();
        let mut now = Instant::now();
        let mut address = 0;
        let mut next = || {
            address += 1;
            format!("10.0.0.{address}")
        };
        for _ in 0..10 {
            let _ = throttle.begin_at("ann@x.test", Some(&next()), now).unwrap();
        }
        let mut delays = Vec::new();
        for _ in 0..10 {
            let refused = fails(&throttle, "ann@x.test", &next(), now);
            assert_eq!(refused.limit, "account");
            delays.push(refused.retry_after);
            now += Duration::from_secs(refused.retry_after);
            let _ = throttle.begin_at("ann@x.test", Some(&next()), now).unwrap();
        }
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        // Other accounts are untouched, and a quiet quarter of an hour forgets the failures.
        let _ = throttle.begin_at("bob@x.test", Some(&next()), now).unwrap();
        now += 15 * MINUTE;
        for _ in 0..10 {
            let _ = throttle.begin_at("ann@x.test", Some(&next()), now).unwrap();
        }
    }

    #[test]
    fn a_success_clears_the_pair_and_exempts_its_address_from_the_account_delay() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for _ in 0..4 {
            let _ = throttle
                .begin_at("ann@x.test", Some("1.1.1.1"), t0)
                .unwrap();
        }
        let attempt = throttle
            .begin_at("ann@x.test", Some("1.1.1.1"), t0)
            .unwrap();
        throttle.succeeded_at(attempt, t0);
        // Many addresses then push the account into its delay...
        for i in 0..20 {
            let _ = throttle.begin_at("ann@x.test", Some(&format!("10.0.0.{i}")), t0);
        }
        assert_eq!(
            fails(&throttle, "ann@x.test", "9.9.9.9", t0).limit,
            "account"
        );
        // ...which the owner's address does not wait for; its pair limit still holds.
        for _ in 0..5 {
            let _ = throttle
                .begin_at("ann@x.test", Some("1.1.1.1"), t0)
                .unwrap();
        }
        assert_eq!(fails(&throttle, "ann@x.test", "1.1.1.1", t0).limit, "pair");
    }

    #[test]
    fn a_success_gives_the_attempt_back_to_the_address_and_the_account() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..40 {
            let attempt = throttle
                .begin_at(&format!("user{i}@x.test"), Some("1.1.1.1"), t0)
                .unwrap();
            throttle.succeeded_at(attempt, t0);
        }
        for i in 0..40 {
            let attempt = throttle
                .begin_at("ann@x.test", Some(&format!("10.0.0.{i}")), t0)
                .unwrap();
            throttle.succeeded_at(attempt, t0);
        }
    }

    #[test]
    fn concurrent_attempts_cannot_pass_an_uncounted_check() {
        let throttle = LoginThrottle::default();
        let allowed: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..60)
                .map(|_| s.spawn(|| throttle.begin("ann@x.test", Some("1.1.1.1")).is_ok()))
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(allowed, 5);
    }

    #[test]
    fn a_spray_of_random_emails_and_addresses_keeps_memory_bounded() {
        let throttle = LoginThrottle::new(Policy {
            max_keys: 1000,
            ..Policy::default()
        });
        let t0 = Instant::now();
        for i in 0..20_000u32 {
            let now = t0 + Duration::from_millis(u64::from(i));
            let _ = throttle.begin_at(
                &format!("{i}@spray.test"),
                Some(&format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255)),
                now,
            );
        }
        for held in throttle.keys_held() {
            assert!(held <= 1000, "{held} keys held");
        }
        // The victim's fresh failures are among the most recent, and kept.
        let now = t0 + Duration::from_secs(30);
        for _ in 0..5 {
            let _ = throttle
                .begin_at("ann@x.test", Some("1.1.1.1"), now)
                .unwrap();
        }
        for i in 0..200u32 {
            let _ = throttle.begin_at(
                &format!("{i}@more.test"),
                Some(&format!("10.200.0.{i}")),
                now,
            );
        }
        assert_eq!(fails(&throttle, "ann@x.test", "1.1.1.1", now).limit, "pair");
    }
}
