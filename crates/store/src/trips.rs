//! Trips: recorded with the counters they move in step (the network's trips, the rider's
//! trip count, membership and last activity).

use crate::entity::trip::{self, EndPlace, PaymentStatus, TripState};
use crate::entity::{
    cluster, network, price_breakdown, transaction, trip_event, trip_pause, trip_route,
    unlock_request, user, vehicle, vehicle_model,
};
use crate::error::Result;
use crate::pagination::{Keyset, PageOf, SortDir};
use crate::text::contains_ignoring_case;
use chrono::{DateTime, Utc};
use relais_domain::money;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
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
    pub item: TripItem,
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
    let breakdown_id = trip.price_breakdown_id;
    let item = named(db, vec![trip]).await?.pop().expect("one trip named");
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
    let breakdown = match breakdown_id {
        Some(b) => price_breakdown::Entity::find_by_id(b)
            .one(db)
            .await?
            .map(|b| b.lines),
        None => None,
    };
    Ok(TripDetail {
        item,
        pauses,
        events,
        route,
        breakdown,
    })
}

/// The sorts of "Get trips".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripSort {
    StartDate,
    /// Trips with an end only: an open trip has none to compare.
    EndDate,
    /// Trips with an end only, as for `EndDate`.
    Duration,
    Distance,
}

/// The filters of "Get trips"; every one optional but the networks. Bounds are included.
#[derive(Debug, Clone, Default)]
pub struct TripFilter {
    pub networks: Vec<i64>,
    pub states: Vec<TripState>,
    pub started_from: Option<DateTime<Utc>>,
    pub started_to: Option<DateTime<Utc>>,
    pub ended_from: Option<DateTime<Utc>>,
    pub ended_to: Option<DateTime<Utc>>,
    pub id_min: Option<i64>,
    pub id_max: Option<i64>,
    /// A part of the vehicle's serial, without regard to case.
    pub serial: Option<String>,
    /// A part of the model's name, without regard to case.
    pub model_name: Option<String>,
    pub demo: Option<bool>,
    /// A part of the rider's email, without regard to case.
    pub email: Option<String>,
    pub user_id: Option<i64>,
    pub start_cluster_id: Option<i64>,
    pub end_cluster_id: Option<i64>,
    /// A part of the starting cluster's name, without regard to case.
    pub start_cluster_name: Option<String>,
    pub end_cluster_name: Option<String>,
    pub duration_min: Option<i64>,
    pub duration_max: Option<i64>,
    pub distance_min: Option<i64>,
    pub distance_max: Option<i64>,
}

impl TripFilter {
    /// The filters the list's order serves (networks, ids, a bound of the sorted column), and
    /// apart from them those an index of their own serves, out of the list's order (see
    /// `Keyset::fetch_narrowed`): the other bounds, the ids of the rider, vehicle, model and
    /// clusters, and the parts of texts, each found in its own small table first.
    fn conditions(
        &self,
        backend: DbBackend,
        sorted: trip::Column,
    ) -> (Condition, Option<Condition>) {
        use trip::Column as C;
        let mut base = Condition::all().add(C::NetworkId.is_in(self.networks.iter().copied()));
        if let Some(min) = self.id_min {
            base = base.add(C::Id.gte(min));
        }
        if let Some(max) = self.id_max {
            base = base.add(C::Id.lte(max));
        }
        if matches!(sorted, C::EndedAt | C::Duration) {
            base = base.add(sorted.is_not_null());
        }
        let mut narrowing: Vec<Condition> = Vec::new();
        let bounds = [
            (C::StartedAt, self.started_from.map(|v| C::StartedAt.gte(v))),
            (C::StartedAt, self.started_to.map(|v| C::StartedAt.lte(v))),
            (C::EndedAt, self.ended_from.map(|v| C::EndedAt.gte(v))),
            (C::EndedAt, self.ended_to.map(|v| C::EndedAt.lte(v))),
            (C::Duration, self.duration_min.map(|v| C::Duration.gte(v))),
            (C::Duration, self.duration_max.map(|v| C::Duration.lte(v))),
            (C::Distance, self.distance_min.map(|v| C::Distance.gte(v))),
            (C::Distance, self.distance_max.map(|v| C::Distance.lte(v))),
        ];
        base = crate::pagination::place_bounds(sorted, bounds, base, &mut narrowing);
        let mut narrow = |c: SimpleExpr| narrowing.push(Condition::all().add(c));
        if !self.states.is_empty() {
            narrow(C::State.is_in(self.states.iter().copied()));
        }
        if let Some(demo) = self.demo {
            narrow(C::Demo.eq(demo));
        }
        if let Some(id) = self.user_id {
            narrow(C::UserId.eq(id));
        }
        if let Some(id) = self.start_cluster_id {
            narrow(C::StartClusterId.eq(id));
        }
        if let Some(id) = self.end_cluster_id {
            narrow(C::EndClusterId.eq(id));
        }
        if let Some(email) = &self.email {
            narrow(
                C::UserId.in_subquery(
                    Query::select()
                        .column(user::Column::Id)
                        .from(user::Entity)
                        .cond_where(crate::users::emails_containing(backend, email))
                        .to_owned(),
                ),
            );
        }
        if let Some(serial) = &self.serial {
            narrow(
                C::VehicleId.in_subquery(
                    Query::select()
                        .column(vehicle::Column::Id)
                        .from(vehicle::Entity)
                        .and_where(vehicle::Column::NetworkId.is_in(self.networks.iter().copied()))
                        .and_where(contains_ignoring_case(vehicle::Column::Serial, serial))
                        .to_owned(),
                ),
            );
        }
        if let Some(name) = &self.model_name {
            narrow(
                C::VehicleModelId.in_subquery(
                    Query::select()
                        .column(vehicle_model::Column::Id)
                        .from(vehicle_model::Entity)
                        .and_where(contains_ignoring_case(vehicle_model::Column::Name, name))
                        .to_owned(),
                ),
            );
        }
        for (column, name) in [
            (C::StartClusterId, &self.start_cluster_name),
            (C::EndClusterId, &self.end_cluster_name),
        ] {
            if let Some(name) = name {
                narrow(
                    column.in_subquery(
                        Query::select()
                            .column(cluster::Column::Id)
                            .from(cluster::Entity)
                            .and_where(
                                cluster::Column::NetworkId.is_in(self.networks.iter().copied()),
                            )
                            .and_where(contains_ignoring_case(cluster::Column::Name, name))
                            .to_owned(),
                    ),
                );
            }
        }
        let narrowed = (!narrowing.is_empty())
            .then(|| narrowing.into_iter().fold(Condition::all(), Condition::add));
        (base, narrowed)
    }
}

