//! Seed group `Geofencing`: the border of a network and what happens when a vehicle leaves it,
//! speed zones and virtual parkings.
//!
//! Shapes are sent as the seed says, a list of `[longitude, latitude]` points (GeoJSON order,
//! ring open or closed), and answered as GeoJSON Polygons; the rules are those of
//! `relais_domain::geometry` (simple polygon, at least 3 distinct points, no antimeridian
//! crossing, coordinates rounded to 7 decimals, ring turned counter-clockwise). An invalid shape
//! answers -11 naming `shape`, or `shape[i]` for the point at fault (0-based, as sent).
//!
//! The border and the speed zones need `networks.manage`; virtual parkings `virtual.parking`.
//! Deleting a speed zone or a virtual parking sets its deletion date: the row stays for history,
//! but it is no longer listed, and changing or deleting it again answers 404.

use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath, ValidQuery, required_nullable};
use crate::shapes::{optional_points, points, shape_of};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::geometry::{BoundingBox, GeoJsonPolygon, Shape, ShapeInput};
use relais_domain::{Object, Permission};
use relais_store::geofencing::BorderSettings;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_network_border))
        .routes(routes!(update_border_shape))
        .routes(routes!(update_border_settings))
        .routes(routes!(get_speed_zones, create_speed_zone))
        .routes(routes!(update_speed_zone, delete_speed_zone))
        .routes(routes!(get_virtual_parking, create_virtual_parking))
        .routes(routes!(update_virtual_parking, delete_virtual_parking))
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The network asked for.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NetworkQuery {
    /// Identifier of the network.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub network_id: i64,
}

/// The speed zone or virtual parking named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// Identifier of the speed zone or of the virtual parking.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// Border shape parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBorderShapeRequest {
    /// Identifier of the network
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub network_id: i64,
    /// New shape of the network's border which is a list of GPS coordinates.
    #[serde(deserialize_with = "points")]
    pub shape: ShapeInput,
}

/// Border setting parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBorderSettingsRequest {
    /// Indicate if an alert should be created when a vehicle leave the limit of the network.
    pub trigger_alert: bool,
    /// Indicate if the user should receive a push notification when he leave the limit of the network while renting a vehicle.
    pub notify_user: bool,
    /// Indicate if the speed of the vehicle should be reduce to minimum when it leave the limit of the network.
    pub reduce_vehicle_speed: bool,
    /// Indicate if the vehicle should play the geofencing sound when it leave the limit of the network.
    pub play_vehicle_sound: bool,
    /// Indicate if the vehicle should be locked when it leave the limit of the network.
    pub lock_vehicle: bool,
    /// Identifier of the network
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub network_id: i64,
}

/// Speed zone create parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSpeedZoneRequest {
    /// Identifier of the network.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub network_id: i64,
    /// Shape of this speed zone as a list of points making a polygon.
    #[serde(deserialize_with = "points")]
    pub shape: ShapeInput,
    /// Max speed authorized, km/h.
    #[validate(range(min = 6, max = 25))]
    #[schema(minimum = 6, maximum = 25, example = 20)]
    pub max_speed: i64,
}

/// Speed zone update parameters: `speed_zone_id` must be the one of the path, and at least one
/// of `shape` and `max_speed` is given (an absent or null one is left unchanged).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSpeedZoneRequest {
    /// Identifier of the speed zone.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub speed_zone_id: i64,
    /// Shape of this speed zone as a list of points making a polygon.
    #[serde(default, deserialize_with = "optional_points")]
    pub shape: Option<ShapeInput>,
    /// Max speed authorized, km/h.
    #[serde(default)]
    #[validate(range(min = 6, max = 25))]
    #[schema(minimum = 6, maximum = 25, example = 20)]
    pub max_speed: Option<i64>,
}

