//! Networks: vehicle model settings and guarantees, speed settings, reset.
//!
//! Changes that vehicles must apply (model settings, speed settings, reset) are written together
//! with one command per vehicle in service in the durable outbox (`relais_store::network_vehicles`),
//! which the fleet work delivers; a newer command supersedes an undelivered one of the same kind.
//! The three updates take `multipart/form-data` bodies, as the seed says (see
//! [`crate::multipart`]: text fields, null sent as an empty text or `null`).

use super::NetworkPath;
use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::required_nullable;
use crate::extract::{ValidPath, non_negative_amount};
use crate::multipart::ValidMultipart;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use relais_store::network_vehicles::{self as store, SpeedSettings};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_vehicle_model_settings))
        .routes(routes!(update_vehicle_settings))
        .routes(routes!(get_vehicle_model_guarantees))
        .routes(routes!(update_vehicle_guarantees))
        .routes(routes!(get_speed_settings, update_speed_settings))
        .routes(routes!(reset_vehicles_settings))
}

/// The network and the vehicle model named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct NetworkModelPath {
    /// The network's identifier.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub network_id: i64,
    /// The vehicle model identifier.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub model_id: i64,
}

/// A vehicle model with specific settings on the network.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleModelSettings {
    pub model_id: i64,
    /// The model's name in the catalogue.
    pub model_name: String,
    /// True to automatically turn on the vehicle light when unlocking.
    pub auto_light: Option<bool>,
    /// The speed mode the vehicles are blocked in (1 = ECO, 2 = NORMAL, 3 = SPORT), null when not blocked.
    #[schema(minimum = 1, maximum = 3)]
    pub speed_mode: Option<i16>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::ModelSettings> for VehicleModelSettings {
    fn from(s: store::ModelSettings) -> Self {
        VehicleModelSettings {
            model_id: s.model_id,
            model_name: s.model_name,
            auto_light: s.auto_light,
            speed_mode: s.speed_mode,
            updated_at: s.updated_at,
        }
    }
}

/// A vehicle model with a specific guarantee on the network; amounts in the network's currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleModelGuarantees {
    pub model_id: i64,
    /// The model's name in the catalogue.
    pub model_name: String,
    /// The amount billed to the user if they do not return the vehicle.
    #[schema(value_type = Option<String>, example = "300.00")]
    pub guarantee: Option<Decimal>,
    /// The pre-authorization asked before starting a trip with this model.
    #[schema(value_type = Option<String>, example = "50.00")]
    pub pre_auth: Option<Decimal>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::ModelGuarantees> for VehicleModelGuarantees {
    fn from(g: store::ModelGuarantees) -> Self {
        VehicleModelGuarantees {
            model_id: g.model_id,
            model_name: g.model_name,
            guarantee: g.guarantee,
            pre_auth: g.pre_auth,
            updated_at: g.updated_at,
        }
    }
}

/// The new settings.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVehicleSettingsRequest {
    /// True to automatically turn on the vehicle light when unlocking (`true` or `false`).
    pub auto_light: bool,
    /// If not null, block the vehicle speed mode in the specified mode and disable the speed button (1 = ECO, 2 = NORMAL, 3 = SPORT). Required: send null as an empty field or `null`.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(range(min = 1, max = 3))]
    #[schema(required = true, minimum = 1, maximum = 3)]
    pub speed_mode: Option<i16>,
}

/// The new guarantee.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVehicleGuaranteesRequest {
    /// The amount that will be billed to the user if it does not return the vehicle (at most four decimal places).
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0)]
    pub guarantee: Decimal,
    /// The amount that will be asked for the vehicle model for a pre auth before starting a trip (at most four decimal places).
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0)]
    pub pre_auth: Decimal,
}

