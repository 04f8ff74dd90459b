//! Declaring a network out of order ("Set out of order"); changing one afterwards is in the
//! `Out of order` group (`dashboard::out_of_order`).

use crate::access::{Authorized, write};
use crate::dashboard::networks::NetworkPath;
use crate::dashboard::out_of_order::{OutOfOrder, OutOfOrderType};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use relais_store::out_of_orders::NewOutOfOrder;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(set_out_of_order))
}

/// Info on the out of order to create.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetOutOfOrderRequest {
    /// Type of the out of order.
    #[serde(rename = "type")]
    pub kind: OutOfOrderType,
    /// Reason of the out of order.
    #[serde(default)]
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "Snow")]
    pub reason: Option<String>,
    /// Start date of the out of order.
    #[schema(example = "2027-01-10T00:00:00Z")]
    pub start_date: DateTime<Utc>,
    /// End date of the out of order, after its start date; absent or null when not known.
    #[serde(default)]
    #[schema(example = "2027-01-20T00:00:00Z")]
    pub end_date: Option<DateTime<Utc>>,
}

/// Set out of order
#[utoipa::path(post, path = "/dashboard/networks/{network_id}/out-of-orders", tag = "Networks",
    summary = "Set out of order",
    description = "Add an out of order for a specific network. `end_date`, when given, must come after `start_date`; leave it out (or null) while the end is not known, and set it later with \"Update out of order\".",
    params(NetworkPath),
    request_body(content = SetOutOfOrderRequest, description = "Info on the out of order to create."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The new out of order", body = Envelope<OutOfOrder>),
        (status = 400, description = "Malformed body, unknown type (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn set_out_of_order(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidJson(body): ValidJson<SetOutOfOrderRequest>,
) -> ApiResult<Json<Envelope<OutOfOrder>>> {
    if let Some(end) = body.end_date
        && end <= body.start_date
    {
        return Err(ApiError::field("end_date", "must be after start_date"));
    }
    let created = relais_store::out_of_orders::create(
        &state.db,
        NewOutOfOrder {
            network_id: path.network_id,
            kind: body.kind.as_str().to_owned(),
            reason: body.reason,
            start_date: body.start_date,
            end_date: body.end_date,
            created_by: Some(auth.user_id()),
        },
    )
    .await?;
    tracing::info!(
        network_id = path.network_id,
        out_of_order_id = created.id,
        user_id = auth.user_id(),
        "out of order set"
    );
    Ok(ok(OutOfOrder::from(created)))
}
