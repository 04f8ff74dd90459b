//! Seed group `Maintenances`: the operator-wide catalogue of maintenance types, the current
//! maintenances of the active fleet, and (relais extensions) opening and closing a maintenance.
//!
//! Maintenance types belong to the operator, not to a network: creating and deleting them needs
//! `maintenances` with write granted globally. Their `key` is unique for good (a deleted type
//! keeps its key, so history stays unambiguous). Deleting a type sets its deletion date: the
//! maintenances opened with it stay, but no new one may use it.
//!
//! Labels: a small built-in table gives English and French labels of the common keys
//! (`flat-tyre`, `brake`, `light`, `lock`, `screen`, `power`, `cleaning`); other languages get
//! English, other keys their key as label.
//!
//! A vehicle under an open maintenance has the status `maintenance`; it goes back to `available`
//! when its last open maintenance is closed.

use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Envelope, Paged, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{CommaSeparated, ValidJson, ValidPath, ValidQuery, language, unique_id_list};
use crate::pagination::{ListPageQuery, PageInfo};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::maintenance::{MaintenanceSeverity, MaintenanceTargetType, label};
use relais_domain::{Object, Permission};
use relais_store::maintenances::{Current, NewMaintenance, Target};
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_current_maintenances, open_maintenance))
        .routes(routes!(close_maintenance))
        .routes(routes!(
            get_maintenance_types,
            create_maintenance_type,
            delete_maintenance_type
        ))
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The networks and the language asked for.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CurrentQuery {
    /// Identifier of networks of which to get fleet maintenance (`networks=1,5,7`).
    #[validate(custom(function = "unique_id_list"))]
    #[param(value_type = String, example = "1,5,7")]
    pub networks: CommaSeparated<i64>,
    /// The lang in which to get the maintenance types localized (two letters, `en`, `fr`).
    #[validate(custom(function = "language"))]
    #[param(min_length = 2, max_length = 2, example = "fr")]
    pub lang: String,
}

/// The language of the labels, and whether deleted types are wanted.
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TypesQuery {
    /// The lang in which to get the maintenance types localized (two letters, `en`, `fr`).
    #[validate(custom(function = "language"))]
    #[param(min_length = 2, max_length = 2, example = "fr")]
    pub lang: String,
    /// Whether deleted types are listed too (default `false`): they are kept for the history of
    /// the maintenances opened with them.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[param(value_type = Option<bool>, default = false)]
    pub include_deleted: Option<bool>,
}

/// Info on the maintenance type to create.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMaintenanceTypeRequest {
    /// Unique key of maintenance type.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50)]
    pub key: String,
    /// The type of object on which this type applies.
    pub target_type: MaintenanceTargetType,
    /// The severity of the problem.
    pub severity: MaintenanceSeverity,
}

/// The maintenance type to delete.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TypeKeyQuery {
    /// The key of the maintenance type to delete.
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub key: String,
}

/// A maintenance to open.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenMaintenanceRequest {
    /// The key of the maintenance type (not deleted).
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50, example = "flat-tyre")]
    pub key: String,
    /// The kind of the target; must be the type's `target_type`.
    #[schema(example = "vehicle")]
    pub target_type: MaintenanceTargetType,
    /// Identifier of the station, spot or vehicle.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub target_id: i64,
    /// What was seen.
    #[serde(default)]
    #[validate(length(max = 500))]
    #[schema(max_length = 500, example = "Front tyre flat")]
    pub comment: Option<String>,
}

/// The maintenance named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MaintenancePath {
    /// Identifier of the maintenance.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

// ---------------------------------------------------------------------------------------------
// Responses

/// A maintenance type.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceTypeItem {
    pub id: i64,
    /// The key a maintenance is opened with.
    pub key: String,
    /// The label in the language asked for (English on creation; the key when there is none).
    pub label: String,
    pub target_type: MaintenanceTargetType,
    pub severity: MaintenanceSeverity,
    pub created_at: DateTime<Utc>,
    /// Null unless the type is deleted (listed with `include_deleted=true` only).
    #[schema(required = true)]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// What a maintenance applies to, with where it stands when known.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceTarget {
    pub target_type: MaintenanceTargetType,
    pub network_id: i64,
    #[schema(required = true)]
    pub cluster_id: Option<i64>,
    #[schema(required = true)]
    pub cluster_name: Option<String>,
    #[schema(required = true)]
    pub station_id: Option<i64>,
    #[schema(required = true)]
    pub spot_id: Option<i64>,
    #[schema(required = true)]
    pub vehicle_id: Option<i64>,
    #[schema(required = true)]
    pub vehicle_serial: Option<String>,
}

