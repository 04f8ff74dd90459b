//! Sponsorship rewards, rent settings and rent timings of a network.

use crate::access::{Authorized, read, write};
use crate::dashboard::networks::NetworkPath;
use crate::envelope::{Envelope, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::required_nullable;
use crate::extract::{ValidJson, ValidPath, non_negative_amount};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use relais_domain::{Permission, money};
use relais_store::entity::network;
use relais_store::network_settings::{
    RentSettings as StoredRentSettings, RentTimings as StoredRentTimings,
    Sponsorship as StoredSponsorship,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_sponsorship))
        .routes(routes!(get_rent_settings, update_rent_settings))
        .routes(routes!(update_rent_timings))
}

/// The sponsorship rewards of a network, in its currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sponsorship {
    /// Given to the wallet of the user that sponsored another user.
    #[schema(value_type = String, example = "5.00")]
    pub sponsoring_reward: Decimal,
    /// Given to the wallet of the sponsored user, after their first trip.
    #[schema(value_type = String, example = "5.00")]
    pub sponsored_reward: Decimal,
}

/// The rent settings of a network.
#[derive(Debug, Serialize, ToSchema)]
pub struct RentSettings {
    /// The amount of the vehicle guarantee, in the network's currency.
    #[schema(value_type = String, example = "150.00")]
    pub default_vehicle_guarantee: Decimal,
    /// Trips to finish before the pre-authorization is skipped (-1: always, 0: never).
    pub trip_to_skip_pre_auth_guarantee: i32,
    pub first_purchase_required: bool,
    pub min_battery_to_rent: i32,
    pub max_simultaneous_rented_vehicle: i32,
    pub trip_on_hold: bool,
    pub credit_depletion_auto_lock: bool,
    /// Null: no lock on low battery.
    pub min_battery_to_auto_lock: Option<i32>,
}

/// The rent timings of a network, in seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct RentTimings {
    pub trip_too_long_notifications: i32,
    pub trip_too_long_notifications_frequency: i32,
    pub vehicle_stolen: i32,
    pub trip_auto_pause: i32,
    pub trip_max_pause: i32,
    pub trip_auto_lock: i32,
}

/// The rent settings and timings of a network.
#[derive(Debug, Serialize, ToSchema)]
pub struct RentConfiguration {
    pub settings: RentSettings,
    pub timings: RentTimings,
}

impl From<&network::Model> for Sponsorship {
    fn from(n: &network::Model) -> Self {
        Sponsorship {
            sponsoring_reward: money::from_stored(n.sponsoring_reward),
            sponsored_reward: money::from_stored(n.sponsored_reward),
        }
    }
}

impl From<&network::Model> for RentSettings {
    fn from(n: &network::Model) -> Self {
        RentSettings {
            default_vehicle_guarantee: money::from_stored(n.default_vehicle_guarantee),
            trip_to_skip_pre_auth_guarantee: n.trip_to_skip_pre_auth_guarantee,
            first_purchase_required: n.first_purchase_required,
            min_battery_to_rent: n.min_battery_to_rent,
            max_simultaneous_rented_vehicle: n.max_simultaneous_rented_vehicle,
            trip_on_hold: n.trip_on_hold,
            credit_depletion_auto_lock: n.credit_depletion_auto_lock,
            min_battery_to_auto_lock: n.min_battery_to_auto_lock,
        }
    }
}

impl From<&network::Model> for RentTimings {
    fn from(n: &network::Model) -> Self {
        RentTimings {
            trip_too_long_notifications: n.trip_too_long_notifications,
            trip_too_long_notifications_frequency: n.trip_too_long_notifications_frequency,
            vehicle_stolen: n.vehicle_stolen,
            trip_auto_pause: n.trip_auto_pause,
            trip_max_pause: n.trip_max_pause,
            trip_auto_lock: n.trip_auto_lock,
        }
    }
}

