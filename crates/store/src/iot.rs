//! The statements of the IoT link's ingest (`relais-iot`): the live state of vehicles and
//! stations as their messages report it, vehicle events, energy readings and command acks.
//!
//! The ingest applies many messages a second, so each finder reads what a message needs in one
//! statement (a vehicle comes with its network's `zones_version`, a station with its network
//! and whether a power cut is open) and a station's spots are written with one statement per
//! kind of change whatever their number ([`apply_spots`]). The caller owns the transaction.
//! Alerts go through `fleet_alerts::raise` and commands through `network_vehicles::enqueue`,
//! like every other writer's.

use crate::entity::{
    cluster, energy_reading, network, spot, station, station_outage, trip, vehicle,
    vehicle_command, vehicle_event,
};
use crate::error::{Result, StoreError};
use crate::network_vehicles;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, CaseStatement, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, Set,
};

/// Kind of the station outage a station's `power_ok: false` opens.
pub const POWER_CUT: &str = "power-cut";

/// A vehicle in service as the ingest needs it, with its network's `zones_version`.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct LiveVehicle {
    pub id: i64,
    pub serial: String,
    pub network_id: i64,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub spot_id: Option<i64>,
    pub zones_version: i64,
}

fn vehicle_network() -> RelationDef {
    vehicle::Entity::belongs_to(network::Entity)
        .from(vehicle::Column::NetworkId)
        .to(network::Column::Id)
        .into()
}

/// The vehicle in service (not decommissioned) of serial `serial`, in one query.
pub async fn vehicle_by_serial(
    db: &impl ConnectionTrait,
    serial: &str,
) -> Result<Option<LiveVehicle>> {
    use vehicle::Column as V;
    Ok(vehicle::Entity::find()
        .select_only()
        .columns([
            V::Id,
            V::Serial,
            V::NetworkId,
            V::Latitude,
            V::Longitude,
            V::LastSeenAt,
            V::SpotId,
        ])
        .column(network::Column::ZonesVersion)
        .join(sea_orm::JoinType::InnerJoin, vehicle_network())
        .filter(V::Serial.eq(serial))
        .filter(V::DecommissionedAt.is_null())
        .into_model::<LiveVehicle>()
        .one(db)
        .await?)
}

/// The vehicles in service of these serials, with their network's `zones_version`, in one
/// query (for a batch of messages).
pub async fn vehicles_by_serials(
    db: &impl ConnectionTrait,
    serials: &[&str],
) -> Result<Vec<LiveVehicle>> {
    use vehicle::Column as V;
    if serials.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vehicle::Entity::find()
        .select_only()
        .columns([
            V::Id,
            V::Serial,
            V::NetworkId,
            V::Latitude,
            V::Longitude,
            V::LastSeenAt,
            V::SpotId,
        ])
        .column(network::Column::ZonesVersion)
        .join(sea_orm::JoinType::InnerJoin, vehicle_network())
        .filter(V::Serial.is_in(serials.iter().copied()))
        .filter(V::DecommissionedAt.is_null())
        .into_model::<LiveVehicle>()
        .all(db)
        .await?)
}

/// What a telemetry message sets on a vehicle; `None` leaves a field as it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Telemetry {
    pub latitude: f64,
    pub longitude: f64,
    pub battery: Option<i32>,
    pub locked: Option<bool>,
    pub speed: Option<f64>,
    pub seen_at: DateTime<Utc>,
}

/// Write a telemetry message on vehicle `vehicle_id`: one statement.
pub async fn update_live_state(
    db: &impl ConnectionTrait,
    vehicle_id: i64,
    t: &Telemetry,
) -> Result<()> {
    let mut row = vehicle::ActiveModel {
        latitude: Set(Some(t.latitude)),
        longitude: Set(Some(t.longitude)),
        last_seen_at: Set(Some(t.seen_at)),
        ..Default::default()
    };
    if let Some(b) = t.battery {
        row.battery = Set(Some(b));
    }
    if let Some(l) = t.locked {
        row.locked = Set(l);
    }
    if let Some(s) = t.speed {
        row.speed = Set(Some(s));
    }
    vehicle::Entity::update_many()
        .set(row)
        .filter(vehicle::Column::Id.eq(vehicle_id))
        .exec(db)
        .await?;
    Ok(())
}

