//! Outbound messaging: how relais hands a mail, a push notification or an SMS to whoever delivers it.
//!
//! This crate owns the transports only: building the message in the provider's format, authenticating,
//! sending it, and telling the caller what became of it. It keeps no records and does not retry: the
//! server stores each message and decides, from [`SendError::retryable`], whether to try again later.
//!
//! | module | trait | real transports | local default |
//! | --- | --- | --- | --- |
//! | [`mail`] | [`mail::Mailer`] | [`mail::SmtpMailer`]: SMTP (implicit TLS, STARTTLS or plain) | [`mail::OutboxMailer`]: `.eml` files in a folder |
//! | [`push`] | [`push::PushSender`] | [`push::FcmClient`]: Firebase Cloud Messaging HTTP v1; [`push::ApnsClient`]: Apple's token-based APNs over HTTP/2 | [`push::RecordingPush`] |
//! | [`sms`] | [`sms::SmsSender`] | [`sms::TwilioClient`]: Twilio's Messages API | [`sms::RecordingSms`] |
//!
//! Every send answers a [`Delivery`]: [`Delivery::Sent`] with the provider's id for the message (the
//! SMTP `Message-ID`, the FCM message name, the APNs `apns-id`, the Twilio SID), or
//! [`Delivery::Recorded`] from the defaults, which keep nothing and send nothing: the server's own
//! record of the message is all there is. Failures are a [`SendError`], whose text never holds a secret.
//!
//! # Why lettre
//!
//! Mail is two jobs, writing a correct RFC 5322 / MIME message (encoded headers, `multipart/alternative`,
//! line lengths) and speaking SMTP with TLS and `AUTH`. lettre does both, on tokio and rustls (relais
//! uses rustls everywhere and links no OpenSSL), and its file transport writes the very bytes SMTP
//! would send, so the outbox shows exactly what a relay would receive.
//!
//! # Why jsonwebtoken
//!
//! Both push services authenticate with a JWT the sender signs: FCM takes an RS256 assertion for
//! Google's OAuth 2 service-account flow, APNs an ES256 provider token. jsonwebtoken reads the keys in
//! the PEM form the providers hand out (a service account's `private_key`, an `AuthKey_*.p8` file),
//! signs with ring, which rustls already brings in, and its claims are plain serde structs.
//!
//! # Why trait objects with boxed futures
//!
//! The server picks each transport from its configuration at start-up and shares it between tasks as
//! an `Arc<dyn Mailer>` (likewise for push and SMS), so the traits must be object-safe, which an
//! `async fn` in a trait is not. Their methods therefore return a [`SendFuture`] (boxed and `Send`);
//! one allocation per message is nothing next to a network round trip, and the server's tests can bring
//! their own implementation, which an enum of the known transports would not allow.
//!
//! # Tests
//!
//! `cargo test -p relais-messaging` runs each real client against a local stand-in that speaks the
//! provider's protocol and checks what the client sent: an SMTP relay on a TCP socket, Google's token
//! endpoint and FCM, APNs served as HTTP/2 without TLS (h2c), Twilio. The signing keys are generated
//! by the tests; no network beyond the loopback is used.

#![deny(missing_docs)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

mod http;
pub mod mail;
pub mod push;
pub mod sms;

/// The future returned by the transports: boxed and `Send`, so that a `dyn` transport can be shared across tasks.
pub type SendFuture<'a, T = Delivery> =
    Pin<Box<dyn Future<Output = Result<T, SendError>> + Send + 'a>>;

/// What became of a message that a transport accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Handed to the provider (or written to the outbox), which may still fail to deliver it later.
    Sent {
        /// The provider's id for the message: SMTP `Message-ID`, FCM message name, APNs `apns-id`, Twilio SID, outbox file name.
        provider_id: Option<String>,
    },
    /// Kept by a default transport that sends nothing: the caller's record of the message is all there is.
    Recorded,
}

/// Why a message could not be sent.
///
/// The message text names the provider and what it answered, never a key, a password or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Whether sending the same message again later may succeed: true for network errors, timeouts,
    /// throttling (HTTP 429) and server errors (HTTP 5xx, SMTP 4xx); false when the provider refused the
    /// message itself or the credentials (an invalid recipient or device token, a bad key).
    pub retryable: bool,
    /// The provider's code for the failure when it gave one (`550`, `UNREGISTERED`, `BadDeviceToken`, `21211`).
    pub code: Option<String>,
    /// How long the provider asked to wait before trying again (its `Retry-After`), if it said.
    pub retry_after: Option<Duration>,
    /// What went wrong, for people and logs.
    pub message: String,
}

impl SendError {
    /// A failure that may go away if the message is sent again later.
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            code: None,
            retry_after: None,
            message: message.into(),
        }
    }

    /// A failure that sending the same message again will not cure.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            ..Self::transient(message)
        }
    }

    /// The same error with the provider's code for it.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.retryable {
            "retryable"
        } else {
            "not retryable"
        };
        write!(f, "{} ({verdict})", self.message)
    }
}

impl std::error::Error for SendError {}

/// A transport configuration that cannot work (malformed URL, unreadable key, missing sender, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid messaging configuration: {0}")]
pub struct ConfigError(pub String);

/// `"…" + the last 4 characters` of a secret-ish value (device token), for `Debug` output.
fn redacted_tail(value: &str) -> String {
    let tail: String = value
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_says_whether_to_retry() {
        let error = SendError::transient("SMTP server unreachable");
        assert_eq!(error.to_string(), "SMTP server unreachable (retryable)");
        let error = SendError::permanent("invalid token").with_code("UNREGISTERED");
        assert_eq!(error.to_string(), "invalid token (not retryable)");
        assert_eq!(error.code.as_deref(), Some("UNREGISTERED"));
    }

    #[test]
    fn redaction_keeps_only_a_short_tail() {
        assert_eq!(redacted_tail("abcdef123456"), "…3456");
        assert_eq!(redacted_tail("ab"), "…ab");
    }
}
