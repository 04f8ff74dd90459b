//! Stripe's webhook signatures: checking that a delivery comes from Stripe, unaltered and recent.
//!
//! Stripe signs each delivery in its `Stripe-Signature` header, `t=<unix time>,v1=<hex>`, where the
//! `v1` value is the hex HMAC-SHA256 of `"{t}.{raw body}"` keyed with the endpoint's signing secret
//! (`whsec_...`, used as it is). While a secret is being rolled, the header carries one `v1` per
//! secret; other schemes (`v0`) are ignored. A delivery is accepted when one `v1` matches, compared
//! in constant time, and its timestamp is within the tolerance of now (in either direction), which
//! bounds how long a captured delivery can be replayed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a signature's timestamp may be from now: five minutes, as Stripe's libraries default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// A verified Stripe event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event's id (`evt_...`), to skip a delivery already handled.
    pub id: String,
    /// What happened (`payment_intent.amount_capturable_updated`, `setup_intent.succeeded`...).
    pub event_type: String,
    /// When the event was created, in Unix seconds.
    pub created: i64,
    /// Whether it happened in live mode (`false` in test mode).
    pub livemode: bool,
    /// The object the event is about (`data.object`), as Stripe sent it.
    pub object: Value,
}

/// Why a webhook delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No signing secret is configured, so no delivery can be trusted.
    #[error("no Stripe webhook signing secret is configured")]
    NoSecret,
    /// The `Stripe-Signature` header is not `t=...,v1=...`.
    #[error("malformed Stripe-Signature header: {0}")]
    MalformedHeader(&'static str),
    /// The header has a timestamp but no `v1` signature.
    #[error("the Stripe-Signature header has no v1 signature")]
    NoSignature,
    /// No `v1` signature matches the payload and the secret.
    #[error("no v1 signature matches the payload")]
    Mismatch,
    /// The signature is valid but its timestamp is too far from now.
    #[error("the signature is {age_secs} s from now, beyond the {tolerance_secs} s tolerance")]
    OutsideTolerance {
        /// Now minus the signature's timestamp, in seconds (negative if it is in the future).
        age_secs: i64,
        /// The tolerance, in seconds.
        tolerance_secs: u64,
    },
    /// The signed payload is not a Stripe event.
    #[error("the signed payload is not a Stripe event: {0}")]
    InvalidPayload(String),
}

/// Checks one delivery: `payload` is the raw request body, `signature_header` the value of its
/// `Stripe-Signature` header, `secret` the endpoint's signing secret; the event if it is genuine.
pub fn verify_webhook(
    payload: &[u8],
    signature_header: &str,
    secret: &str,
    tolerance: Duration,
    now: DateTime<Utc>,
) -> Result<Event, WebhookError> {
    if secret.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let header = parse_header(signature_header)?;
    if header.signatures.is_empty() {
        return Err(WebhookError::NoSignature);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| WebhookError::NoSecret)?;
    mac.update(header.timestamp_text.as_bytes());
    mac.update(b".");
    mac.update(payload);
    let expected = mac.finalize().into_bytes();
    let matched = header.signatures.iter().fold(false, |matched, candidate| {
        matched | bool::from(expected.as_slice().ct_eq(candidate.as_slice()))
    });
    if !matched {
        return Err(WebhookError::Mismatch);
    }
    let age_secs = now.timestamp().saturating_sub(header.timestamp);
    let tolerance_secs = tolerance.as_secs();
    if age_secs.unsigned_abs() > tolerance_secs {
        return Err(WebhookError::OutsideTolerance {
            age_secs,
            tolerance_secs,
        });
    }
    let raw: RawEvent =
        serde_json::from_slice(payload).map_err(|e| WebhookError::InvalidPayload(e.to_string()))?;
    Ok(Event {
        id: raw.id,
        event_type: raw.event_type,
        created: raw.created,
        livemode: raw.livemode,
        object: raw.data.object,
    })
}

