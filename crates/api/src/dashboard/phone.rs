//! Seed group `Phone`: the SMS providers an app label can send its codes through
//! (`phone_sms_provider_id` of the AppLabel operations).
//!
//! | Operation | Route | Permission |
//! |---|---|---|
//! | Get phone provider | `GET /dashboard/phone/providers` | `app.label` |

use crate::access::read;
use crate::envelope::{Envelope, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use relais_domain::Permission;
use relais_store::entity::phone_sms_provider;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_phone_provider))
}

/// An SMS provider.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneProvider {
    pub id: i64,
    pub key: String,
    pub name: String,
    /// How messages travel: `twilio` (Twilio's Messages API) or `recorded` (kept, not sent).
    pub kind: String,
    /// Whether this server has the provider's credentials: an app label on an unconfigured
    /// provider has its SMS recorded, not sent.
    pub configured: bool,
}

/// Get phone provider.
#[utoipa::path(get, path = "/dashboard/phone/providers", tag = "Phone",
    summary = "Get phone provider",
    description = "Return the list of phone SMS provider.\n\nThe providers an app label may pick as `phone_sms_provider_id`, and whether this server is configured to send through each. Needs `app.label`.",
    extensions(("x-permission" = json!(read(Permission::AppLabel)))),
    responses(
        (status = 200, description = "The SMS providers", body = Envelope<Vec<PhoneProvider>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody)))]
pub async fn get_phone_provider(
    State(state): State<AppState>,
) -> ApiResult<Json<Envelope<Vec<PhoneProvider>>>> {
    let rows = relais_store::messages::sms_providers(&state.db).await?;
    Ok(ok(rows
        .into_iter()
        .map(|p: phone_sms_provider::Model| PhoneProvider {
            configured: p.kind == "recorded" || state.settings.sms_configured.contains(&p.kind),
            id: p.id,
            key: p.key,
            name: p.name,
            kind: p.kind,
        })
        .collect()))
}
