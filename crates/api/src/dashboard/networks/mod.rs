//! Seed group `Networks`: the operator's networks and their settings.
//!
//! This module holds the networks themselves (list, creation, selector, detail, correction,
//! closing); each family of settings has its own submodule. Every change to a network or to
//! what belongs to it goes through `relais_store::networks::open`, so a closed network refuses
//! them all (-41).

use crate::access::{Authorized, authenticated, read, write};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath, non_negative_amount, rate};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::reference::{CurrencyCode, TimeZone, country};
use relais_domain::{Permission, Scope, money};
use relais_store::entity::{network, third_party};
use relais_store::networks::{NetworkChange, NetworkOverview, NewNetwork};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

pub mod balancing;
pub mod notifications;
pub mod settings;
pub mod vehicles;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(balancing::router())
        .merge(notifications::router())
        .merge(settings::router())
        .merge(vehicles::router())
        .routes(routes!(get_networks, create_network))
        .routes(routes!(get_short_networks))
        .routes(routes!(get_network, update_network, delete_network))
}

/// The network named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct NetworkPath {
    /// Identifier of the network.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub network_id: i64,
}

/// The company owning a network.
#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkOwner {
    pub id: i64,
    pub name: String,
}

impl From<third_party::Model> for NetworkOwner {
    fn from(t: third_party::Model) -> Self {
        NetworkOwner {
            id: t.id,
            name: t.name,
        }
    }
}

/// A country as networks show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountryRef {
    /// ISO 3166-1 numeric code, the `country_id` of requests.
    pub id: i32,
    /// ISO 3166-1 alpha-2 code.
    pub code: String,
    pub name: String,
}

impl CountryRef {
    /// The country of an ISO 3166-1 numeric code (code and name empty when unknown).
    pub fn of(id: i32) -> Self {
        let known = u16::try_from(id).ok().and_then(country);
        CountryRef {
            id,
            code: known.map(|c| c.alpha2.to_owned()).unwrap_or_default(),
            name: known.map(|c| c.name.to_owned()).unwrap_or_default(),
        }
    }
}

/// Whether a network is in activity.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NetworkStatus {
    Active,
    /// Closed for good: visible with its history, no longer changeable.
    Closed,
}

/// A network with its indicators, as "Get networks" lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkItem {
    pub id: i64,
    pub name: String,
    pub status: NetworkStatus,
    /// The third party owning the network, if any.
    pub owner: Option<NetworkOwner>,
    pub country: CountryRef,
    pub currency: String,
    pub timezone: String,
    pub app_label_id: i64,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Stations in service.
    pub total_stations: u64,
    /// Vehicles in service.
    pub total_vehicles: u64,
    /// Trips ever made.
    pub total_trips: u64,
}

impl From<NetworkOverview> for NetworkItem {
    fn from(o: NetworkOverview) -> Self {
        let n = o.network;
        NetworkItem {
            id: n.id,
            name: n.name,
            status: status(&n.closed_at),
            owner: o.owner.map(NetworkOwner::from),
            country: CountryRef::of(n.country_id),
            currency: n.currency,
            timezone: n.timezone,
            app_label_id: n.app_label_id,
            created_at: n.created_at,
            closed_at: n.closed_at,
            total_stations: o.total_stations,
            total_vehicles: o.total_vehicles,
            total_trips: o.total_trips,
        }
    }
}

fn status(closed_at: &Option<DateTime<Utc>>) -> NetworkStatus {
    if closed_at.is_some() {
        NetworkStatus::Closed
    } else {
        NetworkStatus::Active
    }
}

/// A network in the dashboard's selector.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShortNetwork {
    pub id: i64,
    pub name: String,
    pub timezone: String,
    pub currency: String,
}

/// A network's identity and money settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkDetail {
    pub id: i64,
    pub name: String,
    pub status: NetworkStatus,
    pub owner: Option<NetworkOwner>,
    pub country: CountryRef,
    pub currency: String,
    pub timezone: String,
    /// The default VAT rate (0.2 for 20 %).
    #[schema(value_type = String, example = "0.2")]
    pub default_vat: Decimal,
    /// The pre-authorization amount to rent a vehicle, in the network's currency.
    #[schema(value_type = String, example = "150.00")]
    pub default_vehicle_guarantee: Decimal,
    /// Trips to finish before the pre-authorization is skipped (-1: always, 0: never).
    pub trip_to_skip_pre_auth_guarantee: i32,
    pub app_label_id: i64,
    /// The code haulers quote to ask to work on this network's locations.
    pub tenant_code: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl NetworkDetail {
    fn new(n: network::Model, owner: Option<third_party::Model>) -> Self {
        NetworkDetail {
            id: n.id,
            name: n.name,
            status: status(&n.closed_at),
            owner: owner.map(NetworkOwner::from),
            country: CountryRef::of(n.country_id),
            currency: n.currency,
            timezone: n.timezone,
            default_vat: money::from_stored(n.default_vat),
            default_vehicle_guarantee: money::from_stored(n.default_vehicle_guarantee),
            trip_to_skip_pre_auth_guarantee: n.trip_to_skip_pre_auth_guarantee,
            app_label_id: n.app_label_id,
            tenant_code: n.tenant_code,
            created_by: n.created_by,
            created_at: n.created_at,
            closed_at: n.closed_at,
        }
    }
}