/// The new speed settings, in km/h. Speeds are 1 to 45 with low <= medium <= high;
/// `min_battery_to_slow_down` and `battery_slow_down_speed` are both null (no slow down) or both set.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSpeedSettingsRequest {
    /// The default low speed of vehicles (1 to 45 km/h, at most the medium speed).
    #[validate(range(min = 1, max = 45))]
    #[schema(minimum = 1, maximum = 45)]
    pub default_low_speed: i32,
    /// The default medium speed of vehicles (1 to 45 km/h, between the low and high speeds).
    #[validate(range(min = 1, max = 45))]
    #[schema(minimum = 1, maximum = 45)]
    pub default_medium_speed: i32,
    /// The default high speed of vehicles (1 to 45 km/h, at least the medium speed).
    #[validate(range(min = 1, max = 45))]
    #[schema(minimum = 1, maximum = 45)]
    pub default_high_speed: i32,
    /// The battery level (0 to 100 %) at which the vehicle will slow down; null for no slow down (then `battery_slow_down_speed` is null too).
    #[serde(deserialize_with = "required_nullable")]
    #[validate(range(min = 0, max = 100))]
    #[schema(required = true, minimum = 0, maximum = 100)]
    pub min_battery_to_slow_down: Option<i32>,
    /// The speed (1 to 45 km/h) at which the vehicle will be maxed out when the battery reach the min battery level; null exactly when `min_battery_to_slow_down` is null.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(range(min = 1, max = 45))]
    #[schema(required = true, minimum = 1, maximum = 45)]
    pub battery_slow_down_speed: Option<i32>,
}

impl UpdateSpeedSettingsRequest {
    /// The rules between fields, each naming the field at fault (-11).
    fn consistent(&self) -> Result<SpeedSettings, ApiError> {
        let mut err = ApiError::new(ErrorCode::Validation, "invalid request");
        if self.default_low_speed > self.default_medium_speed {
            err = err.with_field("default_medium_speed", "must be at least default_low_speed");
        }
        if self.default_medium_speed > self.default_high_speed {
            err = err.with_field(
                "default_high_speed",
                "must be at least default_medium_speed",
            );
        }
        match (self.min_battery_to_slow_down, self.battery_slow_down_speed) {
            (Some(_), None) => {
                err = err.with_field(
                    "battery_slow_down_speed",
                    "is required when min_battery_to_slow_down is set",
                )
            }
            (None, Some(_)) => {
                err = err.with_field(
                    "min_battery_to_slow_down",
                    "is required when battery_slow_down_speed is set",
                )
            }
            _ => {}
        }
        if !err.fields.is_empty() {
            return Err(err);
        }
        Ok(SpeedSettings {
            default_low_speed: self.default_low_speed,
            default_medium_speed: self.default_medium_speed,
            default_high_speed: self.default_high_speed,
            min_battery_to_slow_down: self.min_battery_to_slow_down,
            battery_slow_down_speed: self.battery_slow_down_speed,
        })
    }
}

/// The speed settings of a network's vehicles.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleSpeedSettings {
    /// The default low speed of vehicles, in km/h.
    pub default_low_speed: i32,
    /// The default medium speed of vehicles, in km/h.
    pub default_medium_speed: i32,
    /// The default high speed of vehicles, in km/h.
    pub default_high_speed: i32,
    /// The battery level (%) at which the vehicle slows down; null for no slow down.
    pub min_battery_to_slow_down: Option<i32>,
    /// The speed (km/h) the vehicle is maxed out at below that battery level; null for no slow down.
    pub battery_slow_down_speed: Option<i32>,
}

impl From<SpeedSettings> for VehicleSpeedSettings {
    fn from(s: SpeedSettings) -> Self {
        VehicleSpeedSettings {
            default_low_speed: s.default_low_speed,
            default_medium_speed: s.default_medium_speed,
            default_high_speed: s.default_high_speed,
            min_battery_to_slow_down: s.min_battery_to_slow_down,
            battery_slow_down_speed: s.battery_slow_down_speed,
        }
    }
}

/// What a reset queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetSummary {
    /// How many vehicles (those in service on the network) were sent their settings.
    pub queued: u64,
}