/// The parts of a `Stripe-Signature` header relais uses.
struct SignatureHeader<'a> {
    /// The timestamp as written, which is what Stripe signed.
    timestamp_text: &'a str,
    timestamp: i64,
    /// The decoded `v1` signatures of the right length (others can never match).
    signatures: Vec<Vec<u8>>,
}

fn parse_header(header: &str) -> Result<SignatureHeader<'_>, WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let (key, value) = item
            .split_once('=')
            .ok_or(WebhookError::MalformedHeader("an element is not key=value"))?;
        match key.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(WebhookError::MalformedHeader("more than one timestamp"));
                }
                let text = value.trim();
                let parsed = text
                    .parse::<i64>()
                    .map_err(|_| WebhookError::MalformedHeader("the timestamp is not a number"))?;
                timestamp = Some((text, parsed));
            }
            "v1" => {
                if let Ok(bytes) = hex::decode(value.trim())
                    && bytes.len() == 32
                {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let (timestamp_text, timestamp) =
        timestamp.ok_or(WebhookError::MalformedHeader("no timestamp (t=)"))?;
    Ok(SignatureHeader {
        timestamp_text,
        timestamp,
        signatures,
    })
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    created: i64,
    #[serde(default)]
    livemode: bool,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const PAYLOAD: &[u8] = br#"{"id":"evt_1","type":"setup_intent.succeeded","created":1700000000,"livemode":false,"data":{"object":{"id":"seti_1"}}}"#;

    fn sign(timestamp: i64, payload: &[u8], secret: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(payload);
        hex::encode(mac.finalize().into_bytes())
    }

    fn at(timestamp: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(timestamp, 0).unwrap()
    }

    #[test]
    fn accepts_a_good_signature_among_several() {
        let t = 1_700_000_000;
        let header = format!(
            "t={t},v1={},v1={},v0=abc",
            sign(t, PAYLOAD, "whsec_old"),
            sign(t, PAYLOAD, SECRET)
        );
        let event =
            verify_webhook(PAYLOAD, &header, SECRET, DEFAULT_TOLERANCE, at(t + 10)).unwrap();
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.event_type, "setup_intent.succeeded");
        assert_eq!(event.object["id"], "seti_1");
        assert!(!event.livemode);
    }

    #[test]
    fn refuses_malformed_headers() {
        let check = |header: &str| {
            verify_webhook(PAYLOAD, header, SECRET, DEFAULT_TOLERANCE, at(0)).unwrap_err()
        };
        assert!(matches!(check(""), WebhookError::MalformedHeader(_)));
        assert!(matches!(check("v1=00"), WebhookError::MalformedHeader(_)));
        assert!(matches!(
            check("t=abc,v1=00"),
            WebhookError::MalformedHeader(_)
        ));
        assert!(matches!(
            check("t=1,t=2,v1=00"),
            WebhookError::MalformedHeader(_)
        ));
        assert_eq!(check("t=0"), WebhookError::NoSignature);
        assert_eq!(check("t=0,v1=zz"), WebhookError::NoSignature);
    }

    #[test]
    fn refuses_a_future_timestamp_beyond_the_tolerance() {
        let t = 1_700_000_000;
        let header = format!("t={t},v1={}", sign(t, PAYLOAD, SECRET));
        let error =
            verify_webhook(PAYLOAD, &header, SECRET, DEFAULT_TOLERANCE, at(t - 301)).unwrap_err();
        assert_eq!(
            error,
            WebhookError::OutsideTolerance {
                age_secs: -301,
                tolerance_secs: 300
            }
        );
    }

    #[test]
    fn refuses_an_empty_secret() {
        assert_eq!(
            verify_webhook(PAYLOAD, "t=0,v1=00", "", DEFAULT_TOLERANCE, at(0)).unwrap_err(),
            WebhookError::NoSecret
        );
    }
}
