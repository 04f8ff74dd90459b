//! Seed group `AppLabel`: the white-label brands of the rider app, their billing identity,
//! mail sender setting and enabled payment methods.
//!
//! App labels are scoped by the `app_labels` of organizational units: a caller whose
//! `app.label` grant lies in units sees and changes only those labels (-31 for any other id).
//! Creating a label needs the permission globally. The list of labels is public and shows only
//! what the rider app needs to show (no billing, no mail setting, no SMS provider).

use crate::access::{public, read, write};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath, required_nullable};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::{Object, Permission};
use relais_store::app_labels::{
    AppLabelSettings, BillingChange, LabelPaymentMethod, MailSetting, NewAppLabel, NewBilling,
};
use relais_store::entity::{app_label, app_label_billing, app_label_mail_setting};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidateUrl, ValidationError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_app_labels, create_app_label))
        .routes(routes!(get_app_label, put_app_label))
        .routes(routes!(get_mail_setting, set_mail_setting))
        .routes(routes!(update_app_label_billing))
        .routes(routes!(get_payment_methods))
        .routes(routes!(enable_payment_method, disable_payment_method))
}

// ---------------------------------------------------------------------------------------------
// Responses

/// What anyone may know of an app label: what the rider app shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppLabelPublic {
    pub id: i64,
    /// The unique label name.
    pub name: String,
    /// The label name that will be displayed.
    pub display_name: String,
    pub android_store_url: Option<String>,
    pub ios_store_url: Option<String>,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone_number: Option<String>,
}

impl From<app_label::Model> for AppLabelPublic {
    fn from(m: app_label::Model) -> Self {
        AppLabelPublic {
            id: m.id,
            name: m.name,
            display_name: m.display_name,
            android_store_url: m.android_store_url,
            ios_store_url: m.ios_store_url,
            website: m.website,
            contact_email: m.contact_email,
            contact_phone_number: m.contact_phone_number,
        }
    }
}

/// The billing identity of an app label, printed on the invoices issued under it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppLabelBilling {
    pub name: Option<String>,
    pub legal_form: Option<String>,
    pub vat_number: Option<String>,
    pub registration_number: Option<String>,
    pub capital: Option<String>,
    pub street: String,
    pub zip_code: String,
    pub city: String,
    pub country: String,
    pub issuer: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<app_label_billing::Model> for AppLabelBilling {
    fn from(m: app_label_billing::Model) -> Self {
        AppLabelBilling {
            name: m.name,
            legal_form: m.legal_form,
            vat_number: m.vat_number,
            registration_number: m.registration_number,
            capital: m.capital,
            street: m.street,
            zip_code: m.zip_code,
            city: m.city,
            country: m.country,
            issuer: m.issuer,
            updated_at: m.updated_at,
        }
    }
}

