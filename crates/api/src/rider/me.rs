//! The rider's own data: profile, account deletion, devices, payment methods and wallets.

use crate::access::{Authorized, authenticated};
use crate::dashboard::users::accounts::UserDevice;
use crate::dashboard::users::money::{ProviderMethods, UserPaymentMethod, Wallet, by_provider};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ValidJson, ValidPath};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_payments::{CustomerRef, PaymentError, SandboxCard, SetupRequest, SetupStart};
use relais_store::entity::user;
use relais_store::entity::user_device::Platform;
use relais_store::entity::user_payment_method::MethodStatus;
use relais_store::payment_methods::SavedMethod;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            get_my_profile,
            update_my_profile,
            delete_my_account
        ))
        .routes(routes!(register_device))
        .routes(routes!(get_my_payment_methods, add_payment_method))
        .routes(routes!(set_default_payment_method))
        .routes(routes!(remove_payment_method))
        .routes(routes!(get_my_wallets))
}

/// The rider as they see themselves.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyProfile {
    pub id: i64,
    pub email: String,
    pub email_confirmed: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub phone_confirmed: bool,
    pub language: String,
    pub app_label: Option<i64>,
    pub terms_accepted_at: Option<DateTime<Utc>>,
    pub trip_count: i64,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for MyProfile {
    fn from(u: user::Model) -> Self {
        MyProfile {
            id: u.id,
            email: u.email,
            email_confirmed: u.email_confirmed_at.is_some(),
            first_name: u.first_name,
            last_name: u.last_name,
            phone: u.phone,
            phone_confirmed: u.phone_confirmed_at.is_some(),
            language: u.language,
            app_label: u.app_label_id,
            terms_accepted_at: u.terms_accepted_at,
            trip_count: u.trip_count,
            created_at: u.created_at,
        }
    }
}

/// Get my profile.
#[utoipa::path(get, path = "/rider/me", tag = "Rider",
    summary = "Get my profile",
    description = "The signed-in rider's profile.",
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The profile", body = Envelope<MyProfile>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody)))]
pub async fn get_my_profile(
    State(state): State<AppState>,
    auth: Authorized,
) -> ApiResult<Json<Envelope<MyProfile>>> {
    let me = relais_store::users::get(&state.db, auth.caller.user.id).await?;
    Ok(ok(me.into()))
}

/// What the rider changes; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMyProfileRequest {
    #[validate(length(min = 1, max = 100))]
    pub first_name: Option<String>,
    #[validate(length(min = 1, max = 100))]
    pub last_name: Option<String>,
    /// ISO 639-1.
    #[validate(custom(function = "crate::extract::language"))]
    pub language: Option<String>,
    /// A new phone number (E.164): a code is sent to it, and it is unconfirmed until entered.
    #[validate(custom(function = "super::accounts::e164"))]
    pub phone: Option<String>,
}

/// Update my profile.
#[utoipa::path(patch, path = "/rider/me", tag = "Rider",
    summary = "Update my profile",
    description = "Change the rider's names, language or phone number. A new phone number is sent a confirmation code by SMS and stays unconfirmed until it is entered (\"Confirm phone\").",
    request_body = UpdateMyProfileRequest,
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The profile after the change", body = Envelope<MyProfile>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 422, description = "Invalid field (-11)", body = ErrorBody)))]
pub async fn update_my_profile(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<UpdateMyProfileRequest>,
) -> ApiResult<Json<Envelope<MyProfile>>> {
    let before = auth.caller.user.phone.clone();
    let phone = body.phone.clone();
    let me = relais_store::users::update_profile(
        &state.db,
        auth.caller.user.id,
        relais_store::users::ProfileChange {
            first_name: body.first_name,
            last_name: body.last_name,
            language: body.language,
            phone: body.phone,
        },
    )
    .await?;
    if let Some(phone) = phone
        && before.as_deref() != Some(phone.as_str())
    {
        super::accounts::send_phone_code(&state, &me, &phone).await?;
    }
    Ok(ok(me.into()))
}