/// The new reward amount for sponsorship.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSponsorshipRequest {
    /// The amount given to the wallet of the user that sponsored another user.
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0, example = 5)]
    pub sponsoring_reward: Decimal,
    /// The amount given to the wallet of the sponsored user, when he made his first trip.
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0, example = 5)]
    pub sponsored_reward: Decimal,
}

/// Rent settings.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRentSettingsRequest {
    /// The amount of the vehicle guarantee.
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0, example = 150)]
    pub default_vehicle_guarantee: Decimal,
    /// Number of trips to be finished in order not to skip the pre-authorization (-1: mandatory pre-authorization, 0: never pre-authorization).
    #[validate(range(min = -1))]
    #[schema(minimum = -1, example = 3)]
    pub trip_to_skip_pre_auth_guarantee: i32,
    /// Force user to do a purchase before renting for the first time.
    pub first_purchase_required: bool,
    /// The minimum battery level of a vehicle to be able to rent it.
    #[validate(range(min = 10, max = 95))]
    #[schema(minimum = 10, maximum = 95, example = 20)]
    pub min_battery_to_rent: i32,
    /// Maximum number of vehicle that can be rented at the same time by one user.
    #[validate(range(min = 1, max = 10))]
    #[schema(minimum = 1, maximum = 10, example = 1)]
    pub max_simultaneous_rented_vehicle: i32,
    /// Indicate if user can put trip on hold (temporary lock).
    pub trip_on_hold: bool,
    /// Force to lock the vehicle if user doesn't has enough credit on it's account.
    pub credit_depletion_auto_lock: bool,
    /// Force to lock the vehicle if the battery is lower than the indicated level. Required; null for no such lock.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(range(min = 1, max = 50))]
    #[schema(required = true, minimum = 1, maximum = 50, example = 10)]
    pub min_battery_to_auto_lock: Option<i32>,
}

/// Rent timings. All values are in seconds.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRentTimingsRequest {
    /// Time after which the user will receive notifications that his trip is too long and he should return the vehicle.
    #[validate(range(min = 3600, max = 604800))]
    #[schema(minimum = 3600, maximum = 604800, example = 14400)]
    pub trip_too_long_notifications: i32,
    /// Frequency in seconds of sending return vehicle notifications.
    #[validate(range(min = 900, max = 604800))]
    #[schema(minimum = 900, maximum = 604800, example = 3600)]
    pub trip_too_long_notifications_frequency: i32,
    /// Time after which a vehicle is considered stolen if it is still not returned.
    #[validate(range(min = 43200, max = 2592000))]
    #[schema(minimum = 43200, maximum = 2592000, example = 172800)]
    pub vehicle_stolen: i32,
    /// Time after which the trip will be on-hold (temporarily lock) if the vehicle doesn't move anymore.
    #[validate(range(min = 0, max = 604800))]
    #[schema(minimum = 0, maximum = 604800, example = 0)]
    pub trip_auto_pause: i32,
    /// Maximum duration of a pause. If the user doesn't unlock the vehicle after this delay, the trip will be stopped and the vehicle will be available to everyone.
    #[validate(range(min = 0, max = 604800))]
    #[schema(minimum = 0, maximum = 604800, example = 3600)]
    pub trip_max_pause: i32,
    /// Maximum duration of a trip. The vehicle will be lock and the trip stopped if it exceed this value.
    #[validate(range(min = 0, max = 604800))]
    #[schema(minimum = 0, maximum = 604800, example = 86400)]
    pub trip_auto_lock: i32,
}

