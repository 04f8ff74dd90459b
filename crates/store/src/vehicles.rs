//! Vehicles: registering, listing with where they are, history, decommissioning, moving to
//! another network.

use crate::entity::{
    cluster, fleet_alert, maintenance, maintenance_type, spot, station, stock, trip, vehicle,
    vehicle_event, vehicle_model, virtual_parking,
};
use crate::error::{Result, StoreError, conflict_on};
use crate::pagination::{Keyset, PageOf, SortDir};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeSet, HashMap};

/// A vehicle to register.
#[derive(Debug, Clone)]
pub struct NewVehicle {
    pub serial: String,
    pub network_id: i64,
    pub model_id: i64,
}

/// Where a vehicle stands.
#[derive(Debug, Clone, Default)]
pub struct Whereabouts {
    pub spot: Option<spot::Model>,
    pub station: Option<station::Model>,
    pub cluster: Option<cluster::Model>,
    pub virtual_parking: Option<virtual_parking::Model>,
    pub stock: Option<stock::Model>,
}

/// A vehicle with its model and where it stands.
#[derive(Debug, Clone)]
pub struct VehicleRow {
    pub vehicle: vehicle::Model,
    pub model: Option<vehicle_model::Model>,
    pub whereabouts: Whereabouts,
}

/// The vehicle `id`.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<vehicle::Model> {
    vehicle::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "vehicle" })
}

/// Register a vehicle in an open network; the serial is unique and the model must exist.
pub async fn register(db: &DatabaseConnection, new: NewVehicle) -> Result<vehicle::Model> {
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    crate::networks::open(db, new.network_id).await?;
    if vehicle_model::Entity::find_by_id(new.model_id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(StoreError::Missing {
            entity: "vehicle model",
            field: "model_id",
        });
    }
    if vehicle::Entity::find()
        .filter(vehicle::Column::Serial.eq(new.serial.clone()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(StoreError::Conflict { field: "serial" });
    }
    let vehicle = vehicle::ActiveModel {
        serial: Set(new.serial),
        network_id: Set(new.network_id),
        model_id: Set(new.model_id),
        created_at: Set(Utc::now()),
        status: Set("available".into()),
        locked: Set(true),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on("serial"))?;
    crate::network_counters::add(
        db,
        vehicle.network_id,
        crate::network_counters::Counts::vehicles(1),
    )
    .await?;
    txn.commit().await?;
    Ok(vehicle)
}

/// A page of the vehicles of `networks`, in service or decommissioned, by serial, with their
/// model and where they stand.
pub async fn list(
    db: &DatabaseConnection,
    within: &crate::Within,
    decommissioned: bool,
    keyset: &Keyset,
) -> Result<PageOf<VehicleRow>> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let mut query = vehicle::Entity::find().filter(within.condition_with(
        vehicle::Column::NetworkId,
        |clusters| {
            sea_orm::Condition::all().add(
                Expr::col((vehicle::Entity, vehicle::Column::Id))
                    .in_subquery(crate::within::in_clusters::vehicles(clusters)),
            )
        },
    ));
    query = if decommissioned {
        query.filter(vehicle::Column::DecommissionedAt.is_not_null())
    } else {
        query.filter(vehicle::Column::DecommissionedAt.is_null())
    };
    // Serials are unique: the id never breaks a tie, and ascending it lets the
    // `(network_id, serial, id)` index give the page's order.
    let keyset = Keyset {
        primary_key_dir: SortDir::Asc,
        ..*keyset
    };
    let page = keyset
        .fetch(
            db,
            query,
            vehicle::Column::Id,
            Some((vehicle::Column::Serial, SortDir::Asc)),
        )
        .await?;
    let has_more = page.has_more;
    Ok(PageOf {
        items: rows(db, page.items).await?,
        has_more,
    })
}

