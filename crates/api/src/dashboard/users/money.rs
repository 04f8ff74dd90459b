//! A user's money as staff see it: payment methods, bank guarantees and wallets.
//!
//! | Operation | Route | Permission |
//! |---|---|---|
//! | Get user payment methods. | `GET /dashboard/users/{id}/payment-methods` | `users.list`, user in scope |
//! | Delete user payment method. | `DELETE /dashboard/users/{id}/payment-methods/{user_method_id}` | `users.support` with write |
//! | Get user bank guarantees | `GET /dashboard/users/{id}/bank-guarantees` | `users.credits` |
//! | Toggle pre auth bank guarantee | `PUT /dashboard/users/{id}/bank-guarantees/pre-auth` | `users.credits` with write |
//! | Get user wallets | `GET /dashboard/users/{id}/wallets` | `users.credits` |
//! | Create user wallet | `POST /dashboard/users/{id}/wallets` | `users.credits` with write |
//! | Delete user wallet | `DELETE /dashboard/users/{id}/wallets?wallet=&reason=` | `users.credits` with write |
//! | Get wallet sum. | `GET /dashboard/users/{id}/wallets/sum?currency=` | `users.credits` |

use super::accounts::UserPath;
use crate::access::{read, write};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath, ValidQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::money::{fits_storage, from_stored, to_stored};
use relais_domain::reference::CurrencyCode;
use relais_domain::{Object, Permission};
use relais_store::entity::bank_guarantee::GuaranteeStatus;
use relais_store::entity::user_payment_method::MethodStatus;
use relais_store::entity::wallet_movement::MovementKind;
use relais_store::entity::{bank_guarantee, payment_method, user_payment_method, wallet};
use relais_store::wallets::Movement;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_user_payment_methods))
        .routes(routes!(delete_user_payment_method))
        .routes(routes!(get_user_bank_guarantees))
        .routes(routes!(toggle_pre_auth_bank_guarantee))
        .routes(routes!(
            get_user_wallets,
            create_user_wallet,
            delete_user_wallet
        ))
        .routes(routes!(get_wallet_sum))
}

// ---------------------------------------------------------------------------------------------
// Payment methods

/// A saved payment method, as may be shown: never a card number.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPaymentMethod {
    pub id: i64,
    /// The kind of method (`sandbox-card`, `stripe-card`, ...).
    pub method: String,
    /// Its display name.
    pub name: String,
    /// `card` or `wallet`.
    pub kind: String,
    /// The provider that keeps it: `stripe`, `sandbox`, ...
    pub provider: String,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<i16>,
    pub exp_year: Option<i16>,
    /// The same card saved on several accounts has the same fingerprint.
    pub fingerprint: Option<String>,
    /// `ready`, or `requires_action` while the rider must still authenticate it (3-D Secure).
    pub status: String,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
}

impl UserPaymentMethod {
    pub fn new(m: user_payment_method::Model, kind: payment_method::Model) -> Self {
        UserPaymentMethod {
            id: m.id,
            method: kind.key,
            name: kind.name,
            kind: kind.kind,
            provider: m.provider,
            brand: m.brand,
            last4: m.last4,
            exp_month: m.exp_month,
            exp_year: m.exp_year,
            fingerprint: m.fingerprint,
            status: match m.status {
                MethodStatus::Ready => "ready",
                MethodStatus::RequiresAction => "requires_action",
            }
            .to_owned(),
            is_default: m.is_default,
            created_at: m.created_at,
        }
    }
}

/// A provider and the user's methods it keeps.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderMethods {
    pub provider: String,
    pub methods: Vec<UserPaymentMethod>,
}

/// Group methods by provider, providers in name order, methods as given.
pub fn by_provider(
    rows: Vec<(user_payment_method::Model, payment_method::Model)>,
) -> Vec<ProviderMethods> {
    let mut groups: std::collections::BTreeMap<String, Vec<UserPaymentMethod>> = Default::default();
    for (m, kind) in rows {
        groups
            .entry(m.provider.clone())
            .or_default()
            .push(UserPaymentMethod::new(m, kind));
    }
    groups
        .into_iter()
        .map(|(provider, methods)| ProviderMethods { provider, methods })
        .collect()
}

