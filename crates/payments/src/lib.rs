//! Payment providers: where relais saves a rider's card, pre-authorises (holds) money before a
//! rental, captures what the rental cost, releases the rest and refunds.
//!
//! The rest of relais sees one small interface, [`PaymentProvider`], and nothing of a provider's
//! protocol. Two implementations do real work:
//!
//! - [`StripeClient`] ([`stripe`]) speaks Stripe's HTTP API (customers, SetupIntents,
//!   PaymentMethods, PaymentIntents with manual capture, refunds) and verifies Stripe's webhook
//!   signatures;
//! - [`Sandbox`] ([`sandbox`]) is the local default: it needs no network, behaves like Stripe's
//!   well-known test cards, and keeps its cards and holds in a [`SandboxLedger`] that the server
//!   implements on its database ([`MemoryLedger`] for tests and demonstrations).
//!
//! The other providers the seed names (`uzcard`, `braintree`, `hdcpay`) have a [`ProviderKey`]
//! but no implementation: configuring one is refused with [`ConfigError::NotAvailable`] (see
//! [`config`]).
//!
//! # Money
//!
//! Amounts are [`Decimal`]s in major units (`12.50` EUR) with an ISO 4217 currency code; never
//! floating point. Providers want minor units (`1250`): [`money`] converts exactly, with the
//! currency's ISO minor units, and refuses an amount with more decimals than its currency has
//! rather than rounding it.
//!
//! # Card numbers
//!
//! A card number reaches this crate only through a [`SandboxCard`] (Stripe collects card details
//! in its own client SDKs, so they never reach relais). It is used to compute the brand, the last
//! four digits and a keyed fingerprint, then dropped: no record, log line, `Debug` output or error
//! message carries it.
//!
//! # Why a trait object with boxed futures
//!
//! As with the ERP connectors, the server keeps the configured provider as an
//! `Arc<dyn PaymentProvider>`, so the trait must be object-safe, which an `async fn` in a trait is
//! not: its methods return a [`PaymentFuture`] (boxed and `Send`). One allocation per call is
//! nothing next to a network round trip or a database write.
//!
//! # Idempotency
//!
//! Every operation that changes something takes a caller-given idempotency key (a UUID is fine;
//! at most 255 characters, Stripe's limit). Repeating an operation with the same key and the same
//! parameters answers the first outcome again without doing anything twice, so a caller that lost
//! an answer (timeout, crash) can simply retry; the same key with other parameters is refused.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub mod config;
pub mod money;
pub mod sandbox;
pub mod stripe;

pub use config::{ConfigError, PaymentsConfig, ProviderKey, build_provider};
pub use sandbox::{MemoryLedger, Sandbox, SandboxCard, SandboxConfig, SandboxLedger};
pub use stripe::{StripeClient, StripeConfig};

/// The future returned by [`PaymentProvider`] methods: boxed and `Send`, so that
/// `dyn PaymentProvider` can be shared across tasks.
pub type PaymentFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, PaymentError>> + Send + 'a>>;

/// A payment provider: saves cards off-session, holds, captures, releases and refunds.
pub trait PaymentProvider: Send + Sync {
    /// Which provider this is (`stripe`, `sandbox`, ...).
    fn key(&self) -> ProviderKey;

    /// Starts saving a payment method for `request.customer`, to be charged later off-session.
    ///
    /// Stripe answers [`SetupStart::Pending`] (the app confirms the SetupIntent with Stripe's SDK,
    /// then relais calls [`complete_setup`](Self::complete_setup)); the sandbox, given the card in
    /// `request.card`, answers [`SetupStart::Saved`] at once.
    fn begin_setup<'a>(&'a self, request: &'a SetupRequest) -> PaymentFuture<'a, SetupStart>;

