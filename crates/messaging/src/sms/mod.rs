//! SMS: one [`Sms`] (a text for one E.164 phone number) handed to an [`SmsSender`].
//!
//! [`TwilioClient`] speaks Twilio's Messages API; [`RecordingSms`] is the default when no provider is
//! configured and sends nothing. Each sender names its provider ([`SmsSender::provider_key`] for
//! settings, [`SmsSender::name`] for people) so that the server can list what it can use.

use serde::Deserialize;

use crate::{Delivery, SendError, SendFuture};

mod twilio;

pub use twilio::{TWILIO_BASE_URL, TwilioClient, TwilioConfig};

/// Something that delivers SMS: Twilio, a test double.
pub trait SmsSender: Send + Sync {
    /// A stable key for the provider (`"twilio"`, `"recording"`), for settings and lists.
    fn provider_key(&self) -> &'static str;

    /// A short label for people and logs (provider and account), never containing a secret.
    fn name(&self) -> &str;

    /// Sends one SMS.
    fn send<'a>(&'a self, sms: &'a Sms) -> SendFuture<'a>;
}

/// One text message for one phone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Sms {
    /// The recipient's number in E.164 form (`+33612345678`).
    pub to: String,
    /// The sender (E.164 number or alphanumeric sender id) when not the provider's configured one.
    #[serde(default)]
    pub from: Option<String>,
    /// The text; providers split long ones into several segments.
    pub body: String,
}

/// Whether `number` is in E.164 form: `+`, then 2 to 15 digits, the first not 0.
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// The default: sends nothing and answers [`Delivery::Recorded`]; the server's record is all there is.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordingSms;

impl SmsSender for RecordingSms {
    fn provider_key(&self) -> &'static str {
        "recording"
    }

    fn name(&self) -> &str {
        "SMS recorded, not sent"
    }

    fn send<'a>(&'a self, _sms: &'a Sms) -> SendFuture<'a> {
        tracing::debug!("SMS recorded, not sent (no SMS provider)");
        Box::pin(async { Ok::<_, SendError>(Delivery::Recorded) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_numbers() {
        for good in ["+33612345678", "+14155552671", "+49"] {
            assert!(is_e164(good), "{good}");
        }
        for bad in [
            "0612345678",
            "+",
            "+3",
            "+33 6 12 34 56 78",
            "+0612345678",
            "+1234567890123456",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn recording_sms_sends_nothing() {
        let sender: &dyn SmsSender = &RecordingSms;
        let sms = Sms {
            to: "+33612345678".into(),
            from: None,
            body: "Your code: 123456".into(),
        };
        assert_eq!(sender.send(&sms).await, Ok(Delivery::Recorded));
        assert_eq!(sender.provider_key(), "recording");
    }
}
