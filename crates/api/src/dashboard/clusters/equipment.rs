//! What stands in a cluster: stations and spots, their outages and maintenances, and the
//! virtual parkings attached to the cluster.

use super::{ClusterPath, get_cluster};
use crate::access::{Authorized, read, write};
use crate::envelope::{Envelope, Paged, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath, ValidQuery};
use crate::pagination::{ListPageQuery, paged};
use crate::shapes::{points, shape_of};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::geometry::{GeoJsonPolygon, ShapeInput};
use relais_domain::{Object, Permission};
use relais_store::clusters::ClusterParking;
use relais_store::entity::vehicle;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_stations))
        .routes(routes!(get_station_outages))
        .routes(routes!(get_cluster_parkings, create_cluster_parking))
        .routes(routes!(get_maintenances))
}

// ---------------------------------------------------------------------------------------------
// Responses

/// A vehicle in a spot or a virtual parking.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContainedVehicle {
    pub id: i64,
    pub serial: String,
    /// Battery level in percent; null when unknown.
    pub battery: Option<i32>,
    /// `available`, `rented`, `maintenance`, ...
    pub status: String,
}

impl From<vehicle::Model> for ContainedVehicle {
    fn from(v: vehicle::Model) -> Self {
        ContainedVehicle {
            id: v.id,
            serial: v.serial,
            battery: v.battery,
            status: v.status,
        }
    }
}

/// A spot of a station.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpotItem {
    pub id: i64,
    pub number: i32,
    /// Whether the station reports something in the spot.
    pub occupied: bool,
    /// The vehicle in the spot; null when empty.
    pub vehicle: Option<ContainedVehicle>,
    pub created_at: DateTime<Utc>,
    pub decommissioned_at: Option<DateTime<Utc>>,
}

/// A station of the cluster with its spots.
#[derive(Debug, Serialize, ToSchema)]
pub struct StationItem {
    pub id: i64,
    pub cluster_id: i64,
    pub serial: Option<String>,
    pub name: Option<String>,
    pub power_ok: bool,
    /// °C; null when unknown.
    pub temperature: Option<f64>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub decommissioned_at: Option<DateTime<Utc>>,
    /// Its spots, by number.
    pub spots: Vec<SpotItem>,
}

/// An outage of a station.
#[derive(Debug, Serialize, ToSchema)]
pub struct StationOutageItem {
    pub id: i64,
    pub station_id: i64,
    /// What failed (`power`, `network`, ...).
    pub kind: String,
    pub started_at: DateTime<Utc>,
    /// Null while it lasts.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A virtual parking of the cluster with the vehicles in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterParkingItem {
    pub id: i64,
    pub cluster_id: i64,
    pub network_id: Option<i64>,
    /// Where vehicles may be parked.
    pub shape: GeoJsonPolygon,
    /// How many vehicles can be parked.
    pub capacity: i32,
    pub created_at: DateTime<Utc>,
    /// The vehicles in it.
    pub vehicles: Vec<ContainedVehicle>,
}

impl ClusterParkingItem {
    fn new(cluster_id: i64, p: ClusterParking) -> Self {
        ClusterParkingItem {
            id: p.parking.id,
            cluster_id,
            network_id: p.parking.network_id,
            shape: p.shape.to_geojson(),
            capacity: p.parking.capacity,
            created_at: p.parking.created_at,
            vehicles: p.vehicles.into_iter().map(ContainedVehicle::from).collect(),
        }
    }
}

/// A maintenance on a station or a spot of the cluster.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterMaintenance {
    pub id: i64,
    pub type_id: i64,
    /// The maintenance type's key.
    pub key: String,
    /// `low`, `medium`, `high`, ...
    pub severity: String,
    /// What the type applies to (`station`, `spot`, ...).
    pub target_type: String,
    pub station_id: Option<i64>,
    pub spot_id: Option<i64>,
    pub vehicle_id: Option<i64>,
    pub comment: Option<String>,
    pub opened_by: Option<i64>,
    pub opened_at: DateTime<Utc>,
    pub closed_by: Option<i64>,
    /// Null while open.
    pub closed_at: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------------------------------------