/// The vehicle `id` with its model and where it stands.
pub async fn detail(db: &impl ConnectionTrait, id: i64) -> Result<VehicleRow> {
    let vehicle = get(db, id).await?;
    Ok(rows(db, vec![vehicle]).await?.remove(0))
}

async fn rows(db: &impl ConnectionTrait, vehicles: Vec<vehicle::Model>) -> Result<Vec<VehicleRow>> {
    use crate::map_by_ids;
    let models = map_by_ids::<vehicle_model::Entity>(
        db,
        vehicle_model::Column::Id,
        vehicles.iter().map(|v| v.model_id),
        |m| m.id,
    )
    .await?;
    let spots = map_by_ids::<spot::Entity>(
        db,
        spot::Column::Id,
        vehicles.iter().filter_map(|v| v.spot_id),
        |m| m.id,
    )
    .await?;
    let stations = map_by_ids::<station::Entity>(
        db,
        station::Column::Id,
        spots.values().map(|s| s.station_id),
        |m| m.id,
    )
    .await?;
    let parkings = map_by_ids::<virtual_parking::Entity>(
        db,
        virtual_parking::Column::Id,
        vehicles.iter().filter_map(|v| v.virtual_parking_id),
        |m| m.id,
    )
    .await?;
    let clusters = map_by_ids::<cluster::Entity>(
        db,
        cluster::Column::Id,
        stations
            .values()
            .map(|s| s.cluster_id)
            .chain(parkings.values().filter_map(|p| p.cluster_id)),
        |m| m.id,
    )
    .await?;
    let stocks = map_by_ids::<stock::Entity>(
        db,
        stock::Column::Id,
        vehicles.iter().filter_map(|v| v.stock_id),
        |m| m.id,
    )
    .await?;
    Ok(vehicles
        .into_iter()
        .map(|vehicle| {
            let spot = vehicle.spot_id.and_then(|id| spots.get(&id).cloned());
            let station = spot
                .as_ref()
                .and_then(|s| stations.get(&s.station_id).cloned());
            let virtual_parking = vehicle
                .virtual_parking_id
                .and_then(|id| parkings.get(&id).cloned());
            let cluster_id = station
                .as_ref()
                .map(|s| s.cluster_id)
                .or_else(|| virtual_parking.as_ref().and_then(|p| p.cluster_id));
            VehicleRow {
                model: models.get(&vehicle.model_id).cloned(),
                whereabouts: Whereabouts {
                    cluster: cluster_id.and_then(|id| clusters.get(&id).cloned()),
                    spot,
                    station,
                    virtual_parking,
                    stock: vehicle.stock_id.and_then(|id| stocks.get(&id).cloned()),
                },
                vehicle,
            }
        })
        .collect())
}

