//! Seed group `Roles`: named sets of permissions.

use crate::access::{Authorized, read, write};
use crate::dashboard::permissions::{LangQuery, PermissionItem};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ValidJson, ValidPath, ValidQuery, unique};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use relais_store::roles::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_roles, create_role))
        .routes(routes!(update_role))
}

/// A role with its permissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleItem {
    pub id: i64,
    pub key: String,
    pub permissions: Vec<PermissionItem>,
    pub created_at: DateTime<Utc>,
}

impl RoleItem {
    fn new(role: Role, lang: &str) -> Self {
        RoleItem {
            id: role.id,
            key: role.key,
            permissions: role
                .permissions
                .into_iter()
                .map(|p| PermissionItem::new(p, lang))
                .collect(),
            created_at: role.created_at,
        }
    }
}

/// Role key and its permissions.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    /// The key of the new role.
    #[validate(length(min = 3, max = 50))]
    #[schema(min_length = 3, max_length = 50)]
    pub key: String,
    /// The list of permissions to add to the role.
    #[validate(custom(function = "unique"))]
    pub perms: Vec<Permission>,
}

/// Role key and permissions to change.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoleRequest {
    /// The key of the role to update.
    #[validate(length(min = 3, max = 50))]
    #[schema(min_length = 3, max_length = 50)]
    pub key: String,
    /// The list of permissions to add to the role.
    #[validate(custom(function = "unique"))]
    pub perms_to_add: Vec<Permission>,
    /// The list of permissions to remove from the role.
    #[validate(custom(function = "unique"))]
    pub perms_to_remove: Vec<Permission>,
}

/// The role named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RoleKeyPath {
    /// The key of the role.
    #[validate(length(min = 3, max = 50))]
    #[param(min_length = 3, max_length = 50)]
    pub key: String,
}

/// A role is global and changes what every holder may do: whoever shapes it must hold each
/// permission they put in or take out, globally and with write (what granting it would need).
fn may_shape(auth: &Authorized, permissions: &BTreeSet<Permission>) -> ApiResult<()> {
    let lacking: Vec<&str> = permissions
        .iter()
        .filter(|p| !auth.scope_of(**p, true).is_some_and(|s| s.is_global()))
        .map(|p| p.key())
        .collect();
    if lacking.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::PermissionDenied,
        format!(
            "you can only put in or take out of a role the permissions you hold globally with write; lacking: {}",
            lacking.join(", ")
        ),
    ))
}

/// Get roles
#[utoipa::path(get, path = "/dashboard/roles", tag = "Roles",
    summary = "Get roles",
    description = "Get the list of available roles.",
    params(LangQuery),
    extensions(("x-permission" = json!(read(Permission::UsersPermissions)))),
    responses(
        (status = 200, description = "Every role, by key", body = Envelope<Vec<RoleItem>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 422, description = "Invalid `lang` (-11)", body = ErrorBody)))]
pub async fn get_roles(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<LangQuery>,
) -> ApiResult<Json<Envelope<Vec<RoleItem>>>> {
    let lang = query.lang.to_ascii_lowercase();
    let roles = relais_store::roles::list(&state.db).await?;
    Ok(ok(roles
        .into_iter()
        .map(|r| RoleItem::new(r, &lang))
        .collect()))
}

/// Create role
#[utoipa::path(post, path = "/dashboard/roles", tag = "Roles",
    summary = "Create role",
    description = "Create a new permission role.",
    request_body(content = CreateRoleRequest, description = "Role key and its permissions."),
    extensions(("x-permission" = json!(write(Permission::Roles).global()))),
    responses(
        (status = 200, description = "Created", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission, or a permission of the role the caller lacks (-30, -31)", body = ErrorBody),
        (status = 409, description = "The key is taken (-40)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_role(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<CreateRoleRequest>,
) -> ApiResult<Json<Done>> {
    let perms: BTreeSet<Permission> = body.perms.into_iter().collect();
    may_shape(&auth, &perms)?;
    relais_store::roles::create(&state.db, &body.key, &perms).await?;
    Ok(done())
}

/// Update role
#[utoipa::path(patch, path = "/dashboard/roles/{key}", tag = "Roles",
    summary = "Update role",
    description = "Update the permissions associated to a role.\n\nThe built-in `administrator` role always holds every permission and cannot change (409 -41 naming `key`).",
    params(RoleKeyPath),
    request_body(content = UpdateRoleRequest, description = "Role key and permissions to change. `key` must be the key of the path."),
    extensions(("x-permission" = json!(write(Permission::Roles).global()))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission, or a permission the caller lacks (-30, -31)", body = ErrorBody),
        (status = 404, description = "No such role (-2)", body = ErrorBody),
        (status = 409, description = "The built-in administrator role cannot change (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_role(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<RoleKeyPath>,
    ValidJson(body): ValidJson<UpdateRoleRequest>,
) -> ApiResult<Json<Done>> {
    if body.key != path.key {
        return Err(ApiError::field("key", "must be the key of the path"));
    }
    // The built-in role is what keeps the server manageable: emptying it could leave nobody
    // able to give permissions back. It always holds every permission.
    if path.key == relais_store::setup::ADMIN_ROLE {
        return Err(ApiError::new(
            ErrorCode::Refused,
            "the built-in administrator role always holds every permission; it cannot change",
        )
        .with_field("key", "is the built-in administrator role"));
    }
    let add: BTreeSet<Permission> = body.perms_to_add.into_iter().collect();
    let remove: BTreeSet<Permission> = body.perms_to_remove.into_iter().collect();
    if let Some(both) = add.intersection(&remove).next() {
        return Err(ApiError::field(
            "perms_to_remove",
            format!("`{both}` cannot be both added and removed"),
        ));
    }
    may_shape(&auth, &add.union(&remove).copied().collect())?;
    relais_store::roles::update(&state.db, &body.key, &add, &remove).await?;
    Ok(done())
}
