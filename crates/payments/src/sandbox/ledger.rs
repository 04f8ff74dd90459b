//! Where the sandbox keeps its cards and holds: the [`SandboxLedger`] trait, its records, and
//! [`MemoryLedger`].
//!
//! The server keeps the sandbox's state in its database, but this crate does not depend on the
//! database: the server implements [`SandboxLedger`] on it. The records derive `Serialize` and
//! `Deserialize`, so an implementation can store them as JSON beside a few indexed columns, or map
//! each field to a column. [`MemoryLedger`] keeps them in memory, for tests and demonstrations.
//!
//! Holds change under optimistic concurrency: each [`HoldRecord`] has a `version`, and
//! [`SandboxLedger::update_hold`] writes only if the stored record is still at the version the
//! sandbox read (in SQL, `UPDATE ... WHERE id = ? AND version = ?`); the sandbox reads again and
//! retries when it is not. Two captures racing on one hold cannot both succeed.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{MethodStatus, SavedMethod};

/// The future returned by [`SandboxLedger`] methods: boxed and `Send`.
pub type LedgerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LedgerError>> + Send + 'a>>;

/// The ledger could not read or write (database down, constraint broken...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sandbox ledger: {0}")]
pub struct LedgerError(pub String);

/// The sandbox's storage for saved cards and holds.
pub trait SandboxLedger: Send + Sync {
    /// Stores `card`, replacing the card with the same token if there is one.
    fn save_card<'a>(&'a self, card: &'a CardRecord) -> LedgerFuture<'a, ()>;

    /// The card with this token, if there is one.
    fn find_card<'a>(&'a self, token: &'a str) -> LedgerFuture<'a, Option<CardRecord>>;

    /// Removes the card with this token; whether there was one.
    fn remove_card<'a>(&'a self, token: &'a str) -> LedgerFuture<'a, bool>;

    /// Stores a new hold; `false`, storing nothing, if a hold with its id exists already.
    fn create_hold<'a>(&'a self, hold: &'a HoldRecord) -> LedgerFuture<'a, bool>;

    /// The hold with this id, if there is one.
    fn find_hold<'a>(&'a self, id: &'a str) -> LedgerFuture<'a, Option<HoldRecord>>;

    /// Replaces the hold with `hold.id` by `hold` if the stored one is at `expected_version`;
    /// `false`, writing nothing, if it is not (or there is none).
    fn update_hold<'a>(
        &'a self,
        expected_version: u64,
        hold: &'a HoldRecord,
    ) -> LedgerFuture<'a, bool>;
}

/// A card the sandbox saved: what can be shown of it, its fingerprint and how it behaves; never
/// its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRecord {
    /// The method token (`sbx_pm_...`).
    pub token: String,
    /// The sandbox customer it is saved for (`sbx_cus_...`).
    pub customer_id: String,
    /// Card network (`visa`, `mastercard`, `amex`, `unknown`).
    pub brand: String,
    /// The last four digits of the number.
    pub last4: String,
    /// Expiry month, 1 to 12.
    pub exp_month: u8,
    /// Expiry year, four digits.
    pub exp_year: u16,
    /// Hex HMAC-SHA256 of the number, keyed with the sandbox secret.
    pub fingerprint: String,
    /// How holds on the card turn out.
    pub behaviour: CardBehaviour,
    /// Whether the card is ready, or its setup waits for authentication.
    pub status: MethodStatus,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
}

impl CardRecord {
    /// The card as a [`SavedMethod`].
    pub fn method(&self) -> SavedMethod {
        SavedMethod {
            token: self.token.clone(),
            customer_id: self.customer_id.clone(),
            brand: self.brand.clone(),
            last4: self.last4.clone(),
            exp_month: self.exp_month,
            exp_year: self.exp_year,
            fingerprint: self.fingerprint.clone(),
            status: self.status,
        }
    }
}

/// How holds on a saved card turn out, after Stripe's test card with the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBehaviour {
    /// Holds succeed (`4242 4242 4242 4242`, and any other valid number).
    Succeeds,
    /// Holds are declined for insufficient funds (`4000 0000 0000 9995`).
    InsufficientFunds,
    /// Every hold requires 3-D Secure authentication (`4000 0027 6000 3184`).
    AlwaysAuthenticate,
}

/// A hold the sandbox made (or declined), with what was captured and refunded since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRecord {
    /// The hold id (`sbx_hold_...`), derived from the hold's idempotency key.
    pub id: String,
    /// Incremented by every update (see [`SandboxLedger::update_hold`]); 0 when created.
    pub version: u64,
    /// The idempotency key of the hold request.
    pub idempotency_key: String,
    /// The sandbox customer.
    pub customer_id: String,
    /// The card held on.
    pub method_token: String,
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// The amount held, in major units.
    pub amount: Decimal,
    /// The amount captured (0 until captured).
    pub captured: Decimal,
    /// The amount refunded so far, at most `captured`.
    pub refunded: Decimal,
    /// Where the hold stands now.
    pub status: HoldStatus,
    /// What the hold request answered, which a repeat of it answers again.
    pub outcome: HoldOutcome,
    /// What the hold is for, as the request said.
    pub reference: Option<String>,
    /// The captures, releases and refunds made, with their idempotency keys.
    pub operations: Vec<HoldOperation>,
    /// When the hold was requested.
    pub created_at: DateTime<Utc>,
}

