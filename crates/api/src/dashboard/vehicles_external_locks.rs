//! Seed group `VehiclesExternalLocks`: external locks fitted to vehicles.
//!
//! Decisions:
//! - A vehicle has at most one active lock: registering a second is refused (409 -41) until
//!   the first is decommissioned. Serial numbers are unique among all locks, decommissioned ones
//!   included (409 -40 naming `serial_number`).
//! - "Decommission lock" and "Update lock code" take the VEHICLE's id, as the seed says, and act
//!   on its active lock (404 when it has none). Decommissioning keeps the lock's history.
//! - The vehicle must be in service and its network open (-41 otherwise); its network must be
//!   within the caller's scope of `vehicles.manage` with write (-31).

use crate::access::write;
use crate::dashboard::vehicles::{ExternalLockItem, VehiclePath};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use relais_domain::{Object, Permission};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_external_lock))
        .routes(routes!(decommission_lock))
        .routes(routes!(update_lock_code))
}

/// The kinds of external locks.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum VehicleExternalLockType {
    U,
    Foldable,
    Flexible,
    Chain,
    Frame,
}

impl VehicleExternalLockType {
    fn as_str(self) -> &'static str {
        match self {
            VehicleExternalLockType::U => "u",
            VehicleExternalLockType::Foldable => "foldable",
            VehicleExternalLockType::Flexible => "flexible",
            VehicleExternalLockType::Chain => "chain",
            VehicleExternalLockType::Frame => "frame",
        }
    }
}

/// The lock information.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterLockRequest {
    /// The identifier of the vehicle on which the lock is installed.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub vehicle_id: i64,
    /// The model of the lock.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub model: String,
    /// The type of the lock.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: VehicleExternalLockType,
    /// The unique serial number of the lock.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub serial_number: String,
    /// The code to open the lock.
    #[validate(length(min = 1, max = 16))]
    #[schema(min_length = 1, max_length = 16)]
    pub code: String,
}

/// The new code.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCodeRequest {
    /// The new code.
    #[validate(length(min = 1, max = 16))]
    #[schema(min_length = 1, max_length = 16)]
    pub code: String,
}

/// Register external lock
#[utoipa::path(post, path = "/dashboard/vehicle-external-locks", tag = "VehiclesExternalLocks",
    summary = "Register external lock",
    description = "Register an external lock on the given vehicle.\n\nThe vehicle must be in service, in an open network within the caller's scope, and have no active lock (409 -41 otherwise: decommission the old one first). The serial number is unique among all locks (409 -40). Answers the lock.",
    request_body(content = RegisterLockRequest, description = "The lock information."),
    extensions(("x-permission" = json!(write(Permission::VehiclesManage).object_in_body("vehicle_id", Object::Vehicle)))),
    responses(
        (status = 200, description = "The lock registered", body = Envelope<ExternalLockItem>),
        (status = 400, description = "Malformed body or unknown `type` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or vehicle outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle (-2, naming `vehicle_id`)", body = ErrorBody),
        (status = 409, description = "Serial number taken (-40), vehicle already has an active lock, is decommissioned, or its network is closed (-41)", body = ErrorBody),
        (status = 422, description = "A field out of its length (-11)", body = ErrorBody)))]
pub async fn register_external_lock(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<RegisterLockRequest>,
) -> ApiResult<Json<Envelope<ExternalLockItem>>> {
    let lock = relais_store::external_locks::register(
        &state.db,
        relais_store::external_locks::NewLock {
            vehicle_id: body.vehicle_id,
            model: body.model,
            kind: body.kind.as_str().into(),
            serial_number: body.serial_number,
            code: body.code,
        },
    )
    .await?;
    Ok(ok(ExternalLockItem::from(lock)))
}

/// Decommission lock
#[utoipa::path(delete, path = "/dashboard/vehicles/{id}/external-lock", tag = "VehiclesExternalLocks",
    summary = "Decommission lock",
    description = "Decommission a vehicle external lock.\n\n`id` is the vehicle's: its active lock is decommissioned (kept in the history with its date). 404 when the vehicle has no active lock.",
    params(VehiclePath),
    extensions(("x-permission" = json!(write(Permission::VehiclesManage).object_in_path("id", Object::Vehicle)))),
    responses(
        (status = 200, description = "The lock decommissioned", body = Envelope<ExternalLockItem>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or vehicle outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle, or no active lock on it (-2)", body = ErrorBody),
        (status = 409, description = "Vehicle decommissioned or network closed (-41)", body = ErrorBody)))]
pub async fn decommission_lock(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<VehiclePath>,
) -> ApiResult<Json<Envelope<ExternalLockItem>>> {
    let lock = relais_store::external_locks::decommission(&state.db, path.id).await?;
    Ok(ok(ExternalLockItem::from(lock)))
}

/// Update lock code
#[utoipa::path(put, path = "/dashboard/vehicles/{id}/external-lock/code", tag = "VehiclesExternalLocks",
    summary = "Update lock code",
    description = "Change the access code of an external lock (still require a physical operation on the lock, this only change the displayed code in the application).\n\n`id` is the vehicle's: the code of its active lock changes. 404 when the vehicle has no active lock.",
    params(VehiclePath),
    request_body(content = UpdateCodeRequest, description = "The new code."),
    extensions(("x-permission" = json!(write(Permission::VehiclesManage).object_in_path("id", Object::Vehicle)))),
    responses(
        (status = 200, description = "The lock with its new code", body = Envelope<ExternalLockItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or vehicle outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such vehicle, or no active lock on it (-2)", body = ErrorBody),
        (status = 409, description = "Vehicle decommissioned or network closed (-41)", body = ErrorBody),
        (status = 422, description = "`code` of 0 or more than 16 characters (-11)", body = ErrorBody)))]
pub async fn update_lock_code(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<VehiclePath>,
    ValidJson(body): ValidJson<UpdateCodeRequest>,
) -> ApiResult<Json<Envelope<ExternalLockItem>>> {
    let lock = relais_store::external_locks::update_code(&state.db, path.id, body.code).await?;
    Ok(ok(ExternalLockItem::from(lock)))
}