/// Parking create parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVirtualParkingRequest {
    /// Shape of virtual parking as a list of points making a polygon.
    #[serde(deserialize_with = "points")]
    pub shape: ShapeInput,
    /// How many vehicle can be parked.
    #[validate(range(min = 0, max = 2147483647))]
    #[schema(minimum = 0, maximum = 2147483647, example = 20)]
    pub capacity: i64,
    /// Identifier of the network to whom the parking lot will belong; required, `null` for a
    /// parking that belongs to no network (needs `virtual.parking` with write granted globally).
    #[serde(deserialize_with = "required_nullable")]
    #[validate(range(min = 1))]
    #[schema(minimum = 1, required = true, example = 1)]
    pub network_id: Option<i64>,
}

/// Parking update parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVirtualParkingRequest {
    /// Shape of virtual parking as a list of points making a polygon.
    #[serde(deserialize_with = "points")]
    pub shape: ShapeInput,
    /// How many vehicle can be parked.
    #[validate(range(min = 0, max = 2147483647))]
    #[schema(minimum = 0, maximum = 2147483647, example = 20)]
    pub capacity: i64,
}

// ---------------------------------------------------------------------------------------------
// Responses

/// The border of a network and what happens when a vehicle leaves it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkBorder {
    pub network_id: i64,
    /// The border; `null` when the network has none (vehicles are then never outside).
    #[schema(required = true)]
    pub shape: Option<GeoJsonPolygon>,
    /// Area inside the border in square metres (WGS 84 ellipsoid); `null` without a border.
    #[schema(required = true)]
    pub area_m2: Option<f64>,
    /// The box framing the border, the speed zones and the virtual parkings of the network, to
    /// frame a map; `null` when the network has none of them.
    #[schema(required = true)]
    pub bounding_box: Option<BoundingBox>,
    /// An alert is created when a vehicle leaves the border.
    pub trigger_alert: bool,
    /// The renting user receives a push notification when leaving the border.
    pub notify_user: bool,
    /// The vehicle's speed is reduced to the minimum outside the border.
    pub reduce_vehicle_speed: bool,
    /// The vehicle plays the geofencing sound when leaving the border.
    pub play_vehicle_sound: bool,
    /// The vehicle is locked when leaving the border.
    pub lock_vehicle: bool,
}

/// A speed zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpeedZoneItem {
    pub id: i64,
    pub network_id: i64,
    /// Where the limit applies.
    pub shape: GeoJsonPolygon,
    /// Max speed authorized, km/h.
    pub max_speed: i32,
    pub created_at: DateTime<Utc>,
}

impl From<relais_store::geofencing::SpeedZone> for SpeedZoneItem {
    fn from(zone: relais_store::geofencing::SpeedZone) -> Self {
        SpeedZoneItem {
            id: zone.id,
            network_id: zone.network_id,
            shape: zone.shape.to_geojson(),
            max_speed: zone.max_speed,
            created_at: zone.created_at,
        }
    }
}

/// A virtual parking.
#[derive(Debug, Serialize, ToSchema)]
pub struct VirtualParkingItem {
    pub id: i64,
    /// The network it belongs to; `null` for a parking of no network.
    #[schema(required = true)]
    pub network_id: Option<i64>,
    /// Where vehicles may be parked.
    pub shape: GeoJsonPolygon,
    /// How many vehicle can be parked.
    pub capacity: i32,
    pub created_at: DateTime<Utc>,
}