impl HoldRecord {
    /// The operation made with this idempotency key, if any.
    pub fn operation(&self, idempotency_key: &str) -> Option<&HoldOperation> {
        self.operations
            .iter()
            .find(|op| op.idempotency_key == idempotency_key)
    }

    /// What can still be refunded: captured minus refunded.
    pub fn refundable(&self) -> Decimal {
        self.captured - self.refunded
    }
}

/// Where a hold stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum HoldStatus {
    /// Waiting for the cardholder to authenticate (3-D Secure); nothing can be captured yet.
    RequiresAction,
    /// The amount is held and can be captured or released.
    Held,
    /// Captured (the rest released); can be refunded up to the captured amount.
    Captured,
    /// Released without capture.
    Released,
    /// Declined: nothing was held.
    Declined {
        /// The decline code (`insufficient_funds`, `expired_card`...).
        code: String,
    },
}

/// What a hold request answered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum HoldOutcome {
    /// Held.
    Held,
    /// The cardholder must authenticate.
    RequiresAction,
    /// Declined with this code.
    Declined {
        /// The decline code.
        code: String,
    },
}

/// A capture, release or refund made on a hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldOperation {
    /// The operation's idempotency key: a repeat with it answers the same again.
    pub idempotency_key: String,
    /// What was done.
    pub kind: OperationKind,
    /// The amount captured or refunded (the amount released, for a release).
    pub amount: Decimal,
    /// The refund's id, for a refund.
    pub refund_id: Option<String>,
    /// Why, for a refund, as the request said.
    pub reason: Option<String>,
    /// When it was done.
    pub at: DateTime<Utc>,
}

/// What an operation on a hold did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// Captured.
    Capture,
    /// Released.
    Release,
    /// Refunded.
    Refund,
}

/// A [`SandboxLedger`] in memory, for tests and demonstrations; lost when dropped.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    cards: Mutex<HashMap<String, CardRecord>>,
    holds: Mutex<HashMap<String, HoldRecord>>,
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every card, by token.
    pub fn cards(&self) -> Vec<CardRecord> {
        let mut cards: Vec<CardRecord> = lock(&self.cards).values().cloned().collect();
        cards.sort_by(|a, b| a.token.cmp(&b.token));
        cards
    }

    /// Every hold, by id.
    pub fn holds(&self) -> Vec<HoldRecord> {
        let mut holds: Vec<HoldRecord> = lock(&self.holds).values().cloned().collect();
        holds.sort_by(|a, b| a.id.cmp(&b.id));
        holds
    }
}

/// The map behind `mutex`; each change is one `insert` or `remove`, so a panic cannot leave it torn.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SandboxLedger for MemoryLedger {
    fn save_card<'a>(&'a self, card: &'a CardRecord) -> LedgerFuture<'a, ()> {
        Box::pin(async move {
            lock(&self.cards).insert(card.token.clone(), card.clone());
            Ok(())
        })
    }

    fn find_card<'a>(&'a self, token: &'a str) -> LedgerFuture<'a, Option<CardRecord>> {
        Box::pin(async move { Ok(lock(&self.cards).get(token).cloned()) })
    }

    fn remove_card<'a>(&'a self, token: &'a str) -> LedgerFuture<'a, bool> {
        Box::pin(async move { Ok(lock(&self.cards).remove(token).is_some()) })
    }

    fn create_hold<'a>(&'a self, hold: &'a HoldRecord) -> LedgerFuture<'a, bool> {
        Box::pin(async move {
            let mut holds = lock(&self.holds);
            if holds.contains_key(&hold.id) {
                return Ok(false);
            }
            holds.insert(hold.id.clone(), hold.clone());
            Ok(true)
        })
    }

    fn find_hold<'a>(&'a self, id: &'a str) -> LedgerFuture<'a, Option<HoldRecord>> {
        Box::pin(async move { Ok(lock(&self.holds).get(id).cloned()) })
    }

    fn update_hold<'a>(
        &'a self,
        expected_version: u64,
        hold: &'a HoldRecord,
    ) -> LedgerFuture<'a, bool> {
        Box::pin(async move {
            let mut holds = lock(&self.holds);
            match holds.get_mut(&hold.id) {
                Some(stored) if stored.version == expected_version => {
                    *stored = hold.clone();
                    Ok(true)
                }
                _ => Ok(false),
            }
        })
    }
}
