//! Firebase Cloud Messaging, HTTP v1 API, authenticated as a Google service account.
//!
//! The service account signs an RS256 JWT (`iss` its e-mail, `scope` FCM's, `aud` the token URI,
//! one hour of validity) and trades it at the token URI for an OAuth 2 access token
//! (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, RFC 7523). The access token is kept
//! until a minute before it expires and sent as a bearer token with every
//! `POST {base}/v1/projects/{project_id}/messages:send`, whose answer names the message
//! (`projects/{project_id}/messages/{id}`). A `401` means Google no longer takes the access token
//! (revoked, or the clock moved): the client drops it and tries once more with a fresh one.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::{Push, PushSender};
use crate::http::{self, excerpt, status_error, unreachable};
use crate::{ConfigError, Delivery, SendError, SendFuture};

/// Where FCM's HTTP v1 API is.
pub const FCM_BASE_URL: &str = "https://fcm.googleapis.com";
/// The OAuth 2 scope that lets a service account send FCM messages.
pub const FCM_SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// Google's OAuth 2 token endpoint, the `token_uri` of every service account key file.
pub const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// The grant type of a JWT assertion traded for an access token (RFC 7523).
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// How long the signed assertion is valid: Google takes one hour at most.
const ASSERTION_LIFETIME_SECS: u64 = 3600;
/// How long before its announced expiry an access token is replaced, so no request carries a dying one.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// FCM's error code when Firebase's own APNs or web push credentials were refused (with a `401`).
const THIRD_PARTY_AUTH_ERROR: &str = "THIRD_PARTY_AUTH_ERROR";

/// The fields relais reads from a service account key file (the JSON Firebase's console downloads).
///
/// `Debug` never shows the private key.
#[derive(Clone, Deserialize)]
pub struct ServiceAccount {
    /// The Firebase (Google Cloud) project the messages are sent from.
    pub project_id: String,
    /// The service account's e-mail, the issuer of its assertions.
    pub client_email: String,
    /// The service account's RSA private key, PEM (`-----BEGIN PRIVATE KEY-----`).
    pub private_key: String,
    /// The id of that key, sent as the assertion's `kid` when known.
    #[serde(default)]
    pub private_key_id: Option<String>,
    /// Where assertions are traded for access tokens.
    #[serde(default = "default_token_uri")]
    pub token_uri: String,
}

fn default_token_uri() -> String {
    GOOGLE_TOKEN_URI.into()
}

fn default_base_url() -> String {
    FCM_BASE_URL.into()
}

impl ServiceAccount {
    /// The service account of a key file's JSON text.
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        // serde_json's messages give a line and column, never the text around them: no key leaks.
        serde_json::from_str(json)
            .map_err(|e| ConfigError(format!("FCM service account JSON: {e}")))
    }
}

impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("private_key", &"<redacted>")
            .field("private_key_id", &self.private_key_id)
            .field("token_uri", &self.token_uri)
            .finish()
    }
}

/// How to reach FCM.
#[derive(Debug, Clone, Deserialize)]
pub struct FcmConfig {
    /// The service account that sends.
    pub service_account: ServiceAccount,
    /// Where FCM's API is: [`FCM_BASE_URL`] unless testing.
    #[serde(default = "default_base_url")]
    pub base_url: String,
}

impl FcmConfig {
    /// The configuration for sending as this service account through the real FCM.
    pub fn new(service_account: ServiceAccount) -> Self {
        Self {
            service_account,
            base_url: default_base_url(),
        }
    }
}

/// A client of FCM's HTTP v1 API, implementing [`PushSender`] for every platform FCM serves.
///
/// [`Push::platform`] is not sent: FCM knows a registration token's platform, and the notification
/// block is the one every platform displays.
pub struct FcmClient {
    http: reqwest::Client,
    send_url: Url,
    token_url: Url,
    /// The assertions' `aud`: the token URI exactly as the key file gives it.
    audience: String,
    client_email: String,
    key_id: Option<String>,
    key: EncodingKey,
    label: String,
    /// The access token, behind an async lock so that concurrent sends wait for one exchange.
    token: Mutex<Option<AccessToken>>,
}

/// An OAuth 2 access token and when to stop using it.
struct AccessToken {
    value: String,
    refresh_at: Instant,
}

impl fmt::Debug for FcmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FcmClient")
            .field("send_url", &self.send_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("client_email", &self.client_email)
            .finish_non_exhaustive()
    }
}

/// The claims of the assertion traded for an access token.
#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

