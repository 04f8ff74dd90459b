//! Seed group `Clusters`: the places where stations stand.
//!
//! Reading needs `stations`; changing a cluster's location, settings or description needs
//! `stations` with write; creating a cluster, deleting (decommissioning) it, setting its
//! commissioning date and adding or removing pictures need `stations.advanced` with write.
//! A cluster named by its id answers 404 when absent and -31 when its network is outside the
//! caller's scope, or when the caller's units are restricted to other clusters of that network.
//! A closed network refuses every change (-41).
//!
//! Decommissioned clusters stay listed by "Get clusters" and "Search cluster", with their
//! `decommissioned_at`: the seed asks for the clusters' dates, and the history is kept.

mod equipment;
mod pictures;
mod settings;

use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Envelope, Paged, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{CommaSeparated, ValidJson, ValidPath, ValidQuery, language, unique_id_list};
use crate::pagination::{ListPageQuery, paged};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::{Object, Permission};
use relais_store::clusters::{Availability, NewCluster, NewStation};
use relais_store::entity::cluster;
use relais_store::error::StoreError;
use relais_store::{Keyset, PageOf};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_clusters, create_cluster))
        .routes(routes!(search_cluster))
        .routes(routes!(get_cluster_details, delete_cluster))
        .merge(pictures::router())
        .merge(equipment::router())
        .merge(settings::router())
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The cluster named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClusterPath {
    /// Identifier of the cluster.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// The networks whose clusters to list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClustersQuery {
    /// Identifier of networks of which to get the clusters, comma-separated: `networks=5`,
    /// `networks=1,5,7`. Each at least 1, no repeats.
    #[validate(custom(function = "unique_id_list"))]
    #[param(value_type = Vec<i64>, style = Form, explode = false, example = "1,5,7")]
    pub networks: CommaSeparated<i64>,
}

/// What to search for.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Search value: a part of the cluster's name, case-insensitive (`%` and `_` are literal).
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub name: String,
    /// Identifier of networks of which to get clusters, comma-separated: `networks=5`,
    /// `networks=1,5,7`. Each at least 1, no repeats.
    #[validate(custom(function = "unique_id_list"))]
    #[param(value_type = Vec<i64>, style = Form, explode = false, example = "1,5,7")]
    pub networks: CommaSeparated<i64>,
    /// Search only for station with a badge reader (`true`), or only without one (`false`).
    pub badge_reader: Option<bool>,
}

/// The language to localize descriptions in.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// The lang in which to get the cluster description localized: two lowercase letters
    /// (ISO 639-1). English, then any language, when the cluster has no description in it.
    #[validate(custom(function = "language"))]
    #[param(min_length = 2, max_length = 2, pattern = "^[a-z]{2}$", example = "en")]
    pub lang: String,
}

/// A station to create with its cluster.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStationRequest {
    /// Serial number of the station, unique among all stations.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "LYN-ST-0001")]
    pub serial: String,
    /// Name of the station.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "Bellecour A")]
    pub name: String,
    /// How many spots the station has; they are numbered from 1.
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100, example = 12)]
    pub spot_count: i64,
}

/// A new cluster with its stations.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClusterRequest {
    /// The network the cluster belongs to.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub network_id: i64,
    /// Name of the cluster.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Bellecour")]
    pub name: String,
    /// Latitude of the cluster's pin (WGS 84).
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90, maximum = 90, example = 45.7578)]
    pub latitude: f64,
    /// Longitude of the cluster's pin (WGS 84).
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180, maximum = 180, example = 4.832)]
    pub longitude: f64,
    /// Address of the cluster, for information.
    #[validate(length(min = 5, max = 100))]
    #[schema(min_length = 5, max_length = 100, example = "Place Bellecour, Lyon 2e")]
    pub location: String,
    /// Whether the stations have a badge reader.
    pub badge_reader: bool,
    /// The stations of the cluster, with distinct serials.
    #[validate(length(min = 1, max = 50), nested)]
    #[schema(min_items = 1, max_items = 50)]
    pub stations: Vec<NewStationRequest>,
}

