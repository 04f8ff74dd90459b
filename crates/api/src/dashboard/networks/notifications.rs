//! Networks: notification settings and their targets.
//!
//! A notification setting of a network says which alerts (types and severities) are sent and
//! how often they are checked; its targets are who they are sent to: users of relais (by
//! `user_id`) or external addresses (by `email`). Everything here needs `notifications` over
//! the network of the path; a setting is only reached through its own network (404 otherwise).
//! Changes go through `relais_store::networks::open`, so a closed network refuses them (-41).
//!
//! Routes:
//! - `GET|POST /dashboard/networks/{network_id}/notification-settings`
//! - `PUT|DELETE /dashboard/networks/{network_id}/notification-settings/{notification_id}`:
//!   `PUT` because the seed's update takes every value; optional values left out are cleared.
//! - `POST|DELETE /dashboard/networks/{network_id}/notification-settings/{notification_id}/targets`

use super::NetworkPath;
use crate::access::{read, write};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath, ValidQuery, unique};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use relais_domain::alerts::{AlertSeverity, AlertType, NotificationType};
use relais_store::notifications::{Recipient, Setting, SettingValues, Target};
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            get_notification_settings,
            create_notification_settings
        ))
        .routes(routes!(
            update_notification_settings,
            delete_notification_settings
        ))
        .routes(routes!(add_notification_target, delete_notification_target))
}

/// The notification setting named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct NotificationPath {
    /// The network's identifier.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub network_id: i64,
    /// The notification setting's identifier.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub notification_id: i64,
}

/// A recipient of a notification setting.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationTargetItem {
    pub id: i64,
    /// The user, for a user target; null for an external email.
    pub user_id: Option<i64>,
    /// The user's email for a user target, the external address otherwise.
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Target> for NotificationTargetItem {
    fn from(t: Target) -> Self {
        NotificationTargetItem {
            id: t.id,
            user_id: t.user_id,
            email: t.email,
            created_at: t.created_at,
        }
    }
}

/// A notification setting with its targets.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSettingItem {
    pub id: i64,
    pub network_id: i64,
    pub notification_type: NotificationType,
    pub alert_types: Vec<AlertType>,
    pub alert_severities: Vec<AlertSeverity>,
    /// Seconds between two checks for new alerts; null for the system's default.
    pub check_interval: Option<i32>,
    /// Seconds an alert waits before it is sent; null for none.
    pub check_delay: Option<i32>,
    pub created_at: DateTime<Utc>,
    /// Who the notifications are sent to, oldest first.
    pub targets: Vec<NotificationTargetItem>,
}

impl From<Setting> for NotificationSettingItem {
    fn from(s: Setting) -> Self {
        NotificationSettingItem {
            id: s.id,
            network_id: s.network_id,
            notification_type: s.notification_type,
            alert_types: s.alert_types,
            alert_severities: s.alert_severities,
            check_interval: s.check_interval,
            check_delay: s.check_delay,
            created_at: s.created_at,
            targets: s.targets.into_iter().map(Into::into).collect(),
        }
    }
}

/// Info on a notification settings.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettingsRequest {
    /// The type of notification
    pub notification_type: NotificationType,
    /// Type of alerts sent (unique items).
    #[validate(length(min = 1), custom(function = "unique"))]
    #[schema(min_items = 1)]
    pub alert_types: Vec<AlertType>,
    /// Severity level of alerts sent (unique items).
    #[validate(length(min = 1), custom(function = "unique"))]
    #[schema(min_items = 1)]
    pub alert_severities: Vec<AlertSeverity>,
    /// The interval in seconds in which the system will check for new alerts to sent.
    #[serde(default)]
    #[validate(range(min = 0))]
    #[schema(minimum = 0, example = 300)]
    pub check_interval: Option<i32>,
    /// The delay to wait before sending a notifications. Only notifications older than the specified delay will be sent.
    #[serde(default)]
    #[validate(range(min = 0))]
    #[schema(minimum = 0, example = 60)]
    pub check_delay: Option<i32>,
}

impl From<NotificationSettingsRequest> for SettingValues {
    fn from(r: NotificationSettingsRequest) -> Self {
        SettingValues {
            notification_type: r.notification_type,
            alert_types: r.alert_types,
            alert_severities: r.alert_severities,
            check_interval: r.check_interval,
            check_delay: r.check_delay,
        }
    }
}

/// Target email or user data: exactly one of `user_id` and `email`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddNotificationTargetRequest {
    /// Identifier of the user. Required if email is absent.
    #[serde(default)]
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub user_id: Option<i64>,
    /// An external email address. Required if user_id is absent.
    #[serde(default)]
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254, example = json!(null))]
    pub email: Option<String>,
}

/// Which target to remove: exactly one of `user_id` and `email`.
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteNotificationTargetQuery {
    /// The identifier of the user to remove from targets. Required if email is absent.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub user_id: Option<i64>,
    /// The external email to remove from targets. Required if user_id is absent.
    #[serde(default)]
    #[validate(email, length(max = 254))]
    #[param(format = Email, max_length = 254)]
    pub email: Option<String>,
}

/// Exactly one of a user and an email.
fn recipient(user_id: Option<i64>, email: Option<String>) -> ApiResult<Recipient> {
    match (user_id, email) {
        (Some(id), None) => Ok(Recipient::User(id)),
        (None, Some(email)) => Ok(Recipient::Email(email.trim().to_lowercase())),
        (None, None) => Err(ApiError::field("user_id", "required if email is absent")
            .with_field("email", "required if user_id is absent")),
        (Some(_), Some(_)) => Err(
            ApiError::field("user_id", "give user_id or email, not both")
                .with_field("email", "give user_id or email, not both"),
        ),
    }
}

