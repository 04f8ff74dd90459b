//! Sign-in: a password exchanged for an API token, sign-out, and who the caller is.

pub mod throttle;

use crate::access::{Authorized, authenticated, public};
use crate::blocking;
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::ValidJson;
use crate::net::ClientAddress;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use relais_domain::credentials::{hash_password, normalize_email, verify_password};
use relais_store::entity::user;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Credentials to sign in with.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 3, max = 254))]
    pub email: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(format = Password)]
    pub password: String,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// The API token to send as `Authorization: Bearer <token>`; shown only this once.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserProfile,
}

/// A user as they see themselves.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserProfile {
    pub id: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub language: String,
    pub app_label_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: Option<DateTime<Utc>>,
}

impl From<user::Model> for UserProfile {
    fn from(u: user::Model) -> Self {
        UserProfile {
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            phone: u.phone,
            language: u.language,
            app_label_id: u.app_label_id,
            created_at: u.created_at,
            last_activity_at: u.last_activity_at,
        }
    }
}

/// The caller and what they may do now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserProfile,
    /// The permissions in force now, one entry per permission and place.
    pub permissions: Vec<EffectivePermission>,
}

/// One permission in force, and where.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectivePermission {
    pub permission: Permission,
    pub write: bool,
    /// The organizational unit it holds in; null when global.
    pub organizational_unit: Option<i64>,
    pub end_date: Option<DateTime<Utc>>,
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/auth/login", tag = "Authentication",
    summary = "Sign in",
    description = "Exchange an email and a password for an API token. Attempts are throttled per email and client address, per client address, and per email (docs/security.md, \"Sign-in throttling\"); past a limit the answer is 429 with `Retry-After`.",
    request_body = LoginRequest,
    extensions(("x-permission" = json!(public()))),
    responses(
        (status = 200, description = "Signed in", body = Envelope<LoginResponse>),
        (status = 401, description = "Wrong email or password (-21)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 422, description = "Invalid request (-11)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts (-23)", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    address: ClientAddress,
    ValidJson(body): ValidJson<LoginRequest>,
) -> ApiResult<Json<Envelope<LoginResponse>>> {
    let email = normalize_email(&body.email);
    // Counted before the (slow) verification, in one step with the check: see `throttle`.
    let attempt = state
        .throttle
        .begin(&email, address.0.as_deref())
        .map_err(|refused| {
            tracing::info!(limit = refused.limit, "sign-in throttled");
            let mut err = ApiError::new(
                ErrorCode::TooManyAttempts,
                "too many failed sign-in attempts; try again later",
            );
            err.retry_after = Some(refused.retry_after);
            err
        })?;
    let user = relais_store::users::find_by_email(&state.db, &email).await?;
    let password = body.password;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let verified = blocking::cpu(&state, move || {
        // Verify even for an unknown email, against a fixed hash, so timing does not tell
        // which emails have an account.
        verify_password(&password, hash.as_deref().unwrap_or(&UNKNOWN_USER_HASH))
    })
    .await;
    let Some(user) = user.filter(|_| verified) else {
        return Err(ApiError::new(
            ErrorCode::BadCredentials,
            "wrong email or password",
        ));
    };
    state.throttle.succeeded(attempt);
    if user.blocked {
        return Err(ApiError::new(
            ErrorCode::AccountBlocked,
            "this account is blocked",
        ));
    }
    let expires_at = Utc::now() + state.settings.login_token_ttl;
    let (_, token) =
        relais_store::tokens::issue(&state.db, user.id, "login", Some(expires_at)).await?;
    relais_store::users::touch(&state.db, user.id, Utc::now()).await?;
    tracing::info!(user_id = user.id, "signed in");
    Ok(ok(LoginResponse {
        token,
        expires_at,
        user: user.into(),
    }))
}

/// The hash of a random password nobody knows, verified against when the email is unknown
/// (made on first use, in the CPU pool).
static UNKNOWN_USER_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&uuid::Uuid::new_v4().to_string()));

/// Sign out: revoke the token of this request.
#[utoipa::path(post, path = "/auth/logout", tag = "Authentication",
    summary = "Sign out",
    description = "Revoke the API token that authenticates this request.",
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "Signed out", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, auth: Authorized) -> ApiResult<Json<Done>> {
    relais_store::tokens::revoke(&state.db, auth.caller.token.id, Utc::now()).await?;
    Ok(done())
}

/// Who the caller is and what they may do.
#[utoipa::path(get, path = "/auth/me", tag = "Authentication",
    summary = "Current user",
    description = "The authenticated user and the permissions in force for them now.",
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The caller", body = Envelope<Me>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody)))]
pub async fn me(auth: Authorized) -> Json<Envelope<Me>> {
    let now = Utc::now();
    let mut permissions: Vec<EffectivePermission> = auth
        .grants
        .iter()
        .filter(|g| g.is_live(now))
        .map(|g| EffectivePermission {
            permission: g.permission,
            write: g.write,
            organizational_unit: g.unit.as_ref().map(|u| u.unit_id),
            end_date: g.end_date,
        })
        .collect();
    permissions.sort_by_key(|p| (p.permission, p.organizational_unit, !p.write));
    ok(Me {
        user: auth.caller.user.into(),
        permissions,
    })
}
