//! A rider's account: sign-up with the app label's rules, confirmation codes, sign-in and out,
//! password reset.

use crate::access::{Authorized, authenticated, public};
use crate::auth::LoginResponse;
use crate::blocking;
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::ValidJson;
use crate::net::ClientAddress;
use crate::outbox::{self, texts};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{Duration, Utc};
use relais_domain::credentials::{hash_password, normalize_email};
use relais_store::entity::user;
use relais_store::entity::user_code::Purpose;
use relais_store::users::NewUser;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(confirm_email))
        .routes(routes!(confirm_phone))
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(request_password_reset))
        .routes(routes!(reset_password))
}

/// Constraint: an E.164 phone number (`+` and 8 to 15 digits).
pub fn e164(phone: &str) -> Result<(), ValidationError> {
    if relais_messaging::sms::is_e164(phone) {
        Ok(())
    } else {
        Err(ValidationError::new("phone")
            .with_message("an international number: + then 8 to 15 digits (E.164)".into()))
    }
}

/// Constraint: a password of 8 characters at least (NIST SP 800-63B), 1024 at most.
pub fn password(p: &str) -> Result<(), ValidationError> {
    let n = p.chars().count();
    if (8..=1024).contains(&n) {
        Ok(())
    } else {
        Err(ValidationError::new("length").with_message("8 to 1024 characters".into()))
    }
}

/// A new rider.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    #[validate(email, length(max = 254))]
    #[schema(example = "ada@example.org", max_length = 254)]
    pub email: String,
    /// 8 to 1024 characters.
    #[validate(custom(function = "password"))]
    #[schema(format = Password, min_length = 8, max_length = 1024)]
    pub password: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "Ada")]
    pub first_name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "Lovelace")]
    pub last_name: String,
    /// ISO 639-1 code of the rider's language (messages are written in it).
    #[validate(custom(function = "crate::extract::language"))]
    #[schema(example = "fr")]
    pub language: String,
    /// The name of the app label (the white-label app) the rider signs up in.
    #[validate(length(min = 1, max = 20))]
    #[schema(example = "velo")]
    pub app_label: String,
    /// The phone number (E.164); required when the app label asks for SMS validation.
    #[validate(custom(function = "e164"))]
    #[schema(example = "+33612345678")]
    pub phone: Option<String>,
    /// Whether the rider accepts the terms of use; must be true when the app label requires it.
    #[serde(default)]
    pub accept_terms: bool,
    /// The network the app opened on: the rider then belongs to it.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = json!(null))]
    pub network_id: Option<i64>,
}

/// Sign up.
#[utoipa::path(post, path = "/rider/sign-up", tag = "Rider",
    summary = "Sign up",
    description = "Create a rider's account in an app label, and sign in.\n\nThe app label's rules apply: with `require_sms_validation` a phone number is required and a code is sent to it by SMS; with `require_terms_of_use`, `accept_terms` must be true (the time is recorded). A code to confirm the address is mailed in the rider's language. An address already taken is refused (-40 naming `email`). The answer carries a token, as sign-in does.",
    request_body = SignUpRequest,
    extensions(("x-permission" = json!(public()))),
    responses(
        (status = 200, description = "Signed up and in", body = Envelope<LoginResponse>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 404, description = "No such app label or network (-2)", body = ErrorBody),
        (status = 409, description = "Email taken (-40)", body = ErrorBody),
        (status = 422, description = "Invalid field, or a rule of the app label unmet (-11)", body = ErrorBody),
        (status = 429, description = "Too many attempts (-23)", body = ErrorBody)))]
pub async fn sign_up(
    State(state): State<AppState>,
    address: ClientAddress,
    ValidJson(body): ValidJson<SignUpRequest>,
) -> ApiResult<Json<Envelope<LoginResponse>>> {
    let email = normalize_email(&body.email);
    let attempt = throttled(&state, &email, &address)?;
    let label = relais_store::app_labels::by_name(&state.db, &body.app_label)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("app label").with_field("app_label", "no such app label")
        })?;
    if label.require_sms_validation && body.phone.is_none() {
        return Err(ApiError::field(
            "phone",
            "this app asks for a phone number, confirmed by SMS",
        ));
    }
    if label.require_terms_of_use && !body.accept_terms {
        return Err(ApiError::field(
            "accept_terms",
            "this app asks to accept its terms of use",
        ));
    }
    if let Some(network) = body.network_id
        && relais_store::networks::get(&state.db, network)
            .await?
            .is_none()
    {
        return Err(ApiError::not_found("network").with_field("network_id", "no such network"));
    }
    let password = body.password;
    let hash = blocking::cpu(&state, move || hash_password(&password)).await;
    let now = Utc::now();
    let user = relais_store::users::create(
        &state.db,
        NewUser {
            email,
            password_hash: Some(hash),
            first_name: Some(body.first_name),
            last_name: Some(body.last_name),
            phone: body.phone.clone(),
            language: Some(body.language),
            app_label_id: Some(label.id),
            terms_accepted_at: body.accept_terms.then_some(now),
        },
    )
    .await?;
    state.throttle.succeeded(attempt);
    if let Some(network) = body.network_id {
        relais_store::users::join_network(&state.db, user.id, network, now).await?;
    }
    send_email_code(&state, &user).await?;
    if let Some(phone) = &body.phone {
        send_phone_code(&state, &user, phone).await?;
    }
    tracing::info!(user_id = user.id, "rider signed up");
    session(&state, user).await
}

