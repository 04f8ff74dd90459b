//! Seed group `Vehicles`: the vehicles of the fleet, their labels, history and life cycle.
//!
//! Decisions:
//! - Serials follow `^[a-zA-Z0-9]{6,10}$` and are unique among all vehicles, decommissioned ones
//!   included. "Register vehicle" (`POST /dashboard/vehicles`) is an extension the seed leaves out.
//! - The seed asks only for a token for the QR codes, the sheet and the used serials; relais
//!   names a permission on every Dashboard operation: `vehicles.register` for the labels and
//!   serials (printed and checked before registering), `vehicles.manage` over the vehicle's
//!   network for the QR code of a registered vehicle.
//! - A vehicle's QR code holds its serial, as is; images are PNG, 10 pixels per module, with
//!   the standard quiet zone of 4 modules. The sheet layout is that of
//!   [`relais_domain::labels`]: a margin of 0.5 cm, cells of 3 x 3.6 cm (a 2.6 cm code and the
//!   serial under it), left to right then top to bottom; serials are the prefix and the ids from
//!   `begin_id`, zero-padded to one width of at least 6 characters, at most 10.
//! - Objects reached by the vehicle id answer 404 when absent and -31 when the vehicle's network
//!   is outside the caller's scope.
//! - "Get vehicle statistic": the trips table has no distance yet, so the figures are the trips
//!   (all, finished), their total and average duration in seconds (finished trips), the days in
//!   service (from registration to decommissioning or now), and the maintenances and alerts
//!   (all and still open).
//! - "Get vehicle timeline": vehicle events, trips (at their start) and maintenances (at their
//!   opening) merged newest first, 20 entries a page; `before_date` gives the entries strictly
//!   before it; the answer's `next_before_date` (null on the last page) fetches the next page.
//!   Entries of one date are never split across pages.
//! - Decommissioning and changing network free the vehicle's spot and take it out of its virtual
//!   parking and stock; both are written to the vehicle's events.

use crate::access::{Authorized, read, write};
use crate::blocking;
use crate::envelope::{Envelope, Paged, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{CommaSeparated, ValidJson, ValidPath, ValidQuery, language, unique_id_list};
use crate::pagination::{ListPageQuery, paged};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use relais_domain::labels::{self, LabelError};
use relais_domain::money;
use relais_domain::{Object, Permission};
use relais_store::entity::{fleet_alert, vehicle_external_lock};
use relais_store::vehicles::{TimelineItem, VehicleRow};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_vehicles, register_vehicle))
        .routes(routes!(get_decommissioned_vehicles))
        .routes(routes!(generate_qr_code))
        .routes(routes!(generate_qr_code_sheet))
        .routes(routes!(get_used_serials))
        .routes(routes!(get_vehicle))
        .routes(routes!(decommission_vehicle))
        .routes(routes!(get_vehicle_qr_code))
        .routes(routes!(change_vehicle_network))
        .routes(routes!(get_vehicle_statistic))
        .routes(routes!(get_vehicle_timeline))
        .routes(routes!(get_vehicle_maintenances))
        .routes(routes!(get_vehicle_alerts))
}

const SERIAL_PATTERN: &str = "^[a-zA-Z0-9]{6,10}$";
const TIMELINE_PAGE: u64 = 20;

/// Constraint: a serial of 6 to 10 ASCII letters and digits.
pub fn serial(text: &str) -> Result<(), ValidationError> {
    if (6..=10).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(ValidationError::new("pattern")
            .with_message(format!("must match {SERIAL_PATTERN}").into()))
    }
}

fn networks_list(networks: &CommaSeparated<i64>) -> ApiResult<&[i64]> {
    unique_id_list(networks).map_err(|err| {
        ApiError::field(
            "networks",
            err.message.map(|m| m.to_string()).unwrap_or_default(),
        )
    })?;
    Ok(networks.as_slice())
}

fn binary(content_type: &'static str, bytes: Vec<u8>) -> Response {
    ([(CONTENT_TYPE, content_type)], bytes).into_response()
}

async fn png(state: &AppState, serial: &str) -> ApiResult<Response> {
    let content = labels::qr_content(serial);
    let image = blocking::cpu(state, move || labels::qr_png(&content))
        .await
        .map_err(ApiError::internal)?;
    Ok(binary("image/png", image))
}

// ----- Requests -----

/// Networks to list the vehicles of.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NetworksQuery {
    /// Identifier of networks, comma-separated: `networks=5`, `networks=1,5,7`. Each at least 1,
    /// no repeats.
    #[param(value_type = Vec<i64>, style = Form, explode = false, example = "1,5,7")]
    pub networks: CommaSeparated<i64>,
}