/// A trip in a list, with what it refers to named.
#[derive(Debug, Clone)]
pub struct TripItem {
    pub trip: trip::Model,
    pub currency: String,
    pub email: Option<String>,
    pub serial: Option<String>,
    pub model_name: Option<String>,
    pub start_cluster_name: Option<String>,
    pub end_cluster_name: Option<String>,
}

/// A page of trips under `filter`, by id or by `sort` then id; names read in one query per
/// table for the whole page.
pub async fn list(
    db: &DatabaseConnection,
    filter: &TripFilter,
    keyset: &Keyset,
    sort: Option<(TripSort, SortDir)>,
) -> Result<PageOf<TripItem>> {
    let sort = sort.map(|(by, dir)| {
        let column = match by {
            TripSort::StartDate => trip::Column::StartedAt,
            TripSort::EndDate => trip::Column::EndedAt,
            TripSort::Duration => trip::Column::Duration,
            TripSort::Distance => trip::Column::Distance,
        };
        (column, dir)
    });
    let sorted = sort.map_or(trip::Column::Id, |(column, _)| column);
    let (base, narrowing) = filter.conditions(db.get_database_backend(), sorted);
    let page = keyset
        .fetch_narrowed(
            db,
            trip::Entity::find().filter(base),
            narrowing,
            trip::Column::Id,
            sort,
        )
        .await?;
    let has_more = page.has_more;
    Ok(PageOf {
        items: named(db, page.items).await?,
        has_more,
    })
}

/// `trips` with what they refer to named: one query per table for them all, never per trip.
async fn named(db: &DatabaseConnection, trips: Vec<trip::Model>) -> Result<Vec<TripItem>> {
    let users = crate::map_by_ids::<user::Entity>(
        db,
        user::Column::Id,
        trips.iter().filter_map(|t| t.user_id),
        |u| u.id,
    )
    .await?;
    let vehicles = crate::map_by_ids::<vehicle::Entity>(
        db,
        vehicle::Column::Id,
        trips.iter().filter_map(|t| t.vehicle_id),
        |v| v.id,
    )
    .await?;
    let models = crate::map_by_ids::<vehicle_model::Entity>(
        db,
        vehicle_model::Column::Id,
        trips.iter().filter_map(|t| t.vehicle_model_id),
        |m| m.id,
    )
    .await?;
    let clusters = crate::map_by_ids::<cluster::Entity>(
        db,
        cluster::Column::Id,
        trips
            .iter()
            .flat_map(|t| t.start_cluster_id.into_iter().chain(t.end_cluster_id)),
        |c| c.id,
    )
    .await?;
    let networks = crate::map_by_ids::<network::Entity>(
        db,
        network::Column::Id,
        trips.iter().map(|t| t.network_id),
        |n| n.id,
    )
    .await?;
    let cluster_name =
        |id: Option<i64>| id.and_then(|id| clusters.get(&id)).map(|c| c.name.clone());
    Ok(trips
        .into_iter()
        .map(|trip| TripItem {
            currency: networks
                .get(&trip.network_id)
                .map(|n| n.currency.clone())
                .unwrap_or_default(),
            email: trip
                .user_id
                .and_then(|id| users.get(&id))
                .map(|u| u.email.clone()),
            serial: trip
                .vehicle_id
                .and_then(|id| vehicles.get(&id))
                .map(|v| v.serial.clone()),
            model_name: trip
                .vehicle_model_id
                .and_then(|id| models.get(&id))
                .map(|m| m.name.clone()),
            start_cluster_name: cluster_name(trip.start_cluster_id),
            end_cluster_name: cluster_name(trip.end_cluster_id),
            trip,
        })
        .collect())
}

