//! Stations: decommissioning a station with its spots, and its energy consumption per local day.

use crate::entity::{cluster, energy_reading, spot, station, vehicle};
use crate::error::{Result, StoreError};
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

/// The station `id` with its cluster (whose network gives the scope).
pub async fn with_cluster(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<(station::Model, cluster::Model)> {
    let station = station::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "station" })?;
    let cluster = cluster::Entity::find_by_id(station.cluster_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "cluster" })?;
    Ok((station, cluster))
}

/// What decommissioning a station did.
#[derive(Debug, Clone, Default)]
pub struct Decommissioned {
    /// The spots decommissioned with it.
    pub spots: u64,
    /// The vehicles released from those spots.
    pub released_vehicles: Vec<i64>,
}

/// Decommission station `id` and its spots at `at`, releasing the vehicles still in them; its
/// network must be open, and a station decommissioned already is refused.
pub async fn decommission(
    db: &DatabaseConnection,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Decommissioned> {
    let txn = crate::db::begin_write(db).await?;
    let (station, cluster) = with_cluster(&txn, id).await?;
    crate::networks::open(&txn, cluster.network_id).await?;
    if station.decommissioned_at.is_some() {
        return Err(StoreError::Rule(format!(
            "station {id} is decommissioned already"
        )));
    }
    let spots = spot::Entity::find()
        .filter(spot::Column::StationId.eq(id))
        .all(&txn)
        .await?;
    let spot_ids: Vec<i64> = spots.iter().map(|s| s.id).collect();
    let mut released: Vec<i64> = spots.iter().filter_map(|s| s.vehicle_id).collect();
    // A vehicle may point at a spot that does not point back; release those too.
    if !spot_ids.is_empty() {
        for v in vehicle::Entity::find()
            .filter(vehicle::Column::SpotId.is_in(spot_ids.clone()))
            .all(&txn)
            .await?
        {
            if !released.contains(&v.id) {
                released.push(v.id);
            }
        }
        released.sort_unstable();
        vehicle::Entity::update_many()
            .col_expr(vehicle::Column::SpotId, Expr::value(Option::<i64>::None))
            .filter(vehicle::Column::SpotId.is_in(spot_ids.clone()))
            .exec(&txn)
            .await?;
        spot::Entity::update_many()
            .col_expr(spot::Column::VehicleId, Expr::value(Option::<i64>::None))
            .col_expr(spot::Column::Occupied, Expr::value(false))
            .filter(spot::Column::Id.is_in(spot_ids.clone()))
            .exec(&txn)
            .await?;
        spot::Entity::update_many()
            .col_expr(spot::Column::DecommissionedAt, Expr::value(at))
            .filter(spot::Column::Id.is_in(spot_ids))
            .filter(spot::Column::DecommissionedAt.is_null())
            .exec(&txn)
            .await?;
    }
    station::ActiveModel {
        id: Set(id),
        decommissioned_at: Set(Some(at)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let gone = crate::network_counters::Counts::stations(-1);
    crate::network_counters::add(&txn, cluster.network_id, gone).await?;
    txn.commit().await?;
    Ok(Decommissioned {
        spots: spots.len() as u64,
        released_vehicles: released,
    })
}

/// The energy of one local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayEnergy {
    pub date: NaiveDate,
    pub energy_wh: i64,
}

/// The energy used by station `id` on each local day of `zone` from `start` to `end` (both
/// included): each reading counts on the local day of its `measured_at` (the end of the
/// interval it covers). Days without readings are 0. The station must exist.
pub async fn energy_per_day<Tz: TimeZone>(
    db: &impl ConnectionTrait,
    id: i64,
    start: NaiveDate,
    end: NaiveDate,
    zone: &Tz,
) -> Result<Vec<DayEnergy>> {
    with_cluster(db, id).await?;
    let from = local_midnight(start, zone);
    let until = local_midnight(end + Days::new(1), zone);
    let readings = energy_reading::Entity::find()
        .filter(energy_reading::Column::StationId.eq(id))
        .filter(energy_reading::Column::MeasuredAt.gte(from))
        .filter(energy_reading::Column::MeasuredAt.lt(until))
        .order_by_asc(energy_reading::Column::MeasuredAt)
        .all(db)
        .await?;
    let mut days: Vec<DayEnergy> = start
        .iter_days()
        .take_while(|d| *d <= end)
        .map(|date| DayEnergy { date, energy_wh: 0 })
        .collect();
    for reading in readings {
        let date = reading.measured_at.with_timezone(zone).date_naive();
        if let Some(index) = date
            .signed_duration_since(start)
            .num_days()
            .try_into()
            .ok()
            .filter(|i: &usize| *i < days.len())
        {
            days[index].energy_wh = days[index].energy_wh.saturating_add(reading.energy_wh);
        }
    }
    Ok(days)
}

/// The first instant of local day `date` in `zone` (a day starting in a daylight-saving gap
/// starts at the first local time that exists).
fn local_midnight<Tz: TimeZone>(date: NaiveDate, zone: &Tz) -> DateTime<Utc> {
    let mut time = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    for _ in 0..240 {
        if let Some(instant) = zone.from_local_datetime(&time).earliest() {
            return instant.with_timezone(&Utc);
        }
        time += chrono::Duration::minutes(15);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}
