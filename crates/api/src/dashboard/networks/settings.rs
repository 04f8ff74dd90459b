//! Seed group `Networks`, the settings of a network: access rules, sponsorship, rent settings
//! and timings, free-float to station reward, out of orders.
//!
//! Reading needs `networks.manage` over the network of the path; changing needs it with write,
//! and the network must not be closed (-41).

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

mod access_rules;
mod freefloat;
mod out_of_orders;
mod rent;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(access_rules::router())
        .merge(rent::router())
        .merge(freefloat::router())
        .merge(out_of_orders::router())
}
