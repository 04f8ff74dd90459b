//! Trips: recorded with the counters they move in step (the network's trips, the rider's
//! trip count, membership and last activity).

use crate::entity::trip::{self, EndPlace, PaymentStatus, TripState};
use crate::entity::{user, vehicle};
use crate::error::Result;
use chrono::{DateTime, Utc};
use relais_domain::money;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
};

/// A trip to record as it happened (the demo, imports and tests; the ride engine writes its
/// trips through its own transitions).
#[derive(Debug, Clone, Default)]
pub struct NewTrip {
    pub network_id: i64,
    pub vehicle_id: Option<i64>,
    pub user_id: Option<i64>,
    pub start_cluster_id: Option<i64>,
    pub end_cluster_id: Option<i64>,
    pub started_at: DateTime<Utc>,
    /// None: the trip is still running.
    pub ended_at: Option<DateTime<Utc>>,
    /// Metres.
    pub distance: i64,
    pub demo: bool,
    pub end_place: Option<EndPlace>,
    /// The price, in the network's currency, once priced.
    pub price: Option<Decimal>,
}

/// Record a trip, counted in its network's indicators and in its rider's trips in the same
/// transaction. A trip with an end is `finished` (its duration the time between), one
/// without is `running`; its vehicle's model is the vehicle's at the start.
pub async fn record(db: &DatabaseConnection, new: NewTrip) -> Result<trip::Model> {
    let txn = crate::db::begin_write(db).await?;
    let model_id = match new.vehicle_id {
        Some(id) => {
            vehicle::Entity::find_by_id(id)
                .select_only()
                .column(vehicle::Column::ModelId)
                .into_tuple::<i64>()
                .one(&txn)
                .await?
        }
        None => None,
    };
    let finished = new.ended_at.is_some();
    let price_total = new
        .price
        .map(|p| {
            money::to_stored(p).ok_or(crate::StoreError::Invalid {
                field: "price",
                problem: "more than four decimals or too large".into(),
            })
        })
        .transpose()?;
    let trip = trip::ActiveModel {
        network_id: Set(new.network_id),
        vehicle_id: Set(new.vehicle_id),
        user_id: Set(new.user_id),
        start_cluster_id: Set(new.start_cluster_id),
        end_cluster_id: Set(new.end_cluster_id),
        started_at: Set(new.started_at),
        ended_at: Set(new.ended_at),
        state: Set(if finished {
            TripState::Finished
        } else {
            TripState::Running
        }),
        requested_at: Set(new.started_at),
        duration: Set(new.ended_at.map(|end| (end - new.started_at).num_seconds())),
        distance: Set(new.distance),
        vehicle_model_id: Set(model_id),
        demo: Set(new.demo),
        end_place: Set(new.end_place),
        price_total: Set(price_total),
        amount_paid: Set(0),
        payment_status: Set(match price_total {
            Some(0) => PaymentStatus::Free,
            Some(_) => PaymentStatus::Pending,
            None => PaymentStatus::None,
        }),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(user_id) = new.user_id {
        crate::users::join_network(&txn, user_id, new.network_id, new.started_at).await?;
        if finished {
            user::Entity::update_many()
                .col_expr(
                    user::Column::TripCount,
                    Expr::col(user::Column::TripCount).add(1),
                )
                .filter(user::Column::Id.eq(user_id))
                .exec(&txn)
                .await?;
        }
    }
    // Hot rows last (docs/design/ride.md §3.3).
    let one = crate::network_counters::Counts::trips(1);
    crate::network_counters::add(&txn, trip.network_id, one).await?;
    txn.commit().await?;
    Ok(trip)
}
