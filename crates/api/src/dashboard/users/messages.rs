//! What relais sent a user, and what the user asked of the API.
//!
//! | Operation | Route | Permission |
//! |---|---|---|
//! | Send message to user | `POST /dashboard/users/{id}/messages` | `users.support` with write |
//! | Get user mails sent | `GET /dashboard/users/{id}/mails` | `users.support` |
//! | Get user sent push notifications | `GET /dashboard/users/{id}/push-notifications` | `users.support` |
//! | Get user api requests | `GET /dashboard/users/{id}/api-requests` | `developer` |

use super::accounts::UserPath;
use crate::access::{Authorized, read, write};
use crate::dashboard::access_logs::AccessLog;
use crate::envelope::{Envelope, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ValidJson, ValidPath, ValidQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::{Object, Permission};
use relais_store::access_logs::MAX_USER_REQUESTS_OFFSET;
use relais_store::entity::outbound_message::{self, Channel, MessageStatus};
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_message_to_user))
        .routes(routes!(get_user_mails_sent))
        .routes(routes!(get_user_sent_push_notifications))
        .routes(routes!(get_user_api_requests))
}

/// A message sent (or being sent) to a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentMessage {
    pub id: i64,
    /// `mail`, `push` or `sms`.
    pub channel: String,
    /// Which text it is (`sign_up`, `staff_message`, ...).
    pub template: String,
    /// Where it went: the address for a mail, the device for a push (never its token).
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `queued`, `sent`, `recorded` (kept, no transport configured) or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// The staff member who wrote it, for a message from staff.
    pub sent_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Mail => "mail",
        Channel::Push => "push",
        Channel::Sms => "sms",
    }
}

impl From<outbound_message::Model> for SentMessage {
    fn from(m: outbound_message::Model) -> Self {
        let withheld = crate::outbox::texts::carries_code(&m.template);
        SentMessage {
            id: m.id,
            channel: channel_name(m.channel).to_owned(),
            template: m.template,
            // A push token is a credential of the user's device: never shown.
            recipient: match m.channel {
                Channel::Push => "device".to_owned(),
                _ => m.recipient,
            },
            subject: m.subject,
            // A code that confirms an address or sets a password is a credential of the user:
            // staff see that it was sent, never what it said.
            body: if withheld {
                "[withheld: this message carries a single-use code]".to_owned()
            } else {
                m.body
            },
            status: match m.status {
                MessageStatus::Queued => "queued",
                MessageStatus::Sent => "sent",
                MessageStatus::Recorded => "recorded",
                MessageStatus::Failed => "failed",
            }
            .to_owned(),
            attempts: m.attempts,
            last_error: m.last_error,
            sent_by: m.sent_by,
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

/// The message to send.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    /// Content of the message to send to the user.
    #[validate(length(min = 3, max = 1000))]
    #[schema(
        min_length = 3,
        max_length = 1000,
        example = "Your scooter was left in a no-parking zone."
    )]
    pub message: String,
}

/// Send message to user.
#[utoipa::path(post, path = "/dashboard/users/{id}/messages", tag = "Users",
    summary = "Send message to user",
    description = "Send a message to the specified user\n\nThe message goes as a push notification to each of the user's devices that can receive one, and by mail; each is recorded (\"Get user mails sent\", \"Get user sent push notifications\") and retried on failure. The answer lists them as queued. A deleted account is refused (-41). Needs `users.support` with write over the user.",
    params(UserPath),
    request_body = SendMessageRequest,
    extensions(("x-permission" = json!(write(Permission::UsersSupport).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The messages queued", body = Envelope<Vec<SentMessage>>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody),
        (status = 409, description = "Deleted account (-41)", body = ErrorBody),
        (status = 422, description = "Invalid message (-11)", body = ErrorBody)))]
pub async fn send_message_to_user(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<UserPath>,
    ValidJson(body): ValidJson<SendMessageRequest>,
) -> ApiResult<Json<Envelope<Vec<SentMessage>>>> {
    let user = relais_store::users::get(&state.db, path.id).await?;
    if user.deleted_at.is_some() {
        return Err(ApiError::new(
            ErrorCode::Refused,
            "this account was deleted: it can no longer be reached",
        ));
    }
    let queued =
        crate::outbox::staff_message(&state, &user, &body.message, auth.caller.user.id).await?;
    Ok(ok(queued.into_iter().map(SentMessage::from).collect()))
}

