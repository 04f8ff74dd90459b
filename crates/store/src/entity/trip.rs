//! The `trips` table: a rental from the unlock request to its payment (docs/design/ride.md).

use relais_domain::ride;
use sea_orm::entity::prelude::*;

/// Where a trip stands: `relais_domain::ride::TripState` as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(12))")]
pub enum TripState {
    #[sea_orm(string_value = "unlocking")]
    Unlocking,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "on-hold")]
    OnHold,
    #[sea_orm(string_value = "finished")]
    Finished,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// How a trip's price stands: `relais_domain::ride::PaymentStatus` as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum PaymentStatus {
    #[sea_orm(string_value = "none")]
    None,
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "debt")]
    Debt,
    #[sea_orm(string_value = "free")]
    Free,
}

/// Where a trip ended: `relais_domain::ride::EndPlace` as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EndPlace {
    #[sea_orm(string_value = "station")]
    Station,
    #[sea_orm(string_value = "virtual_parking")]
    VirtualParking,
    #[sea_orm(string_value = "free_floating")]
    FreeFloating,
}

/// What ended a trip: `relais_domain::ride::EndedBy` as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum EndedBy {
    #[sea_orm(string_value = "rider")]
    Rider,
    #[sea_orm(string_value = "station")]
    Station,
    #[sea_orm(string_value = "auto_lock")]
    AutoLock,
    #[sea_orm(string_value = "max_pause")]
    MaxPause,
    #[sea_orm(string_value = "credit_depletion")]
    CreditDepletion,
    #[sea_orm(string_value = "low_battery")]
    LowBattery,
    #[sea_orm(string_value = "stolen")]
    Stolen,
    #[sea_orm(string_value = "staff")]
    Staff,
    #[sea_orm(string_value = "unlock_failed")]
    UnlockFailed,
}

/// The stored and the domain's spellings are the same list; each pair converts both ways by
/// that spelling, and a test walks every variant.
macro_rules! same_as_domain {
    ($($stored:ident <=> $domain:ty),* $(,)?) => {$(
        impl From<$stored> for $domain {
            fn from(value: $stored) -> Self {
                value
                    .to_value()
                    .parse()
                    .expect("the stored spellings are the domain's")
            }
        }
        impl From<$domain> for $stored {
            fn from(value: $domain) -> Self {
                <$stored>::try_from_value(&value.as_str().to_owned())
                    .expect("the domain's spellings are stored")
            }
        }
    )*};
}

same_as_domain!(
    TripState <=> ride::TripState,
    PaymentStatus <=> ride::PaymentStatus,
    EndPlace <=> ride::EndPlace,
    EndedBy <=> ride::EndedBy,
);

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "trips")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub network_id: i64,
    pub vehicle_id: Option<i64>,
    pub user_id: Option<i64>,
    pub start_cluster_id: Option<i64>,
    pub end_cluster_id: Option<i64>,
    /// The unlock acknowledgement (billing starts there); the request time while unlocking.
    pub started_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub state: TripState,
    /// The accepted unlock request (nullable in the schema only: SQLite added it to old rows).
    pub requested_at: DateTimeUtc,
    /// "Stop trip billing": the price stops there.
    pub billing_stopped_at: Option<DateTimeUtc>,
    /// Seconds billed, `min(ended_at, billing_stopped_at) - started_at`; null while open.
    pub duration: Option<i64>,
    /// Metres ridden, from the vehicle's telemetry.
    pub distance: i64,
    /// The vehicle's model at the start (the `model_name` filter).
    pub vehicle_model_id: Option<i64>,
    pub demo: bool,
    pub idempotency_key: Option<String>,
    pub start_latitude: Option<f64>,
    pub start_longitude: Option<f64>,
    pub end_latitude: Option<f64>,
    pub end_longitude: Option<f64>,
    pub start_spot_id: Option<i64>,
    pub end_spot_id: Option<i64>,
    pub start_virtual_parking_id: Option<i64>,
    pub end_virtual_parking_id: Option<i64>,
    pub end_place: Option<EndPlace>,
    pub ended_by: Option<EndedBy>,
    /// The `UnlockRefusal` key of a cancelled trip.
    pub cancel_reason: Option<String>,
    pub bank_guarantee_id: Option<i64>,
    /// Ten-thousandths of the network's currency, after the balancing discount.
    pub price_total: Option<i64>,
    pub price_breakdown_id: Option<i64>,
    /// Ten-thousandths: the trip's succeeded payments (refunds counted apart).
    pub amount_paid: i64,
    pub payment_status: PaymentStatus,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn every_stored_spelling_is_the_domains() {
        for state in TripState::iter() {
            assert_eq!(TripState::from(ride::TripState::from(state)), state);
        }
        for status in PaymentStatus::iter() {
            assert_eq!(
                PaymentStatus::from(ride::PaymentStatus::from(status)),
                status
            );
        }
        for place in EndPlace::iter() {
            assert_eq!(EndPlace::from(ride::EndPlace::from(place)), place);
        }
        for by in EndedBy::iter() {
            assert_eq!(EndedBy::from(ride::EndedBy::from(by)), by);
        }
        assert_eq!(ride::TripState::ALL.len(), TripState::iter().count());
    }
}