/// Delete my account.
#[utoipa::path(delete, path = "/rider/me", tag = "Rider",
    summary = "Delete my account",
    description = "Erase the rider's personal data, as the right to erasure asks: the address, names, phone and password are erased, saved payment methods removed at their provider, devices forget their push tokens, and every token stops working. What the law requires to keep (wallets and their movements, payments, invoices) stays, tied to the anonymous account.",
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody)))]
pub async fn delete_my_account(
    State(state): State<AppState>,
    auth: Authorized,
) -> ApiResult<Json<Done>> {
    let id = auth.caller.user.id;
    for (method, _) in relais_store::payment_methods::of_user(&state.db, id).await? {
        crate::payments::remove_method(&state, id, method.id, "id").await?;
    }
    relais_store::users::anonymise(&state.db, id, Utc::now()).await?;
    tracing::info!(user_id = id, "account deleted at the rider's request");
    Ok(done())
}

/// The device the app runs on.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterDeviceRequest {
    /// The app's identifier of the device.
    #[validate(length(min = 1, max = 50))]
    #[schema(example = "3f2a9c1e-8b7d-4e2f-a1b0-6c5d4e3f2a1b")]
    pub device_id: String,
    /// `android`, `ios` or `web`.
    #[schema(value_type = String, example = "android")]
    pub platform: DevicePlatform,
    #[validate(length(min = 1, max = 100))]
    pub model: Option<String>,
    #[validate(length(min = 1, max = 30))]
    #[schema(example = "4.2.0")]
    pub app_version: Option<String>,
    /// The FCM registration token or APNs device token; null to stop push notifications.
    #[validate(length(min = 1, max = 4096))]
    pub push_token: Option<String>,
}

/// A device's operating system.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DevicePlatform {
    Android,
    Ios,
    Web,
}

/// Register device.
#[utoipa::path(put, path = "/rider/me/devices", tag = "Rider",
    summary = "Register device",
    description = "Record the device the rider uses (again at each start of the app, with its current push token). The same device id on several accounts is what staff find with \"Get users using given device\".",
    request_body = RegisterDeviceRequest,
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The device as recorded", body = Envelope<UserDevice>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 422, description = "Invalid field (-11)", body = ErrorBody)))]
pub async fn register_device(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<RegisterDeviceRequest>,
) -> ApiResult<Json<Envelope<UserDevice>>> {
    let device = relais_store::devices::register(
        &state.db,
        auth.caller.user.id,
        relais_store::devices::DeviceReport {
            device_id: body.device_id,
            platform: match body.platform {
                DevicePlatform::Android => Platform::Android,
                DevicePlatform::Ios => Platform::Ios,
                DevicePlatform::Web => Platform::Web,
            },
            model: body.model,
            app_version: body.app_version,
            push_token: body.push_token,
        },
        Utc::now(),
    )
    .await?;
    Ok(ok(device.into()))
}

/// Get my payment methods.
#[utoipa::path(get, path = "/rider/me/payment-methods", tag = "Rider",
    summary = "Get my payment methods",
    description = "The rider's saved payment methods by provider, the default first.",
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The methods", body = Envelope<Vec<ProviderMethods>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody)))]
pub async fn get_my_payment_methods(
    State(state): State<AppState>,
    auth: Authorized,
) -> ApiResult<Json<Envelope<Vec<ProviderMethods>>>> {
    let rows = relais_store::payment_methods::of_user(&state.db, auth.caller.user.id).await?;
    Ok(ok(by_provider(rows)))
}

/// A card's details, for the sandbox provider only: real providers collect them in their own
/// SDK, and relais never sees a card number.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardDetails {
    #[validate(length(min = 12, max = 23))]
    #[schema(example = "4242 4242 4242 4242")]
    pub number: String,
    #[validate(range(min = 1, max = 12))]
    #[schema(minimum = 1, maximum = 12, example = 12)]
    pub exp_month: u8,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100, example = 2031)]
    pub exp_year: u16,
    #[validate(length(min = 3, max = 4))]
    #[schema(example = "123")]
    pub cvc: String,
}

