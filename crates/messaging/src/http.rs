//! What the HTTP transports (FCM, APNs, Twilio) share: the client, base URLs, and how a failed
//! exchange becomes a [`SendError`].

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use crate::{ConfigError, SendError};

/// How long one request may take, connection included, unless told otherwise.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long opening the connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a provider's error text goes into a [`SendError`] message.
const EXCERPT_CHARS: usize = 300;

/// An HTTP client with these timeouts; `http2_only` speaks HTTP/2 from the first byte (h2c on
/// `http://`, ALPN offering only `h2` on `https://`).
pub(crate) fn client(timeout: Duration, http2_only: bool) -> Result<reqwest::Client, ConfigError> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .user_agent(concat!("relais-messaging/", env!("CARGO_PKG_VERSION")));
    if http2_only {
        builder = builder.http2_prior_knowledge();
    }
    builder
        .build()
        .map_err(|e| ConfigError(format!("HTTP client: {e}")))
}

/// `url` parsed as an `http://` or `https://` base, without query, fragment or user info.
pub(crate) fn base_url(what: &str, url: &str) -> Result<Url, ConfigError> {
    let mut base =
        Url::parse(url.trim()).map_err(|e| ConfigError(format!("{what}: {e}: {url:?}")))?;
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        return Err(ConfigError(format!(
            "{what}: must be an http:// or https:// URL, not {url:?}"
        )));
    }
    if !base.username().is_empty() || base.password().is_some() {
        // Credentials belong in the configuration's own fields, where Debug hides them.
        return Err(ConfigError(format!("{what}: must not carry credentials")));
    }
    base.set_query(None);
    base.set_fragment(None);
    Ok(base)
}

/// `base` with these path segments appended, each percent-encoded as needed.
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        // `base_url` only lets through URLs that can be a base, which always have segments.
        path.pop_if_empty().extend(segments);
    }
    url
}

/// A request that got no answer (connection refused, timeout, broken stream): always retryable.
pub(crate) fn unreachable(provider: &str, error: reqwest::Error) -> SendError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    // Without the URL: the APNs one holds the device token.
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    SendError::transient(format!("{provider} {what}: {detail}"))
}

/// Whether an HTTP error status is worth retrying: throttling, a request timeout, a server error.
pub(crate) fn retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
}

/// An error for this answer status, retryable or not as [`retryable_status`] says, with the
/// provider's `Retry-After` when it gave one in seconds.
pub(crate) fn status_error(status: StatusCode, headers: &HeaderMap, message: String) -> SendError {
    let mut error = if retryable_status(status) {
        SendError::transient(message)
    } else {
        SendError::permanent(message)
    };
    error.retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    error
}

/// The start of a provider's error text, on one line.
pub(crate) fn excerpt(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_plain_http() {
        assert!(base_url("test", "https://api.example.com/").is_ok());
        assert!(base_url("test", "ftp://api.example.com").is_err());
        assert!(base_url("test", "not a url").is_err());
        let error = base_url("test", "https://user:hunter2@api.example.com").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn endpoints_encode_their_segments() {
        let base = base_url("test", "http://127.0.0.1:8080/prefix/").unwrap();
        let url = endpoint(&base, &["3", "device", "ab/cd?x"]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/prefix/3/device/ab%2Fcd%3Fx"
        );
        let base = base_url("test", "https://fcm.googleapis.com").unwrap();
        let url = endpoint(&base, &["v1", "projects", "demo", "messages:send"]);
        assert_eq!(
            url.as_str(),
            "https://fcm.googleapis.com/v1/projects/demo/messages:send"
        );
    }

    #[test]
    fn statuses_worth_retrying() {
        for status in [429, 408, 500, 502, 503] {
            assert!(retryable_status(StatusCode::from_u16(status).unwrap()));
        }
        for status in [400, 401, 403, 404, 410] {
            assert!(!retryable_status(StatusCode::from_u16(status).unwrap()));
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "30".parse().unwrap());
        let error = status_error(StatusCode::TOO_MANY_REQUESTS, &headers, "slow down".into());
        assert!(error.retryable);
        assert_eq!(error.retry_after, Some(Duration::from_secs(30)));
    }

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        assert_eq!(excerpt(" a\n  b "), "a b");
        let long = "x".repeat(1000);
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_CHARS + 1);
    }
}
