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
use relais_domain::{Grant, Permission, Scope};
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
    /// Every network id of this comma-separated query parameter must be in scope.
    NetworksQuery(String),
    /// The network id of this path parameter must be in scope.
    NetworkPath(String),
}

/// What an operation needs from its caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub authentication: Authentication,
    pub permission: Option<Permission>,
    /// Whether the permission is needed with its write modifier.
    pub write: bool,
    pub scope: ScopeRule,
}

/// Anyone may call.
pub fn public() -> Requirement {
    Requirement {
        authentication: Authentication::None,
        permission: None,
        write: false,
        scope: ScopeRule::Any,
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

    /// The network in path parameter `name` must be in scope.
    pub fn network_in_path(self, name: &str) -> Self {
        Requirement {
            scope: ScopeRule::NetworkPath(name.to_owned()),
            ..self
        }
    }
}

/// Every operation's requirement, by method and route.
#[derive(Debug, Default)]
pub struct RuleTable(HashMap<(Method, String), Requirement>);

impl RuleTable {
    /// Read the requirements declared in `document` (an OpenAPI document as JSON).
    pub fn from_openapi(document: &serde_json::Value) -> Result<Self, String> {
        let mut table = HashMap::new();
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
                table.insert((method, path.clone()), requirement);
            }
        }
        Ok(RuleTable(table))
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
        match relais_store::tokens::authenticate(&state.db, token, Utc::now()).await {
            Ok(Some((token, user))) => {
                req.extensions_mut().insert(Caller { user, token });
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
    mut req: Request,
    next: Next,
) -> Response {
    match check(&state, path.as_str(), &params, &req) {
        Err(err) => err.into_response(),
        Ok(Pending::Open) => next.run(req).await,
        Ok(Pending::Resolve(pending)) => {
            let (caller, requirement) = *pending;
            let query = req.uri().query().map(str::to_owned);
            match resolve(&state, caller, &requirement, path.as_str(), &params, query).await {
                Ok(authorized) => {
                    req.extensions_mut().insert(authorized);
                    next.run(req).await
                }
                Err(err) => err.into_response(),
            }
        }
    }
}

enum Pending {
    Open,
    Resolve(Box<(Caller, Requirement)>),
}

fn check(
    state: &AppState,
    path: &str,
    _params: &RawPathParams,
    req: &Request,
) -> Result<Pending, ApiError> {
    let Some(requirement) = state.rules.get(req.method(), path) else {
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
    params: &RawPathParams,
    query: Option<String>,
) -> Result<Authorized, ApiError> {
    let now = Utc::now();
    let grants = Arc::new(relais_store::grants::effective(&state.db, caller.user.id).await?);
    if path.starts_with("/dashboard/")
        && Scope::resolve(&grants, Permission::DashboardAccess, false, now).is_none()
    {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            "the permission `dashboard.access` is required",
        ));
    }
    let Some(permission) = requirement.permission else {
        return Ok(Authorized {
            caller,
            grants,
            scope: Scope::Global,
        });
    };
    let Some(scope) = Scope::resolve(&grants, permission, requirement.write, now) else {
        let with = if requirement.write { " with write" } else { "" };
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!("the permission `{permission}`{with} is required"),
        ));
    };
    match &requirement.scope {
        ScopeRule::Any => {}
        ScopeRule::Global if scope.is_global() => {}
        ScopeRule::Global => {
            return Err(ApiError::new(
                ErrorCode::OutOfScope,
                format!("this operation needs `{permission}` granted globally"),
            ));
        }
        ScopeRule::NetworksQuery(name) => {
            let asked: Vec<i64> = form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
                .filter(|(k, _)| k == name)
                .flat_map(|(_, v)| {
                    v.split(',')
                        .filter_map(|id| id.trim().parse::<i64>().ok())
                        .collect::<Vec<_>>()
                })
                .collect();
            refuse_networks(&scope, name, &asked)?;
        }
        ScopeRule::NetworkPath(name) => {
            let asked: Vec<i64> = params
                .iter()
                .filter(|(k, _)| k == name)
                .filter_map(|(_, v)| v.parse().ok())
                .collect();
            refuse_networks(&scope, name, &asked)?;
        }
    }
    Ok(Authorized {
        caller,
        grants,
        scope,
    })
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
        ] {
            let json = serde_json::to_value(&requirement).unwrap();
            assert_eq!(
                serde_json::from_value::<Requirement>(json).unwrap(),
                requirement
            );
        }
    }
}
