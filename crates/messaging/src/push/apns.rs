//! Apple Push Notification service, token-based provider API, over HTTP/2.
//!
//! The provider token is an ES256 JWT signed with the team's `.p8` key: header `kid` = key id,
//! claims `iss` = team id and `iat`. Apple accepts a token for an hour and refuses new ones more often
//! than every 20 minutes (`TooManyProviderTokenUpdates`), so the client signs one and reuses it for
//! 50 minutes. Each notification is one `POST {base}/3/device/{token}` with the headers
//! `authorization: bearer <jwt>`, `apns-topic` (the app's bundle id), `apns-push-type: alert`,
//! `apns-priority: 10`, and the JSON payload `{"aps": {"alert": {"title", "body"}}, <data keys>}`.
//! Apple answers `200` with an `apns-id` header, or an error status with `{"reason": "..."}`.
//!
//! APNs speaks HTTP/2 only, so the client speaks it from the first byte: on `https://` its TLS
//! handshake offers only `h2`, on `http://` (a local stand-in) it sends the HTTP/2 preface directly.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Platform, Push, PushSender};
use crate::http::{self, excerpt, status_error, unreachable};
use crate::{ConfigError, Delivery, SendError, SendFuture};

/// Where production apps' notifications go.
pub const APNS_PRODUCTION_URL: &str = "https://api.push.apple.com";
/// Where development builds' notifications go (their tokens are not valid in production).
pub const APNS_SANDBOX_URL: &str = "https://api.sandbox.push.apple.com";

/// How long one provider token is reused: under Apple's hour, over its 20 minutes between refreshes.
const TOKEN_REUSE: Duration = Duration::from_secs(50 * 60);

/// How to reach APNs, and as which team and app.
///
/// `Debug` never shows the private key.
#[derive(Clone, Deserialize)]
pub struct ApnsConfig {
    /// The Apple developer team id (10 characters), the tokens' issuer.
    pub team_id: String,
    /// The id of the APNs key (10 characters), from the key file's name `AuthKey_<key id>.p8`.
    pub key_id: String,
    /// The contents of that `.p8` file: a P-256 private key, PEM (`-----BEGIN PRIVATE KEY-----`).
    pub private_key: String,
    /// The app's bundle id (`com.example.rider`), sent as `apns-topic`.
    pub topic: String,
    /// [`APNS_PRODUCTION_URL`], [`APNS_SANDBOX_URL`], or a stand-in's URL.
    #[serde(default = "default_base_url")]
    pub base_url: String,
}

fn default_base_url() -> String {
    APNS_PRODUCTION_URL.into()
}

impl ApnsConfig {
    /// The configuration for this team, key and app, on the production APNs.
    pub fn new(
        team_id: impl Into<String>,
        key_id: impl Into<String>,
        private_key: impl Into<String>,
        topic: impl Into<String>,
    ) -> Self {
        Self {
            team_id: team_id.into(),
            key_id: key_id.into(),
            private_key: private_key.into(),
            topic: topic.into(),
            base_url: default_base_url(),
        }
    }
}

impl fmt::Debug for ApnsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApnsConfig")
            .field("team_id", &self.team_id)
            .field("key_id", &self.key_id)
            .field("private_key", &"<redacted>")
            .field("topic", &self.topic)
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// A client of APNs, implementing [`PushSender`] for iOS device tokens.
pub struct ApnsClient {
    http: reqwest::Client,
    base: Url,
    team_id: String,
    key_id: String,
    topic: HeaderValue,
    key: EncodingKey,
    label: String,
    /// The provider token; signing is quick and synchronous, so a plain mutex will do.
    token: Mutex<Option<ProviderToken>>,
}

/// A signed provider token and when it was signed.
struct ProviderToken {
    jwt: String,
    signed: Instant,
}

/// The claims of a provider token.
#[derive(Serialize)]
struct ProviderClaims<'a> {
    iss: &'a str,
    iat: u64,
}

/// APNs' error answer.
#[derive(Deserialize)]
struct Refusal {
    reason: String,
}