/// Everything about an app label but its mail setting and payment methods (their own
/// operations).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppLabelDetail {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub require_sms_validation: bool,
    pub phone_sms_provider_id: Option<i64>,
    pub require_terms_of_use: bool,
    pub auto_delete_users: bool,
    pub android_store_url: Option<String>,
    pub ios_store_url: Option<String>,
    pub saved_payment_method_is_optional: bool,
    pub website: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone_number: Option<String>,
    /// The billing identity; `null` only for a label made without one (before it was required).
    pub billing_info: Option<AppLabelBilling>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AppLabelDetail {
    fn new(m: app_label::Model, billing: Option<app_label_billing::Model>) -> Self {
        AppLabelDetail {
            id: m.id,
            name: m.name,
            display_name: m.display_name,
            require_sms_validation: m.require_sms_validation,
            phone_sms_provider_id: m.phone_sms_provider_id,
            require_terms_of_use: m.require_terms_of_use,
            auto_delete_users: m.auto_delete_users,
            android_store_url: m.android_store_url,
            ios_store_url: m.ios_store_url,
            saved_payment_method_is_optional: m.saved_payment_method_is_optional,
            website: m.website,
            contact_email: m.contact_email,
            contact_phone_number: m.contact_phone_number,
            billing_info: billing.map(AppLabelBilling::from),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The mail setting of an app label. A label whose setting was never set answers
/// `configured: false` with the default: `send_mails` false and every other field null.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppLabelMailSetting {
    /// Whether the setting was ever set; `false` means the values below are the default.
    pub configured: bool,
    pub send_mails: bool,
    pub sender_address: Option<String>,
    pub sender_name: Option<String>,
    pub reply_to: Option<String>,
    pub notification_email: Option<String>,
    /// When the setting was last set; null when never.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<Option<app_label_mail_setting::Model>> for AppLabelMailSetting {
    fn from(m: Option<app_label_mail_setting::Model>) -> Self {
        match m {
            None => AppLabelMailSetting {
                configured: false,
                send_mails: false,
                sender_address: None,
                sender_name: None,
                reply_to: None,
                notification_email: None,
                updated_at: None,
            },
            Some(m) => AppLabelMailSetting {
                configured: true,
                send_mails: m.send_mails,
                sender_address: Some(m.sender_address),
                sender_name: Some(m.sender_name),
                reply_to: m.reply_to,
                notification_email: Some(m.notification_email),
                updated_at: Some(m.updated_at),
            },
        }
    }
}

/// A payment method of the platform's catalogue, and whether it is enabled on the label.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppLabelPaymentMethod {
    /// The `method_id` to enable or disable it.
    pub id: i64,
    /// Stable key (`stripe-card`, `braintree-paypal`, ...).
    pub key: String,
    /// Payment provider (`stripe`, `braintree`, `uzcard`, `hdcpay`).
    pub provider: String,
    /// Kind of method (`card`, `wallet`).
    pub kind: String,
    pub name: String,
    /// Whether riders of this label may pay with it.
    pub enabled: bool,
    /// When it was enabled; null when disabled.
    pub enabled_at: Option<DateTime<Utc>>,
}

impl From<LabelPaymentMethod> for AppLabelPaymentMethod {
    fn from(p: LabelPaymentMethod) -> Self {
        AppLabelPaymentMethod {
            id: p.method.id,
            key: p.method.key,
            provider: p.method.provider,
            kind: p.method.kind,
            name: p.method.name,
            enabled: p.enabled_at.is_some(),
            enabled_at: p.enabled_at,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// Billing information for invoicing (`AppLabelBillingParams`). In "Update app label billing",
/// omitted fields keep their value and `null` clears a nullable one; the address (`street`,
/// `zip_code`, `city`, `country`) is always given.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppLabelBillingParams {
    /// Name of the company.
    #[serde(default, deserialize_with = "present")]
    #[validate(length(min = 1, max = 100))]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 100, example = "Vélo'v Mobilités SAS")]
    pub name: Option<String>,
    /// Legal form of the company.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 50))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 50, example = "SAS")]
    pub legal_form: Option<Option<String>>,
    /// International VAT number.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 50))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 50, example = "FR40303265045")]
    pub vat_number: Option<Option<String>>,
    /// Registration number of the company (for example, SIRET in France).
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 50))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 50, example = "303 265 045 RCS Lyon")]
    pub registration_number: Option<Option<String>>,
    /// Capital of the company.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 50))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 50, example = "10 000 EUR")]
    pub capital: Option<Option<String>>,
    /// Number and street name of the legal address of the company.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "1 place Bellecour")]
    pub street: String,
    /// Zip code of the legal address of the company.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, example = "69002")]
    pub zip_code: String,
    /// City of the legal address of the company.
    #[validate(length(min = 1, max = 150))]
    #[schema(min_length = 1, max_length = 150, example = "Lyon")]
    pub city: String,
    /// Country of the legal address of the company.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "France")]
    pub country: String,
    /// Issuer of the invoice (i.e brand of the app).
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 100))]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 100, example = "Vélo'v")]
    pub issuer: Option<Option<String>>,
}

