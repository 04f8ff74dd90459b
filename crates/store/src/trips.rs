//! Trips (grown by the trips work): recorded with the network's trip counter in step.

use crate::entity::trip;
use crate::error::Result;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

/// A trip to record.
#[derive(Debug, Clone)]
pub struct NewTrip {
    pub network_id: i64,
    pub vehicle_id: Option<i64>,
    pub user_id: Option<i64>,
    pub start_cluster_id: Option<i64>,
    pub end_cluster_id: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Record a trip, counted in its network's indicators in the same transaction.
pub async fn record(db: &DatabaseConnection, new: NewTrip) -> Result<trip::Model> {
    let txn = crate::db::begin_write(db).await?;
    let trip = trip::ActiveModel {
        network_id: Set(new.network_id),
        vehicle_id: Set(new.vehicle_id),
        user_id: Set(new.user_id),
        start_cluster_id: Set(new.start_cluster_id),
        end_cluster_id: Set(new.end_cluster_id),
        started_at: Set(new.started_at),
        ended_at: Set(new.ended_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let one = crate::network_counters::Counts::trips(1);
    crate::network_counters::add(&txn, trip.network_id, one).await?;
    txn.commit().await?;
    Ok(trip)
}
