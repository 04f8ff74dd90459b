//! The sandbox: relais's local default payment provider, which does real work without a network.
//!
//! It validates cards as a processor would (Luhn check digit, expiry, CVC), saves them, holds,
//! captures, releases and refunds with the same rules as Stripe, and keeps everything in a
//! [`SandboxLedger`] (the server's database, or a [`MemoryLedger`]). No money moves: it is what an
//! operator runs before it has a provider account, and what demonstrations and tests run on.
//!
//! # Test cards
//!
//! The numbers behave like Stripe's test cards with the same numbers, so an app tested against
//! the sandbox meets the same cases with Stripe in test mode:
//!
//! | number | behaviour |
//! | --- | --- |
//! | `4242 4242 4242 4242` | always succeeds |
//! | `4000 0000 0000 0002` | declined when saved (`generic_decline`) |
//! | `4000 0000 0000 9995` | saved; every hold declined for insufficient funds |
//! | `4000 0027 6000 3184` | 3-D Secure on setup and on every hold ([`PaymentError::RequiresAction`]) |
//! | any other number with a valid Luhn check digit | succeeds |
//!
//! A number with a wrong check digit, a bad expiry or CVC is refused naming the field; an expired
//! card is declined (`expired_card`) at setup, and at hold time if it has expired since.
//!
//! 3-D Secure is simulated: [`complete_setup`](PaymentProvider::complete_setup) stands for the
//! cardholder having authenticated the setup (the app calls it after its authentication step, as
//! with Stripe), and [`Sandbox::authenticate_hold`] for a hold's authentication.
//!
//! # What is kept
//!
//! The card number enters only through a [`SandboxCard`] in [`SetupRequest::card`] and is never
//! stored: a [`CardRecord`] holds a token, the brand (from the number's leading digits), the last
//! four digits, the expiry, the behaviour, and a fingerprint, the hex HMAC-SHA256 of the number
//! keyed with the sandbox secret ([`SandboxConfig::secret`]), so the same card saved on two
//! accounts has the same fingerprint (which is how relais finds shared cards) while the
//! fingerprint alone does not give the number away.
//!
//! # Rules
//!
//! - capture once, at most the held amount, only a held (not released, not awaiting
//!   authentication) hold; the rest is released;
//! - refund, in as many parts as wanted, at most what was captured minus what was refunded;
//! - release only an uncaptured hold;
//! - amounts positive, in the hold's currency, with no more decimals than the currency has;
//! - idempotency: ids are derived from the idempotency key (an HMAC under the sandbox secret, so
//!   they cannot be guessed), so repeating a setup, hold, capture, release or refund with the same
//!   key and parameters answers the first outcome again, declines included, without doing it
//!   twice; the same key with other parameters is refused. Refused requests change nothing and are
//!   not remembered, as Stripe does for requests that fail validation. Capture, release and refund
//!   keys are scoped to their hold.
//! - removing a card is idempotent: removing one that is not there succeeds (it is gone).

mod card;
mod ledger;

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::Sha256;

pub use card::SandboxCard;
pub use ledger::{
    CardBehaviour, CardRecord, HoldOperation, HoldOutcome, HoldRecord, HoldStatus, LedgerError,
    LedgerFuture, MemoryLedger, OperationKind, SandboxLedger,
};

use crate::money::{normalize_currency, positive};
use crate::{
    Capture, CaptureRequest, ConfigError, CustomerRef, Hold, HoldRequest, MethodStatus,
    PaymentError, PaymentFuture, PaymentProvider, ProviderKey, Refund, RefundRequest, RefundStatus,
    SavedMethod, SetupRequest, SetupStart, check_idempotency_key,
};
use card::TestOutcome;

/// The shortest sandbox secret accepted, in bytes.
const MIN_SECRET_LEN: usize = 16;
/// How many times a hold update is tried again after losing a race.
const MAX_ATTEMPTS: usize = 8;
/// Hex characters of HMAC kept in derived ids (96 bits).
const ID_HEX_LEN: usize = 24;

/// The sandbox's settings. `Debug` never shows the secret.
#[derive(Clone, Deserialize)]
pub struct SandboxConfig {
    /// The key of the card fingerprints and derived ids: at least 16 bytes, kept secret and never
    /// changed (changing it changes every fingerprint).
    pub secret: String,
}

impl SandboxConfig {
    /// Settings with this secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self {
            secret: secret.into(),
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Where the sandbox reads the time (card expiry, record dates).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The sandbox payment provider.
pub struct Sandbox {
    secret: Vec<u8>,
    ledger: Arc<dyn SandboxLedger>,
    clock: Clock,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox").finish_non_exhaustive()
    }
}