/// One of a rider's last actions ("Get user last actions").
#[derive(Debug, Clone)]
pub enum LastAction {
    /// A start refused by a rule, with the serial asked for or the vehicle's.
    UnlockRequest {
        request: unlock_request::Model,
        serial: Option<String>,
    },
    Trip(Box<TripItem>),
    Transaction(Box<transaction::Model>),
}

impl LastAction {
    /// When it happened: a trip at its request, a transaction when written.
    pub fn date(&self) -> DateTime<Utc> {
        match self {
            LastAction::UnlockRequest { request, .. } => request.at,
            LastAction::Trip(t) => t.trip.requested_at,
            LastAction::Transaction(t) => t.created_at,
        }
    }

    fn order_key(&self) -> (DateTime<Utc>, u8, i64) {
        match self {
            LastAction::UnlockRequest { request, .. } => (request.at, 0, request.id),
            LastAction::Trip(t) => (t.trip.requested_at, 1, t.trip.id),
            LastAction::Transaction(t) => (t.created_at, 2, t.id),
        }
    }
}

/// The rider's `limit` newest actions strictly before `before` (refused unlock requests,
/// trips, transactions), newest first, in `networks` (`None`: all, and requests of no known
/// network too). Each kind is read newest first on its `(user_id, id)` index, `limit + 1`
/// rows, ids being handed out in time order. An answer never cuts between actions of one
/// date: it stops before them, so that sending its oldest date back skips none.
pub async fn last_actions(
    db: &DatabaseConnection,
    user_id: i64,
    networks: Option<&[i64]>,
    before: Option<DateTime<Utc>>,
    limit: u64,
) -> Result<Vec<LastAction>> {
    let read = limit + 1;
    let mut requests = unlock_request::Entity::find()
        .filter(unlock_request::Column::UserId.eq(user_id))
        .order_by_desc(unlock_request::Column::Id)
        .limit(read);
    let mut trips = trip::Entity::find()
        .filter(trip::Column::UserId.eq(user_id))
        .order_by_desc(trip::Column::Id)
        .limit(read);
    let mut transactions = transaction::Entity::find()
        .filter(transaction::Column::UserId.eq(user_id))
        .order_by_desc(transaction::Column::Id)
        .limit(read);
    if let Some(networks) = networks {
        requests =
            requests.filter(unlock_request::Column::NetworkId.is_in(networks.iter().copied()));
        trips = trips.filter(trip::Column::NetworkId.is_in(networks.iter().copied()));
        transactions =
            transactions.filter(transaction::Column::NetworkId.is_in(networks.iter().copied()));
    }
    if let Some(before) = before {
        requests = requests.filter(unlock_request::Column::At.lt(before));
        trips = trips.filter(trip::Column::RequestedAt.lt(before));
        transactions = transactions.filter(transaction::Column::CreatedAt.lt(before));
    }
    let requests = requests.all(db).await?;
    let vehicles = crate::map_by_ids::<vehicle::Entity>(
        db,
        vehicle::Column::Id,
        requests.iter().filter_map(|r| r.vehicle_id),
        |v| v.id,
    )
    .await?;
    let mut actions: Vec<LastAction> = requests
        .into_iter()
        .map(|request| LastAction::UnlockRequest {
            serial: request
                .vehicle_id
                .and_then(|id| vehicles.get(&id))
                .map(|v| v.serial.clone())
                .or_else(|| request.serial.clone()),
            request,
        })
        .collect();
    actions.extend(
        named(db, trips.all(db).await?)
            .await?
            .into_iter()
            .map(|t| LastAction::Trip(Box::new(t))),
    );
    actions.extend(
        transactions
            .all(db)
            .await?
            .into_iter()
            .map(|t| LastAction::Transaction(Box::new(t))),
    );
    actions.sort_by_key(|a| std::cmp::Reverse(a.order_key()));
    let limit = limit as usize;
    if actions.len() > limit {
        let cut = actions[limit].date();
        let whole: Vec<LastAction> = actions
            .iter()
            .take(limit)
            .filter(|a| a.date() != cut)
            .cloned()
            .collect();
        // All of one date: answer that date whole (at most `limit + 1` of each kind).
        actions = if whole.is_empty() {
            actions.into_iter().filter(|a| a.date() == cut).collect()
        } else {
            whole
        };
    }
    Ok(actions)
}