/// The token endpoint's success answer.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// The token endpoint's error answer (RFC 6749, section 5.2).
#[derive(Deserialize)]
struct TokenRefusal {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// FCM's error answer: a Google API error whose details may hold an FCM error code.
#[derive(Deserialize)]
struct ErrorAnswer {
    error: GoogleError,
}

#[derive(Deserialize)]
struct GoogleError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    details: Vec<Value>,
}

impl GoogleError {
    /// The FCM error code (`UNREGISTERED`, ...) if the details give one, else the API status.
    fn code(&self) -> Option<String> {
        self.details
            .iter()
            .find_map(|detail| detail.get("errorCode")?.as_str())
            .map(str::to_owned)
            .or_else(|| self.status.clone())
    }
}

impl FcmClient {
    /// A client for this configuration, with a 15 s timeout per request.
    pub fn new(config: FcmConfig) -> Result<Self, ConfigError> {
        Self::with_timeout(config, http::DEFAULT_TIMEOUT)
    }

    /// A client for this configuration, with the given timeout per request.
    pub fn with_timeout(config: FcmConfig, timeout: Duration) -> Result<Self, ConfigError> {
        let account = config.service_account;
        for (field, value) in [
            ("project_id", &account.project_id),
            ("client_email", &account.client_email),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError(format!(
                    "FCM service account {field}: is empty"
                )));
            }
        }
        // Parsed now, so that a bad key stops the server at start-up rather than at the first push.
        let key = EncodingKey::from_rsa_pem(account.private_key.as_bytes()).map_err(|e| {
            ConfigError(format!(
                "FCM service account private_key: not an RSA private key in PEM: {e}"
            ))
        })?;
        let base = http::base_url("FCM base URL", &config.base_url)?;
        let project = account.project_id.trim();
        let send_url = http::endpoint(&base, &["v1", "projects", project, "messages:send"]);
        let token_url = http::base_url("FCM service account token_uri", &account.token_uri)?;
        Ok(Self {
            http: http::client(timeout, false)?,
            label: format!("FCM project {project}"),
            send_url,
            token_url,
            audience: account.token_uri.trim().to_owned(),
            client_email: account.client_email.trim().to_owned(),
            key_id: account.private_key_id.filter(|id| !id.trim().is_empty()),
            key,
            token: Mutex::new(None),
        })
    }

    /// Sends one notification; answers FCM's name for the message as its id.
    pub async fn send(&self, push: &Push) -> Result<Delivery, SendError> {
        let body = json!({
            "message": {
                "token": push.token,
                "notification": {"title": push.title, "body": push.body},
                "data": push.data,
            }
        });
        let mut retried = false;
        loop {
            let token = self.access_token().await?;
            let response = self
                .http
                .post(self.send_url.clone())
                .bearer_auth(&token)
                .json(&body)
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
                struct Sent {
                    name: String,
                }
                let sent: Sent = serde_json::from_slice(&bytes).map_err(|e| {
                    SendError::transient(format!(
                        "{} answered {status} without a message name: {e}",
                        self.label
                    ))
                })?;
                tracing::debug!(push = %self.label, name = sent.name, "push accepted by FCM");
                return Ok(Delivery::Sent {
                    provider_id: Some(sent.name),
                });
            }
            let answer: Option<GoogleError> = serde_json::from_slice::<ErrorAnswer>(&bytes)
                .ok()
                .map(|answer| answer.error);
            let code = answer.as_ref().and_then(GoogleError::code);
            if status == StatusCode::UNAUTHORIZED && code.as_deref() != Some(THIRD_PARTY_AUTH_ERROR)
            {
                self.forget_token(&token).await;
                if !retried {
                    tracing::info!(push = %self.label, "FCM refused the access token, fetching a new one");
                    retried = true;
                    continue;
                }
            }
            return Err(self.refusal(status, &headers, answer, &bytes));
        }
    }

    /// The error for FCM's refusal of a message.
    fn refusal(
        &self,
        status: StatusCode,
        headers: &reqwest::header::HeaderMap,
        answer: Option<GoogleError>,
        bytes: &[u8],
    ) -> SendError {
        let (code, detail) = match &answer {
            Some(error) => (error.code(), excerpt(&error.message)),
            None => (None, excerpt(&String::from_utf8_lossy(bytes))),
        };
        let hint = match code.as_deref() {
            Some("UNREGISTERED") => {
                "; the registration token is no longer valid (app uninstalled or token expired)"
            }
            Some("INVALID_ARGUMENT") => "; the registration token or the message is invalid",
            Some("SENDER_ID_MISMATCH") => "; the token belongs to another Firebase project",
            Some(THIRD_PARTY_AUTH_ERROR) => {
                "; Firebase's APNs or web push credentials were refused, see the project's settings"
            }
            _ if status == StatusCode::UNAUTHORIZED => {
                "; a fresh access token was refused too, see the service account's roles"
            }
            _ => "",
        };
        let shown_code = code
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        let error = status_error(
            status,
            headers,
            format!(
                "{} refused the push with HTTP {status}{shown_code}: {detail}{hint}",
                self.label
            ),
        );
        match code {
            Some(code) => error.with_code(code),
            None => error,
        }
    }

    /// The cached access token, or a fresh one.
    async fn access_token(&self) -> Result<String, SendError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(token.value.clone());
        }
        let token = self.fetch_token().await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    /// Forgets `token` if it is still the cached one (a concurrent send may have replaced it already).
    async fn forget_token(&self, token: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == token) {
            *cached = None;
        }
    }

    /// Signs an assertion and trades it for an access token.
    async fn fetch_token(&self) -> Result<AccessToken, SendError> {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let claims = Assertion {
            iss: &self.client_email,
            scope: FCM_SCOPE,
            aud: &self.audience,
            iat,
            exp: iat + ASSERTION_LIFETIME_SECS,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid.clone_from(&self.key_id);
        let assertion = jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| {
            SendError::permanent(format!("{}: cannot sign the assertion: {e}", self.label))
        })?;
        let asked = Instant::now();
        let response = self
            .http
            .post(self.token_url.clone())
            .form(&[("grant_type", JWT_BEARER), ("assertion", &assertion)])
            .send()
            .await
            .map_err(|e| unreachable(&format!("{} token endpoint", self.label), e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| unreachable(&format!("{} token endpoint", self.label), e))?;
        if !status.is_success() {
            let detail = match serde_json::from_slice::<TokenRefusal>(&bytes) {
                Ok(refusal) => match refusal.error_description {
                    Some(description) => format!("{}: {}", refusal.error, excerpt(&description)),
                    None => refusal.error,
                },
                Err(_) => excerpt(&String::from_utf8_lossy(&bytes)),
            };
            return Err(status_error(
                status,
                &headers,
                format!(
                    "{}: the token endpoint refused service account {} with HTTP {status}: {detail}",
                    self.label, self.client_email
                ),
            ));
        }
        let answer: TokenAnswer = serde_json::from_slice(&bytes).map_err(|e| {
            SendError::transient(format!(
                "{}: the token endpoint answered without an access token: {e}",
                self.label
            ))
        })?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(ASSERTION_LIFETIME_SECS));
        // A token shorter-lived than two margins is used for half its life instead.
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        tracing::debug!(push = %self.label, expires_in = ?lifetime, "FCM access token obtained");
        Ok(AccessToken {
            value: answer.access_token,
            refresh_at: asked + lifetime - margin,
        })
    }
}

