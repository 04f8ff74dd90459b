//! What each message does to the database: [`handle_message`]. Every message is applied in one
//! transaction, so a message that fails half-way changes nothing.

use crate::topics::{Route, StationTopic, VehicleTopic};
use chrono::{DateTime, Utc};
use geo::Point;
use relais_domain::alerts::{AlertSeverity, AlertType};
use relais_store::StoreError;
use relais_store::entity::{
    cluster, energy_reading, network, spot, station, station_outage, trip, vehicle,
    vehicle_command, vehicle_event,
};
use relais_store::fleet_alerts::{self, NewAlert};
use relais_store::network_vehicles;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;
use serde_json::json;

/// Temperature (°C) above which a station or spot raises `spot-high-temperature`.
pub const HIGH_TEMPERATURE: f64 = 60.0;

/// Command queued when a vehicle leaves its network's border and the network asks to reduce
/// its speed (payload `{"max_speed": <network's default low speed>, "reason": ...}`).
pub const REDUCE_SPEED: &str = "reduce-speed";
/// Command queued to make the vehicle play a sound.
pub const PLAY_SOUND: &str = "play-sound";
/// Command queued to lock the vehicle.
pub const LOCK: &str = "lock";
/// Vehicle event recorded for the rider side when the network asks to notify the user.
pub const NOTIFY_USER: &str = "notify-user";
/// Kind of the station outage opened when a station reports `power_ok: false`.
pub const POWER_CUT: &str = "power-cut";

/// What a message did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Telemetry applied to the vehicle's live state.
    Telemetry {
        vehicle_id: i64,
        /// Whether this position left the network's border (it was inside, or unknown, before).
        left_border: bool,
        /// Alerts newly raised.
        alerts: Vec<i64>,
        /// Commands queued by the border settings.
        commands: Vec<i64>,
    },
    /// A vehicle event recorded, and the alert it raised if any (new or already open).
    Event {
        vehicle_id: i64,
        event_id: i64,
        alert: Option<i64>,
    },
    /// A station status applied.
    StationStatus {
        station_id: i64,
        alerts: Vec<i64>,
        /// Spot numbers the station reported but that it does not have.
        unknown_spots: Vec<i32>,
        /// Vehicle serials the station reported in spots but that are not known.
        unknown_vehicles: Vec<String>,
    },
    /// An energy reading recorded.
    Energy { station_id: i64, reading_id: i64 },
    /// A command acknowledged by its vehicle: delivered (`ok`) or a failed attempt.
    Ack { command_id: i64, ok: bool },
    /// An acknowledgement of a command no longer waiting (already delivered or failed): ignored.
    StaleAck { command_id: i64 },
}

/// Why a message was not applied. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Not a topic relais listens to (or a topic relais publishes itself).
    #[error("unknown topic")]
    UnknownTopic,
    /// The payload is not the JSON this topic carries.
    #[error("malformed payload: {0}")]
    Malformed(String),
    /// No vehicle or station in service has this serial, or the acknowledged command is not
    /// this vehicle's.
    #[error("unknown {kind} {serial:?}")]
    UnknownDevice { kind: &'static str, serial: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for IngestError {
    fn from(err: sea_orm::DbErr) -> Self {
        IngestError::Store(StoreError::Db(err))
    }
}

type Result<T> = std::result::Result<T, IngestError>;

