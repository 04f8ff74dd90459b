//! Partner accounts, from the Dashboard: staff set up a logistics partner (its company in the
//! partner address book, its manager, an API token) in one step, as `relais partner-account
//! create` does. Not a seed group: a relais extension (`x-relais-extension`).

use crate::access::{Authorized, write};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ValidJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use relais_domain::Permission;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_partner_account))
}

/// The partner's company and its manager.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePartnerAccountRequest {
    /// The partner company's name.
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub company: String,
    /// The manager's email, which no user may have yet: the partner API acts as this new user.
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: String,
}

/// The new account and its API token, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerAccount {
    /// The company's `pk` in the partner API.
    pub company_id: i64,
    pub company_name: String,
    pub manager_user_id: i64,
    pub manager_email: String,
    /// The API token for `Authorization: Token <token>`; it cannot be read again.
    pub token: String,
}

/// Create partner account
#[utoipa::path(post, path = "/dashboard/partner-accounts", tag = "PartnerAccounts",
    summary = "Create partner account",
    description = "Set up a logistics partner in one step: its company in the partner address book, its manager (a new user, without password) and an API token for the partner API (`/api/v4/`), shown once. An email that already belongs to a user (staff, rider or partner) is refused (409 -40 naming `email`): the token is the manager's credential, and no operation hands out a credential of an existing user. Needs `organizations` with write, globally.",
    request_body(content = CreatePartnerAccountRequest, description = "The partner's company and manager."),
    extensions(("x-permission" = json!(write(Permission::Organizations).global())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The account and its token", body = Envelope<PartnerAccount>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or not global (-31)", body = ErrorBody),
        (status = 409, description = "The email already belongs to a user (-40, naming `email`)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_partner_account(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<CreatePartnerAccountRequest>,
) -> ApiResult<Json<Envelope<PartnerAccount>>> {
    let (company, user) =
        relais_store::partner::create_account(&state.db, &body.company, &body.email).await?;
    let (_, token) = relais_store::tokens::issue(&state.db, user.id, "partner API", None).await?;
    tracing::info!(
        company_id = company.id,
        manager = user.id,
        by = auth.user_id(),
        "partner account created"
    );
    Ok(ok(PartnerAccount {
        company_id: company.id,
        company_name: company.name,
        manager_user_id: user.id,
        manager_email: user.email,
        token,
    }))
}
