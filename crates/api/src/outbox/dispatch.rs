//! The dispatcher: sends the queued messages through the configured transports and records
//! each outcome. A message that failed for a reason that may pass (network, throttling, a
//! provider's 5xx) is tried again later, up to [`ATTEMPTS`] times, waiting longer each time; one
//! the provider refused for good (an invalid address or device token) fails at once.

use crate::state::AppState;
use chrono::{Duration as Span, Utc};
use relais_messaging::mail::{Mail, Mailbox, Mailer};
use relais_messaging::push::{Platform, Push, PushSender};
use relais_messaging::sms::{Sms, SmsSender};
use relais_messaging::{Delivery, SendError};
use relais_store::entity::outbound_message::{self, Channel};
use relais_store::messages::Outcome;
use std::sync::Arc;
use std::time::Duration;

/// Attempts before a message is given up.
pub const ATTEMPTS: i32 = 5;
/// Messages sent per round.
const BATCH: u64 = 50;
/// How long the dispatcher sleeps when nothing wakes it (retries fall due on their own).
const IDLE: Duration = Duration::from_secs(15);
/// How long a claimed message is kept from other dispatchers while it is tried: longer than
/// any transport's own timeout.
const LEASE: Span = Span::minutes(5);

/// The transports of each channel; the defaults keep messages without sending them (mail may
/// go to an outbox folder instead, which the server's configuration does by default).
#[derive(Clone)]
pub struct Transports {
    pub mail: Option<Arc<dyn Mailer>>,
    /// The sender of mails without an app label's own sender settings.
    pub mail_from: String,
    pub android: Option<Arc<dyn PushSender>>,
    pub ios: Option<Arc<dyn PushSender>>,
    pub sms: Option<Arc<dyn SmsSender>>,
}

impl Default for Transports {
    fn default() -> Self {
        Transports {
            mail: None,
            mail_from: "no-reply@relais.localhost".to_owned(),
            android: None,
            ios: None,
            sms: None,
        }
    }
}

/// The delay before attempt `attempts + 1`: 30 s, 2 min, 8 min, 32 min.
fn backoff(attempts: i32) -> Span {
    Span::seconds(30 * 4_i64.pow(attempts.clamp(0, 6) as u32))
}

/// Send the messages due now, once; how many were tried. Each is claimed first, so several
/// server processes on one database never send one message twice.
pub async fn round(state: &AppState) -> usize {
    let due = match relais_store::messages::claim(&state.db, Utc::now(), LEASE, BATCH).await {
        Ok(due) => due,
        Err(error) => {
            tracing::warn!(%error, "could not read the outbound messages");
            return 0;
        }
    };
    let count = due.len();
    for message in due {
        let outcome = match attempt(state, &message).await {
            Ok(Delivery::Sent { provider_id }) => Outcome::Sent { provider_id },
            Ok(Delivery::Recorded) => Outcome::Recorded,
            Err(error) if error.retryable && message.attempts + 1 < ATTEMPTS => {
                let wait = error
                    .retry_after
                    .and_then(|d| Span::from_std(d).ok())
                    .unwrap_or_else(|| backoff(message.attempts));
                Outcome::Retry {
                    error: error.to_string(),
                    at: Utc::now() + wait,
                }
            }
            Err(error) => Outcome::Failed {
                error: error.to_string(),
            },
        };
        if let Outcome::Failed { error } = &outcome {
            tracing::warn!(message_id = message.id, %error, "message given up");
        }
        if let Err(error) =
            relais_store::messages::settle(&state.db, message.id, outcome, Utc::now()).await
        {
            tracing::warn!(message_id = message.id, %error, "could not record a message's outcome");
        }
    }
    count
}

async fn attempt(
    state: &AppState,
    message: &outbound_message::Model,
) -> Result<Delivery, SendError> {
    let transports = &state.transports;
    match message.channel {
        Channel::Mail => {
            let Some(mailer) = &transports.mail else {
                return Ok(Delivery::Recorded);
            };
            let (from, reply_to) = sender(state, message).await;
            mailer
                .send(&Mail {
                    from,
                    reply_to,
                    to: Mailbox::new(message.recipient.clone()),
                    subject: message.subject.clone(),
                    text_body: message.body.clone(),
                    html_body: None,
                })
                .await
        }
        Channel::Push => {
            let (platform, token) = message
                .recipient
                .split_once(':')
                .unwrap_or(("android", message.recipient.as_str()));
            let (sender, platform) = match platform {
                "ios" => (&transports.ios, Platform::Ios),
                "web" => (&transports.android, Platform::Web),
                _ => (&transports.android, Platform::Android),
            };
            let Some(sender) = sender else {
                return Ok(Delivery::Recorded);
            };
            sender
                .send(&Push {
                    token: token.to_owned(),
                    platform,
                    title: message.subject.clone(),
                    body: message.body.clone(),
                    data: Default::default(),
                })
                .await
        }
        Channel::Sms => {
            let Some(sms) = &transports.sms else {
                return Ok(Delivery::Recorded);
            };
            sms.send(&Sms {
                to: message.recipient.clone(),
                from: None,
                body: message.body.clone(),
            })
            .await
        }
    }
}

/// The sender of a mail: the recipient's app label's mail settings when it has some.
async fn sender(state: &AppState, message: &outbound_message::Model) -> (Mailbox, Option<Mailbox>) {
    let fallback = (
        Mailbox::named("relais", state.transports.mail_from.clone()),
        None,
    );
    let Some(user_id) = message.user_id else {
        return fallback;
    };
    let Ok(Some(user)) = relais_store::users::find(&state.db, user_id).await else {
        return fallback;
    };
    let Some(label) = user.app_label_id else {
        return fallback;
    };
    match relais_store::app_labels::mail_setting(&state.db, label).await {
        Ok(Some(s)) if s.send_mails => (
            Mailbox::named(s.sender_name, s.sender_address),
            s.reply_to.map(Mailbox::new),
        ),
        _ => fallback,
    }
}

/// Run the dispatcher for as long as the server runs.
pub fn start(state: AppState) {
    tokio::spawn(async move {
        loop {
            if round(&state).await as u64 == BATCH {
                continue;
            }
            let _ = tokio::time::timeout(IDLE, state.outbox.woken()).await;
        }
    });
}
