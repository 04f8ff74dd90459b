//! The partner API (seeds 000, 001, 002): the address book of companies and contacts, and the
//! truckers with their invite codes, under `/api/v4/` in the style those seeds show (no envelope,
//! Django REST framework errors: `{"field": ["message"]}` 400, `{"detail": "..."}` otherwise).
//!
//! The caller is a manager of a partner account company (see `relais partner-account create`);
//! its address book is that company's, and nothing of another book is ever visible (404).

pub mod companies;
pub mod contacts;
pub mod truckers;
pub mod views;

use crate::access::Caller;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use relais_store::error::StoreError;
use relais_store::partner::Lookup;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;

pub const TAG: &str = "Partner";

/// Results per page of the partner lists.
pub const PAGE_SIZE: usize = 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(companies::router())
        .merge(contacts::router())
        .merge(truckers::router())
        .route_layer(axum::middleware::from_fn(refuse_control_characters))
}

/// DRF's words for a refused character (its `ProhibitNullCharactersValidator` for NUL), where
/// the Dashboard refuses the same characters (see `crate::input`).
fn control_character_error(text: &str) -> Option<&'static str> {
    let c = text.chars().find(|c| crate::input::forbidden(*c))?;
    Some(if c == '\0' {
        "Null characters are not allowed."
    } else {
        "Control characters are not allowed."
    })
}

/// 400 naming the path or query parameter that holds a refused character, before any handler
/// reads it (PostgreSQL cannot store nor compare NUL).
async fn refuse_control_characters(
    params: axum::extract::RawPathParams,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let query = req.uri().query().unwrap_or_default();
    let mut errors = BTreeMap::new();
    let path = params.iter().map(|(k, v)| (k.to_owned(), v.to_owned()));
    let query = form_urlencoded::parse(query.as_bytes()).into_owned();
    for (name, value) in path.chain(query) {
        if let Some(message) = control_character_error(&name).or(control_character_error(&value)) {
            errors
                .entry(name.escape_debug().to_string())
                .or_insert_with(|| vec![message.to_owned()]);
        }
    }
    if errors.is_empty() {
        next.run(req).await
    } else {
        PartnerError::Fields(errors).into_response()
    }
}

/// The route templates of this surface, split into segments (`{pk}` matches any segment).
static TEMPLATES: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    let (_, api) = router().split_for_parts();
    api.paths
        .paths
        .keys()
        .map(|path| path.split('/').map(str::to_owned).collect())
        .collect()
});

/// Whether `path` is one of this surface's routes.
fn routed(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    TEMPLATES.iter().any(|template| {
        template.len() == segments.len()
            && template
                .iter()
                .zip(&segments)
                .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}') && !s.is_empty()))
    })
}

/// What happens under `/api/v4/` outside the operations, as the product (Django with
/// `APPEND_SLASH`, Django REST framework) answers: a path missing only its trailing slash is
/// redirected `301` to the slash form, query string kept (Django's `CommonMiddleware` does so
/// for every method when not in debug mode); another unknown path is 404
/// `{"detail": "Not found."}`; a known path with another method is 405
/// `{"detail": "Method \"PUT\" not allowed."}` with `Allow`. Never the Dashboard envelope.
pub async fn outside_routes(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path != "/api/v4" && !path.starts_with("/api/v4/") {
        return next.run(req).await;
    }
    if !routed(path) {
        if !path.ends_with('/') && routed(&format!("{path}/")) {
            let location = match req.uri().query() {
                Some(query) => format!("{path}/?{query}"),
                None => format!("{path}/"),
            };
            return match HeaderValue::from_str(&location) {
                Ok(location) => (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, location)],
                )
                    .into_response(),
                Err(_) => PartnerError::not_found().into_response(),
            };
        }
        return PartnerError::not_found().into_response();
    }
    let method = req.method().clone();
    let response = next.run(req).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let mut refused = PartnerError::Detail(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method \"{method}\" not allowed."),
    )
    .into_response();
    if let Some(allow) = response.headers().get(header::ALLOW) {
        refused.headers_mut().insert(header::ALLOW, allow.clone());
    }
    refused
}

/// An error of the partner API, in the Django REST framework style.
#[derive(Debug)]
pub enum PartnerError {
    /// 400 with errors per field.
    Fields(BTreeMap<String, Vec<String>>),
    /// Any status with a `detail` text.
    Detail(StatusCode, String),
}