fn throttled(
    state: &AppState,
    email: &str,
    address: &ClientAddress,
) -> ApiResult<crate::auth::throttle::Attempt> {
    state
        .throttle
        .begin(email, address.0.as_deref())
        .map_err(|refused| {
            let mut err = ApiError::new(
                ErrorCode::TooManyAttempts,
                "too many attempts; try again later",
            );
            err.retry_after = Some(refused.retry_after);
            err
        })
}

async fn session(state: &AppState, user: user::Model) -> ApiResult<Json<Envelope<LoginResponse>>> {
    let expires_at = Utc::now() + state.settings.login_token_ttl;
    let (_, token) =
        relais_store::tokens::issue(&state.db, user.id, "rider", Some(expires_at)).await?;
    Ok(ok(LoginResponse {
        token,
        expires_at,
        user: user.into(),
    }))
}

async fn send_email_code(state: &AppState, user: &user::Model) -> ApiResult<()> {
    let code = relais_store::codes::issue(
        &state.db,
        user.id,
        Purpose::EmailConfirm,
        "mail",
        Duration::hours(24),
        Utc::now(),
    )
    .await?;
    let app = outbox::app_name(state, user).await?;
    outbox::mail(
        state,
        user,
        "confirm_email",
        texts::confirm_email(&user.language, &app, &code),
        None,
    )
    .await?;
    Ok(())
}

pub(crate) async fn send_phone_code(
    state: &AppState,
    user: &user::Model,
    phone: &str,
) -> ApiResult<()> {
    let code = relais_store::codes::issue(
        &state.db,
        user.id,
        Purpose::PhoneConfirm,
        "sms",
        Duration::minutes(10),
        Utc::now(),
    )
    .await?;
    let app = outbox::app_name(state, user).await?;
    outbox::sms(
        state,
        user,
        phone,
        "confirm_phone",
        texts::confirm_phone(&user.language, &app, &code),
    )
    .await?;
    Ok(())
}

/// A code received.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The six digits received.
    #[validate(length(equal = 6))]
    #[schema(example = "123456", min_length = 6, max_length = 6)]
    pub code: String,
}

async fn confirm(
    state: &AppState,
    auth: &Authorized,
    address: &ClientAddress,
    purpose: Purpose,
    code: &str,
) -> ApiResult<()> {
    let user = &auth.caller.user;
    let attempt = throttled(state, &user.email, address)?;
    relais_store::codes::redeem(&state.db, user.id, purpose, code, "code", Utc::now()).await?;
    state.throttle.succeeded(attempt);
    relais_store::users::confirm(
        &state.db,
        user.id,
        purpose == Purpose::PhoneConfirm,
        Utc::now(),
    )
    .await?;
    Ok(())
}

/// Confirm email.
#[utoipa::path(post, path = "/rider/me/email/confirm", tag = "Rider",
    summary = "Confirm email",
    description = "Confirm the rider's address with the code mailed at sign-up (valid 24 hours, five tries). A wrong, spent or expired code is refused naming `code`.",
    request_body = ConfirmRequest,
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "Confirmed", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 422, description = "Wrong or expired code (-11)", body = ErrorBody),
        (status = 429, description = "Too many attempts (-23)", body = ErrorBody)))]
pub async fn confirm_email(
    State(state): State<AppState>,
    auth: Authorized,
    address: ClientAddress,
    ValidJson(body): ValidJson<ConfirmRequest>,
) -> ApiResult<Json<Done>> {
    confirm(&state, &auth, &address, Purpose::EmailConfirm, &body.code).await?;
    Ok(done())
}

/// Confirm phone.
#[utoipa::path(post, path = "/rider/me/phone/confirm", tag = "Rider",
    summary = "Confirm phone",
    description = "Confirm the rider's phone number with the code sent by SMS (valid 10 minutes, five tries). A wrong, spent or expired code is refused naming `code`.",
    request_body = ConfirmRequest,
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "Confirmed", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 422, description = "Wrong or expired code (-11)", body = ErrorBody),
        (status = 429, description = "Too many attempts (-23)", body = ErrorBody)))]
pub async fn confirm_phone(
    State(state): State<AppState>,
    auth: Authorized,
    address: ClientAddress,
    ValidJson(body): ValidJson<ConfirmRequest>,
) -> ApiResult<Json<Done>> {
    confirm(&state, &auth, &address, Purpose::PhoneConfirm, &body.code).await?;
    Ok(done())
}

