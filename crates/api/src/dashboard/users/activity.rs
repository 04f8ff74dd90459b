//! "Get user last actions": what a rider did last (refused unlock requests, trips,
//! transactions), on the user's profile page, whose permission it shares (`users.list`).
//!
//! Decisions: a trip is dated by its unlock request (it carries its own outcome), a
//! transaction when it was made; only the networks the caller's scope reaches as a whole are
//! shown (a rider's data, as trips and transactions), the others left out rather than refused;
//! an answer never cuts between actions of one date, so sending the oldest date back as
//! `before_date` skips none.

use super::accounts::UserPath;
use super::messages::BeforeQuery;
use crate::access::{Authorized, read};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ValidPath, ValidQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::money;
use relais_domain::ride::TripState;
use relais_domain::{Object, Permission};
use relais_store::trips::LastAction;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_user_last_actions))
}

/// The actions listed at once, as the seed says.
const LAST: u64 = 10;

/// One of the user's last actions, by `kind`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UserLastAction {
    /// A start refused by a rule (docs/errors.md lists the reasons under -41).
    UnlockRequest {
        id: i64,
        date: DateTime<Utc>,
        network_id: Option<i64>,
        vehicle_id: Option<i64>,
        serial_number: Option<String>,
        /// The refusal's key (`battery_too_low`, `unpaid_debt`...).
        reason: String,
    },
    Trip {
        id: i64,
        date: DateTime<Utc>,
        network_id: i64,
        #[schema(example = "finished")]
        state: String,
        serial_number: Option<String>,
        /// Seconds billed; null while open.
        duration: Option<i64>,
        /// Decimal string, null until priced.
        #[schema(value_type = Option<String>, example = "2.40")]
        price: Option<String>,
        currency: String,
    },
    Transaction {
        id: i64,
        date: DateTime<Utc>,
        network_id: i64,
        /// `trip`, `top_up`, `debt` or `penalty`.
        transaction_kind: String,
        product_title: String,
        #[schema(value_type = String, example = "2.40")]
        amount_w_vat: String,
        currency: String,
        /// `pending`, `succeeded` or `failed`.
        status: String,
    },
}

impl From<LastAction> for UserLastAction {
    fn from(action: LastAction) -> Self {
        match action {
            LastAction::UnlockRequest { request, serial } => UserLastAction::UnlockRequest {
                id: request.id,
                date: request.at,
                network_id: request.network_id,
                vehicle_id: request.vehicle_id,
                serial_number: serial,
                reason: request.reason,
            },
            LastAction::Trip(item) => UserLastAction::Trip {
                id: item.trip.id,
                date: item.trip.requested_at,
                network_id: item.trip.network_id,
                state: TripState::from(item.trip.state).as_str().to_owned(),
                serial_number: item.serial,
                duration: item.trip.duration,
                price: item
                    .trip
                    .price_total
                    .map(|p| money::from_stored(p).to_string()),
                currency: item.currency,
            },
            LastAction::Transaction(t) => {
                let t = *t;
                UserLastAction::Transaction {
                    id: t.id,
                    date: t.created_at,
                    network_id: t.network_id,
                    transaction_kind: t.kind.as_str().to_owned(),
                    product_title: t.product_title,
                    amount_w_vat: money::from_stored(t.amount_w_vat).to_string(),
                    currency: t.currency,
                    status: t.status.as_str().to_owned(),
                }
            }
        }
    }
}

/// Get user last actions
#[utoipa::path(get, path = "/dashboard/users/{id}/last-actions", tag = "Users",
    summary = "Get user last actions",
    description = "Get the last 10 actions (unlock request, trips, transactions) done by the user.\n\nNewest first, each tagged by `kind`: `unlock_request` (a start refused by a rule, with its reason), `trip` (dated by its unlock request) and `transaction`. `before_date` gives those strictly before it; an answer never cuts between actions of one date, so sending the oldest date back skips none. Only the networks the caller's scope reaches as a whole are shown. Needs `users.list` over the user.",
    params(UserPath, BeforeQuery),
    extensions(("x-permission" = json!(read(Permission::UsersList).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The last actions", body = Envelope<Vec<UserLastAction>>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_user_last_actions(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<UserPath>,
    ValidQuery(q): ValidQuery<BeforeQuery>,
) -> ApiResult<Json<Envelope<Vec<UserLastAction>>>> {
    let networks: Option<Vec<i64>> = auth.scope.whole_networks().map(|n| n.into_iter().collect());
    let actions = relais_store::trips::last_actions(
        &state.db,
        path.id,
        networks.as_deref(),
        q.before_date,
        LAST,
    )
    .await?;
    Ok(ok(actions.into_iter().map(UserLastAction::from).collect()))
}