impl fmt::Debug for ApnsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApnsClient")
            .field("base", &self.base.as_str())
            .field("team_id", &self.team_id)
            .field("key_id", &self.key_id)
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl ApnsClient {
    /// A client for this configuration, with a 15 s timeout per request.
    pub fn new(config: ApnsConfig) -> Result<Self, ConfigError> {
        Self::with_timeout(config, http::DEFAULT_TIMEOUT)
    }

    /// A client for this configuration, with the given timeout per request.
    pub fn with_timeout(config: ApnsConfig, timeout: Duration) -> Result<Self, ConfigError> {
        for (field, value) in [
            ("team_id", &config.team_id),
            ("key_id", &config.key_id),
            ("topic", &config.topic),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError(format!("APNs {field}: is empty")));
            }
        }
        let key = EncodingKey::from_ec_pem(config.private_key.as_bytes()).map_err(|e| {
            ConfigError(format!(
                "APNs private_key: not a P-256 private key in PEM (the .p8 file's contents): {e}"
            ))
        })?;
        let topic = config.topic.trim();
        let topic_header = HeaderValue::from_str(topic)
            .map_err(|_| ConfigError(format!("APNs topic: {topic:?} cannot be a header")))?;
        let base = http::base_url("APNs base URL", &config.base_url)?;
        let label = match base.host_str() {
            Some(host) => format!("APNs {host} ({topic})"),
            None => format!("APNs ({topic})"),
        };
        let client = Self {
            http: http::client(timeout, true)?,
            base,
            team_id: config.team_id.trim().to_owned(),
            key_id: config.key_id.trim().to_owned(),
            topic: topic_header,
            key,
            label,
            token: Mutex::new(None),
        };
        // Signed once now: a key that parses but cannot sign should stop the server at start-up.
        client
            .provider_token()
            .map_err(|e| ConfigError(e.message))?;
        Ok(client)
    }

    /// Sends one notification to an iOS device; answers Apple's `apns-id` as its id.
    pub async fn send(&self, push: &Push) -> Result<Delivery, SendError> {
        if push.platform != Platform::Ios {
            return Err(SendError::permanent(format!(
                "{} delivers to iOS devices only, not {:?} ones",
                self.label, push.platform
            )));
        }
        let token = push.token.trim();
        if token.is_empty() {
            return Err(SendError::permanent(format!(
                "{}: the device token is empty",
                self.label
            )));
        }
        let mut payload = Map::new();
        for (key, value) in &push.data {
            if key == "aps" {
                return Err(SendError::permanent(format!(
                    "{}: the data key \"aps\" is Apple's own",
                    self.label
                )));
            }
            payload.insert(key.clone(), Value::String(value.clone()));
        }
        payload.insert(
            "aps".into(),
            json!({"alert": {"title": push.title, "body": push.body}}),
        );
        let url = http::endpoint(&self.base, &["3", "device", token]);
        let mut retried = false;
        loop {
            let jwt = self.provider_token()?;
            let mut authorization = HeaderValue::from_str(&format!("bearer {jwt}"))
                .map_err(|_| SendError::permanent(format!("{}: unusable JWT", self.label)))?;
            authorization.set_sensitive(true);
            let response = self
                .http
                .post(url.clone())
                .header(AUTHORIZATION, authorization)
                .header("apns-topic", self.topic.clone())
                .header("apns-push-type", "alert")
                .header("apns-priority", "10")
                .json(&payload)
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
                let apns_id = headers
                    .get("apns-id")
                    .and_then(|id| id.to_str().ok())
                    .map(str::to_owned);
                tracing::debug!(push = %self.label, apns_id, "push accepted by APNs");
                return Ok(Delivery::Sent {
                    provider_id: apns_id,
                });
            }
            let reason = serde_json::from_slice::<Refusal>(&bytes)
                .ok()
                .map(|refusal| refusal.reason);
            if status == StatusCode::FORBIDDEN
                && matches!(
                    reason.as_deref(),
                    Some("ExpiredProviderToken" | "InvalidProviderToken")
                )
            {
                self.forget_token(&jwt);
                // Expired: the clock or a long pause outran the reuse period; one fresh token may do.
                if reason.as_deref() == Some("ExpiredProviderToken") && !retried {
                    tracing::info!(push = %self.label, "APNs found the provider token expired, signing a new one");
                    retried = true;
                    continue;
                }
            }
            return Err(self.refusal(status, &headers, reason, &bytes));
        }
    }

    /// The error for Apple's refusal of a notification.
    fn refusal(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        reason: Option<String>,
        bytes: &[u8],
    ) -> SendError {
        let detail = match &reason {
            Some(reason) => reason.clone(),
            None => excerpt(&String::from_utf8_lossy(bytes)),
        };
        let hint = match reason.as_deref() {
            Some("BadDeviceToken") => {
                "; the device token is invalid (or belongs to the other environment, sandbox or production)"
            }
            Some("Unregistered") | Some("ExpiredToken") => {
                "; the device token is no longer active for this app"
            }
            Some("DeviceTokenNotForTopic") => "; the device token belongs to another app",
            Some("InvalidProviderToken") => "; check the team id, key id and key",
            Some("TopicDisallowed") => "; the key may not send to this app",
            _ => "",
        };
        let error = status_error(
            status,
            headers,
            format!(
                "{} refused the push with HTTP {status}: {detail}{hint}",
                self.label
            ),
        );
        match reason {
            Some(reason) => error.with_code(reason),
            None => error,
        }
    }

    /// The provider token in use, or a freshly signed one once it is 50 minutes old.
    fn provider_token(&self) -> Result<String, SendError> {
        let mut cached = self.cached_token();
        if let Some(token) = cached
            .as_ref()
            .filter(|token| token.signed.elapsed() < TOKEN_REUSE)
        {
            return Ok(token.jwt.clone());
        }
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let claims = ProviderClaims {
            iss: &self.team_id,
            iat,
        };
        let jwt = jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| {
            SendError::permanent(format!(
                "{}: cannot sign the provider token: {e}",
                self.label
            ))
        })?;
        *cached = Some(ProviderToken {
            jwt: jwt.clone(),
            signed: Instant::now(),
        });
        Ok(jwt)
    }

    /// Forgets `jwt` if it is still the token in use.
    fn forget_token(&self, jwt: &str) {
        let mut cached = self.cached_token();
        if cached.as_ref().is_some_and(|token| token.jwt == jwt) {
            *cached = None;
        }
    }

    fn cached_token(&self) -> MutexGuard<'_, Option<ProviderToken>> {
        // The token is replaced in one assignment: a panic cannot leave it torn.
        self.token.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PushSender for ApnsClient {
    fn provider_key(&self) -> &'static str {
        "apns"
    }

    fn name(&self) -> &str {
        &self.label
    }

    fn send<'a>(&'a self, push: &'a Push) -> SendFuture<'a> {
        Box::pin(ApnsClient::send(self, push))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_hides_the_key() {
        let config = ApnsConfig::new(
            "TEAM123456",
            "KEY1234567",
            "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n",
            "com.example.rider",
        );
        assert_eq!(config.base_url, APNS_PRODUCTION_URL);
        let shown = format!("{config:?}");
        assert!(!shown.contains("SECRETSECRET"), "{shown}");
        let error = ApnsClient::new(config).unwrap_err();
        assert!(error.to_string().contains("private_key"), "{error}");
        assert!(!error.to_string().contains("SECRETSECRET"), "{error}");
    }
}
