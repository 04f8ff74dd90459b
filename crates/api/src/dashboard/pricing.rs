//! Seed group `Pricing`: the weekly pricing rules of each network.
//!
//! A rule is in force during a weekly window in the network's local time, from `start_dow`
//! `start_hod` (included) to `end_dow` `end_hod` (excluded); day 0 is Sunday, `24:00:00` is the
//! end of a day, and a window ending before its start in the week wraps over Saturday night. The
//! semantics (windows, overlap, price of a trip) are those of [`relais_domain::pricing`]; this
//! module only reads, checks and stores rules.
//!
//! Decisions:
//! - Pricing is part of a network's configuration: reading needs `networks.manage`, changing it
//!   `networks.manage` with write, over the network concerned.
//! - The rules of a network may not overlap (touching at a boundary is allowed): a rule that
//!   would overlap another is refused with -41, naming the other rule.
//! - A rule stays on its network: "Update pricing" must repeat the rule's `network_id` (-11
//!   otherwise). Prices are in the network's currency, so moving a rule to another network is
//!   deleting it and adding it there.
//! - A closed network keeps its rules readable, but refuses every change (-41).

use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{
    CommaSeparated, ValidJson, ValidPath, ValidQuery, non_negative_amount, unique_id_list,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::money;
use relais_domain::pricing::{HourOfDay, PricingError, PricingRule, WeeklyWindow};
use relais_domain::{Object, Permission};
use relais_store::StoreError;
use relais_store::entity::pricing_rule;
use relais_store::pricing::{Overlap, Saved};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_pricing, add_pricing))
        .routes(routes!(update_pricing, delete_pricing))
}

/// The pattern of an hour of day, as the seed gives it.
const HOD_PATTERN: &str = r"^((([0-1]?\d|2[0-3]):[0-5]\d:[0-5]\d)|24:00:00)$";

/// Which networks to read the pricing of.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PricingQuery {
    /// Identifier of networks of which to get the pricing, comma-separated: `networks=5`,
    /// `networks=1,5,7`. Each at least 1, no repeats.
    // Checked by the handler: `validator` would need `CommaSeparated` to be `Serialize`.
    #[param(value_type = Vec<i64>, style = Form, explode = false, example = "1,5,7")]
    pub networks: CommaSeparated<i64>,
}

/// The pricing rule named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PricingPath {
    /// The pricing's identifier.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// Pricing parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PricingRequest {
    /// The start day of week. 0 is Sunday.
    #[validate(range(min = 0, max = 6))]
    #[schema(minimum = 0, maximum = 6)]
    pub start_dow: i32,
    /// The time when the rule start (Network local time).
    #[validate(custom(function = "hour_of_day"))]
    #[schema(
        pattern = r"^((([0-1]?\d|2[0-3]):[0-5]\d:[0-5]\d)|24:00:00)$",
        example = "07:00:00"
    )]
    pub start_hod: String,
    /// The end day of week. 0 is Sunday.
    #[validate(range(min = 0, max = 6))]
    #[schema(minimum = 0, maximum = 6)]
    pub end_dow: i32,
    /// The time when the rule end (Network local time). `24:00:00` is the end of the day.
    #[validate(custom(function = "hour_of_day"))]
    #[schema(
        pattern = r"^((([0-1]?\d|2[0-3]):[0-5]\d:[0-5]\d)|24:00:00)$",
        example = "20:00:00"
    )]
    pub end_hod: String,
    /// The price to unlock a vehicle on the network. At most four decimal places.
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0, example = 1.0)]
    pub unlock_price: Decimal,
    /// Use time in second included in the unlock price. Once this time has elapsed, the use price per minute applies.
    #[validate(range(min = 0, max = 2_147_483_647))]
    #[schema(minimum = 0, maximum = 2_147_483_647, example = 300)]
    pub unlock_included_time: i64,
    /// The price to lock a vehicle in freefloat mode on the network. At most four decimal places.
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0, example = 2.0)]
    pub freefloat_lock_price: Decimal,
    /// The price by minute to rent a vehicle on the network. At most four decimal places.
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0, example = 0.25)]
    pub use_per_minute_price: Decimal,
    /// The price by minute to keep a vehicle on-hold (rented but locked). Usually lower than use_per_minute_price. At most four decimal places.
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0, example = 0.1)]
    pub on_hold_price: Decimal,
    /// Network identifier on which this price applies.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub network_id: i64,
}