impl MaintenanceTarget {
    fn new(target_type: MaintenanceTargetType, target: Target) -> Self {
        MaintenanceTarget {
            target_type,
            network_id: target.network_id,
            cluster_id: target.cluster.as_ref().map(|c| c.id),
            cluster_name: target.cluster.map(|c| c.name),
            station_id: target.station_id,
            spot_id: target.spot_id,
            vehicle_id: target.vehicle_id,
            vehicle_serial: target.vehicle_serial,
        }
    }
}

/// An open maintenance.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentMaintenance {
    pub id: i64,
    /// The maintenance type's key.
    pub key: String,
    /// The type's label in the language asked for (the key when there is none).
    pub label: String,
    pub severity: MaintenanceSeverity,
    pub target: MaintenanceTarget,
    pub opened_at: DateTime<Utc>,
    /// The user who opened it (`null` once that user is deleted).
    #[schema(required = true)]
    pub opened_by: Option<i64>,
    #[schema(required = true)]
    pub comment: Option<String>,
}

/// A maintenance, as opened or closed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceItem {
    pub id: i64,
    pub key: String,
    pub network_id: i64,
    pub target_type: MaintenanceTargetType,
    pub target_id: i64,
    #[schema(required = true)]
    pub comment: Option<String>,
    pub opened_at: DateTime<Utc>,
    #[schema(required = true)]
    pub opened_by: Option<i64>,
    #[schema(required = true)]
    pub closed_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub closed_by: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn parsed<T: std::str::FromStr>(text: &str) -> ApiResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>()
        .map_err(|err| ApiError::internal(format!("stored maintenance value: {err}")))
}

