//! Each API token's caller (token, user, effective grants), kept in memory so that a request
//! presenting a known token costs no query.
//!
//! Correctness rests on a generation number, not on time: every entry records the generation
//! it was loaded in and is used only while the generation is unchanged. The generation moves
//! when a security change (a token revoked, a grant, role or unit changed) is committed:
//!
//! - by this process: the store counts its commits (`security_epoch::committed_here`), and
//!   every lookup compares that count first, so the change holds from the next request on;
//! - by another process (another replica, the command line): the store raises the database's
//!   security epoch in the transaction of the change; PostgreSQL notifies every listening
//!   server at commit, and every server also reads the epoch four times a second (SQLite's
//!   other writers, or a listener that lost its connection).
//!
//! A load that raced with an invalidation is answered but not kept. Entries also expire after
//! [`TTL`], which only bounds how stale a user's name or email shown by `/auth/me` may be after
//! another process changed it. The secret is checked on every request, against the digest.

use chrono::{DateTime, Utc};
use prometheus_client::metrics::counter::Counter;
use relais_domain::Grant;
use relais_domain::credentials::{parse_token, secret_matches};
use relais_store::Db;
use relais_store::entity::{api_token, user};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Longest time an entry is used without a reload.
pub const TTL: Duration = Duration::from_secs(30);
/// Tokens kept at most; past it the cache starts again empty (callers reload on demand).
const CAPACITY: usize = 10_000;
/// How often the database's security epoch is read.
const POLL: Duration = Duration::from_millis(250);

/// A live token, its user and their grants.
#[derive(Debug)]
pub struct Resolved {
    pub token: api_token::Model,
    pub user: user::Model,
    pub grants: Arc<Vec<Grant>>,
}

struct Entry {
    generation: u64,
    loaded: Instant,
    resolved: Arc<Resolved>,
    /// When the token's use was last recorded (Unix seconds), so that a cached token still
    /// records its use once a minute.
    last_used: AtomicI64,
}

/// The cache; one per server, shared by every request.
pub struct CallerCache {
    generation: AtomicU64,
    /// The database's security epoch last read; `i64::MIN` before the first read.
    epoch: AtomicI64,
    /// This process's count of security commits last seen.
    committed: AtomicU64,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    hits: Counter,
    misses: Counter,
}

impl CallerCache {
    /// An empty cache counting its hits and misses in these counters.
    pub fn new(hits: Counter, misses: Counter) -> Self {
        CallerCache {
            generation: AtomicU64::new(0),
            epoch: AtomicI64::new(i64::MIN),
            committed: AtomicU64::new(relais_store::security_epoch::committed_here()),
            entries: RwLock::default(),
            hits,
            misses,
        }
    }

    /// Read the database's security epoch and forget every entry if it moved (or cannot be
    /// read: nothing cached can then be known to be current).
    pub async fn follow_epoch(&self, db: &Db) {
        match relais_store::security_epoch::current(db).await {
            // The epoch only grows: a slower reader of an older value changes nothing.
            Ok(now) => {
                if self.epoch.fetch_max(now, Ordering::AcqRel) < now {
                    self.invalidate();
                }
            }
            Err(_) => self.invalidate(),
        }
    }

    /// The caller of `plain` if it is a live token, from memory when possible.
    pub async fn resolve(
        &self,
        db: &Db,
        plain: &str,
        now: DateTime<Utc>,
    ) -> relais_store::error::Result<Option<Arc<Resolved>>> {
        let Some((id, secret)) = parse_token(plain) else {
            return Ok(None);
        };
        let committed = relais_store::security_epoch::committed_here();
        // Forget first, then record: a concurrent lookup that still sees the old count forgets
        // too, rather than using an entry of before the change.
        if self.committed.load(Ordering::Acquire) < committed {
            self.invalidate();
            self.committed.fetch_max(committed, Ordering::AcqRel);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let cached = self.read().get(id).cloned();
        if let Some(entry) = cached
            && entry.generation == generation
            && entry.loaded.elapsed() < TTL
        {
            self.hits.inc();
            let token = &entry.resolved.token;
            let live = token.revoked_at.is_none() && token.expires_at.is_none_or(|at| now < at);
            if !live || !secret_matches(secret, &token.secret_hash) {
                return Ok(None);
            }
            self.record_use(db, &entry, now);
            return Ok(Some(entry.resolved.clone()));
        }
        self.misses.inc();
        let Some((token, user)) = relais_store::tokens::authenticate(db, plain, now).await? else {
            return Ok(None);
        };
        let grants = Arc::new(relais_store::grants::effective(db, user.id).await?);
        let last_used = token.last_used_at.map_or(0, |at| at.timestamp());
        let resolved = Arc::new(Resolved {
            token,
            user,
            grants,
        });
        let entry = Arc::new(Entry {
            generation,
            loaded: Instant::now(),
            resolved: resolved.clone(),
            last_used: AtomicI64::new(last_used.max(now.timestamp())),
        });
        let mut entries = self.write();
        // Kept only if nothing changed while it was read.
        if self.generation.load(Ordering::Acquire) == generation {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(id.to_owned(), entry);
        }
        Ok(Some(resolved))
    }

    /// Forget every entry: something that decides access may have changed.
    pub fn invalidate(&self) {
        let mut entries = self.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Record a cached token's use once a minute, off the request path.
    fn record_use(&self, db: &Db, entry: &Entry, now: DateTime<Utc>) {
        let last = entry.last_used.load(Ordering::Relaxed);
        let last_at = DateTime::from_timestamp(last, 0);
        if !relais_store::tokens::needs_touch(last_at, now) {
            return;
        }
        // One request of many wins the right to write.
        if entry
            .last_used
            .compare_exchange(last, now.timestamp(), Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let (db, token_pk, user_id) = (db.clone(), entry.resolved.token.id, entry.resolved.user.id);
        tokio::spawn(async move {
            if let Err(err) = relais_store::tokens::touch(&db, token_pk, user_id, now).await {
                tracing::warn!(error = %err, token_pk, "could not record a token's use");
            }
        });
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Entry>>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Entry>>> {
        self.entries.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Follow the database's security epoch for as long as the cache lives. Returns when the
/// cache is dropped.
pub async fn follow(db: Db, cache: std::sync::Weak<CallerCache>) {
    let mut listener = match relais_store::security_epoch::Listener::connect(&db).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for security changes; reading the epoch only");
            None
        }
    };
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let notified = async {
            match listener.as_mut() {
                Some(l) => l.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // A notification, or a lost connection (the epoch is read again either way).
            result = notified => if let Err(err) = result {
                tracing::warn!(error = %err, "lost the security listener; reading the epoch only");
                listener = None;
            },
            _ = tick.tick() => {}
        }
        let Some(cache) = cache.upgrade() else { return };
        cache.follow_epoch(&db).await;
    }
}
