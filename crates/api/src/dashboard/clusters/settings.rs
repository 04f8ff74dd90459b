//! A cluster's commissioning date, location, settings and description, and whether it is out
//! of order.

use super::{ClusterPath, LangQuery, get_cluster};
use crate::access::{Authorized, read, write};
use crate::dashboard::out_of_order::OutOfOrder;
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath, ValidQuery, language, required_nullable};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::{Object, Permission};
use relais_store::clusters::ClusterChange;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_commissioning_date))
        .routes(routes!(update_cluster_location))
        .routes(routes!(update_cluster_settings))
        .routes(routes!(update_cluster_description))
        .routes(routes!(get_out_of_order_details))
}

/// The commissioning date.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommissioningRequest {
    /// The date at which the cluster should be commissioned.
    pub date: DateTime<Utc>,
}

/// The new location.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationRequest {
    /// The new location of the cluster.
    #[validate(length(min = 5, max = 100))]
    #[schema(min_length = 5, max_length = 100, example = "Place Bellecour, Lyon 2e")]
    pub location: String,
}

/// New settings.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    /// The maximum distance, in metres, between user position and the cluster to allow vehicle
    /// unlocking.
    #[validate(range(min = 25, max = 500))]
    #[schema(minimum = 25, maximum = 500, example = 50)]
    pub max_unlock_distance: i64,
    /// Internal comment, only displayed on the dashboard. Can be used to set contact
    /// information, etc.
    #[validate(length(min = 1, max = 500))]
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Entrance on the south side"
    )]
    pub comment: String,
    /// Force the cluster down (`true`) or bring it back (`false`); absent: unchanged.
    #[serde(default)]
    pub forced_down: Option<bool>,
}

/// The new description.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DescriptionRequest {
    /// The language of the description: two lowercase letters (ISO 639-1).
    #[validate(custom(function = "language"))]
    #[schema(min_length = 2, max_length = 2, pattern = "^[a-z]{2}$", example = "en")]
    pub lang: String,
    /// The text of the description; required, `null` removes the description in that language.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500, required = true)]
    pub description: Option<String>,
}

/// Whether a cluster is out of order, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterOutOfOrder {
    pub cluster_id: i64,
    pub network_id: i64,
    /// Whether the cluster is out of order now: forced down, or its network out of order.
    pub out_of_order: bool,
    /// Forced down by an operator ("Update cluster settings").
    pub forced_down: bool,
    /// The network's out of orders in force now.
    pub current: Vec<OutOfOrder>,
    /// The network's out of orders still to come, by start date.
    pub upcoming: Vec<OutOfOrder>,
    /// The cluster's description in `lang` (else English, else another language); null when it
    /// has none.
    pub description: Option<String>,
    /// The language of `description`.
    pub description_lang: Option<String>,
}

/// Set commissioning date
#[utoipa::path(put, path = "/dashboard/clusters/{id}/commissioning-date", tag = "Clusters",
    summary = "Set commissioning date",
    description = "Set cluster's commissioning date.\n\nAny date, past or future, replacing the previous one. Needs `stations.advanced` with write over the cluster (-31 otherwise); a closed network refuses it (-41).",
    params(ClusterPath),
    request_body(content = CommissioningRequest, description = "The commissioning date."),
    extensions(("x-permission" = json!(write(Permission::StationsAdvanced).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "Set", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody)))]
pub async fn set_commissioning_date(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<ClusterPath>,
    ValidJson(body): ValidJson<CommissioningRequest>,
) -> ApiResult<Json<Done>> {
    let cluster = get_cluster(&state, path.id).await?;
    relais_store::clusters::update(
        &state.db,
        cluster.id,
        ClusterChange {
            commissioned_at: Some(body.date),
            ..Default::default()
        },
    )
    .await?;
    tracing::info!(
        cluster_id = cluster.id,
        user_id = auth.user_id(),
        "cluster commissioning date set"
    );
    Ok(done())
}