/// Which page of messages.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BeforeQuery {
    /// The date of the oldest element that the client has, to get the elements coming before it.
    pub before_date: Option<DateTime<Utc>>,
}

/// The messages listed at once.
const LAST: u64 = 10;

/// Get user mails sent.
#[utoipa::path(get, path = "/dashboard/users/{id}/mails", tag = "Users",
    summary = "Get user mails sent",
    description = "Get the last 10 mails sent to the user.\n\nNewest first, with their status (queued, sent, recorded, failed); `before_date` gives the 10 before it. Needs `users.support` over the user.",
    params(UserPath, BeforeQuery),
    extensions(("x-permission" = json!(read(Permission::UsersSupport).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The mails", body = Envelope<Vec<SentMessage>>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_user_mails_sent(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
    ValidQuery(q): ValidQuery<BeforeQuery>,
) -> ApiResult<Json<Envelope<Vec<SentMessage>>>> {
    let rows =
        relais_store::messages::of_user(&state.db, path.id, Channel::Mail, q.before_date, LAST)
            .await?;
    Ok(ok(rows.into_iter().map(SentMessage::from).collect()))
}

/// Get user sent push notifications.
#[utoipa::path(get, path = "/dashboard/users/{id}/push-notifications", tag = "Users",
    summary = "Get user sent push notifications",
    description = "Get the last 10 push notifications sent to the user.\n\nNewest first, with their status; `before_date` gives the 10 before it. Device tokens are never shown. Needs `users.support` over the user.",
    params(UserPath, BeforeQuery),
    extensions(("x-permission" = json!(read(Permission::UsersSupport).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The push notifications", body = Envelope<Vec<SentMessage>>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_user_sent_push_notifications(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
    ValidQuery(q): ValidQuery<BeforeQuery>,
) -> ApiResult<Json<Envelope<Vec<SentMessage>>>> {
    let rows =
        relais_store::messages::of_user(&state.db, path.id, Channel::Push, q.before_date, LAST)
            .await?;
    Ok(ok(rows.into_iter().map(SentMessage::from).collect()))
}

/// Which page of requests.
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiRequestsQuery {
    /// The page number (the number of requests to skip, newest first). Defaults to 0; at most
    /// 10,000: further back, the access log's keyset pages filtered on `user_id` are the way.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 0, max = 10_000))]
    #[param(minimum = 0, maximum = 10_000, value_type = Option<i64>)]
    pub offset: Option<u64>,
    /// The number of items to returns. Defaults to 20, at most 100.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1, max = 100))]
    #[param(minimum = 1, maximum = 100, value_type = Option<i64>)]
    pub items: Option<u64>,
}

/// Get user api requests.
#[utoipa::path(get, path = "/dashboard/users/{id}/api-requests", tag = "Users",
    summary = "Get user api requests",
    description = "Get the api requests that the user made.\n\nThe user's Dashboard requests from the access log, newest first, `items` (default 20, at most 100) from `offset`. The log is written off the request path: the last few milliseconds may not be there yet. Needs `developer` over the user.",
    params(UserPath, ApiRequestsQuery),
    extensions(("x-permission" = json!(read(Permission::Developer).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The requests", body = Envelope<Vec<AccessLog>>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody),
        (status = 422, description = "Invalid paging (-11)", body = ErrorBody)))]
pub async fn get_user_api_requests(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
    ValidQuery(q): ValidQuery<ApiRequestsQuery>,
) -> ApiResult<Json<Envelope<Vec<AccessLog>>>> {
    let offset = q.offset.unwrap_or(0).min(MAX_USER_REQUESTS_OFFSET);
    let rows =
        relais_store::access_logs::of_user(&state.db, path.id, offset, q.items.unwrap_or(20))
            .await?;
    Ok(ok(rows.into_iter().map(AccessLog::from).collect()))
}
