//! Seed group `Users`: the staff's view of riders and staff accounts, by sub-area:
//! - [`grants`]: permissions and roles given to a user;
//! - [`accounts`]: lists and searches, the profile, devices and badges, blocking;
//! - [`money`]: payment methods, bank guarantees and wallets;
//! - [`messages`]: messages sent to the user, and the user's requests to the API;
//! - [`activity`]: the user's last actions (unlock requests, trips, transactions).
//!
//! Every operation on one user declares the user (`Object::User`): the shared machinery answers
//! 404 for an unknown user and -31 for a user outside the caller's scope (one reached through
//! none of the caller's networks and app labels).

pub mod accounts;
pub mod activity;
pub mod grants;
pub mod messages;
pub mod money;

pub use grants::{GrantItem, UserSummary, may_grant};

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(grants::router())
        .merge(accounts::router())
        .merge(money::router())
        .merge(messages::router())
        .merge(activity::router())
}
