//! Authentication and authorization, done once for every operation.
//!
//! Each operation declares its [`Requirement`] next to its OpenAPI annotation, as the
//! `x-permission` extension. At start-up the router reads those declarations back from the
//! generated document into a [`RuleTable`], and the [`authorize`] middleware enforces the one
//! that matches each request: the document and the enforcement cannot disagree. Handlers receive
//! an [`Authorized`] caller carrying the scope in which the permission holds.

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use relais_domain::{Grant, Object, Owner, Permission, Scope};
use relais_store::entity::{api_token, user};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The name of the OpenAPI extension that carries an operation's requirement.
pub const EXTENSION: &str = "x-permission";

/// How a caller must identify itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authentication {
    /// Anyone may call.
    None,
    /// An API token is needed.
    Token,
    /// An API token is needed, and the surface checks it itself so that refusals come in its
    /// own error shape (the partner and hauler surfaces): documented, not enforced here.
    SurfaceToken,
}

/// Which objects the permission must reach, read from the request before the handler runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "parameter")]
pub enum ScopeRule {
    /// Any scope; the handler narrows what it reads or changes to the caller's scope.
    Any,
    /// Only a global grant will do.
    Global,
    /// Every network id of this comma-separated query parameter must be touched by the scope
    /// (a unit restricted to some of a network's clusters touches it): a list, which then narrows
    /// its rows to the scope in its store query.
    NetworksQuery(String),
    /// Every network id of this comma-separated query parameter must be reached as a whole
    /// (a unit restricted to some of its clusters does not): lists of riders' data (users,
    /// trips, transactions), which belong to networks, not to clusters.
    WholeNetworksQuery(String),
}

/// Where the id of a declared object is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    Path,
    /// A query parameter: one id, or several separated by commas.
    Query,
    /// A top-level field of the JSON body: one id, or an array of ids.
    Body,
}

/// What an absent id means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Absent {
    /// Nothing is touched (the handler's validation refuses it if required).
    #[default]
    Nothing,
    /// The object of no network (an operator-wide stock or parking): a global scope is needed.
    Operator,
}

/// An object an operation touches, and where its id is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRule {
    pub object: Object,
    #[serde(rename = "in")]
    pub location: Location,
    pub parameter: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub absent: Absent,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// What an operation needs from its caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub authentication: Authentication,
    pub permission: Option<Permission>,
    /// Whether the permission is needed with its write modifier.
    pub write: bool,
    pub scope: ScopeRule,
    /// The objects the operation touches: each one's owner must be within the scope (see
    /// [`Owner`] for the rule), resolved before the handler runs; 404 for an unknown id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<ObjectRule>,
}

/// Anyone may call.
pub fn public() -> Requirement {
    Requirement {
        authentication: Authentication::None,
        permission: None,
        write: false,
        scope: ScopeRule::Any,
        objects: Vec::new(),
    }
}

/// Any authenticated caller.
pub fn authenticated() -> Requirement {
    Requirement {
        authentication: Authentication::Token,
        ..public()
    }
}

/// A token checked by the surface's own extractor (partner and hauler surfaces).
pub fn surface_token() -> Requirement {
    Requirement {
        authentication: Authentication::SurfaceToken,
        ..public()
    }
}

/// `permission`, to read.
pub fn read(permission: Permission) -> Requirement {
    Requirement {
        permission: Some(permission),
        ..authenticated()
    }
}

/// `permission` with its write modifier, to change.
pub fn write(permission: Permission) -> Requirement {
    Requirement {
        write: true,
        ..read(permission)
    }
}

impl Requirement {
    /// Only a global grant satisfies it.
    pub fn global(self) -> Self {
        Requirement {
            scope: ScopeRule::Global,
            ..self
        }
    }

    /// The networks listed in query parameter `name` must all be in scope.
    pub fn networks_in_query(self, name: &str) -> Self {
        Requirement {
            scope: ScopeRule::NetworksQuery(name.to_owned()),
            ..self
        }
    }

    /// The networks listed in query parameter `name` must all be reached whole.
    pub fn whole_networks_in_query(self, name: &str) -> Self {
        Requirement {
            scope: ScopeRule::WholeNetworksQuery(name.to_owned()),
            ..self
        }
    }

    /// The network in path parameter `name` must be reached whole.
    pub fn network_in_path(self, name: &str) -> Self {
        self.object_in_path(name, Object::Network)
    }

    /// The operation touches the `object` whose id is path parameter `name`.
    pub fn object_in_path(self, name: &str, object: Object) -> Self {
        self.object(Location::Path, name, object, Absent::Nothing)
    }