/// The vehicle named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VehiclePath {
    /// Identifier of the vehicle.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// The serial to encode.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SerialQuery {
    /// Serial number to print on the QR code.
    #[validate(custom(function = "serial"))]
    #[param(pattern = "^[a-zA-Z0-9]{6,10}$", example = "SXB123")]
    pub serial: String,
}

fn sheet_prefix(text: &str) -> Result<(), ValidationError> {
    let mut bytes = text.bytes();
    let first = bytes.next().is_some_and(|b| b.is_ascii_uppercase());
    if first && text.len() <= 7 && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ValidationError::new("pattern").with_message("must match ^[A-Z][A-Z0-9]{0,6}$".into()))
    }
}

/// What sheet to print.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// Prefix of the QR codes.
    #[validate(custom(function = "sheet_prefix"))]
    #[param(pattern = "^[A-Z][A-Z0-9]{0,6}$", example = "SXB")]
    pub prefix: String,
    /// First id of the vehicle to generate, incremented for every QR code.
    #[param(minimum = 0, example = 1)]
    pub begin_id: u64,
    /// Width of the sheet in centimetres: more than 0, at most 300, and room for one label
    /// (4 cm).
    #[param(minimum = 0, exclusive_minimum = 0, maximum = 300, example = 21.0)]
    pub width_in_cm: f64,
    /// Height of the sheet in centimetres: more than 0, at most 300, and room for one label
    /// (4.6 cm).
    #[param(minimum = 0, exclusive_minimum = 0, maximum = 300, example = 29.7)]
    pub height_in_cm: f64,
}

/// Serials to check.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SerialsQuery {
    /// Serial numbers, comma-separated: `serials=SXB123,SXB234`; each `^[a-zA-Z0-9]{6,10}$`.
    #[param(value_type = Vec<String>, style = Form, explode = false, example = "SXB123,SXB234")]
    pub serials: CommaSeparated<String>,
}

/// A vehicle to register.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterVehicleRequest {
    /// The serial number, unique.
    #[validate(custom(function = "serial"))]
    #[schema(pattern = "^[a-zA-Z0-9]{6,10}$", example = "SXB123")]
    pub serial: String,
    /// The model, from `GET /dashboard/vehicle-models`.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub model_id: i64,
    /// The network the vehicle joins (open, within the caller's scope).
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub network_id: i64,
}

/// Why a vehicle leaves the fleet.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DecommissionReason {
    LostOrStolen,
    Sold,
    Irreparable,
    Economical,
}

impl DecommissionReason {
    fn as_str(self) -> &'static str {
        match self {
            DecommissionReason::LostOrStolen => "lost-or-stolen",
            DecommissionReason::Sold => "sold",
            DecommissionReason::Irreparable => "irreparable",
            DecommissionReason::Economical => "economical",
        }
    }
}

fn amount_precision(amount: &Decimal) -> Result<(), ValidationError> {
    crate::extract::stored_precision(amount)
}

/// How the vehicle is decommissioned.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecommissionQuery {
    /// Why the vehicle is decommissioned.
    #[param(inline)]
    pub reason: DecommissionReason,
    /// Optional comment on decommission, 1 to 200 characters.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub comment: Option<String>,
    /// Optional amount when the vehicle is sold, or the cost (negative) when it is recycled, in
    /// the currency of the vehicle's network; at most four decimal places.
    #[validate(custom(function = "amount_precision"))]
    #[param(value_type = Option<f64>, example = "-25.50")]
    pub amount: Option<Decimal>,
}

/// The new network of the vehicle.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeNetworkRequest {
    /// Identifier of the new network for the vehicle.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub network_id: i64,
}

/// Where to start the timeline.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// The date of the oldest entry the client has: answers the entries strictly before it.
    pub before_date: Option<DateTime<Utc>>,
}

/// The language of the answer.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// The lang in which to get the maintenance types localized (two letters).
    #[validate(custom(function = "language"))]
    #[param(min_length = 2, max_length = 2, example = "fr")]
    pub lang: String,
}

// ----- Answers -----

/// A vehicle model.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelItem {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub manufacturer: String,
}

/// Where a vehicle stands: at a spot of a station of a cluster, in a virtual parking (of a
/// cluster or not), in a stock, or nowhere known (`free`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Placement {
    /// `spot`, `virtual-parking`, `stock` or `free`.
    #[schema(example = "spot")]
    pub kind: &'static str,
    pub cluster_id: Option<i64>,
    pub cluster_name: Option<String>,
    pub station_id: Option<i64>,
    pub spot_id: Option<i64>,
    pub spot_number: Option<i32>,
    pub virtual_parking_id: Option<i64>,
    pub stock_id: Option<i64>,
    pub stock_name: Option<String>,
}