/// A method to save.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPaymentMethodRequest {
    /// The kind of method, among those the rider's app label offers (`sandbox-card`,
    /// `stripe-card`, ...).
    #[validate(length(min = 1, max = 40))]
    #[schema(example = "sandbox-card")]
    pub method: String,
    /// The card, for the sandbox.
    #[validate(nested)]
    pub card: Option<CardDetails>,
    /// The provider's setup the app finished (Stripe `seti_...`), to complete a pending one.
    #[validate(length(min = 1, max = 255))]
    #[schema(example = json!(null))]
    pub setup_id: Option<String>,
    /// The app's key of this attempt: a retried request with the same key does not save twice.
    #[validate(length(min = 8, max = 255))]
    #[schema(example = "6f1c2b9a-3d4e-4f5a-8b7c-9d0e1f2a3b4c")]
    pub idempotency_key: String,
}

/// The outcome of adding a method.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddedPaymentMethod {
    /// The method saved; null while the app must finish a setup with the provider.
    pub payment_method: Option<UserPaymentMethod>,
    /// For a pending setup: the provider's setup id, to send back as `setup_id` once finished.
    pub setup_id: Option<String>,
    /// For a pending setup: what the app hands to the provider's SDK (shown only to this rider).
    pub client_secret: Option<String>,
}

fn payment_error(e: PaymentError) -> ApiError {
    match e {
        PaymentError::Declined { code, .. } => ApiError::new(
            ErrorCode::Refused,
            format!("the card was declined ({code})"),
        ),
        PaymentError::InsufficientFunds { .. } => ApiError::new(
            ErrorCode::Refused,
            "the card was declined: insufficient funds",
        ),
        PaymentError::InvalidRequest { message, param } => ApiError::field(
            format!("card.{}", param.unwrap_or_else(|| "number".into())),
            message,
        ),
        PaymentError::Unavailable { .. } => ApiError::new(
            ErrorCode::Unavailable,
            "the payment provider cannot be reached, retry later",
        ),
        other => {
            tracing::error!(error = %other, "payment provider");
            ApiError::new(
                ErrorCode::Internal,
                "the payment provider answered unexpectedly",
            )
        }
    }
}

/// Add payment method.
#[utoipa::path(post, path = "/rider/me/payment-methods", tag = "Rider",
    summary = "Add payment method",
    description = "Save a payment method with the server's payment provider, off-session. With the sandbox (the local default), the card is given here and saved at once; it behaves like the well-known test cards (4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined, 4000 0000 0000 9995 has insufficient funds, 4000 0027 6000 3184 needs 3-D Secure). With Stripe, a first call starts a SetupIntent and answers its `client_secret`; the app confirms it with Stripe's SDK, then calls again with `setup_id`. The method must be offered by the rider's app label (-41 otherwise). Card numbers never reach relais's database or logs. The first method becomes the default.",
    request_body = AddPaymentMethodRequest,
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "Saved, or a setup to finish", body = Envelope<AddedPaymentMethod>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 409, description = "Method not offered, or card declined (-41)", body = ErrorBody),
        (status = 422, description = "Invalid field or card (-11)", body = ErrorBody),
        (status = 503, description = "Provider unreachable (-50)", body = ErrorBody)))]
