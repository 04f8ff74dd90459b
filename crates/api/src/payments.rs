//! Riders' payment methods across the providers: the one place that removes a saved method
//! (at its provider and in relais), so that the rider's and the staff's operations behave alike.

use crate::error::ApiResult;
use crate::state::AppState;
use chrono::Utc;

/// Remove the user's method `id` (404 naming `field` if it is not theirs or not in use).
pub async fn remove_method(
    state: &AppState,
    user_id: i64,
    id: i64,
    field: &'static str,
) -> ApiResult<()> {
    // The method must be the user's before anything else happens.
    let method = relais_store::payment_methods::get(&state.db, user_id, id, field).await?;
    // At its provider first (a Stripe card detached), when it is the server's provider; a
    // method of another provider (configured before) is only retired here.
    if method.provider == state.payments.key().as_str() {
        let key = format!("remove:{}", method.id);
        if let Err(error) = state.payments.remove(&method.provider_token, &key).await {
            if error.retryable() {
                return Err(crate::error::ApiError::new(
                    crate::error::ErrorCode::Unavailable,
                    "the payment provider cannot be reached, retry later",
                ));
            }
            // Already gone at the provider: nothing left to remove there.
            tracing::info!(%error, method_id = method.id, "payment method not removed at its provider");
        }
    }
    relais_store::payment_methods::remove(&state.db, user_id, id, Utc::now()).await?;
    Ok(())
}