    /// Finishes saving: the method saved by the setup `setup_id` (a Stripe SetupIntent id, a
    /// sandbox card token), which must belong to `customer`.
    fn complete_setup<'a>(
        &'a self,
        customer: &'a CustomerRef,
        setup_id: &'a str,
    ) -> PaymentFuture<'a, SavedMethod>;

    /// Removes a saved method: it can no longer be held or charged.
    fn remove<'a>(
        &'a self,
        method_token: &'a str,
        idempotency_key: &'a str,
    ) -> PaymentFuture<'a, ()>;

    /// Pre-authorises (holds) an amount on a saved method, off-session.
    ///
    /// `Ok` means the amount is held. A card that is not held is an error saying why:
    /// [`PaymentError::Declined`], [`PaymentError::InsufficientFunds`] or
    /// [`PaymentError::RequiresAction`] (the cardholder must authenticate on-session), each with
    /// the provider's id for the attempt when it made one.
    fn hold<'a>(&'a self, request: &'a HoldRequest) -> PaymentFuture<'a, Hold>;

    /// Captures up to the held amount; the rest of the hold is released.
    fn capture<'a>(&'a self, request: &'a CaptureRequest) -> PaymentFuture<'a, Capture>;

    /// Releases an uncaptured hold entirely.
    fn release<'a>(&'a self, hold_id: &'a str, idempotency_key: &'a str) -> PaymentFuture<'a, ()>;

    /// Refunds part or all of what a hold captured, never more than is left to refund.
    fn refund<'a>(&'a self, request: &'a RefundRequest) -> PaymentFuture<'a, Refund>;

    /// The fingerprint of a saved method: equal for the same card number, whoever saved it.
    fn fingerprint<'a>(&'a self, method_token: &'a str) -> PaymentFuture<'a, String>;
}

/// The relais user a payment method is saved for, and the provider's customer for them if known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRef {
    /// The relais user id, kept in the provider's metadata (`metadata[user_id]`).
    pub user_id: String,
    /// The user's email address, given to the provider when it creates the customer.
    pub email: Option<String>,
    /// The user's name, given to the provider when it creates the customer.
    pub name: Option<String>,
    /// The provider's customer id (Stripe `cus_...`), once [`SetupStart`] has returned one.
    pub provider_id: Option<String>,
}

impl CustomerRef {
    /// A user not yet known to the provider, with neither email nor name.
    pub fn new(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            email: None,
            name: None,
            provider_id: None,
        }
    }
}

/// What [`PaymentProvider::begin_setup`] needs.
#[derive(Debug, Clone)]
pub struct SetupRequest {
    /// Whom the method is saved for.
    pub customer: CustomerRef,
    /// The card's details, for the sandbox only (Stripe collects them in its own SDKs and refuses
    /// this field).
    pub card: Option<SandboxCard>,
    /// The caller's idempotency key for this setup.
    pub idempotency_key: String,
}

/// How a setup started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupStart {
    /// The app must finish the setup with the provider, then relais calls
    /// [`PaymentProvider::complete_setup`] with [`PendingSetup::setup_id`].
    Pending(PendingSetup),
    /// The method is saved already (the sandbox); its status may still require an action.
    Saved(SavedMethod),
}

/// A setup the app finishes with the provider's SDK (Stripe: `confirmCardSetup` with the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSetup {
    /// The provider's customer id, to keep in [`CustomerRef::provider_id`] for the next calls.
    pub customer_id: String,
    /// The provider's id for this setup (Stripe `seti_...`), for [`PaymentProvider::complete_setup`].
    pub setup_id: String,
    /// What the app hands to the provider's SDK to finish the setup.
    pub client_secret: ClientSecret,
}

/// A secret meant for the rider's app only (a Stripe client secret): `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, to hand to the app.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// A saved payment method as relais keeps it: a provider token and what can be shown of the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMethod {
    /// The provider's token for the method (Stripe `pm_...`, sandbox `sbx_pm_...`).
    pub token: String,
    /// The provider's customer the method is attached to.
    pub customer_id: String,
    /// Card network, lower case as Stripe spells it (`visa`, `mastercard`, `amex`, `unknown`...).
    pub brand: String,
    /// The last four digits of the card number.
    pub last4: String,
    /// Expiry month, 1 to 12.
    pub exp_month: u8,
    /// Expiry year, four digits.
    pub exp_year: u16,
    /// Equal for the same card number, whoever saved it: how relais finds cards shared by accounts.
    pub fingerprint: String,
    /// Whether the method can be used, or the cardholder must still authenticate.
    pub status: MethodStatus,
}

