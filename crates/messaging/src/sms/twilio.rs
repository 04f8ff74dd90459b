//! Twilio's Programmable Messaging: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`.
//!
//! The request is form-encoded (`To`, `From` and/or `MessagingServiceSid`, `Body`) and authenticated
//! with HTTP basic auth: the account SID and its auth token, or an API key SID and its secret (which
//! can be revoked alone, Twilio's advice for production). Twilio answers `201` with the message
//! resource, whose `sid` (`SM...`) is the id, or an error `{"code", "message", "more_info", "status"}`.

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use super::{Sms, SmsSender, is_e164};
use crate::http::{self, excerpt, status_error, unreachable};
use crate::{ConfigError, Delivery, SendError, SendFuture};

/// Where Twilio's REST API is.
pub const TWILIO_BASE_URL: &str = "https://api.twilio.com";

/// Which Twilio account to send from, and as whom.
///
/// `Debug` never shows the secret.
#[derive(Clone, Deserialize)]
pub struct TwilioConfig {
    /// The account SID (`AC...`), part of every URL.
    pub account_sid: String,
    /// An API key SID (`SK...`) to authenticate with instead of the account SID.
    #[serde(default)]
    pub api_key_sid: Option<String>,
    /// The account's auth token, or the API key's secret when `api_key_sid` is set.
    pub secret: String,
    /// The default sender: a Twilio number in E.164 form or an alphanumeric sender id.
    #[serde(default)]
    pub from: Option<String>,
    /// A Messaging Service (`MG...`) that picks the sender from its pool; needs no `from`.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    /// [`TWILIO_BASE_URL`] unless testing.
    #[serde(default = "default_base_url")]
    pub base_url: String,
}

fn default_base_url() -> String {
    TWILIO_BASE_URL.into()
}

impl TwilioConfig {
    /// An account authenticated by its auth token, sending from `from`, on the real Twilio.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: impl Into<String>,
        from: impl Into<String>,
    ) -> Self {
        Self {
            account_sid: account_sid.into(),
            api_key_sid: None,
            secret: auth_token.into(),
            from: Some(from.into()),
            messaging_service_sid: None,
            base_url: default_base_url(),
        }
    }
}

impl fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("api_key_sid", &self.api_key_sid)
            .field("secret", &"<redacted>")
            .field("from", &self.from)
            .field("messaging_service_sid", &self.messaging_service_sid)
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// A client of Twilio's Messages API, implementing [`SmsSender`].
pub struct TwilioClient {
    http: reqwest::Client,
    url: Url,
    username: String,
    secret: String,
    from: Option<String>,
    messaging_service_sid: Option<String>,
    label: String,
}

impl fmt::Debug for TwilioClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioClient")
            .field("url", &self.url.as_str())
            .field("username", &self.username)
            .field("from", &self.from)
            .field("messaging_service_sid", &self.messaging_service_sid)
            .finish_non_exhaustive()
    }
}

/// Twilio's error answer.
#[derive(Deserialize)]
struct Refusal {
    #[serde(default)]
    code: Option<u64>,
    #[serde(default)]
    message: Option<String>,
}

impl TwilioClient {
    /// A client for this account, with a 15 s timeout per request.
    pub fn new(config: TwilioConfig) -> Result<Self, ConfigError> {
        Self::with_timeout(config, http::DEFAULT_TIMEOUT)
    }

    /// A client for this account, with the given timeout per request.
    pub fn with_timeout(config: TwilioConfig, timeout: Duration) -> Result<Self, ConfigError> {
        let account_sid = config.account_sid.trim();
        if account_sid.is_empty() {
            return Err(ConfigError("Twilio account_sid: is empty".into()));
        }
        if config.secret.is_empty() {
            return Err(ConfigError("Twilio secret: is empty".into()));
        }
        let nonblank =
            |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let base = http::base_url("Twilio base URL", &config.base_url)?;
        let url = http::endpoint(
            &base,
            &["2010-04-01", "Accounts", account_sid, "Messages.json"],
        );
        Ok(Self {
            http: http::client(timeout, false)?,
            url,
            username: nonblank(config.api_key_sid).unwrap_or_else(|| account_sid.to_owned()),
            label: format!("Twilio account {account_sid}"),
            secret: config.secret,
            from: nonblank(config.from),
            messaging_service_sid: nonblank(config.messaging_service_sid),
        })
    }

