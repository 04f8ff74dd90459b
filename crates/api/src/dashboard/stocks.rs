//! Seed group `Stocks`: the addresses where vehicles are stored, and their "auto stock" shape.
//!
//! The seed gives stocks no network; relais adds an optional `network_id` when creating one. A
//! stock of a network is seen and changed by callers whose `stocks.manage` reaches that network
//! (-31 otherwise); a stock of no network is operator-wide: it is listed with the stocks of any
//! network the caller asks for, and changing or deleting it needs the permission granted
//! globally.
//!
//! A vehicle is in a stock when its `stock_id` is that stock ("assigned"), or when it has no
//! stock and its last known position falls inside the stock's shape ("inside_shape"). Deleting
//! a stock that still holds assigned vehicles is refused (-41): take them out first, so that
//! no vehicle silently loses where it is stored.

use crate::access::{Authorized, read, write};
use crate::dashboard::networks::CountryRef;
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{CommaSeparated, ValidJson, ValidPath, ValidQuery, unique_id_list};
use crate::shapes::shape_of;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::geometry::{GeoJsonPolygon, ShapeInput};
use relais_domain::{Object, Permission};
use relais_store::stocks::{NewStock, Stock, Stocked};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_stocks, create_stock))
        .routes(routes!(delete_stock))
        .routes(routes!(get_stocks_vehicles))
        .routes(routes!(update_stock_shape))
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The networks asked for.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NetworksQuery {
    /// Identifier of networks of which to get the stocks (`networks=1,5,7`).
    #[validate(custom(function = "unique_id_list"))]
    #[param(value_type = String, example = "1,5,7")]
    pub networks: CommaSeparated<i64>,
}

/// The stocks asked for.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StocksQuery {
    /// Identifier of stocks of which to get the content (`stocks=1,5,7`).
    #[validate(custom(function = "unique_id_list"), custom(function = "not_empty"))]
    #[param(value_type = String, example = "1,5,7")]
    pub stocks: CommaSeparated<i64>,
}

fn not_empty(items: &CommaSeparated<i64>) -> Result<(), ValidationError> {
    if items.0.is_empty() {
        return Err(ValidationError::new("length").with_message("give at least one id".into()));
    }
    Ok(())
}

/// The stock named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct StockPath {
    /// Identifier of the stock address.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

fn known_country(id: i64) -> Result<(), ValidationError> {
    u16::try_from(id)
        .ok()
        .and_then(relais_domain::reference::country)
        .map(|_| ())
        .ok_or_else(|| {
            ValidationError::new("country")
                .with_message("must be an ISO 3166-1 numeric country code".into())
        })
}

/// New address data.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStockRequest {
    /// The name of the new address.
    #[validate(length(min = 4, max = 128))]
    #[schema(min_length = 4, max_length = 128, example = "Gerland depot")]
    pub name: String,
    /// The identifier of the country of the new address (ISO 3166-1 numeric, France 250). The
    /// seed names it `country`; `country_id`, its name everywhere else, is accepted too.
    #[serde(alias = "country_id")]
    #[validate(range(min = 1), custom(function = "known_country"))]
    #[schema(minimum = 1, example = 250)]
    pub country: i64,
    /// The name of the city of the new address.
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128, example = "Lyon")]
    pub city: String,
    /// The zipcode of the new address.
    #[validate(length(min = 1, max = 16))]
    #[schema(min_length = 1, max_length = 16, example = "69007")]
    pub zipcode: String,
    /// The street number and name of the new address.
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128, example = "12 rue de Gerland")]
    pub street: String,
    /// relais extension: the network the stock belongs to; absent or `null` for an
    /// operator-wide stock (needs `stocks.manage` with write granted globally).
    #[serde(default)]
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub network_id: Option<i64>,
}

/// Auto stock shape parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStockShapeRequest {
    /// Identifier of the stock.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub stock_id: i64,
    /// New shape of the stock's area, a list of `[longitude, latitude]` points (at least 3).
    pub shape: ShapeInput,
}

// ---------------------------------------------------------------------------------------------
// Responses

/// A stock address.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockItem {
    pub id: i64,
    /// The network it belongs to; `null` for an operator-wide stock.
    #[schema(required = true)]
    pub network_id: Option<i64>,
    pub name: String,
    /// The country, as networks and third parties show theirs.
    pub country: CountryRef,
    pub city: String,
    pub zipcode: String,
    pub street: String,
    /// The auto-stock area (GeoJSON Polygon), `null` when none is defined.
    #[schema(required = true)]
    pub shape: Option<GeoJsonPolygon>,
    pub created_at: DateTime<Utc>,
}