/// A vehicle and its live state.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleItem {
    pub id: i64,
    pub serial: String,
    pub network_id: i64,
    pub model: Option<ModelItem>,
    /// `available`, `rented`, ... or `decommissioned`.
    pub status: String,
    /// Battery level in percent.
    pub battery: Option<i32>,
    pub locked: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub placement: Placement,
    pub created_at: DateTime<Utc>,
    pub decommissioned_at: Option<DateTime<Utc>>,
    /// `lost-or-stolen`, `sold`, `irreparable` or `economical`.
    pub decommission_reason: Option<String>,
    pub decommission_comment: Option<String>,
    /// In the network's currency; negative for a cost.
    #[schema(value_type = Option<String>, example = "-25.50")]
    pub decommission_amount: Option<Decimal>,
}

impl From<VehicleRow> for VehicleItem {
    fn from(row: VehicleRow) -> Self {
        let w = row.whereabouts;
        let kind = if w.spot.is_some() {
            "spot"
        } else if w.virtual_parking.is_some() {
            "virtual-parking"
        } else if w.stock.is_some() {
            "stock"
        } else {
            "free"
        };
        let v = row.vehicle;
        VehicleItem {
            id: v.id,
            serial: v.serial,
            network_id: v.network_id,
            model: row.model.map(|m| ModelItem {
                id: m.id,
                name: m.name,
                kind: m.kind,
                manufacturer: m.manufacturer,
            }),
            status: v.status,
            battery: v.battery,
            locked: v.locked,
            latitude: v.latitude,
            longitude: v.longitude,
            last_seen_at: v.last_seen_at,
            placement: Placement {
                kind,
                cluster_id: w.cluster.as_ref().map(|c| c.id),
                cluster_name: w.cluster.map(|c| c.name),
                station_id: w.station.map(|s| s.id),
                spot_id: w.spot.as_ref().map(|s| s.id),
                spot_number: w.spot.map(|s| s.number),
                virtual_parking_id: w.virtual_parking.map(|p| p.id),
                stock_id: w.stock.as_ref().map(|s| s.id),
                stock_name: w.stock.map(|s| s.name),
            },
            created_at: v.created_at,
            decommissioned_at: v.decommissioned_at,
            decommission_reason: v.decommission_reason,
            decommission_comment: v.decommission_comment,
            decommission_amount: v.decommission_amount.map(money::from_stored),
        }
    }
}

/// The active external lock of a vehicle.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExternalLockItem {
    pub id: i64,
    pub vehicle_id: i64,
    pub model: String,
    /// `u`, `foldable`, `flexible`, `chain` or `frame`.
    #[serde(rename = "type")]
    pub kind: String,
    pub serial_number: String,
    pub code: String,
    pub created_at: DateTime<Utc>,
    pub decommissioned_at: Option<DateTime<Utc>>,
}

impl From<vehicle_external_lock::Model> for ExternalLockItem {
    fn from(m: vehicle_external_lock::Model) -> Self {
        ExternalLockItem {
            id: m.id,
            vehicle_id: m.vehicle_id,
            model: m.model,
            kind: m.kind,
            serial_number: m.serial_number,
            code: m.code,
            created_at: m.created_at,
            decommissioned_at: m.decommissioned_at,
        }
    }
}

/// A vehicle in detail.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleDetail {
    #[serde(flatten)]
    pub vehicle: VehicleItem,
    /// The currency of the vehicle's network (decommission amount).
    pub currency: String,
    pub speed: Option<f64>,
    pub external_lock: Option<ExternalLockItem>,
}

/// Which serials are taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsedSerials {
    /// The serials asked for that are registered (decommissioned vehicles included), in the
    /// order asked.
    pub used: Vec<String>,
}

/// The figures of a vehicle.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleStatistic {
    pub vehicle_id: i64,
    /// Every trip of the vehicle.
    pub trip_count: u64,
    /// The trips that have ended.
    pub finished_trip_count: u64,
    /// Total duration of the finished trips, in seconds.
    pub total_trip_duration: i64,
    /// Average duration of the finished trips, in seconds; null without any.
    pub average_trip_duration: Option<i64>,
    /// Whole days from registration to decommissioning (or now).
    pub days_in_service: i64,
    pub maintenance_count: u64,
    pub open_maintenance_count: u64,
    pub alert_count: u64,
    pub open_alert_count: u64,
}