impl PushSender for FcmClient {
    fn provider_key(&self) -> &'static str {
        "fcm"
    }

    fn name(&self) -> &str {
        &self.label
    }

    fn send<'a>(&'a self, push: &'a Push) -> SendFuture<'a> {
        Box::pin(FcmClient::send(self, push))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_debug_hides_the_key() {
        let account = ServiceAccount::from_json(
            r#"{"type": "service_account", "project_id": "demo", "client_email": "push@demo.iam.gserviceaccount.com",
                "private_key": "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n"}"#,
        )
        .unwrap();
        assert_eq!(account.token_uri, GOOGLE_TOKEN_URI);
        let shown = format!("{account:?}");
        assert!(!shown.contains("SECRETSECRET"), "{shown}");
        let error = FcmClient::new(FcmConfig::new(account)).unwrap_err();
        assert!(error.to_string().contains("private_key"), "{error}");
        assert!(!error.to_string().contains("SECRETSECRET"), "{error}");
    }

    #[test]
    fn error_codes_come_from_the_details() {
        let answer: ErrorAnswer = serde_json::from_value(json!({"error": {
            "code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]
        }}))
        .unwrap();
        assert_eq!(answer.error.code().as_deref(), Some("UNREGISTERED"));
        let answer: ErrorAnswer = serde_json::from_value(
            json!({"error": {"code": 503, "message": "down", "status": "UNAVAILABLE"}}),
        )
        .unwrap();
        assert_eq!(answer.error.code().as_deref(), Some("UNAVAILABLE"));
    }
}
