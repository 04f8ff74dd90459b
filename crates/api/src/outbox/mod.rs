//! The one outbound-messages service every feature uses: a message is a row first (recorded
//! with its recipient, text and status, visible to staff), then a dispatcher sends it through
//! the configured transport of its channel and records the outcome, retrying what failed for a
//! reason that may pass.

pub mod dispatch;
pub mod texts;

use crate::error::ApiResult;
use crate::state::AppState;
use chrono::Utc;
use relais_store::entity::outbound_message::{self, Channel};
use relais_store::entity::user;
use relais_store::messages::NewMessage;
use std::sync::Arc;
use texts::Text;
use tokio::sync::Notify;

/// Wakes the dispatcher when a message is queued; cheap to clone.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    /// Tell the dispatcher there is work.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Wait until woken (or a permit is pending).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// The name a user's messages are signed with: their app label's, or the operator's.
pub async fn app_name(state: &AppState, user: &user::Model) -> ApiResult<String> {
    Ok(match user.app_label_id {
        Some(id) => relais_store::app_labels::existing(&state.db, id)
            .await
            .map(|l| l.display_name)
            .unwrap_or_else(|_| "relais".to_owned()),
        None => "relais".to_owned(),
    })
}

/// Queue one message and wake the dispatcher.
pub async fn queue(state: &AppState, message: NewMessage) -> ApiResult<outbound_message::Model> {
    let row = relais_store::messages::queue(&state.db, message, Utc::now()).await?;
    state.outbox.wake();
    Ok(row)
}

/// Queue a mail of `template` to the user.
pub async fn mail(
    state: &AppState,
    user: &user::Model,
    template: &str,
    text: Text,
    sent_by: Option<i64>,
) -> ApiResult<outbound_message::Model> {
    queue(
        state,
        NewMessage {
            user_id: Some(user.id),
            channel: Channel::Mail,
            template: template.to_owned(),
            language: user.language.clone(),
            recipient: user.email.clone(),
            subject: text.subject,
            body: text.body,
            sent_by,
        },
    )
    .await
}

/// Queue an SMS of `template` to `phone`.
pub async fn sms(
    state: &AppState,
    user: &user::Model,
    phone: &str,
    template: &str,
    text: Text,
) -> ApiResult<outbound_message::Model> {
    queue(
        state,
        NewMessage {
            user_id: Some(user.id),
            channel: Channel::Sms,
            template: template.to_owned(),
            language: user.language.clone(),
            recipient: phone.to_owned(),
            subject: String::new(),
            body: text.body,
            sent_by: None,
        },
    )
    .await
}

/// A message from staff: a push notification to each of the user's devices that can take one,
/// and a mail.
pub async fn staff_message(
    state: &AppState,
    user: &user::Model,
    message: &str,
    sent_by: i64,
) -> ApiResult<Vec<outbound_message::Model>> {
    let app = app_name(state, user).await?;
    let text = texts::staff_message(&user.language, &app, message);
    let mut queued = Vec::new();
    for device in relais_store::devices::of_user(&state.db, user.id).await? {
        let Some(token) = device.push_token else {
            continue;
        };
        queued.push(
            queue(
                state,
                NewMessage {
                    user_id: Some(user.id),
                    channel: Channel::Push,
                    template: "staff_message".to_owned(),
                    language: user.language.clone(),
                    recipient: format!(
                        "{}:{token}",
                        crate::dashboard::users::accounts::platform_name(device.platform)
                    ),
                    subject: text.subject.clone(),
                    body: text.body.clone(),
                    sent_by: Some(sent_by),
                },
            )
            .await?,
        );
    }
    queued.push(mail(state, user, "staff_message", text, Some(sent_by)).await?);
    Ok(queued)
}