/// One entry of a timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// `event`, `trip` or `maintenance`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The identifier of the event, trip or maintenance.
    pub id: i64,
    /// The event's date, the trip's start, the maintenance's opening.
    pub date: DateTime<Utc>,
    /// Per type: an event's `kind`, `payload`, `latitude`, `longitude`; a trip's `user_id`,
    /// `start_cluster_id`, `end_cluster_id`, `ended_at`; a maintenance's `key` (its type's),
    /// `comment`, `closed_at`.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<TimelineItem> for TimelineEntry {
    fn from(item: TimelineItem) -> Self {
        let date = item.date();
        match item {
            TimelineItem::Event(e) => TimelineEntry {
                kind: "event",
                id: e.id,
                date,
                detail: serde_json::json!({
                    "kind": e.kind,
                    "payload": serde_json::from_str::<serde_json::Value>(&e.payload)
                        .unwrap_or(serde_json::Value::String(e.payload)),
                    "latitude": e.latitude,
                    "longitude": e.longitude,
                }),
            },
            TimelineItem::Trip(t) => TimelineEntry {
                kind: "trip",
                id: t.id,
                date,
                detail: serde_json::json!({
                    "user_id": t.user_id,
                    "start_cluster_id": t.start_cluster_id,
                    "end_cluster_id": t.end_cluster_id,
                    "ended_at": t.ended_at,
                }),
            },
            TimelineItem::Maintenance(m, kind) => TimelineEntry {
                kind: "maintenance",
                id: m.id,
                date,
                detail: serde_json::json!({
                    "key": kind.map(|k| k.key),
                    "comment": m.comment,
                    "closed_at": m.closed_at,
                }),
            },
        }
    }
}

/// A page of timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    /// Newest first, at most 20.
    pub items: Vec<TimelineEntry>,
    /// Send it back as `before_date` for the next page; null on the last page.
    pub next_before_date: Option<DateTime<Utc>>,
}

/// A maintenance of the vehicle.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleMaintenance {
    pub id: i64,
    pub type_id: i64,
    /// The maintenance type's key.
    pub key: Option<String>,
    /// The type's label in `lang` (English when not translated).
    pub label: Option<String>,
    pub severity: Option<String>,
    pub network_id: i64,
    pub comment: Option<String>,
    pub opened_by: Option<i64>,
    pub opened_at: DateTime<Utc>,
    pub closed_by: Option<i64>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// An open alert of the vehicle.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleAlert {
    pub id: i64,
    pub network_id: i64,
    pub alert_type: String,
    pub alert_severity: String,
    pub details: String,
    pub created_at: DateTime<Utc>,
}

impl From<fleet_alert::Model> for VehicleAlert {
    fn from(a: fleet_alert::Model) -> Self {
        VehicleAlert {
            id: a.id,
            network_id: a.network_id,
            alert_type: a.alert_type,
            alert_severity: a.severity,
            details: a.details,
            created_at: a.created_at,
        }
    }
}

// ----- Handlers -----

/// Get vehicles
#[utoipa::path(get, path = "/dashboard/vehicles", tag = "Vehicles",
    summary = "Get vehicles",
    description = "Fetch the list of vehicles for the specific network.\n\nThe vehicles in service of the networks asked for, by serial, with model, status, battery, position, last contact and where they stand (`placement`: spot of a station of a cluster, virtual parking, stock, or `free`). Paged by keyset (relais extension: `page_size`, default 100, `last_primary_key`, `primary_key_dir`). Needs `vehicles.manage` over every network asked for.",
    params(ListPageQuery, NetworksQuery),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).networks_in_query("networks")))),
    responses(
        (status = 200, description = "A page of vehicles", body = Paged<VehicleItem>),
        (status = 400, description = "Missing or malformed `networks` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 422, description = "Repeated or invalid network id (-11)", body = ErrorBody)))]
pub async fn get_vehicles(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(page): ValidQuery<ListPageQuery>,
    ValidQuery(query): ValidQuery<NetworksQuery>,
) -> ApiResult<Paged<VehicleItem>> {
    let within = auth.within(networks_list(&query.networks)?);
    let keyset = page.keyset();
    let rows = relais_store::vehicles::list(&state.db, &within, false, &keyset).await?;
    Ok(paged(&keyset, rows, |r| r.vehicle.id, VehicleItem::from))
}

/// Register a vehicle (extension).
#[utoipa::path(post, path = "/dashboard/vehicles", tag = "Vehicles",
    summary = "Register vehicle",
    description = "Register a new vehicle: its serial (unique, `^[a-zA-Z0-9]{6,10}$`) and model, in an open network within the caller's scope of `vehicles.register` (write). The vehicle starts `available`, locked, placed nowhere. Answers the vehicle.",
    request_body = RegisterVehicleRequest,
    extensions(("x-permission" = json!(write(Permission::VehiclesRegister).object_in_body("network_id", Object::Network))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The vehicle registered", body = Envelope<VehicleItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network or model (-2, naming `model_id`)", body = ErrorBody),
        (status = 409, description = "Serial already registered (-40, naming `serial`) or network closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid serial or identifier (-11)", body = ErrorBody)))]