impl PartnerError {
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        PartnerError::Fields(BTreeMap::from([(name.to_owned(), vec![message.into()])]))
    }

    pub fn not_found() -> Self {
        PartnerError::Detail(StatusCode::NOT_FOUND, "Not found.".into())
    }

    /// A blocked account: refused on every surface, here 403 as the Dashboard and the hauler
    /// surface refuse it.
    pub fn blocked() -> Self {
        PartnerError::Detail(StatusCode::FORBIDDEN, "This account is blocked.".into())
    }
}

impl IntoResponse for PartnerError {
    fn into_response(self) -> Response {
        match self {
            PartnerError::Fields(fields) => {
                (StatusCode::BAD_REQUEST, Json(json!(fields))).into_response()
            }
            PartnerError::Detail(status, detail) => {
                let mut response = (status, Json(json!({ "detail": detail }))).into_response();
                if status == StatusCode::UNAUTHORIZED {
                    response
                        .headers_mut()
                        .insert("www-authenticate", "Token".parse().expect("header"));
                }
                response
            }
        }
    }
}

impl From<StoreError> for PartnerError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { .. } => PartnerError::not_found(),
            StoreError::Missing { field, .. } => {
                PartnerError::field(field, "Object with this identifier does not exist.")
            }
            StoreError::Conflict { field } => PartnerError::field(
                field,
                format!("An object with this {field} already exists."),
            ),
            StoreError::Rule(text) => PartnerError::Detail(StatusCode::BAD_REQUEST, text),
            // An outage is no server error: the client may retry (Django REST framework's 503).
            other if other.is_unavailable() => {
                tracing::warn!(error = %other, "partner API: database unavailable");
                PartnerError::Detail(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service temporarily unavailable, try again later.".into(),
                )
            }
            other => {
                tracing::error!(error = %other, "partner API store error");
                PartnerError::Detail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "A server error occurred.".into(),
                )
            }
        }
    }
}

pub type PartnerResult<T> = Result<T, PartnerError>;

/// The error body of the partner API, for the OpenAPI document.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"detail": "Not found."}))]
pub struct Detail {
    pub detail: String,
}

/// The field errors of the partner API: each field at fault with its messages.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"name": ["This field is required."]}))]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

/// The documented 400 of an operation taking a body.
pub const FIELD_ERRORS: &str = "Field errors, `{\"field\": [\"message\"]}`; a body that is not \
    JSON answers `{\"detail\": \"JSON parse error - ...\"}`";
/// The documented 400 of an operation taking `lookup_field`.
pub const LOOKUP_ERROR: &str = "`lookup_field` other than `remote_id`: `{\"lookup_field\": [\"Only remote_id is accepted.\"]}`";
/// The documented 401.
pub const UNAUTHENTICATED: &str = "No token (`Authentication credentials were not provided.`) or \
    an invalid one (`Invalid token.`), with `WWW-Authenticate: Token`";
/// The documented 403.
pub const FORBIDDEN: &str = "A blocked account (`This account is blocked.`), or a user who \
    manages no partner account (`You do not have permission to perform this action.`)";

/// A manager of a partner account company, authenticated by its API token.
#[derive(Debug, Clone)]
pub struct Requester {
    pub user: relais_store::entity::user::Model,
    /// The account company: the address book this caller sees.
    pub company: i64,
}

impl FromRequestParts<AppState> for Requester {
    type Rejection = PartnerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> PartnerResult<Self> {
        let Some(caller) = parts.extensions.get::<Caller>().cloned() else {
            let presented = crate::access::presented_token(&parts.headers).is_some()
                || parts.headers.contains_key("authorization");
            let text = if presented {
                "Invalid token."
            } else {
                "Authentication credentials were not provided."
            };
            return Err(PartnerError::Detail(StatusCode::UNAUTHORIZED, text.into()));
        };
        if caller.user.blocked {
            return Err(PartnerError::blocked());
        }
        let Some(company) = relais_store::partner::account_of(&state.db, caller.user.id).await?
        else {
            return Err(PartnerError::Detail(
                StatusCode::FORBIDDEN,
                "You do not have permission to perform this action.".into(),
            ));
        };
        Ok(Requester {
            user: caller.user,
            company,
        })
    }
}

/// `?lookup_field=remote_id` to identify the object of the path by its remote id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// Used to specify what field is used in the URL to identify the object you're requesting,
    /// e.g. with the remote_id (see path parameters).
    pub lookup_field: Option<String>,
}