impl From<relais_store::geofencing::VirtualParking> for VirtualParkingItem {
    fn from(parking: relais_store::geofencing::VirtualParking) -> Self {
        VirtualParkingItem {
            id: parking.id,
            network_id: parking.network_id,
            shape: parking.shape.to_geojson(),
            capacity: parking.capacity,
            created_at: parking.created_at,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn stored_int(value: i64, field: &str) -> ApiResult<i32> {
    // The validators bound every such value well within i32; kept as a guard.
    i32::try_from(value).map_err(|_| ApiError::field(field, "is too large"))
}

// ---------------------------------------------------------------------------------------------
// Border

/// Get network border
#[utoipa::path(get, path = "/dashboard/geofencing/border", tag = "Geofencing",
    summary = "Get network border",
    description = "Get the border of the specified network and the setting of the border.\n\nThe border is a GeoJSON Polygon (`[longitude, latitude]` points, closed, counter-clockwise), `null` when the network has none; `bounding_box` frames the border, the speed zones and the virtual parkings of the network. Closed networks are readable. Needs `networks.manage` over the network.",
    params(NetworkQuery),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).object_in_query("network_id", Object::Network)))),
    responses(
        (status = 200, description = "The border and its settings", body = Envelope<NetworkBorder>),
        (status = 400, description = "Missing or malformed `network_id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2, names `network_id`)", body = ErrorBody),
        (status = 422, description = "Invalid `network_id` (-11)", body = ErrorBody)))]
pub async fn get_network_border(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<NetworkQuery>,
) -> ApiResult<Json<Envelope<NetworkBorder>>> {
    Ok(ok(network_border(&state, query.network_id).await?))
}

async fn network_border(state: &AppState, network_id: i64) -> ApiResult<NetworkBorder> {
    let border = relais_store::geofencing::border(&state.db, network_id).await?;
    let zones = relais_store::geofencing::zones(&state.db, network_id).await?;
    let settings = border.settings;
    Ok(NetworkBorder {
        network_id: border.network_id,
        shape: border.shape.as_ref().map(Shape::to_geojson),
        area_m2: border.shape.as_ref().map(Shape::area_m2),
        bounding_box: zones.bounding_box(),
        trigger_alert: settings.trigger_alert,
        notify_user: settings.notify_user,
        reduce_vehicle_speed: settings.reduce_vehicle_speed,
        play_vehicle_sound: settings.play_vehicle_sound,
        lock_vehicle: settings.lock_vehicle,
    })
}

/// Update border shape
#[utoipa::path(put, path = "/dashboard/geofencing/border/shape", tag = "Geofencing",
    summary = "Update border shape",
    description = "Define a new shape for the border of the specified network.\n\n`shape` is a list of `[longitude, latitude]` points (WGS 84, GeoJSON order), at least 3 distinct, ring open or closed, making a simple polygon (edges may not cross, touch or overlap; no antimeridian crossing). Coordinates are kept to 7 decimals. Answers the border as \"Get network border\" does. An invalid shape answers -11 naming `shape`, or `shape[i]` for the point at fault. Needs `networks.manage` with write over the network; a closed network refuses the change (-41).",
    request_body(content = UpdateBorderShapeRequest, description = "Border shape parameters."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_body("network_id", Object::Network)))),
    responses(
        (status = 200, description = "The border as replaced, with its settings", body = Envelope<NetworkBorder>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2, names `network_id`)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body or shape (-11)", body = ErrorBody)))]
pub async fn update_border_shape(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<UpdateBorderShapeRequest>,
) -> ApiResult<Json<Envelope<NetworkBorder>>> {
    let shape = shape_of("shape", &body.shape)?;
    relais_store::geofencing::set_border_shape(&state.db, body.network_id, &shape).await?;
    tracing::info!(
        network_id = body.network_id,
        user_id = auth.user_id(),
        "border shape replaced"
    );
    Ok(ok(network_border(&state, body.network_id).await?))
}

/// Update border settings
#[utoipa::path(put, path = "/dashboard/geofencing/border/settings", tag = "Geofencing",
    summary = "Update border settings",
    description = "Update border's settings (action when a vehicle leave the limit) of the specified network.\n\nAll five settings are replaced. Needs `networks.manage` with write over the network; a closed network refuses the change (-41).",
    request_body(content = UpdateBorderSettingsRequest, description = "Border setting parameters."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_body("network_id", Object::Network)))),
    responses(
        (status = 200, description = "Settings replaced", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2, names `network_id`)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_border_settings(
    State(state): State<AppState>,
    _auth: Authorized,
    ValidJson(body): ValidJson<UpdateBorderSettingsRequest>,
) -> ApiResult<Json<Done>> {
    relais_store::geofencing::set_border_settings(
        &state.db,
        body.network_id,
        BorderSettings {
            trigger_alert: body.trigger_alert,
            notify_user: body.notify_user,
            reduce_vehicle_speed: body.reduce_vehicle_speed,
            play_vehicle_sound: body.play_vehicle_sound,
            lock_vehicle: body.lock_vehicle,
        },
    )
    .await?;
    Ok(done())
}

// ---------------------------------------------------------------------------------------------
// Speed zones

/// Get speed zones
#[utoipa::path(get, path = "/dashboard/speed-zones", tag = "Geofencing",
    summary = "Get speed zones",
    description = "Get the list of available speed zone for the specified network.\n\nThe zones not deleted, oldest first, each with its shape as a GeoJSON Polygon. Where zones overlap, the lowest `max_speed` applies. Closed networks are readable. Needs `networks.manage` over the network.",
    params(NetworkQuery),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).object_in_query("network_id", Object::Network)))),
    responses(
        (status = 200, description = "The speed zones of the network", body = Envelope<Vec<SpeedZoneItem>>),
        (status = 400, description = "Missing or malformed `network_id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2, names `network_id`)", body = ErrorBody),
        (status = 422, description = "Invalid `network_id` (-11)", body = ErrorBody)))]