pub async fn register_vehicle(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<RegisterVehicleRequest>,
) -> ApiResult<Json<Envelope<VehicleItem>>> {
    let vehicle = relais_store::vehicles::register(
        &state.db,
        relais_store::vehicles::NewVehicle {
            serial: body.serial,
            network_id: body.network_id,
            model_id: body.model_id,
        },
    )
    .await?;
    let row = relais_store::vehicles::detail(&state.db, vehicle.id).await?;
    Ok(ok(VehicleItem::from(row)))
}

/// Get decommissioned vehicles
#[utoipa::path(get, path = "/dashboard/vehicles/decommissioned", tag = "Vehicles",
    summary = "Get decommissioned vehicles",
    description = "Fetch the list of decommissioned vehicles for specified networks.\n\nBy serial, with the date, reason, comment and amount of their decommissioning. Paged by keyset (relais extension: `page_size`, default 100, `last_primary_key`, `primary_key_dir`). Needs `vehicles.manage` over every network asked for.",
    params(ListPageQuery, NetworksQuery),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).networks_in_query("networks")))),
    responses(
        (status = 200, description = "A page of decommissioned vehicles", body = Paged<VehicleItem>),
        (status = 400, description = "Missing or malformed `networks` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 422, description = "Repeated or invalid network id (-11)", body = ErrorBody)))]
pub async fn get_decommissioned_vehicles(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(page): ValidQuery<ListPageQuery>,
    ValidQuery(query): ValidQuery<NetworksQuery>,
) -> ApiResult<Paged<VehicleItem>> {
    let within = auth.within(networks_list(&query.networks)?);
    let keyset = page.keyset();
    let rows = relais_store::vehicles::list(&state.db, &within, true, &keyset).await?;
    Ok(paged(&keyset, rows, |r| r.vehicle.id, VehicleItem::from))
}

/// Generate vehicle QR code
#[utoipa::path(get, path = "/dashboard/vehicles/qr-code", tag = "Vehicles",
    summary = "Generate vehicle QR code",
    description = "Generate a QR code for the given vehicle serial number.\n\nAnswers a PNG image (10 pixels per module, quiet zone of 4 modules) whose QR code holds the serial as is; the serial need not be registered. Needs `vehicles.register` (labels are printed and serials checked before registering); the seed asks only for a token, relais names a permission on every Dashboard operation.",
    params(SerialQuery),
    extensions(("x-permission" = json!(read(Permission::VehiclesRegister)))),
    responses(
        (status = 200, description = "The QR code", content_type = "image/png", body = Vec<u8>),
        (status = 400, description = "Missing `serial` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 422, description = "Serial not matching `^[a-zA-Z0-9]{6,10}$` (-11)", body = ErrorBody)))]
pub async fn generate_qr_code(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<SerialQuery>,
) -> ApiResult<Response> {
    png(&state, &query.serial).await
}

/// Generate vehicle QR code sheet
#[utoipa::path(get, path = "/dashboard/vehicles/qr-code-sheet", tag = "Vehicles",
    summary = "Generate vehicle QR code sheet",
    description = "Generate sheet with QR codes for vehicles generated for the given parameters.\n\nAnswers a PDF of one page of exactly `width_in_cm` x `height_in_cm` (points = cm / 2.54 x 72). A margin of 0.5 cm is kept on every side; the page is filled left to right, then top to bottom, with labels of 3 x 3.6 cm, each a QR code of 2.6 cm (quiet zone included) and its serial written under it. The serials are `prefix` followed by `begin_id`, `begin_id + 1`, ... zero-padded to one width so that each has at least 6 characters; each QR code holds its serial. Refused (-11): a side of 0, more than 300 cm, or too small for one label (4 x 4.6 cm), and serials longer than 10 characters (naming `begin_id`). Needs `vehicles.register` (labels are printed and serials checked before registering); the seed asks only for a token, relais names a permission on every Dashboard operation.",
    params(SheetQuery),
    extensions(("x-permission" = json!(read(Permission::VehiclesRegister)))),
    responses(
        (status = 200, description = "The sheet", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "Missing or malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 422, description = "Invalid prefix, size, or serials too long (-11)", body = ErrorBody)))]
pub async fn generate_qr_code_sheet(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<SheetQuery>,
) -> ApiResult<Response> {
    let pdf = blocking::cpu(&state, move || {
        labels::sheet_pdf(
            &query.prefix,
            query.begin_id,
            query.width_in_cm,
            query.height_in_cm,
        )
    })
    .await
    .map_err(|err| match err {
        LabelError::BadSide { field } => ApiError::field(field, err.to_string()),
        LabelError::TooSmall => ApiError::field("width_in_cm", err.to_string())
            .with_field("height_in_cm", err.to_string()),
        LabelError::SerialTooLong => ApiError::field("begin_id", err.to_string()),
        other => ApiError::internal(other),
    })?;
    Ok(binary("application/pdf", pdf))
}

/// Get used serials
#[utoipa::path(get, path = "/dashboard/vehicles/used-serials", tag = "Vehicles",
    summary = "Get used serials",
    description = "Return the list of used serial number from the given list.\n\nThe serials asked for that belong to a registered vehicle, decommissioned ones included, in the order asked. Needs `vehicles.register` (labels are printed and serials checked before registering); the seed asks only for a token, relais names a permission on every Dashboard operation.",
    params(SerialsQuery),
    extensions(("x-permission" = json!(read(Permission::VehiclesRegister)))),
    responses(
        (status = 200, description = "The serials in use", body = Envelope<UsedSerials>),
        (status = 400, description = "Missing `serials` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 422, description = "A serial not matching `^[a-zA-Z0-9]{6,10}$` (-11, naming `serials`)", body = ErrorBody)))]
pub async fn get_used_serials(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<SerialsQuery>,
) -> ApiResult<Json<Envelope<UsedSerials>>> {
    let serials = query.serials.as_slice();
    for (i, s) in serials.iter().enumerate() {
        if serial(s).is_err() {
            return Err(ApiError::field(
                "serials",
                format!("item {i} (`{s}`) must match {SERIAL_PATTERN}"),
            ));
        }
    }
    let used = relais_store::vehicles::used_serials(&state.db, serials).await?;
    Ok(ok(UsedSerials { used }))
}

/// Get vehicle detail
#[utoipa::path(get, path = "/dashboard/vehicles/{id}", tag = "Vehicles",
    summary = "Get vehicle detail",
    description = "Fetch the detail of the specified vehicle.\n\nThe vehicle with its model, live state, placement, network currency and active external lock (null without one). Decommissioned vehicles are readable.",
    params(VehiclePath),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).object_in_path("id", Object::Vehicle)))),
    responses(
        (status = 200, description = "The vehicle", body = Envelope<VehicleDetail>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or vehicle outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle (-2)", body = ErrorBody)))]
pub async fn get_vehicle(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<VehiclePath>,
) -> ApiResult<Json<Envelope<VehicleDetail>>> {
    let vehicle = relais_store::vehicles::get(&state.db, path.id).await?;
    let network = relais_store::networks::existing(&state.db, vehicle.network_id).await?;
    let lock = relais_store::external_locks::active(&state.db, vehicle.id).await?;
    let row = relais_store::vehicles::detail(&state.db, vehicle.id).await?;
    Ok(ok(VehicleDetail {
        vehicle: VehicleItem::from(row),
        currency: network.currency,
        speed: vehicle.speed,
        external_lock: lock.map(ExternalLockItem::from),
    }))
}

/// Decommission vehicle
#[utoipa::path(post, path = "/dashboard/vehicles/{id}/decommission", tag = "Vehicles",
    summary = "Decommission vehicle",
    description = "Decommission a vehicle.\n\nTakes the vehicle out of the fleet for good: status `decommissioned`, its spot freed, out of its virtual parking and stock. `amount` (in the currency of the vehicle's network, at most four decimal places) is what it was sold for, or negative for a cost. Decommissioning twice is refused (-41), as is a vehicle of a closed network.",
    params(VehiclePath, DecommissionQuery),
    extensions(("x-permission" = json!(write(Permission::VehiclesManage).object_in_path("id", Object::Vehicle)))),
    responses(
        (status = 200, description = "The vehicle decommissioned", body = Envelope<VehicleItem>),
        (status = 400, description = "Missing or unknown `reason`, malformed `amount` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or vehicle outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle (-2)", body = ErrorBody),
        (status = 409, description = "Already decommissioned, or network closed (-41)", body = ErrorBody),
        (status = 422, description = "Comment of 0 or more than 200 characters, amount with more than four decimal places (-11)", body = ErrorBody)))]
pub async fn decommission_vehicle(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<VehiclePath>,
    ValidQuery(query): ValidQuery<DecommissionQuery>,
) -> ApiResult<Json<Envelope<VehicleItem>>> {
    let amount =
        match query.amount {
            Some(a) => Some(money::to_stored(a).ok_or_else(|| {
                ApiError::field("amount", "must have at most four decimal places")
            })?),
            None => None,
        };
    relais_store::vehicles::decommission(
        &state.db,
        path.id,
        relais_store::vehicles::Decommission {
            reason: query.reason.as_str().into(),
            comment: query.comment,
            amount,
        },
    )
    .await?;
    let row = relais_store::vehicles::detail(&state.db, path.id).await?;
    Ok(ok(VehicleItem::from(row)))
}

/// Get vehicle QR code
#[utoipa::path(get, path = "/dashboard/vehicles/{id}/qr-code", tag = "Vehicles",
    summary = "Get vehicle QR code",
    description = "Generate the QR code for the given vehicle.\n\nA PNG image whose QR code holds the vehicle's serial (as \"Generate vehicle QR code\"). Needs `vehicles.manage` over the vehicle's network (the seed asks only for a token; relais names a permission on every Dashboard operation).",
    params(VehiclePath),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).object_in_path("id", Object::Vehicle)))),
    responses(
        (status = 200, description = "The QR code", content_type = "image/png", body = Vec<u8>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or vehicle outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle (-2)", body = ErrorBody)))]
pub async fn get_vehicle_qr_code(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<VehiclePath>,
) -> ApiResult<Response> {
    let vehicle = relais_store::vehicles::get(&state.db, path.id).await?;
    png(&state, &vehicle.serial).await
}

/// Change vehicle network
#[utoipa::path(put, path = "/dashboard/vehicles/{id}/network", tag = "Vehicles",
    summary = "Change vehicle network",
    description = "Change the current network of a vehicle.\n\nThe vehicle must be in service; both networks must be open and within the caller's scope. The vehicle leaves its spot, virtual parking and stock of the old network. Moving to the network it is in is refused (-41).",
    params(VehiclePath),
    request_body(content = ChangeNetworkRequest, description = "Info about the network."),
    extensions(("x-permission" = json!(write(Permission::VehiclesManage).object_in_path("id", Object::Vehicle).object_in_body("network_id", Object::Network)))),
    responses(
        (status = 200, description = "The vehicle in its new network", body = Envelope<VehicleItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30), vehicle or new network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle, or no such network (-2, naming `network_id`)", body = ErrorBody),
        (status = 409, description = "Vehicle decommissioned or already there, network closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid `network_id` (-11)", body = ErrorBody)))]