impl LookupQuery {
    pub fn lookup(&self, key: String) -> PartnerResult<Lookup> {
        match self.lookup_field.as_deref() {
            None | Some("") | Some("pk") | Some("uid") => Ok(Lookup::Pk(key)),
            Some("remote_id") => Ok(Lookup::RemoteId(key)),
            Some(_) => Err(PartnerError::field(
                "lookup_field",
                "Only remote_id is accepted.",
            )),
        }
    }
}

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub count: usize,
    /// Absolute URL of the next page, or null.
    pub next: Option<String>,
    /// Absolute URL of the previous page, or null.
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// The page a list request asks for (`page`, 1-based, or `last`), read before the rows are
/// counted, so that the database returns only that page's rows.
#[derive(Debug, Clone, Copy)]
pub struct PageAsked(Option<usize>);

impl PageAsked {
    fn invalid() -> PartnerError {
        PartnerError::Detail(StatusCode::NOT_FOUND, "Invalid page.".into())
    }

    pub fn parse(page: Option<&str>) -> PartnerResult<Self> {
        match page {
            None | Some("") => Ok(PageAsked(Some(1))),
            Some("last") => Ok(PageAsked(None)),
            Some(text) => text
                .parse()
                .map(|n| PageAsked(Some(n)))
                .map_err(|_| Self::invalid()),
        }
    }

    fn pages(count: u64) -> usize {
        (count as usize).div_ceil(PAGE_SIZE).max(1)
    }

    /// The page's number among those `count` rows make, if it is one of them.
    fn number(&self, count: u64) -> Option<usize> {
        let number = self.0.unwrap_or_else(|| Self::pages(count));
        (number >= 1 && number <= Self::pages(count)).then_some(number)
    }

    /// The rows to read once `count` is known; none for a page out of range.
    pub fn window(&self, count: u64) -> Option<relais_store::partner::Window> {
        self.number(count).map(|n| relais_store::partner::Window {
            offset: ((n - 1) * PAGE_SIZE) as u64,
            limit: PAGE_SIZE as u64,
        })
    }