    /// The operation touches the `object`(s) whose id(s) query parameter `name` gives.
    pub fn object_in_query(self, name: &str, object: Object) -> Self {
        self.object(Location::Query, name, object, Absent::Nothing)
    }

    /// The operation touches the `object`(s) whose id(s) body field `name` gives.
    pub fn object_in_body(self, name: &str, object: Object) -> Self {
        self.object(Location::Body, name, object, Absent::Nothing)
    }

    /// Like [`Requirement::object_in_body`], and a body without it touches the operator's
    /// object of no network, which needs a global scope.
    pub fn object_in_body_or_operator(self, name: &str, object: Object) -> Self {
        self.object(Location::Body, name, object, Absent::Operator)
    }

    fn object(mut self, location: Location, name: &str, object: Object, absent: Absent) -> Self {
        self.objects.push(ObjectRule {
            object,
            location,
            parameter: name.to_owned(),
            absent,
        });
        self
    }

    /// Whether the operation reads a JSON body to find its objects.
    fn reads_body(&self) -> bool {
        self.objects.iter().any(|o| o.location == Location::Body)
    }
}

/// Every operation's requirement (and summary, for the audit log), by method and route.
#[derive(Debug, Default)]
pub struct RuleTable(
    HashMap<(Method, String), Requirement>,
    HashMap<(Method, String), String>,
);

impl RuleTable {
    /// Read the requirements declared in `document` (an OpenAPI document as JSON).
    pub fn from_openapi(document: &serde_json::Value) -> Result<Self, String> {
        let mut table = HashMap::new();
        let mut summaries = HashMap::new();
        let paths = document["paths"]
            .as_object()
            .ok_or("document has no paths")?;
        for (path, item) in paths {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                let Some(declared) = operation.get(EXTENSION) else {
                    return Err(format!("{method} {path} declares no {EXTENSION}"));
                };
                let requirement: Requirement = serde_json::from_value(declared.clone())
                    .map_err(|e| format!("{method} {path}: bad {EXTENSION}: {e}"))?;
                if let Some(summary) = operation.get("summary").and_then(|s| s.as_str()) {
                    summaries.insert((method.clone(), path.clone()), summary.to_owned());
                }
                table.insert((method, path.clone()), requirement);
            }
        }
        Ok(RuleTable(table, summaries))
    }

    /// The operation's summary, as the document gives it.
    pub fn summary(&self, method: &Method, path: &str) -> Option<&str> {
        self.1
            .get(&(method.clone(), path.to_owned()))
            .map(String::as_str)
    }

    pub fn get(&self, method: &Method, path: &str) -> Option<&Requirement> {
        self.0.get(&(method.clone(), path.to_owned()))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&(Method, String), &Requirement)> {
        self.0.iter()
    }
}

/// The holder of a valid API token, set by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: user::Model,
    pub token: api_token::Model,
    /// Every grant of the user, as [`relais_store::grants::effective`] reads them.
    pub grants: Arc<Vec<Grant>>,
}

/// A token was presented but is not valid; remembered so that the refusal can say so.
#[derive(Debug, Clone, Copy)]
struct InvalidToken;

/// A caller that passed the operation's requirement, with the scope its permission holds in.
#[derive(Debug, Clone)]
pub struct Authorized {
    pub caller: Caller,
    pub grants: Arc<Vec<Grant>>,
    /// Where the operation's permission holds (global for operations without permission).
    pub scope: Scope,
}

impl Authorized {
    pub fn user_id(&self) -> i64 {
        self.caller.user.id
    }

    /// The scope of another permission of the same caller (for operations that touch two).
    pub fn scope_of(&self, permission: Permission, write: bool) -> Option<Scope> {
        Scope::resolve(&self.grants, permission, write, Utc::now())
    }

    /// The part of `networks` a list may show this caller, for its store query.
    pub fn within(&self, networks: &[i64]) -> relais_store::Within {
        relais_store::Within(self.scope.within(networks))
    }

    /// Check an object that no declaration can name: one found in stored data or read from a
    /// multipart form. The same rule and answers as declared objects (404, -31 naming `field`);
    /// `None` is the operator's object of no network.
    pub async fn reach(
        &self,
        state: &AppState,
        object: Object,
        id: Option<i64>,
        field: &str,
    ) -> Result<(), ApiError> {
        let values: Vec<String> = id.iter().map(ToString::to_string).collect();
        check_values(state, &self.scope, object, field, Absent::Operator, &values).await
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Authorized>()
            .cloned()
            .ok_or_else(|| {
                ApiError::internal(format!("no requirement enforced for {}", parts.uri.path()))
            })
    }
}