/// What a hold update does.
enum Change<T> {
    /// Nothing to write (a repeat); answer this.
    Keep(T),
    /// Write the changed record, then answer this.
    Write(T),
}

impl Sandbox {
    /// A sandbox keeping its state in `ledger`, reading the system clock.
    pub fn new(config: SandboxConfig, ledger: Arc<dyn SandboxLedger>) -> Result<Self, ConfigError> {
        if config.secret.len() < MIN_SECRET_LEN {
            return Err(ConfigError::Invalid(format!(
                "sandbox secret: must have at least {MIN_SECRET_LEN} bytes"
            )));
        }
        Ok(Self {
            secret: config.secret.into_bytes(),
            ledger,
            clock: Arc::new(Utc::now),
        })
    }

    /// The same sandbox reading the time from `clock`.
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Simulates the cardholder passing 3-D Secure for a hold that requires it: the amount is then
    /// held. Holding an already held hold again is a no-op.
    pub async fn authenticate_hold(&self, hold_id: &str) -> Result<Hold, PaymentError> {
        self.change_hold(hold_id, |hold| match hold.status {
            HoldStatus::RequiresAction => {
                hold.status = HoldStatus::Held;
                Ok(Change::Write(held(hold)))
            }
            HoldStatus::Held => Ok(Change::Keep(held(hold))),
            _ => Err(PaymentError::invalid(
                "hold_id",
                format!("hold {hold_id} does not wait for authentication"),
            )),
        })
        .await
    }