// ---------------------------------------------------------------------------------------------
// Responses

/// A cluster with its dates and what it offers now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterItem {
    pub id: i64,
    pub network_id: i64,
    pub name: String,
    /// Address, for information only.
    pub location: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub badge_reader: bool,
    /// Forced down by an operator: no vehicle may be taken or returned.
    pub forced_down: bool,
    /// Stations not decommissioned.
    pub station_count: u64,
    /// Spots not decommissioned, on stations not decommissioned.
    pub spot_count: u64,
    /// Of those, the spots holding no vehicle.
    pub free_spots: u64,
    /// Vehicles with status `available` in the cluster's spots or virtual parkings.
    pub vehicles_available: u64,
    /// When the cluster was (or is to be) commissioned; null when not set.
    pub commissioned_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When the cluster was deleted; null while it is in service.
    pub decommissioned_at: Option<DateTime<Utc>>,
}

impl ClusterItem {
    fn new(c: cluster::Model, availability: Availability) -> Self {
        ClusterItem {
            id: c.id,
            network_id: c.network_id,
            name: c.name,
            location: c.location,
            latitude: c.latitude,
            longitude: c.longitude,
            badge_reader: c.badge_reader,
            forced_down: c.forced_down,
            station_count: availability.station_count,
            spot_count: availability.spot_count,
            free_spots: availability.free_spots,
            vehicles_available: availability.vehicles_available,
            commissioned_at: c.commissioned_at,
            created_at: c.created_at,
            decommissioned_at: c.decommissioned_at,
        }
    }
}

/// A localized description.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterDescription {
    /// The language of the text: the one asked for, else English, else another.
    pub lang: String,
    pub text: String,
    pub updated_at: DateTime<Utc>,
}

/// The details of a cluster.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterDetails {
    #[serde(flatten)]
    pub cluster: ClusterItem,
    /// Largest distance, in metres, between a user and the cluster to unlock a vehicle.
    pub max_unlock_distance: i32,
    /// Internal comment, only shown on the dashboard.
    pub comment: Option<String>,
    /// The description for end users; null when the cluster has none.
    pub description: Option<ClusterDescription>,
    /// The languages the cluster has a description in.
    pub description_langs: Vec<String>,
    /// The pictures, oldest first.
    pub pictures: Vec<pictures::ClusterPicture>,
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// The cluster `id` (its scope is checked by the declaration).
pub(crate) async fn get_cluster(state: &AppState, id: i64) -> ApiResult<cluster::Model> {
    relais_store::clusters::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("cluster"))
}

