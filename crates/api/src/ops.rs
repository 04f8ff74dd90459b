//! What the people who run the server need: health, readiness, Prometheus metrics, and the
//! middleware that measures requests, bounds their time and answers unknown routes.

use crate::access::public;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::RwLock;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// The server's metrics, in one registry.
pub struct Metrics {
    /// Locked only to add a collector (at start-up) and to encode a scrape.
    registry: RwLock<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool_open: Gauge,
    pool_idle: Gauge,
    /// Access-log rows dropped because the queue was full.
    pub access_log_dropped: Counter,
    /// Token lookups answered from the caller cache, and from the database.
    pub caller_cache_hits: Counter,
    pub caller_cache_misses: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("relais");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        let pool_open = Gauge::default();
        let pool_idle = Gauge::default();
        let access_log_dropped = Counter::default();
        let caller_cache_hits = Counter::default();
        let caller_cache_misses = Counter::default();
        registry.register(
            "caller_cache_hits",
            "Token lookups answered from memory",
            caller_cache_hits.clone(),
        );
        registry.register(
            "caller_cache_misses",
            "Token lookups read from the database (first use, or after a security change)",
            caller_cache_misses.clone(),
        );
        registry.register(
            "access_log_dropped_rows",
            "Access-log rows dropped because the write queue was full",
            access_log_dropped.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections",
            pool_open.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections",
            pool_idle.clone(),
        );
        Metrics {
            registry: RwLock::new(registry),
            requests,
            latency,
            pool_open,
            pool_idle,
            access_log_dropped,
            caller_cache_hits,
            caller_cache_misses,
        }
    }
}

impl Metrics {
    /// Add metrics read at each scrape from another part of the server (the IoT link's).
    pub fn register_collector(&self, collector: Box<dyn Collector>) {
        self.registry
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .register_collector(collector);
    }
}

/// Count and time every request by its route template (never by raw path: bounded labels).
pub async fn measure(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels { method, route })
        .observe(start.elapsed().as_secs_f64());
    response
}

/// Answer 503 in the envelope when a request takes longer than `limit`.
pub async fn timeout(limit: std::time::Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(ErrorCode::Unavailable, "the request timed out").into_response(),
    }
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "Operations",
    summary = "Liveness",
    description = "Answers 200 as long as the process serves requests.",
    extensions(("x-permission" = json!(public()))),
    responses((status = 200, description = "The process is up", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "Operations",
    summary = "Readiness",
    description = "Answers 200 when the database answers, 503 otherwise.",
    extensions(("x-permission" = json!(public()))),
    responses(
        (status = 200, description = "Ready", body = String),
        (status = 503, description = "The database is unreachable", body = crate::error::ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    if relais_store::db::ping(&state.db).await {
        "ready".into_response()
    } else {
        ApiError::new(ErrorCode::Unavailable, "the database is unreachable").into_response()
    }
}

/// What `/metrics` answers, as served and as documented. The body is prometheus_client's
/// encoding, which is OpenMetrics 1.0 text (`# EOF` at the end, counters sampled as `_total`
/// under a `# TYPE` line without it): saying `text/plain; version=0.0.4` would claim a format
/// the body does not strictly follow. Prometheus (since 2.5), VictoriaMetrics, Grafana Alloy
/// and the OpenTelemetry collector read OpenMetrics natively.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Prometheus text exposition (OpenMetrics).
#[utoipa::path(get, path = "/metrics", tag = "Operations",
    summary = "Metrics",
    description = "OpenMetrics text (Prometheus scrapes it as is): requests by route and status, latency histogram, database pool, and when the IoT link runs its messages received, applied and refused, ingest queue depth and latency (`relais_iot_*`).",
    extensions(("x-permission" = json!(public()))),
    responses((status = 200, description = "Metrics", body = String, content_type = METRICS_CONTENT_TYPE)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let (open, idle) = relais_store::db::pool_stats(&state.db);
    state.metrics.pool_open.set(open.into());
    state.metrics.pool_idle.set(idle.into());
    let mut body = String::new();
    let encoded = encode(
        &mut body,
        &state
            .metrics
            .registry
            .read()
            .unwrap_or_else(|e| e.into_inner()),
    );
    if let Err(err) = encoded {
        return ApiError::internal(err).into_response();
    }
    ([(CONTENT_TYPE, METRICS_CONTENT_TYPE)], body).into_response()
}

/// Unknown routes answer in the envelope.
pub async fn route_not_found() -> ApiError {
    ApiError::new(ErrorCode::RouteNotFound, "no operation at this path")
}

/// Known routes with another method answer in the envelope.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "this path does not take this method",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::middleware::from_fn;
    use axum::routing::get;
    use std::time::Duration;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new()
            .route("/slow", get(|| tokio::time::sleep(Duration::from_secs(60))))
            .route("/fast", get(|| async { "done" }))
            .layer(from_fn(|req, next| {
                timeout(Duration::from_secs(30), req, next)
            }))
    }

    async fn call(path: &str) -> (u16, serde_json::Value) {
        let request = Request::builder().uri(path).body(Body::empty()).unwrap();
        let response = app().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    // The paused clock jumps ahead while the handler sleeps: deterministic on any machine.
    #[tokio::test(start_paused = true)]
    async fn a_slow_request_is_answered_503_in_the_envelope() {
        let (status, body) = call("/slow").await;
        assert_eq!(status, 503);
        assert_eq!(body["code"], -50);
        assert_eq!(call("/fast").await.0, 200);
    }
}
