//! "Refund transaction": part or all of a transaction given back, through the provider that
//! took it (or to the wallet it came from), partial refunds adding up to at most what it took.
//!
//! Decisions: an amount of 0 is refused (the seed allows it; a refund of nothing is no
//! refund); pending refunds count against what remains refundable, so two staff members
//! refunding at once cannot give back more than was paid; a refund is possible on a closed
//! network (money owed to a rider must not be stranded by closing a service); a provider
//! transaction is refunded only by a server whose provider took it.

use super::{RefundItem, TransactionPath};
use crate::access::{Authorized, write};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ValidJson, ValidPath};
use crate::ride::refunds::{AskError, ask_provider, can_refund};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::Utc;
use relais_domain::money;
use relais_domain::{Object, Permission};
use relais_store::entity::refund::RefundStatus;
use relais_store::entity::transaction::MoneySource;
use relais_store::transactions::{NewRefund, RefundItem as StoredItem};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(refund_transaction))
}

fn refund_amount(amount: &Decimal) -> Result<(), ValidationError> {
    if *amount <= Decimal::ZERO {
        return Err(ValidationError::new("range").with_message("must be greater than 0".into()));
    }
    crate::extract::stored_precision(amount)
}

/// Data of the refund.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundTransactionRequest {
    /// The reason to refund this transaction.
    #[validate(length(min = 10, max = 2048))]
    #[schema(
        min_length = 10,
        max_length = 2048,
        example = "The brake failed after two minutes"
    )]
    pub reason: String,
    /// The amount to refund, VAT included: more than 0, at most what remains refundable, with
    /// no more decimals than the currency has.
    #[validate(custom(function = "refund_amount"))]
    #[schema(value_type = f64, minimum = 0, example = 1.2)]
    pub amount: Decimal,
}

/// A refund made, and where its transaction stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundDetail {
    #[serde(flatten)]
    pub refund: RefundItem,
    pub transaction_id: i64,
    pub currency: String,
    /// The transaction's refunded amount now, pending refunds included.
    #[schema(value_type = String, example = "1.20")]
    pub transaction_refund_amount: String,
    /// What remains refundable.
    #[schema(value_type = String, example = "1.20")]
    pub refundable: String,
}

/// Refund transaction
#[utoipa::path(post, path = "/dashboard/transactions/{id}/refunds", tag = "Transactions",
    summary = "Refund transaction",
    description = "Refund the specified transaction.\n\nGives `amount` (VAT included, more than 0, at most what remains refundable: the transaction's amount less its refunds, pending ones included) back to the rider: to the wallet for a wallet payment, at once; through the payment provider that took it for a provider payment, which must be this server's provider (-41 otherwise). Refunds add up: a transaction can be refunded in several parts. Answers the refund `succeeded`, or `pending` while the provider has not settled it (or cannot be reached: it is asked again later with the same idempotency key). A provider refusing the refund is -41, the refund recorded `failed` and its amount refundable again. Possible on a closed network. Needs `transactions` with write over the transaction's network as a whole.",
    params(TransactionPath),
    request_body = RefundTransactionRequest,
    extensions(("x-permission" = json!(write(Permission::Transactions).object_in_path("id", Object::Transaction)))),
    responses(
        (status = 200, description = "The refund", body = Envelope<RefundDetail>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a transaction outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such transaction (-2)", body = ErrorBody),
        (status = 409, description = "Not a succeeded transaction, its provider not configured, or refused by the provider (-41)", body = ErrorBody),
        (status = 422, description = "Invalid reason or amount, or more than remains refundable (-11)", body = ErrorBody),
        (status = 503, description = "The payment provider cannot be reached; the refund is retried (-50)", body = ErrorBody)))]
pub async fn refund_transaction(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<TransactionPath>,
    ValidJson(body): ValidJson<RefundTransactionRequest>,
) -> ApiResult<Json<Envelope<RefundDetail>>> {
    let found = relais_store::transactions::get(&state.db, path.id).await?;
    if found.source == MoneySource::Provider && !can_refund(&state, &found.payment_provider) {
        return Err(AskError::OtherProvider(found.payment_provider).into());
    }
    let (refund, transaction) = relais_store::transactions::begin_refund(
        &state.db,
        NewRefund {
            transaction_id: path.id,
            amount: body.amount,
            reason: body.reason,
            actor_id: Some(auth.user_id()),
            at: Utc::now(),
        },
    )
    .await?;
    let refund = if refund.status == RefundStatus::Pending {
        match ask_provider(&state, refund.id).await {
            Ok(settled) => settled,
            // Recorded and asked again by its job: the staff member sees it pending.
            Err(AskError::Unavailable) => refund,
            Err(other) => return Err(other.into()),
        }
    } else {
        refund
    };
    if refund.status == RefundStatus::Failed {
        return Err(ApiError::new(
            ErrorCode::Refused,
            format!(
                "the payment provider refused this refund (refund {}); its amount is refundable again",
                refund.id
            ),
        ));
    }
    // Read again: a provider's refusal gives the amount back.
    let now = relais_store::transactions::get(&state.db, path.id).await?;
    let actor_email = Some(auth.caller.user.email.clone());
    Ok(ok(RefundDetail {
        refund: RefundItem::from(StoredItem {
            refund,
            actor_email,
        }),
        transaction_id: transaction.id,
        currency: now.currency.clone(),
        transaction_refund_amount: money::from_stored(now.refund_amount).to_string(),
        refundable: money::from_stored(now.amount_w_vat - now.refund_amount).to_string(),
    }))
}
