//! The rider app's API (relais extension, tag `Rider`), under `/rider/`: accounts, the rider's
//! profile and devices, payment methods and wallets, and their trips and transactions. It shares the Dashboard's envelope,
//! validation and error catalogue; a rider's token works here and nowhere in the Dashboard
//! (which needs `dashboard.access`). A blocked rider is refused everywhere (-22), and their
//! tokens stop working at once.
//!
//! Sign-in and the codes (confirmation, password reset) are throttled like the staff's sign-in
//! (`auth::throttle`), per address and client; a code allows five tries. Every request counts
//! against its caller's rate limit (`limit`).

pub mod accounts;
pub mod limit;
pub mod me;
pub mod trips;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::router())
        .merge(me::router())
        .merge(trips::router())
}