/// Constraint: an hour of day `HH:MM:SS` (00:00:00 to 23:59:59) or `24:00:00`.
fn hour_of_day(text: &str) -> Result<(), ValidationError> {
    HourOfDay::parse(text).map(|_| ()).map_err(|_| {
        ValidationError::new("pattern").with_message(
            format!(
                "must be HH:MM:SS from 00:00:00 to 23:59:59, or 24:00:00 (pattern {HOD_PATTERN})"
            )
            .into(),
        )
    })
}

impl PricingRequest {
    /// The rule the (already validated) request describes; refuses an empty window.
    fn rule(&self) -> Result<PricingRule, ApiError> {
        let dow = |field: &str, dow: i32| {
            u8::try_from(dow).map_err(|_| ApiError::field(field, "must be between 0 and 6"))
        };
        let window = WeeklyWindow::parse(
            dow("start_dow", self.start_dow)?,
            &self.start_hod,
            dow("end_dow", self.end_dow)?,
            &self.end_hod,
        )
        .map_err(|err| match err {
            PricingError::EmptyWindow => ApiError::field("end_hod", err.to_string()),
            other => ApiError::field("start_hod", other.to_string()),
        })?;
        let included = u32::try_from(self.unlock_included_time)
            .map_err(|_| ApiError::field("unlock_included_time", "must be at least 0"))?;
        let rule = PricingRule {
            window,
            unlock_price: self.unlock_price,
            unlock_included_time: included,
            freefloat_lock_price: self.freefloat_lock_price,
            use_per_minute_price: self.use_per_minute_price,
            on_hold_price: self.on_hold_price,
        };
        rule.validate().map_err(|err| match err {
            PricingError::NegativePrice { field } => ApiError::field(field, err.to_string()),
            other => ApiError::field("body", other.to_string()),
        })?;
        Ok(rule)
    }
}