fn item(m: relais_store::entity::maintenance::Model, key: String) -> ApiResult<MaintenanceItem> {
    let (target_type, target_id) = match (m.station_id, m.spot_id, m.vehicle_id) {
        (Some(id), _, _) => (MaintenanceTargetType::Station, id),
        (_, Some(id), _) => (MaintenanceTargetType::Spot, id),
        (_, _, Some(id)) => (MaintenanceTargetType::Vehicle, id),
        _ => {
            return Err(ApiError::internal(format!(
                "maintenance {} has no target",
                m.id
            )));
        }
    };
    Ok(MaintenanceItem {
        id: m.id,
        key,
        network_id: m.network_id,
        target_type,
        target_id,
        comment: m.comment,
        opened_at: m.opened_at,
        opened_by: m.opened_by,
        closed_at: m.closed_at,
        closed_by: m.closed_by,
    })
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Get current maintenances
#[utoipa::path(get, path = "/dashboard/maintenances", tag = "Maintenances",
    summary = "Get current maintenances",
    description = "Route to get all current maintenances of the active fleet (vehicle on station or virtual parked, spots, stations).\n\nThe open maintenances (not closed) of the networks asked for whose target is not decommissioned (a spot of a decommissioned station neither), with the type's key, severity and label in `lang` (built-in English and French labels for common keys; other languages get English, unknown keys their key), and the target: station, spot and vehicle ids, the cluster (of the station, or of the vehicle's spot or virtual parking) and the vehicle's serial. Units restricted to some clusters see only the maintenances of those clusters. Paged by keyset (relais extension: `page_size`, default 100, `last_primary_key`, `primary_key_dir`): newest first, oldest first with `primary_key_dir=ASC`. Needs `maintenances` over every network asked for.",
    params(ListPageQuery, CurrentQuery),
    extensions(("x-permission" = json!(read(Permission::Maintenances).networks_in_query("networks")))),
    responses(
        (status = 200, description = "A page of open maintenances", body = Paged<CurrentMaintenance>),
        (status = 400, description = "Missing or malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 422, description = "Invalid `networks` or `lang` (-11)", body = ErrorBody)))]
pub async fn get_current_maintenances(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(page): ValidQuery<ListPageQuery>,
    ValidQuery(query): ValidQuery<CurrentQuery>,
) -> ApiResult<Paged<CurrentMaintenance>> {
    let within = auth.within(query.networks.as_slice());
    let keyset = page.keyset();
    let current = relais_store::maintenances::current(&state.db, &within, &keyset).await?;
    let info = PageInfo::new(
        &keyset,
        current.has_more,
        current.items.last().map(|c| c.maintenance.id),
    );
    let mut out = Vec::with_capacity(current.items.len());
    for Current {
        maintenance,
        kind,
        target,
    } in current.items
    {
        let target_type = match (maintenance.station_id, maintenance.spot_id) {
            (Some(_), _) => MaintenanceTargetType::Station,
            (_, Some(_)) => MaintenanceTargetType::Spot,
            _ => MaintenanceTargetType::Vehicle,
        };
        out.push(CurrentMaintenance {
            id: maintenance.id,
            label: label(&kind.key, &query.lang),
            severity: parsed(&kind.severity)?,
            key: kind.key,
            target: MaintenanceTarget::new(target_type, target),
            opened_at: maintenance.opened_at,
            opened_by: maintenance.opened_by,
            comment: maintenance.comment,
        });
    }
    Ok(Paged {
        code: 0,
        data: out,
        page: info,
    })
}

/// Get maintenance types
#[utoipa::path(get, path = "/dashboard/maintenance-types", tag = "Maintenances",
    summary = "Get maintenance types",
    description = "relais extension: the catalogue of maintenance types, by key, with their label in `lang` (as \"Get current maintenances\" labels them), target type and severity: opening a maintenance needs a type's key. Deleted types are left out unless `include_deleted=true`. Maintenance types are the operator's, not a network's: any grant of `maintenances` will do.",
    params(TypesQuery),
    extensions(("x-permission" = json!(read(Permission::Maintenances))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The maintenance types", body = Envelope<Vec<MaintenanceTypeItem>>),
        (status = 400, description = "Missing `lang`, or `include_deleted` not a boolean (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 422, description = "`lang` not two letters (-11)", body = ErrorBody)))]
pub async fn get_maintenance_types(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<TypesQuery>,
) -> ApiResult<Json<Envelope<Vec<MaintenanceTypeItem>>>> {
    let types =
        relais_store::maintenances::types(&state.db, query.include_deleted.unwrap_or(false))
            .await?;
    let mut out = Vec::with_capacity(types.len());
    for kind in types {
        out.push(MaintenanceTypeItem {
            id: kind.id,
            label: label(&kind.key, &query.lang),
            target_type: parsed(&kind.target_type)?,
            severity: parsed(&kind.severity)?,
            key: kind.key,
            created_at: kind.created_at,
            deleted_at: kind.deleted_at,
        });
    }
    Ok(ok(out))
}

/// Create maintenance type
#[utoipa::path(post, path = "/dashboard/maintenance-types", tag = "Maintenances",
    summary = "Create maintenance type",
    description = "Create a new maintenance type.\n\n`key` is unique among all types, deleted ones included (409 -40 naming `key`). Maintenance types are the operator's: needs `maintenances` with write granted globally. Answers the new type.",
    request_body(content = CreateMaintenanceTypeRequest, description = "Info on the maintenance type to create."),
    extensions(("x-permission" = json!(write(Permission::Maintenances).global()))),
    responses(
        (status = 200, description = "Created", body = Envelope<MaintenanceTypeItem>),
        (status = 400, description = "Malformed body, unknown `target_type` or `severity` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission, or not granted globally (-30)", body = ErrorBody),
        (status = 409, description = "The key exists already (-40)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_maintenance_type(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<CreateMaintenanceTypeRequest>,
) -> ApiResult<Json<Envelope<MaintenanceTypeItem>>> {
    let created = relais_store::maintenances::create_type(
        &state.db,
        &body.key,
        body.target_type,
        body.severity,
    )
    .await?;
    tracing::info!(key = %created.key, user_id = auth.user_id(), "maintenance type created");
    Ok(ok(MaintenanceTypeItem {
        id: created.id,
        label: label(&created.key, "en"),
        key: created.key,
        target_type: body.target_type,
        severity: body.severity,
        created_at: created.created_at,
        deleted_at: created.deleted_at,
    }))
}

/// Delete maintenance type
#[utoipa::path(delete, path = "/dashboard/maintenance-types", tag = "Maintenances",
    summary = "Delete maintenance type",
    description = "Remove the maintenance type, avoiding it from being used to create new maintenances.\n\nSets a deletion date: the maintenances opened with it stay (and can be closed), opening a new one with it is refused (-11 naming `key`); its key stays taken. Deleting an absent or deleted type answers 404. Needs `maintenances` with write granted globally.",
    params(TypeKeyQuery),
    extensions(("x-permission" = json!(write(Permission::Maintenances).global()))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 400, description = "Missing `key` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission, or not granted globally (-30)", body = ErrorBody),
        (status = 404, description = "No such maintenance type, or deleted already (-2)", body = ErrorBody),
        (status = 422, description = "Invalid `key` (-11)", body = ErrorBody)))]
pub async fn delete_maintenance_type(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(query): ValidQuery<TypeKeyQuery>,
) -> ApiResult<Json<Done>> {
    relais_store::maintenances::delete_type(&state.db, &query.key, Utc::now()).await?;
    tracing::info!(key = %query.key, user_id = auth.user_id(), "maintenance type deleted");
    Ok(done())
}

/// Open a maintenance
#[utoipa::path(post, path = "/dashboard/maintenances", tag = "Maintenances",
    summary = "Open a maintenance",
    description = "relais extension: open a maintenance on a station, a spot or a vehicle.\n\nThe type `key` must exist (-2 naming `key`) and not be deleted (-11 naming `key`); its target type must be `target_type` (-11 naming `target_type`). The target must exist (-2 naming `target_id`), be within the caller's scope (its network, and its cluster for units restricted to some clusters; -31) and not be decommissioned (-41); a closed network refuses it (-41). A vehicle gets the status `maintenance`. Needs `maintenances` with write over the target's network. Answers the maintenance.",
    request_body(content = OpenMaintenanceRequest, description = "The maintenance to open."),
    extensions(("x-permission" = json!(write(Permission::Maintenances))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "Opened", body = Envelope<MaintenanceItem>),
        (status = 400, description = "Malformed body, unknown `target_type` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or target outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such type (names `key`) or target (names `target_id`) (-2)", body = ErrorBody),
        (status = 409, description = "Target decommissioned, or network closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body, deleted type, type of another target type (-11)", body = ErrorBody)))]
pub async fn open_maintenance(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<OpenMaintenanceRequest>,
) -> ApiResult<Json<Envelope<MaintenanceItem>>> {
    let kind = relais_store::maintenances::type_by_key(&state.db, &body.key)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("maintenance type").with_field("key", "no such maintenance type")
        })?;
    if kind.deleted_at.is_some() {
        return Err(ApiError::field(
            "key",
            "this maintenance type is deleted: no new maintenance may use it",
        ));
    }
    let type_target: MaintenanceTargetType = parsed(&kind.target_type)?;
    if type_target != body.target_type {
        return Err(ApiError::field(
            "target_type",
            format!("maintenance type `{}` applies to a {type_target}", kind.key),
        ));
    }
    // The target's kind is in the body: checked here, by the declared objects' rule.
    let object = match body.target_type {
        MaintenanceTargetType::Station => Object::Station,
        MaintenanceTargetType::Spot => Object::Spot,
        MaintenanceTargetType::Vehicle => Object::Vehicle,
    };
    auth.reach(&state, object, Some(body.target_id), "target_id")
        .await?;
    let opened = relais_store::maintenances::open(
        &state.db,
        NewMaintenance {
            type_id: kind.id,
            kind: body.target_type,
            target_id: body.target_id,
            comment: body.comment,
            opened_by: auth.user_id(),
        },
    )
    .await?;
    tracing::info!(
        maintenance_id = opened.id,
        user_id = auth.user_id(),
        "maintenance opened"
    );
    Ok(ok(item(opened, kind.key)?))
}

