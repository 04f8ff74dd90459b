//! Seed group `Transactions`: the money riders paid, by sub-area:
//! - this module: the list and the detail;
//! - [`refunds`]: giving part or all of a transaction back;
//! - [`income`]: the income statistics, from the income rollups.
//!
//! | seed operation | route | permission |
//! |---|---|---|
//! | Get transactions | `GET /dashboard/transactions?networks=` | `transactions`, every network asked for reached whole |
//! | Get transaction detail | `GET /dashboard/transactions/{id}` | `transactions`, the transaction's network reached whole |
//! | Get transaction invoice | `GET /dashboard/transactions/{id}/invoice` | as above |
//! | Refund transaction | `POST /dashboard/transactions/{id}/refunds` | `transactions` with write, as above |
//! | Get income summary, sources, distribution by dow, details by day | `GET /dashboard/transactions/income/{summary,sources,by-dow,by-day}` | `transactions`, the networks asked for (or all reached) whole |
//!
//! Decisions (docs/design/ride.md §1.3): a transaction is a rider's money, so a grant
//! restricted to some of a network's clusters does not reach it; amounts are decimal strings
//! in the transaction's currency, VAT included (`amount_w_vat`) and without (`amount`); the
//! seed's `date` bounds are whole UTC days, both included; the list answers `page` (keyset)
//! rather than the seed sample's `total`. `payment_provider_fee_max` is an integer as the seed
//! writes it (its minimum is a number): kept literally.

pub mod income;
pub mod refunds;

use crate::access::{Authorized, read};
use crate::envelope::{Envelope, Paged, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{
    CommaSeparated, ValidPath, ValidQuery, in_order, non_negative_amount, unique_id_list,
};
use crate::pagination::{Direction, KeysetQuery, paged};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::money;
use relais_domain::{Object, Permission};
use relais_store::entity::transaction::{self, TransactionStatus};
use relais_store::transactions::{TransactionFilter, TransactionSort};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_transactions))
        .routes(routes!(get_transaction))
        .routes(routes!(get_transaction_invoice))
        .merge(refunds::router())
        .merge(income::router())
}

/// Custom sort key of "Get transactions".
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransactionsSortBy {
    Date,
    AmountWVat,
    Amount,
    ProductTitle,
    RefundAmount,
    AutoPayment,
    PaymentProviderFee,
    NetworkId,
}

/// Where a transaction stands (a relais extension filter).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransactionStatusFilter {
    Pending,
    Succeeded,
    Failed,
}