pub async fn change_vehicle_network(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<VehiclePath>,
    ValidJson(body): ValidJson<ChangeNetworkRequest>,
) -> ApiResult<Json<Envelope<VehicleItem>>> {
    relais_store::vehicles::change_network(&state.db, path.id, body.network_id).await?;
    let row = relais_store::vehicles::detail(&state.db, path.id).await?;
    Ok(ok(VehicleItem::from(row)))
}

/// Get vehicle statistic
#[utoipa::path(get, path = "/dashboard/vehicles/{id}/statistic", tag = "Vehicles",
    summary = "Get vehicle statistic",
    description = "Fetch the statistic of the specified vehicle.\n\nTrips (all and finished), total and average duration of the finished trips in seconds (no distance is recorded yet), whole days in service (registration to decommissioning or now), maintenances and alerts (all and still open).",
    params(VehiclePath),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).object_in_path("id", Object::Vehicle)))),
    responses(
        (status = 200, description = "The figures", body = Envelope<VehicleStatistic>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or vehicle outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle (-2)", body = ErrorBody)))]
pub async fn get_vehicle_statistic(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<VehiclePath>,
) -> ApiResult<Json<Envelope<VehicleStatistic>>> {
    let s = relais_store::vehicles::statistic(&state.db, path.id).await?;
    Ok(ok(VehicleStatistic {
        vehicle_id: path.id,
        trip_count: s.trip_count,
        finished_trip_count: s.finished_trip_count,
        total_trip_duration: s.total_trip_duration,
        average_trip_duration: s.average_trip_duration,
        days_in_service: s.days_in_service,
        maintenance_count: s.maintenance_count,
        open_maintenance_count: s.open_maintenance_count,
        alert_count: s.alert_count,
        open_alert_count: s.open_alert_count,
    }))
}

/// Get vehicle timeline
#[utoipa::path(get, path = "/dashboard/vehicles/{id}/timeline", tag = "Vehicles",
    summary = "Get vehicle timeline",
    description = "Fetch the timeline (trip, parking, maintenance move) of the specified vehicle.\n\nThe vehicle's events, trips (at their start) and maintenances (at their opening) merged newest first, 20 entries a page; `before_date` gives the entries strictly before that date. Send `next_before_date` back as `before_date` for the next page (null on the last one); entries sharing a date are never split across pages.",
    params(VehiclePath, TimelineQuery),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).object_in_path("id", Object::Vehicle)))),
    responses(
        (status = 200, description = "A page of the timeline", body = Envelope<Timeline>),
        (status = 400, description = "Malformed `before_date` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or vehicle outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle (-2)", body = ErrorBody)))]