/// The API token of a request, as the Dashboard (`Authorization: Bearer`), the partner seeds
/// (`Authorization: Token`, `Authentication:`) and the hauler seed present it.
pub fn presented_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.trim().split_once(' ')?;
        return (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
            .then(|| token.trim());
    }
    headers
        .get("authentication")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Resolve the caller of every request from its token, if it presents one.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(token) = presented_token(req.headers()) {
        match state.callers.resolve(&state.db, token, Utc::now()).await {
            Ok(Some(resolved)) => {
                req.extensions_mut().insert(Caller {
                    user: resolved.user.clone(),
                    token: resolved.token.clone(),
                    grants: resolved.grants.clone(),
                });
            }
            Ok(None) => {
                req.extensions_mut().insert(InvalidToken);
            }
            Err(err) => return ApiError::from(err).into_response(),
        }
    }
    next.run(req).await
}

/// Enforce the requirement of the matched operation.
pub async fn authorize(
    State(state): State<AppState>,
    path: MatchedPath,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Response {
    match check(&state, path.as_str(), &req) {
        Err(err) => err.into_response(),
        Ok(Pending::Open) => next.run(req).await,
        Ok(Pending::Resolve(pending)) => {
            let (caller, requirement) = *pending;
            let method = req.method().clone();
            let (req, body) = match buffered(&state, &requirement, req).await {
                Ok(pair) => pair,
                Err(err) => return err.into_response(),
            };
            let input = Input {
                path: params
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
                query: req.uri().query().unwrap_or_default().to_owned(),
                body,
            };
            let user_id = caller.user.id;
            let response = match resolve(&state, caller, &requirement, path.as_str(), &input).await
            {
                Ok(authorized) => {
                    let mut req = req;
                    req.extensions_mut().insert(authorized);
                    next.run(req).await
                }
                Err(err) => err.into_response(),
            };
            if method != Method::GET && method != Method::HEAD {
                audit(
                    &state,
                    &method,
                    path.as_str(),
                    user_id,
                    &requirement,
                    &input,
                    &response,
                );
            }
            response
        }
    }
}

/// One audit line per mutation, refused ones included: who, which operation, on which declared
/// objects, and how it ended. Written here, once, rather than by each handler.
fn audit(
    state: &AppState,
    method: &Method,
    path: &str,
    user_id: i64,
    requirement: &Requirement,
    input: &Input,
    response: &Response,
) {
    let objects: Vec<String> = requirement
        .objects
        .iter()
        .flat_map(|o| {
            input
                .values(o.location, &o.parameter)
                .into_iter()
                .map(move |v| format!("{}={v}", o.parameter))
        })
        .collect();
    let code = response
        .extensions()
        .get::<crate::error::KnotCode>()
        .map_or(0, |c| c.0);
    tracing::info!(
        target: "relais::audit",
        user_id,
        operation = state.rules.summary(method, path).unwrap_or(path),
        route = %format!("{method} {path}"),
        objects = %objects.join(","),
        status = response.status().as_u16(),
        code,
        "mutation"
    );
}

enum Pending {
    Open,
    Resolve(Box<(Caller, Requirement)>),
}

/// What the declared objects are read from.
struct Input {
    path: Vec<(String, String)>,
    query: String,
    body: Option<serde_json::Value>,
}

impl Input {
    /// The raw values of parameter `name` at `location` (comma-separated lists split).
    fn values(&self, location: Location, name: &str) -> Vec<String> {
        match location {
            Location::Path => self
                .path
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect(),
            Location::Query => form_urlencoded::parse(self.query.as_bytes())
                .filter(|(k, _)| k == name)
                .flat_map(|(_, v)| {
                    v.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                })
                .collect(),
            Location::Body => {
                let scalar = |v: &serde_json::Value| match v {
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    serde_json::Value::String(s) => Some(s.clone()),
                    _ => None,
                };
                match self.body.as_ref().and_then(|b| b.get(name)) {
                    Some(serde_json::Value::Array(items)) => {
                        items.iter().filter_map(scalar).collect()
                    }
                    Some(value) => scalar(value).into_iter().collect(),
                    None => Vec::new(),
                }
            }
        }
    }
}

/// The request with its body read, when the requirement looks into it.
async fn buffered(
    state: &AppState,
    requirement: &Requirement,
    req: Request,
) -> Result<(Request, Option<serde_json::Value>), ApiError> {
    if !requirement.reads_body() {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, state.settings.body_limit)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "request body too large"))?;
    // A body that is not JSON names no object; the handler's extractor refuses it.
    let value = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
    Ok((
        Request::from_parts(parts, axum::body::Body::from(bytes)),
        value,
    ))
}

