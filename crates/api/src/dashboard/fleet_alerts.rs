//! Seed group `FleetAlerts`: the alerts raised on the fleet (mostly by the IoT link) and their
//! resolution.
//!
//! | seed operation | route | permission |
//! |---|---|---|
//! | Get fleet alerts | `GET /dashboard/fleet-alerts?networks=` | `vehicles.alerts`, networks in scope |
//! | Get fleet alerts history | `GET /dashboard/fleet-alerts/history?networks=` | `vehicles.alerts`, networks in scope |
//! | Resolve alerts | `POST /dashboard/fleet-alerts/resolve` | `vehicles.alerts` write, each alert's network in scope |
//!
//! Decisions: dates of the history filters are whole days in UTC, both bounds included;
//! severity sorts by seriousness (`low` < `high` < `critical`); the history pages by descending
//! id unless `primary_key_dir=ASC` (`DESC` is the seed's default, and every list's); resolving an alert already resolved is
//! refused (-41) rather than silently ignored, so two operators never both believe they closed it.

use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Paged, done};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{CommaSeparated, ValidJson, ValidQuery, unique_id_list, unique_ids};
use crate::pagination::{Direction, KeysetQuery, ListPageQuery, paged};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Days, NaiveDate, Utc};
use relais_domain::alerts::{AlertSeverity, AlertType};
use relais_domain::{Object, Permission};
use relais_store::Within;
use relais_store::fleet_alerts::{AlertView, HistoryFilter, HistorySort, ResolveError};
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_fleet_alerts))
        .routes(routes!(get_fleet_alerts_history))
        .routes(routes!(resolve_alerts))
}

/// Which networks to read the alerts of.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Identifier of networks of which to get the fleet alerts, comma-separated:
    /// `networks=5`, `networks=1,5,7`. Each at least 1, no repeats.
    #[param(value_type = Vec<i64>, style = Form, explode = false, example = "1,5,7")]
    pub networks: CommaSeparated<i64>,
}

/// Custom sort key of the history.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertSortBy {
    CreationDate,
    AlertSeverity,
    ResolvedAt,
}

/// Filters and sort of the history.
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Identifier of networks of which to get the fleet alerts, comma-separated. Each at least
    /// 1, no repeats.
    #[param(value_type = Vec<i64>, style = Form, explode = false, example = "1,5,7")]
    pub networks: CommaSeparated<i64>,
    /// Custom sort key; ties are broken by id in the direction of `primary_key_dir`.
    /// `alert_severity` sorts by seriousness: `low` < `high` < `critical`.
    #[serde(default)]
    #[param(inline, value_type = Option<AlertSortBy>)]
    pub sort_by: Option<AlertSortBy>,
    /// Sort direction of the custom sort key: `DESC` (default) or `ASC`.
    #[serde(default)]
    #[param(inline, value_type = Option<Direction>, default = "DESC")]
    pub sort_dir: Option<Direction>,
    /// Filter by alert type.
    #[serde(default)]
    #[param(inline, value_type = Option<AlertType>)]
    pub alert_type: Option<AlertType>,
    /// Filter by alert severity.
    #[serde(default)]
    #[param(inline, value_type = Option<AlertSeverity>)]
    pub alert_severity: Option<AlertSeverity>,
    /// The earliest creation day (`YYYY-MM-DD`, UTC, included).
    #[serde(default)]
    pub creation_date_min: Option<NaiveDate>,
    /// The latest creation day (`YYYY-MM-DD`, UTC, included).
    #[serde(default)]
    pub creation_date_max: Option<NaiveDate>,
    /// Filter by the identifier of the user concerned by the alert.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub user_id: Option<i64>,
    /// Part of the email of the user concerned by the alert, without regard to case.
    #[serde(default)]
    #[validate(length(min = 1, max = 254))]
    #[param(min_length = 1, max_length = 254)]
    pub email: Option<String>,
    /// The earliest resolution day (`YYYY-MM-DD`, UTC, included).
    #[serde(default)]
    pub resolved_at_min: Option<NaiveDate>,
    /// The latest resolution day (`YYYY-MM-DD`, UTC, included).
    #[serde(default)]
    pub resolved_at_max: Option<NaiveDate>,
    /// What the name of the cluster concerned by the alert should contain (without regard to case).
    #[serde(default)]
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub cluster_name: Option<String>,
    /// Filter by the id of the cluster concerned by the alert.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub cluster_id: Option<i64>,
    /// Filter by the id of the vehicle concerned by the alert.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub vehicle_id: Option<i64>,
    /// Filter by the serial number of the vehicle concerned by the alert (exact).
    #[serde(default)]
    #[validate(length(min = 6, max = 10))]
    #[param(min_length = 6, max_length = 10)]
    pub serial_number: Option<String>,
}