    /// The page of `results` among `count` rows, with absolute links built from the request.
    pub fn page<T>(
        &self,
        count: u64,
        results: Vec<T>,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> PartnerResult<Page<T>> {
        let page = self.number(count).ok_or_else(Self::invalid)?;
        let pages = Self::pages(count);
        let link = |target: usize| {
            let scheme = headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("http");
            let host = headers
                .get("host")
                .and_then(|v| v.to_str().ok())
                .or_else(|| uri.authority().map(|a| a.as_str()))
                .unwrap_or("localhost");
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (key, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
                if key != "page" {
                    query.append_pair(&key, &value);
                }
            }
            if target > 1 {
                query.append_pair("page", &target.to_string());
            }
            let query = query.finish();
            let sep = if query.is_empty() { "" } else { "?" };
            format!("{scheme}://{host}{}{sep}{query}", uri.path())
        };
        Ok(Page {
            count: count as usize,
            next: (page < pages).then(|| link(page + 1)),
            previous: (page > 1).then(|| link(page - 1)),
            results,
        })
    }
}

/// The fields of a JSON object body, read one by one with errors collected per field.
pub struct Fields {
    obj: Map<String, Value>,
    pub errors: BTreeMap<String, Vec<String>>,
    prefix: String,
}

impl Fields {
    pub fn parse(body: &Bytes) -> PartnerResult<Fields> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            PartnerError::Detail(StatusCode::BAD_REQUEST, format!("JSON parse error - {e}"))
        })?;
        let refused: BTreeMap<String, Vec<String>> = crate::input::control_characters(&value)
            .into_iter()
            .map(|(field, problem)| {
                let message = if problem.contains("NUL") {
                    "Null characters are not allowed."
                } else {
                    "Control characters are not allowed."
                };
                (field, vec![message.to_owned()])
            })
            .collect();
        if !refused.is_empty() {
            return Err(PartnerError::Fields(refused));
        }
        match value {
            Value::Object(obj) => Ok(Fields {
                obj,
                errors: BTreeMap::new(),
                prefix: String::new(),
            }),
            other => Err(PartnerError::field(
                "non_field_errors",
                format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    kind(&other)
                ),
            )),
        }
    }

    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors
            .entry(format!("{}{name}", self.prefix))
            .or_default()
            .push(message.into());
    }

    pub fn has(&self, name: &str) -> bool {
        self.obj.contains_key(name)
    }

    pub fn require(&mut self, name: &str) {
        if !self.has(name) {
            self.error(name, "This field is required.");
        }
    }

    /// A text field: absent `None`; null refused unless `nullable` (then `Some(None)`).
    fn text_inner(&mut self, name: &str, max: usize, blank: bool) -> Option<Option<String>> {
        match self.obj.get(name)? {
            Value::Null => Some(None),
            Value::String(s) => {
                let s = s.trim().to_owned();
                if s.chars().count() > max {
                    self.error(
                        name,
                        format!("Ensure this field has no more than {max} characters."),
                    );
                    None
                } else if s.is_empty() && !blank {
                    self.error(name, "This field may not be blank.");
                    None
                } else {
                    Some(Some(s))
                }
            }
            Value::Number(n) => Some(Some(n.to_string())),
            _ => {
                self.error(name, "Not a valid string.");
                None
            }
        }
    }

    /// A text field that may be blank but not null.
    pub fn text(&mut self, name: &str, max: usize) -> Option<String> {
        match self.text_inner(name, max, true)? {
            Some(s) => Some(s),
            None => {
                self.error(name, "This field may not be null.");
                None
            }
        }
    }

    /// A text field that may not be blank nor null.
    pub fn required_text(&mut self, name: &str, max: usize) -> Option<String> {
        match self.text_inner(name, max, false)? {
            Some(s) => Some(s),
            None => {
                self.error(name, "This field may not be null.");
                None
            }
        }
    }

    /// A nullable text field; blank is stored as null.
    pub fn nullable_text(&mut self, name: &str, max: usize) -> Option<Option<String>> {
        self.text_inner(name, max, true)
            .map(|v| v.filter(|s| !s.is_empty()))
    }

    pub fn email(&mut self, name: &str) -> Option<String> {
        let value = self.text(name, 254)?;
        let valid = value.is_empty()
            || value.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !value.contains(char::is_whitespace)
            });
        if !valid {
            self.error(name, "Enter a valid email address.");
            return None;
        }
        Some(value.to_lowercase())
    }

    /// An ISO 3166-1 alpha-2 code, uppercase.
    pub fn country(&mut self, name: &str) -> Option<String> {
        let value = self.text(name, 2)?;
        if value.is_empty() {
            return Some(value);
        }
        match relais_domain::reference::country_by_alpha2(&value) {
            Some(c) => Some(c.alpha2.to_owned()),
            None => {
                self.error(name, format!("\"{value}\" is not a valid choice."));
                None
            }
        }
    }

    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.obj.get(name)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(name, "Must be a valid boolean.");
                None
            }
        }
    }

    /// A number within `min..=max`; null allowed as `Some(None)`.
    pub fn number(&mut self, name: &str, min: f64, max: f64) -> Option<Option<f64>> {
        match self.obj.get(name)? {
            Value::Null => Some(None),
            Value::Number(n) => match n.as_f64() {
                Some(v) if (min..=max).contains(&v) => Some(Some(v)),
                _ => {
                    self.error(
                        name,
                        format!("Ensure this value is between {min} and {max}."),
                    );
                    None
                }
            },
            _ => {
                self.error(name, "A valid number is required.");
                None
            }
        }
    }

    pub fn integer(&mut self, name: &str, min: i64, max: i64) -> Option<Option<i64>> {
        match self.obj.get(name)? {
            Value::Null => Some(None),
            Value::Number(n) => match n.as_i64() {
                Some(v) if (min..=max).contains(&v) => Some(Some(v)),
                Some(_) => {
                    self.error(
                        name,
                        format!("Ensure this value is between {min} and {max}."),
                    );
                    None
                }
                None => {
                    self.error(name, "A valid integer is required.");
                    None
                }
            },
            _ => {
                self.error(name, "A valid integer is required.");
                None
            }
        }
    }

    /// A date-time (RFC 3339), or null.
    pub fn datetime(&mut self, name: &str) -> Option<Option<DateTime<Utc>>> {
        match self.obj.get(name)? {
            Value::Null => Some(None),
            Value::String(s) => match DateTime::parse_from_rfc3339(s.trim()) {
                Ok(at) => Some(Some(at.with_timezone(&Utc))),
                Err(_) => {
                    self.error(name, "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].");
                    None
                }
            },
            _ => {
                self.error(name, "Datetime has wrong format.");
                None
            }
        }
    }

    /// A nested object, read with its errors reported under `name.`.
    pub fn object(&mut self, name: &str) -> Option<Fields> {
        match self.obj.get(name)? {
            Value::Object(obj) => Some(Fields {
                obj: obj.clone(),
                errors: BTreeMap::new(),
                prefix: format!("{}{name}.", self.prefix),
            }),
            other => {
                let message = format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    kind(other)
                );
                self.error(name, message);
                None
            }
        }
    }

    /// Take over the errors of a nested object.
    pub fn absorb(&mut self, nested: Fields) {
        for (key, messages) in nested.errors {
            self.errors.entry(key).or_default().extend(messages);
        }
    }

    pub fn check(&mut self) -> PartnerResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(PartnerError::Fields(std::mem::take(&mut self.errors)))
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}