// Requests

/// Parking parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClusterParkingRequest {
    /// Shape of virtual parking as a list of points making a polygon.
    #[serde(deserialize_with = "points")]
    pub shape: ShapeInput,
    /// How many vehicle can be parked.
    #[validate(range(min = 0, max = 2147483647))]
    #[schema(minimum = 0, maximum = 2147483647, example = 10)]
    pub capacity: i64,
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Get stations
#[utoipa::path(get, path = "/dashboard/clusters/{id}/stations", tag = "Clusters",
    summary = "Get stations",
    description = "Return station's details of the specified cluster with all spots and contained vehicle if present.\n\nEvery station of the cluster (decommissioned ones included, with their date), oldest first, each with its spots by number and the vehicle in each (`null` when empty). Needs `stations` over the cluster (-31 otherwise).",
    params(ClusterPath),
    extensions(("x-permission" = json!(read(Permission::Stations).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "The stations", body = Envelope<Vec<StationItem>>),
        (status = 400, description = "Malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody)))]
pub async fn get_stations(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<ClusterPath>,
) -> ApiResult<Json<Envelope<Vec<StationItem>>>> {
    let cluster = get_cluster(&state, path.id).await?;
    let stations = relais_store::clusters::stations(&state.db, cluster.id).await?;
    Ok(ok(stations
        .into_iter()
        .map(|s| StationItem {
            id: s.station.id,
            cluster_id: s.station.cluster_id,
            serial: s.station.serial,
            name: s.station.name,
            power_ok: s.station.power_ok,
            temperature: s.station.temperature,
            last_seen_at: s.station.last_seen_at,
            created_at: s.station.created_at,
            decommissioned_at: s.station.decommissioned_at,
            spots: s
                .spots
                .into_iter()
                .map(|(spot, vehicle)| SpotItem {
                    id: spot.id,
                    number: spot.number,
                    occupied: spot.occupied,
                    vehicle: vehicle.map(ContainedVehicle::from),
                    created_at: spot.created_at,
                    decommissioned_at: spot.decommissioned_at,
                })
                .collect(),
        })
        .collect()))
}

/// Get station outages
#[utoipa::path(get, path = "/dashboard/clusters/{id}/station-outages", tag = "Clusters",
    summary = "Get station outages",
    description = "Return outages history of all physical station linked to the specified cluster.\n\nEvery outage of the cluster's stations. Paged by keyset (relais extension: `page_size`, default 100, `last_primary_key`, `primary_key_dir`): newest first (the order they were recorded), or oldest first with `primary_key_dir=ASC`. Needs `stations` over the cluster (-31 otherwise).",
    params(ClusterPath, ListPageQuery),
    extensions(("x-permission" = json!(read(Permission::Stations).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "A page of outages", body = Paged<StationOutageItem>),
        (status = 400, description = "Malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody)))]
pub async fn get_station_outages(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<ClusterPath>,
    ValidQuery(page): ValidQuery<ListPageQuery>,
) -> ApiResult<Paged<StationOutageItem>> {
    let cluster = get_cluster(&state, path.id).await?;
    let keyset = page.keyset();
    let outages = relais_store::clusters::outages(&state.db, cluster.id, &keyset).await?;
    Ok(paged(
        &keyset,
        outages,
        |o| o.id,
        |o| StationOutageItem {
            id: o.id,
            station_id: o.station_id,
            kind: o.kind,
            started_at: o.started_at,
            ended_at: o.ended_at,
        },
    ))
}

/// Get cluster parkings
#[utoipa::path(get, path = "/dashboard/clusters/{id}/parkings", tag = "Clusters",
    summary = "Get cluster parkings",
    description = "Return virtual parkings of the specified cluster with contained vehicle if present.\n\nThe virtual parkings attached to the cluster (not deleted), oldest first, each with its shape as a GeoJSON Polygon and the vehicles in it. Needs `stations` over the cluster (-31 otherwise).",
    params(ClusterPath),
    extensions(("x-permission" = json!(read(Permission::Stations).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "The parkings", body = Envelope<Vec<ClusterParkingItem>>),
        (status = 400, description = "Malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody)))]
pub async fn get_cluster_parkings(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<ClusterPath>,
) -> ApiResult<Json<Envelope<Vec<ClusterParkingItem>>>> {
    let cluster = get_cluster(&state, path.id).await?;
    let parkings = relais_store::clusters::parkings(&state.db, cluster.id).await?;
    Ok(ok(parkings
        .into_iter()
        .map(|p| ClusterParkingItem::new(cluster.id, p))
        .collect()))
}

/// Create cluster parking
#[utoipa::path(post, path = "/dashboard/clusters/{id}/parkings", tag = "Clusters",
    summary = "Create cluster parking",
    description = "Create a virtual parking attached to this cluster.\n\nThe parking belongs to the cluster's network. `shape` is a list of `[longitude, latitude]` points, at least 3 distinct, ring open or closed, making a simple polygon (as in the geofencing operations); an invalid shape answers -11 naming `shape`, or `shape[i]` for the point at fault. `capacity` is at least 0. Needs `stations` with write over the cluster (-31 otherwise); a closed network refuses it (-41).",
    params(ClusterPath),
    request_body(content = CreateClusterParkingRequest, description = "Parking parameters"),
    extensions(("x-permission" = json!(write(Permission::Stations).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "The new parking", body = Envelope<ClusterParkingItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body or shape (-11)", body = ErrorBody)))]
pub async fn create_cluster_parking(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<ClusterPath>,
    ValidJson(body): ValidJson<CreateClusterParkingRequest>,
) -> ApiResult<Json<Envelope<ClusterParkingItem>>> {
    let cluster = get_cluster(&state, path.id).await?;
    let shape = shape_of("shape", &body.shape)?;
    let capacity =
        i32::try_from(body.capacity).map_err(|_| ApiError::field("capacity", "is too large"))?;
    let parking =
        relais_store::clusters::create_parking(&state.db, cluster.id, &shape, capacity).await?;
    tracing::info!(
        cluster_id = cluster.id,
        parking_id = parking.parking.id,
        user_id = auth.user_id(),
        "cluster parking created"
    );
    Ok(ok(ClusterParkingItem::new(cluster.id, parking)))
}

/// Get maintenances
#[utoipa::path(get, path = "/dashboard/clusters/{id}/maintenances", tag = "Clusters",
    summary = "Get maintenances",
    description = "Return the history of all maintenances on spot for the specified cluster.\n\nEvery maintenance, open or closed, on the cluster's stations and on their spots, with its type's key and severity. Paged by keyset (relais extension: `page_size`, default 100, `last_primary_key`, `primary_key_dir`): newest first (the order they were recorded), or oldest first with `primary_key_dir=ASC`. Needs `stations` over the cluster (-31 otherwise).",
    params(ClusterPath, ListPageQuery),
    extensions(("x-permission" = json!(read(Permission::Stations).object_in_path("id", Object::Cluster)))),
    responses(
        (status = 200, description = "A page of maintenances", body = Paged<ClusterMaintenance>),
        (status = 400, description = "Malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such cluster (-2)", body = ErrorBody)))]
pub async fn get_maintenances(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<ClusterPath>,
    ValidQuery(page): ValidQuery<ListPageQuery>,
) -> ApiResult<Paged<ClusterMaintenance>> {
    let cluster = get_cluster(&state, path.id).await?;
    let keyset = page.keyset();
    let rows = relais_store::clusters::maintenances(&state.db, cluster.id, &keyset).await?;
    Ok(paged(
        &keyset,
        rows,
        |(m, _)| m.id,
        |(m, t)| ClusterMaintenance {
            id: m.id,
            type_id: t.id,
            key: t.key,
            severity: t.severity,
            target_type: t.target_type,
            station_id: m.station_id,
            spot_id: m.spot_id,
            vehicle_id: m.vehicle_id,
            comment: m.comment,
            opened_by: m.opened_by,
            opened_at: m.opened_at,
            closed_by: m.closed_by,
            closed_at: m.closed_at,
        },
    ))
}