/// A page of clusters with their availability.
async fn items(
    state: &AppState,
    keyset: &Keyset,
    clusters: PageOf<cluster::Model>,
) -> ApiResult<Paged<ClusterItem>> {
    let ids: Vec<i64> = clusters.items.iter().map(|c| c.id).collect();
    let availability = relais_store::clusters::availability(&state.db, &ids).await?;
    Ok(paged(
        keyset,
        clusters,
        |c| c.id,
        |c| {
            let a = availability.get(&c.id).copied().unwrap_or_default();
            ClusterItem::new(c, a)
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Get clusters
#[utoipa::path(get, path = "/dashboard/clusters", tag = "Clusters",
    summary = "Get clusters",
    description = "Return clusters of the specified networks with availability, spot count info, dates, etc.\n\nEvery cluster of the networks, decommissioned ones included (with their `decommissioned_at`), by name. `vehicles_available` counts the vehicles with status `available` in the cluster's spots and virtual parkings; `free_spots` the spots without vehicle, neither they nor their station decommissioned. Needs `stations` over every network asked for (-31 otherwise); a caller whose units are restricted to some clusters sees only those. Paged by keyset (relais extension: `page_size`, default 100, `last_primary_key`, `primary_key_dir`, which only breaks ties between equal names).",
    params(ListPageQuery, ClustersQuery),
    extensions(("x-permission" = json!(read(Permission::Stations).networks_in_query("networks")))),
    responses(
        (status = 200, description = "A page of clusters", body = Paged<ClusterItem>),
        (status = 400, description = "Missing or malformed `networks` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Repeated or invalid network id (-11)", body = ErrorBody)))]
pub async fn get_clusters(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(page): ValidQuery<ListPageQuery>,
    ValidQuery(query): ValidQuery<ClustersQuery>,
) -> ApiResult<Paged<ClusterItem>> {
    let within = auth.within(query.networks.as_slice());
    let keyset = page.keyset();
    let clusters = relais_store::clusters::list(&state.db, &within, &keyset).await?;
    items(&state, &keyset, clusters).await
}

/// Search cluster
#[utoipa::path(get, path = "/dashboard/clusters/search", tag = "Clusters",
    summary = "Search cluster",
    description = "Search for cluster with a given name in specified networks.\n\n`name` matches any part of the cluster's name, case-insensitive; `badge_reader`, when given, keeps only the clusters with (`true`) or without (`false`) a badge reader. Decommissioned clusters are included, with their `decommissioned_at`. Answers the same items as \"Get clusters\", by name. Needs `stations` over every network asked for (-31 otherwise); a caller whose units are restricted to some clusters finds only those. Paged by keyset (relais extension: `page_size`, default 100, `last_primary_key`, `primary_key_dir`, which only breaks ties between equal names).",
    params(ListPageQuery, SearchQuery),
    extensions(("x-permission" = json!(read(Permission::Stations).networks_in_query("networks")))),
    responses(
        (status = 200, description = "A page of the clusters found", body = Paged<ClusterItem>),
        (status = 400, description = "Missing or malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Empty name, repeated or invalid network id (-11)", body = ErrorBody)))]
pub async fn search_cluster(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(page): ValidQuery<ListPageQuery>,
    ValidQuery(query): ValidQuery<SearchQuery>,
) -> ApiResult<Paged<ClusterItem>> {
    let within = auth.within(query.networks.as_slice());
    let keyset = page.keyset();
    let clusters = relais_store::clusters::search(
        &state.db,
        &within,
        &query.name,
        query.badge_reader,
        &keyset,
    )
    .await?;
    items(&state, &keyset, clusters).await
}

/// Create a cluster with its stations and spots
#[utoipa::path(post, path = "/dashboard/clusters", tag = "Clusters",
    summary = "Create cluster",
    description = "Create a cluster on a network, with its stations and their spots (numbered from 1), all at once. Station serials are unique: a serial repeated in the body is -11 naming `stations[i].serial`, one already known -40 naming it. The cluster starts in service, not forced down, with a maximum unlock distance of 100 m and no commissioning date. Needs `stations.advanced` with write over the whole network (-31 when the network is outside the caller's scope, or reached only through units restricted to some clusters); a closed network refuses it (-41). Beyond the seed.",
    request_body(content = CreateClusterRequest, description = "The cluster and its stations."),
    extensions(("x-permission" = json!(write(Permission::StationsAdvanced).object_in_body("network_id", Object::Network))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The new cluster", body = Envelope<ClusterItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "A serial is taken (-40) or the network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_cluster(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<CreateClusterRequest>,
) -> ApiResult<Json<Envelope<ClusterItem>>> {
    let mut seen = HashSet::new();
    for (index, station) in body.stations.iter().enumerate() {
        if !seen.insert(station.serial.as_str()) {
            return Err(ApiError::field(
                format!("stations[{index}].serial"),
                "repeats the serial of another station",
            ));
        }
    }
    let serials: Vec<String> = body.stations.iter().map(|s| s.serial.clone()).collect();
    let taken = relais_store::clusters::taken_serials(&state.db, &serials).await?;
    if let Some(index) = serials.iter().position(|s| taken.contains(s)) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "a station with this serial already exists",
        )
        .with_field(format!("stations[{index}].serial"), "already exists"));
    }
    let created = relais_store::clusters::create(
        &state.db,
        NewCluster {
            network_id: body.network_id,
            name: body.name,
            latitude: body.latitude,
            longitude: body.longitude,
            location: body.location,
            badge_reader: body.badge_reader,
            stations: body
                .stations
                .into_iter()
                .map(|s| NewStation {
                    serial: s.serial,
                    name: s.name,
                    // Bounded by validation to 1..=100.
                    spot_count: i32::try_from(s.spot_count).unwrap_or(0),
                })
                .collect(),
        },
    )
    .await
    .map_err(|err| match err {
        StoreError::NotFound { entity: "network" } => {
            ApiError::not_found("network").with_field("network_id", "no such network")
        }
        other => other.into(),
    })?;
    tracing::info!(
        cluster_id = created.id,
        user_id = auth.user_id(),
        "cluster created"
    );
    let availability = relais_store::clusters::availability(&state.db, &[created.id]).await?;
    let a = availability.get(&created.id).copied().unwrap_or_default();
    Ok(ok(ClusterItem::new(created, a)))
}