/// The alerts to resolve.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveAlerts {
    /// Array of identifier to resolve: non-empty, unique, each at least 1.
    #[validate(length(min = 1), custom(function = "unique_ids"))]
    #[schema(min_items = 1, example = json!([1]))]
    pub alert_ids: Vec<i64>,
}

/// The cluster an alert concerns.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertCluster {
    pub id: i64,
    pub name: Option<String>,
}

/// The station an alert concerns.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertStation {
    pub id: i64,
    pub name: Option<String>,
}

/// The spot an alert concerns.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertSpot {
    pub id: i64,
    pub number: Option<i32>,
}

/// The vehicle an alert concerns.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertVehicle {
    pub id: i64,
    pub serial: Option<String>,
}

/// A user named by an alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertUser {
    pub id: i64,
    pub email: Option<String>,
}

/// A fleet alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct FleetAlert {
    pub id: i64,
    pub network_id: i64,
    /// The kind of alert (the `alert_type` of the history's filter).
    #[schema(value_type = AlertType)]
    pub alert_type: String,
    /// How serious it is (the `alert_severity` of the history's filter and sort).
    #[schema(value_type = AlertSeverity)]
    pub alert_severity: String,
    pub cluster: Option<AlertCluster>,
    pub station: Option<AlertStation>,
    pub spot: Option<AlertSpot>,
    pub vehicle: Option<AlertVehicle>,
    /// The user concerned (a rider), if any.
    pub user: Option<AlertUser>,
    /// What was observed, in words.
    pub details: String,
    pub created_at: DateTime<Utc>,
    /// Null while the alert is open.
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<AlertUser>,
}

impl From<AlertView> for FleetAlert {
    fn from(v: AlertView) -> Self {
        let a = v.alert;
        FleetAlert {
            id: a.id,
            network_id: a.network_id,
            alert_type: a.alert_type,
            alert_severity: a.severity,
            cluster: a.cluster_id.map(|id| AlertCluster {
                id,
                name: v.cluster_name,
            }),
            station: a.station_id.map(|id| AlertStation {
                id,
                name: v.station_name,
            }),
            spot: a.spot_id.map(|id| AlertSpot {
                id,
                number: v.spot_number,
            }),
            vehicle: a.vehicle_id.map(|id| AlertVehicle {
                id,
                serial: v.vehicle_serial,
            }),
            user: a.user_id.map(|id| AlertUser {
                id,
                email: v.user_email,
            }),
            details: a.details,
            created_at: a.created_at,
            resolved_at: a.resolved_at,
            resolved_by: a.resolved_by.map(|id| AlertUser {
                id,
                email: v.resolved_by_email,
            }),
        }
    }
}

/// The part of the networks asked for (unique, each at least 1; their existence and scope are
/// checked by the declaration) that the caller may see.
fn asked_networks(auth: &Authorized, networks: &CommaSeparated<i64>) -> ApiResult<Within> {
    unique_id_list(networks).map_err(|err| {
        let problem = err.message.map(|m| m.to_string()).unwrap_or_default();
        ApiError::field("networks", problem)
    })?;
    Ok(auth.within(networks.as_slice()))
}

/// Get fleet alerts
#[utoipa::path(get, path = "/dashboard/fleet-alerts", tag = "FleetAlerts",
    summary = "Get fleet alerts",
    description = "Returns current fleet alerts of the specified networks.\n\nThe open (unresolved) alerts, newest first, with what they concern: cluster, station, spot, vehicle and user (each null when the alert does not concern one). Paged by keyset (relais extension: `page_size`, default 100, `last_primary_key`, `primary_key_dir`). Needs `vehicles.alerts` over every network asked for.",
    params(ListPageQuery, AlertsQuery),
    extensions(("x-permission" = json!(read(Permission::VehiclesAlerts).networks_in_query("networks")))),
    responses(
        (status = 200, description = "A page of open alerts, newest first", body = Paged<FleetAlert>),
        (status = 400, description = "Missing or malformed `networks` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Repeated or invalid network id (-11)", body = ErrorBody)))]
pub async fn get_fleet_alerts(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(page): ValidQuery<ListPageQuery>,
    ValidQuery(query): ValidQuery<AlertsQuery>,
) -> ApiResult<Paged<FleetAlert>> {
    let within = asked_networks(&auth, &query.networks)?;
    let keyset = page.keyset();
    let alerts = relais_store::fleet_alerts::current(&state.db, &within, &keyset).await?;
    Ok(paged(&keyset, alerts, |a| a.alert.id, FleetAlert::from))
}