    /// Hex HMAC-SHA256 of `parts`, NUL-separated, under the sandbox secret.
    fn mac(&self, parts: &[&str]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                mac.update(b"\0");
            }
            mac.update(part.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// An id for `parts` (a purpose, then what the id is of): the same for the same parts,
    /// unguessable without the secret.
    fn derived_id(&self, prefix: &str, parts: &[&str]) -> String {
        let mut id = self.mac(parts);
        id.truncate(ID_HEX_LEN);
        format!("{prefix}{id}")
    }

    /// The sandbox customer of a relais user.
    fn customer_id(&self, customer: &CustomerRef) -> String {
        match &customer.provider_id {
            Some(id) => id.clone(),
            None => self.derived_id("sbx_cus_", &["customer", &customer.user_id]),
        }
    }

    async fn begin_setup(&self, request: &SetupRequest) -> Result<SetupStart, PaymentError> {
        check_idempotency_key(&request.idempotency_key)?;
        let card = request.card.as_ref().ok_or_else(|| {
            PaymentError::invalid(
                "card",
                "the sandbox needs the card's number, expiry and security code",
            )
        })?;
        let now = (self.clock)();
        let checked = card::check(card, now)?;
        let behaviour = match checked.outcome {
            TestOutcome::DeclinedAtSetup(code) => {
                return Err(PaymentError::Declined {
                    code: code.into(),
                    hold_id: None,
                });
            }
            TestOutcome::Saved(behaviour) => behaviour,
        };
        // The only use of the number: the fingerprint. `checked` (and the number) drops below.
        let fingerprint = self.mac(&[&checked.digits]);
        let customer_id = self.customer_id(&request.customer);
        let token = self.derived_id("sbx_pm_", &["card", &request.idempotency_key]);
        if let Some(existing) = self.ledger.find_card(&token).await.map_err(ledger_error)? {
            let same = existing.customer_id == customer_id
                && existing.fingerprint == fingerprint
                && existing.exp_month == checked.exp_month
                && existing.exp_year == checked.exp_year;
            return if same {
                Ok(SetupStart::Saved(existing.method()))
            } else {
                Err(reused_key())
            };
        }
        let record = CardRecord {
            token,
            customer_id,
            brand: checked.brand.to_owned(),
            last4: checked.last4.clone(),
            exp_month: checked.exp_month,
            exp_year: checked.exp_year,
            fingerprint,
            behaviour,
            status: match behaviour {
                CardBehaviour::AlwaysAuthenticate => MethodStatus::RequiresAction,
                CardBehaviour::Succeeds | CardBehaviour::InsufficientFunds => MethodStatus::Ready,
            },
            created_at: now,
        };
        drop(checked);
        self.ledger.save_card(&record).await.map_err(ledger_error)?;
        tracing::debug!(token = %record.token, brand = %record.brand, "sandbox card saved");
        Ok(SetupStart::Saved(record.method()))
    }

    async fn complete_setup(
        &self,
        customer: &CustomerRef,
        setup_id: &str,
    ) -> Result<SavedMethod, PaymentError> {
        let mut card = self
            .card_of(&self.customer_id(customer), setup_id, "setup_id")
            .await?;
        if card.status == MethodStatus::RequiresAction {
            card.status = MethodStatus::Ready;
            self.ledger.save_card(&card).await.map_err(ledger_error)?;
        }
        Ok(card.method())
    }

    /// The card `token`, which must be `customer_id`'s.
    async fn card_of(
        &self,
        customer_id: &str,
        token: &str,
        param: &str,
    ) -> Result<CardRecord, PaymentError> {
        let card = self.find_card(token, param).await?;
        if card.customer_id != customer_id {
            return Err(PaymentError::invalid(
                param,
                format!("payment method {token} is not one of this customer's"),
            ));
        }
        Ok(card)
    }

    async fn find_card(&self, token: &str, param: &str) -> Result<CardRecord, PaymentError> {
        self.ledger
            .find_card(token)
            .await
            .map_err(ledger_error)?
            .ok_or_else(|| PaymentError::invalid(param, format!("no such payment method: {token}")))
    }

    async fn remove(&self, method_token: &str, idempotency_key: &str) -> Result<(), PaymentError> {
        check_idempotency_key(idempotency_key)?;
        self.ledger
            .remove_card(method_token)
            .await
            .map_err(ledger_error)?;
        Ok(())
    }

    async fn hold(&self, request: &HoldRequest) -> Result<Hold, PaymentError> {
        check_idempotency_key(&request.idempotency_key)?;
        let currency = normalize_currency(&request.currency)?;
        let (amount, _) = positive(request.amount, &currency, "amount")?;
        let id = self.derived_id("sbx_hold_", &["hold", &request.idempotency_key]);
        let same_request = |hold: &HoldRecord| {
            hold.customer_id == request.customer_id
                && hold.method_token == request.method_token
                && hold.currency == currency
                && hold.amount == amount
                && hold.reference == request.reference
        };
        if let Some(existing) = self.ledger.find_hold(&id).await.map_err(ledger_error)? {
            return if same_request(&existing) {
                first_outcome(&existing)
            } else {
                Err(reused_key())
            };
        }
        let card = self
            .card_of(
                &request.customer_id,
                &request.method_token,
                "payment_method",
            )
            .await?;
        let now = (self.clock)();
        let outcome = if card::expired(card.exp_month, card.exp_year, now) {
            HoldOutcome::Declined {
                code: "expired_card".into(),
            }
        } else {
            match card.behaviour {
                CardBehaviour::Succeeds => HoldOutcome::Held,
                CardBehaviour::InsufficientFunds => HoldOutcome::Declined {
                    code: "insufficient_funds".into(),
                },
                CardBehaviour::AlwaysAuthenticate => HoldOutcome::RequiresAction,
            }
        };
        let record = HoldRecord {
            id: id.clone(),
            version: 0,
            idempotency_key: request.idempotency_key.clone(),
            customer_id: request.customer_id.clone(),
            method_token: request.method_token.clone(),
            currency: currency.clone(),
            amount,
            captured: Decimal::ZERO,
            refunded: Decimal::ZERO,
            status: match &outcome {
                HoldOutcome::Held => HoldStatus::Held,
                HoldOutcome::RequiresAction => HoldStatus::RequiresAction,
                HoldOutcome::Declined { code } => HoldStatus::Declined { code: code.clone() },
            },
            outcome,
            reference: request.reference.clone(),
            operations: Vec::new(),
            created_at: now,
        };
        if !self
            .ledger
            .create_hold(&record)
            .await
            .map_err(ledger_error)?
        {
            // The same key won a race: answer what it answered.
            let existing = self
                .ledger
                .find_hold(&id)
                .await
                .map_err(ledger_error)?
                .ok_or_else(|| PaymentError::Unavailable {
                    message: format!("hold {id} was created and is gone"),
                })?;
            return if same_request(&existing) {
                first_outcome(&existing)
            } else {
                Err(reused_key())
            };
        }
        tracing::debug!(hold = %id, outcome = ?record.outcome, "sandbox hold");
        first_outcome(&record)
    }

    async fn capture(&self, request: &CaptureRequest) -> Result<Capture, PaymentError> {
        check_idempotency_key(&request.idempotency_key)?;
        let currency = normalize_currency(&request.currency)?;
        let (amount, _) = positive(request.amount, &currency, "amount")?;
        let key = request.idempotency_key.as_str();
        let now = (self.clock)();
        self.change_hold(&request.hold_id, |hold| {
            let captured = |hold: &HoldRecord| Capture {
                hold_id: hold.id.clone(),
                amount: hold.captured,
                currency: hold.currency.clone(),
            };
            if let Some(op) = hold.operation(key) {
                return if op.kind == OperationKind::Capture && op.amount == amount {
                    Ok(Change::Keep(captured(hold)))
                } else {
                    Err(reused_key())
                };
            }
            same_currency(hold, &currency)?;
            match &hold.status {
                HoldStatus::Held => {}
                HoldStatus::RequiresAction => {
                    return Err(PaymentError::RequiresAction {
                        hold_id: Some(hold.id.clone()),
                        client_secret: None,
                    });
                }
                other => return Err(wrong_state(hold, other, "captured")),
            }
            if amount > hold.amount {
                return Err(PaymentError::invalid(
                    "amount",
                    format!(
                        "cannot capture {amount} {currency}: {} {currency} is held",
                        hold.amount
                    ),
                ));
            }
            hold.captured = amount;
            hold.status = HoldStatus::Captured;
            hold.operations.push(HoldOperation {
                idempotency_key: key.to_owned(),
                kind: OperationKind::Capture,
                amount,
                refund_id: None,
                reason: None,
                at: now,
            });
            Ok(Change::Write(captured(hold)))
        })
        .await
    }

    async fn release(&self, hold_id: &str, idempotency_key: &str) -> Result<(), PaymentError> {
        check_idempotency_key(idempotency_key)?;
        let now = (self.clock)();
        self.change_hold(hold_id, |hold| {
            if let Some(op) = hold.operation(idempotency_key) {
                return if op.kind == OperationKind::Release {
                    Ok(Change::Keep(()))
                } else {
                    Err(reused_key())
                };
            }
            match &hold.status {
                HoldStatus::Held | HoldStatus::RequiresAction => {}
                other => return Err(wrong_state(hold, other, "released")),
            }
            hold.status = HoldStatus::Released;
            hold.operations.push(HoldOperation {
                idempotency_key: idempotency_key.to_owned(),
                kind: OperationKind::Release,
                amount: hold.amount,
                refund_id: None,
                reason: None,
                at: now,
            });
            Ok(Change::Write(()))
        })
        .await
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, PaymentError> {
        check_idempotency_key(&request.idempotency_key)?;
        let currency = normalize_currency(&request.currency)?;
        let (amount, _) = positive(request.amount, &currency, "amount")?;
        let key = request.idempotency_key.as_str();
        let refund_id = self.derived_id("sbx_re_", &["refund", &request.hold_id, key]);
        let now = (self.clock)();
        self.change_hold(&request.hold_id, |hold| {
            let refund = |hold: &HoldRecord| Refund {
                id: refund_id.clone(),
                hold_id: hold.id.clone(),
                amount,
                currency: hold.currency.clone(),
                status: RefundStatus::Succeeded,
            };
            if let Some(op) = hold.operation(key) {
                return if op.kind == OperationKind::Refund
                    && op.amount == amount
                    && op.reason == request.reason
                {
                    Ok(Change::Keep(refund(hold)))
                } else {
                    Err(reused_key())
                };
            }
            same_currency(hold, &currency)?;
            if hold.status != HoldStatus::Captured {
                let status = hold.status.clone();
                return Err(wrong_state(hold, &status, "refunded"));
            }
            if amount > hold.refundable() {
                return Err(PaymentError::invalid(
                    "amount",
                    format!(
                        "cannot refund {amount} {currency}: {} {currency} of the {} {currency} captured is left to refund",
                        hold.refundable(),
                        hold.captured
                    ),
                ));
            }
            hold.refunded += amount;
            hold.operations.push(HoldOperation {
                idempotency_key: key.to_owned(),
                kind: OperationKind::Refund,
                amount,
                refund_id: Some(refund_id.clone()),
                reason: request.reason.clone(),
                at: now,
            });
            Ok(Change::Write(refund(hold)))
        })
        .await
    }

    async fn fingerprint(&self, method_token: &str) -> Result<String, PaymentError> {
        Ok(self
            .find_card(method_token, "payment_method")
            .await?
            .fingerprint)
    }

    /// Reads hold `hold_id`, lets `change` decide, writes if it changed the record, and starts
    /// again if another writer got there first.
    async fn change_hold<T>(
        &self,
        hold_id: &str,
        mut change: impl FnMut(&mut HoldRecord) -> Result<Change<T>, PaymentError> + Send,
    ) -> Result<T, PaymentError> {
        for _ in 0..MAX_ATTEMPTS {
            let mut hold = self
                .ledger
                .find_hold(hold_id)
                .await
                .map_err(ledger_error)?
                .ok_or_else(|| {
                    PaymentError::invalid("hold_id", format!("no such hold: {hold_id}"))
                })?;
            let expected = hold.version;
            match change(&mut hold)? {
                Change::Keep(answer) => return Ok(answer),
                Change::Write(answer) => {
                    hold.version = expected + 1;
                    if self
                        .ledger
                        .update_hold(expected, &hold)
                        .await
                        .map_err(ledger_error)?
                    {
                        return Ok(answer);
                    }
                }
            }
        }
        Err(PaymentError::Unavailable {
            message: format!("hold {hold_id} kept changing under concurrent updates"),
        })
    }
}

impl PaymentProvider for Sandbox {
    fn key(&self) -> ProviderKey {
        ProviderKey::Sandbox
    }

    fn begin_setup<'a>(&'a self, request: &'a SetupRequest) -> PaymentFuture<'a, SetupStart> {
        Box::pin(Sandbox::begin_setup(self, request))
    }

    fn complete_setup<'a>(
        &'a self,
        customer: &'a CustomerRef,
        setup_id: &'a str,
    ) -> PaymentFuture<'a, SavedMethod> {
        Box::pin(Sandbox::complete_setup(self, customer, setup_id))
    }