/// Get notification settings
#[utoipa::path(get, path = "/dashboard/networks/{network_id}/notification-settings", tag = "Networks",
    summary = "Get notification settings",
    description = "Get notifications settings of the specified network, oldest first, each with its targets (users with their email, and external emails).",
    params(NetworkPath),
    extensions(("x-permission" = json!(read(Permission::Notifications).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The network's notification settings", body = Envelope<Vec<NotificationSettingItem>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody)))]
pub async fn get_notification_settings(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<Vec<NotificationSettingItem>>>> {
    let settings = relais_store::notifications::list(&state.db, path.network_id).await?;
    Ok(ok(settings.into_iter().map(Into::into).collect()))
}

/// Create notification settings
#[utoipa::path(post, path = "/dashboard/networks/{network_id}/notification-settings", tag = "Networks",
    summary = "Create notification settings",
    description = "Add a notifications settings. It has no target yet: add them with \"Add notification target\".",
    params(NetworkPath),
    request_body(content = NotificationSettingsRequest, description = "Info on the notification settings to create."),
    extensions(("x-permission" = json!(write(Permission::Notifications).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The new setting", body = Envelope<NotificationSettingItem>),
        (status = 400, description = "Malformed body, unknown notification type, alert type or severity (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_notification_settings(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidJson(body): ValidJson<NotificationSettingsRequest>,
) -> ApiResult<Json<Envelope<NotificationSettingItem>>> {
    let setting =
        relais_store::notifications::create(&state.db, path.network_id, &body.into()).await?;
    Ok(ok(setting.into()))
}

/// Update notification settings
#[utoipa::path(put, path = "/dashboard/networks/{network_id}/notification-settings/{notification_id}", tag = "Networks",
    summary = "Update notification settings",
    description = "Edit a notifications settings: every value is replaced (an optional value left out is cleared); the targets stay.",
    params(NotificationPath),
    request_body(content = NotificationSettingsRequest, description = "News values for the notification settings."),
    extensions(("x-permission" = json!(write(Permission::Notifications).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The setting as changed, with its targets", body = Envelope<NotificationSettingItem>),
        (status = 400, description = "Malformed body, unknown notification type, alert type or severity (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, or no such setting in it (-2)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_notification_settings(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NotificationPath>,
    ValidJson(body): ValidJson<NotificationSettingsRequest>,
) -> ApiResult<Json<Envelope<NotificationSettingItem>>> {
    let setting = relais_store::notifications::update(
        &state.db,
        path.network_id,
        path.notification_id,
        &body.into(),
    )
    .await?;
    Ok(ok(setting.into()))
}

/// Delete notification settings
#[utoipa::path(delete, path = "/dashboard/networks/{network_id}/notification-settings/{notification_id}", tag = "Networks",
    summary = "Delete notification settings",
    description = "Remove a notifications settings, with its targets.",
    params(NotificationPath),
    extensions(("x-permission" = json!(write(Permission::Notifications).network_in_path("network_id")))),
    responses(
        (status = 200, description = "Removed", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, or no such setting in it (-2)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody)))]
pub async fn delete_notification_settings(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NotificationPath>,
) -> ApiResult<Json<Done>> {
    relais_store::notifications::delete(&state.db, path.network_id, path.notification_id).await?;
    Ok(done())
}

/// Add notification target
#[utoipa::path(post, path = "/dashboard/networks/{network_id}/notification-settings/{notification_id}/targets", tag = "Networks",
    summary = "Add notification target",
    description = "Add a notifications target: a user of relais by `user_id`, or an external address by `email` (exactly one of them; emails are compared and stored in lowercase). A target is added once per setting.",
    params(NotificationPath),
    request_body(content = AddNotificationTargetRequest, description = "Target email or user data."),
    extensions(("x-permission" = json!(write(Permission::Notifications).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The new target", body = Envelope<NotificationTargetItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, no such setting in it, or no such user (-2)", body = ErrorBody),
        (status = 409, description = "Already a target of this setting (-40) or closed network (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body, or not exactly one of `user_id` and `email` (-11)", body = ErrorBody)))]
pub async fn add_notification_target(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NotificationPath>,
    ValidJson(body): ValidJson<AddNotificationTargetRequest>,
) -> ApiResult<Json<Envelope<NotificationTargetItem>>> {
    let recipient = recipient(body.user_id, body.email)?;
    let target = relais_store::notifications::add_target(
        &state.db,
        path.network_id,
        path.notification_id,
        &recipient,
    )
    .await?;
    Ok(ok(target.into()))
}

/// Delete notification target
#[utoipa::path(delete, path = "/dashboard/networks/{network_id}/notification-settings/{notification_id}/targets", tag = "Networks",
    summary = "Delete notification target",
    description = "Remove a notifications target, named by `user_id` or by `email` (exactly one of them).",
    params(NotificationPath, DeleteNotificationTargetQuery),
    extensions(("x-permission" = json!(write(Permission::Notifications).network_in_path("network_id")))),
    responses(
        (status = 200, description = "Removed", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, no such setting in it, or not a target of it (-2)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody),
        (status = 422, description = "Invalid query, or not exactly one of `user_id` and `email` (-11)", body = ErrorBody)))]
pub async fn delete_notification_target(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NotificationPath>,
    ValidQuery(query): ValidQuery<DeleteNotificationTargetQuery>,
) -> ApiResult<Json<Done>> {
    let recipient = recipient(query.user_id, query.email)?;
    relais_store::notifications::remove_target(
        &state.db,
        path.network_id,
        path.notification_id,
        &recipient,
    )
    .await?;
    Ok(done())
}