/// The first instant of `day` (UTC).
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// The first instant after `day` (UTC).
fn end_of(day: NaiveDate) -> DateTime<Utc> {
    start_of(day.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX))
}

/// Get fleet alerts history
#[utoipa::path(get, path = "/dashboard/fleet-alerts/history", tag = "FleetAlerts",
    summary = "Get fleet alerts history",
    description = "Returns old fleet alerts of the specified networks.\n\nThe resolved alerts, paged by keyset: `primary_key_dir` defaults to `DESC` here (newest first). With `sort_by` (`creation_date`, `alert_severity` — by seriousness, `low` < `high` < `critical` — or `resolved_at`) and `sort_dir` (default `DESC`), ties are broken by id in the direction of `primary_key_dir`. Date filters are days (`YYYY-MM-DD`) in UTC, both bounds included. `email` and `cluster_name` match a part, without regard to case; `serial_number` matches exactly. Needs `vehicles.alerts` over every network asked for.",
    params(KeysetQuery, HistoryQuery),
    extensions(("x-permission" = json!(read(Permission::VehiclesAlerts).networks_in_query("networks")))),
    responses(
        (status = 200, description = "A page of resolved alerts", body = Paged<FleetAlert>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn get_fleet_alerts_history(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(page): ValidQuery<KeysetQuery>,
    ValidQuery(q): ValidQuery<HistoryQuery>,
) -> ApiResult<Paged<FleetAlert>> {
    let within = asked_networks(&auth, &q.networks)?;
    for (field, min, max) in [
        (
            "creation_date_max",
            q.creation_date_min,
            q.creation_date_max,
        ),
        ("resolved_at_max", q.resolved_at_min, q.resolved_at_max),
    ] {
        if let (Some(min), Some(max)) = (min, max)
            && max < min
        {
            return Err(ApiError::field(field, "must not be before the minimum"));
        }
    }
    let filter = HistoryFilter {
        within,
        alert_type: q.alert_type,
        severity: q.alert_severity,
        created_from: q.creation_date_min.map(start_of),
        created_before: q.creation_date_max.map(end_of),
        resolved_from: q.resolved_at_min.map(start_of),
        resolved_before: q.resolved_at_max.map(end_of),
        user_id: q.user_id,
        email: q.email,
        cluster_name: q.cluster_name,
        cluster_id: q.cluster_id,
        vehicle_id: q.vehicle_id,
        serial_number: q.serial_number,
    };
    let keyset = page.keyset();
    let sort = q.sort_by.map(|by| {
        let by = match by {
            AlertSortBy::CreationDate => HistorySort::CreationDate,
            AlertSortBy::AlertSeverity => HistorySort::Severity,
            AlertSortBy::ResolvedAt => HistorySort::ResolvedAt,
        };
        (by, q.sort_dir.unwrap_or_default().into())
    });
    let rows = relais_store::fleet_alerts::history(&state.db, &filter, &keyset, sort).await?;
    Ok(paged(&keyset, rows, |row| row.alert.id, FleetAlert::from))
}

fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolve alerts
#[utoipa::path(post, path = "/dashboard/fleet-alerts/resolve", tag = "FleetAlerts",
    summary = "Resolve alerts",
    description = "Mark the specified alerts as resolved.\n\nEvery alert must exist (404 naming `alert_ids`), belong to a network within the caller's scope of `vehicles.alerts` with write (-31) that is not closed (-41), and be open: an alert already resolved is refused (-41 naming `alert_ids`), and then nothing changes. Records who resolved them and when.",
    request_body(content = ResolveAlerts, description = "Ids of alerts to solve."),
    extensions(("x-permission" = json!(write(Permission::VehiclesAlerts).object_in_body("alert_ids", Object::FleetAlert)))),
    responses(
        (status = 200, description = "The alerts are resolved", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or an alert outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such alert (-2)", body = ErrorBody),
        (status = 409, description = "An alert is already resolved, or its network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Empty, repeated or invalid ids (-11)", body = ErrorBody)))]
pub async fn resolve_alerts(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<ResolveAlerts>,
) -> ApiResult<Json<Done>> {
    relais_store::fleet_alerts::resolve(&state.db, &body.alert_ids, auth.user_id())
        .await
        .map_err(|err| match err {
            ResolveError::Missing(ids) => ApiError::not_found("fleet alert").with_field(
                "alert_ids",
                format!("no such fleet alert: {}", id_list(&ids)),
            ),
            ResolveError::AlreadyResolved(ids) => ApiError::new(
                ErrorCode::Refused,
                format!("fleet alerts {} are already resolved", id_list(&ids)),
            )
            .with_field("alert_ids", format!("already resolved: {}", id_list(&ids))),
            ResolveError::Store(e) => e.into(),
        })?;
    Ok(done())
}