impl AppLabelBillingParams {
    fn into_change(self) -> BillingChange {
        BillingChange {
            name: self.name,
            legal_form: self.legal_form,
            vat_number: self.vat_number,
            registration_number: self.registration_number,
            capital: self.capital,
            street: self.street,
            zip_code: self.zip_code,
            city: self.city,
            country: self.country,
            issuer: self.issuer,
        }
    }

    fn into_new(self) -> NewBilling {
        NewBilling {
            name: self.name,
            legal_form: self.legal_form.flatten(),
            vat_number: self.vat_number.flatten(),
            registration_number: self.registration_number.flatten(),
            capital: self.capital.flatten(),
            street: self.street,
            zip_code: self.zip_code,
            city: self.city,
            country: self.country,
            issuer: self.issuer.flatten(),
        }
    }
}

/// App label parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAppLabelRequest {
    /// The unique label name.
    #[validate(custom(function = "label_name"))]
    #[schema(
        pattern = "^[a-z]{1,20}$",
        min_length = 1,
        max_length = 20,
        example = "velov"
    )]
    pub name: String,
    /// The label name that will be displayed.
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32, example = "Vélo'v")]
    pub display_name: String,
    /// Billing information for invoicing.
    #[validate(nested)]
    pub billing_info: AppLabelBillingParams,
}

/// App label parameters. Every field is required; the nullable ones accept `null`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutAppLabelRequest {
    /// Indicate if new user require a phone number with sms validation.
    pub require_sms_validation: bool,
    /// Configured provider id to send SMS.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(range(min = 1))]
    #[schema(required = true, nullable, minimum = 1, example = json!(null))]
    pub phone_sms_provider_id: Option<i64>,
    /// Indicate if new user should accept the term of use.
    pub require_terms_of_use: bool,
    /// Indicate if inactive users should be deleted.
    pub auto_delete_users: bool,
    /// Url of the Android application on Google play store.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(length(min = 1, max = 100), custom(function = "web_url"))]
    #[schema(
        required = true,
        nullable,
        format = "uri",
        min_length = 1,
        max_length = 100
    )]
    pub android_store_url: Option<String>,
    /// Url of the iOS application on Apple app store.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(length(min = 1, max = 100), custom(function = "web_url"))]
    #[schema(
        required = true,
        nullable,
        format = "uri",
        min_length = 1,
        max_length = 100
    )]
    pub ios_store_url: Option<String>,
    /// Indicate if users can rent without saved payment method.
    pub saved_payment_method_is_optional: bool,
    /// Url of the website of the white label.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(length(max = 100), custom(function = "web_url"))]
    #[schema(required = true, nullable, format = "uri", max_length = 100)]
    pub website: Option<String>,
    /// Contact email of the white label, for end user.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(length(max = 100), email)]
    #[schema(required = true, nullable, format = Email, max_length = 100)]
    pub contact_email: Option<String>,
    /// Contact phone number of the white label, for end user.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(length(max = 100))]
    #[schema(required = true, nullable, max_length = 100)]
    pub contact_phone_number: Option<String>,
}

/// App label mail parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMailSettingRequest {
    /// Indicate if mail are enabled.
    pub send_mails: bool,
    /// Email used to send the mail. Needs to be validated on AWS SES, and DNS should be configured according to it.
    #[validate(length(max = 255), email)]
    #[schema(format = Email, max_length = 255)]
    pub sender_address: String,
    /// The name of sender.
    #[validate(length(max = 32))]
    #[schema(max_length = 32)]
    pub sender_name: String,
    /// Email in reply-to header.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(length(max = 255), email)]
    #[schema(required = true, nullable, format = Email, max_length = 255)]
    pub reply_to: Option<String>,
    /// Reference email for notifications.
    #[validate(length(max = 255), email)]
    #[schema(format = Email, max_length = 255)]
    pub notification_email: String,
}

/// The app label named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AppLabelPath {
    /// Identifier of the app label.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub app_label_id: i64,
}

/// The app label and payment method named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PaymentMethodPath {
    /// Identifier of the app label.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub app_label_id: i64,
    /// Identifier of the payment method.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub method_id: i64,
}

