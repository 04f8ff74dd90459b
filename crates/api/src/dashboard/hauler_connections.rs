//! The operator side of the hauler connections of seed 003 (a relais extension, tag
//! `HaulerConnections`): list the connections haulers asked for to the caller's networks,
//! approve (records who and when), deny (records when) or revoke them.
//!
//! Needs `networks.manage` (read to list, write to decide) over the connection's network. An
//! approved connection gives each of the hauler's users `dashboard.access`, `stocks.vehicles`
//! and `vehicles.manage` (read) in an organizational unit holding just that network; revoking
//! takes them back.

use crate::access::{Authorized, read, write};
use crate::dashboard::users::may_grant;
use crate::envelope::{Envelope, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{CommaSeparated, ValidPath, ValidQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::{Object, Permission, UnitScope};
use relais_store::entity::hauler_connection;
use relais_store::haulers::Status;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

const TAG: &str = "HaulerConnections";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_hauler_connections))
        .routes(routes!(approve_hauler_connection))
        .routes(routes!(deny_hauler_connection))
        .routes(routes!(revoke_hauler_connection))
}

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Pending,
    Approved,
    Denied,
    Revoked,
}

impl From<Status> for ConnectionStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => ConnectionStatus::Pending,
            Status::Approved => ConnectionStatus::Approved,
            Status::Denied => ConnectionStatus::Denied,
            Status::Revoked => ConnectionStatus::Revoked,
        }
    }
}

impl From<ConnectionStatus> for Status {
    fn from(s: ConnectionStatus) -> Self {
        match s {
            ConnectionStatus::Pending => Status::Pending,
            ConnectionStatus::Approved => Status::Approved,
            ConnectionStatus::Denied => Status::Denied,
            ConnectionStatus::Revoked => Status::Revoked,
        }
    }
}

/// The hauler that asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct HaulerRef {
    pub id: i64,
    #[schema(format = "uuid")]
    pub uuid: String,
    pub name: String,
}

/// A hauler's connection to a network.
#[derive(Debug, Serialize, ToSchema)]
pub struct HaulerConnection {
    pub id: i64,
    pub hauler: HaulerRef,
    pub network_id: i64,
    pub status: ConnectionStatus,
    /// The hauler's user who asked.
    pub requested_by: Option<i64>,
    pub requested_on: DateTime<Utc>,
    /// The operator's user who approved.
    pub approved_by: Option<i64>,
    pub approved_on: Option<DateTime<Utc>>,
    pub denied_on: Option<DateTime<Utc>>,
    pub revoked_on: Option<DateTime<Utc>>,
    /// The organizational unit through which the hauler's users have access while approved.
    pub unit_id: Option<i64>,
}

async fn item(state: &AppState, c: hauler_connection::Model) -> ApiResult<HaulerConnection> {
    Ok(items(state, vec![c]).await?.remove(0))
}

/// The answers for `connections`, their haulers looked up in one query.
async fn items(
    state: &AppState,
    connections: Vec<hauler_connection::Model>,
) -> ApiResult<Vec<HaulerConnection>> {
    let haulers = relais_store::haulers::haulers_of(&state.db, &connections).await?;
    connections
        .into_iter()
        .map(|c| {
            let hauler = haulers
                .get(&c.hauler_id)
                .ok_or_else(|| ApiError::internal("hauler of a connection is missing"))?;
            Ok(HaulerConnection {
                id: c.id,
                hauler: HaulerRef {
                    id: hauler.id,
                    uuid: hauler.uuid.clone(),
                    name: hauler.name.clone(),
                },
                network_id: c.network_id,
                status: Status::of(&c).into(),
                requested_by: c.requested_by,
                requested_on: c.requested_on,
                approved_by: c.approved_by,
                approved_on: c.approved_on,
                denied_on: c.denied_on,
                revoked_on: c.revoked_on,
                unit_id: c.unit_id,
            })
        })
        .collect()
}

/// Which connections to list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConnectionsQuery {
    /// Comma-separated network ids (all those of the caller's scope when absent).
    #[param(value_type = Option<String>, example = "1,5,7")]
    pub networks: Option<CommaSeparated<i64>>,
    /// Only the connections in this state.
    pub status: Option<ConnectionStatus>,
}

/// The connection named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConnectionPath {
    /// Identifier of the hauler connection.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub connection_id: i64,
}