pub async fn get_speed_zones(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<NetworkQuery>,
) -> ApiResult<Json<Envelope<Vec<SpeedZoneItem>>>> {
    let zones = relais_store::geofencing::speed_zones(&state.db, query.network_id).await?;
    Ok(ok(zones.into_iter().map(SpeedZoneItem::from).collect()))
}

/// Create speed zone
#[utoipa::path(post, path = "/dashboard/speed-zones", tag = "Geofencing",
    summary = "Create speed zone",
    description = "Create a new speed zone.\n\n`shape` follows the rules of the border shape (see \"Update border shape\"); `max_speed` is in km/h. Answers the new zone (the seed answers only `{\"code\": 0}`; a client needs the id). Needs `networks.manage` with write over the network; a closed network refuses the change (-41).",
    request_body(content = CreateSpeedZoneRequest, description = "Speed zone create parameters."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_body("network_id", Object::Network)))),
    responses(
        (status = 200, description = "The new speed zone", body = Envelope<SpeedZoneItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2, names `network_id`)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body or shape (-11)", body = ErrorBody)))]
pub async fn create_speed_zone(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<CreateSpeedZoneRequest>,
) -> ApiResult<Json<Envelope<SpeedZoneItem>>> {
    let shape = shape_of("shape", &body.shape)?;
    let max_speed = stored_int(body.max_speed, "max_speed")?;
    let zone =
        relais_store::geofencing::create_speed_zone(&state.db, body.network_id, &shape, max_speed)
            .await?;
    tracing::info!(
        speed_zone_id = zone.id,
        network_id = zone.network_id,
        user_id = auth.user_id(),
        "speed zone created"
    );
    Ok(ok(zone.into()))
}

/// Update speed zone
#[utoipa::path(patch, path = "/dashboard/speed-zones/{id}", tag = "Geofencing",
    summary = "Update speed zone",
    description = "Update the speed zone.\n\n`speed_zone_id` must be the `id` of the path (-11 naming it otherwise). At least one of `shape` and `max_speed` is given (-11 naming both otherwise); an absent one is left unchanged. A deleted zone cannot change (404). Needs `networks.manage` with write over the zone's network; a closed network refuses the change (-41).",
    params(IdPath),
    request_body(content = UpdateSpeedZoneRequest, description = "Speed zone update parameters."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("id", Object::SpeedZone)))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or zone of a network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such speed zone, or deleted (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body or shape, or nothing to change (-11)", body = ErrorBody)))]
pub async fn update_speed_zone(
    State(state): State<AppState>,
    _auth: Authorized,
    ValidPath(path): ValidPath<IdPath>,
    ValidJson(body): ValidJson<UpdateSpeedZoneRequest>,
) -> ApiResult<Json<Done>> {
    if body.speed_zone_id != path.id {
        return Err(ApiError::field(
            "speed_zone_id",
            "must be the identifier of the path",
        ));
    }
    if body.shape.is_none() && body.max_speed.is_none() {
        return Err(
            ApiError::field("shape", "give shape or max_speed (or both)")
                .with_field("max_speed", "give shape or max_speed (or both)"),
        );
    }
    let shape = body
        .shape
        .as_ref()
        .map(|input| shape_of("shape", input))
        .transpose()?;
    let max_speed = body
        .max_speed
        .map(|speed| stored_int(speed, "max_speed"))
        .transpose()?;

    relais_store::geofencing::update_speed_zone(&state.db, path.id, shape.as_ref(), max_speed)
        .await?;
    Ok(done())
}

/// Delete speed zone
#[utoipa::path(delete, path = "/dashboard/speed-zones/{id}", tag = "Geofencing",
    summary = "Delete speed zone",
    description = "Add a deletion date to the speed zone.\n\nThe zone is kept for history but no longer listed nor applied; changing or deleting it again answers 404. Needs `networks.manage` with write over the zone's network; a closed network refuses the change (-41).",
    params(IdPath),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("id", Object::SpeedZone)))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 400, description = "Malformed `id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or zone of a network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such speed zone, or already deleted (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid `id` (-11)", body = ErrorBody)))]