fn check(state: &AppState, path: &str, req: &Request) -> Result<Pending, ApiError> {
    // HEAD is served as GET without a body, under GET's rule.
    let method = if req.method() == Method::HEAD {
        &Method::GET
    } else {
        req.method()
    };
    let Some(requirement) = state.rules.get(method, path) else {
        return Err(ApiError::internal(format!(
            "{} {path} has no declared requirement",
            req.method()
        )));
    };
    if requirement.authentication != Authentication::Token {
        return Ok(Pending::Open);
    }
    let Some(caller) = req.extensions().get::<Caller>().cloned() else {
        let text = if req.extensions().get::<InvalidToken>().is_some() {
            "the API token is invalid, revoked or expired"
        } else {
            "an API token is required"
        };
        return Err(ApiError::new(ErrorCode::Unauthenticated, text));
    };
    if caller.user.blocked {
        return Err(ApiError::new(
            ErrorCode::AccountBlocked,
            "this account is blocked",
        ));
    }
    Ok(Pending::Resolve(Box::new((caller, requirement.clone()))))
}

async fn resolve(
    state: &AppState,
    caller: Caller,
    requirement: &Requirement,
    path: &str,
    input: &Input,
) -> Result<Authorized, ApiError> {
    let now = Utc::now();
    let grants = caller.grants.clone();
    if path.starts_with("/dashboard/")
        && Scope::resolve(&grants, Permission::DashboardAccess, false, now).is_none()
    {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            "the permission `dashboard.access` is required",
        ));
    }
    let scope = match requirement.permission {
        None => Scope::Global,
        Some(permission) => {
            let Some(scope) = Scope::resolve(&grants, permission, requirement.write, now) else {
                let with = if requirement.write { " with write" } else { "" };
                return Err(ApiError::new(
                    ErrorCode::PermissionDenied,
                    format!("the permission `{permission}`{with} is required"),
                ));
            };
            scope
        }
    };
    match &requirement.scope {
        ScopeRule::Any => {}
        ScopeRule::Global if scope.is_global() => {}
        ScopeRule::Global => {
            return Err(ApiError::new(
                ErrorCode::OutOfScope,
                format!(
                    "this operation needs `{}` granted globally",
                    requirement.permission.map_or("it", |p| p.key())
                ),
            ));
        }
        ScopeRule::NetworksQuery(name) | ScopeRule::WholeNetworksQuery(name) => {
            let asked: Vec<i64> = input
                .values(Location::Query, name)
                .iter()
                .filter_map(|id| id.parse::<i64>().ok())
                .filter(|id| *id >= 1)
                .collect();
            refuse_networks(&scope, name, &asked)?;
            if matches!(requirement.scope, ScopeRule::WholeNetworksQuery(_))
                && let Some(network) = asked.iter().find(|n| !scope.reaches_network(**n))
            {
                return Err(ApiError::new(
                    ErrorCode::OutOfScope,
                    "riders' data belongs to whole networks: this needs a grant over the whole \
                     network",
                )
                .with_field(name.as_str(), format!("not in your scope: {network}")));
            }
            // One query for all of them, rather than one per network in each handler.
            let found = relais_store::owners::of(&state.db, Object::Network, &asked).await?;
            if let Some(id) = asked.iter().find(|id| !found.contains_key(id)) {
                return Err(ApiError::not_found("network")
                    .with_field(name.as_str(), format!("no such network: {id}")));
            }
        }
    }
    for rule in &requirement.objects {
        check_object(state, &scope, rule, input).await?;
    }
    Ok(Authorized {
        caller,
        grants,
        scope,
    })
}

/// Resolve the objects of one declaration and refuse unknown ones (404) and those outside the
/// scope (-31), naming the parameter.
async fn check_object(
    state: &AppState,
    scope: &Scope,
    rule: &ObjectRule,
    input: &Input,
) -> Result<(), ApiError> {
    let values = input.values(rule.location, &rule.parameter);
    check_values(
        state,
        scope,
        rule.object,
        &rule.parameter,
        rule.absent,
        &values,
    )
    .await
}

