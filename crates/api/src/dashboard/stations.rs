//! Seed group `Stations`: decommissioning a station, and its energy consumption.
//!
//! A station belongs to a cluster, whose network (and, for units restricted to some clusters,
//! the cluster itself) gives the scope. Decommissioning takes the station's spots with it and
//! releases the vehicles still in them; it is final (decommissioning again is -41).

use crate::access::{Authorized, read, write};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ValidPath, ValidQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::reference::TimeZone;
use relais_domain::{Object, Permission};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

/// The longest range of "Get energy consumption", in days.
const MAX_ENERGY_DAYS: i64 = 366;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(decommission_station))
        .routes(routes!(get_energy_consumption))
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The station named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct StationPath {
    /// Identifier of the station.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// The period asked for.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnergyQuery {
    /// The start date of the period (`YYYY-MM-DD`, a local day of `timezone`).
    pub start_date: NaiveDate,
    /// The end date of the period (`YYYY-MM-DD`, included). Should be after the start_date; at
    /// most 366 days are covered.
    pub end_date: NaiveDate,
    /// The timezone of the user making the request (IANA name, one of the API's 425 zones).
    #[param(value_type = String, example = "Europe/Paris")]
    pub timezone: TimeZone,
}

/// `end_date` after `start_date`, the period at most [`MAX_ENERGY_DAYS`] long.
fn period(query: &EnergyQuery) -> ApiResult<()> {
    let days = (query.end_date - query.start_date).num_days();
    if days < 1 {
        return Err(ApiError::field("end_date", "must be after start_date"));
    }
    if days + 1 > MAX_ENERGY_DAYS {
        return Err(ApiError::field(
            "end_date",
            format!("the period may cover at most {MAX_ENERGY_DAYS} days"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Responses

/// What decommissioning did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecommissionedStation {
    pub station_id: i64,
    pub decommissioned_at: DateTime<Utc>,
    /// How many spots were decommissioned with the station.
    pub spots: u64,
    /// The vehicles that were still in its spots and were released.
    pub released_vehicles: Vec<i64>,
}

/// The energy used on one local day.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayEnergy {
    /// The local day (`YYYY-MM-DD`) in the time zone asked for.
    pub date: NaiveDate,
    /// Watt-hours measured over the day (0 without readings).
    pub energy_wh: i64,
}

/// The energy consumption of a station over a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnergyConsumption {
    pub station_id: i64,
    /// The time zone the days are counted in.
    #[schema(value_type = String, example = "Europe/Paris")]
    pub timezone: TimeZone,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Always `Wh`.
    pub unit: String,
    /// Sum of `days`.
    pub total_wh: i64,
    /// Every day of the period, in order, days without readings included.
    pub days: Vec<DayEnergy>,
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Decommission station
#[utoipa::path(post, path = "/dashboard/stations/{id}/decommission", tag = "Stations",
    summary = "Decommission station",
    description = "Decommission a station.\n\nThe station and its spots get a decommission date; a vehicle still in one of its spots is released (the spot is emptied and the vehicle no longer points at it). Final: decommissioning a station again is refused (-41), as is any change in a closed network (-41). Needs `stations.advanced` with write over the station's network (and cluster, for units restricted to some clusters).",
    params(StationPath),
    extensions(("x-permission" = json!(write(Permission::StationsAdvanced).object_in_path("id", Object::Station)))),
    responses(
        (status = 200, description = "Decommissioned", body = Envelope<DecommissionedStation>),
        (status = 400, description = "Malformed `id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or station outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such station (-2)", body = ErrorBody),
        (status = 409, description = "Decommissioned already, or the network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid `id` (-11)", body = ErrorBody)))]
pub async fn decommission_station(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<StationPath>,
) -> ApiResult<Json<Envelope<DecommissionedStation>>> {
    let at = Utc::now();
    let done = relais_store::stations::decommission(&state.db, path.id, at).await?;
    tracing::info!(
        station_id = path.id,
        user_id = auth.user_id(),
        released = done.released_vehicles.len(),
        "station decommissioned"
    );
    Ok(ok(DecommissionedStation {
        station_id: path.id,
        decommissioned_at: at,
        spots: done.spots,
        released_vehicles: done.released_vehicles,
    }))
}

/// Get energy consumption
#[utoipa::path(get, path = "/dashboard/stations/{id}/energy-consumption", tag = "Stations",
    summary = "Get energy consumption",
    description = "Return the energy consumption of the station in the specified range.\n\nThe period runs from `start_date` 00:00 to `end_date` 24:00, local time of `timezone`; `end_date` must be after `start_date` and the period at most 366 days (-11 naming `end_date`). Each energy reading covers the interval ending at its measurement time and counts on the local day of that time. Every day of the period is answered, 0 when nothing was measured, with the total; energies are in watt-hours. Decommissioned stations are readable. Needs `stations` over the station's network.",
    params(StationPath, EnergyQuery),
    extensions(("x-permission" = json!(read(Permission::Stations).object_in_path("id", Object::Station)))),
    responses(
        (status = 200, description = "Energy per local day and total", body = Envelope<EnergyConsumption>),
        (status = 400, description = "Missing or malformed parameter, unknown time zone (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or station outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such station (-2)", body = ErrorBody),
        (status = 422, description = "Invalid `id`, `end_date` not after `start_date` or period too long (-11)", body = ErrorBody)))]
pub async fn get_energy_consumption(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<StationPath>,
    ValidQuery(query): ValidQuery<EnergyQuery>,
) -> ApiResult<Json<Envelope<EnergyConsumption>>> {
    period(&query)?;
    let days = relais_store::stations::energy_per_day(
        &state.db,
        path.id,
        query.start_date,
        query.end_date,
        &query.timezone.tz(),
    )
    .await?;
    let total_wh = days
        .iter()
        .map(|d| d.energy_wh)
        .fold(0i64, i64::saturating_add);
    Ok(ok(EnergyConsumption {
        station_id: path.id,
        timezone: query.timezone,
        start_date: query.start_date,
        end_date: query.end_date,
        unit: "Wh".to_owned(),
        total_wh,
        days: days
            .into_iter()
            .map(|d| DayEnergy {
                date: d.date,
                energy_wh: d.energy_wh,
            })
            .collect(),
    }))
}