    fn remove<'a>(
        &'a self,
        method_token: &'a str,
        idempotency_key: &'a str,
    ) -> PaymentFuture<'a, ()> {
        Box::pin(Sandbox::remove(self, method_token, idempotency_key))
    }

    fn hold<'a>(&'a self, request: &'a HoldRequest) -> PaymentFuture<'a, Hold> {
        Box::pin(Sandbox::hold(self, request))
    }

    fn capture<'a>(&'a self, request: &'a CaptureRequest) -> PaymentFuture<'a, Capture> {
        Box::pin(Sandbox::capture(self, request))
    }

    fn release<'a>(&'a self, hold_id: &'a str, idempotency_key: &'a str) -> PaymentFuture<'a, ()> {
        Box::pin(Sandbox::release(self, hold_id, idempotency_key))
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> PaymentFuture<'a, Refund> {
        Box::pin(Sandbox::refund(self, request))
    }

    fn fingerprint<'a>(&'a self, method_token: &'a str) -> PaymentFuture<'a, String> {
        Box::pin(Sandbox::fingerprint(self, method_token))
    }
}

/// The hold as held.
fn held(hold: &HoldRecord) -> Hold {
    Hold {
        id: hold.id.clone(),
        amount: hold.amount,
        currency: hold.currency.clone(),
    }
}