/// Update network sponsorship
#[utoipa::path(put, path = "/dashboard/networks/{network_id}/sponsorship", tag = "Networks",
    summary = "Update network sponsorship",
    description = "Update network the amount of sponsorship rewards. Amounts are in the network's currency, at most four decimal places.",
    params(NetworkPath),
    request_body(content = UpdateSponsorshipRequest, description = "The new reward amount for sponsorship."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The sponsorship rewards now in force", body = Envelope<Sponsorship>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_sponsorship(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidJson(body): ValidJson<UpdateSponsorshipRequest>,
) -> ApiResult<Json<Envelope<Sponsorship>>> {
    let network = relais_store::network_settings::update_sponsorship(
        &state.db,
        path.network_id,
        StoredSponsorship {
            sponsoring_reward: body.sponsoring_reward,
            sponsored_reward: body.sponsored_reward,
        },
    )
    .await?;
    tracing::info!(
        network_id = path.network_id,
        user_id = auth.user_id(),
        "sponsorship updated"
    );
    Ok(ok(Sponsorship::from(&network)))
}

/// Get rent settings
#[utoipa::path(get, path = "/dashboard/networks/{network_id}/rent-settings", tag = "Networks",
    summary = "Get rent settings",
    description = "Return rent settings and timings of the specified network.",
    params(NetworkPath),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The rent settings and timings", body = Envelope<RentConfiguration>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody)))]
pub async fn get_rent_settings(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<RentConfiguration>>> {
    let network = relais_store::networks::existing(&state.db, path.network_id).await?;
    Ok(ok(RentConfiguration {
        settings: RentSettings::from(&network),
        timings: RentTimings::from(&network),
    }))
}

/// Update rent settings
#[utoipa::path(put, path = "/dashboard/networks/{network_id}/rent-settings", tag = "Networks",
    summary = "Update rent settings",
    description = "Update rent settings of the specified network. Every setting is required; `min_battery_to_auto_lock` may be null (no lock on low battery).",
    params(NetworkPath),
    request_body(content = UpdateRentSettingsRequest, description = "Rent settings."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The rent settings now in force", body = Envelope<RentSettings>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_rent_settings(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidJson(body): ValidJson<UpdateRentSettingsRequest>,
) -> ApiResult<Json<Envelope<RentSettings>>> {
    let network = relais_store::network_settings::update_rent_settings(
        &state.db,
        path.network_id,
        StoredRentSettings {
            default_vehicle_guarantee: body.default_vehicle_guarantee,
            trip_to_skip_pre_auth_guarantee: body.trip_to_skip_pre_auth_guarantee,
            first_purchase_required: body.first_purchase_required,
            min_battery_to_rent: body.min_battery_to_rent,
            max_simultaneous_rented_vehicle: body.max_simultaneous_rented_vehicle,
            trip_on_hold: body.trip_on_hold,
            credit_depletion_auto_lock: body.credit_depletion_auto_lock,
            min_battery_to_auto_lock: body.min_battery_to_auto_lock,
        },
    )
    .await?;
    tracing::info!(
        network_id = path.network_id,
        user_id = auth.user_id(),
        "rent settings updated"
    );
    Ok(ok(RentSettings::from(&network)))
}

/// Update rent timings
#[utoipa::path(put, path = "/dashboard/networks/{network_id}/rent-settings/timings", tag = "Networks",
    summary = "Update rent timings",
    description = "Update rent timings of the specified network. All values are whole seconds.",
    params(NetworkPath),
    request_body(content = UpdateRentTimingsRequest, description = "Rent timings. All values are in seconds."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The rent timings now in force", body = Envelope<RentTimings>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_rent_timings(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidJson(body): ValidJson<UpdateRentTimingsRequest>,
) -> ApiResult<Json<Envelope<RentTimings>>> {
    let network = relais_store::network_settings::update_rent_timings(
        &state.db,
        path.network_id,
        StoredRentTimings {
            trip_too_long_notifications: body.trip_too_long_notifications,
            trip_too_long_notifications_frequency: body.trip_too_long_notifications_frequency,
            vehicle_stolen: body.vehicle_stolen,
            trip_auto_pause: body.trip_auto_pause,
            trip_max_pause: body.trip_max_pause,
            trip_auto_lock: body.trip_auto_lock,
        },
    )
    .await?;
    tracing::info!(
        network_id = path.network_id,
        user_id = auth.user_id(),
        "rent timings updated"
    );
    Ok(ok(RentTimings::from(&network)))
}