/// The filters of "Get transactions".
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransactionsQuery {
    /// Identifier of networks of which to get transactions, comma-separated: `networks=5`,
    /// `networks=1,5,7`. Each at least 1, no repeats.
    #[param(value_type = Vec<i64>, style = Form, explode = false, example = "1,5,7")]
    #[validate(custom(function = "unique_id_list"))]
    pub networks: CommaSeparated<i64>,
    /// Custom sort key; ties are broken by id in the direction of `primary_key_dir`.
    #[serde(default)]
    #[param(inline, value_type = Option<TransactionsSortBy>)]
    pub sort_by: Option<TransactionsSortBy>,
    /// Sort direction of the custom sort key: `DESC` (default) or `ASC`.
    #[serde(default)]
    #[param(inline, value_type = Option<Direction>, default = "DESC")]
    pub sort_dir: Option<Direction>,
    /// Filter the minimum transaction's identifier.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub transaction_id_min: Option<i64>,
    /// Filter the maximum transaction's identifier.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub transaction_id_max: Option<i64>,
    /// Filter the minimum transaction's date (a UTC day, included).
    pub date_min: Option<NaiveDate>,
    /// Filter the maximum transaction's date (a UTC day, included).
    pub date_max: Option<NaiveDate>,
    /// Filter the minimum transaction's amount with VAT.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(custom(function = "non_negative_amount"))]
    #[param(minimum = 0, value_type = Option<f64>)]
    pub amount_w_vat_min: Option<Decimal>,
    /// Filter the maximum transaction's amount with VAT.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(custom(function = "non_negative_amount"))]
    #[param(minimum = 0, value_type = Option<f64>)]
    pub amount_w_vat_max: Option<Decimal>,
    /// Filter the minimum transaction's amount without VAT.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(custom(function = "non_negative_amount"))]
    #[param(minimum = 0, value_type = Option<f64>)]
    pub amount_min: Option<Decimal>,
    /// Filter the maximum transaction's amount without VAT.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(custom(function = "non_negative_amount"))]
    #[param(minimum = 0, value_type = Option<f64>)]
    pub amount_max: Option<Decimal>,
    /// Filter by the user's identifier who made the transaction.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub user_id: Option<i64>,
    /// Filter by the user's email who made the transaction (a part, without regard to case).
    #[validate(length(min = 1, max = 254))]
    #[param(min_length = 1, max_length = 254)]
    pub email: Option<String>,
    /// Filter by the transaction's product title (a part, without regard to case).
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub product_title: Option<String>,
    /// Whether to show only refunded (in part or whole) or only unrefunded transactions.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    pub refunded: Option<bool>,
    /// Filter the minimum date of the last refund (a UTC day, included).
    pub refund_date_min: Option<NaiveDate>,
    /// Filter the maximum date of the last refund (a UTC day, included).
    pub refund_date_max: Option<NaiveDate>,
    /// Whether to show only automatic payments (taken without the rider acting) or only the
    /// others.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    pub auto_payment: Option<bool>,
    /// Filter the minimum payment provider fee.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(custom(function = "non_negative_amount"))]
    #[param(minimum = 0, value_type = Option<f64>)]
    pub payment_provider_fee_min: Option<Decimal>,
    /// Filter the maximum payment provider fee (an integer, as the seed writes it).
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 0))]
    #[param(minimum = 0, value_type = Option<i64>)]
    pub payment_provider_fee_max: Option<i64>,
    /// Filter by payment provider (`stripe`, `sandbox`, `wallet`...): a part, without regard
    /// to case.
    #[validate(length(min = 1, max = 20))]
    #[param(min_length = 1, max_length = 20)]
    pub payment_provider: Option<String>,
    /// Filter by payment method type (`card`, `wallet`...): a part, without regard to case.
    #[validate(length(min = 1, max = 20))]
    #[param(min_length = 1, max_length = 20)]
    pub payment_method_type: Option<String>,
    /// Where the transaction stands (a relais extension): `pending`, `succeeded` or `failed`.
    #[serde(default)]
    #[param(inline, value_type = Option<TransactionStatusFilter>)]
    pub status: Option<TransactionStatusFilter>,
}

/// Each maximum at or above its minimum; a refusal names the maximum.
fn bounds_in_order(q: &TransactionsQuery) -> ApiResult<()> {
    in_order(
        "transaction_id_max",
        q.transaction_id_min,
        q.transaction_id_max,
    )?;
    in_order("date_max", q.date_min, q.date_max)?;
    in_order("amount_w_vat_max", q.amount_w_vat_min, q.amount_w_vat_max)?;
    in_order("amount_max", q.amount_min, q.amount_max)?;
    in_order("refund_date_max", q.refund_date_min, q.refund_date_max)?;
    in_order(
        "payment_provider_fee_max",
        q.payment_provider_fee_min,
        q.payment_provider_fee_max.map(Decimal::from),
    )
}

/// A stored amount: already checked to fit by the query's validation.
fn stored(value: Decimal) -> i64 {
    money::to_stored(value).unwrap_or(i64::MAX)
}

/// A transaction in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionListItem {
    pub id: i64,
    /// When it was made (UTC).
    pub date: DateTime<Utc>,
    pub network_id: i64,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub trip_id: Option<i64>,
    /// `trip`, `top_up`, `debt` or `penalty`.
    #[schema(example = "trip")]
    pub kind: String,
    pub product_title: String,
    pub currency: String,
    /// VAT included (decimal string).
    #[schema(value_type = String, example = "2.40")]
    pub amount_w_vat: String,
    /// Without VAT.
    #[schema(value_type = String, example = "2.00")]
    pub amount: String,
    /// The VAT rate applied, a fraction (`0.2` for 20 %): the network's when it was made.
    #[schema(value_type = String, example = "0.2")]
    pub vat_rate: String,
    /// `wallet` (credit bought earlier) or `provider`.
    #[schema(example = "provider")]
    pub source: String,
    /// `stripe`, `sandbox`..., or `wallet`.
    pub payment_provider: String,
    /// The payment method's type (`card`...), or `wallet`.
    pub payment_method_type: String,
    #[schema(value_type = String, example = "0.00")]
    pub payment_provider_fee: String,
    /// Taken without the rider acting (end of trip, debt retry).
    pub auto_payment: bool,
    /// Refunded so far, pending refunds included.
    #[schema(value_type = String, example = "0.00")]
    pub refund_amount: String,
    /// The last refund's date.
    pub refund_date: Option<DateTime<Utc>>,
    pub refunded: bool,
    /// `pending`, `succeeded` or `failed`.
    #[schema(example = "succeeded")]
    pub status: String,
}