impl From<Stock> for StockItem {
    fn from(stock: Stock) -> Self {
        let m = stock.model;
        StockItem {
            id: m.id,
            network_id: m.network_id,
            name: m.name,
            country: CountryRef::of(m.country_id),
            city: m.city,
            zipcode: m.zipcode,
            street: m.street,
            shape: stock.shape.as_ref().map(|s| s.to_geojson()),
            created_at: m.created_at,
        }
    }
}

/// How a vehicle is in a stock.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockedBy {
    /// The vehicle was put in the stock.
    Assigned,
    /// The vehicle is in no stock but its position is inside the stock's shape.
    InsideShape,
}

/// A vehicle in a stock.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockVehicle {
    pub stock_id: i64,
    pub stocked_by: StockedBy,
    pub vehicle_id: i64,
    pub serial: String,
    pub network_id: i64,
    pub model_id: i64,
    pub status: String,
    #[schema(required = true)]
    pub latitude: Option<f64>,
    #[schema(required = true)]
    pub longitude: Option<f64>,
    /// Battery level in percent, when known.
    #[schema(required = true)]
    pub battery: Option<i32>,
    #[schema(required = true)]
    pub last_seen_at: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------------------------------------
// Helpers

// ---------------------------------------------------------------------------------------------
// Handlers

/// Get stocks
#[utoipa::path(get, path = "/dashboard/stocks", tag = "Stocks",
    summary = "Get stocks",
    description = "Fetch the list of stocks address for the specific network.\n\nThe stocks (not deleted) of the networks asked for and the operator-wide stocks (`network_id` null), oldest first, with their auto-stock shape as a GeoJSON Polygon. Needs `stocks.manage` over every network asked for.",
    params(NetworksQuery),
    extensions(("x-permission" = json!(read(Permission::StocksManage).object_in_query("networks", Object::Network)))),
    responses(
        (status = 200, description = "The stocks", body = Envelope<Vec<StockItem>>),
        (status = 400, description = "Missing or malformed `networks` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 422, description = "Invalid `networks` (-11)", body = ErrorBody)))]
pub async fn get_stocks(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<NetworksQuery>,
) -> ApiResult<Json<Envelope<Vec<StockItem>>>> {
    let stocks = relais_store::stocks::list(&state.db, query.networks.as_slice()).await?;
    Ok(ok(stocks.into_iter().map(StockItem::from).collect()))
}

/// Create stock
#[utoipa::path(post, path = "/dashboard/stocks", tag = "Stocks",
    summary = "Create stock",
    description = "Create a new stock address where vehicles can be stored.\n\n`country` is an ISO 3166-1 numeric code (France 250; -11 otherwise). relais extension: an optional `network_id` puts the stock in a network (which must exist, -2 naming it, be in the caller's scope, -31, and be open, -41); without it the stock is operator-wide and needs `stocks.manage` with write granted globally. Answers the new stock.",
    request_body(content = CreateStockRequest, description = "New address data."),
    extensions(("x-permission" = json!(write(Permission::StocksManage).object_in_body_or_operator("network_id", Object::Network)))),
    responses(
        (status = 200, description = "Created", body = Envelope<StockItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2, names `network_id`)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_stock(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<CreateStockRequest>,
) -> ApiResult<Json<Envelope<StockItem>>> {
    let country_id =
        i32::try_from(body.country).map_err(|_| ApiError::field("country", "is too large"))?;
    let stock = relais_store::stocks::create(
        &state.db,
        NewStock {
            network_id: body.network_id,
            name: body.name,
            country_id,
            city: body.city,
            zipcode: body.zipcode,
            street: body.street,
        },
    )
    .await?;
    tracing::info!(
        stock_id = stock.model.id,
        user_id = auth.user_id(),
        "stock created"
    );
    Ok(ok(StockItem::from(stock)))
}

/// Delete stock
#[utoipa::path(delete, path = "/dashboard/stocks/{id}", tag = "Stocks",
    summary = "Delete stock",
    description = "Remove the specified stock address.\n\nSets a deletion date: the stock is kept for history but no longer listed; deleting it again answers 404. Refused (-41) while vehicles in service are assigned to the stock (take them out first); vehicles merely inside its shape do not prevent it. Needs `stocks.manage` with write over the stock's network (globally for an operator-wide stock); a closed network refuses the change (-41).",
    params(StockPath),
    extensions(("x-permission" = json!(write(Permission::StocksManage).object_in_path("id", Object::Stock)))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 400, description = "Malformed `id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or stock outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such stock, or deleted already (-2)", body = ErrorBody),
        (status = 409, description = "Vehicles are stocked there, or the network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid `id` (-11)", body = ErrorBody)))]