/// Parameters for the new network to create.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNetworkRequest {
    /// The new network's name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Lyon Vélo")]
    pub name: String,
    /// The default vat percentage of the network.
    #[validate(custom(function = "rate"))]
    #[schema(value_type = f64, minimum = 0, maximum = 1, example = 0.2)]
    pub default_vat: Decimal,
    /// The identifier of the country where the network is situated.
    #[validate(range(min = 1), custom(function = "known_country"))]
    #[schema(minimum = 1, example = 250)]
    pub country_id: i32,
    /// The currency of the network. Used for default_vehicle_guarantee, offers, and network pricing.
    pub currency: CurrencyCode,
    /// The amount of the pre-authorization to rent a vehicle on the network.
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0, example = 150)]
    pub default_vehicle_guarantee: Decimal,
    /// Number of trips to be finished in order not to have the pre-authorization (-1: pre-authorization is mandatory, 0: pre-authorization never performed).
    #[validate(range(min = -1))]
    #[schema(minimum = -1, example = 3)]
    pub trip_to_skip_pre_auth_guarantee: i32,
    /// The timezone where the network is situated.
    pub timezone: TimeZone,
    /// The identifier of the third party that own the network (if any).
    #[serde(default)]
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub third_party_id: Option<i64>,
    /// The identifier of default app label of the network.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub app_label_id: i64,
}

/// What to change in a network (relais extension): the fields of its creation that may change.
/// An absent field keeps its value; `third_party_id: null` removes the owner. The currency, the
/// time zone and the app label cannot change (prices, amounts and pricing windows are in the
/// first two, the tenant code haulers quote is made of the third); the rent settings have their
/// own operation.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateNetworkRequest {
    /// The network's name, unique within its app label.
    #[serde(default)]
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Lyon Vélo")]
    pub name: Option<String>,
    /// The default vat percentage of the network.
    #[serde(default)]
    #[validate(custom(function = "rate"))]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 1, example = 0.2)]
    pub default_vat: Option<Decimal>,
    /// The identifier of the country where the network is situated (ISO 3166-1 numeric).
    #[serde(default)]
    #[validate(range(min = 1), custom(function = "known_country"))]
    #[schema(minimum = 1, example = 250)]
    pub country_id: Option<i32>,
    /// The identifier of the third party that owns the network; `null` for none.
    #[serde(default, with = "serde_with::rust::double_option")]
    #[validate(range(min = 1))]
    #[schema(value_type = Option<i64>, minimum = 1, example = 1)]
    pub third_party_id: Option<Option<i64>>,
}

/// Constraint: `country_id` is an ISO 3166-1 numeric code.
pub fn known_country(id: i32) -> Result<(), ValidationError> {
    match u16::try_from(id).ok().and_then(country) {
        Some(_) => Ok(()),
        None => Err(ValidationError::new("country")
            .with_message("must be the ISO 3166-1 numeric code of a country".into())),
    }
}

/// Get networks
#[utoipa::path(get, path = "/dashboard/networks", tag = "Networks",
    summary = "Get networks",
    description = "Return all networks with some indicators (network's owner, creation date, total stations, vehicles and trips). Only the networks within the caller's scope of `networks.manage` are listed, closed ones included.",
    extensions(("x-permission" = json!(read(Permission::NetworksManage)))),
    responses(
        (status = 200, description = "The networks, by name", body = Envelope<Vec<NetworkItem>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody)))]
pub async fn get_networks(
    State(state): State<AppState>,
    auth: Authorized,
) -> ApiResult<Json<Envelope<Vec<NetworkItem>>>> {
    let within = auth.scope.networks();
    let networks = relais_store::networks::overview(&state.db, within.as_ref()).await?;
    Ok(ok(networks.into_iter().map(NetworkItem::from).collect()))
}