/// An optional field that may not be null: absent is `None` (with `#[serde(default)]`), null is
/// refused as a shape error.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// An optional nullable field: absent is `None` (with `#[serde(default)]`), null is
/// `Some(None)`.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Constraint: `^[a-z]{1,20}$`.
fn label_name(name: &str) -> Result<(), ValidationError> {
    if (1..=20).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(ValidationError::new("pattern")
            .with_message("must be 1 to 20 lowercase letters (a-z)".into()))
    }
}

/// Constraint: an absolute `http` or `https` URL.
fn web_url(url: &str) -> Result<(), ValidationError> {
    let lower = url.to_ascii_lowercase();
    if url.validate_url() && (lower.starts_with("https://") || lower.starts_with("http://")) {
        Ok(())
    } else {
        Err(ValidationError::new("url").with_message("must be an http(s) URL".into()))
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Get app labels
#[utoipa::path(get, path = "/dashboard/app-labels", tag = "AppLabel",
    summary = "Get app labels",
    description = "Return the list of all application white labels.\n\n\
        Public: no token needed. Shows only what the rider app displays (names, store URLs, \
        website, contacts); the billing identity, mail setting, SMS provider and sign-up rules \
        are in \"Get app label\". Ordered by id.",
    extensions(("x-permission" = json!(public()))),
    responses(
        (status = 200, description = "Every app label, by id", body = Envelope<Vec<AppLabelPublic>>)))]
pub async fn get_app_labels(
    State(state): State<AppState>,
) -> ApiResult<Json<Envelope<Vec<AppLabelPublic>>>> {
    let labels = relais_store::app_labels::list(&state.db).await?;
    Ok(ok(labels.into_iter().map(AppLabelPublic::from).collect()))
}