impl Telemetry {
    /// This message followed by `next` for the same vehicle, as one.
    pub fn then(&mut self, next: &Telemetry) {
        self.latitude = next.latitude;
        self.longitude = next.longitude;
        self.seen_at = next.seen_at;
        self.battery = next.battery.or(self.battery);
        self.locked = next.locked.or(self.locked);
        self.speed = next.speed.or(self.speed);
    }
}

/// Vehicles written per statement by [`update_live_states`].
const LIVE_CHUNK: usize = 100;

/// Write the telemetry of several vehicles (one entry per vehicle): one statement per hundred.
pub async fn update_live_states(
    db: &impl ConnectionTrait,
    rows: &[(i64, Telemetry)],
) -> Result<()> {
    use vehicle::Column as V;
    for chunk in rows.chunks(LIVE_CHUNK) {
        let mut latitude = CaseStatement::new();
        let mut longitude = CaseStatement::new();
        let mut seen = CaseStatement::new();
        let (mut battery, mut locked, mut speed) = (None, None, None);
        for (id, t) in chunk {
            latitude = latitude.case(V::Id.eq(*id), Expr::value(t.latitude));
            longitude = longitude.case(V::Id.eq(*id), Expr::value(t.longitude));
            seen = seen.case(V::Id.eq(*id), Expr::value(t.seen_at));
            if let Some(b) = t.battery {
                battery = Some(
                    battery
                        .unwrap_or_else(CaseStatement::new)
                        .case(V::Id.eq(*id), Expr::value(b)),
                );
            }
            if let Some(l) = t.locked {
                locked = Some(
                    locked
                        .unwrap_or_else(CaseStatement::new)
                        .case(V::Id.eq(*id), Expr::value(l)),
                );
            }
            if let Some(v) = t.speed {
                speed = Some(
                    speed
                        .unwrap_or_else(CaseStatement::new)
                        .case(V::Id.eq(*id), Expr::value(v)),
                );
            }
        }
        let mut update = vehicle::Entity::update_many()
            .col_expr(V::Latitude, latitude.finally(Expr::col(V::Latitude)).into())
            .col_expr(
                V::Longitude,
                longitude.finally(Expr::col(V::Longitude)).into(),
            )
            .col_expr(V::LastSeenAt, seen.finally(Expr::col(V::LastSeenAt)).into());
        for (column, case) in [
            (V::Battery, battery),
            (V::Locked, locked),
            (V::Speed, speed),
        ] {
            if let Some(case) = case {
                update = update.col_expr(column, case.finally(Expr::col(column)).into());
            }
        }
        update
            .filter(V::Id.is_in(chunk.iter().map(|(id, _)| *id)))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Set the `last_seen_at` of vehicle `vehicle_id` to `at` unless it was seen later already.
pub async fn vehicle_seen(
    db: &impl ConnectionTrait,
    vehicle_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    vehicle::Entity::update_many()
        .col_expr(vehicle::Column::LastSeenAt, Expr::value(at))
        .filter(vehicle::Column::Id.eq(vehicle_id))
        .filter(
            vehicle::Column::LastSeenAt
                .is_null()
                .or(vehicle::Column::LastSeenAt.lt(at)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Record a vehicle event (`kind`, its JSON `payload`, where as `(latitude, longitude)`).
pub async fn record_event(
    db: &impl ConnectionTrait,
    vehicle_id: i64,
    kind: &str,
    payload: String,
    position: Option<(f64, f64)>,
    at: DateTime<Utc>,
) -> Result<i64> {
    let id = vehicle_event::Entity::insert(vehicle_event::ActiveModel {
        vehicle_id: Set(vehicle_id),
        kind: Set(kind.to_owned()),
        payload: Set(payload),
        latitude: Set(position.map(|p| p.0)),
        longitude: Set(position.map(|p| p.1)),
        created_at: Set(at),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
    Ok(id)
}

/// The rider of the vehicle's trip in progress, if any.
pub async fn rider(db: &impl ConnectionTrait, vehicle_id: i64) -> Result<Option<i64>> {
    Ok(trip::Entity::find()
        .filter(trip::Column::VehicleId.eq(vehicle_id))
        .filter(trip::Column::EndedAt.is_null())
        .order_by_desc(trip::Column::Id)
        .one(db)
        .await?
        .and_then(|t| t.user_id))
}

/// Where a docked vehicle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Place {
    pub cluster_id: Option<i64>,
    pub station_id: Option<i64>,
    pub spot_id: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct PlaceRow {
    station_id: i64,
    cluster_id: i64,
}

/// The station and cluster of spot `spot_id` (only the spot when it is gone), in one query.
pub async fn place_of_spot(db: &impl ConnectionTrait, spot_id: Option<i64>) -> Result<Place> {
    let Some(spot_id) = spot_id else {
        return Ok(Place::default());
    };
    let row = spot::Entity::find()
        .select_only()
        .column(spot::Column::StationId)
        .column(station::Column::ClusterId)
        .join(
            sea_orm::JoinType::InnerJoin,
            spot::Entity::belongs_to(station::Entity)
                .from(spot::Column::StationId)
                .to(station::Column::Id)
                .into(),
        )
        .filter(spot::Column::Id.eq(spot_id))
        .into_model::<PlaceRow>()
        .one(db)
        .await?;
    Ok(Place {
        cluster_id: row.as_ref().map(|r| r.cluster_id),
        station_id: row.as_ref().map(|r| r.station_id),
        spot_id: Some(spot_id),
    })
}

/// A station in service as a status report leaves it.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct ReportedStation {
    pub id: i64,
    pub cluster_id: i64,
    pub network_id: i64,
    /// Whether a power cut was open before this report.
    pub power_cut_open: bool,
}

/// Write a station's status report (`power_ok`, `temperature`, seen `at`) on the station in
/// service of serial `serial`, and answer it with its network and whether a power cut is open:
/// one statement (`UPDATE … RETURNING`). `None`, and nothing written, for an unknown serial.
pub async fn report_station_status(
    db: &impl ConnectionTrait,
    serial: &str,
    power_ok: bool,
    temperature: Option<f64>,
    at: DateTime<Utc>,
) -> Result<Option<ReportedStation>> {
    use station::Column as S;
    let stations = Alias::new("stations");
    let network_id = Query::select()
        .column(cluster::Column::NetworkId)
        .from(cluster::Entity)
        .and_where(
            Expr::col((cluster::Entity, cluster::Column::Id))
                .equals((stations.clone(), S::ClusterId)),
        )
        .to_owned();
    let power_cut_open = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(station_outage::Entity)
            .and_where(
                Expr::col((station_outage::Entity, station_outage::Column::StationId))
                    .equals((stations.clone(), S::Id)),
            )
            .and_where(Expr::col(station_outage::Column::Kind).eq(POWER_CUT))
            .and_where(Expr::col(station_outage::Column::EndedAt).is_null())
            .to_owned(),
    );
    let statement = Query::update()
        .table(station::Entity)
        .value(S::PowerOk, power_ok)
        .value(S::Temperature, temperature)
        .value(S::LastSeenAt, at)
        .and_where(Expr::col(S::Serial).eq(serial))
        .and_where(Expr::col(S::DecommissionedAt).is_null())
        .returning(Query::returning().exprs([
            Expr::col(S::Id),
            Expr::col(S::ClusterId),
            network_id.into(),
            power_cut_open,
        ]))
        .to_owned();
    let Some(row) = db.query_one(&statement).await? else {
        return Ok(None);
    };
    Ok(Some(ReportedStation {
        id: row.try_get_by_index(0)?,
        cluster_id: row.try_get_by_index(1)?,
        network_id: row.try_get_by_index(2)?,
        power_cut_open: row.try_get_by_index(3)?,
    }))
}

/// Open a power cut of station `station_id` at `at` (the caller knows none is open).
pub async fn open_power_cut(
    db: &impl ConnectionTrait,
    station_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    station_outage::Entity::insert(station_outage::ActiveModel {
        station_id: Set(station_id),
        kind: Set(POWER_CUT.to_owned()),
        started_at: Set(at),
        ended_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Close the open power cut of station `station_id` at `at`.
pub async fn close_power_cut(
    db: &impl ConnectionTrait,
    station_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    station_outage::Entity::update_many()
        .col_expr(station_outage::Column::EndedAt, Expr::value(at))
        .filter(station_outage::Column::StationId.eq(station_id))
        .filter(station_outage::Column::Kind.eq(POWER_CUT))
        .filter(station_outage::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The spots in service of station `station_id` among `numbers`, in one query.
pub async fn station_spots(
    db: &impl ConnectionTrait,
    station_id: i64,
    numbers: &[i32],
) -> Result<Vec<spot::Model>> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    Ok(spot::Entity::find()
        .filter(spot::Column::StationId.eq(station_id))
        .filter(spot::Column::Number.is_in(numbers.iter().copied()))
        .filter(spot::Column::DecommissionedAt.is_null())
        .all(db)
        .await?)
}

/// A vehicle a station reports in one of its spots, and the spot that holds it now.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct DockedVehicle {
    pub id: i64,
    pub serial: String,
    pub spot_id: Option<i64>,
    pub virtual_parking_id: Option<i64>,
    /// The spot whose `vehicle_id` is this vehicle (spots hold a vehicle at most once).
    pub held_by: Option<i64>,
    /// The trip it serves, if any: docking ends it.
    pub trip_id: Option<i64>,
}

/// The vehicles in service of these serials, each with the spot holding it, in one query.
pub async fn vehicles_by_serial(
    db: &impl ConnectionTrait,
    serials: &[&str],
) -> Result<Vec<DockedVehicle>> {
    use vehicle::Column as V;
    if serials.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vehicle::Entity::find()
        .select_only()
        .columns([V::Id, V::Serial, V::SpotId, V::VirtualParkingId, V::TripId])
        .column_as(spot::Column::Id, "held_by")
        .join(
            sea_orm::JoinType::LeftJoin,
            RelationDef::from(
                spot::Entity::belongs_to(vehicle::Entity)
                    .from(spot::Column::VehicleId)
                    .to(V::Id),
            )
            .rev(),
        )
        .filter(V::Serial.is_in(serials.iter().copied()))
        .filter(V::DecommissionedAt.is_null())
        .into_model::<DockedVehicle>()
        .all(db)
        .await?)
}

/// What a station report changes in spots and vehicles, computed by the ingest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpotChanges {
    /// Spots that must let go of their vehicle before `spots` are written (a vehicle that
    /// moves to another spot): their `vehicle_id` becomes null and `occupied` false.
    pub release: Vec<i64>,
    /// The new state of spots: (spot, occupied, vehicle).
    pub spots: Vec<(i64, bool, Option<i64>)>,
    /// Vehicles whose spot is now known: (vehicle, spot or none); they leave any virtual
    /// parking.
    pub vehicles: Vec<(i64, Option<i64>)>,
    /// Vehicles that left spot (vehicle, spot): their `spot_id` becomes null if it still is that
    /// spot.
    pub left: Vec<(i64, i64)>,
}

/// Write the changes of a station report: at most three statements, whatever their number
/// (spots released first, so that the unique `spots.vehicle_id` never sees a vehicle twice).
pub async fn apply_spots(db: &impl ConnectionTrait, changes: &SpotChanges) -> Result<()> {
    if !changes.release.is_empty() {
        spot::Entity::update_many()
            .col_expr(spot::Column::VehicleId, Expr::value(Option::<i64>::None))
            .col_expr(spot::Column::Occupied, Expr::value(false))
            .filter(spot::Column::Id.is_in(changes.release.iter().copied()))
            .exec(db)
            .await?;
    }
    if !changes.spots.is_empty() {
        let mut occupied = CaseStatement::new();
        let mut held = CaseStatement::new();
        for &(id, is_occupied, vehicle_id) in &changes.spots {
            occupied = occupied.case(spot::Column::Id.eq(id), Expr::value(is_occupied));
            held = held.case(spot::Column::Id.eq(id), Expr::value(vehicle_id));
        }
        spot::Entity::update_many()
            .col_expr(
                spot::Column::Occupied,
                occupied.finally(Expr::col(spot::Column::Occupied)).into(),
            )
            .col_expr(
                spot::Column::VehicleId,
                held.finally(Expr::col(spot::Column::VehicleId)).into(),
            )
            .filter(spot::Column::Id.is_in(changes.spots.iter().map(|s| s.0)))
            .exec(db)
            .await?;
    }
    if !changes.vehicles.is_empty() || !changes.left.is_empty() {
        use vehicle::Column as V;
        let mut spot_of = CaseStatement::new();
        for &(id, spot_id) in &changes.vehicles {
            spot_of = spot_of.case(V::Id.eq(id), Expr::value(spot_id));
        }
        for &(id, spot_id) in &changes.left {
            spot_of = spot_of.case(
                V::Id.eq(id).and(V::SpotId.eq(spot_id)),
                Expr::value(Option::<i64>::None),
            );
        }
        let mut update = vehicle::Entity::update_many()
            .col_expr(V::SpotId, spot_of.finally(Expr::col(V::SpotId)).into());
        if !changes.vehicles.is_empty() {
            let parking = CaseStatement::new()
                .case(
                    V::Id.is_in(changes.vehicles.iter().map(|v| v.0)),
                    Expr::value(Option::<i64>::None),
                )
                .finally(Expr::col(V::VirtualParkingId));
            update = update.col_expr(V::VirtualParkingId, parking.into());
        }
        update
            .filter(
                V::Id.is_in(
                    changes
                        .vehicles
                        .iter()
                        .map(|v| v.0)
                        .chain(changes.left.iter().map(|v| v.0)),
                ),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The station in service of serial `serial`.
pub async fn station_by_serial(
    db: &impl ConnectionTrait,
    serial: &str,
) -> Result<Option<station::Model>> {
    Ok(station::Entity::find()
        .filter(station::Column::Serial.eq(serial))
        .filter(station::Column::DecommissionedAt.is_null())
        .one(db)
        .await?)
}

/// Record an energy reading of station `station_id` (the energy used over the interval ending
/// at `at`) and mark the station seen at `at` unless it was seen later. Answers the reading.
pub async fn record_energy(
    db: &impl ConnectionTrait,
    station_id: i64,
    at: DateTime<Utc>,
    energy_wh: i64,
) -> Result<i64> {
    let id = energy_reading::Entity::insert(energy_reading::ActiveModel {
        station_id: Set(station_id),
        measured_at: Set(at),
        energy_wh: Set(energy_wh),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
    station::Entity::update_many()
        .col_expr(station::Column::LastSeenAt, Expr::value(at))
        .filter(station::Column::Id.eq(station_id))
        .filter(
            station::Column::LastSeenAt
                .is_null()
                .or(station::Column::LastSeenAt.lt(at)),
        )
        .exec(db)
        .await?;
    Ok(id)
}

/// What an acknowledgement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acked {
    /// Delivered (`ok`) or a failed attempt recorded.
    Applied,
    /// The command no longer waits (delivered or failed already): nothing changed.
    Stale,
    /// No such command, or another vehicle's: nothing changed.
    NotThisVehicles,
}

/// Apply vehicle `vehicle_id`'s acknowledgement of command `command_id`: delivered when `error`
/// is `None`, else a failed attempt with that error.
pub async fn acknowledge(
    db: &impl ConnectionTrait,
    vehicle_id: i64,
    command_id: i64,
    error: Option<&str>,
) -> Result<Acked> {
    let command = vehicle_command::Entity::find_by_id(command_id)
        .one(db)
        .await?;
    let Some(command) = command.filter(|c| c.vehicle_id == vehicle_id) else {
        return Ok(Acked::NotThisVehicles);
    };
    // A trip's unlock: its answer moves the trip (running, or cancelled on an error, which is
    // not retried: the rider is waiting), even late, once the command expired.
    if command.command == crate::ride::UNLOCK && command.trip_id.is_some() {
        let waiting = command.state == network_vehicles::PENDING;
        if !waiting && command.state != crate::ride::EXPIRED {
            return Ok(Acked::Stale);
        }
        if waiting && error.is_none() {
            network_vehicles::mark_delivered(db, command_id).await?;
        }
        crate::ride::unlock_answered(db, &command, error.is_none(), Utc::now()).await?;
        return Ok(Acked::Applied);
    }
    let result = match error {
        None => network_vehicles::mark_delivered(db, command_id).await,
        Some(error) => network_vehicles::mark_failed(db, command_id, error).await,
    };
    match result {
        Ok(_) => Ok(Acked::Applied),
        // Refused before any write: the command is already delivered or failed.
        Err(StoreError::Rule(_)) => Ok(Acked::Stale),
        Err(e) => Err(e),
    }
}
