//! Seed group `Devices`: the accounts that signed in from one device.
//!
//! | Operation | Route | Permission |
//! |---|---|---|
//! | Get users using given device | `GET /dashboard/devices/{id}/users` | `users.list` |

use crate::access::{Authorized, read};
use crate::dashboard::users::accounts::{FoundUser, UserDevice, users_in};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ValidPath;
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
    OpenApiRouter::new().routes(routes!(get_users_using_given_device))
}

/// The device named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DevicePath {
    /// The identifier of the device to look for.
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub id: String,
}

/// A user who signed in with the device, and their use of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceUser {
    pub user: FoundUser,
    pub device: UserDevice,
}

/// The most accounts answered for one device.
const LIMIT: u64 = 100;

/// Get users using given device.
#[utoipa::path(get, path = "/dashboard/devices/{id}/users", tag = "Devices",
    summary = "Get users using given device",
    description = "Get the users that logged in with the same device as the given one.\n\n`id` is the app's identifier of the device (as \"Get user devices\" shows it). The accounts the caller's scope reaches, the most recently seen on the device first, at most 100. Needs `users.list`.",
    params(DevicePath),
    extensions(("x-permission" = json!(read(Permission::UsersList)))),
    responses(
        (status = 200, description = "The users of the device", body = Envelope<Vec<DeviceUser>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 422, description = "Invalid device id (-11)", body = ErrorBody)))]
pub async fn get_users_using_given_device(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<DevicePath>,
) -> ApiResult<Json<Envelope<Vec<DeviceUser>>>> {
    let scope = users_in(&auth.scope);
    let rows = relais_store::devices::users_of(&state.db, &path.id, scope.as_ref(), LIMIT).await?;
    Ok(ok(rows
        .into_iter()
        .map(|(device, user)| DeviceUser {
            user: user.into(),
            device: device.into(),
        })
        .collect()))
}
