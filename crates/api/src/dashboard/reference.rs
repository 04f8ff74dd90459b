//! Reference data the dashboard offers in its forms: countries and vehicle models. Not a seed
//! group: these two operations are relais extensions (`x-relais-extension`).

use crate::access::authenticated;
use crate::envelope::{Envelope, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use relais_domain::reference::countries;
use relais_store::entity::vehicle_model;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_countries))
        .routes(routes!(get_vehicle_models))
}

/// A country of ISO 3166-1.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountryItem {
    /// The ISO 3166-1 numeric code: the `country_id` of requests.
    pub id: u16,
    pub alpha2: &'static str,
    pub alpha3: &'static str,
    pub name: &'static str,
}

/// A vehicle model of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleModelItem {
    pub id: i64,
    pub name: String,
    /// `bike`, `ebike` or `scooter`.
    pub kind: String,
    pub manufacturer: String,
}

impl From<vehicle_model::Model> for VehicleModelItem {
    fn from(m: vehicle_model::Model) -> Self {
        VehicleModelItem {
            id: m.id,
            name: m.name,
            kind: m.kind,
            manufacturer: m.manufacturer,
        }
    }
}

/// Get countries
#[utoipa::path(get, path = "/dashboard/countries", tag = "Reference",
    summary = "Get countries",
    description = "Every country of ISO 3166-1, by name. The `id` is the ISO numeric code, which every `country_id` of the API refers to.",
    extensions(("x-permission" = json!(authenticated())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The countries", body = Envelope<Vec<CountryItem>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody)))]
pub async fn get_countries() -> Json<Envelope<Vec<CountryItem>>> {
    ok(countries()
        .iter()
        .map(|c| CountryItem {
            id: c.id,
            alpha2: c.alpha2,
            alpha3: c.alpha3,
            name: c.name,
        })
        .collect())
}

/// Get vehicle models
#[utoipa::path(get, path = "/dashboard/vehicle-models", tag = "Reference",
    summary = "Get vehicle models",
    description = "The catalogue of vehicle models, by name: the `model_id` of network vehicle settings and guarantees.",
    extensions(("x-permission" = json!(authenticated())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The vehicle models", body = Envelope<Vec<VehicleModelItem>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody)))]
pub async fn get_vehicle_models(
    State(state): State<AppState>,
) -> ApiResult<Json<Envelope<Vec<VehicleModelItem>>>> {
    let models = relais_store::reference::vehicle_models(&state.db).await?;
    Ok(ok(models.into_iter().map(VehicleModelItem::from).collect()))
}