fn amount(stored: i64) -> String {
    money::from_stored(stored).to_string()
}

impl From<relais_store::transactions::TransactionItem> for TransactionListItem {
    fn from(i: relais_store::transactions::TransactionItem) -> Self {
        let t: transaction::Model = i.transaction;
        TransactionListItem {
            id: t.id,
            date: t.created_at,
            network_id: t.network_id,
            user_id: t.user_id,
            email: i.email,
            trip_id: t.trip_id,
            kind: t.kind.as_str().to_owned(),
            product_title: t.product_title,
            currency: t.currency,
            amount_w_vat: amount(t.amount_w_vat),
            amount: amount(t.amount),
            vat_rate: money::from_stored(t.vat_rate).normalize().to_string(),
            source: t.source.as_str().to_owned(),
            payment_provider: t.payment_provider,
            payment_method_type: t.payment_method_type,
            payment_provider_fee: amount(t.payment_provider_fee),
            auto_payment: t.auto_payment,
            refund_amount: amount(t.refund_amount),
            refund_date: t.refunded_at,
            refunded: t.refund_amount > 0,
            status: t.status.as_str().to_owned(),
        }
    }
}

/// Get transactions
#[utoipa::path(get, path = "/dashboard/transactions", tag = "Transactions",
    summary = "Get transactions",
    description = "Return transactions made on specified networks.\n\nPaged by keyset: `primary_key_dir` defaults to `DESC` (newest first). With `sort_by` and `sort_dir` (default `DESC`), ties are broken by id in the direction of `primary_key_dir`. Dates are whole UTC days, both included; amounts are in each transaction's currency; `email`, `product_title`, `payment_provider` and `payment_method_type` match a part without regard to case; a maximum below its minimum is refused naming it. Answers `page` (`has_more`, `last_primary_key`) rather than a total. Transactions are riders' money: every network asked for must be reached as a whole.",
    params(KeysetQuery, TransactionsQuery),
    extensions(("x-permission" = json!(read(Permission::Transactions).whole_networks_in_query("networks")))),
    responses(
        (status = 200, description = "A page of transactions", body = Paged<TransactionListItem>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a network not reached whole (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn get_transactions(
    State(state): State<AppState>,
    _auth: Authorized,
    ValidQuery(page): ValidQuery<KeysetQuery>,
    ValidQuery(q): ValidQuery<TransactionsQuery>,
) -> ApiResult<Paged<TransactionListItem>> {
    bounds_in_order(&q)?;
    let filter = TransactionFilter {
        networks: q.networks.0,
        id_min: q.transaction_id_min,
        id_max: q.transaction_id_max,
        date_min: q.date_min,
        date_max: q.date_max,
        amount_w_vat_min: q.amount_w_vat_min.map(stored),
        amount_w_vat_max: q.amount_w_vat_max.map(stored),
        amount_min: q.amount_min.map(stored),
        amount_max: q.amount_max.map(stored),
        user_id: q.user_id,
        email: q.email,
        product_title: q.product_title,
        refunded: q.refunded,
        refund_date_min: q.refund_date_min,
        refund_date_max: q.refund_date_max,
        auto_payment: q.auto_payment,
        fee_min: q.payment_provider_fee_min.map(stored),
        fee_max: q.payment_provider_fee_max.map(|v| v.saturating_mul(10_000)),
        payment_provider: q.payment_provider,
        payment_method_type: q.payment_method_type,
        status: q.status.map(|s| match s {
            TransactionStatusFilter::Pending => TransactionStatus::Pending,
            TransactionStatusFilter::Succeeded => TransactionStatus::Succeeded,
            TransactionStatusFilter::Failed => TransactionStatus::Failed,
        }),
    };
    let sort = q.sort_by.map(|by| {
        let by = match by {
            TransactionsSortBy::Date => TransactionSort::Date,
            TransactionsSortBy::AmountWVat => TransactionSort::AmountWVat,
            TransactionsSortBy::Amount => TransactionSort::Amount,
            TransactionsSortBy::ProductTitle => TransactionSort::ProductTitle,
            TransactionsSortBy::RefundAmount => TransactionSort::RefundAmount,
            TransactionsSortBy::AutoPayment => TransactionSort::AutoPayment,
            TransactionsSortBy::PaymentProviderFee => TransactionSort::PaymentProviderFee,
            TransactionsSortBy::NetworkId => TransactionSort::NetworkId,
        };
        (by, q.sort_dir.unwrap_or_default().into())
    });
    let keyset = page.keyset();
    let rows = relais_store::transactions::list(&state.db, &filter, &keyset, sort).await?;
    Ok(paged(
        &keyset,
        rows,
        |i| i.transaction.id,
        TransactionListItem::from,
    ))
}

/// The transaction named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TransactionPath {
    /// The identifier of the transaction.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// The payment method a transaction was paid with.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentMethodUsed {
    pub id: i64,
    pub brand: Option<String>,
    pub last4: Option<String>,
}

/// A refund of a transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundItem {
    pub id: i64,
    #[schema(value_type = String, example = "1.20")]
    pub amount: String,
    pub reason: String,
    /// `pending`, `succeeded` or `failed` (a failed refund's amount is refundable again).
    #[schema(example = "succeeded")]
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
    /// The staff member who made it.
    pub created_by: Option<RefundActor>,
}

/// Who made a refund.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundActor {
    pub id: i64,
    pub email: Option<String>,
}