async fn check_values(
    state: &AppState,
    scope: &Scope,
    object: Object,
    field: &str,
    absent: Absent,
    values: &[String],
) -> Result<(), ApiError> {
    let name = object.name();
    let out_of_scope = |id: &str| {
        ApiError::new(
            ErrorCode::OutOfScope,
            format!("this {name} is outside your scope"),
        )
        .with_field(field, format!("not in your scope: {id}"))
    };
    let unknown =
        |id: &str| ApiError::not_found(name).with_field(field, format!("no such {name}: {id}"));
    if values.is_empty() {
        if absent == Absent::Operator && !scope.reaches_owner(Owner::operator()) {
            return Err(ApiError::new(
                ErrorCode::OutOfScope,
                format!("a {name} of no network needs the permission granted globally"),
            )
            .with_field(field, "required unless your grant is global"));
        }
        return Ok(());
    }
    // Invoices are named by their reference, text.
    if object == Object::Invoice {
        let found = relais_store::invoices::networks_of(&state.db, values).await?;
        for reference in values {
            match found.get(reference) {
                None => return Err(unknown(reference)),
                Some(network) if !scope.reaches_owner(Owner::network(*network)) => {
                    return Err(out_of_scope(reference));
                }
                Some(_) => {}
            }
        }
        return Ok(());
    }
    // Ids that do not parse or lie below 1 are left to the handler's validation (-10, -11).
    let ids: Vec<i64> = values
        .iter()
        .filter_map(|v| v.parse::<i64>().ok())
        .filter(|id| *id >= 1)
        .collect();
    if object == Object::AppLabel {
        let found = relais_store::owners::app_labels(&state.db, &ids).await?;
        let held = scope.app_labels();
        for id in &ids {
            if !found.contains(id) {
                return Err(unknown(&id.to_string()));
            }
            if held.as_ref().is_some_and(|h| !h.contains(id)) {
                return Err(out_of_scope(&id.to_string()));
            }
        }
        return Ok(());
    }
    if object == Object::User {
        let found = relais_store::users::reach(&state.db, &ids).await?;
        for id in &ids {
            match found.get(id) {
                None => return Err(unknown(&id.to_string())),
                Some(reach) if !reaches_user(scope, reach) => {
                    return Err(out_of_scope(&id.to_string()));
                }
                Some(_) => {}
            }
        }
        return Ok(());
    }
    if object == Object::OrganizationalUnit {
        let units = relais_store::units::get_many(&state.db, &ids).await?;
        for id in &ids {
            match units.get(id) {
                None => return Err(unknown(&id.to_string())),
                Some(unit) if !scope.covers(&unit.scope()) => {
                    return Err(out_of_scope(&id.to_string()));
                }
                Some(_) => {}
            }
        }
        return Ok(());
    }
    let owners = relais_store::owners::of(&state.db, object, &ids).await?;
    let reaches = |owner: Owner| match (object, owner.network) {
        (Object::NetworkPart, Some(network)) => scope.touches_network(network),
        _ => scope.reaches_owner(owner),
    };
    for id in &ids {
        match owners.get(id) {
            None => return Err(unknown(&id.to_string())),
            Some(owner) if !reaches(*owner) => {
                return Err(out_of_scope(&id.to_string()));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Whether `scope` reaches a user of `reach` (see [`Object::User`]).
pub fn reaches_user(scope: &Scope, reach: &relais_store::users::Reach) -> bool {
    scope.is_global()
        || reach.networks.iter().any(|n| scope.reaches_network(*n))
        || reach
            .app_label
            .is_some_and(|label| scope.app_labels().is_some_and(|held| held.contains(&label)))
}

fn refuse_networks(scope: &Scope, field: &str, asked: &[i64]) -> Result<(), ApiError> {
    let refused = scope.refused_networks(asked);
    if refused.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = refused.iter().map(ToString::to_string).collect();
    Err(ApiError::new(
        ErrorCode::OutOfScope,
        "some networks are outside your scope",
    )
    .with_field(field, format!("not in your scope: {}", ids.join(","))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_are_read_from_all_three_header_forms() {
        for (name, value) in [
            ("authorization", "Bearer abc.def"),
            ("authorization", "bearer abc.def"),
            ("authorization", "Token abc.def"),
            ("authentication", "abc.def"),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_static(value));
            assert_eq!(
                presented_token(&headers),
                Some("abc.def"),
                "{name}: {value}"
            );
        }
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Basic abc"));
        assert_eq!(presented_token(&headers), None);
    }

    #[test]
    fn requirements_round_trip_through_the_extension() {
        for requirement in [
            public(),
            authenticated(),
            read(Permission::Trips).networks_in_query("networks"),
            write(Permission::Roles).global(),
            read(Permission::Stations).network_in_path("network_id"),
            write(Permission::VehiclesManage)
                .object_in_path("id", Object::Vehicle)
                .object_in_body_or_operator("network_id", Object::Network),
        ] {
            let json = serde_json::to_value(&requirement).unwrap();
            assert_eq!(
                serde_json::from_value::<Requirement>(json).unwrap(),
                requirement
            );
        }
    }
}
