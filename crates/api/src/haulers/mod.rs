//! The hauler API of seed 003: `POST` and `GET /haulers/{hauler_uuid}/connections` (with or
//! without the trailing slash), as the existing product serves it.
//!
//! This surface does not use the Dashboard envelope. Every error answers one JSON shape,
//! [`HaulerError`]: `{"status": <http status>, "code": "<slug>", "message": "...", "field": "<name>"|null}`.
//! Every response carries `Allow: GET,POST`, the CORS headers of the seed, `x-api-version` (the
//! requested one, else the latest) and `x-request-id` (a UUID, set by the application).
//!
//! Mapping: the seed's *location* is a relais network (`location_id` = network id, its tenant
//! code is `networks.tenant_code`); the seed's *provider* (and *tenant*) is the network's app
//! label, the operator brand (`provider_id` = app label id, `provider_name` = its display name):
//! a network always has one, where its owner third party is optional. `x-tenant-id`, when
//! given, must be that provider id.
//!
//! Tenant codes: the seed's pattern `^\+*+[0-9]{1,10}$` contradicts its own example
//! `SMSCORP+3`; the example is the product's truth. A tenant code is a provider code (letters,
//! digits, `_`, `-`), `+`, and the location id (1 to 10 digits), 1 to 128 characters.

mod model;

use crate::access::{Caller, surface_token};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
pub use model::{Connection, CreateConnection, HaulerError};
use relais_store::entity::{hauler, hauler_user};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The API versions of seed 003, oldest first; an absent `x-api-version` means the last.
pub const API_VERSIONS: [&str; 6] = [
    "2019/02/08",
    "2021/04/07",
    "2021/05/07",
    "2021/08/02",
    "2021/11/04",
    "2023/04/19",
];
const LATEST: &str = "2023/04/19";
const TAG: &str = "Haulers";

pub fn router() -> OpenApiRouter<AppState> {
    // Other methods are answered by [`outside_routes`], around the whole application: a
    // fallback of our own would sit behind the access middleware, which knows no requirement
    // for them.
    OpenApiRouter::new()
        .routes(routes!(list_connections, create_connection))
        .routes(routes!(list_connections_slash, create_connection_slash))
        .layer(from_fn(seed_headers))
}

/// What happens on `/haulers/` outside the two operations: a CORS preflight (`OPTIONS`) is
/// answered 204 with the seed's headers, and another method 405 in this surface's error shape
/// with `Allow: GET,POST` (instead of the application's envelope and axum's `Allow`).
pub async fn outside_routes(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/haulers/") {
        return next.run(req).await;
    }
    if req.method() == Method::OPTIONS {
        let mut preflight = StatusCode::NO_CONTENT.into_response();
        apply_seed_headers(preflight.headers_mut(), requested_version(req.headers()));
        return preflight;
    }
    let response = seed_headers(req, next).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let mut refused = HaulerError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path takes GET and POST",
    )
    .into_response();
    *refused.headers_mut() = response.headers().clone();
    refused
        .headers_mut()
        .remove(axum::http::header::CONTENT_LENGTH);
    refused
}

/// The response headers of the seed, on every answer of this surface.
async fn seed_headers(req: Request, next: Next) -> Response {
    let version = requested_version(req.headers());
    let mut response = next.run(req).await;
    apply_seed_headers(response.headers_mut(), version);
    response
}

/// The version asked for in `x-api-version` when it is one of the seed's, else the latest.
fn requested_version(headers: &HeaderMap) -> &'static str {
    headers
        .get("x-api-version")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| API_VERSIONS.iter().find(|known| **known == v))
        .copied()
        .unwrap_or(LATEST)
}

fn apply_seed_headers(headers: &mut HeaderMap, version: &'static str) {
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("Authorization, Accept, X-TENANT-ID, Content-Type"),
    );
    headers.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("GET,POST"),
    );
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    headers.insert("allow", HeaderValue::from_static("GET,POST"));
    headers.insert("x-api-version", HeaderValue::from_static(version));
}

/// A hauler API caller whose request headers passed the seed's rules.
pub struct HaulerCaller {
    pub user_id: i64,
    pub membership: Option<hauler_user::Model>,
    pub tenant_id: Option<i64>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, HaulerError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map_err(|_| HaulerError::header(name, "is not visible ASCII"))
        })
        .transpose()
}