/// Whether a saved method can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodStatus {
    /// Saved and usable off-session.
    Ready,
    /// The cardholder must still authenticate (3-D Secure) to finish the setup.
    RequiresAction,
}

/// What [`PaymentProvider::hold`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRequest {
    /// The provider's customer id ([`SavedMethod::customer_id`]).
    pub customer_id: String,
    /// The saved method to hold on ([`SavedMethod::token`]).
    pub method_token: String,
    /// Amount to hold, in major units of `currency`; positive, with no more decimals than it has.
    pub amount: Decimal,
    /// ISO 4217 code (`EUR`).
    pub currency: String,
    /// What the hold is for (a rental id...), kept in the provider's metadata.
    pub reference: Option<String>,
    /// The caller's idempotency key for this hold.
    pub idempotency_key: String,
}

/// An amount held on a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The provider's id for the hold (Stripe `pi_...`, sandbox `sbx_hold_...`).
    pub id: String,
    /// The amount held, in major units.
    pub amount: Decimal,
    /// ISO 4217 code, upper case.
    pub currency: String,
}

/// What [`PaymentProvider::capture`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureRequest {
    /// The hold to capture ([`Hold::id`]).
    pub hold_id: String,
    /// Amount to capture, positive, at most the held amount.
    pub amount: Decimal,
    /// ISO 4217 code; must be the hold's.
    pub currency: String,
    /// The caller's idempotency key for this capture.
    pub idempotency_key: String,
}

/// What a capture took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// The captured hold.
    pub hold_id: String,
    /// The amount captured, in major units.
    pub amount: Decimal,
    /// ISO 4217 code, upper case.
    pub currency: String,
}

/// What [`PaymentProvider::refund`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The captured hold to refund ([`Hold::id`]).
    pub hold_id: String,
    /// Amount to refund, positive, at most what is left to refund.
    pub amount: Decimal,
    /// ISO 4217 code; must be the hold's.
    pub currency: String,
    /// Why, in words, kept in the provider's metadata (`metadata[reason]`).
    pub reason: Option<String>,
    /// The caller's idempotency key for this refund.
    pub idempotency_key: String,
}

/// A refund made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The provider's id for the refund (Stripe `re_...`, sandbox `sbx_re_...`).
    pub id: String,
    /// The refunded hold.
    pub hold_id: String,
    /// The amount refunded, in major units.
    pub amount: Decimal,
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// Where the refund stands.
    pub status: RefundStatus,
}

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Accepted, not yet settled (Stripe `pending` or `requires_action`).
    Pending,
    /// Done.
    Succeeded,
    /// Failed or canceled: the money was not returned.
    Failed,
}