/// Create a network
#[utoipa::path(post, path = "/dashboard/networks", tag = "Networks",
    summary = "Create a network",
    description = "Create a new network. A new network belongs to no organizational unit yet, so creating one needs `networks.manage` with write, globally. Its name is unique within its app label (409 -40 naming `name`).",
    request_body(content = CreateNetworkRequest, description = "Parameters for the new network to create."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).global()))),
    responses(
        (status = 200, description = "The new network", body = Envelope<NetworkDetail>),
        (status = 400, description = "Malformed body, unknown currency or time zone (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or not global (-31)", body = ErrorBody),
        (status = 404, description = "No such app label or third party (-2)", body = ErrorBody),
        (status = 409, description = "Another network of the app label has this name (-40)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_network(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<CreateNetworkRequest>,
) -> ApiResult<Json<Envelope<NetworkDetail>>> {
    let network = relais_store::networks::create(
        &state.db,
        NewNetwork {
            name: body.name,
            default_vat: body.default_vat,
            country_id: body.country_id,
            currency: body.currency.code().to_owned(),
            default_vehicle_guarantee: body.default_vehicle_guarantee,
            trip_to_skip_pre_auth_guarantee: body.trip_to_skip_pre_auth_guarantee,
            timezone: body.timezone.name().to_owned(),
            third_party_id: body.third_party_id,
            app_label_id: body.app_label_id,
            created_by: Some(auth.user_id()),
        },
    )
    .await?;
    tracing::info!(
        network_id = network.id,
        user_id = auth.user_id(),
        "network created"
    );
    let owner = owner_of(&state, &network).await?;
    Ok(ok(NetworkDetail::new(network, owner)))
}

/// Get short networks list
#[utoipa::path(get, path = "/dashboard/networks/short", tag = "Networks",
    summary = "Get short networks list",
    description = "Get the list of authorized networks in activity for the user. The main purpose is the dashboard network selector. A network is authorized when any permission of the user (other than `dashboard.access`) reaches it.",
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The caller's networks in activity, by name", body = Envelope<Vec<ShortNetwork>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "No `dashboard.access` (-30)", body = ErrorBody)))]
pub async fn get_short_networks(
    State(state): State<AppState>,
    auth: Authorized,
) -> ApiResult<Json<Envelope<Vec<ShortNetwork>>>> {
    let Some(scope) = Scope::any(&auth.grants, Utc::now()) else {
        return Ok(ok(Vec::new()));
    };
    let within = scope.networks();
    let networks = relais_store::networks::active(&state.db, within.as_ref()).await?;
    Ok(ok(networks
        .into_iter()
        .map(|n| ShortNetwork {
            id: n.id,
            name: n.name,
            timezone: n.timezone,
            currency: n.currency,
        })
        .collect()))
}

/// Get network detail
#[utoipa::path(get, path = "/dashboard/networks/{network_id}", tag = "Networks",
    summary = "Get network detail",
    description = "Return details of the specified network.",
    params(NetworkPath),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The network", body = Envelope<NetworkDetail>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody)))]
pub async fn get_network(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<NetworkDetail>>> {
    let network = relais_store::networks::existing(&state.db, path.network_id).await?;
    let owner = owner_of(&state, &network).await?;
    Ok(ok(NetworkDetail::new(network, owner)))
}

/// Update network
#[utoipa::path(patch, path = "/dashboard/networks/{network_id}", tag = "Networks",
    summary = "Update network",
    description = "relais extension: correct a network's name, default VAT, country or owner.\n\nAn absent field keeps its value; `third_party_id: null` removes the owner. The name stays unique within the network's app label (409 -40 naming `name`). The currency, the time zone and the app label cannot change (prices and amounts are in the currency, pricing windows in the time zone, and the tenant code haulers quote is made of the app label); rent settings have their own operation. A closed network refuses (-41). Needs `networks.manage` with write over the network. Answers the network.",
    params(NetworkPath),
    request_body(content = UpdateNetworkRequest, description = "What to change."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).network_in_path("network_id"))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The network as changed", body = Envelope<NetworkDetail>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, or no such third party (names `third_party_id`) (-2)", body = ErrorBody),
        (status = 409, description = "Another network of the app label has this name (-40), or the network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_network(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidJson(body): ValidJson<UpdateNetworkRequest>,
) -> ApiResult<Json<Envelope<NetworkDetail>>> {
    let network = relais_store::networks::update(
        &state.db,
        path.network_id,
        NetworkChange {
            name: body.name,
            default_vat: body.default_vat,
            country_id: body.country_id,
            third_party_id: body.third_party_id,
        },
    )
    .await?;
    tracing::info!(
        network_id = network.id,
        user_id = auth.user_id(),
        "network updated"
    );
    let owner = owner_of(&state, &network).await?;
    Ok(ok(NetworkDetail::new(network, owner)))
}

/// Delete a network
#[utoipa::path(delete, path = "/dashboard/networks/{network_id}", tag = "Networks",
    summary = "Delete a network",
    description = "Mark a network as definitively closed. Its history (trips, settings) is kept and it stays visible in \"Get networks\", but it leaves the short list and refuses every further change (-41). Closing is global: it needs `networks.manage` with write, globally.",
    params(NetworkPath),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).global()))),
    responses(
        (status = 200, description = "Closed", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or not global (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "Already closed (-41)", body = ErrorBody)))]
pub async fn delete_network(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Done>> {
    relais_store::networks::close(&state.db, path.network_id, Utc::now()).await?;
    tracing::info!(
        network_id = path.network_id,
        user_id = auth.user_id(),
        "network closed"
    );
    Ok(done())
}

async fn owner_of(
    state: &AppState,
    network: &network::Model,
) -> Result<Option<third_party::Model>, ApiError> {
    match network.third_party_id {
        None => Ok(None),
        Some(id) => Ok(relais_store::third_parties::get(&state.db, id).await?),
    }
}