pub async fn add_payment_method(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<AddPaymentMethodRequest>,
) -> ApiResult<Json<Envelope<AddedPaymentMethod>>> {
    let me = &auth.caller.user;
    let kind = relais_store::payment_methods::kind(&state.db, &body.method)
        .await?
        .ok_or_else(|| ApiError::field("method", "no such payment method"))?;
    let provider = state.payments.key();
    if kind.provider != provider.as_str() {
        return Err(ApiError::new(
            ErrorCode::Refused,
            format!(
                "this server takes payments through `{}`, not `{}`",
                provider.as_str(),
                kind.provider
            ),
        )
        .with_field("method", "not available on this server"));
    }
    if let Some(label) = me.app_label_id
        && !relais_store::app_labels::offers(&state.db, label, kind.id).await?
    {
        return Err(ApiError::new(
            ErrorCode::Refused,
            "the rider's app does not offer this payment method",
        )
        .with_field("method", "not offered by the app label"));
    }
    let mut customer = CustomerRef::new(me.id.to_string());
    customer.email = Some(me.email.clone());
    customer.provider_id = relais_store::payment_methods::of_user(&state.db, me.id)
        .await?
        .into_iter()
        .find_map(|(m, _)| m.provider_customer);
    let saved = match &body.setup_id {
        Some(setup) => state
            .payments
            .complete_setup(&customer, setup)
            .await
            .map_err(payment_error)?,
        None => {
            let card = body.card.as_ref().map(|c| {
                SandboxCard::new(c.number.clone(), c.exp_month, c.exp_year, c.cvc.clone())
            });
            let started = state
                .payments
                .begin_setup(&SetupRequest {
                    customer,
                    card,
                    idempotency_key: format!("{}:{}", me.id, body.idempotency_key),
                })
                .await
                .map_err(payment_error)?;
            match started {
                SetupStart::Saved(saved) => saved,
                SetupStart::Pending(pending) => {
                    return Ok(ok(AddedPaymentMethod {
                        payment_method: None,
                        setup_id: Some(pending.setup_id),
                        client_secret: Some(pending.client_secret.expose().to_owned()),
                    }));
                }
            }
        }
    };
    let row = relais_store::payment_methods::add(
        &state.db,
        me.id,
        SavedMethod {
            method_key: kind.key.clone(),
            provider: provider.as_str().to_owned(),
            provider_token: saved.token,
            provider_customer: Some(saved.customer_id),
            brand: Some(saved.brand),
            last4: Some(saved.last4),
            exp_month: Some(saved.exp_month as i16),
            exp_year: Some(saved.exp_year as i16),
            fingerprint: Some(saved.fingerprint),
            status: match saved.status {
                relais_payments::MethodStatus::Ready => MethodStatus::Ready,
                relais_payments::MethodStatus::RequiresAction => MethodStatus::RequiresAction,
            },
        },
        Utc::now(),
    )
    .await?;
    Ok(ok(AddedPaymentMethod {
        payment_method: Some(UserPaymentMethod::new(row, kind)),
        setup_id: None,
        client_secret: None,
    }))
}

/// One of the rider's payment methods.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MethodPath {
    /// Identifier of the rider's payment method.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// Set default payment method.
#[utoipa::path(put, path = "/rider/me/payment-methods/{id}/default", tag = "Rider",
    summary = "Set default payment method",
    description = "Make this method the one trips are paid with. A method still waiting for 3-D Secure is refused naming `id`.",
    params(MethodPath),
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The new default", body = Envelope<UserPaymentMethod>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 404, description = "No such method of the rider (-2)", body = ErrorBody),
        (status = 422, description = "Method not ready (-11)", body = ErrorBody)))]
pub async fn set_default_payment_method(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<MethodPath>,
) -> ApiResult<Json<Envelope<UserPaymentMethod>>> {
    let (method, kind) =
        relais_store::payment_methods::set_default(&state.db, auth.caller.user.id, path.id).await?;
    Ok(ok(UserPaymentMethod::new(method, kind)))
}

/// Remove payment method.
#[utoipa::path(delete, path = "/rider/me/payment-methods/{id}", tag = "Rider",
    summary = "Remove payment method",
    description = "Remove the method at its provider and from the rider's methods; if it was the default, the newest remaining ready method becomes the default.",
    params(MethodPath),
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "Removed", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 404, description = "No such method of the rider (-2)", body = ErrorBody)))]
pub async fn remove_payment_method(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<MethodPath>,
) -> ApiResult<Json<Done>> {
    crate::payments::remove_method(&state, auth.caller.user.id, path.id, "id").await?;
    Ok(done())
}

/// Get my wallets.
#[utoipa::path(get, path = "/rider/me/wallets", tag = "Rider",
    summary = "Get my wallets",
    description = "The rider's wallets (credits per currency), empty ones included.",
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The wallets", body = Envelope<Vec<Wallet>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody)))]
pub async fn get_my_wallets(
    State(state): State<AppState>,
    auth: Authorized,
) -> ApiResult<Json<Envelope<Vec<Wallet>>>> {
    let wallets = relais_store::wallets::of_user(&state.db, auth.caller.user.id, true).await?;
    Ok(ok(wallets.into_iter().map(Wallet::from).collect()))
}
