//! Seed group `OrganizationalUnits`: the places grants are scoped to.
//!
//! A caller whose `users.permissions` is scoped sees and changes only the units whose whole
//! content lies within their scope, so that nobody can build or read a unit reaching further
//! than they do.

use crate::access::{Authorized, read, write};
use crate::dashboard::users::{GrantItem, UserSummary};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ValidJson, ValidPath, unique_ids};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::{Object, Permission};
use relais_store::units::{Unit, UnitContents};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            get_organizational_units,
            create_organizational_unit
        ))
        .routes(routes!(update_organizational_unit))
        .routes(routes!(delete_organizational_unit))
        .routes(routes!(get_organizational_unit_users))
        .routes(routes!(get_global_user_count))
}

/// An organizational unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationalUnit {
    pub id: i64,
    pub name: String,
    pub app_labels: Vec<i64>,
    pub organizations: Vec<i64>,
    pub networks: Vec<i64>,
    /// When not empty, grants in this unit reach only these clusters of its networks.
    pub clusters: Vec<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Unit> for OrganizationalUnit {
    fn from(u: Unit) -> Self {
        OrganizationalUnit {
            id: u.id,
            name: u.name,
            app_labels: u.contents.app_labels.into_iter().collect(),
            organizations: u.contents.organizations.into_iter().collect(),
            networks: u.contents.networks.into_iter().collect(),
            clusters: u.contents.clusters.into_iter().collect(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// Organizational unit data.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationalUnitRequest {
    /// The name of the organizational unit.
    #[validate(length(min = 3, max = 50))]
    #[schema(min_length = 3, max_length = 50, example = "Lyon team")]
    pub name: String,
    /// The list of application labels included in this organizational unit.
    #[validate(custom(function = "unique_ids"))]
    #[schema(example = json!([]))]
    pub app_labels: Vec<i64>,
    /// The list of organization included in this organizational unit.
    #[validate(custom(function = "unique_ids"))]
    #[schema(example = json!([]))]
    pub organizations: Vec<i64>,
    /// The list of networks included in this organizational unit.
    #[validate(custom(function = "unique_ids"))]
    #[schema(example = json!([1]))]
    pub networks: Vec<i64>,
    /// A restricted list of cluster included in this organizational unit. Allow to restrict given permission to only some clusters.
    #[validate(custom(function = "unique_ids"))]
    #[schema(example = json!([]))]
    pub clusters: Vec<i64>,
}

/// Updated organizational unit data.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationalUnitRequest {
    /// The name of the organizational unit.
    #[validate(length(min = 3, max = 50))]
    #[schema(min_length = 3, max_length = 50, example = "Lyon team")]
    pub name: String,
    /// The list of application labels included in this organizational unit.
    #[validate(custom(function = "unique_ids"))]
    #[schema(example = json!([]))]
    pub app_labels: Vec<i64>,
    /// The list of organization included in this organizational unit.
    #[validate(custom(function = "unique_ids"))]
    #[schema(example = json!([]))]
    pub organizations: Vec<i64>,
    /// The list of networks included in this organizational unit.
    #[validate(custom(function = "unique_ids"))]
    #[schema(example = json!([1]))]
    pub networks: Vec<i64>,
    /// A restricted list of cluster included in this organizational unit. Allow to restrict given permission to only some clusters.
    #[validate(custom(function = "unique_ids"))]
    #[schema(example = json!([]))]
    pub clusters: Vec<i64>,
    /// The identifier of the organizational unit (the one of the path).
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub ou_id: i64,
}

/// The unit named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The organizational unit's identifier.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// The users holding grants in one unit, with those grants.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitUser {
    pub user: UserSummary,
    pub grants: Vec<GrantItem>,
}

fn contents(
    app_labels: Vec<i64>,
    organizations: Vec<i64>,
    networks: Vec<i64>,
    clusters: Vec<i64>,
) -> UnitContents {
    UnitContents {
        app_labels: app_labels.into_iter().collect(),
        organizations: organizations.into_iter().collect(),
        networks: networks.into_iter().collect(),
        clusters: clusters.into_iter().collect(),
    }
}

fn out_of_scope() -> ApiError {
    ApiError::new(
        ErrorCode::OutOfScope,
        "this organizational unit reaches beyond your scope",
    )
}

/// Get organizational units
#[utoipa::path(get, path = "/dashboard/organizational-units", tag = "OrganizationalUnits",
    summary = "Get organizational units",
    description = "Get the list of organizational units.",
    extensions(("x-permission" = json!(read(Permission::UsersPermissions)))),
    responses(
        (status = 200, description = "The units within the caller's scope, by name", body = Envelope<Vec<OrganizationalUnit>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody)))]
pub async fn get_organizational_units(
    State(state): State<AppState>,
    auth: Authorized,
) -> ApiResult<Json<Envelope<Vec<OrganizationalUnit>>>> {
    let units = relais_store::units::list(&state.db).await?;
    Ok(ok(units
        .into_iter()
        .filter(|u| auth.scope.covers(&u.scope()))
        .map(OrganizationalUnit::from)
        .collect()))
}