#[derive(Debug, Deserialize)]
struct Telemetry {
    lat: f64,
    lng: f64,
    #[serde(default)]
    battery: Option<i32>,
    #[serde(default)]
    locked: Option<bool>,
    #[serde(default)]
    speed: Option<f64>,
    #[serde(default)]
    ts: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct Event {
    event: String,
    #[serde(default)]
    ts: Option<DateTime<Utc>>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lng: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct SpotStatus {
    number: i32,
    occupied: bool,
    #[serde(default)]
    vehicle_serial: Option<String>,
    #[serde(default)]
    temperature: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct StationStatus {
    power_ok: bool,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    spots: Vec<SpotStatus>,
    #[serde(default)]
    ts: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct Energy {
    energy_wh: i64,
    #[serde(default)]
    ts: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct Ack {
    id: i64,
    ok: bool,
    #[serde(default)]
    error: Option<String>,
}

fn parse<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T> {
    serde_json::from_slice(payload).map_err(|e| IngestError::Malformed(e.to_string()))
}

/// Apply one message received on `topic` (under `prefix`, e.g. `relais`) to the database.
pub async fn handle_message(
    db: &DatabaseConnection,
    prefix: &str,
    topic: &str,
    payload: &[u8],
) -> Result<Outcome> {
    let route = Route::parse(prefix, topic).ok_or(IngestError::UnknownTopic)?;
    // Parse before touching the database: malformed payloads cost nothing.
    let txn = relais_store::db::begin_write(db).await?;
    let outcome = match route {
        Route::Vehicle(serial, VehicleTopic::Telemetry) => {
            telemetry(&txn, &serial, parse(payload)?).await?
        }
        Route::Vehicle(serial, VehicleTopic::Events) => {
            let raw: serde_json::Value = parse(payload)?;
            let event: Event = serde_json::from_value(raw.clone())
                .map_err(|e| IngestError::Malformed(e.to_string()))?;
            vehicle_event(&txn, &serial, event, raw).await?
        }
        Route::Vehicle(serial, VehicleTopic::Acks) => ack(&txn, &serial, parse(payload)?).await?,
        Route::Vehicle(_, VehicleTopic::Commands) => return Err(IngestError::UnknownTopic),
        Route::Station(serial, StationTopic::Status) => {
            station_status(&txn, &serial, parse(payload)?).await?
        }
        Route::Station(serial, StationTopic::Energy) => {
            energy(&txn, &serial, parse(payload)?).await?
        }
    };
    txn.commit().await?;
    Ok(outcome)
}

async fn vehicle_by_serial(db: &DatabaseTransaction, serial: &str) -> Result<vehicle::Model> {
    vehicle::Entity::find()
        .filter(vehicle::Column::Serial.eq(serial))
        .filter(vehicle::Column::DecommissionedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| IngestError::UnknownDevice {
            kind: "vehicle",
            serial: serial.to_owned(),
        })
}

async fn station_by_serial(db: &DatabaseTransaction, serial: &str) -> Result<station::Model> {
    station::Entity::find()
        .filter(station::Column::Serial.eq(serial))
        .filter(station::Column::DecommissionedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| IngestError::UnknownDevice {
            kind: "station",
            serial: serial.to_owned(),
        })
}

/// The rider of the vehicle's trip in progress, if any.
async fn rider(db: &DatabaseTransaction, vehicle_id: i64) -> Result<Option<i64>> {
    Ok(trip::Entity::find()
        .filter(trip::Column::VehicleId.eq(vehicle_id))
        .filter(trip::Column::EndedAt.is_null())
        .order_by_desc(trip::Column::Id)
        .one(db)
        .await?
        .and_then(|t| t.user_id))
}

/// Where the vehicle stands: (cluster, station, spot) of its spot, if docked.
async fn vehicle_place(
    db: &DatabaseTransaction,
    v: &vehicle::Model,
) -> Result<(Option<i64>, Option<i64>, Option<i64>)> {
    let Some(spot_id) = v.spot_id else {
        return Ok((None, None, None));
    };
    let Some(spot) = spot::Entity::find_by_id(spot_id).one(db).await? else {
        return Ok((None, None, Some(spot_id)));
    };
    let station = station::Entity::find_by_id(spot.station_id).one(db).await?;
    Ok((
        station.as_ref().map(|s| s.cluster_id),
        Some(spot.station_id),
        Some(spot_id),
    ))
}

fn point(lat: f64, lng: f64) -> Point<f64> {
    Point::new(lng, lat)
}

fn valid_position(lat: f64, lng: f64) -> bool {
    lat.is_finite()
        && lng.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng)
}

async fn telemetry(db: &DatabaseTransaction, serial: &str, t: Telemetry) -> Result<Outcome> {
    if !valid_position(t.lat, t.lng) {
        return Err(IngestError::Malformed("lat/lng out of range".into()));
    }
    if let Some(b) = t.battery
        && !(0..=100).contains(&b)
    {
        return Err(IngestError::Malformed("battery out of 0..=100".into()));
    }
    if let Some(s) = t.speed
        && !(s.is_finite() && s >= 0.0)
    {
        return Err(IngestError::Malformed("speed must be >= 0".into()));
    }
    let v = vehicle_by_serial(db, serial).await?;
    let now = t.ts.unwrap_or_else(Utc::now);
    let zones = relais_store::geofencing::zones(db, v.network_id).await?;
    let was_inside = match (v.latitude, v.longitude) {
        (Some(lat), Some(lng)) => zones.inside_border(point(lat, lng)),
        _ => true,
    };
    let inside = zones.inside_border(point(t.lat, t.lng));
    let mut row = vehicle::ActiveModel {
        id: Set(v.id),
        latitude: Set(Some(t.lat)),
        longitude: Set(Some(t.lng)),
        last_seen_at: Set(Some(now)),
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
    row.update(db).await?;
    let left_border = was_inside && !inside;
    let mut alerts = Vec::new();
    let mut commands = Vec::new();
    if left_border {
        let network = relais_store::networks::existing(db, v.network_id).await?;
        let user_id = rider(db, v.id).await?;
        if network.border_trigger_alert {
            let (alert, new) = fleet_alerts::raise(
                db,
                NewAlert {
                    network_id: v.network_id,
                    alert_type: AlertType::VehicleOutOfNetworkArea,
                    severity: severity_of(AlertType::VehicleOutOfNetworkArea),
                    cluster_id: None,
                    station_id: None,
                    spot_id: None,
                    vehicle_id: Some(v.id),
                    user_id,
                    details: format!(
                        "vehicle {} left the network area at ({}, {})",
                        v.serial, t.lat, t.lng
                    ),
                    created_at: now,
                },
            )
            .await?;
            if new {
                alerts.push(alert.id);
            }
        }
        commands = border_commands(db, &network, v.id, now).await?;
        if network.border_notify_user {
            record_event(
                db,
                v.id,
                NOTIFY_USER,
                json!({"reason": AlertType::VehicleOutOfNetworkArea.as_str(), "user_id": user_id})
                    .to_string(),
                Some((t.lat, t.lng)),
                now,
            )
            .await?;
        }
    }
    Ok(Outcome::Telemetry {
        vehicle_id: v.id,
        left_border,
        alerts,
        commands,
    })
}

/// Queue the commands the network's border settings ask for when a vehicle leaves the border.
async fn border_commands(
    db: &DatabaseTransaction,
    network: &network::Model,
    vehicle_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let reason = AlertType::VehicleOutOfNetworkArea.as_str();
    let mut wanted = Vec::new();
    if network.border_reduce_vehicle_speed {
        wanted.push((
            REDUCE_SPEED,
            json!({"max_speed": network.default_low_speed, "reason": reason}),
        ));
    }
    if network.border_play_vehicle_sound {
        wanted.push((PLAY_SOUND, json!({"reason": reason})));
    }
    if network.border_lock_vehicle {
        wanted.push((LOCK, json!({"reason": reason})));
    }
    let mut ids = Vec::new();
    for (command, payload) in wanted {
        let row = vehicle_command::ActiveModel {
            vehicle_id: Set(vehicle_id),
            command: Set(command.to_owned()),
            payload: Set(payload.to_string()),
            state: Set(network_vehicles::PENDING.to_owned()),
            attempts: Set(0),
            last_error: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        ids.push(row.id);
    }
    Ok(ids)
}

async fn record_event(
    db: &impl ConnectionTrait,
    vehicle_id: i64,
    kind: &str,
    payload: String,
    position: Option<(f64, f64)>,
    at: DateTime<Utc>,
) -> Result<vehicle_event::Model> {
    Ok(vehicle_event::ActiveModel {
        vehicle_id: Set(vehicle_id),
        kind: Set(kind.to_owned()),
        payload: Set(payload),
        latitude: Set(position.map(|p| p.0)),
        longitude: Set(position.map(|p| p.1)),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The severity each alert type is raised with.
pub fn severity_of(alert: AlertType) -> AlertSeverity {
    match alert {
        AlertType::VehicleDismantling | AlertType::StationPowerCut => AlertSeverity::Critical,
        AlertType::VehicleLifted
        | AlertType::VehicleIllegalMoving
        | AlertType::VehicleOutOfNetworkArea
        | AlertType::SpotHighTemperature
        | AlertType::StationAlarmTriggered
        | AlertType::UnexpectedUnlock => AlertSeverity::High,
        AlertType::VehicleFallen | AlertType::SpotIdentifyFail => AlertSeverity::Low,
    }
}

/// The alert a vehicle event raises, if any.
fn alert_of_event(event: &str) -> Option<AlertType> {
    match event {
        "lifted" => Some(AlertType::VehicleLifted),
        "fallen" => Some(AlertType::VehicleFallen),
        "dismantling" => Some(AlertType::VehicleDismantling),
        "illegal-moving" => Some(AlertType::VehicleIllegalMoving),
        _ => None,
    }
}

async fn vehicle_event(
    db: &DatabaseTransaction,
    serial: &str,
    event: Event,
    raw: serde_json::Value,
) -> Result<Outcome> {
    let kind = event.event.trim();
    if kind.is_empty()
        || kind.len() > 32
        || !kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(IngestError::Malformed(
            "event must be 1 to 32 lowercase letters, digits, `-` or `_`".into(),
        ));
    }
    let position = match (event.lat, event.lng) {
        (Some(lat), Some(lng)) if valid_position(lat, lng) => Some((lat, lng)),
        (Some(_), Some(_)) => return Err(IngestError::Malformed("lat/lng out of range".into())),
        _ => None,
    };
    let v = vehicle_by_serial(db, serial).await?;
    let at = event.ts.unwrap_or_else(Utc::now);
    let position = position.or(v.latitude.zip(v.longitude));
    let recorded = record_event(db, v.id, kind, raw.to_string(), position, at).await?;
    vehicle::ActiveModel {
        id: Set(v.id),
        last_seen_at: Set(Some(at.max(v.last_seen_at.unwrap_or(at)))),
        ..Default::default()
    }
    .update(db)
    .await?;
    let mut alert = None;
    if let Some(alert_type) = alert_of_event(kind) {
        let (cluster_id, station_id, spot_id) = vehicle_place(db, &v).await?;
        let (raised, _) = fleet_alerts::raise(
            db,
            NewAlert {
                network_id: v.network_id,
                alert_type,
                severity: severity_of(alert_type),
                cluster_id,
                station_id,
                spot_id,
                vehicle_id: Some(v.id),
                user_id: rider(db, v.id).await?,
                details: format!("vehicle {} reported `{kind}`", v.serial),
                created_at: at,
            },
        )
        .await?;
        alert = Some(raised.id);
    }
    Ok(Outcome::Event {
        vehicle_id: v.id,
        event_id: recorded.id,
        alert,
    })
}

async fn station_network(db: &DatabaseTransaction, s: &station::Model) -> Result<i64> {
    Ok(cluster::Entity::find_by_id(s.cluster_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "cluster" })?
        .network_id)
}

async fn station_status(
    db: &DatabaseTransaction,
    serial: &str,
    status: StationStatus,
) -> Result<Outcome> {
    let finite = |t: Option<f64>| t.is_none_or(f64::is_finite);
    if !finite(status.temperature) || !status.spots.iter().all(|s| finite(s.temperature)) {
        return Err(IngestError::Malformed(
            "temperature must be a number".into(),
        ));
    }
    let s = station_by_serial(db, serial).await?;
    let network_id = station_network(db, &s).await?;
    let at = status.ts.unwrap_or_else(Utc::now);
    station::ActiveModel {
        id: Set(s.id),
        power_ok: Set(status.power_ok),
        temperature: Set(status.temperature),
        last_seen_at: Set(Some(at)),
        ..Default::default()
    }
    .update(db)
    .await?;
    let mut alerts = Vec::new();
    let alert = |alert_type: AlertType, spot_id: Option<i64>, details: String| NewAlert {
        network_id,
        alert_type,
        severity: severity_of(alert_type),
        cluster_id: Some(s.cluster_id),
        station_id: Some(s.id),
        spot_id,
        vehicle_id: None,
        user_id: None,
        details,
        created_at: at,
    };
    // Outages: one open per power cut.
    let open_outage = station_outage::Entity::find()
        .filter(station_outage::Column::StationId.eq(s.id))
        .filter(station_outage::Column::Kind.eq(POWER_CUT))
        .filter(station_outage::Column::EndedAt.is_null())
        .one(db)
        .await?;
    if !status.power_ok {
        if open_outage.is_none() {
            station_outage::ActiveModel {
                station_id: Set(s.id),
                kind: Set(POWER_CUT.to_owned()),
                started_at: Set(at),
                ended_at: Set(None),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        let (a, new) = fleet_alerts::raise(
            db,
            alert(
                AlertType::StationPowerCut,
                None,
                format!("station {serial} reports a power cut"),
            ),
        )
        .await?;
        if new {
            alerts.push(a.id);
        }
    } else if open_outage.is_some() {
        station_outage::Entity::update_many()
            .col_expr(station_outage::Column::EndedAt, Expr::value(at))
            .filter(station_outage::Column::StationId.eq(s.id))
            .filter(station_outage::Column::Kind.eq(POWER_CUT))
            .filter(station_outage::Column::EndedAt.is_null())
            .exec(db)
            .await?;
    }
    if let Some(t) = status.temperature
        && t > HIGH_TEMPERATURE
    {
        let (a, new) = fleet_alerts::raise(
            db,
            alert(
                AlertType::SpotHighTemperature,
                None,
                format!("station {serial} reports {t} °C"),
            ),
        )
        .await?;
        if new {
            alerts.push(a.id);
        }
    }
    let mut unknown_spots = Vec::new();
    let mut unknown_vehicles = Vec::new();
    for reported in status.spots {
        let Some(spot) = spot::Entity::find()
            .filter(spot::Column::StationId.eq(s.id))
            .filter(spot::Column::Number.eq(reported.number))
            .filter(spot::Column::DecommissionedAt.is_null())
            .one(db)
            .await?
        else {
            unknown_spots.push(reported.number);
            continue;
        };
        let mut vehicle_id = None;
        if let Some(vs) = reported
            .vehicle_serial
            .as_deref()
            .filter(|_| reported.occupied)
        {
            match vehicle::Entity::find()
                .filter(vehicle::Column::Serial.eq(vs))
                .filter(vehicle::Column::DecommissionedAt.is_null())
                .one(db)
                .await?
            {
                Some(v) => vehicle_id = Some(v.id),
                None => unknown_vehicles.push(vs.to_owned()),
            }
        }
        // The vehicle that was in the spot and is no longer: it left the spot.
        if let Some(previous) = spot.vehicle_id
            && Some(previous) != vehicle_id
        {
            vehicle::Entity::update_many()
                .col_expr(vehicle::Column::SpotId, Expr::value(Option::<i64>::None))
                .filter(vehicle::Column::Id.eq(previous))
                .filter(vehicle::Column::SpotId.eq(spot.id))
                .exec(db)
                .await?;
        }
        if let Some(v) = vehicle_id {
            // A vehicle is in one spot at a time: leave any other.
            spot::Entity::update_many()
                .col_expr(spot::Column::VehicleId, Expr::value(Option::<i64>::None))
                .col_expr(spot::Column::Occupied, Expr::value(false))
                .filter(spot::Column::VehicleId.eq(v))
                .filter(spot::Column::Id.ne(spot.id))
                .exec(db)
                .await?;
            vehicle::ActiveModel {
                id: Set(v),
                spot_id: Set(Some(spot.id)),
                virtual_parking_id: Set(None),
                ..Default::default()
            }
            .update(db)
            .await?;
        }
        spot::ActiveModel {
            id: Set(spot.id),
            occupied: Set(reported.occupied),
            vehicle_id: Set(vehicle_id),
            ..Default::default()
        }
        .update(db)
        .await?;
        if let Some(t) = reported.temperature
            && t > HIGH_TEMPERATURE
        {
            let (a, new) = fleet_alerts::raise(
                db,
                alert(
                    AlertType::SpotHighTemperature,
                    Some(spot.id),
                    format!("spot {} of station {serial} reports {t} °C", spot.number),
                ),
            )
            .await?;
            if new {
                alerts.push(a.id);
            }
        }
    }
    Ok(Outcome::StationStatus {
        station_id: s.id,
        alerts,
        unknown_spots,
        unknown_vehicles,
    })
}

async fn energy(db: &DatabaseTransaction, serial: &str, e: Energy) -> Result<Outcome> {
    if e.energy_wh < 0 {
        return Err(IngestError::Malformed("energy_wh must be >= 0".into()));
    }
    let s = station_by_serial(db, serial).await?;
    let at = e.ts.unwrap_or_else(Utc::now);
    let reading = energy_reading::ActiveModel {
        station_id: Set(s.id),
        measured_at: Set(at),
        energy_wh: Set(e.energy_wh),
        ..Default::default()
    }
    .insert(db)
    .await?;
    station::ActiveModel {
        id: Set(s.id),
        last_seen_at: Set(Some(at.max(s.last_seen_at.unwrap_or(at)))),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(Outcome::Energy {
        station_id: s.id,
        reading_id: reading.id,
    })
}

async fn ack(db: &DatabaseTransaction, serial: &str, a: Ack) -> Result<Outcome> {
    let v = vehicle_by_serial(db, serial).await?;
    let command = vehicle_command::Entity::find_by_id(a.id).one(db).await?;
    if command.is_none_or(|c| c.vehicle_id != v.id) {
        return Err(IngestError::UnknownDevice {
            kind: "command",
            serial: format!("{serial}#{}", a.id),
        });
    }
    let result = if a.ok {
        network_vehicles::mark_delivered(db, a.id).await
    } else {
        let error: String = a
            .error
            .as_deref()
            .unwrap_or("refused by the vehicle")
            .chars()
            .take(500)
            .collect();
        network_vehicles::mark_failed(db, a.id, &error).await
    };
    match result {
        Ok(_) => Ok(Outcome::Ack {
            command_id: a.id,
            ok: a.ok,
        }),
        Err(StoreError::Rule(_)) => Ok(Outcome::StaleAck { command_id: a.id }),
        Err(e) => Err(e.into()),
    }
}
