//! The one error type of the Dashboard API and its catalogue of codes.
//!
//! Every failure answers `{"code": <negative>, "message": {"text": ..., "fields": {...}}}` with
//! a meaningful HTTP status. The codes are stable: clients may branch on them. The catalogue is
//! [`ErrorCode::ALL`], published in `docs/errors.md` and in the OpenAPI document.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use relais_store::StoreError;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

macro_rules! codes {
    ($($variant:ident = $code:literal, $status:ident, $doc:literal;)*) => {
        /// A stable error code of the Dashboard API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $(#[doc = $doc] $variant,)* }

        impl ErrorCode {
            /// The whole catalogue, in code order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn code(self) -> i32 {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }

            /// What the code means, for the catalogue.
            pub fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    Internal = -1, INTERNAL_SERVER_ERROR, "Unexpected server error; the detail is in the server log under the request id.";
    NotFound = -2, NOT_FOUND, "The resource named by the request does not exist.";
    RouteNotFound = -3, NOT_FOUND, "No operation at this path.";
    MethodNotAllowed = -4, METHOD_NOT_ALLOWED, "The path exists but not with this HTTP method.";
    Malformed = -10, BAD_REQUEST, "The request cannot be read: invalid JSON, wrong type, missing or unknown field.";
    Validation = -11, UNPROCESSABLE_ENTITY, "A value breaks a constraint; `fields` names each field at fault.";
    UnsupportedMediaType = -12, UNSUPPORTED_MEDIA_TYPE, "The request body is not in the media type the operation takes.";
    PayloadTooLarge = -13, PAYLOAD_TOO_LARGE, "The request body is larger than the server accepts.";
    Unauthenticated = -20, UNAUTHORIZED, "No valid API token was given (missing, malformed, unknown, revoked or expired).";
    BadCredentials = -21, UNAUTHORIZED, "The email or the password is wrong.";
    AccountBlocked = -22, FORBIDDEN, "The account is blocked.";
    TooManyAttempts = -23, TOO_MANY_REQUESTS, "Too many failed attempts; retry after the `Retry-After` delay.";
    RateLimited = -24, TOO_MANY_REQUESTS, "Too many requests from this caller (the rider API's rate limit); retry after the `Retry-After` delay.";
    PermissionDenied = -30, FORBIDDEN, "The caller lacks the permission (or its write modifier) the operation needs.";
    OutOfScope = -31, FORBIDDEN, "The caller holds the permission, but not over the networks, unit or objects asked for.";
    Conflict = -40, CONFLICT, "A unique value is already taken; `fields` names it.";
    Refused = -41, CONFLICT, "The change is refused by the current state of the data.";
    Unavailable = -50, SERVICE_UNAVAILABLE, "The server cannot answer now (database unreachable, request timed out).";
}

/// A failure, ready to be sent.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub text: String,
    pub fields: BTreeMap<String, Vec<String>>,
    pub retry_after: Option<u64>,
}

/// The body of every failure.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A negative error code from the catalogue.
    #[schema(example = -11)]
    pub code: i32,
    pub message: ErrorMessage,
}

/// What went wrong, for people and for forms.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorMessage {
    /// A human explanation.
    pub text: String,
    /// The fields at fault and what is wrong with each.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Vec<String>>,
}

/// The envelope code of a response, left in its extensions for the access log.
#[derive(Debug, Clone, Copy)]
pub struct KnotCode(pub i32);

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, text: impl Into<String>) -> Self {
        ApiError {
            code,
            text: text.into(),
            fields: BTreeMap::new(),
            retry_after: None,
        }
    }

    /// A validation error on one field.
    pub fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        let mut err = ApiError::new(ErrorCode::Validation, "invalid request");
        err.fields.insert(field.into(), vec![problem.into()]);
        err
    }

    pub fn with_field(mut self, field: impl Into<String>, problem: impl Into<String>) -> Self {
        self.fields
            .entry(field.into())
            .or_default()
            .push(problem.into());
        self
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        // Logged here with its detail; the client only learns that something failed.
        tracing::error!(error = %err, "internal error");
        ApiError::new(ErrorCode::Internal, "internal server error")
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        if err.is_unavailable() {
            // An outage or a lock that stayed taken: the request may succeed later.
            tracing::warn!(error = %err, "database unavailable");
            return ApiError::new(
                ErrorCode::Unavailable,
                "the database is unavailable, retry later",
            );
        }
        match err {
            StoreError::Conflict { field } => {
                ApiError::new(ErrorCode::Conflict, format!("{field} already exists"))
                    .with_field(field, "already exists")
            }
            StoreError::NotFound { entity } => ApiError::not_found(entity),
            StoreError::Missing { entity, field } => {
                ApiError::not_found(entity).with_field(field, format!("no such {entity}"))
            }
            StoreError::Invalid { field, problem } => ApiError::field(field, problem),
            StoreError::Closed { entity } => ApiError::new(
                ErrorCode::Refused,
                format!("this {entity} is closed for good: it can no longer change"),
            ),
            StoreError::Rule(text) => ApiError::new(ErrorCode::Refused, text),
            StoreError::Db(db) => ApiError::internal(db),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let body = ErrorBody {
            code: self.code.code(),
            message: ErrorMessage {
                text: self.text,
                fields: self.fields,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(KnotCode(self.code.code()));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_negative_unique_and_errors() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(code.code() < 0);
            assert!(seen.insert(code.code()), "duplicate {}", code.code());
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }
}