/// Get user payment methods.
#[utoipa::path(get, path = "/dashboard/users/{id}/payment-methods", tag = "Users",
    summary = "Get user payment methods.",
    description = "Get payment providers and associated payment methods of the specified user.\n\nThe methods in use, grouped by provider; in each, the default first. Needs `users.list` over the user.",
    params(UserPath),
    extensions(("x-permission" = json!(read(Permission::UsersList).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The user's payment methods by provider", body = Envelope<Vec<ProviderMethods>>),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_user_payment_methods(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
) -> ApiResult<Json<Envelope<Vec<ProviderMethods>>>> {
    let rows = relais_store::payment_methods::of_user(&state.db, path.id).await?;
    Ok(ok(by_provider(rows)))
}

/// The user and the payment method named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserMethodPath {
    /// Identifier of the user.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
    /// Identifier of the user payment method.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub user_method_id: i64,
}

/// Delete user payment method.
#[utoipa::path(delete, path = "/dashboard/users/{id}/payment-methods/{user_method_id}", tag = "Users",
    summary = "Delete user payment method.",
    description = "Delete the specified payment method of the user. If the default payment method is deleted, a new default payment method is selected automatically.\n\nThe method is removed at its provider too (a card detached at Stripe); relais keeps the row for the records of what it paid, no longer usable. The new default is the newest remaining ready method. 404 naming `user_method_id` when the user has no such method in use. Needs `users.support` with write over the user.",
    params(UserMethodPath),
    extensions(("x-permission" = json!(write(Permission::UsersSupport).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user or payment method (-2)", body = ErrorBody)))]
pub async fn delete_user_payment_method(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserMethodPath>,
) -> ApiResult<Json<Done>> {
    crate::payments::remove_method(&state, path.id, path.user_method_id, "user_method_id").await?;
    Ok(done())
}

// ---------------------------------------------------------------------------------------------
// Bank guarantees

/// A hold placed on a rider's payment method.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankGuarantee {
    pub id: i64,
    pub user_payment_method_id: i64,
    pub network_id: Option<i64>,
    pub provider: String,
    #[schema(value_type = String, example = "50.00")]
    pub amount: Decimal,
    pub currency: String,
    /// `held` (usable for a trip) or `in_use` (held for a trip under way).
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<bank_guarantee::Model> for BankGuarantee {
    fn from(g: bank_guarantee::Model) -> Self {
        BankGuarantee {
            id: g.id,
            user_payment_method_id: g.user_payment_method_id,
            network_id: g.network_id,
            provider: g.provider,
            amount: from_stored(g.amount),
            currency: g.currency,
            status: match g.status {
                GuaranteeStatus::Held => "held",
                GuaranteeStatus::InUse => "in_use",
                GuaranteeStatus::Captured => "captured",
                GuaranteeStatus::Released => "released",
                GuaranteeStatus::Failed => "failed",
            }
            .to_owned(),
            created_at: g.created_at,
        }
    }
}

/// A user's bank guarantees, and whether staff turned them off.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBankGuarantees {
    /// Staff turned the pre-authorisation off for this rider.
    pub pre_auth_disabled: bool,
    pub guarantees: Vec<BankGuarantee>,
}

/// Get user bank guarantees.
#[utoipa::path(get, path = "/dashboard/users/{id}/bank-guarantees", tag = "Users",
    summary = "Get user bank guarantees",
    description = "Get the list of usable or currently used bank guarantees of a user.\n\nThe holds placed on the rider's payment methods that are still held (usable) or held for a trip under way, the newest first (at most 100). Needs `users.credits` over the user.",
    params(UserPath),
    extensions(("x-permission" = json!(read(Permission::UsersCredits).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The user's guarantees", body = Envelope<UserBankGuarantees>),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_user_bank_guarantees(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
) -> ApiResult<Json<Envelope<UserBankGuarantees>>> {
    let user = relais_store::users::get(&state.db, path.id).await?;
    let guarantees = relais_store::payment_methods::guarantees_of(&state.db, path.id).await?;
    Ok(ok(UserBankGuarantees {
        pre_auth_disabled: user.pre_auth_disabled,
        guarantees: guarantees.into_iter().map(BankGuarantee::from).collect(),
    }))
}

/// Toggle state.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TogglePreAuthRequest {
    /// Wether or not the pre auth guarantee are disabled for this user.
    pub disabled: bool,
}

/// Toggle pre auth bank guarantee.
#[utoipa::path(put, path = "/dashboard/users/{id}/bank-guarantees/pre-auth", tag = "Users",
    summary = "Toggle pre auth bank guarantee",
    description = "Enable or disable pre auth bank guarantee for the user. He still need to have a valid payment method to start trips.\n\nNeeds `users.credits` with write over the user.",
    params(UserPath),
    request_body = TogglePreAuthRequest,
    extensions(("x-permission" = json!(write(Permission::UsersCredits).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "Changed", body = Done),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn toggle_pre_auth_bank_guarantee(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
    ValidJson(body): ValidJson<TogglePreAuthRequest>,
) -> ApiResult<Json<Done>> {
    relais_store::users::set_pre_auth_disabled(&state.db, path.id, body.disabled).await?;
    Ok(done())
}

// ---------------------------------------------------------------------------------------------
// Wallets

/// A wallet: a user's credits in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct Wallet {
    pub id: i64,
    pub currency: String,
    /// The sum of the wallet's movements.
    #[schema(value_type = String, example = "12.50")]
    pub balance: Decimal,
    pub created_at: DateTime<Utc>,
}

impl From<wallet::Model> for Wallet {
    fn from(w: wallet::Model) -> Self {
        Wallet {
            id: w.id,
            currency: w.currency,
            balance: from_stored(w.balance),
            created_at: w.created_at,
        }
    }
}

/// Which wallets.
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WalletsQuery {
    /// Whether to get the empty wallets too (default: only those holding money).
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    pub get_empty: Option<bool>,
}

/// Get user wallets.
#[utoipa::path(get, path = "/dashboard/users/{id}/wallets", tag = "Users",
    summary = "Get user wallets",
    description = "Return non-empty wallets for the specified user.\n\nWith `get_empty=true`, the empty ones too. Deleted wallets are left out. Needs `users.credits` over the user.",
    params(UserPath, WalletsQuery),
    extensions(("x-permission" = json!(read(Permission::UsersCredits).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The user's wallets, by currency", body = Envelope<Vec<Wallet>>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_user_wallets(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
    ValidQuery(q): ValidQuery<WalletsQuery>,
) -> ApiResult<Json<Envelope<Vec<Wallet>>>> {
    let wallets =
        relais_store::wallets::of_user(&state.db, path.id, q.get_empty.unwrap_or(false)).await?;
    Ok(ok(wallets.into_iter().map(Wallet::from).collect()))
}

fn credit_amount(amount: &Decimal) -> Result<(), ValidationError> {
    if *amount < Decimal::new(1, 2) {
        return Err(ValidationError::new("range").with_message("must be at least 0.01".into()));
    }
    if !fits_storage(amount) {
        return Err(ValidationError::new("precision")
            .with_message("at most four decimal places, and at most 922 billion".into()));
    }
    Ok(())
}

/// Informations to create a wallet.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserWalletRequest {
    /// The amount to add. At least 0.01, at most four decimal places.
    #[validate(custom(function = "credit_amount"))]
    #[schema(value_type = f64, minimum = 0.01, example = 10.0)]
    pub amount: Decimal,
    /// The currency of the wallet amount.
    #[schema(value_type = String, example = "EUR")]
    pub currency: CurrencyCode,
    /// Why this amount is added to the user wallet.
    #[validate(length(min = 5, max = 1000))]
    #[schema(
        min_length = 5,
        max_length = 1000,
        example = "Goodwill gesture after a broken brake"
    )]
    pub reason: String,
}

/// Create user wallet.
#[utoipa::path(post, path = "/dashboard/users/{id}/wallets", tag = "Users",
    summary = "Create user wallet",
    description = "Create a wallet for the user given.\n\nCredits `amount` to the user's wallet in `currency`, creating the wallet if the user has none in it (a user has one wallet per currency). The credit is a movement recorded with its reason and the staff member who made it; the answer is the wallet after it. Needs `users.credits` with write over the user.",
    params(UserPath),
    request_body = CreateUserWalletRequest,
    extensions(("x-permission" = json!(write(Permission::UsersCredits).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The wallet credited", body = Envelope<Wallet>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody),
        (status = 422, description = "Invalid amount, currency or reason (-11)", body = ErrorBody)))]
pub async fn create_user_wallet(
    State(state): State<AppState>,
    auth: crate::access::Authorized,
    ValidPath(path): ValidPath<UserPath>,
    ValidJson(body): ValidJson<CreateUserWalletRequest>,
) -> ApiResult<Json<Envelope<Wallet>>> {
    let amount = to_stored(body.amount).ok_or_else(|| ApiError::field("amount", "too precise"))?;
    let (wallet, _) = relais_store::wallets::apply(
        &state.db,
        path.id,
        body.currency.code(),
        Movement {
            amount,
            kind: MovementKind::StaffCredit,
            reason: body.reason,
            actor_id: Some(auth.caller.user.id),
            at: Utc::now(),
            transaction_id: None,
        },
    )
    .await?;
    Ok(ok(Wallet::from(wallet)))
}

/// Which wallet to delete, and why.
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteWalletQuery {
    /// Identifier of the wallet.
    #[serde_as(as = "DisplayFromStr")]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = i64)]
    pub wallet: i64,
    /// Reason to delete the wallet.
    #[validate(length(min = 3, max = 1000))]
    #[param(min_length = 3, max_length = 1000)]
    pub reason: String,
}

/// Delete user wallet.
#[utoipa::path(delete, path = "/dashboard/users/{id}/wallets", tag = "Users",
    summary = "Delete user wallet",
    description = "Delete the specified wallet of a user.\n\nWhat the wallet still holds is written off by a last movement carrying the reason, so that its movements still add up; the wallet is then kept, deleted, for the records. 404 naming `wallet` when the user has no such wallet. Needs `users.credits` with write over the user.",
    params(UserPath, DeleteWalletQuery),
    extensions(("x-permission" = json!(write(Permission::UsersCredits).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user or wallet (-2)", body = ErrorBody),
        (status = 422, description = "Invalid reason (-11)", body = ErrorBody)))]
pub async fn delete_user_wallet(
    State(state): State<AppState>,
    auth: crate::access::Authorized,
    ValidPath(path): ValidPath<UserPath>,
    ValidQuery(q): ValidQuery<DeleteWalletQuery>,
) -> ApiResult<Json<Done>> {
    relais_store::wallets::delete(
        &state.db,
        path.id,
        q.wallet,
        &q.reason,
        Some(auth.caller.user.id),
        Utc::now(),
    )
    .await?;
    Ok(done())
}

/// An amount in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Money {
    #[schema(value_type = String, example = "12.50")]
    pub amount: Decimal,
    pub currency: String,
}

/// A sum of wallets converted to one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConvertedSum {
    /// The sum of what could be converted, rounded to the currency's minor units.
    #[schema(value_type = String, example = "42.17")]
    pub amount: Decimal,
    pub currency: String,
    /// The day of the European Central Bank reference rates used (the last published on or
    /// before today); null when no conversion was needed.
    pub rate_date: Option<NaiveDate>,
    /// Balances in currencies the reference rates do not cover, left out of `amount`.
    pub unconverted: Vec<Money>,
}

impl ConvertedSum {
    pub fn zero(currency: CurrencyCode, _today: NaiveDate) -> Self {
        ConvertedSum {
            amount: Decimal::ZERO,
            currency: currency.code().to_owned(),
            rate_date: None,
            unconverted: Vec::new(),
        }
    }
}

/// Convert `balances` (currency, stored amount) to `to`, on `day`.
pub fn convert_sum(
    state: &AppState,
    balances: impl IntoIterator<Item = (String, i64)>,
    to: CurrencyCode,
    day: NaiveDate,
) -> ConvertedSum {
    let rates = state.rates.current();
    let mut sum = ConvertedSum::zero(to, day);
    for (currency, stored) in balances {
        let amount = from_stored(stored);
        if currency == to.code() {
            sum.amount += amount;
            continue;
        }
        // Each wallet is converted and rounded on its own, as a payment of it would be.
        match rates.convert(amount, &currency, to.code(), day) {
            Ok(conversion) => {
                sum.amount += conversion.amount;
                let used = conversion.rate_date;
                sum.rate_date = Some(sum.rate_date.map_or(used, |d| d.max(used)));
            }
            Err(_) => sum.unconverted.push(Money { amount, currency }),
        }
    }
    sum
}

/// The wallets' total of each of `users`, converted to `currency` today.
pub async fn totals(
    state: &AppState,
    users: &[i64],
    currency: CurrencyCode,
) -> ApiResult<HashMap<i64, ConvertedSum>> {
    let balances = relais_store::wallets::balances_of(&state.db, users).await?;
    let today = Utc::now().date_naive();
    let mut by_user: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    for (user, currency, balance) in balances {
        by_user.entry(user).or_default().push((currency, balance));
    }
    Ok(by_user
        .into_iter()
        .map(|(user, balances)| (user, convert_sum(state, balances, currency, today)))
        .collect())
}

/// The currency to convert to.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WalletSumQuery {
    /// Currency code of the wallet money to convert to.
    #[param(value_type = String, example = "EUR")]
    pub currency: CurrencyCode,
}

/// Get wallet sum.
#[utoipa::path(get, path = "/dashboard/users/{id}/wallets/sum", tag = "Users",
    summary = "Get wallet sum.",
    description = "Get the sum of all wallet of the specified user, converted to given currency.\n\nEach wallet is converted at the European Central Bank's euro reference rates of today, or of the last day they were published (`rate_date`), through the euro; the sum is rounded to the currency's minor units, half away from zero. Balances in a currency the reference rates do not cover are listed apart in `unconverted` rather than guessed. Needs `users.credits` over the user.",
    params(UserPath, WalletSumQuery),
    extensions(("x-permission" = json!(read(Permission::UsersCredits).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The sum", body = Envelope<ConvertedSum>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_wallet_sum(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
    ValidQuery(q): ValidQuery<WalletSumQuery>,
) -> ApiResult<Json<Envelope<ConvertedSum>>> {
    let sums = totals(&state, &[path.id], q.currency).await?;
    Ok(ok(sums.get(&path.id).cloned().unwrap_or_else(|| {
        ConvertedSum::zero(q.currency, Utc::now().date_naive())
    })))
}