    /// Sends one SMS; answers Twilio's message SID as its id.
    pub async fn send(&self, sms: &Sms) -> Result<Delivery, SendError> {
        let to = sms.to.trim();
        if !is_e164(to) {
            return Err(SendError::permanent(format!(
                "{}: {to:?} is not a phone number in E.164 form (+ and country code)",
                self.label
            )));
        }
        let from = sms
            .from
            .as_deref()
            .map(str::trim)
            .filter(|from| !from.is_empty())
            .or(self.from.as_deref());
        if from.is_none() && self.messaging_service_sid.is_none() {
            return Err(SendError::permanent(format!(
                "{}: no sender, neither a From number nor a Messaging Service",
                self.label
            )));
        }
        let mut form = vec![("To", to)];
        if let Some(from) = from {
            form.push(("From", from));
        }
        if let Some(service) = &self.messaging_service_sid {
            form.push(("MessagingServiceSid", service));
        }
        form.push(("Body", &sms.body));
        let response = self
            .http
            .post(self.url.clone())
            .basic_auth(&self.username, Some(&self.secret))
            .form(&form)
            .send()
            .await
            .map_err(|e| unreachable(&self.label, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| unreachable(&self.label, e))?;
        if status.is_success() {
            #[derive(Deserialize)]
            struct Created {
                sid: String,
            }
            let created: Created = serde_json::from_slice(&bytes).map_err(|e| {
                SendError::transient(format!(
                    "{} answered {status} without a message SID: {e}",
                    self.label
                ))
            })?;
            tracing::debug!(sms = %self.label, sid = created.sid, "SMS accepted by Twilio");
            return Ok(Delivery::Sent {
                provider_id: Some(created.sid),
            });
        }
        let refusal = serde_json::from_slice::<Refusal>(&bytes).ok();
        let code = refusal.as_ref().and_then(|r| r.code);
        let detail = match refusal.and_then(|r| r.message) {
            Some(message) => excerpt(&message),
            None => excerpt(&String::from_utf8_lossy(&bytes)),
        };
        let hint = match status.as_u16() {
            401 => "; check the account SID and the auth token or API key",
            _ => "",
        };
        let shown_code = code.map(|c| format!(" (error {c})")).unwrap_or_default();
        let error = status_error(
            status,
            &headers,
            format!(
                "{} refused the SMS with HTTP {status}{shown_code}: {detail}{hint}",
                self.label
            ),
        );
        Err(match code {
            Some(code) => error.with_code(code.to_string()),
            None => error,
        })
    }
}

impl SmsSender for TwilioClient {
    fn provider_key(&self) -> &'static str {
        "twilio"
    }

    fn name(&self) -> &str {
        &self.label
    }

    fn send<'a>(&'a self, sms: &'a Sms) -> SendFuture<'a> {
        Box::pin(TwilioClient::send(self, sms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_hides_the_secret() {
        let config = TwilioConfig::new("AC0123", "hunter2-token", "+15005550006");
        assert!(!format!("{config:?}").contains("hunter2"));
        let client = TwilioClient::new(config).unwrap();
        assert!(!format!("{client:?}").contains("hunter2"));
        assert_eq!(client.name(), "Twilio account AC0123");
        assert_eq!(
            client.url.as_str(),
            "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages.json"
        );
    }

    #[tokio::test]
    async fn refuses_what_twilio_would_refuse_without_asking() {
        let mut config = TwilioConfig::new("AC0123", "token", "+15005550006");
        config.base_url = "http://127.0.0.1:9".into();
        let client = TwilioClient::new(config.clone()).unwrap();
        let sms = Sms {
            to: "06 12 34 56 78".into(),
            from: None,
            body: "Hi".into(),
        };
        let error = client.send(&sms).await.unwrap_err();
        assert!(
            !error.retryable && error.message.contains("E.164"),
            "{error}"
        );
        config.from = None;
        let client = TwilioClient::new(config).unwrap();
        let sms = Sms {
            to: "+33612345678".into(),
            ..sms
        };
        let error = client.send(&sms).await.unwrap_err();
        assert!(
            !error.retryable && error.message.contains("no sender"),
            "{error}"
        );
    }
}
