//! A trip's steps that need the payment provider: the guarantee held before the unlock, its
//! release, and the settlement of a finished trip (the wallet first, then a capture on the
//! guarantee or a charge of the rider's card), each with an idempotency key derived from its
//! row, so that a retry by the job that backs it up never takes money twice.

use crate::error::{ApiError, ErrorCode};
use crate::jobs::{Done, Handler, JobError};
use crate::state::AppState;
use chrono::Utc;
use relais_domain::money;
use relais_domain::ride::UnlockRefusal;
use relais_payments::{CaptureRequest, HoldRequest, PaymentError};
use relais_store::entity::trip::{self, TripState};
use relais_store::ride::{
    self as store, ChargeOutcome, PlacedHold, SettleStep, StartRequest, Started,
};
use std::sync::Arc;
use std::time::Duration;

/// The refusal of a start, as the rider is told: -41 with the reason's key and message under
/// the field it concerns (`vehicle_id`, or `payment` for what the rider fixes in the wallet).
pub fn refusal_error(refusal: UnlockRefusal) -> ApiError {
    ApiError::new(ErrorCode::Refused, refusal.message())
        .with_field(refusal.field(), refusal.to_string())
}

/// Start a trip: the rules, then the guarantee when one is held, then the unlock; waits up
/// to `unlock_wait` for the vehicle's answer and gives the trip as it then stands
/// (`running`, `unlocking` while the vehicle has not answered, `cancelled` when it refused).
pub async fn start(state: &AppState, req: StartRequest) -> Result<trip::Model, ApiError> {
    let user_id = req.user_id;
    let trip = match store::start(&state.db, req).await? {
        Started::Refused { refusal, .. } => return Err(refusal_error(refusal)),
        Started::Replayed(trip) => return Ok(trip),
        Started::Accepted { trip, hold: None } => trip,
        Started::Accepted {
            trip,
            hold: Some(hold),
        } => {
            let request = HoldRequest {
                customer_id: hold.method.provider_customer.clone().unwrap_or_default(),
                method_token: hold.method.provider_token.clone(),
                amount: hold.amount,
                currency: hold.currency.clone(),
                reference: Some(format!("relais trip {}", trip.id)),
                idempotency_key: format!("trip-{}-hold", trip.id),
            };
            match state.payments.hold(&request).await {
                Ok(held) => {
                    let placed = PlacedHold {
                        provider: state.payments.key().as_str().to_owned(),
                        hold_id: held.id.clone(),
                        amount: held.amount,
                        currency: held.currency,
                        method_id: hold.method.id,
                    };
                    if store::hold_placed(&state.db, trip.id, user_id, placed, Utc::now())
                        .await?
                        .is_none()
                    {
                        // The trip gave up meanwhile: nothing may stay held for it.
                        release(state, &held.id, trip.id).await;
                    }
                }
                Err(error) => {
                    let refusal = match &error {
                        PaymentError::RequiresAction { .. } => {
                            UnlockRefusal::GuaranteeRequiresAction
                        }
                        _ => UnlockRefusal::GuaranteeDeclined,
                    };
                    store::cancel_now(&state.db, trip.id, refusal, Utc::now()).await?;
                    if error.retryable() {
                        return Err(ApiError::new(
                            ErrorCode::Unavailable,
                            "the payment provider cannot be reached, retry later",
                        ));
                    }
                    return Err(refusal_error(refusal));
                }
            }
            trip
        }
    };
    state.jobs.wake();
    let deadline = tokio::time::Instant::now() + state.settings.unlock_wait;
    loop {
        let now = store::of_rider(&state.db, user_id, trip.id).await?;
        if now.state != TripState::Unlocking || tokio::time::Instant::now() >= deadline {
            return Ok(now);
        }
        // The answer lands through the IoT link, in this process or another one.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn release(state: &AppState, hold_id: &str, trip_id: i64) {
    if let Err(error) = state
        .payments
        .release(hold_id, &format!("trip-{trip_id}-release"))
        .await
    {
        tracing::warn!(trip_id, %error, "releasing a guarantee failed; it lapses on its own");
    }
}

/// Settle a finished trip: what the wallet holds first, the rest captured on the trip's
/// guarantee when it holds enough, else charged on the rider's card (the guarantee released
/// first); a decline leaves a debt. `Err` when the provider cannot be reached: the
/// transaction stays pending and the settlement job tries again with the same keys.
pub async fn settle(state: &AppState, trip_id: i64) -> Result<(), ApiError> {
    let provider = state.payments.key().as_str().to_owned();
    match store::settle_begin(&state.db, trip_id, &provider, Utc::now()).await? {
        SettleStep::Done => Ok(()),
        SettleStep::Release(guarantee) => {
            if let Some(hold) = &guarantee.provider_hold_id {
                release(state, hold, trip_id).await;
            }
            store::guarantee_released(&state.db, guarantee.id, Utc::now()).await?;
            Ok(())
        }
        SettleStep::Charge {
            transaction,
            guarantee,
            method,
        } => {
            let amount = money::from_stored(transaction.amount_w_vat);
            let key = format!("relais-tx-{}", transaction.id);
            let on_guarantee = guarantee.as_ref().filter(|g| {
                g.provider_hold_id.is_some()
                    && g.amount - g.captured_amount >= transaction.amount_w_vat
            });
            let taken = match (on_guarantee, &method) {
                (Some(g), _) => state
                    .payments
                    .capture(&CaptureRequest {
                        hold_id: g.provider_hold_id.clone().unwrap_or_default(),
                        amount,
                        currency: transaction.currency.clone(),
                        idempotency_key: key,
                    })
                    .await
                    .map(|c| (c.hold_id, Some(g.id))),
                (None, Some(method)) => {
                    if let Some(g) = &guarantee
                        && let Some(hold) = &g.provider_hold_id
                    {
                        release(state, hold, trip_id).await;
                        store::guarantee_released(&state.db, g.id, Utc::now()).await?;
                    }
                    let held = state
                        .payments
                        .hold(&HoldRequest {
                            customer_id: method.provider_customer.clone().unwrap_or_default(),
                            method_token: method.provider_token.clone(),
                            amount,
                            currency: transaction.currency.clone(),
                            reference: Some(format!("relais transaction {}", transaction.id)),
                            idempotency_key: format!("{key}-hold"),
                        })
                        .await;
                    match held {
                        Ok(held) => state
                            .payments
                            .capture(&CaptureRequest {
                                hold_id: held.id,
                                amount,
                                currency: transaction.currency.clone(),
                                idempotency_key: key,
                            })
                            .await
                            .map(|c| (c.hold_id, None)),
                        Err(error) => Err(error),
                    }
                }
                (None, None) => Err(PaymentError::Declined {
                    code: "no_payment_method".into(),
                    hold_id: None,
                }),
            };
            let outcome = match taken {
                Ok((reference, captured_guarantee)) => ChargeOutcome::Taken {
                    provider_reference: reference,
                    fee: rust_decimal::Decimal::ZERO,
                    captured_guarantee,
                },
                Err(error) if error.retryable() => {
                    return Err(ApiError::new(
                        ErrorCode::Unavailable,
                        "the payment provider cannot be reached, retry later",
                    ));
                }
                Err(error) => {
                    tracing::info!(trip_id, %error, "a trip's payment was declined: a debt is left");
                    ChargeOutcome::Declined
                }
            };
            store::settle_finish(&state.db, transaction.id, outcome, Utc::now()).await?;
            Ok(())
        }
    }
}

fn job_error(error: ApiError) -> JobError {
    JobError(error.text)
}

/// `settle_trip`: the settlement the request that ended the trip did not finish.
pub fn settle_handler() -> Handler {
    Arc::new(|state: AppState, job| {
        Box::pin(async move {
            settle(&state, job.subject_id).await.map_err(job_error)?;
            // Settling dropped the job; one still there (a debt left) is done with.
            relais_store::jobs::complete(&state.db, &job).await?;
            Ok(Done::Completed)
        })
    })
}

/// `unlock_timeout`: the vehicle did not answer in time; the trip is cancelled and its
/// guarantee released.
pub fn unlock_timeout_handler() -> Handler {
    Arc::new(|state: AppState, job| {
        Box::pin(async move {
            store::cancel_now(
                &state.db,
                job.subject_id,
                UnlockRefusal::VehicleNotResponding,
                Utc::now(),
            )
            .await?;
            relais_store::jobs::complete(&state.db, &job).await?;
            state.jobs.wake();
            Ok(Done::Completed)
        })
    })
}

/// `release_hold`: a guarantee no longer needed (its trip was cancelled), released.
pub fn release_hold_handler() -> Handler {
    Arc::new(|state: AppState, job| {
        Box::pin(async move {
            if let Some(g) = store::guarantee(&state.db, job.subject_id).await?
                && let Some(hold) = &g.provider_hold_id
            {
                let key = format!("guarantee-{}-release", g.id);
                match state.payments.release(hold, &key).await {
                    Ok(()) => {}
                    Err(error) if error.retryable() => return Err(JobError(error.to_string())),
                    // Already captured or released at the provider: nothing held any more.
                    Err(error) => tracing::warn!(guarantee = g.id, %error, "release refused"),
                }
                store::guarantee_released(&state.db, g.id, Utc::now()).await?;
            }
            relais_store::jobs::complete(&state.db, &job).await?;
            Ok(Done::Completed)
        })
    })
}

/// A timer that ends a trip (`auto_lock`, `max_pause`): the trip ended where the vehicle is,
/// then paid as a rider's end is.
fn end_handler(ended_by: relais_domain::ride::EndedBy) -> Handler {
    Arc::new(move |state: AppState, job| {
        Box::pin(async move {
            let ended =
                store::end_by_timer(&state.db, job.subject_id, ended_by.into(), Utc::now()).await?;
            if ended.is_some()
                && let Err(error) = settle(&state, job.subject_id).await
            {
                tracing::warn!(trip_id = job.subject_id, error = %error.text, "settlement deferred");
            }
            relais_store::jobs::complete(&state.db, &job).await?;
            Ok(Done::Completed)
        })
    })
}

/// `auto_lock`: the trip lasted the network's `trip_auto_lock`.
pub fn auto_lock_handler() -> Handler {
    end_handler(relais_domain::ride::EndedBy::AutoLock)
}

/// `max_pause`: the trip stayed on hold for the network's `trip_max_pause`.
pub fn max_pause_handler() -> Handler {
    end_handler(relais_domain::ride::EndedBy::MaxPause)
}
