//! The free-float to station reward: what a user earns for bringing a free-floating vehicle
//! back to a station.

use crate::access::{Authorized, read, write};
use crate::dashboard::networks::NetworkPath;
use crate::envelope::{Envelope, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath, stored_precision};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use relais_domain::{Permission, money};
use relais_store::entity::network;
use relais_store::network_settings::FreefloatRewardChange;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_freefloat_reward, update_freefloat_reward))
}

/// Constraint: a reward amount between 0 and 99999999, at most four decimal places.
fn reward_amount(amount: &Decimal) -> Result<(), ValidationError> {
    if *amount < Decimal::ZERO || *amount > Decimal::from(99_999_999) {
        return Err(
            ValidationError::new("range").with_message("must be between 0 and 99999999".into())
        );
    }
    stored_precision(amount)
}

/// The free-float to station reward of a network; null where there is none.
#[derive(Debug, Serialize, ToSchema)]
pub struct FreefloatReward {
    /// Given to the user per km made on a trip from free-float to a station.
    #[schema(value_type = Option<String>, example = "0.10")]
    pub freefloat_to_station_discount_per_km: Option<Decimal>,
    /// Given for a vehicle that returns to a station.
    #[schema(value_type = Option<String>, example = "1.00")]
    pub freefloat_to_station_free_credits: Option<Decimal>,
    /// Given for a vehicle that returns to a receiver station.
    #[schema(value_type = Option<String>, example = "2.00")]
    pub freefloat_to_receiver_station_free_credits: Option<Decimal>,
    /// Above this battery level the rewards are not granted.
    pub freefloat_to_station_min_battery: Option<i32>,
}

impl From<&network::Model> for FreefloatReward {
    fn from(n: &network::Model) -> Self {
        FreefloatReward {
            freefloat_to_station_discount_per_km: n
                .freefloat_to_station_discount_per_km
                .map(money::from_stored),
            freefloat_to_station_free_credits: n
                .freefloat_to_station_free_credits
                .map(money::from_stored),
            freefloat_to_receiver_station_free_credits: n
                .freefloat_to_receiver_station_free_credits
                .map(money::from_stored),
            freefloat_to_station_min_battery: n.freefloat_to_station_min_battery,
        }
    }
}

/// Freefloat to station rewards. Each field is optional: absent keeps the value, null clears it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFreefloatRewardRequest {
    /// The amount given to the user per km made on a trip from freefloat to a station.
    #[serde(default, with = "serde_with::rust::double_option")]
    #[validate(custom(function = "reward_amount"))]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 99999999)]
    pub freefloat_to_station_discount_per_km: Option<Option<Decimal>>,
    /// The amount given for a vehicle that returns to a station.
    #[serde(default, with = "serde_with::rust::double_option")]
    #[validate(custom(function = "reward_amount"))]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 99999999)]
    pub freefloat_to_station_free_credits: Option<Option<Decimal>>,
    /// The amount given for a vehicle that returns to a station that is a receiver.
    #[serde(default, with = "serde_with::rust::double_option")]
    #[validate(custom(function = "reward_amount"))]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 99999999)]
    pub freefloat_to_receiver_station_free_credits: Option<Option<Decimal>>,
    /// The minimum battery level of the vehicle. If the vehicle has a greater battery level the rewards won't be granted.
    #[serde(default, with = "serde_with::rust::double_option")]
    #[validate(range(min = 0, max = 100))]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 100)]
    pub freefloat_to_station_min_battery: Option<Option<i32>>,
}

/// Get freefloat to station reward
#[utoipa::path(get, path = "/dashboard/networks/{network_id}/freefloat-reward", tag = "Networks",
    summary = "Get freefloat to station reward",
    description = "Return freefloat to station reward of the specified network. Amounts are in the network's currency; null where no reward is set.",
    params(NetworkPath),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The free-float to station reward", body = Envelope<FreefloatReward>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody)))]
pub async fn get_freefloat_reward(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<FreefloatReward>>> {
    let network = relais_store::networks::existing(&state.db, path.network_id).await?;
    Ok(ok(FreefloatReward::from(&network)))
}

/// Update freefloat to station reward
#[utoipa::path(patch, path = "/dashboard/networks/{network_id}/freefloat-reward", tag = "Networks",
    summary = "Update freefloat to station reward",
    description = "Update freefloat to station reward of the specified network. Each field is optional: an absent field keeps its value, `null` clears it (no such reward). Amounts are in the network's currency, at most four decimal places.",
    params(NetworkPath),
    request_body(content = UpdateFreefloatRewardRequest, description = "Freefloat to station rewards."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The free-float to station reward now in force", body = Envelope<FreefloatReward>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_freefloat_reward(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidJson(body): ValidJson<UpdateFreefloatRewardRequest>,
) -> ApiResult<Json<Envelope<FreefloatReward>>> {
    let network = relais_store::network_settings::update_freefloat_reward(
        &state.db,
        path.network_id,
        FreefloatRewardChange {
            discount_per_km: body.freefloat_to_station_discount_per_km,
            station_free_credits: body.freefloat_to_station_free_credits,
            receiver_station_free_credits: body.freefloat_to_receiver_station_free_credits,
            min_battery: body.freefloat_to_station_min_battery,
        },
    )
    .await?;
    tracing::info!(
        network_id = path.network_id,
        user_id = auth.user_id(),
        "free-float to station reward updated"
    );
    Ok(ok(FreefloatReward::from(&network)))
}