/// Whether `value` matches `^bearer [a-z0-9-_=]+.[a-z0-9-_=]+.?[a-z0-9-_.+/=]*$` (the seed's
/// pattern, case-insensitively) and is 1 to 256 characters long.
pub fn valid_authorization(value: &str) -> bool {
    let token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '=');
    let tail_char = |c: char| token_char(c) || matches!(c, '.' | '+' | '/');
    if value.is_empty() || value.len() > 256 || value.len() < 7 {
        return false;
    }
    let (scheme, rest) = value.split_at(7);
    if !scheme.eq_ignore_ascii_case("bearer ") {
        return false;
    }
    // `[a-z0-9-_=]+` then any one character, then `[a-z0-9-_=]+`, then the tail.
    let chars: Vec<char> = rest.chars().collect();
    let Some(first_end) = chars.iter().position(|c| !token_char(*c)) else {
        return false;
    };
    if first_end == 0 || first_end + 1 >= chars.len() {
        return false;
    }
    let second = &chars[first_end + 1..];
    let second_len = second.iter().take_while(|c| token_char(**c)).count();
    second_len > 0 && second[second_len..].iter().all(|c| tail_char(*c))
}

impl FromRequestParts<AppState> for HaulerCaller {
    type Rejection = HaulerError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, HaulerError> {
        let headers = &parts.headers;
        if let Some(version) = header(headers, "x-api-version")?
            && !API_VERSIONS.contains(&version)
        {
            return Err(HaulerError::header(
                "x-api-version",
                format!("must be one of {}", API_VERSIONS.join(", ")),
            ));
        }
        let tenant_id = match header(headers, "x-tenant-id")? {
            None => None,
            Some(v) => Some(
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| HaulerError::header("x-tenant-id", "must be an integer"))?,
            ),
        };
        if parts.method == Method::POST
            && let Some(ct) = header(headers, "content-type")?
            && !ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        {
            return Err(HaulerError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Content-Type must be application/json",
            )
            .field("content-type"));
        }
        let Some(auth) = header(headers, "authorization")? else {
            return Err(HaulerError::unauthenticated(
                "the Authorization header is required",
            ));
        };
        if !valid_authorization(auth) {
            return Err(HaulerError::unauthenticated(
                "the Authorization header must be `Bearer <token>` (at most 256 characters)",
            ));
        }
        let Some(caller) = parts.extensions.get::<Caller>().cloned() else {
            return Err(HaulerError::unauthenticated(
                "the token is invalid, revoked or expired",
            ));
        };
        if caller.user.blocked {
            return Err(HaulerError::new(
                StatusCode::FORBIDDEN,
                "account_blocked",
                "this account is blocked",
            ));
        }
        Ok(HaulerCaller {
            user_id: caller.user.id,
            membership: None,
            tenant_id,
        })
    }
}

impl HaulerCaller {
    /// The hauler of the path, if the caller acts for it with one of the seed's roles.
    ///
    /// The seed grants each operation to roles of the hauler, so a caller without such a role
    /// for the path's hauler is refused 403 `forbidden`, and so is a UUID no hauler has: the
    /// same answer for both, or the surface would tell strangers which hauler UUIDs exist.
    async fn hauler(&mut self, state: &AppState, raw: &str) -> Result<hauler::Model, HaulerError> {
        let uuid = uuid::Uuid::parse_str(raw).map_err(|_| {
            HaulerError::new(
                StatusCode::BAD_REQUEST,
                "invalid_path",
                "must be a valid UUID",
            )
            .field("hauler_uuid")
        })?;
        let membership = relais_store::haulers::membership(&state.db, self.user_id).await?;
        let hauler =
            relais_store::haulers::by_uuid(&state.db, &uuid.hyphenated().to_string()).await?;
        match (membership, hauler) {
            (Some(m), Some(hauler))
                if m.hauler_id == hauler.id
                    && relais_store::haulers::ROLES.contains(&m.role.as_str()) =>
            {
                self.membership = Some(m);
                Ok(hauler)
            }
            _ => Err(HaulerError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "you do not act for this hauler",
            )),
        }
    }
}

