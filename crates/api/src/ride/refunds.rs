//! Refunds through the payment provider that took the money.
//!
//! "Refund transaction" writes the refund `pending` with a fallback job, then asks the
//! provider at once ([`ask_provider`]); should the server stop in between, the job asks
//! later. Both ask with the refund's own idempotency key (`relais-refund-{id}`), so the
//! provider refunds once however many times it is asked.

use crate::error::{ApiError, ErrorCode};
use crate::jobs::{Done, Handler, JobError};
use crate::state::AppState;
use chrono::Utc;
use relais_domain::money;
use relais_payments::{PaymentError, RefundRequest, RefundStatus};
use relais_store::entity::refund::{self, RefundStatus as Stored};
use relais_store::transactions::{RefundOutcome, refund_with_transaction, settle_refund};
use std::sync::Arc;

/// Why a refund could not be asked now.
#[derive(Debug)]
pub enum AskError {
    /// The provider cannot be reached: the refund stays pending and its job asks again.
    Unavailable,
    /// This server's provider is not the one that took the money.
    OtherProvider(String),
    Store(relais_store::StoreError),
}

impl From<relais_store::StoreError> for AskError {
    fn from(error: relais_store::StoreError) -> Self {
        AskError::Store(error)
    }
}

/// Whether this server can refund what `provider` took.
pub fn can_refund(state: &AppState, provider: &str) -> bool {
    state.payments.key().as_str() == provider
}

/// Ask the provider for the pending refund `refund_id` and record its answer; a refund
/// already settled is answered as it stands.
pub async fn ask_provider(state: &AppState, refund_id: i64) -> Result<refund::Model, AskError> {
    let (refund, transaction) = refund_with_transaction(&state.db, refund_id).await?;
    if refund.status != Stored::Pending {
        return Ok(refund);
    }
    if !can_refund(state, &transaction.payment_provider) {
        return Err(AskError::OtherProvider(transaction.payment_provider));
    }
    let outcome = match transaction.provider_reference {
        // A provider payment always names what it captured; one that does not cannot be
        // refunded through the provider.
        None => RefundOutcome::Failed,
        Some(hold_id) => {
            let request = RefundRequest {
                hold_id,
                amount: money::from_stored(refund.amount),
                currency: transaction.currency.clone(),
                reason: Some(refund.reason.clone()),
                idempotency_key: format!("relais-refund-{}", refund.id),
            };
            match state.payments.refund(&request).await {
                Ok(done) => match done.status {
                    RefundStatus::Succeeded => RefundOutcome::Succeeded {
                        provider_refund_id: done.id,
                    },
                    RefundStatus::Pending => RefundOutcome::Pending {
                        provider_refund_id: done.id,
                    },
                    _ => RefundOutcome::Failed,
                },
                Err(error) if error.retryable() => return Err(AskError::Unavailable),
                Err(error) => {
                    log_refusal(refund.id, &error);
                    RefundOutcome::Failed
                }
            }
        }
    };
    Ok(settle_refund(&state.db, refund.id, outcome, Utc::now()).await?)
}

fn log_refusal(refund_id: i64, error: &PaymentError) {
    tracing::warn!(refund_id, %error, "the payment provider refused a refund");
}

impl From<AskError> for ApiError {
    fn from(error: AskError) -> Self {
        match error {
            AskError::Unavailable => ApiError::new(
                ErrorCode::Unavailable,
                "the payment provider cannot be reached, retry later",
            ),
            AskError::OtherProvider(provider) => ApiError::new(
                ErrorCode::Refused,
                format!("the provider that took this payment ({provider}) is not configured"),
            ),
            AskError::Store(error) => error.into(),
        }
    }
}

/// The fallback job: ask the provider for a refund the request that made it did not get to.
pub fn handler() -> Handler {
    Arc::new(|state: AppState, job| {
        Box::pin(async move {
            match ask_provider(&state, job.subject_id).await {
                // Settling cancelled the job; a refund still pending at the provider is asked
                // again later, with the same key.
                Ok(refund) if refund.status == Stored::Pending => Err(JobError(
                    "the provider has not settled the refund yet".into(),
                )),
                Ok(_) => Ok(Done::Completed),
                Err(AskError::Store(relais_store::StoreError::NotFound { .. })) => {
                    let completed = relais_store::jobs::complete(&state.db, &job).await?;
                    Ok(if completed {
                        Done::Completed
                    } else {
                        Done::Lost
                    })
                }
                Err(AskError::Store(error)) => Err(error.into()),
                Err(AskError::Unavailable) => {
                    Err(JobError("the payment provider is unavailable".into()))
                }
                Err(AskError::OtherProvider(provider)) => Err(JobError(format!(
                    "the provider that took this payment ({provider}) is not configured"
                ))),
            }
        })
    })
}