pub async fn get_vehicle_timeline(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<VehiclePath>,
    ValidQuery(query): ValidQuery<TimelineQuery>,
) -> ApiResult<Json<Envelope<Timeline>>> {
    let (items, more) =
        relais_store::vehicles::timeline(&state.db, path.id, query.before_date, TIMELINE_PAGE)
            .await?;
    let next_before_date = if more {
        items.last().map(TimelineItem::date)
    } else {
        None
    };
    Ok(ok(Timeline {
        items: items.into_iter().map(TimelineEntry::from).collect(),
        next_before_date,
    }))
}

/// Get vehicle maintenances
#[utoipa::path(get, path = "/dashboard/vehicles/{id}/maintenances", tag = "Vehicles",
    summary = "Get vehicle maintenances",
    description = "Route to get all maintenances (current and old one) of a vehicle.\n\nNewest first, with the type's `key` and its `label` in `lang` (English when not translated). Paged by keyset (relais extension: `page_size`, default 100, `last_primary_key`, `primary_key_dir`).",
    params(VehiclePath, ListPageQuery, LangQuery),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).object_in_path("id", Object::Vehicle)))),
    responses(
        (status = 200, description = "A page of maintenances", body = Paged<VehicleMaintenance>),
        (status = 400, description = "Missing `lang` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or vehicle outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle (-2)", body = ErrorBody),
        (status = 422, description = "`lang` not two letters (-11)", body = ErrorBody)))]