const DESCRIPTION_CREATE: &str = "Create a new hauler connection.\n\n\
Roles: Admin, Dispatcher, Driver, ThirdPartyDispatcher, ThirdPartyDriver of the hauler \
(a user acts only for their own hauler: 403 `forbidden` otherwise, and for a UUID no hauler has, \
so that hauler UUIDs cannot be probed).\n\n\
Headers: `Authorization: Bearer <token>` (matches `^bearer [a-z0-9-_=]+.[a-z0-9-_=]+.?[a-z0-9-_.+/=]*$` \
case-insensitively, at most 256 characters; missing, malformed or unknown: 401), `x-tenant-id` \
(integer: 400 otherwise; when given, must be the location's provider id: 403 `tenant_mismatch`), \
`x-api-version` (one of 2019/02/08, 2021/04/07, 2021/05/07, 2021/08/02, 2021/11/04, 2023/04/19; \
absent means 2023/04/19; 400 otherwise), `Content-Type` application/json (415 otherwise).\n\n\
`tenant_code`: 1 to 128 characters, a provider code, `+` and a location id of 1 to 10 digits \
(`SMSCORP+3`). The seed's pattern `^\\+*+[0-9]{1,10}$` contradicts its own example; the example \
is the product's truth and is what is enforced (422 otherwise). An unknown tenant code answers \
404 `unknown_tenant_code`; a second request for a location while one is pending or approved \
answers 409 `connection_exists` (a denied or revoked connection may be asked for again); a \
closed location answers 409 `location_closed`.\n\n\
The location is a relais network (`location_id` = network id); the provider is the network's \
app label (`provider_id`, `provider_name`). Dates are UTC, ISO 8601 without offset, \
microseconds (`2022-08-20T01:27:24.691708`). Errors: `HaulerError`.";

const DESCRIPTION_LIST: &str = "The hauler's connections, oldest first (with `x-tenant-id`, \
only those of that provider). Same headers, roles and errors as creating one.";

#[utoipa::path(
    get,
    path = "/haulers/{hauler_uuid}/connections",
    tag = TAG,
    summary = "List Connections",
    description = DESCRIPTION_LIST,
    params(("hauler_uuid" = String, Path, description = "Third party hauler identifier (a UUID)."),
        ("x-tenant-id" = Option<i64>, Header, description = "Tenant (provider) identifier."),
        ("x-api-version" = Option<String>, Header, description = "API version.")),
    security(("bearer" = [])),
    extensions(("x-permission" = json!(surface_token())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The hauler's connections", body = Vec<Connection>),
        (status = 400, description = "`invalid_header` (`x-api-version`, `x-tenant-id`) or `invalid_path` (`hauler_uuid` not a UUID)", body = HaulerError),
        (status = 401, description = "`not_authenticated`: no `Authorization`, a malformed one, or an unknown, revoked or expired token", body = HaulerError),
        (status = 403, description = "`account_blocked`, or `forbidden`: the caller does not act for this hauler (also for a UUID no hauler has)", body = HaulerError),
    )
)]
async fn list_connections(
    State(state): State<AppState>,
    caller: HaulerCaller,
    Path(hauler_uuid): Path<String>,
) -> Result<Json<Vec<Connection>>, HaulerError> {
    list(state, caller, hauler_uuid).await
}

#[utoipa::path(
    get,
    path = "/haulers/{hauler_uuid}/connections/",
    tag = TAG,
    summary = "List Connections",
    description = "The same as without the trailing slash.",
    params(("hauler_uuid" = String, Path, description = "Third party hauler identifier (a UUID).")),
    security(("bearer" = [])),
    extensions(("x-permission" = json!(surface_token())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The hauler's connections", body = Vec<Connection>),
        (status = 400, description = "`invalid_header` (`x-api-version`, `x-tenant-id`) or `invalid_path` (`hauler_uuid` not a UUID)", body = HaulerError),
        (status = 401, description = "`not_authenticated`: no `Authorization`, a malformed one, or an unknown, revoked or expired token", body = HaulerError),
        (status = 403, description = "`account_blocked`, or `forbidden`: the caller does not act for this hauler (also for a UUID no hauler has)", body = HaulerError),
    )
)]
async fn list_connections_slash(
    State(state): State<AppState>,
    caller: HaulerCaller,
    Path(hauler_uuid): Path<String>,
) -> Result<Json<Vec<Connection>>, HaulerError> {
    list(state, caller, hauler_uuid).await
}