/// Close a maintenance
#[utoipa::path(post, path = "/dashboard/maintenances/{id}/close", tag = "Maintenances",
    summary = "Close a maintenance",
    description = "relais extension: close an open maintenance.\n\nSets its closing date and author; closing it again is refused (-41), as is any change in a closed network (-41). A vehicle whose last open maintenance this was goes back from `maintenance` to `available`. Needs `maintenances` with write over the maintenance's network. Answers the maintenance.",
    params(MaintenancePath),
    extensions(("x-permission" = json!(write(Permission::Maintenances).object_in_path("id", Object::Maintenance))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "Closed", body = Envelope<MaintenanceItem>),
        (status = 400, description = "Malformed `id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or maintenance outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such maintenance (-2)", body = ErrorBody),
        (status = 409, description = "Closed already, or network closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid `id` (-11)", body = ErrorBody)))]
pub async fn close_maintenance(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<MaintenancePath>,
) -> ApiResult<Json<Envelope<MaintenanceItem>>> {
    let closed =
        relais_store::maintenances::close(&state.db, path.id, auth.user_id(), Utc::now()).await?;
    let kind = relais_store::maintenances::type_of(&state.db, closed.type_id).await?;
    tracing::info!(
        maintenance_id = closed.id,
        user_id = auth.user_id(),
        "maintenance closed"
    );
    Ok(ok(item(closed, kind.key)?))
}