/// Which of `serials` are registered (decommissioned vehicles included), in the order given.
pub async fn used_serials(db: &impl ConnectionTrait, serials: &[String]) -> Result<Vec<String>> {
    let used: BTreeSet<String> = vehicle::Entity::find()
        .filter(vehicle::Column::Serial.is_in(serials.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|v| v.serial)
        .collect();
    Ok(serials
        .iter()
        .filter(|s| used.contains(*s))
        .cloned()
        .collect())
}

/// The figures of a vehicle.
#[derive(Debug, Clone)]
pub struct Statistic {
    pub trip_count: u64,
    pub finished_trip_count: u64,
    pub total_trip_duration: i64,
    pub average_trip_duration: Option<i64>,
    pub days_in_service: i64,
    pub maintenance_count: u64,
    pub open_maintenance_count: u64,
    pub alert_count: u64,
    pub open_alert_count: u64,
}

/// Trips, maintenances and alerts of the vehicle `id`, and its days in service: counted and
/// summed by the database (one aggregate per table on its `vehicle_id` index), not loaded.
pub async fn statistic(db: &impl ConnectionTrait, id: i64) -> Result<Statistic> {
    let vehicle = get(db, id).await?;
    // Whole seconds of each finished trip, truncated as chrono's `num_seconds` does; SQLite
    // has no interval type, so its julian days are rounded to the millisecond first.
    let seconds = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "CAST(TRUNC(EXTRACT(EPOCH FROM (ended_at - started_at))) AS BIGINT)"
        }
        _ => {
            "(CAST(ROUND((julianday(ended_at) - julianday(started_at)) * 86400000.0) AS INTEGER) / 1000)"
        }
    };
    let (trip_count, finished, total) = aggregate(
        db,
        &format!(
            "COUNT(*), COUNT(ended_at), CAST(COALESCE(SUM({seconds}), 0) AS BIGINT) FROM trips"
        ),
        id,
    )
    .await?;
    let (maintenance_count, open_maintenances, _) = aggregate(
        db,
        "COUNT(*), COUNT(*) - COUNT(closed_at), CAST(0 AS BIGINT) FROM maintenances",
        id,
    )
    .await?;
    let (alert_count, open_alerts, _) = aggregate(
        db,
        "COUNT(*), COUNT(*) - COUNT(resolved_at), CAST(0 AS BIGINT) FROM fleet_alerts",
        id,
    )
    .await?;
    let end = vehicle.decommissioned_at.unwrap_or_else(Utc::now);
    let n = |v: i64| v.max(0) as u64;
    Ok(Statistic {
        trip_count: n(trip_count),
        finished_trip_count: n(finished),
        total_trip_duration: total,
        average_trip_duration: (finished > 0).then(|| total / finished),
        days_in_service: (end - vehicle.created_at).num_days().max(0),
        maintenance_count: n(maintenance_count),
        open_maintenance_count: n(open_maintenances),
        alert_count: n(alert_count),
        open_alert_count: n(open_alerts),
    })
}

/// Three figures `SELECT {figures_from} WHERE vehicle_id = id`: `figures_from` is a fixed
/// text of this module (three integer expressions and a table), never input.
async fn aggregate(
    db: &impl ConnectionTrait,
    figures_from: &str,
    id: i64,
) -> Result<(i64, i64, i64)> {
    let backend = db.get_database_backend();
    let placeholder = match backend {
        sea_orm::DbBackend::Postgres => "$1",
        _ => "?",
    };
    let sql = format!("SELECT {figures_from} WHERE vehicle_id = {placeholder}");
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [id.into()],
        ))
        .await?
        .ok_or_else(|| StoreError::Db(sea_orm::DbErr::RecordNotFound("aggregate".into())))?;
    let cast = |i: usize| -> Result<i64> { Ok(row.try_get_by_index::<i64>(i)?) };
    Ok((cast(0)?, cast(1)?, cast(2)?))
}

/// One entry of a vehicle's timeline.
#[derive(Debug, Clone)]
pub enum TimelineItem {
    Event(vehicle_event::Model),
    Trip(trip::Model),
    Maintenance(maintenance::Model, Option<maintenance_type::Model>),
}

impl TimelineItem {
    /// The date the entry is placed at: an event's date, a trip's start, a maintenance's opening.
    pub fn date(&self) -> DateTime<Utc> {
        match self {
            TimelineItem::Event(e) => e.created_at,
            TimelineItem::Trip(t) => t.started_at,
            TimelineItem::Maintenance(m, _) => m.opened_at,
        }
    }

    fn rank(&self) -> (DateTime<Utc>, u8, i64) {
        match self {
            TimelineItem::Event(e) => (e.created_at, 0, e.id),
            TimelineItem::Trip(t) => (t.started_at, 1, t.id),
            TimelineItem::Maintenance(m, _) => (m.opened_at, 2, m.id),
        }
    }
}

