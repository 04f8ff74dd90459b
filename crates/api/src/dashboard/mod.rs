//! The Dashboard API (seed 004): one module per seed group, all under `/dashboard/`.
//!
//! Every request under `/dashboard/` is written to the access log (see [`record_access`] and
//! [`crate::access_log`]).

pub mod access_logs;
pub mod app_label;
pub mod clusters;
pub mod devices;
pub mod fleet_alerts;
pub mod geofencing;
pub mod hauler_connections;
pub mod invoices;
pub mod maintenances;
pub mod networks;
pub mod organizational_units;
pub mod out_of_order;
pub mod partner_accounts;
pub mod payment_methods;
pub mod permissions;
pub mod phone;
pub mod pricing;
pub mod reference;
pub mod roles;
pub mod stations;
pub mod stocks;
pub mod third_parties;
pub mod transactions;
pub mod trips;
pub mod users;
pub mod vehicles;
pub mod vehicles_external_locks;

use crate::access::Caller;
use crate::error::KnotCode;
use crate::net::ClientAddress;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use relais_store::access_logs::NewAccessLog;
use std::time::Instant;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(access_logs::router())
        .merge(app_label::router())
        .merge(clusters::router())
        .merge(devices::router())
        .merge(fleet_alerts::router())
        .merge(geofencing::router())
        .merge(hauler_connections::router())
        .merge(maintenances::router())
        .merge(networks::router())
        .merge(organizational_units::router())
        .merge(out_of_order::router())
        .merge(partner_accounts::router())
        .merge(payment_methods::router())
        .merge(permissions::router())
        .merge(phone::router())
        .merge(pricing::router())
        .merge(reference::router())
        .merge(roles::router())
        .merge(stations::router())
        .merge(stocks::router())
        .merge(third_parties::router())
        .merge(transactions::router())
        .merge(invoices::router())
        .merge(trips::router())
        .merge(users::router())
        .merge(vehicles::router())
        .merge(vehicles_external_locks::router())
}

/// Record every Dashboard request: who, what, from where, how it ended and how long it took.
pub async fn record_access(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let (parts, body) = req.into_parts();
    let user_id = parts.extensions.get::<Caller>().map(|c| c.user.id);
    let ip = ClientAddress::of(&parts, state.settings.trust_forwarded_for).0;
    let user_agent = parts
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(2048).collect());
    let target_path: String = parts.uri.path().chars().take(2048).collect();
    let verb = parts.method.to_string();
    let response = next.run(Request::from_parts(parts, body)).await;
    let entry = NewAccessLog {
        user_id,
        target_path,
        verb,
        user_agent,
        ip,
        http_code: i32::from(response.status().as_u16()),
        knot_code: response.extensions().get::<KnotCode>().map_or(0, |c| c.0),
        duration_ms: i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX),
        created_at: Utc::now(),
    };
    // Off the request path: the row is written with others by the access-log task.
    state.access_log.push(entry);
    response
}