/// A pricing rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct PricingRuleItem {
    pub id: i64,
    pub network_id: i64,
    /// The start day of week. 0 is Sunday.
    pub start_dow: i16,
    /// Start time, included (network local time).
    #[schema(example = "07:00:00")]
    pub start_hod: String,
    /// The end day of week. 0 is Sunday.
    pub end_dow: i16,
    /// End time, excluded (network local time); `24:00:00` is the end of the day.
    #[schema(example = "20:00:00")]
    pub end_hod: String,
    /// Price to unlock a vehicle, in the network's currency.
    #[schema(value_type = String, example = "1.00")]
    pub unlock_price: Decimal,
    /// Use time included in the unlock price, in seconds.
    pub unlock_included_time: i32,
    /// Price to lock a vehicle in free floating.
    #[schema(value_type = String, example = "2.00")]
    pub freefloat_lock_price: Decimal,
    /// Price per minute of use beyond the included time.
    #[schema(value_type = String, example = "0.25")]
    pub use_per_minute_price: Decimal,
    /// Price per minute on hold (rented but locked).
    #[schema(value_type = String, example = "0.10")]
    pub on_hold_price: Decimal,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn hod(seconds: i32) -> String {
    u32::try_from(seconds)
        .ok()
        .and_then(HourOfDay::from_seconds)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

impl From<pricing_rule::Model> for PricingRuleItem {
    fn from(m: pricing_rule::Model) -> Self {
        PricingRuleItem {
            id: m.id,
            network_id: m.network_id,
            start_dow: m.start_dow,
            start_hod: hod(m.start_hod),
            end_dow: m.end_dow,
            end_hod: hod(m.end_hod),
            unlock_price: money::from_stored(m.unlock_price),
            unlock_included_time: m.unlock_included_time,
            freefloat_lock_price: money::from_stored(m.freefloat_lock_price),
            use_per_minute_price: money::from_stored(m.use_per_minute_price),
            on_hold_price: money::from_stored(m.on_hold_price),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The pricing of one network.
#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkPricing {
    pub network_id: i64,
    /// The currency of every price of the rules (ISO 4217).
    pub currency: String,
    /// The time zone the windows are in (IANA).
    pub timezone: String,
    /// The rules, by start in the week (Sunday 00:00:00 first).
    pub rules: Vec<PricingRuleItem>,
}

fn overlap_error(found: Overlap) -> ApiError {
    let id = found.rule_id;
    ApiError::new(
        ErrorCode::Refused,
        format!("this rule overlaps pricing rule {id} of the same network; rules of a network may touch but not overlap"),
    )
    .with_field("start_dow", format!("the window overlaps pricing rule {id}"))
}

fn saved(result: Saved) -> ApiResult<Json<Envelope<PricingRuleItem>>> {
    match result {
        Ok(model) => Ok(ok(PricingRuleItem::from(model))),
        Err(found) => Err(overlap_error(found)),
    }
}

/// Get pricing
#[utoipa::path(get, path = "/dashboard/pricing", tag = "Pricing",
    summary = "Get pricing",
    description = "Return pricing (price by minute of rent, price to unlock and to free float lock) of the specified network.\n\nAnswers one entry per network asked for, in the order asked, with the network's currency and time zone and its rules by start in the week. Hours are `HH:MM:SS` in network local time (a rule is in force from its start, included, to its end, excluded; `24:00:00` is the end of a day; a window ending before its start wraps over Saturday night), amounts are decimal strings in the network's currency. Closed networks are readable. Needs `networks.manage` over every network asked for.",
    params(PricingQuery),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).object_in_query("networks", Object::Network)))),
    responses(
        (status = 200, description = "The pricing of each network", body = Envelope<Vec<NetworkPricing>>),
        (status = 400, description = "Missing or malformed `networks` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Repeated or invalid network id (-11)", body = ErrorBody)))]
pub async fn get_pricing(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<PricingQuery>,
) -> ApiResult<Json<Envelope<Vec<NetworkPricing>>>> {
    unique_id_list(&query.networks).map_err(|err| {
        let problem = err.message.map(|m| m.to_string()).unwrap_or_default();
        ApiError::field("networks", problem)
    })?;
    let ids = query.networks.as_slice();
    let mut networks = Vec::with_capacity(ids.len());
    for &id in ids {
        let network = relais_store::networks::existing(&state.db, id)
            .await
            .map_err(|err| match err {
                StoreError::NotFound { .. } => ApiError::not_found("network")
                    .with_field("networks", format!("no such network: {id}")),
                other => other.into(),
            })?;
        networks.push(network);
    }
    let mut by_network: HashMap<i64, Vec<PricingRuleItem>> = HashMap::new();
    for rule in relais_store::pricing::list(&state.db, ids).await? {
        by_network
            .entry(rule.network_id)
            .or_default()
            .push(PricingRuleItem::from(rule));
    }
    Ok(ok(networks
        .into_iter()
        .map(|n| NetworkPricing {
            rules: by_network.remove(&n.id).unwrap_or_default(),
            network_id: n.id,
            currency: n.currency,
            timezone: n.timezone,
        })
        .collect()))
}