impl From<relais_store::transactions::RefundItem> for RefundItem {
    fn from(r: relais_store::transactions::RefundItem) -> Self {
        let f = r.refund;
        RefundItem {
            id: f.id,
            amount: amount(f.amount),
            reason: f.reason,
            status: f.status.as_str().to_owned(),
            created_at: f.created_at,
            settled_at: f.settled_at,
            created_by: f.actor_id.map(|id| RefundActor {
                id,
                email: r.actor_email,
            }),
        }
    }
}

/// A transaction in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionDetail {
    #[serde(flatten)]
    pub item: TransactionListItem,
    /// What remains refundable (decimal string).
    #[schema(value_type = String, example = "2.40")]
    pub refundable: String,
    pub user_payment_method: Option<PaymentMethodUsed>,
    pub bank_guarantee_id: Option<i64>,
    /// The hold or payment at the provider.
    pub provider_reference: Option<String>,
    pub wallet_movement_id: Option<i64>,
    pub debt_id: Option<i64>,
    /// Oldest first.
    pub refunds: Vec<RefundItem>,
}

impl From<relais_store::transactions::TransactionDetail> for TransactionDetail {
    fn from(d: relais_store::transactions::TransactionDetail) -> Self {
        let t = d.item.transaction.clone();
        TransactionDetail {
            refundable: amount(t.amount_w_vat - t.refund_amount),
            user_payment_method: d.payment_method.map(|m| PaymentMethodUsed {
                id: m.id,
                brand: m.brand,
                last4: m.last4,
            }),
            bank_guarantee_id: t.bank_guarantee_id,
            provider_reference: t.provider_reference,
            wallet_movement_id: t.wallet_movement_id,
            debt_id: t.debt_id,
            refunds: d.refunds.into_iter().map(RefundItem::from).collect(),
            item: TransactionListItem::from(d.item),
        }
    }
}

/// Get transaction detail
#[utoipa::path(get, path = "/dashboard/transactions/{id}", tag = "Transactions",
    summary = "Get transaction detail",
    description = "Return details of the specified transaction.\n\nThe transaction as in the list, with what remains refundable, the payment method it was paid with (brand and last digits only), the hold or payment at the provider, the wallet movement it made, the debt it paid, and its refunds (oldest first, with who made them and why). A transaction is a rider's money: it needs `transactions` over its network as a whole.",
    params(TransactionPath),
    extensions(("x-permission" = json!(read(Permission::Transactions).object_in_path("id", Object::Transaction)))),
    responses(
        (status = 200, description = "The transaction", body = Envelope<TransactionDetail>),
        (status = 400, description = "Malformed `id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a transaction outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such transaction (-2)", body = ErrorBody),
        (status = 422, description = "Invalid `id` (-11)", body = ErrorBody)))]
