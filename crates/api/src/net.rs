//! The client's network address, for the access log and login throttling.

use crate::state::AppState;
use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::SocketAddr;

/// The client address: the socket peer, or the first `X-Forwarded-For` hop when the server is
/// configured to trust its proxy. `None` when neither is known.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub Option<String>);

impl ClientAddress {
    pub fn of(parts: &Parts, trust_forwarded_for: bool) -> Self {
        if trust_forwarded_for
            && let Some(first) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        {
            return ClientAddress(Some(first.chars().take(128).collect()));
        }
        ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr)
                // In-process callers (tests) stand in for the socket with `MockConnectInfo`.
                .or_else(|| {
                    parts
                        .extensions
                        .get::<MockConnectInfo<SocketAddr>>()
                        .map(|MockConnectInfo(addr)| addr)
                })
                .map(|addr| addr.ip().to_string()),
        )
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(ClientAddress::of(parts, state.settings.trust_forwarded_for))
    }
}
