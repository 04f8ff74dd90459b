//! relais' HTTP surfaces: the Dashboard API under `/dashboard/`, authentication under `/auth/`,
//! and the operability endpoints. Shared machinery: [`envelope`], [`error`], [`extract`] (over
//! [`input`]),
//! [`pagination`], [`access`] and [`openapi`].

pub mod access;
pub mod access_log;
pub mod auth;
pub mod blocking;
pub mod caller_cache;
pub mod dashboard;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod haulers;
pub mod input;
pub mod jobs;
pub mod multipart;
pub mod net;
pub mod openapi;
pub mod ops;
pub mod outbox;
pub mod pagination;
pub mod partner;
pub mod payments;
pub mod rates;
pub mod ride;
pub mod rider;
pub mod shapes;
pub mod state;
pub mod storage;

use crate::access::RuleTable;
use crate::error::{ApiError, ErrorCode};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

pub use state::{ApiSettings, AppState};

/// Every operation, with its OpenAPI description.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .merge(auth::router())
        .merge(dashboard::router())
        .merge(haulers::router())
        .merge(partner::router())
        .merge(rider::router())
}

/// The OpenAPI document the server publishes at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = routes().split_for_parts();
    openapi::finish(api)
}

/// The OpenAPI document as `relais openapi` prints it and `openapi.json` keeps it: the same
/// bytes at every run. utoipa keeps extensions (`x-permission`, ...) in a `HashMap`, whose
/// order changes from one process to the next; going through `serde_json::Value`, whose
/// objects are sorted by key, makes the text depend on the API alone.
pub fn openapi_json() -> serde_json::Result<String> {
    let value = serde_json::to_value(openapi())?;
    serde_json::to_string_pretty(&value)
}

/// The whole application, ready to serve.
pub fn app(mut state: AppState) -> anyhow::Result<Router> {
    let (router, api) = routes().split_for_parts();
    let api = openapi::finish(api);
    let rules =
        RuleTable::from_openapi(&serde_json::to_value(&api)?).map_err(anyhow::Error::msg)?;
    state.rules = Arc::new(rules);
    outbox::dispatch::start(state.clone());
    jobs::start(state.clone());
    let body_limit = state.settings.body_limit;
    let limit = state.settings.request_timeout;
    let router = router
        .route_layer(from_fn_with_state(state.clone(), access::authorize))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", api))
        .fallback(ops::route_not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(from_fn(haulers::outside_routes))
        .layer(from_fn(partner::outside_routes))
        .layer(from_fn_with_state(state.clone(), dashboard_access_log))
        .layer(from_fn_with_state(state.clone(), rider::limit::limit))
        .layer(from_fn_with_state(state.clone(), access::authenticate))
        .layer(from_fn_with_state(state.clone(), ops::measure))
        .layer(from_fn_with_state(body_limit, extract::keep_json_body))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(from_fn(move |req, next| ops::timeout(limit, req, next)))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(ErrorCode::Internal, "internal server error").into_response()
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                // The path only: query strings may carry personal data.
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state);
    Ok(router)
}

/// The access log covers every request under `/dashboard/`, known route or not.
async fn dashboard_access_log(
    state: axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if req.uri().path().starts_with("/dashboard/") {
        dashboard::record_access(state, req, next).await
    } else {
        next.run(req).await
    }
}