pub async fn delete_stock(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<StockPath>,
) -> ApiResult<Json<Done>> {
    relais_store::stocks::delete(&state.db, path.id, Utc::now()).await?;
    tracing::info!(
        stock_id = path.id,
        user_id = auth.user_id(),
        "stock deleted"
    );
    Ok(done())
}

/// Get stocks vehicles
#[utoipa::path(get, path = "/dashboard/stocks/vehicles", tag = "Stocks",
    summary = "Get stocks vehicles",
    description = "Fetch the list of vehicles stored in the specified stock address.\n\nThe vehicles in service of each stock asked for, by stock then vehicle: those assigned to it (`stocked_by: assigned`), and those assigned to no stock whose last known position is inside its shape (`stocked_by: inside_shape`; a vehicle inside several shapes is listed under the first stock asked for). A stock of a network holds only vehicles of that network. Every stock must exist and not be deleted (-2 naming `stocks`); a stock of a network outside the caller's scope is refused (-31); vehicles of networks outside the scope are left out of operator-wide stocks. Needs `stocks.vehicles`.",
    params(StocksQuery),
    extensions(("x-permission" = json!(read(Permission::StocksVehicles)))),
    responses(
        (status = 200, description = "The vehicles of the stocks", body = Envelope<Vec<StockVehicle>>),
        (status = 400, description = "Missing or malformed `stocks` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or stock outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such stock (-2, names `stocks`)", body = ErrorBody),
        (status = 422, description = "Invalid `stocks` (-11)", body = ErrorBody)))]
pub async fn get_stocks_vehicles(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(query): ValidQuery<StocksQuery>,
) -> ApiResult<Json<Envelope<Vec<StockVehicle>>>> {
    let stocks =
        relais_store::stocks::get_many(&state.db, query.stocks.as_slice(), "stocks").await?;
    if let Some(stock) = stocks.iter().find(|s| {
        s.model
            .network_id
            .is_some_and(|n| !auth.scope.reaches_network(n))
    }) {
        return Err(ApiError::new(
            ErrorCode::OutOfScope,
            format!(
                "stock {} belongs to a network outside your scope",
                stock.model.id
            ),
        )
        .with_field("stocks", "not in your scope"));
    }
    let networks = auth.scope.networks();
    let vehicles = relais_store::stocks::vehicles(&state.db, &stocks, networks.as_ref()).await?;
    Ok(ok(vehicles
        .into_iter()
        .map(|(stock_id, how, v)| StockVehicle {
            stock_id,
            stocked_by: match how {
                Stocked::Assigned => StockedBy::Assigned,
                Stocked::InsideShape => StockedBy::InsideShape,
            },
            vehicle_id: v.id,
            serial: v.serial,
            network_id: v.network_id,
            model_id: v.model_id,
            status: v.status,
            latitude: v.latitude,
            longitude: v.longitude,
            battery: v.battery,
            last_seen_at: v.last_seen_at,
        })
        .collect()))
}

/// Update stock shape
#[utoipa::path(put, path = "/dashboard/stocks/shape", tag = "Stocks",
    summary = "Update stock shape",
    description = "Define a new shape for the auto stock feature for the specified stock.\n\n`shape` is a list of `[longitude, latitude]` points following the rules of the network border (at least 3 distinct points, simple polygon, no antimeridian crossing); an invalid shape answers -11 naming `shape` or `shape[i]`. A vehicle in no stock whose position falls inside the shape counts as stocked there. Needs `stocks.manage` with write over the stock's network (globally for an operator-wide stock); a closed network refuses the change (-41).",
    request_body(content = UpdateStockShapeRequest, description = "Auto stock shape parameters."),
    extensions(("x-permission" = json!(write(Permission::StocksManage).object_in_body("stock_id", Object::Stock)))),
    responses(
        (status = 200, description = "Shape replaced", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or stock outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such stock, or deleted (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body or shape (-11)", body = ErrorBody)))]
pub async fn update_stock_shape(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<UpdateStockShapeRequest>,
) -> ApiResult<Json<Done>> {
    let shape = shape_of("shape", &body.shape)?;
    relais_store::stocks::set_shape(&state.db, body.stock_id, &shape).await?;
    tracing::info!(
        stock_id = body.stock_id,
        user_id = auth.user_id(),
        "stock shape replaced"
    );
    Ok(done())
}
