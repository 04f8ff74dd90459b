//! Seed group `Payment methods`: the saved methods that share a card.
//!
//! | Operation | Route | Permission |
//! |---|---|---|
//! | Get by fingerprint | `GET /dashboard/payment-methods?fingerprint=` | `users.list` |

use crate::access::{Authorized, read};
use crate::dashboard::users::accounts::{FoundUser, users_in};
use crate::dashboard::users::money::UserPaymentMethod;
use crate::envelope::{Envelope, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ValidQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use relais_domain::Permission;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_by_fingerprint))
}

/// The fingerprint to look for.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FingerprintQuery {
    /// The fingerprint to look for (as "Get user payment methods." shows it).
    #[validate(length(min = 1, max = 128))]
    #[param(min_length = 1, max_length = 128)]
    pub fingerprint: String,
}

/// A saved method with this fingerprint, and its owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct FingerprintMatch {
    pub user: FoundUser,
    pub payment_method: UserPaymentMethod,
}

/// The most methods answered for one fingerprint.
const LIMIT: u64 = 100;

/// Get by fingerprint.
#[utoipa::path(get, path = "/dashboard/payment-methods", tag = "Payment methods",
    summary = "Get by fingerprint",
    description = "Get the payment methods with the same fingerprint as the given one.\n\nThe methods in use with this fingerprint (the same card saved on several accounts), the newest first, at most 100, on the accounts the caller's scope reaches. Needs `users.list`.",
    params(FingerprintQuery),
    extensions(("x-permission" = json!(read(Permission::UsersList)))),
    responses(
        (status = 200, description = "The methods with this fingerprint", body = Envelope<Vec<FingerprintMatch>>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 422, description = "Invalid fingerprint (-11)", body = ErrorBody)))]
pub async fn get_by_fingerprint(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(q): ValidQuery<FingerprintQuery>,
) -> ApiResult<Json<Envelope<Vec<FingerprintMatch>>>> {
    let scope = users_in(&auth.scope);
    let rows = relais_store::payment_methods::by_fingerprint(
        &state.db,
        &q.fingerprint,
        scope.as_ref(),
        LIMIT,
    )
    .await?;
    Ok(ok(rows
        .into_iter()
        .map(|(method, kind, user)| FingerprintMatch {
            user: user.into(),
            payment_method: UserPaymentMethod::new(method, kind),
        })
        .collect()))
}