/// Sign in.
#[utoipa::path(post, path = "/rider/sign-in", tag = "Rider",
    summary = "Sign in",
    description = "Exchange a rider's email and password for a token, throttled like the staff's sign-in. A deleted account cannot sign in; a blocked one is refused (-22).",
    request_body = crate::auth::LoginRequest,
    extensions(("x-permission" = json!(public()))),
    responses(
        (status = 200, description = "Signed in", body = Envelope<LoginResponse>),
        (status = 401, description = "Wrong email or password (-21)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 422, description = "Invalid request (-11)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts (-23)", body = ErrorBody)))]
pub async fn sign_in(
    state: State<AppState>,
    address: ClientAddress,
    body: ValidJson<crate::auth::LoginRequest>,
) -> ApiResult<Json<Envelope<LoginResponse>>> {
    crate::auth::login(state, address, body).await
}

/// Sign out.
#[utoipa::path(post, path = "/rider/sign-out", tag = "Rider",
    summary = "Sign out",
    description = "Revoke the token of this request.",
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "Signed out", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody)))]
pub async fn sign_out(State(state): State<AppState>, auth: Authorized) -> ApiResult<Json<Done>> {
    relais_store::tokens::revoke(&state.db, auth.caller.token.id, Utc::now()).await?;
    Ok(done())
}

/// Who asks for a new password.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[validate(length(min = 3, max = 254))]
    #[schema(example = "ada@example.org")]
    pub email: String,
}

/// Request password reset.
#[utoipa::path(post, path = "/rider/password/reset-request", tag = "Rider",
    summary = "Request password reset",
    description = "Mail a code to choose a new password (valid one hour, five tries). The answer is the same whether the address has an account or not, so that it tells nobody which addresses do. Works for staff accounts too.",
    request_body = PasswordResetRequest,
    extensions(("x-permission" = json!(public()))),
    responses(
        (status = 200, description = "Mailed if the address has an account", body = Done),
        (status = 422, description = "Invalid request (-11)", body = ErrorBody),
        (status = 429, description = "Too many attempts (-23)", body = ErrorBody)))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    address: ClientAddress,
    ValidJson(body): ValidJson<PasswordResetRequest>,
) -> ApiResult<Json<Done>> {
    let email = normalize_email(&body.email);
    // Counted as a failure either way: asking is not proving anything.
    let _attempt = throttled(&state, &email, &address)?;
    if let Some(user) = relais_store::users::find_by_email(&state.db, &email).await?
        && user.deleted_at.is_none()
    {
        let code = relais_store::codes::issue(
            &state.db,
            user.id,
            Purpose::PasswordReset,
            "mail",
            Duration::hours(1),
            Utc::now(),
        )
        .await?;
        let app = outbox::app_name(&state, &user).await?;
        outbox::mail(
            &state,
            &user,
            "password_reset",
            texts::password_reset(&user.language, &app, &code),
            None,
        )
        .await?;
    }
    Ok(done())
}

/// A new password, with the code that allows it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    #[validate(length(min = 3, max = 254))]
    #[schema(example = "ada@example.org")]
    pub email: String,
    /// The six digits mailed.
    #[validate(length(equal = 6))]
    #[schema(example = "123456")]
    pub code: String,
    /// 8 to 1024 characters.
    #[validate(custom(function = "password"))]
    #[schema(format = Password, min_length = 8, max_length = 1024)]
    pub password: String,
}

/// Reset password.
#[utoipa::path(post, path = "/rider/password/reset", tag = "Rider",
    summary = "Reset password",
    description = "Choose a new password with the code mailed by \"Request password reset\" (or the invitation of a staff member). Every token of the account is revoked: sign in again. A wrong or expired code is refused naming `code`, the same for an unknown address.",
    request_body = ResetPasswordRequest,
    extensions(("x-permission" = json!(public()))),
    responses(
        (status = 200, description = "Password changed", body = Done),
        (status = 422, description = "Wrong or expired code, or invalid password (-11)", body = ErrorBody),
        (status = 429, description = "Too many attempts (-23)", body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    address: ClientAddress,
    ValidJson(body): ValidJson<ResetPasswordRequest>,
) -> ApiResult<Json<Done>> {
    let email = normalize_email(&body.email);
    let attempt = throttled(&state, &email, &address)?;
    let refused = || ApiError::field("code", "no valid code: ask for a new one");
    let user = relais_store::users::find_by_email(&state.db, &email)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or_else(refused)?;
    let now = Utc::now();
    // A staff invitation's code sets the first password the same way.
    let redeemed = relais_store::codes::redeem(
        &state.db,
        user.id,
        Purpose::PasswordReset,
        &body.code,
        "code",
        now,
    )
    .await;
    if redeemed.is_err() {
        relais_store::codes::redeem(
            &state.db,
            user.id,
            Purpose::StaffInvite,
            &body.code,
            "code",
            now,
        )
        .await
        .map_err(|_| refused())?;
    }
    state.throttle.succeeded(attempt);
    let password = body.password;
    let hash = blocking::cpu(&state, move || hash_password(&password)).await;
    relais_store::users::set_password_hash(&state.db, user.id, hash).await?;
    relais_store::tokens::revoke_all(&state.db, user.id, now).await?;
    // Whoever received the code controls the address.
    relais_store::users::confirm(&state.db, user.id, false, now).await?;
    Ok(done())
}