/// Why a payment operation did not happen.
///
/// Messages come from relais or from the provider, never contain a card number or a secret, and
/// can be shown to an operator; the decline messages can be shown to the rider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The card was declined; `code` is the provider's reason (`generic_decline`, `expired_card`...).
    #[error("the card was declined ({code})")]
    Declined {
        /// The decline reason, as Stripe's `decline_code` (or `code` when it has none).
        code: String,
        /// The provider's id for the declined hold, when a hold was attempted.
        hold_id: Option<String>,
    },
    /// The card was declined for insufficient funds.
    #[error("the card was declined for insufficient funds")]
    InsufficientFunds {
        /// The provider's id for the declined hold, when a hold was attempted.
        hold_id: Option<String>,
    },
    /// The cardholder must authenticate (3-D Secure) on-session before this can go on.
    #[error("the cardholder must authenticate the payment (3-D Secure) in the app")]
    RequiresAction {
        /// The provider's id for the hold waiting for authentication, if any.
        hold_id: Option<String>,
        /// What the app hands to the provider's SDK to authenticate, if the provider gives one.
        client_secret: Option<ClientSecret>,
    },
    /// The request cannot succeed as it is (bad parameter, unknown object, wrong state...).
    #[error("invalid payment request: {message}")]
    InvalidRequest {
        /// What is wrong.
        message: String,
        /// The request field at fault (`amount`, `number`...), when one is.
        param: Option<String>,
    },
    /// The provider (or the sandbox's ledger) cannot be reached or is overloaded: try again later.
    #[error("the payment provider is unavailable: {message}")]
    Unavailable {
        /// What failed.
        message: String,
    },
    /// The provider refused relais's credentials or permissions: the configuration must change.
    #[error("the payment provider refused relais's credentials: {message}")]
    Misconfigured {
        /// The provider's message.
        message: String,
    },
    /// The provider's answer did not follow its protocol.
    #[error("unexpected answer from the payment provider: {message}")]
    Protocol {
        /// What was unexpected.
        message: String,
    },
}

impl PaymentError {
    /// Whether the same request may succeed later unchanged (and, with its idempotency key, may be
    /// repeated safely).
    pub fn retryable(&self) -> bool {
        matches!(self, PaymentError::Unavailable { .. })
    }

    /// An [`InvalidRequest`](Self::InvalidRequest) naming the field at fault.
    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        PaymentError::InvalidRequest {
            message: message.into(),
            param: Some(param.to_owned()),
        }
    }

    /// The provider's id for the hold this error is about, if it made one (declines, 3-D Secure).
    pub fn hold_id(&self) -> Option<&str> {
        match self {
            PaymentError::Declined { hold_id, .. }
            | PaymentError::InsufficientFunds { hold_id }
            | PaymentError::RequiresAction { hold_id, .. } => hold_id.as_deref(),
            _ => None,
        }
    }
}

/// Stripe's limit on idempotency keys, which the sandbox applies too.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// Refuses an empty or overlong idempotency key.
fn check_idempotency_key(key: &str) -> Result<(), PaymentError> {
    if key.trim().is_empty() {
        return Err(PaymentError::invalid(
            "idempotency_key",
            "an idempotency key is required",
        ));
    }
    if key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(PaymentError::invalid(
            "idempotency_key",
            format!("an idempotency key has at most {MAX_IDEMPOTENCY_KEY_LEN} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unavailable_is_retryable() {
        assert!(
            PaymentError::Unavailable {
                message: "x".into()
            }
            .retryable()
        );
        for error in [
            PaymentError::Declined {
                code: "generic_decline".into(),
                hold_id: None,
            },
            PaymentError::InsufficientFunds { hold_id: None },
            PaymentError::RequiresAction {
                hold_id: None,
                client_secret: None,
            },
            PaymentError::invalid("amount", "x"),
            PaymentError::Misconfigured {
                message: "x".into(),
            },
            PaymentError::Protocol {
                message: "x".into(),
            },
        ] {
            assert!(!error.retryable(), "{error:?}");
        }
    }

    #[test]
    fn client_secrets_are_redacted_in_debug() {
        let error = PaymentError::RequiresAction {
            hold_id: Some("pi_1".into()),
            client_secret: Some(ClientSecret::new("pi_1_secret_abc")),
        };
        let shown = format!("{error:?} {error}");
        assert!(!shown.contains("pi_1_secret_abc"), "{shown}");
        assert_eq!(error.hold_id(), Some("pi_1"));
    }

    #[test]
    fn idempotency_keys_must_be_present_and_short() {
        assert!(check_idempotency_key("k-1").is_ok());
        assert!(check_idempotency_key(" ").is_err());
        assert!(check_idempotency_key(&"k".repeat(256)).is_err());
        assert!(check_idempotency_key(&"k".repeat(255)).is_ok());
    }
}
