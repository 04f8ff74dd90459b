//! Trips: recorded with the counters they move in step (the network's trips, the rider's
//! trip count, membership and last activity).

use crate::entity::trip::{self, EndPlace, PaymentStatus, TripState};
use crate::entity::{
    cluster, network, price_breakdown, trip_event, trip_pause, trip_route, user, vehicle,
    vehicle_model,
};
use crate::error::Result;
use chrono::{DateTime, Utc};
use relais_domain::money;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
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

/// A trip with what it refers to, named, and what hangs off it: for "Get trip detail".
#[derive(Debug, Clone)]
pub struct TripDetail {
    pub trip: trip::Model,
    /// The network's currency, which the trip's amounts are in.
    pub currency: String,
    pub email: Option<String>,
    pub serial: Option<String>,
    pub model_name: Option<String>,
    pub start_cluster_name: Option<String>,
    pub end_cluster_name: Option<String>,
    pub pauses: Vec<trip_pause::Model>,
    pub events: Vec<trip_event::Model>,
    pub route: Option<trip_route::Model>,
    /// The stored breakdown's lines (JSON), once priced.
    pub breakdown: Option<String>,
}

/// The trip `id` and what hangs off it, or `NotFound`: primary-key and `trip_id` reads only.
pub async fn detail(db: &DatabaseConnection, id: i64) -> Result<TripDetail> {
    let trip = trip::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(crate::StoreError::NotFound { entity: "trip" })?;
    let currency = network::Entity::find_by_id(trip.network_id)
        .select_only()
        .column(network::Column::Currency)
        .into_tuple::<String>()
        .one(db)
        .await?
        .unwrap_or_default();
    let email = match trip.user_id {
        Some(id) => {
            user::Entity::find_by_id(id)
                .select_only()
                .column(user::Column::Email)
                .into_tuple::<String>()
                .one(db)
                .await?
        }
        None => None,
    };
    let serial = match trip.vehicle_id {
        Some(id) => {
            vehicle::Entity::find_by_id(id)
                .select_only()
                .column(vehicle::Column::Serial)
                .into_tuple::<String>()
                .one(db)
                .await?
        }
        None => None,
    };
    let model_name = match trip.vehicle_model_id {
        Some(id) => {
            vehicle_model::Entity::find_by_id(id)
                .select_only()
                .column(vehicle_model::Column::Name)
                .into_tuple::<String>()
                .one(db)
                .await?
        }
        None => None,
    };
    let clusters = crate::map_by_ids::<cluster::Entity>(
        db,
        cluster::Column::Id,
        trip.start_cluster_id.into_iter().chain(trip.end_cluster_id),
        |c| c.id,
    )
    .await?;
    let name_of = |id: Option<i64>| id.and_then(|id| clusters.get(&id)).map(|c| c.name.clone());
    let pauses = trip_pause::Entity::find()
        .filter(trip_pause::Column::TripId.eq(id))
        .order_by_asc(trip_pause::Column::Id)
        .all(db)
        .await?;
    let events = trip_event::Entity::find()
        .filter(trip_event::Column::TripId.eq(id))
        .order_by_asc(trip_event::Column::Id)
        .all(db)
        .await?;
    let route = trip_route::Entity::find_by_id(id).one(db).await?;
    let breakdown = match trip.price_breakdown_id {
        Some(b) => price_breakdown::Entity::find_by_id(b)
            .one(db)
            .await?
            .map(|b| b.lines),
        None => None,
    };
    Ok(TripDetail {
        start_cluster_name: name_of(trip.start_cluster_id),
        end_cluster_name: name_of(trip.end_cluster_id),
        trip,
        currency,
        email,
        serial,
        model_name,
        pauses,
        events,
        route,
        breakdown,
    })
}
