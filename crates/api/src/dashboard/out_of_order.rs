//! Seed group `Out of order`: periods during which a network is out of order.
//!
//! An out of order is created on its network ("Set out of order", group `Networks`, in
//! `networks::settings`) and changed here by its own id: its network must be within the
//! caller's scope of `networks.manage` (-31 otherwise) and open (-41 once closed).

use crate::access::{Authorized, write};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::{Object, Permission};
use relais_store::entity::out_of_order;
use relais_store::out_of_orders::OutOfOrderChange;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(update_out_of_order))
}

/// Why a network is out of order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutOfOrderType {
    Other,
    Winter,
}

impl OutOfOrderType {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            OutOfOrderType::Other => "other",
            OutOfOrderType::Winter => "winter",
        }
    }

    fn of(stored: &str) -> Self {
        if stored == "winter" {
            OutOfOrderType::Winter
        } else {
            OutOfOrderType::Other
        }
    }
}

/// A period during which a network is out of order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutOfOrder {
    pub id: i64,
    pub network_id: i64,
    #[serde(rename = "type")]
    pub kind: OutOfOrderType,
    pub reason: Option<String>,
    pub start_date: DateTime<Utc>,
    /// Null while the end is not known.
    pub end_date: Option<DateTime<Utc>>,
    /// The user who declared it.
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<out_of_order::Model> for OutOfOrder {
    fn from(m: out_of_order::Model) -> Self {
        OutOfOrder {
            id: m.id,
            network_id: m.network_id,
            kind: OutOfOrderType::of(&m.kind),
            reason: m.reason,
            start_date: m.start_date,
            end_date: m.end_date,
            created_by: m.created_by,
            created_at: m.created_at,
        }
    }
}

/// The out of order named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OutOfOrderPath {
    /// Identifier of the out of order.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// The out of order date.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOutOfOrderRequest {
    /// The out of order reason. Absent: unchanged; null: cleared.
    #[serde(default, with = "serde_with::rust::double_option")]
    #[validate(length(min = 1, max = 100))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100, example = "Snow")]
    pub reason: Option<Option<String>>,
    /// The out of order end date, after its start date. Absent: unchanged; null: cleared (no known end).
    #[serde(default, with = "serde_with::rust::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>, example = "2027-01-25T00:00:00Z")]
    pub end_date: Option<Option<DateTime<Utc>>>,
}

/// Update out of order
#[utoipa::path(patch, path = "/dashboard/out-of-orders/{id}", tag = "Out of order",
    summary = "Update out of order",
    description = "Update an out of order. Each field is optional: an absent field keeps its value, `null` clears it. `end_date` must come after the out of order's `start_date`. The out of order's network must be within the caller's scope of `networks.manage` with write (-31 otherwise) and not closed (-41).",
    params(OutOfOrderPath),
    request_body(content = UpdateOutOfOrderRequest, description = "The out of order date."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("id", Object::OutOfOrder)))),
    responses(
        (status = 200, description = "The out of order, changed", body = Envelope<OutOfOrder>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such out of order (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_out_of_order(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<OutOfOrderPath>,
    ValidJson(body): ValidJson<UpdateOutOfOrderRequest>,
) -> ApiResult<Json<Envelope<OutOfOrder>>> {
    let current = relais_store::out_of_orders::get(&state.db, path.id)
        .await?
        .ok_or_else(|| ApiError::not_found("out of order"))?;
    if let Some(Some(end)) = body.end_date
        && end <= current.start_date
    {
        return Err(ApiError::field(
            "end_date",
            "must be after the out of order's start_date",
        ));
    }
    let updated = relais_store::out_of_orders::update(
        &state.db,
        path.id,
        OutOfOrderChange {
            reason: body.reason,
            end_date: body.end_date,
        },
    )
    .await?;
    tracing::info!(
        out_of_order_id = updated.id,
        user_id = auth.user_id(),
        "out of order updated"
    );
    Ok(ok(OutOfOrder::from(updated)))
}