#[utoipa::path(get, path = "/dashboard/hauler-connections", tag = TAG,
    summary = "List hauler connections",
    description = "The connections third-party haulers asked for (seed 003) to the networks asked for, or to every network of the caller's scope, newest first; `status` keeps those pending, approved, denied or revoked. Needs `networks.manage` over every network asked for.",
    params(ConnectionsQuery),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).networks_in_query("networks"))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The connections", body = Envelope<Vec<HaulerConnection>>),
        (status = 400, description = "Malformed parameter (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody)))]
pub async fn get_hauler_connections(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(query): ValidQuery<ConnectionsQuery>,
) -> ApiResult<Json<Envelope<Vec<HaulerConnection>>>> {
    // Connections belong to whole networks: a unit restricted to some clusters sees none.
    let networks: Option<Vec<i64>> = match (query.networks, auth.scope.networks()) {
        (Some(asked), _) => Some(asked.0),
        (None, Some(scope)) => Some(scope.into_iter().collect()),
        (None, None) => None,
    }
    .map(|ids| {
        ids.into_iter()
            .filter(|n| auth.scope.reaches_network(*n))
            .collect()
    });
    let rows = relais_store::haulers::list(
        &state.db,
        networks.as_deref(),
        query.status.map(Status::from),
    )
    .await?;
    Ok(ok(items(&state, rows).await?))
}

#[utoipa::path(post, path = "/dashboard/hauler-connections/{connection_id}/approve", tag = TAG,
    summary = "Approve hauler connection",
    description = "Approve a pending (or previously denied) connection: records the approving user and the time, and gives each of the hauler's users `dashboard.access`, `stocks.vehicles` and `vehicles.manage` (read) in an organizational unit holding just the connection's network. Another state answers -41 (409); a closed network -41. Needs `networks.manage` with write over the connection's network (-31 otherwise), and the approver must hold, over that network, each permission the approval gives (-30 naming those lacking), as for granting.",
    params(ConnectionPath),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("connection_id", Object::HaulerConnection))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The approved connection", body = Envelope<HaulerConnection>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such connection (-2)", body = ErrorBody),
        (status = 409, description = "Not pending nor denied, or network closed (-41)", body = ErrorBody)))]
pub async fn approve_hauler_connection(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<ConnectionPath>,
) -> ApiResult<Json<Envelope<HaulerConnection>>> {
    // Approving grants the hauler's users what the approver must hold there (as granting does).
    let connection = relais_store::haulers::connection(&state.db, path.connection_id).await?;
    // The place of the grants: the unit the approval makes, holding just the network.
    let place = UnitScope {
        networks: [connection.network_id].into(),
        ..Default::default()
    };
    may_grant(&auth, Some(&place), &relais_store::haulers::GRANTED, false)?;
    let row =
        relais_store::haulers::approve(&state.db, path.connection_id, auth.user_id(), Utc::now())
            .await?;
    Ok(ok(item(&state, row).await?))
}

#[utoipa::path(post, path = "/dashboard/hauler-connections/{connection_id}/deny", tag = TAG,
    summary = "Deny hauler connection",
    description = "Deny a pending connection (records the time). Another state answers -41 (409): revoke an approved one. Needs `networks.manage` with write over the connection's network (-31 otherwise).",
    params(ConnectionPath),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("connection_id", Object::HaulerConnection))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The denied connection", body = Envelope<HaulerConnection>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such connection (-2)", body = ErrorBody),
        (status = 409, description = "Not pending, or network closed (-41)", body = ErrorBody)))]
pub async fn deny_hauler_connection(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<ConnectionPath>,
) -> ApiResult<Json<Envelope<HaulerConnection>>> {
    let row = relais_store::haulers::deny(&state.db, path.connection_id, Utc::now()).await?;
    Ok(ok(item(&state, row).await?))
}

#[utoipa::path(post, path = "/dashboard/hauler-connections/{connection_id}/revoke", tag = TAG,
    summary = "Revoke hauler connection",
    description = "Revoke an approved connection (records the time): the hauler's users lose the grants it gave and its organizational unit is deleted. The hauler may ask again. Another state answers -41 (409). Needs `networks.manage` with write over the connection's network (-31 otherwise).",
    params(ConnectionPath),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("connection_id", Object::HaulerConnection))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The revoked connection", body = Envelope<HaulerConnection>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such connection (-2)", body = ErrorBody),
        (status = 409, description = "Not approved (-41)", body = ErrorBody)))]
pub async fn revoke_hauler_connection(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<ConnectionPath>,
) -> ApiResult<Json<Envelope<HaulerConnection>>> {
    let row = relais_store::haulers::revoke(&state.db, path.connection_id, Utc::now()).await?;
    Ok(ok(item(&state, row).await?))
}