/// Get cluster details
#[utoipa::path(get, path = "/dashboard/clusters/{id}", tag = "Clusters",
    summary = "Get cluster details",
    description = "Return the details of the specified cluster.\n\nThe cluster with its availability (as in \"Get clusters\"), settings, internal comment, its description in `lang` (else in English, else in another language; null when it has none) and its pictures, each with the URL that serves it. Needs `stations` over the cluster (-31 otherwise).",
    params(ClusterPath, LangQuery),
    extensions(("x-permission" = json!(read(Permission::Stations).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "The cluster", body = Envelope<ClusterDetails>),
        (status = 400, description = "Malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody),
        (status = 422, description = "Invalid `lang` (-11)", body = ErrorBody)))]
pub async fn get_cluster_details(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<ClusterPath>,
    ValidQuery(query): ValidQuery<LangQuery>,
) -> ApiResult<Json<Envelope<ClusterDetails>>> {
    let cluster = get_cluster(&state, path.id).await?;
    let descriptions = relais_store::clusters::descriptions(&state.db, cluster.id).await?;
    let description =
        relais_store::clusters::localized(&descriptions, &query.lang).map(|d| ClusterDescription {
            lang: d.lang.clone(),
            text: d.description.clone(),
            updated_at: d.updated_at,
        });
    let pictures = relais_store::clusters::pictures(&state.db, cluster.id)
        .await?
        .into_iter()
        .map(pictures::ClusterPicture::from)
        .collect();
    let availability = relais_store::clusters::availability(&state.db, &[cluster.id]).await?;
    let a = availability.get(&cluster.id).copied().unwrap_or_default();
    let max_unlock_distance = cluster.max_unlock_distance;
    let comment = cluster.comment.clone();
    Ok(ok(ClusterDetails {
        cluster: ClusterItem::new(cluster, a),
        max_unlock_distance,
        comment,
        description,
        description_langs: descriptions.into_iter().map(|d| d.lang).collect(),
        pictures,
    }))
}

/// Delete cluster
#[utoipa::path(delete, path = "/dashboard/clusters/{id}", tag = "Clusters",
    summary = "Delete cluster",
    description = "Mark the cluster has decommissioned.\n\nSets its `decommissioned_at`: the cluster, its stations and spots stay for history, and it is still listed with that date. Deleting it twice is refused (-41). Needs `stations.advanced` with write over the cluster (-31 otherwise); a closed network refuses it (-41).",
    params(ClusterPath),
    extensions(("x-permission" = json!(write(Permission::StationsAdvanced).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "Decommissioned", body = Done),
        (status = 400, description = "Malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody),
        (status = 409, description = "Already decommissioned or network closed (-41)", body = ErrorBody)))]
pub async fn delete_cluster(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<ClusterPath>,
) -> ApiResult<Json<Done>> {
    let cluster = get_cluster(&state, path.id).await?;
    relais_store::clusters::decommission(&state.db, cluster.id).await?;
    tracing::info!(
        cluster_id = cluster.id,
        user_id = auth.user_id(),
        "cluster decommissioned"
    );
    Ok(done())
}
