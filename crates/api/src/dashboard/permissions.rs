//! Seed group `Permissions`: the catalogue of permission keys.

use crate::access::read;
use crate::envelope::{Envelope, ok};
use crate::error::ErrorBody;
use crate::extract::ValidQuery;
use crate::state::AppState;
use axum::Json;
use relais_domain::Permission;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_permissions))
}

/// The language to localize names in.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// The lang in which to get the permission localized.
    #[validate(length(equal = 2))]
    #[param(min_length = 2, max_length = 2, example = "en")]
    pub lang: String,
}

/// A permission key and its localized name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PermissionItem {
    pub key: Permission,
    /// The name in the requested language (English when it is not translated).
    pub name: &'static str,
}

impl PermissionItem {
    pub fn new(permission: Permission, lang: &str) -> Self {
        PermissionItem {
            key: permission,
            name: permission.label(lang),
        }
    }
}

/// Get permissions
#[utoipa::path(get, path = "/dashboard/permissions", tag = "Permissions",
    summary = "Get permissions",
    description = "Get the list of available permissions.",
    params(LangQuery),
    extensions(("x-permission" = json!(read(Permission::UsersPermissions)))),
    responses(
        (status = 200, description = "Every permission, in the seed's order", body = Envelope<Vec<PermissionItem>>),
        (status = 400, description = "Missing `lang` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 422, description = "Invalid `lang` (-11)", body = ErrorBody)))]
pub async fn get_permissions(
    ValidQuery(query): ValidQuery<LangQuery>,
) -> Json<Envelope<Vec<PermissionItem>>> {
    let lang = query.lang.to_ascii_lowercase();
    ok(Permission::ALL
        .iter()
        .map(|p| PermissionItem::new(*p, &lang))
        .collect())
}