pub async fn get_transaction(
    State(state): State<AppState>,
    _auth: Authorized,
    ValidPath(path): ValidPath<TransactionPath>,
) -> ApiResult<Json<Envelope<TransactionDetail>>> {
    let detail = relais_store::transactions::detail(&state.db, path.id).await?;
    Ok(ok(TransactionDetail::from(detail)))
}

/// A credit note correcting an invoice.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditNoteItem {
    #[serde(rename = "ref")]
    pub reference: String,
    pub issued_at: DateTime<Utc>,
    #[schema(value_type = String, example = "1.00")]
    pub amount_w_vat: String,
    pub pdf: String,
}

/// The invoice of a transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionInvoice {
    #[serde(flatten)]
    pub invoice: crate::dashboard::invoices::InvoiceItem,
    /// The VAT rate applied, a fraction (`0.2`).
    #[schema(value_type = String, example = "0.2")]
    pub vat_rate: String,
    /// The issuer's name as it stood at issue.
    pub issuer: Option<String>,
    /// Its credit notes, oldest first.
    pub credit_notes: Vec<CreditNoteItem>,
}

/// Get transaction invoice
#[utoipa::path(get, path = "/dashboard/transactions/{id}/invoice", tag = "Transactions",
    summary = "Get transaction invoice",
    description = "Returns the invoice for a transaction.\n\nThe invoice relais issued for a provider payment (numbered per billing identity, with the issuer's mentions as they stood then) and its credit notes, each with the address of its PDF (\"Download invoices\"). A wallet payment has none (the top-up had one): 404 naming `id`; a payment whose invoice is being issued, a moment after it succeeded: 409 (-41).",
    params(TransactionPath),
    extensions(("x-permission" = json!(read(Permission::Transactions).object_in_path("id", Object::Transaction)))),
    responses(
        (status = 200, description = "The invoice", body = Envelope<TransactionInvoice>),
        (status = 400, description = "Malformed `id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a transaction outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such transaction, or it has no invoice (-2)", body = ErrorBody),
        (status = 409, description = "Not issued yet (-41)", body = ErrorBody)))]
pub async fn get_transaction_invoice(
    State(state): State<AppState>,
    _auth: Authorized,
    ValidPath(path): ValidPath<TransactionPath>,
) -> ApiResult<Json<Envelope<TransactionInvoice>>> {
    let t = relais_store::transactions::get(&state.db, path.id).await?;
    let issued = relais_store::invoices::of_transaction(&state.db, t.id).await?;
    let Some(invoice) = issued
        .iter()
        .find(|i| i.invoice.kind == relais_store::invoices::INVOICE)
        .cloned()
    else {
        let coming = t.source == relais_store::entity::transaction::MoneySource::Provider
            && t.status == TransactionStatus::Succeeded;
        return Err(if coming {
            crate::error::ApiError::new(
                crate::error::ErrorCode::Refused,
                "the invoice is being issued: retry in a moment",
            )
        } else {
            crate::error::ApiError::not_found("invoice")
                .with_field("id", "this transaction has no invoice")
        });
    };
    let issuer = serde_json::from_str::<serde_json::Value>(&invoice.invoice.issuer)
        .ok()
        .and_then(|v| v["name"].as_str().map(str::to_owned));
    let vat_rate = money::from_stored(invoice.invoice.vat_rate)
        .normalize()
        .to_string();
    Ok(ok(TransactionInvoice {
        credit_notes: issued
            .iter()
            .filter(|i| i.invoice.kind == relais_store::invoices::CREDIT_NOTE)
            .map(|i| CreditNoteItem {
                pdf: format!("/dashboard/invoices/{}/pdf", i.reference),
                reference: i.reference.clone(),
                issued_at: i.invoice.issued_at,
                amount_w_vat: amount(i.invoice.amount_w_vat),
            })
            .collect(),
        invoice: invoice.into(),
        vat_rate,
        issuer,
    }))
}