pub async fn get_vehicle_maintenances(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<VehiclePath>,
    ValidQuery(page): ValidQuery<ListPageQuery>,
    ValidQuery(query): ValidQuery<LangQuery>,
) -> ApiResult<Paged<VehicleMaintenance>> {
    let keyset = page.keyset();
    let list = relais_store::vehicles::maintenances(&state.db, path.id, &keyset).await?;
    Ok(paged(
        &keyset,
        list,
        |(m, _)| m.id,
        |(m, kind)| VehicleMaintenance {
            id: m.id,
            type_id: m.type_id,
            label: kind
                .as_ref()
                .map(|k| relais_domain::maintenance::label(&k.key, &query.lang)),
            severity: kind.as_ref().map(|k| k.severity.clone()),
            key: kind.map(|k| k.key),
            network_id: m.network_id,
            comment: m.comment,
            opened_by: m.opened_by,
            opened_at: m.opened_at,
            closed_by: m.closed_by,
            closed_at: m.closed_at,
        },
    ))
}

/// Get vehicle alerts
#[utoipa::path(get, path = "/dashboard/vehicles/{id}/alerts", tag = "Vehicles",
    summary = "Get vehicle alerts",
    description = "Route to get current alerts of a vehicle.\n\nThe fleet alerts of the vehicle not resolved yet, newest first. Paged by keyset (relais extension: `page_size`, default 100, `last_primary_key`, `primary_key_dir`).",
    params(VehiclePath, ListPageQuery),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).object_in_path("id", Object::Vehicle)))),
    responses(
        (status = 200, description = "A page of open alerts", body = Paged<VehicleAlert>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or vehicle outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle (-2)", body = ErrorBody)))]
pub async fn get_vehicle_alerts(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<VehiclePath>,
    ValidQuery(page): ValidQuery<ListPageQuery>,
) -> ApiResult<Paged<VehicleAlert>> {
    let keyset = page.keyset();
    let alerts = relais_store::vehicles::open_alerts(&state.db, path.id, &keyset).await?;
    Ok(paged(&keyset, alerts, |a| a.id, VehicleAlert::from))
}