/// Get networks vehicle models settings
#[utoipa::path(get, path = "/dashboard/networks/{network_id}/vehicle-model-settings", tag = "Networks",
    summary = "Get networks vehicle models settings",
    description = "Get the list of vehicle models with a specific settings on the network: the models whose automatic light or blocked speed mode was set with \"Update vehicle settings\", with the model's name, by model name. Models without specific settings use the vehicles' defaults (no automatic light, speed mode not blocked).",
    params(NetworkPath),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The models with specific settings", body = Envelope<Vec<VehicleModelSettings>>),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody)))]
pub async fn get_vehicle_model_settings(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<Vec<VehicleModelSettings>>>> {
    let list = store::model_settings(&state.db, path.network_id).await?;
    Ok(ok(list.into_iter().map(Into::into).collect()))
}

/// Update vehicle settings
#[utoipa::path(put, path = "/dashboard/networks/{network_id}/vehicle-model-settings/{model_id}", tag = "Networks",
    summary = "Update vehicle settings",
    description = "Update vehicle settings for a specific network and vehicle model. The body is `multipart/form-data` with text fields: `auto_light` is `true` or `false`; `speed_mode` is 1, 2 or 3, or null sent as an empty field or the text `null`. In the same transaction, an `apply-settings` command with the new settings is queued for every vehicle of that model in service on the network (superseding any such command not delivered yet). Refused (-41) on a closed network.",
    params(NetworkModelPath),
    request_body(content = UpdateVehicleSettingsRequest, content_type = "multipart/form-data", description = "The new settings."),
    extensions(("x-permission" = json!(write(Permission::VehiclesManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body or path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network or vehicle model (-2, naming `model_id`)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody),
        (status = 415, description = "Body not multipart/form-data (-12)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_vehicle_settings(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkModelPath>,
    ValidMultipart(body): ValidMultipart<UpdateVehicleSettingsRequest>,
) -> ApiResult<Json<Done>> {
    let queued = store::set_model_settings(
        &state.db,
        path.network_id,
        path.model_id,
        body.auto_light,
        body.speed_mode,
    )
    .await?;
    tracing::info!(
        network_id = path.network_id,
        model_id = path.model_id,
        queued,
        user_id = auth.user_id(),
        "vehicle model settings updated"
    );
    Ok(done())
}

/// Get networks vehicle models guarantees
#[utoipa::path(get, path = "/dashboard/networks/{network_id}/vehicle-model-guarantees", tag = "Networks",
    summary = "Get networks vehicle models guarantees",
    description = "Get the list of vehicle models with a specific guarantee on the network: the models whose guarantee and pre-authorization were set with \"Update vehicle guarantees\", with the model's name, by model name. Amounts are decimal strings in the network's currency. Other models use the network's `default_vehicle_guarantee`.",
    params(NetworkPath),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The models with a specific guarantee", body = Envelope<Vec<VehicleModelGuarantees>>),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody)))]
pub async fn get_vehicle_model_guarantees(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<Vec<VehicleModelGuarantees>>>> {
    let list = store::model_guarantees(&state.db, path.network_id).await?;
    Ok(ok(list.into_iter().map(Into::into).collect()))
}

/// Update vehicle guarantees
#[utoipa::path(put, path = "/dashboard/networks/{network_id}/vehicle-model-guarantees/{model_id}", tag = "Networks",
    summary = "Update vehicle guarantees",
    description = "Update vehicle guarantees for a specific network and vehicle model. The body is `multipart/form-data` with text fields `guarantee` and `pre_auth`: decimal amounts >= 0 in the network's currency with at most four decimal places (`300`, `49.90`). Guarantees concern billing only: no command is sent to the vehicles. Refused (-41) on a closed network.",
    params(NetworkModelPath),
    request_body(content = UpdateVehicleGuaranteesRequest, content_type = "multipart/form-data", description = "The new guarantee."),
    extensions(("x-permission" = json!(write(Permission::VehiclesManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body or path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network or vehicle model (-2, naming `model_id`)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody),
        (status = 415, description = "Body not multipart/form-data (-12)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_vehicle_guarantees(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkModelPath>,
    ValidMultipart(body): ValidMultipart<UpdateVehicleGuaranteesRequest>,
) -> ApiResult<Json<Done>> {
    store::set_model_guarantees(
        &state.db,
        path.network_id,
        path.model_id,
        body.guarantee,
        body.pre_auth,
    )
    .await?;
    tracing::info!(
        network_id = path.network_id,
        model_id = path.model_id,
        user_id = auth.user_id(),
        "vehicle model guarantees updated"
    );
    Ok(done())
}

/// Get networks vehicle speed settings
#[utoipa::path(get, path = "/dashboard/networks/{network_id}/vehicle-speed-settings", tag = "Networks",
    summary = "Get networks vehicle speed settings",
    description = "Get the speed settings for vehicles of the network, in km/h (a new network has 15, 20 and 25 and no slow down).",
    params(NetworkPath),
    extensions(("x-permission" = json!(read(Permission::VehiclesManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The network's speed settings", body = Envelope<VehicleSpeedSettings>),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody)))]
pub async fn get_speed_settings(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<VehicleSpeedSettings>>> {
    let speeds = store::speed_settings(&state.db, path.network_id).await?;
    Ok(ok(speeds.into()))
}

/// Update networks vehicle speed settings
#[utoipa::path(put, path = "/dashboard/networks/{network_id}/vehicle-speed-settings", tag = "Networks",
    summary = "Update networks vehicle speed settings",
    description = "Update the speed settings for vehicles of the network. The body is `multipart/form-data` with text fields. Speeds are integers from 1 to 45 km/h with `default_low_speed` <= `default_medium_speed` <= `default_high_speed`; `min_battery_to_slow_down` (0 to 100 %) and `battery_slow_down_speed` (1 to 45 km/h) are both set or both null (no slow down), null sent as an empty field or the text `null`. Broken rules answer -11 naming the field at fault. In the same transaction, an `apply-speed-settings` command is queued for every vehicle in service on the network (superseding any such command not delivered yet). Refused (-41) on a closed network.",
    params(NetworkPath),
    request_body(content = UpdateSpeedSettingsRequest, content_type = "multipart/form-data", description = "The new settings."),
    extensions(("x-permission" = json!(write(Permission::VehiclesManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body or path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody),
        (status = 415, description = "Body not multipart/form-data (-12)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_speed_settings(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidMultipart(body): ValidMultipart<UpdateSpeedSettingsRequest>,
) -> ApiResult<Json<Done>> {
    let speeds = body.consistent()?;
    let queued = store::set_speed_settings(&state.db, path.network_id, speeds).await?;
    tracing::info!(
        network_id = path.network_id,
        queued,
        user_id = auth.user_id(),
        "vehicle speed settings updated"
    );
    Ok(done())
}

/// Reset vehicles settings
#[utoipa::path(post, path = "/dashboard/networks/{network_id}/vehicles/reset-settings", tag = "Networks",
    summary = "Reset vehicles settings",
    description = "Reset all vehicles settings with IoT for a specific network: a `reset-settings` command carrying the full effective settings (the network's speed settings, and the model's automatic light and blocked speed mode, `false`/null when the model has none) is queued for every vehicle in service on the network. It supersedes the settings commands of those vehicles not delivered yet. Answers how many commands were queued. Refused (-41) on a closed network.",
    params(NetworkPath),
    extensions(("x-permission" = json!(write(Permission::VehiclesManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "Queued", body = Envelope<ResetSummary>),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody)))]
pub async fn reset_vehicles_settings(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<ResetSummary>>> {
    let queued = store::reset_settings(&state.db, path.network_id).await?;
    tracing::info!(
        network_id = path.network_id,
        queued,
        user_id = auth.user_id(),
        "vehicles settings reset"
    );
    Ok(ok(ResetSummary { queued }))
}
