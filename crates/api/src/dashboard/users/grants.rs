//! Seed group `Users`, the grants of a user (permissions and roles).
//!
//! Granting follows the seed: the granter must hold what they grant (with write to grant with
//! write), and it must hold where the grant applies: in a unit their scope covers, or globally
//! for a global grant. Revoking needs the same.

use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ValidJson, ValidPath, ValidQuery, required_nullable};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::{Permission, UnitScope};
use relais_store::entity::user;
use relais_store::grants::{GrantRecord, GrantTerms, Granted};
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            get_user_permission,
            add_user_permission,
            remove_user_permission
        ))
        .routes(routes!(add_user_role, remove_user_role))
}

/// A user in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl From<user::Model> for UserSummary {
    fn from(u: user::Model) -> Self {
        UserSummary {
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
        }
    }
}

/// A role as named by a grant.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantedRole {
    pub id: i64,
    pub key: String,
    pub permissions: Vec<Permission>,
}

/// A permission or a role given to a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantItem {
    pub id: i64,
    /// The permission granted, for a permission grant.
    pub permission: Option<Permission>,
    /// The role granted, for a role grant.
    pub role: Option<GrantedRole>,
    /// The organizational unit it applies in; null for a global grant.
    pub organizational_unit: Option<i64>,
    pub write: bool,
    pub start_date: DateTime<Utc>,
    /// Null when granted forever.
    pub end_date: Option<DateTime<Utc>>,
    /// Whether it is in force now.
    pub active: bool,
    pub granted_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl GrantItem {
    pub fn new(g: GrantRecord, now: DateTime<Utc>) -> Self {
        GrantItem {
            id: g.id,
            permission: g.permission,
            role: g.role.map(|r| GrantedRole {
                id: r.id,
                key: r.key,
                permissions: r.permissions.into_iter().collect(),
            }),
            organizational_unit: g.unit_id,
            write: g.write,
            active: g.start_date <= now && g.end_date.is_none_or(|end| now < end),
            start_date: g.start_date,
            end_date: g.end_date,
            granted_by: g.granted_by,
            created_at: g.created_at,
        }
    }
}

/// The user named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserIdPath {
    /// Identifier of the user.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// Permission data.
#[serde_as]
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "dates_in_order"))]
pub struct AddUserPermissionRequest {
    /// Start date of the permission / role.
    #[schema(example = "2027-01-01T00:00:00Z")]
    pub start_date: DateTime<Utc>,
    /// When the permission / role will expire. Null to grant forever.
    #[serde(deserialize_with = "required_nullable")]
    #[schema(example = json!(null))]
    pub end_date: Option<DateTime<Utc>>,
    /// The identifier of the organizational unit to which to give the permission. Can be null for global permission.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = json!(null))]
    pub organizational_unit: Option<i64>,
    /// Grant the permission with write modifier.
    pub write: bool,
    /// The key of the permission to give.
    pub perm_key: Permission,
}

/// Role data.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "role_dates_in_order"))]
pub struct AddUserRoleRequest {
    /// Start date of the permission / role.
    #[schema(example = "2027-01-01T00:00:00Z")]
    pub start_date: DateTime<Utc>,
    /// When the permission / role will expire. Null to grant forever.
    #[serde(deserialize_with = "required_nullable")]
    #[schema(example = json!(null))]
    pub end_date: Option<DateTime<Utc>>,
    /// The identifier of the organizational unit to which to give the permission. Can be null for global permission.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = json!(null))]
    pub organizational_unit: Option<i64>,
    /// Grant the permission with write modifier.
    pub write: bool,
    /// The key of the role.
    #[validate(length(min = 3, max = 50))]
    #[schema(min_length = 3, max_length = 50, example = "network-manager")]
    pub role_key: String,
}

/// Which permission grant to revoke.
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveUserPermissionQuery {
    /// The key of the permission to revoke.
    #[param(inline)]
    pub perm_key: Permission,
    /// The identifier of the organizational unit. Omit to revoke a global permission.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub organizational_unit: Option<i64>,
}

/// Which role grant to revoke.
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveUserRoleQuery {
    /// The key of the role to revoke.
    #[validate(length(min = 3, max = 50))]
    #[param(min_length = 3, max_length = 50)]
    pub role_key: String,
    /// The identifier of the organizational unit. Omit to revoke a global permission.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub organizational_unit: Option<i64>,
}