/// The `limit` newest entries of the vehicle's timeline strictly before `before` (events, trips
/// and maintenances merged, newest first), and whether older ones remain.
pub async fn timeline(
    db: &impl ConnectionTrait,
    id: i64,
    before: Option<DateTime<Utc>>,
    limit: u64,
) -> Result<(Vec<TimelineItem>, bool)> {
    let mut events = vehicle_event::Entity::find().filter(vehicle_event::Column::VehicleId.eq(id));
    let mut trips = trip::Entity::find().filter(trip::Column::VehicleId.eq(id));
    let mut maintenances =
        maintenance::Entity::find().filter(maintenance::Column::VehicleId.eq(id));
    if let Some(before) = before {
        events = events.filter(vehicle_event::Column::CreatedAt.lt(before));
        trips = trips.filter(trip::Column::StartedAt.lt(before));
        maintenances = maintenances.filter(maintenance::Column::OpenedAt.lt(before));
    }
    let take = limit + 1;
    let mut items: Vec<TimelineItem> = Vec::new();
    items.extend(
        events
            .order_by_desc(vehicle_event::Column::CreatedAt)
            .limit(take)
            .all(db)
            .await?
            .into_iter()
            .map(TimelineItem::Event),
    );
    items.extend(
        trips
            .order_by_desc(trip::Column::StartedAt)
            .limit(take)
            .all(db)
            .await?
            .into_iter()
            .map(TimelineItem::Trip),
    );
    let maintenances = maintenances
        .order_by_desc(maintenance::Column::OpenedAt)
        .limit(take)
        .all(db)
        .await?;
    let types = types_of(db, &maintenances).await?;
    items.extend(maintenances.into_iter().map(|m| {
        let kind = types.get(&m.type_id).cloned();
        TimelineItem::Maintenance(m, kind)
    }));
    items.sort_by_key(|item| std::cmp::Reverse(item.rank()));
    let more = items.len() as u64 > limit;
    // A page never cuts between entries of one date: the next page starts strictly before it.
    let cut = if more {
        let next = items[limit as usize].date();
        let first_of_date = items.iter().position(|i| i.date() == next).unwrap_or(0);
        if first_of_date > 0 {
            first_of_date
        } else {
            limit as usize
        }
    } else {
        items.len()
    };
    items.truncate(cut);
    Ok((items, more))
}