/// Add pricing
#[utoipa::path(post, path = "/dashboard/pricing", tag = "Pricing",
    summary = "Add pricing",
    description = "Add a pricing rule for the specified network.\n\nThe rule is in force from `start_dow` `start_hod` (included) to `end_dow` `end_hod` (excluded), in network local time; `24:00:00` is the end of a day, a window ending before its start wraps over Saturday night, the whole week is Sunday 00:00:00 to Saturday 24:00:00, and a window ending where it starts is refused (-11). Rules of a network may touch (one ending at 20:00:00, the next starting at 20:00:00) but not overlap: a rule overlapping another rule of the network is refused (-41, naming that rule). Prices are in the network's currency, at most four decimal places. The network must be within the caller's scope of `networks.manage` with write (-31), and not closed (-41). Answers the new rule.",
    request_body(content = PricingRequest, description = "Pricing parameters."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_body("network_id", Object::Network)))),
    responses(
        (status = 200, description = "The new rule", body = Envelope<PricingRuleItem>),
        (status = 400, description = "Malformed body, missing or unknown field (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "The rule overlaps another rule of the network, or the network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn add_pricing(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<PricingRequest>,
) -> ApiResult<Json<Envelope<PricingRuleItem>>> {
    let rule = body.rule()?;
    let result = relais_store::pricing::create(&state.db, body.network_id, &rule).await?;
    if let Ok(model) = &result {
        tracing::info!(
            pricing_rule_id = model.id,
            network_id = model.network_id,
            user_id = auth.user_id(),
            "pricing rule added"
        );
    }
    saved(result)
}

/// Update pricing
#[utoipa::path(put, path = "/dashboard/pricing/{id}", tag = "Pricing",
    summary = "Update pricing",
    description = "Update the specified pricing rule.\n\nReplaces every field of the rule, with the same rules as \"Add pricing\"; the rule is checked for overlap against the other rules of its network (it may keep or change its own window). `network_id` must be the rule's network (-11 otherwise): prices are in the network's currency, so a rule does not move between networks (delete it and add it to the other one). The rule's network must be within the caller's scope of `networks.manage` with write (-31) and not closed (-41). Answers the updated rule.",
    params(PricingPath),
    request_body(content = PricingRequest, description = "Pricing parameters."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("id", Object::PricingRule)))),
    responses(
        (status = 200, description = "The updated rule", body = Envelope<PricingRuleItem>),
        (status = 400, description = "Malformed body, missing or unknown field (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or rule of a network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such pricing rule (-2)", body = ErrorBody),
        (status = 409, description = "The rule would overlap another rule of the network, or the network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body, or `network_id` is not the rule's network (-11)", body = ErrorBody)))]
pub async fn update_pricing(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<PricingPath>,
    ValidJson(body): ValidJson<PricingRequest>,
) -> ApiResult<Json<Envelope<PricingRuleItem>>> {
    let rule = body.rule()?;
    let current = relais_store::pricing::get(&state.db, path.id).await?;
    if body.network_id != current.network_id {
        return Err(ApiError::field(
            "network_id",
            format!(
                "must be the rule's network ({}): a pricing rule cannot move to another network",
                current.network_id
            ),
        ));
    }
    let result = relais_store::pricing::update(&state.db, path.id, &rule).await?;
    if result.is_ok() {
        tracing::info!(
            pricing_rule_id = path.id,
            network_id = current.network_id,
            user_id = auth.user_id(),
            "pricing rule updated"
        );
    }
    saved(result)
}

/// Delete pricing
#[utoipa::path(delete, path = "/dashboard/pricing/{id}", tag = "Pricing",
    summary = "Delete pricing",
    description = "Delete the specified pricing rule. The rule's network must be within the caller's scope of `networks.manage` with write (-31) and not closed (-41). Time no rule covers is free.",
    params(PricingPath),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("id", Object::PricingRule)))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or rule of a network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such pricing rule (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody)))]
pub async fn delete_pricing(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<PricingPath>,
) -> ApiResult<Json<Done>> {
    let current = relais_store::pricing::get(&state.db, path.id).await?;
    relais_store::pricing::delete(&state.db, path.id).await?;
    tracing::info!(
        pricing_rule_id = path.id,
        network_id = current.network_id,
        user_id = auth.user_id(),
        "pricing rule deleted"
    );
    Ok(done())
}