/// Create app label
#[utoipa::path(post, path = "/dashboard/app-labels", tag = "AppLabel",
    summary = "Create app label",
    description = "Create a new app label.\n\n\
        The label and its billing information are created together (both or neither). The new \
        label requires neither SMS validation nor terms of use, keeps inactive users, requires a \
        saved payment method, has no store URL, website or contact, no mail setting and no \
        payment method enabled: set them with the other operations. Needs `app.label` with write \
        granted globally.",
    request_body(content = CreateAppLabelRequest, description = "App label parameters."),
    extensions(("x-permission" = json!(write(Permission::AppLabel).global()))),
    responses(
        (status = 200, description = "The new app label", body = Envelope<AppLabelDetail>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or not global (-31)", body = ErrorBody),
        (status = 409, description = "The name is taken (-40, names `name`)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_app_label(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<CreateAppLabelRequest>,
) -> ApiResult<Json<Envelope<AppLabelDetail>>> {
    let (label, billing) = relais_store::app_labels::create(
        &state.db,
        NewAppLabel {
            name: body.name,
            display_name: body.display_name,
            billing: body.billing_info.into_new(),
        },
    )
    .await?;
    Ok(ok(AppLabelDetail::new(label, Some(billing))))
}

/// Get app label
#[utoipa::path(get, path = "/dashboard/app-labels/{app_label_id}", tag = "AppLabel",
    summary = "Get app label",
    description = "Return detail of the application white label: every setting and the billing \
        information. The mail setting and the payment methods have their own operations.",
    params(AppLabelPath),
    extensions(("x-permission" = json!(read(Permission::AppLabel).object_in_path("app_label_id", Object::AppLabel)))),
    responses(
        (status = 200, description = "The app label", body = Envelope<AppLabelDetail>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or label outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such app label (-2)", body = ErrorBody)))]
pub async fn get_app_label(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<AppLabelPath>,
) -> ApiResult<Json<Envelope<AppLabelDetail>>> {
    let (label, billing) = relais_store::app_labels::detail(&state.db, path.app_label_id).await?;
    Ok(ok(AppLabelDetail::new(label, billing)))
}

/// Put app label
#[utoipa::path(put, path = "/dashboard/app-labels/{app_label_id}", tag = "AppLabel",
    summary = "Put app label",
    description = "Update parameters of the app label.\n\n\
        Every field is required and replaces the current value; the nullable ones take `null` to \
        clear. URLs must be absolute `http(s)` URLs. The name, display name and billing \
        information are not changed here.",
    params(AppLabelPath),
    request_body(content = PutAppLabelRequest, description = "App label parameters."),
    extensions(("x-permission" = json!(write(Permission::AppLabel).object_in_path("app_label_id", Object::AppLabel)))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or label outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such app label (-2)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn put_app_label(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<AppLabelPath>,
    ValidJson(body): ValidJson<PutAppLabelRequest>,
) -> ApiResult<Json<Done>> {
    // The label's SMS codes go through this provider: one "Get phone provider" lists.
    if let Some(provider) = body.phone_sms_provider_id {
        let providers = relais_store::messages::sms_providers(&state.db).await?;
        if !providers.iter().any(|p| p.id == provider) {
            return Err(ApiError::field(
                "phone_sms_provider_id",
                format!("no SMS provider {provider} (see GET /dashboard/phone/providers)"),
            ));
        }
    }
    relais_store::app_labels::update(
        &state.db,
        path.app_label_id,
        AppLabelSettings {
            require_sms_validation: body.require_sms_validation,
            phone_sms_provider_id: body.phone_sms_provider_id,
            require_terms_of_use: body.require_terms_of_use,
            auto_delete_users: body.auto_delete_users,
            android_store_url: body.android_store_url,
            ios_store_url: body.ios_store_url,
            saved_payment_method_is_optional: body.saved_payment_method_is_optional,
            website: body.website,
            contact_email: body.contact_email,
            contact_phone_number: body.contact_phone_number,
        },
    )
    .await?;
    Ok(done())
}

/// Get mail setting
#[utoipa::path(get, path = "/dashboard/app-labels/{app_label_id}/mail-setting", tag = "AppLabel",
    summary = "Get mail setting",
    description = "Get the mail setting of the app label.\n\n\
        A label whose mail setting was never set answers the default: `configured` false, \
        `send_mails` false and every other field null (no mail is sent for it).",
    params(AppLabelPath),
    extensions(("x-permission" = json!(read(Permission::AppLabel).object_in_path("app_label_id", Object::AppLabel)))),
    responses(
        (status = 200, description = "The mail setting, or the default", body = Envelope<AppLabelMailSetting>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or label outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such app label (-2)", body = ErrorBody)))]
pub async fn get_mail_setting(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<AppLabelPath>,
) -> ApiResult<Json<Envelope<AppLabelMailSetting>>> {
    let setting = relais_store::app_labels::mail_setting(&state.db, path.app_label_id).await?;
    Ok(ok(setting.into()))
}

/// Set mail setting
#[utoipa::path(put, path = "/dashboard/app-labels/{app_label_id}/mail-setting", tag = "AppLabel",
    summary = "Set mail setting",
    description = "Set the mail setting of the app label (the whole setting: every field is \
        required, `reply_to` takes `null` for none).",
    params(AppLabelPath),
    request_body(content = SetMailSettingRequest, description = "App label mail parameters."),
    extensions(("x-permission" = json!(write(Permission::AppLabel).object_in_path("app_label_id", Object::AppLabel)))),
    responses(
        (status = 200, description = "Set", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or label outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such app label (-2)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn set_mail_setting(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<AppLabelPath>,
    ValidJson(body): ValidJson<SetMailSettingRequest>,
) -> ApiResult<Json<Done>> {
    relais_store::app_labels::set_mail_setting(
        &state.db,
        path.app_label_id,
        MailSetting {
            send_mails: body.send_mails,
            sender_address: body.sender_address,
            sender_name: body.sender_name,
            reply_to: body.reply_to,
            notification_email: body.notification_email,
        },
    )
    .await?;
    Ok(done())
}

/// Update app label billing
#[utoipa::path(patch, path = "/dashboard/app-labels/{app_label_id}/billing", tag = "AppLabel",
    summary = "Update app label billing",
    description = "Update billing information of the app label.\n\n\
        Only the fields given change; `null` clears a nullable field. The address (`street`, \
        `zip_code`, `city`, `country`) is required every time. The billing information is read \
        with \"Get app label\" (`billing_info`).",
    params(AppLabelPath),
    request_body(content = AppLabelBillingParams, description = "App label billing parameters."),
    extensions(("x-permission" = json!(write(Permission::AppLabel).object_in_path("app_label_id", Object::AppLabel)))),
    responses(
        (status = 200, description = "Updated", body = Done),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or label outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such app label (-2)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_app_label_billing(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<AppLabelPath>,
    ValidJson(body): ValidJson<AppLabelBillingParams>,
) -> ApiResult<Json<Done>> {
    relais_store::app_labels::update_billing(&state.db, path.app_label_id, body.into_change())
        .await?;
    Ok(done())
}

/// Get payment methods
#[utoipa::path(get, path = "/dashboard/app-labels/{app_label_id}/payment-methods", tag = "AppLabel",
    summary = "Get payment methods",
    description = "Get the payment methods and which are enabled on the app label: the whole \
        catalogue of the platform, by id, each with `enabled`.",
    params(AppLabelPath),
    extensions(("x-permission" = json!(read(Permission::AppLabel).object_in_path("app_label_id", Object::AppLabel)))),
    responses(
        (status = 200, description = "Every payment method, with whether it is enabled on the label", body = Envelope<Vec<AppLabelPaymentMethod>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or label outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such app label (-2)", body = ErrorBody)))]
pub async fn get_payment_methods(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<AppLabelPath>,
) -> ApiResult<Json<Envelope<Vec<AppLabelPaymentMethod>>>> {
    let methods = relais_store::app_labels::payment_methods(&state.db, path.app_label_id).await?;
    Ok(ok(methods
        .into_iter()
        .map(AppLabelPaymentMethod::from)
        .collect()))
}

/// Enable payment method
#[utoipa::path(put, path = "/dashboard/app-labels/{app_label_id}/payment-methods/{method_id}", tag = "AppLabel",
    summary = "Enable payment method",
    description = "Enable a payment method on the app label.\n\n\
        Idempotent: enabling an enabled method succeeds and changes nothing (it keeps its first \
        `enabled_at`). Disable it with `DELETE` on the same path.",
    params(PaymentMethodPath),
    extensions(("x-permission" = json!(write(Permission::AppLabel).object_in_path("app_label_id", Object::AppLabel)))),
    responses(
        (status = 200, description = "Enabled", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or label outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such app label or payment method (-2, names `method_id` for the method)", body = ErrorBody)))]
pub async fn enable_payment_method(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<PaymentMethodPath>,
) -> ApiResult<Json<Done>> {
    relais_store::app_labels::enable_payment_method(&state.db, path.app_label_id, path.method_id)
        .await?;
    Ok(done())
}

/// Disable payment method
#[utoipa::path(delete, path = "/dashboard/app-labels/{app_label_id}/payment-methods/{method_id}", tag = "AppLabel",
    summary = "Disable payment method",
    description = "Disable the payment method on the app label. Warning, all user who have saved \
        the payment method won't be able to use it.\n\n\
        Riders' saved payment methods are not removed: the rider side checks that the method is \
        `enabled` on the rider's label at payment time, so a saved method of this kind is refused \
        from now on, and usable again if the method is re-enabled. Idempotent: disabling a \
        disabled method succeeds and changes nothing.",
    params(PaymentMethodPath),
    extensions(("x-permission" = json!(write(Permission::AppLabel).object_in_path("app_label_id", Object::AppLabel)))),
    responses(
        (status = 200, description = "Disabled", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or label outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such app label or payment method (-2, names `method_id` for the method)", body = ErrorBody)))]
pub async fn disable_payment_method(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<PaymentMethodPath>,
) -> ApiResult<Json<Done>> {
    relais_store::app_labels::disable_payment_method(&state.db, path.app_label_id, path.method_id)
        .await?;
    Ok(done())
}
