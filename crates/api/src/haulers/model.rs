//! The request, response and error bodies of the hauler API (seed 003).

use crate::state::AppState;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use relais_store::entity::{hauler, hauler_connection};
use relais_store::error::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every refusal of the hauler API.
#[derive(Debug, Serialize, ToSchema)]
pub struct HaulerError {
    /// The HTTP status, repeated.
    pub status: u16,
    /// What went wrong, as a stable slug: `invalid_header`, `not_authenticated`,
    /// `account_blocked`, `forbidden`, `invalid_path`, `not_found`, `malformed_body`,
    /// `validation_error`, `unknown_tenant_code`, `tenant_mismatch`, `connection_exists`,
    /// `location_closed`, `unsupported_media_type`, `method_not_allowed`, `internal_error`.
    pub code: String,
    pub message: String,
    /// The header, path parameter or body field at fault, if one is.
    pub field: Option<String>,
}

impl HaulerError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        HaulerError {
            status: status.as_u16(),
            code: code.to_owned(),
            message: message.into(),
            field: None,
        }
    }

    pub fn field(mut self, name: &str) -> Self {
        self.field = Some(name.to_owned());
        self
    }

    pub fn header(name: &str, problem: impl Into<String>) -> Self {
        HaulerError::new(StatusCode::BAD_REQUEST, "invalid_header", problem).field(name)
    }

    pub fn unauthenticated(message: &str) -> Self {
        HaulerError::new(StatusCode::UNAUTHORIZED, "not_authenticated", message)
            .field("authorization")
    }
}

impl IntoResponse for HaulerError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
    }
}

impl From<StoreError> for HaulerError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict { .. } => HaulerError::new(
                StatusCode::CONFLICT,
                "connection_exists",
                "a connection to this location is already pending or approved",
            )
            .field("tenant_code"),
            StoreError::Closed { .. } => HaulerError::new(
                StatusCode::CONFLICT,
                "location_closed",
                "this location is closed",
            )
            .field("tenant_code"),
            StoreError::NotFound { entity } | StoreError::Missing { entity, .. } => {
                HaulerError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no such {entity}"),
                )
            }
            other if other.is_unavailable() => {
                tracing::warn!(error = %other, "hauler API: database unavailable");
                HaulerError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the service is unavailable, try again later",
                )
            }
            other => {
                tracing::error!(error = %other, "hauler API store error");
                HaulerError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "internal server error",
                )
            }
        }
    }
}

/// `CreateHaulerConnectionRequestModel`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConnection {
    /// The location's tenant code: a provider code, `+`, the location id (1 to 10 digits).
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[A-Za-z0-9_-]+\+[0-9]{1,10}$",
        example = "SMSCORP+3"
    )]
    pub tenant_code: String,
}

/// Whether `code` is a provider code, `+` and a location id of 1 to 10 digits.
pub fn valid_tenant_code(code: &str) -> bool {
    let Some((provider, location)) = code.rsplit_once('+') else {
        return false;
    };
    !provider.is_empty()
        && provider
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && (1..=10).contains(&location.len())
        && location.bytes().all(|b| b.is_ascii_digit())
        && (1..=128).contains(&code.len())
}

impl CreateConnection {
    pub fn parse(body: &[u8]) -> Result<Self, HaulerError> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
            HaulerError::new(
                StatusCode::BAD_REQUEST,
                "malformed_body",
                format!("the body is not JSON: {e}"),
            )
        })?;
        let Some(object) = value.as_object() else {
            return Err(HaulerError::new(
                StatusCode::BAD_REQUEST,
                "malformed_body",
                "the body must be a JSON object",
            ));
        };
        if let Some(unknown) = object.keys().find(|k| *k != "tenant_code") {
            return Err(HaulerError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                "unknown field",
            )
            .field(unknown));
        }
        let invalid = |message: &str| {
            HaulerError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                message,
            )
            .field("tenant_code")
        };
        let code = match object.get("tenant_code") {
            None => return Err(invalid("is required")),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(_) => return Err(invalid("must be a string")),
        };
        if code.is_empty() || code.chars().count() > 128 {
            return Err(invalid("must be 1 to 128 characters long"));
        }
        if !valid_tenant_code(&code) {
            return Err(invalid(
                "must be a provider code, `+` and a location id of 1 to 10 digits (e.g. SMSCORP+3)",
            ));
        }
        Ok(CreateConnection { tenant_code: code })
    }
}

/// `ThirdPartyHaulerConnectionModel`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Connection {
    /// The user who approved it.
    pub approved_by: Option<i64>,
    /// Approval date (UTC, ISO 8601 without offset).
    #[schema(example = "2022-08-20T01:27:24.691708")]
    pub approved_on: Option<String>,
    /// Denial date.
    pub denied_on: Option<String>,
    pub is_approved: bool,
    /// The network.
    pub location_id: i64,
    /// The network's app label.
    pub provider_id: i64,
    #[schema(min_length = 1, max_length = 64)]
    pub provider_name: String,
    #[schema(example = "2022-08-20T01:27:24.691708")]
    pub requested_on: String,
    #[schema(format = "uuid")]
    pub third_party_hauler_id: String,
}

/// The seed's date format: `2022-08-20T01:27:24.691708`.
pub fn seed_date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

pub async fn connection(
    state: &AppState,
    hauler: &hauler::Model,
    row: hauler_connection::Model,
) -> Result<Connection, HaulerError> {
    Ok(connections(state, hauler, vec![row]).await?.remove(0))
}

/// The seed's answers for `rows`, their locations and providers looked up in two queries.
pub async fn connections(
    state: &AppState,
    hauler: &hauler::Model,
    rows: Vec<hauler_connection::Model>,
) -> Result<Vec<Connection>, HaulerError> {
    let locations =
        relais_store::haulers::locations(&state.db, rows.iter().map(|r| r.network_id)).await?;
    rows.into_iter()
        .map(|row| {
            let (network, label) = locations
                .get(&row.network_id)
                .ok_or(relais_store::StoreError::NotFound { entity: "network" })?;
            let provider_name = label
                .as_ref()
                .map(|l| l.display_name.as_str())
                .unwrap_or_default()
                .chars()
                .take(64)
                .collect();
            let status = relais_store::haulers::Status::of(&row);
            Ok(Connection {
                approved_by: row.approved_by,
                approved_on: row.approved_on.map(seed_date),
                denied_on: row.denied_on.map(seed_date),
                is_approved: status == relais_store::haulers::Status::Approved,
                location_id: network.id,
                provider_id: network.app_label_id,
                provider_name,
                requested_on: seed_date(row.requested_on),
                third_party_hauler_id: hauler.uuid.clone(),
            })
        })
        .collect()
}