/// Update cluster location
#[utoipa::path(put, path = "/dashboard/clusters/{id}/location", tag = "Clusters",
    summary = "Update cluster location",
    description = "Update the location (text) of the cluster. This address is for informational purposes only, it does not move the pin of the station.\n\n5 to 100 characters. Needs `stations` with write over the cluster (-31 otherwise); a closed network refuses it (-41).",
    params(ClusterPath),
    request_body(content = LocationRequest, description = "The new location."),
    extensions(("x-permission" = json!(write(Permission::Stations).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_cluster_location(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<ClusterPath>,
    ValidJson(body): ValidJson<LocationRequest>,
) -> ApiResult<Json<Done>> {
    let cluster = get_cluster(&state, path.id).await?;
    relais_store::clusters::update(
        &state.db,
        cluster.id,
        ClusterChange {
            location: Some(body.location),
            ..Default::default()
        },
    )
    .await?;
    tracing::info!(
        cluster_id = cluster.id,
        user_id = auth.user_id(),
        "cluster location updated"
    );
    Ok(done())
}

/// Update cluster settings
#[utoipa::path(put, path = "/dashboard/clusters/{id}/settings", tag = "Clusters",
    summary = "Update cluster settings",
    description = "Update the max unlock distance, the internal comment and allow to force the cluster to be down.\n\n`max_unlock_distance` in metres (25..500) and `comment` (1..500 characters) are required; `forced_down` is optional (absent: unchanged). Needs `stations` with write over the cluster (-31 otherwise); a closed network refuses it (-41).",
    params(ClusterPath),
    request_body(content = SettingsRequest, description = "New settings."),
    extensions(("x-permission" = json!(write(Permission::Stations).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_cluster_settings(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<ClusterPath>,
    ValidJson(body): ValidJson<SettingsRequest>,
) -> ApiResult<Json<Done>> {
    let cluster = get_cluster(&state, path.id).await?;
    relais_store::clusters::update(
        &state.db,
        cluster.id,
        ClusterChange {
            // Bounded by validation to 25..=500.
            max_unlock_distance: Some(i32::try_from(body.max_unlock_distance).unwrap_or(100)),
            comment: Some(body.comment),
            forced_down: body.forced_down,
            ..Default::default()
        },
    )
    .await?;
    tracing::info!(
        cluster_id = cluster.id,
        user_id = auth.user_id(),
        "cluster settings updated"
    );
    Ok(done())
}

/// Update cluster description
#[utoipa::path(put, path = "/dashboard/clusters/{id}/description", tag = "Clusters",
    summary = "Update cluster description",
    description = "Update the description of the cluster. This description is visible by end users, it allow to specify information to end users.\n\nOne description per language: `description` (1..500 characters) replaces the one in `lang`; `null` removes it (required all the same). Needs `stations` with write over the cluster (-31 otherwise); a closed network refuses it (-41).",
    params(ClusterPath),
    request_body(content = DescriptionRequest, description = "The new description."),
    extensions(("x-permission" = json!(write(Permission::Stations).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_cluster_description(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<ClusterPath>,
    ValidJson(body): ValidJson<DescriptionRequest>,
) -> ApiResult<Json<Done>> {
    let cluster = get_cluster(&state, path.id).await?;
    relais_store::clusters::set_description(&state.db, cluster.id, &body.lang, body.description)
        .await?;
    tracing::info!(
        cluster_id = cluster.id,
        user_id = auth.user_id(),
        "cluster description updated"
    );
    Ok(done())
}

/// Get out of order details
#[utoipa::path(get, path = "/dashboard/clusters/{id}/out-of-order", tag = "Clusters",
    summary = "Get out of order details",
    description = "Return the details of the specified out of order.\n\nRead as: whether the cluster `id` is out of order, and why. A cluster is out of order when it is forced down (\"Update cluster settings\") or when an out of order of its network is in force; the answer lists the network's out of orders in force now and those to come, with the cluster's description in `lang` (else English, else another language), the text users see. Needs `stations` over the cluster (-31 otherwise).",
    params(ClusterPath, LangQuery),
    extensions(("x-permission" = json!(read(Permission::Stations).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "The cluster's out of order state", body = Envelope<ClusterOutOfOrder>),
        (status = 400, description = "Malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody),
        (status = 422, description = "Invalid `lang` (-11)", body = ErrorBody)))]
pub async fn get_out_of_order_details(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<ClusterPath>,
    ValidQuery(query): ValidQuery<LangQuery>,
) -> ApiResult<Json<Envelope<ClusterOutOfOrder>>> {
    let cluster = get_cluster(&state, path.id).await?;
    let now = Utc::now();
    let (current, upcoming): (Vec<_>, Vec<_>) =
        relais_store::clusters::out_of_orders(&state.db, cluster.network_id, now)
            .await?
            .into_iter()
            .partition(|o| o.start_date <= now);
    let descriptions = relais_store::clusters::descriptions(&state.db, cluster.id).await?;
    let description = relais_store::clusters::localized(&descriptions, &query.lang);
    Ok(ok(ClusterOutOfOrder {
        cluster_id: cluster.id,
        network_id: cluster.network_id,
        out_of_order: cluster.forced_down || !current.is_empty(),
        forced_down: cluster.forced_down,
        current: current.into_iter().map(OutOfOrder::from).collect(),
        upcoming: upcoming.into_iter().map(OutOfOrder::from).collect(),
        description: description.map(|d| d.description.clone()),
        description_lang: description.map(|d| d.lang.clone()),
    }))
}