pub async fn delete_speed_zone(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<IdPath>,
) -> ApiResult<Json<Done>> {
    let zone = relais_store::geofencing::speed_zone(&state.db, path.id).await?;
    relais_store::geofencing::delete_speed_zone(&state.db, path.id, Utc::now()).await?;
    tracing::info!(
        speed_zone_id = zone.id,
        network_id = zone.network_id,
        user_id = auth.user_id(),
        "speed zone deleted"
    );
    Ok(done())
}

// ---------------------------------------------------------------------------------------------
// Virtual parkings

/// Get virtual parking
#[utoipa::path(get, path = "/dashboard/virtual-parkings", tag = "Geofencing",
    summary = "Get virtual parking",
    description = "Get the list of virtual parking for the specified network.\n\nThe parkings of the network not deleted, oldest first, each with its shape as a GeoJSON Polygon. Parkings of no network are not listed here. Closed networks are readable. Needs `virtual.parking` over the network.",
    params(NetworkQuery),
    extensions(("x-permission" = json!(read(Permission::VirtualParking).networks_in_query("network_id")))),
    responses(
        (status = 200, description = "The virtual parkings of the network", body = Envelope<Vec<VirtualParkingItem>>),
        (status = 400, description = "Missing or malformed `network_id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2, names `network_id`)", body = ErrorBody),
        (status = 422, description = "Invalid `network_id` (-11)", body = ErrorBody)))]
pub async fn get_virtual_parking(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(query): ValidQuery<NetworkQuery>,
) -> ApiResult<Json<Envelope<Vec<VirtualParkingItem>>>> {
    let within = auth.within(&[query.network_id]);
    let parkings = relais_store::geofencing::virtual_parkings(&state.db, &within).await?;
    Ok(ok(parkings
        .into_iter()
        .map(VirtualParkingItem::from)
        .collect()))
}