/// Create organizational unit
#[utoipa::path(post, path = "/dashboard/organizational-units", tag = "OrganizationalUnits",
    summary = "Create organizational unit",
    description = "Create a new organizational unit.",
    request_body(content = CreateOrganizationalUnitRequest, description = "Organizational unit data."),
    extensions(("x-permission" = json!(write(Permission::UsersPermissions)))),
    responses(
        (status = 200, description = "The new unit", body = Envelope<OrganizationalUnit>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or contents beyond the caller's scope (-31)", body = ErrorBody),
        (status = 409, description = "The name is taken (-40)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_organizational_unit(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<CreateOrganizationalUnitRequest>,
) -> ApiResult<Json<Envelope<OrganizationalUnit>>> {
    let contents = contents(
        body.app_labels,
        body.organizations,
        body.networks,
        body.clusters,
    );
    let probe = Unit {
        id: 0,
        name: body.name.clone(),
        cluster_networks: relais_store::units::cluster_networks(&state.db, &contents.clusters)
            .await?,
        contents: contents.clone(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    // Before any existence check: a unit beyond the caller's reach says nothing of what exists.
    if !auth.scope.covers(&probe.scope()) {
        return Err(out_of_scope());
    }
    let unit = relais_store::units::create(&state.db, &body.name, &contents).await?;
    Ok(ok(unit.into()))
}

/// Update organizational unit
#[utoipa::path(put, path = "/dashboard/organizational-units/{id}", tag = "OrganizationalUnits",
    summary = "Update organizational unit",
    description = "Update name and/or linked objects of an organizational unit.",
    params(IdPath),
    request_body(content = UpdateOrganizationalUnitRequest, description = "Updated organizational unit data. `ou_id` must be the one of the path."),
    extensions(("x-permission" = json!(write(Permission::UsersPermissions).object_in_path("id", Object::OrganizationalUnit)))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or unit beyond the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such unit (-2)", body = ErrorBody),
        (status = 409, description = "The name is taken (-40)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_organizational_unit(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<IdPath>,
    ValidJson(body): ValidJson<UpdateOrganizationalUnitRequest>,
) -> ApiResult<Json<Done>> {
    if body.ou_id != path.id {
        return Err(ApiError::field(
            "ou_id",
            "must be the identifier of the path",
        ));
    }
    let current = relais_store::units::get(&state.db, path.id)
        .await?
        .ok_or_else(|| ApiError::not_found("organizational unit"))?;
    let contents = contents(
        body.app_labels,
        body.organizations,
        body.networks,
        body.clusters,
    );
    let next = Unit {
        cluster_networks: relais_store::units::cluster_networks(&state.db, &contents.clusters)
            .await?,
        contents: contents.clone(),
        ..current
    };
    if !auth.scope.covers(&next.scope()) {
        return Err(out_of_scope());
    }
    relais_store::units::update(&state.db, path.id, &body.name, &contents).await?;
    Ok(done())
}

/// Delete organizational unit
#[utoipa::path(delete, path = "/dashboard/organizational-units/{id}", tag = "OrganizationalUnits",
    summary = "Delete organizational unit",
    description = "Delete the specified organizational unit if there is no longer user with permissions linked to it.",
    params(IdPath),
    extensions(("x-permission" = json!(write(Permission::UsersPermissions).object_in_path("id", Object::OrganizationalUnit)))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or unit beyond the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such unit (-2)", body = ErrorBody),
        (status = 409, description = "Grants still refer to the unit (-41)", body = ErrorBody)))]
pub async fn delete_organizational_unit(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<IdPath>,
) -> ApiResult<Json<Done>> {
    relais_store::units::delete(&state.db, path.id).await?;
    Ok(done())
}

/// Get organizational unit users
#[utoipa::path(get, path = "/dashboard/organizational-units/{id}/users", tag = "OrganizationalUnits",
    summary = "Get organizational unit users",
    description = "Get the list of users with their permissions for the given organizational unit.",
    params(IdPath),
    extensions(("x-permission" = json!(read(Permission::UsersPermissions).object_in_path("id", Object::OrganizationalUnit)))),
    responses(
        (status = 200, description = "The users holding grants in the unit, with those grants", body = Envelope<Vec<UnitUser>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or unit beyond the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such unit (-2)", body = ErrorBody)))]
pub async fn get_organizational_unit_users(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<IdPath>,
) -> ApiResult<Json<Envelope<Vec<UnitUser>>>> {
    let now = Utc::now();
    let users = relais_store::grants::in_unit(&state.db, path.id).await?;
    Ok(ok(users
        .into_iter()
        .map(|(user, grants)| UnitUser {
            user: user.into(),
            grants: grants.into_iter().map(|g| GrantItem::new(g, now)).collect(),
        })
        .collect()))
}

/// Get global user count
#[utoipa::path(get, path = "/dashboard/organizational-units/global/user-count", tag = "OrganizationalUnits",
    summary = "Get global user count",
    description = "Get the count of user that have a permission globally.",
    extensions(("x-permission" = json!(read(Permission::UsersPermissions).global()))),
    responses(
        (status = 200, description = "How many users hold at least one global grant in force", body = Envelope<u64>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or not global (-31)", body = ErrorBody)))]
pub async fn get_global_user_count(
    State(state): State<AppState>,
) -> ApiResult<Json<Envelope<u64>>> {
    Ok(ok(relais_store::units::global_user_count(
        &state.db,
        Utc::now(),
    )
    .await?))
}