#[utoipa::path(
    post,
    path = "/haulers/{hauler_uuid}/connections",
    tag = TAG,
    summary = "Create Connection",
    description = DESCRIPTION_CREATE,
    params(("hauler_uuid" = String, Path, description = "Third party hauler identifier (a UUID)."),
        ("x-tenant-id" = Option<i64>, Header, description = "Tenant (provider) identifier."),
        ("x-api-version" = Option<String>, Header, description = "API version.")),
    request_body = CreateConnection,
    security(("bearer" = [])),
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 201, description = "The connection, pending approval", body = Connection),
        (status = 400, description = "`invalid_header` (`x-api-version`, `x-tenant-id`), `invalid_path` (`hauler_uuid` not a UUID) or `malformed_body` (not a JSON object)", body = HaulerError),
        (status = 401, description = "`not_authenticated`: no `Authorization`, a malformed one, or an unknown, revoked or expired token", body = HaulerError),
        (status = 403, description = "`account_blocked`; `forbidden`: the caller does not act for this hauler (also for a UUID no hauler has); `tenant_mismatch`: the location is not of the `x-tenant-id` provider", body = HaulerError),
        (status = 404, description = "`unknown_tenant_code`: no location has this tenant code", body = HaulerError),
        (status = 409, description = "`connection_exists` (pending or approved already) or `location_closed`", body = HaulerError),
        (status = 415, description = "`unsupported_media_type`: `Content-Type` is not application/json", body = HaulerError),
        (status = 422, description = "`validation_error`: `tenant_code` missing, not a string, or not a tenant code; an unknown field", body = HaulerError),
    )
)]
async fn create_connection(
    State(state): State<AppState>,
    caller: HaulerCaller,
    Path(hauler_uuid): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Connection>), HaulerError> {
    create(state, caller, hauler_uuid, body).await
}

#[utoipa::path(
    post,
    path = "/haulers/{hauler_uuid}/connections/",
    tag = TAG,
    summary = "Create Connection",
    description = "The same as without the trailing slash (the seed's sample request uses it).",
    params(("hauler_uuid" = String, Path, description = "Third party hauler identifier (a UUID).")),
    request_body = CreateConnection,
    security(("bearer" = [])),
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 201, description = "The connection, pending approval", body = Connection),
        (status = 400, description = "`invalid_header` (`x-api-version`, `x-tenant-id`), `invalid_path` (`hauler_uuid` not a UUID) or `malformed_body` (not a JSON object)", body = HaulerError),
        (status = 401, description = "`not_authenticated`: no `Authorization`, a malformed one, or an unknown, revoked or expired token", body = HaulerError),
        (status = 403, description = "`account_blocked`; `forbidden`: the caller does not act for this hauler (also for a UUID no hauler has); `tenant_mismatch`: the location is not of the `x-tenant-id` provider", body = HaulerError),
        (status = 404, description = "`unknown_tenant_code`: no location has this tenant code", body = HaulerError),
        (status = 409, description = "`connection_exists` (pending or approved already) or `location_closed`", body = HaulerError),
        (status = 415, description = "`unsupported_media_type`: `Content-Type` is not application/json", body = HaulerError),
        (status = 422, description = "`validation_error`: `tenant_code` missing, not a string, or not a tenant code; an unknown field", body = HaulerError),
    )
)]
async fn create_connection_slash(
    State(state): State<AppState>,
    caller: HaulerCaller,
    Path(hauler_uuid): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Connection>), HaulerError> {
    create(state, caller, hauler_uuid, body).await
}

async fn list(
    state: AppState,
    mut caller: HaulerCaller,
    hauler_uuid: String,
) -> Result<Json<Vec<Connection>>, HaulerError> {
    let hauler = caller.hauler(&state, &hauler_uuid).await?;
    let rows = relais_store::haulers::connections_of(&state.db, hauler.id).await?;
    let mut out = model::connections(&state, &hauler, rows).await?;
    out.retain(|item| caller.tenant_id.is_none_or(|t| t == item.provider_id));
    Ok(Json(out))
}

async fn create(
    state: AppState,
    mut caller: HaulerCaller,
    hauler_uuid: String,
    body: Bytes,
) -> Result<(StatusCode, Json<Connection>), HaulerError> {
    let hauler = caller.hauler(&state, &hauler_uuid).await?;
    let request = CreateConnection::parse(&body)?;
    let network = relais_store::haulers::network_by_tenant_code(&state.db, &request.tenant_code)
        .await?
        .ok_or_else(|| {
            HaulerError::new(
                StatusCode::NOT_FOUND,
                "unknown_tenant_code",
                "no location has this tenant code",
            )
            .field("tenant_code")
        })?;
    if let Some(tenant) = caller.tenant_id
        && tenant != network.app_label_id
    {
        return Err(HaulerError::new(
            StatusCode::FORBIDDEN,
            "tenant_mismatch",
            "this location belongs to another tenant than x-tenant-id",
        )
        .field("x-tenant-id"));
    }
    let row = relais_store::haulers::request(
        &state.db,
        hauler.id,
        network.id,
        caller.user_id,
        Utc::now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(model::connection(&state, &hauler, row).await?),
    ))
}