async fn types_of(
    db: &impl ConnectionTrait,
    maintenances: &[maintenance::Model],
) -> Result<HashMap<i64, maintenance_type::Model>> {
    let ids: BTreeSet<i64> = maintenances.iter().map(|m| m.type_id).collect();
    Ok(maintenance_type::Entity::find()
        .filter(maintenance_type::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

/// A page of the maintenances of the vehicle (open or closed), with their type.
pub async fn maintenances(
    db: &DatabaseConnection,
    id: i64,
    keyset: &Keyset,
) -> Result<PageOf<(maintenance::Model, Option<maintenance_type::Model>)>> {
    let page = keyset
        .fetch(
            db,
            maintenance::Entity::find().filter(maintenance::Column::VehicleId.eq(id)),
            maintenance::Column::Id,
            None,
        )
        .await?;
    let types = types_of(db, &page.items).await?;
    Ok(page.map(|m| {
        let kind = types.get(&m.type_id).cloned();
        (m, kind)
    }))
}

/// A page of the alerts of the vehicle not resolved yet.
pub async fn open_alerts(
    db: &DatabaseConnection,
    id: i64,
    keyset: &Keyset,
) -> Result<PageOf<fleet_alert::Model>> {
    Ok(keyset
        .fetch(
            db,
            fleet_alert::Entity::find()
                .filter(fleet_alert::Column::VehicleId.eq(id))
                .filter(fleet_alert::Column::ResolvedAt.is_null()),
            fleet_alert::Column::Id,
            None,
        )
        .await?)
}

/// How a vehicle leaves the fleet.
#[derive(Debug, Clone)]
pub struct Decommission {
    pub reason: String,
    pub comment: Option<String>,
    /// Ten-thousandths of the network's currency.
    pub amount: Option<i64>,
}

/// Free the spot holding the vehicle and take it out of its parking and stock.
async fn release(db: &impl ConnectionTrait, vehicle: &vehicle::Model) -> Result<()> {
    spot::Entity::update_many()
        .col_expr(spot::Column::VehicleId, Expr::value(Option::<i64>::None))
        .col_expr(spot::Column::Occupied, Expr::value(false))
        .filter(spot::Column::VehicleId.eq(vehicle.id))
        .exec(db)
        .await?;
    Ok(())
}

async fn event(
    db: &impl ConnectionTrait,
    vehicle: &vehicle::Model,
    kind: &str,
    payload: serde_json::Value,
) -> Result<()> {
    vehicle_event::ActiveModel {
        vehicle_id: Set(vehicle.id),
        kind: Set(kind.into()),
        payload: Set(payload.to_string()),
        latitude: Set(vehicle.latitude),
        longitude: Set(vehicle.longitude),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Take the vehicle out of the fleet for good: it leaves its spot, parking and stock.
pub async fn decommission(
    db: &DatabaseConnection,
    id: i64,
    how: Decommission,
) -> Result<vehicle::Model> {
    let txn = crate::db::begin_write(db).await?;
    let vehicle = get(&txn, id).await?;
    if vehicle.decommissioned_at.is_some() {
        return Err(StoreError::Rule(format!(
            "vehicle {id} is already decommissioned"
        )));
    }
    crate::networks::open(&txn, vehicle.network_id).await?;
    release(&txn, &vehicle).await?;
    event(
        &txn,
        &vehicle,
        "decommissioned",
        serde_json::json!({"reason": how.reason, "comment": how.comment}),
    )
    .await?;
    let mut active = vehicle.into_active_model();
    active.decommissioned_at = Set(Some(Utc::now()));
    active.status = Set("decommissioned".into());
    active.spot_id = Set(None);
    active.virtual_parking_id = Set(None);
    active.stock_id = Set(None);
    active.decommission_reason = Set(Some(how.reason));
    active.decommission_comment = Set(how.comment);
    active.decommission_amount = Set(how.amount);
    let updated = active.update(&txn).await?;
    crate::network_counters::add(
        &txn,
        updated.network_id,
        crate::network_counters::Counts::vehicles(-1),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Move a vehicle in service to another open network; it leaves its spot, parking and stock.
pub async fn change_network(
    db: &DatabaseConnection,
    id: i64,
    network_id: i64,
) -> Result<vehicle::Model> {
    let txn = crate::db::begin_write(db).await?;
    let vehicle = get(&txn, id).await?;
    if vehicle.decommissioned_at.is_some() {
        return Err(StoreError::Rule(format!(
            "vehicle {id} is decommissioned: it cannot change network"
        )));
    }
    crate::networks::open(&txn, vehicle.network_id).await?;
    crate::networks::open(&txn, network_id)
        .await
        .map_err(|err| match err {
            StoreError::NotFound { entity } => StoreError::Missing {
                entity,
                field: "network_id",
            },
            other => other,
        })?;
    if vehicle.network_id == network_id {
        return Err(StoreError::Rule(format!(
            "vehicle {id} is already in network {network_id}"
        )));
    }
    release(&txn, &vehicle).await?;
    event(
        &txn,
        &vehicle,
        "network-changed",
        serde_json::json!({"from": vehicle.network_id, "to": network_id}),
    )
    .await?;
    let from = vehicle.network_id;
    let mut active = vehicle.into_active_model();
    active.network_id = Set(network_id);
    active.spot_id = Set(None);
    active.virtual_parking_id = Set(None);
    active.stock_id = Set(None);
    let updated = active.update(&txn).await?;
    crate::network_counters::add(&txn, from, crate::network_counters::Counts::vehicles(-1)).await?;
    crate::network_counters::add(
        &txn,
        network_id,
        crate::network_counters::Counts::vehicles(1),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