/// What the hold request that made `hold` answered.
fn first_outcome(hold: &HoldRecord) -> Result<Hold, PaymentError> {
    let hold_id = Some(hold.id.clone());
    match &hold.outcome {
        HoldOutcome::Held => Ok(held(hold)),
        HoldOutcome::RequiresAction => Err(PaymentError::RequiresAction {
            hold_id,
            client_secret: None,
        }),
        HoldOutcome::Declined { code } if code == "insufficient_funds" => {
            Err(PaymentError::InsufficientFunds { hold_id })
        }
        HoldOutcome::Declined { code } => Err(PaymentError::Declined {
            code: code.clone(),
            hold_id,
        }),
    }
}

fn same_currency(hold: &HoldRecord, currency: &str) -> Result<(), PaymentError> {
    if hold.currency == currency {
        Ok(())
    } else {
        Err(PaymentError::invalid(
            "currency",
            format!("hold {} is in {}, not {currency}", hold.id, hold.currency),
        ))
    }
}

/// Refuses to do `what` (`captured`...) to a hold in `status`.
fn wrong_state(hold: &HoldRecord, status: &HoldStatus, what: &str) -> PaymentError {
    let state = match status {
        HoldStatus::RequiresAction => "waits for authentication".to_owned(),
        HoldStatus::Held => "is held, not captured".to_owned(),
        HoldStatus::Captured => "is already captured".to_owned(),
        HoldStatus::Released => "was released".to_owned(),
        HoldStatus::Declined { code } => format!("was declined ({code}): nothing is held"),
    };
    PaymentError::invalid(
        "hold_id",
        format!("hold {} {state}: it cannot be {what}", hold.id),
    )
}

fn reused_key() -> PaymentError {
    PaymentError::invalid(
        "idempotency_key",
        "this idempotency key was already used for a request with other parameters",
    )
}

fn ledger_error(error: LedgerError) -> PaymentError {
    PaymentError::Unavailable {
        message: error.to_string(),
    }
}