fn check_dates(start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> Result<(), ValidationError> {
    match end {
        Some(end) if end <= start => {
            Err(ValidationError::new("dates")
                .with_message("end_date must be after start_date".into()))
        }
        _ => Ok(()),
    }
}

fn dates_in_order(r: &AddUserPermissionRequest) -> Result<(), ValidationError> {
    check_dates(r.start_date, r.end_date)
}

fn role_dates_in_order(r: &AddUserRoleRequest) -> Result<(), ValidationError> {
    check_dates(r.start_date, r.end_date)
}

async fn existing_user(state: &AppState, id: i64) -> ApiResult<user::Model> {
    relais_store::users::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

/// The place a grant applies in: `None` for global, else the unit's contents (which must exist).
async fn place(state: &AppState, unit_id: Option<i64>) -> ApiResult<Option<UnitScope>> {
    match unit_id {
        None => Ok(None),
        Some(id) => relais_store::units::get(&state.db, id)
            .await?
            .map(|u| Some(u.scope()))
            .ok_or_else(|| {
                ApiError::not_found("organizational unit")
                    .with_field("organizational_unit", "no such organizational unit")
            }),
    }
}

/// The granter must manage permissions there, and hold each of `permissions` (with write when
/// `write`) there too.
pub fn may_grant(
    auth: &Authorized,
    place: Option<&UnitScope>,
    permissions: &[Permission],
    write: bool,
) -> ApiResult<()> {
    if !auth.scope.reaches(place) {
        return Err(ApiError::new(
            ErrorCode::OutOfScope,
            match place {
                None => "global grants need `users.permissions` granted globally",
                Some(_) => "this organizational unit reaches beyond your scope",
            },
        ));
    }
    let lacking: Vec<&str> = permissions
        .iter()
        .filter(|p| !auth.scope_of(**p, write).is_some_and(|s| s.reaches(place)))
        .map(|p| p.key())
        .collect();
    if lacking.is_empty() {
        return Ok(());
    }
    let with = if write { " with write" } else { "" };
    Err(ApiError::new(
        ErrorCode::PermissionDenied,
        format!(
            "you can only grant or revoke what you hold{with} where it applies; lacking: {}",
            lacking.join(", ")
        ),
    ))
}

/// Get user permission.
#[utoipa::path(get, path = "/dashboard/users/{id}/permissions", tag = "Users",
    summary = "Get user permission.",
    description = "Get the list of permissions granted to the specified user.",
    params(UserIdPath),
    extensions(("x-permission" = json!(read(Permission::UsersPermissions)))),
    responses(
        (status = 200, description = "The user's grants within the caller's scope, newest first", body = Envelope<Vec<GrantItem>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_user_permission(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<UserIdPath>,
) -> ApiResult<Json<Envelope<Vec<GrantItem>>>> {
    existing_user(&state, path.id).await?;
    let grants = relais_store::grants::of_user(&state.db, path.id).await?;
    let unit_ids: Vec<i64> = grants.iter().filter_map(|g| g.unit_id).collect();
    let units = relais_store::units::get_many(&state.db, &unit_ids).await?;
    let now = Utc::now();
    Ok(ok(grants
        .into_iter()
        .filter(|g| {
            let place = g.unit_id.and_then(|id| units.get(&id)).map(|u| u.scope());
            // A grant whose unit vanished shows only to global managers.
            (g.unit_id.is_none() || place.is_some()) && auth.scope.reaches(place.as_ref())
        })
        .map(|g| GrantItem::new(g, now))
        .collect()))
}

/// Add user permission
#[utoipa::path(post, path = "/dashboard/users/{id}/permissions", tag = "Users",
    summary = "Add user permission",
    description = "Grant a permission to the specified user. If the user already has the permission but with a different end date, it will be overwritten. Granter needs to have the permission he want to grant.",
    params(UserIdPath),
    request_body(content = AddUserPermissionRequest, description = "Permission data."),
    extensions(("x-permission" = json!(write(Permission::UsersPermissions)))),
    responses(
        (status = 200, description = "Granted", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "The granter lacks the permission there (-30) or the place is beyond their scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user or unit (-2)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn add_user_permission(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<UserIdPath>,
    ValidJson(body): ValidJson<AddUserPermissionRequest>,
) -> ApiResult<Json<Done>> {
    existing_user(&state, path.id).await?;
    let place = place(&state, body.organizational_unit).await?;
    may_grant(&auth, place.as_ref(), &[body.perm_key], body.write)?;
    let terms = GrantTerms {
        unit_id: body.organizational_unit,
        write: body.write,
        start_date: body.start_date,
        end_date: body.end_date,
        granted_by: Some(auth.user_id()),
    };
    relais_store::grants::put(
        &state.db,
        path.id,
        Granted::Permission(body.perm_key),
        terms,
    )
    .await?;
    tracing::info!(
        granter = auth.user_id(),
        user_id = path.id,
        permission = %body.perm_key,
        unit = ?body.organizational_unit,
        write = body.write,
        "permission granted"
    );
    Ok(done())
}

/// Remove user permission
#[utoipa::path(delete, path = "/dashboard/users/{id}/permissions", tag = "Users",
    summary = "Remove user permission",
    description = "Revoke a permission from the specified user. The user needs to have the permission he want to revoke.",
    params(UserIdPath, RemoveUserPermissionQuery),
    extensions(("x-permission" = json!(write(Permission::UsersPermissions)))),
    responses(
        (status = 200, description = "Revoked", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "The revoker lacks the permission there (-30) or the place is beyond their scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user or unit, or the user does not hold this grant (-2)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn remove_user_permission(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<UserIdPath>,
    ValidQuery(query): ValidQuery<RemoveUserPermissionQuery>,
) -> ApiResult<Json<Done>> {
    existing_user(&state, path.id).await?;
    let place = place(&state, query.organizational_unit).await?;
    may_grant(&auth, place.as_ref(), &[query.perm_key], false)?;
    let removed = relais_store::grants::remove(
        &state.db,
        path.id,
        Granted::Permission(query.perm_key),
        query.organizational_unit,
    )
    .await?;
    if !removed {
        return Err(ApiError::not_found("grant of this permission"));
    }
    Ok(done())
}

/// Add user role
#[utoipa::path(post, path = "/dashboard/users/{id}/roles", tag = "Users",
    summary = "Add user role",
    description = "Grant a role to the specified user. If the user already has the role but with a different end date, it will be overwritten. Granter needs to have the role he want to grant, or all permission of the role.",
    params(UserIdPath),
    request_body(content = AddUserRoleRequest, description = "Role data."),
    extensions(("x-permission" = json!(write(Permission::UsersPermissions)))),
    responses(
        (status = 200, description = "Granted", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "The granter lacks a permission of the role there (-30) or the place is beyond their scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user, unit or role (-2)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn add_user_role(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<UserIdPath>,
    ValidJson(body): ValidJson<AddUserRoleRequest>,
) -> ApiResult<Json<Done>> {
    existing_user(&state, path.id).await?;
    let role = find_role(&state, &body.role_key).await?;
    let place = place(&state, body.organizational_unit).await?;
    let permissions: Vec<Permission> = role.permissions.iter().copied().collect();
    may_grant(&auth, place.as_ref(), &permissions, body.write)?;
    let terms = GrantTerms {
        unit_id: body.organizational_unit,
        write: body.write,
        start_date: body.start_date,
        end_date: body.end_date,
        granted_by: Some(auth.user_id()),
    };
    relais_store::grants::put(&state.db, path.id, Granted::Role(role.id), terms).await?;
    tracing::info!(
        granter = auth.user_id(),
        user_id = path.id,
        role = %role.key,
        unit = ?body.organizational_unit,
        write = body.write,
        "role granted"
    );
    Ok(done())
}

/// Remove user role
#[utoipa::path(delete, path = "/dashboard/users/{id}/roles", tag = "Users",
    summary = "Remove user role",
    description = "Revoke a role from the specified user. The user needs to have the role he want to revoke, or all permission of the role.",
    params(UserIdPath, RemoveUserRoleQuery),
    extensions(("x-permission" = json!(write(Permission::UsersPermissions)))),
    responses(
        (status = 200, description = "Revoked", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "The revoker lacks a permission of the role there (-30) or the place is beyond their scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user, unit or role, or the user does not hold it there (-2)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn remove_user_role(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<UserIdPath>,
    ValidQuery(query): ValidQuery<RemoveUserRoleQuery>,
) -> ApiResult<Json<Done>> {
    existing_user(&state, path.id).await?;
    let role = find_role(&state, &query.role_key).await?;
    let place = place(&state, query.organizational_unit).await?;
    let permissions: Vec<Permission> = role.permissions.iter().copied().collect();
    may_grant(&auth, place.as_ref(), &permissions, false)?;
    let removed = relais_store::grants::remove(
        &state.db,
        path.id,
        Granted::Role(role.id),
        query.organizational_unit,
    )
    .await?;
    if !removed {
        return Err(ApiError::not_found("grant of this role"));
    }
    Ok(done())
}

async fn find_role(state: &AppState, key: &str) -> ApiResult<relais_store::roles::Role> {
    relais_store::roles::find_by_key(&state.db, key)
        .await?
        .ok_or_else(|| ApiError::not_found("role").with_field("role_key", "no such role"))
}
