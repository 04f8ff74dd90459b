//! Push notifications: one [`Push`] (a title, a body and string data) for one device token, handed
//! to a [`PushSender`].
//!
//! [`FcmClient`] speaks Firebase Cloud Messaging's HTTP v1 API, which reaches Android, iOS (through
//! the app's APNs key uploaded to Firebase) and web tokens alike; [`ApnsClient`] speaks Apple's own
//! HTTP/2 provider API with a token (`.p8`) key, for operators who do not use Firebase on iOS.
//! [`RecordingPush`] is the default when neither is configured: it sends nothing.
//!
//! Both real clients sign their own credentials as JWTs and keep them for as long as the provider
//! allows, so that a burst of pushes costs one signature (and, for FCM, one token exchange).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::{Delivery, SendError, SendFuture};

mod apns;
mod fcm;

pub use apns::{APNS_PRODUCTION_URL, APNS_SANDBOX_URL, ApnsClient, ApnsConfig};
pub use fcm::{FCM_BASE_URL, FCM_SCOPE, FcmClient, FcmConfig, GOOGLE_TOKEN_URI, ServiceAccount};

/// Something that delivers push notifications: FCM, APNs, a test double.
pub trait PushSender: Send + Sync {
    /// A stable key for the kind of transport (`"fcm"`, `"apns"`, `"recording"`), for settings and lists.
    fn provider_key(&self) -> &'static str;

    /// A short label for logs (kind and project or app), never containing a secret.
    fn name(&self) -> &str;

    /// Sends one notification to one device.
    fn send<'a>(&'a self, push: &'a Push) -> SendFuture<'a>;
}

/// The kind of device a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// An Android app (FCM registration token).
    Android,
    /// An iOS app (an FCM registration token, or an APNs device token for [`ApnsClient`]).
    Ios,
    /// A web app (FCM registration token of a browser).
    Web,
}

/// One notification for one device.
///
/// `Debug` shows only the end of the device token.
#[derive(Clone, PartialEq, Eq)]
pub struct Push {
    /// The device token the app registered (FCM registration token or APNs device token, hex).
    pub token: String,
    /// The kind of device the token belongs to.
    pub platform: Platform,
    /// The notification's title.
    pub title: String,
    /// The notification's text.
    pub body: String,
    /// Key-value data the app receives with the notification (FCM `data`, APNs custom keys).
    pub data: BTreeMap<String, String>,
}

impl fmt::Debug for Push {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Push")
            .field("token", &crate::redacted_tail(&self.token))
            .field("platform", &self.platform)
            .field("title", &self.title)
            .field("body", &self.body)
            .field("data", &self.data)
            .finish()
    }
}

/// The default: sends nothing and answers [`Delivery::Recorded`]; the server's record is all there is.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordingPush;

impl PushSender for RecordingPush {
    fn provider_key(&self) -> &'static str {
        "recording"
    }

    fn name(&self) -> &str {
        "push recorded, not sent"
    }

    fn send<'a>(&'a self, push: &'a Push) -> SendFuture<'a> {
        tracing::debug!(platform = ?push.platform, "push recorded, not sent (no push provider)");
        Box::pin(async { Ok::<_, SendError>(Delivery::Recorded) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn recording_push_sends_nothing() {
        let push = Push {
            token: "f00dcafe0123456789".into(),
            platform: Platform::Android,
            title: "Ride ended".into(),
            body: "12 min, 3.40 EUR".into(),
            data: BTreeMap::new(),
        };
        let sender: &dyn PushSender = &RecordingPush;
        assert_eq!(sender.send(&push).await, Ok(Delivery::Recorded));
        assert_eq!(sender.provider_key(), "recording");
        let shown = format!("{push:?}");
        assert!(!shown.contains("f00dcafe"), "{shown}");
        assert!(shown.contains("…6789"), "{shown}");
    }
}