/// Create virtual parking
#[utoipa::path(post, path = "/dashboard/virtual-parkings", tag = "Geofencing",
    summary = "Create virtual parking",
    description = "Create a new virtual parking (not attached to a cluster).\n\n`shape` follows the rules of the border shape (see \"Update border shape\"). `network_id` is required but may be `null`: a parking of no network belongs to nobody's scope, so it needs `virtual.parking` with write granted globally (-31 otherwise); it is not listed by \"Get virtual parking\". Otherwise needs `virtual.parking` with write over the network; a closed network refuses the change (-41). Answers the new parking.",
    request_body(content = CreateVirtualParkingRequest, description = "Parking create parameters."),
    extensions(("x-permission" = json!(write(Permission::VirtualParking).object_in_body_or_operator("network_id", Object::Network)))),
    responses(
        (status = 200, description = "The new parking", body = Envelope<VirtualParkingItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30), network outside the caller's scope, or no network without a global grant (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2, names `network_id`)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body or shape (-11)", body = ErrorBody)))]
pub async fn create_virtual_parking(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<CreateVirtualParkingRequest>,
) -> ApiResult<Json<Envelope<VirtualParkingItem>>> {
    let shape = shape_of("shape", &body.shape)?;
    let capacity = stored_int(body.capacity, "capacity")?;
    let parking = relais_store::geofencing::create_virtual_parking(
        &state.db,
        body.network_id,
        &shape,
        capacity,
    )
    .await?;
    tracing::info!(
        virtual_parking_id = parking.id,
        network_id = parking.network_id,
        user_id = auth.user_id(),
        "virtual parking created"
    );
    Ok(ok(parking.into()))
}

/// Update virtual parking
#[utoipa::path(put, path = "/dashboard/virtual-parkings/{id}", tag = "Geofencing",
    summary = "Update virtual parking",
    description = "Update the virtual parking.\n\nBoth `shape` and `capacity` are replaced. A deleted parking cannot change (404). Needs `virtual.parking` with write over the parking's network (granted globally for a parking of no network); a closed network refuses the change (-41).",
    params(IdPath),
    request_body(content = UpdateVirtualParkingRequest, description = "Parking update parameters."),
    extensions(("x-permission" = json!(write(Permission::VirtualParking).object_in_path("id", Object::VirtualParking)))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or parking outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such virtual parking, or deleted (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body or shape (-11)", body = ErrorBody)))]
pub async fn update_virtual_parking(
    State(state): State<AppState>,
    _auth: Authorized,
    ValidPath(path): ValidPath<IdPath>,
    ValidJson(body): ValidJson<UpdateVirtualParkingRequest>,
) -> ApiResult<Json<Done>> {
    let shape = shape_of("shape", &body.shape)?;
    let capacity = stored_int(body.capacity, "capacity")?;
    relais_store::geofencing::update_virtual_parking(&state.db, path.id, &shape, capacity).await?;
    Ok(done())
}

/// Delete virtual parking
#[utoipa::path(delete, path = "/dashboard/virtual-parkings/{id}", tag = "Geofencing",
    summary = "Delete virtual parking",
    description = "Delete the specified virtual parking.\n\nLike speed zones, the parking gets a deletion date and is kept for history, but is no longer listed nor used; changing or deleting it again answers 404. Needs `virtual.parking` with write over the parking's network (granted globally for a parking of no network); a closed network refuses the change (-41).",
    params(IdPath),
    extensions(("x-permission" = json!(write(Permission::VirtualParking).object_in_path("id", Object::VirtualParking)))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 400, description = "Malformed `id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or parking outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such virtual parking, or already deleted (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid `id` (-11)", body = ErrorBody)))]
pub async fn delete_virtual_parking(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<IdPath>,
) -> ApiResult<Json<Done>> {
    let parking = relais_store::geofencing::virtual_parking(&state.db, path.id).await?;
    relais_store::geofencing::delete_virtual_parking(&state.db, path.id, Utc::now()).await?;
    tracing::info!(
        virtual_parking_id = parking.id,
        network_id = parking.network_id,
        user_id = auth.user_id(),
        "virtual parking deleted"
    );
    Ok(done())
}
