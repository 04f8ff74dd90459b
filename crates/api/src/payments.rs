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
    relais_store::payment_methods::get(&state.db, user_id, id, field).await?;
    relais_store::payment_methods::remove(&state.db, user_id, id, Utc::now()).await?;
    Ok(())
}
