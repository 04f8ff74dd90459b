//! What each message does to the database: [`Ingest`] (and [`handle_message`] for one message
//! without a cache). Every write goes through `relais_store` (`store::iot`, `fleet_alerts`,
//! `network_vehicles`); this module parses, decides and keeps the parsed zones of each network.
//!
//! A message is applied in one transaction with the others of its batch, so that the cost of a
//! commit is shared. "A message that fails changes nothing" holds because a message is refused
//! (malformed, unknown device) only before its first write: its parsing and validation are pure
//! and its device is looked up first. Any database error rolls the whole batch back, and its
//! messages are then applied again one transaction each.

use crate::topics::{Route, StationTopic, VehicleTopic};
use chrono::{DateTime, Utc};
use geo::Point;
use relais_domain::alerts::{AlertSeverity, AlertType};
use relais_domain::geometry::Zones;
use relais_store::StoreError;
use relais_store::fleet_alerts::{self, NewAlert};
use relais_store::iot::{self as store, Acked, SpotChanges};
use relais_store::network_vehicles;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

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
pub const POWER_CUT: &str = store::POWER_CUT;

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

#[derive(Debug, Clone, Deserialize)]
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

#[derive(Debug, Clone, Deserialize)]
struct Event {
    event: String,
    #[serde(default)]
    ts: Option<DateTime<Utc>>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lng: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
struct SpotStatus {
    number: i32,
    occupied: bool,
    #[serde(default)]
    vehicle_serial: Option<String>,
    #[serde(default)]
    temperature: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
struct StationStatus {
    power_ok: bool,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    spots: Vec<SpotStatus>,
    #[serde(default)]
    ts: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
struct Energy {
    energy_wh: i64,
    #[serde(default)]
    ts: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
struct Ack {
    id: i64,
    ok: bool,
    #[serde(default)]
    error: Option<String>,
}

fn parse<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T> {
    serde_json::from_slice(payload).map_err(|e| IngestError::Malformed(e.to_string()))
}

/// A message parsed and validated: what remains to do needs the database.
#[derive(Debug, Clone)]
enum Parsed {
    Telemetry(String, Telemetry),
    Event(String, Event, serde_json::Value),
    Ack(String, Ack),
    Status(String, StationStatus),
    Energy(String, Energy),
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

/// Route, JSON and ranges: everything that needs no database, so malformed payloads cost
/// nothing and are refused before any write.
fn parse_message(prefix: &str, topic: &str, payload: &[u8]) -> Result<Parsed> {
    let route = Route::parse(prefix, topic).ok_or(IngestError::UnknownTopic)?;
    match route {
        Route::Vehicle(serial, VehicleTopic::Telemetry) => {
            let t: Telemetry = parse(payload)?;
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
            Ok(Parsed::Telemetry(serial, t))
        }
        Route::Vehicle(serial, VehicleTopic::Events) => {
            let raw: serde_json::Value = parse(payload)?;
            let mut event: Event = serde_json::from_value(raw.clone())
                .map_err(|e| IngestError::Malformed(e.to_string()))?;
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
            event.event = kind.to_owned();
            if let (Some(lat), Some(lng)) = (event.lat, event.lng)
                && !valid_position(lat, lng)
            {
                return Err(IngestError::Malformed("lat/lng out of range".into()));
            }
            Ok(Parsed::Event(serial, event, raw))
        }
        Route::Vehicle(serial, VehicleTopic::Acks) => Ok(Parsed::Ack(serial, parse(payload)?)),
        Route::Vehicle(_, VehicleTopic::Commands) => Err(IngestError::UnknownTopic),
        Route::Station(serial, StationTopic::Status) => {
            let status: StationStatus = parse(payload)?;
            let finite = |t: Option<f64>| t.is_none_or(f64::is_finite);
            if !finite(status.temperature) || !status.spots.iter().all(|s| finite(s.temperature)) {
                return Err(IngestError::Malformed(
                    "temperature must be a number".into(),
                ));
            }
            Ok(Parsed::Status(serial, status))
        }
        Route::Station(serial, StationTopic::Energy) => {
            let e: Energy = parse(payload)?;
            if e.energy_wh < 0 {
                return Err(IngestError::Malformed("energy_wh must be >= 0".into()));
            }
            Ok(Parsed::Energy(serial, e))
        }
    }
}

/// Whether an error is a refusal of the message (made before its first write), as opposed to a
/// database failure that leaves the transaction unusable.
fn is_refusal(err: &IngestError) -> bool {
    !matches!(err, IngestError::Store(_))
}

fn unknown(kind: &'static str, serial: &str) -> IngestError {
    IngestError::UnknownDevice {
        kind,
        serial: serial.to_owned(),
    }
}

/// The parsed zones of each network, with the `zones_version` they were read at. A vehicle row
/// comes with its network's current version, so a stale entry is seen without a query.
#[derive(Debug, Default)]
struct ZonesCache {
    networks: Mutex<HashMap<i64, Kept>>,
}

/// A network's zones and the `zones_version` they were read at.
type Kept = (i64, Arc<Zones<i64>>);

impl ZonesCache {
    /// The zones of network `network_id` as of `version`, read and parsed again only when the
    /// version moved. Caching under the version read before the zones is safe: a change
    /// committed in between only makes the next message read them once more.
    async fn get(
        &self,
        db: &impl ConnectionTrait,
        network_id: i64,
        version: i64,
    ) -> Result<Arc<Zones<i64>>> {
        if let Some((v, zones)) = self.networks.lock().expect("zones").get(&network_id)
            && *v == version
        {
            return Ok(zones.clone());
        }
        let zones = Arc::new(relais_store::geofencing::zones(db, network_id).await?);
        self.networks
            .lock()
            .expect("zones")
            .insert(network_id, (version, zones.clone()));
        Ok(zones)
    }
}

/// The vehicles a batch's messages name, read in one query when the batch starts and kept up to
/// date by its messages (the batch holds the write lock on SQLite; on PostgreSQL a row changed
/// by another writer during the batch, a few milliseconds, is seen by the next batch), and the
/// telemetry not written yet: consecutive telemetry messages are written together, before any
/// other kind of message and before the commit.
#[derive(Debug, Default)]
struct Preloaded {
    /// `None` for a serial with no vehicle in service; a serial absent is read when needed.
    vehicles: HashMap<String, Option<store::LiveVehicle>>,
    /// Telemetry to write, one entry per vehicle (later messages merged in).
    pending: BTreeMap<i64, store::Telemetry>,
}

impl Preloaded {
    async fn load(db: &impl ConnectionTrait, parsed: &[Result<Parsed>]) -> Result<Self> {
        let mut serials: Vec<&str> = parsed
            .iter()
            .filter_map(|p| match p {
                Ok(Parsed::Telemetry(s, _) | Parsed::Event(s, _, _) | Parsed::Ack(s, _)) => {
                    Some(s.as_str())
                }
                _ => None,
            })
            .collect();
        serials.sort_unstable();
        serials.dedup();
        let mut vehicles: HashMap<String, Option<store::LiveVehicle>> =
            serials.iter().map(|s| ((*s).to_owned(), None)).collect();
        for v in store::vehicles_by_serials(db, &serials).await? {
            vehicles.insert(v.serial.clone(), Some(v));
        }
        Ok(Preloaded {
            vehicles,
            pending: BTreeMap::new(),
        })
    }

    fn defer(&mut self, vehicle_id: i64, t: store::Telemetry) {
        self.pending
            .entry(vehicle_id)
            .and_modify(|kept| kept.then(&t))
            .or_insert(t);
    }

    async fn flush(&mut self, db: &impl ConnectionTrait) -> Result<()> {
        if !self.pending.is_empty() {
            let rows: Vec<(i64, store::Telemetry)> =
                std::mem::take(&mut self.pending).into_iter().collect();
            store::update_live_states(db, &rows).await?;
        }
        Ok(())
    }

    /// Forget vehicles whose row changed in a way this batch does not follow (their spot).
    fn forget(&mut self, ids: impl IntoIterator<Item = i64>) {
        let ids: HashSet<i64> = ids.into_iter().collect();
        if !ids.is_empty() {
            self.vehicles
                .retain(|_, v| v.as_ref().is_none_or(|v| !ids.contains(&v.id)));
        }
    }
}

/// The vehicle in service of `serial`: from the batch's rows when there are some (a row read
/// now is kept, so that the batch's later messages see what this one defers).
async fn vehicle(
    db: &impl ConnectionTrait,
    pre: Option<&mut Preloaded>,
    serial: &str,
) -> Result<store::LiveVehicle> {
    let found = match pre {
        Some(pre) => match pre.vehicles.get(serial) {
            Some(known) => known.clone(),
            None => {
                let read = store::vehicle_by_serial(db, serial).await?;
                pre.vehicles.insert(serial.to_owned(), read.clone());
                read
            }
        },
        None => store::vehicle_by_serial(db, serial).await?,
    };
    found.ok_or_else(|| unknown("vehicle", serial))
}

/// The ingest: applies messages under a topic prefix, keeping each network's parsed zones.
#[derive(Debug)]
pub struct Ingest {
    prefix: String,
    zones: ZonesCache,
}

/// One message of a batch: its topic and payload.
pub type Message<'a> = (&'a str, &'a [u8]);

impl Ingest {
    /// An ingest of topics under `prefix` (e.g. `relais`).
    pub fn new(prefix: impl Into<String>) -> Self {
        Ingest {
            prefix: prefix.into(),
            zones: ZonesCache::default(),
        }
    }

    /// Apply one message in its own transaction.
    pub async fn handle(
        &self,
        db: &DatabaseConnection,
        topic: &str,
        payload: &[u8],
    ) -> Result<Outcome> {
        let parsed = parse_message(&self.prefix, topic, payload)?;
        self.apply_alone(db, &parsed).await
    }

    async fn apply_alone(&self, db: &DatabaseConnection, parsed: &Parsed) -> Result<Outcome> {
        let txn = relais_store::db::begin_write(db).await?;
        let outcome = self.apply(&txn, None, parsed).await?;
        txn.commit().await?;
        Ok(outcome)
    }

    /// Apply `messages` in order, in one transaction when they are several, and answer each
    /// one's result in the same order. Refused messages change nothing; on a database error
    /// the batch is rolled back and its messages applied again one transaction each, so one
    /// failing message never takes the others with it.
    pub async fn handle_batch(
        &self,
        db: &DatabaseConnection,
        messages: &[Message<'_>],
    ) -> Vec<Result<Outcome>> {
        let mut parsed: Vec<Result<Parsed>> = messages
            .iter()
            .map(|(topic, payload)| parse_message(&self.prefix, topic, payload))
            .collect();
        let valid = parsed.iter().filter(|p| p.is_ok()).count();
        let applied = if valid > 1 {
            match self.apply_together(db, &parsed).await {
                Ok(applied) => Some(applied),
                Err(err) => {
                    tracing::debug!(error = %err, "IoT batch rolled back; one message at a time");
                    None
                }
            }
        } else {
            None
        };
        let mut results = Vec::with_capacity(parsed.len());
        match applied {
            Some(applied) => {
                for (p, outcome) in parsed.drain(..).zip(applied) {
                    results.push(match (p, outcome) {
                        (Err(e), _) => Err(e),
                        (Ok(_), Some(outcome)) => outcome,
                        (Ok(_), None) => unreachable!("every parsed message has an outcome"),
                    });
                }
            }
            None => {
                for p in parsed.drain(..) {
                    results.push(match p {
                        Err(e) => Err(e),
                        Ok(p) => self.apply_alone(db, &p).await,
                    });
                }
            }
        }
        results
    }

    /// The parsed messages applied in one transaction: `None` for those that did not parse.
    /// Fails, with nothing kept, on the first database error.
    async fn apply_together(
        &self,
        db: &DatabaseConnection,
        parsed: &[Result<Parsed>],
    ) -> Result<Vec<Option<Result<Outcome>>>> {
        let txn = relais_store::db::begin_write(db).await?;
        let mut pre = Preloaded::load(&txn, parsed).await?;
        let mut out = Vec::with_capacity(parsed.len());
        for p in parsed {
            let Ok(p) = p else {
                out.push(None);
                continue;
            };
            match self.apply(&txn, Some(&mut pre), p).await {
                Err(err) if !is_refusal(&err) => return Err(err),
                result => out.push(Some(result)),
            }
        }
        pre.flush(&txn).await?;
        txn.commit().await?;
        Ok(out)
    }

    async fn apply(
        &self,
        db: &impl ConnectionTrait,
        pre: Option<&mut Preloaded>,
        parsed: &Parsed,
    ) -> Result<Outcome> {
        let mut pre = pre;
        // Telemetry waiting to be written goes first: the other messages read or write vehicles.
        if !matches!(parsed, Parsed::Telemetry(..))
            && let Some(pre) = pre.as_deref_mut()
        {
            pre.flush(db).await?;
        }
        match parsed {
            Parsed::Telemetry(serial, t) => self.telemetry(db, pre, serial, t).await,
            Parsed::Event(serial, event, raw) => vehicle_event(db, pre, serial, event, raw).await,
            Parsed::Ack(serial, a) => ack(db, pre, serial, a).await,
            Parsed::Status(serial, status) => {
                let (outcome, moved) = station_status(db, serial, status).await?;
                if let Some(pre) = pre {
                    pre.forget(moved);
                }
                Ok(outcome)
            }
            Parsed::Energy(serial, e) => energy(db, serial, e).await,
        }
    }

    async fn telemetry(
        &self,
        db: &impl ConnectionTrait,
        pre: Option<&mut Preloaded>,
        serial: &str,
        t: &Telemetry,
    ) -> Result<Outcome> {
        let mut pre = pre;
        let v = vehicle(db, pre.as_deref_mut(), serial).await?;
        let now = t.ts.unwrap_or_else(Utc::now);
        let zones = self.zones.get(db, v.network_id, v.zones_version).await?;
        let was_inside = match (v.latitude, v.longitude) {
            (Some(lat), Some(lng)) => zones.inside_border(point(lat, lng)),
            _ => true,
        };
        let inside = zones.inside_border(point(t.lat, t.lng));
        let live = store::Telemetry {
            latitude: t.lat,
            longitude: t.lng,
            battery: t.battery,
            locked: t.locked,
            speed: t.speed,
            seen_at: now,
        };
        match pre {
            Some(pre) => {
                if let Some(Some(kept)) = pre.vehicles.get_mut(serial) {
                    kept.latitude = Some(t.lat);
                    kept.longitude = Some(t.lng);
                    kept.last_seen_at = Some(now);
                }
                pre.defer(v.id, live);
            }
            None => store::update_live_state(db, v.id, &live).await?,
        }
        let left_border = was_inside && !inside;
        let mut alerts = Vec::new();
        let mut commands = Vec::new();
        if left_border {
            let network = relais_store::networks::existing(db, v.network_id).await?;
            let user_id = store::rider(db, v.id).await?;
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
                store::record_event(
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
}

/// Apply one message received on `topic` (under `prefix`, e.g. `relais`) in one transaction,
/// without keeping anything between calls ([`Ingest`] keeps the parsed zones).
pub async fn handle_message(
    db: &DatabaseConnection,
    prefix: &str,
    topic: &str,
    payload: &[u8],
) -> Result<Outcome> {
    Ingest::new(prefix).handle(db, topic, payload).await
}

/// Queue the commands the network's border settings ask for when a vehicle leaves the border,
/// through the outbox's one door: each supersedes the waiting command of its kind.
async fn border_commands(
    db: &impl ConnectionTrait,
    network: &relais_store::entity::network::Model,
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
        ids.extend(
            network_vehicles::enqueue(
                db,
                command,
                &[command],
                vec![(vehicle_id, payload.to_string())],
                now,
            )
            .await?,
        );
    }
    Ok(ids)
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
    db: &impl ConnectionTrait,
    pre: Option<&mut Preloaded>,
    serial: &str,
    event: &Event,
    raw: &serde_json::Value,
) -> Result<Outcome> {
    let kind = event.event.as_str();
    let mut pre = pre;
    let v = vehicle(db, pre.as_deref_mut(), serial).await?;
    let at = event.ts.unwrap_or_else(Utc::now);
    if let Some(Some(kept)) = pre.and_then(|p| p.vehicles.get_mut(serial)) {
        kept.last_seen_at = Some(v.last_seen_at.map_or(at, |seen| seen.max(at)));
    }
    let position = event.lat.zip(event.lng).or(v.latitude.zip(v.longitude));
    let event_id = store::record_event(db, v.id, kind, raw.to_string(), position, at).await?;
    store::vehicle_seen(db, v.id, at).await?;
    let mut alert = None;
    if let Some(alert_type) = alert_of_event(kind) {
        let place = store::place_of_spot(db, v.spot_id).await?;
        let (raised, _) = fleet_alerts::raise(
            db,
            NewAlert {
                network_id: v.network_id,
                alert_type,
                severity: severity_of(alert_type),
                cluster_id: place.cluster_id,
                station_id: place.station_id,
                spot_id: place.spot_id,
                vehicle_id: Some(v.id),
                user_id: store::rider(db, v.id).await?,
                details: format!("vehicle {} reported `{kind}`", v.serial),
                created_at: at,
            },
        )
        .await?;
        alert = Some(raised.id);
    }
    Ok(Outcome::Event {
        vehicle_id: v.id,
        event_id,
        alert,
    })
}

/// What a report's spots change, worked out in memory in report order (a later line about a
/// spot or a vehicle wins, as if the lines were applied one by one), for
/// [`store::apply_spots`] to write in a constant number of statements.
struct SpotPlan {
    changes: SpotChanges,
    /// Reported spots that exist: (number, spot id), in report order.
    known: Vec<(i32, i64)>,
    unknown_spots: Vec<i32>,
    unknown_vehicles: Vec<String>,
}

fn plan_spots(
    reported: &[SpotStatus],
    spots: &[relais_store::entity::spot::Model],
    vehicles: &[store::DockedVehicle],
) -> SpotPlan {
    struct State {
        id: i64,
        occupied: bool,
        vehicle: Option<i64>,
        was: (bool, Option<i64>),
    }
    let mut state: Vec<State> = spots
        .iter()
        .map(|s| State {
            id: s.id,
            occupied: s.occupied,
            vehicle: s.vehicle_id,
            was: (s.occupied, s.vehicle_id),
        })
        .collect();
    let by_number: HashMap<i32, usize> = spots
        .iter()
        .enumerate()
        .map(|(i, s)| (s.number, i))
        .collect();
    let by_serial: HashMap<&str, &store::DockedVehicle> =
        vehicles.iter().map(|v| (v.serial.as_str(), v)).collect();
    // Vehicles put in a spot by this report, and the spot each ends in (none when it was
    // displaced afterwards).
    let mut placed: BTreeMap<i64, Option<i64>> = BTreeMap::new();
    // Vehicles (never placed by this report) that were in a spot reported without them.
    let mut left: Vec<(i64, i64)> = Vec::new();
    let mut plan = SpotPlan {
        changes: SpotChanges::default(),
        known: Vec::new(),
        unknown_spots: Vec::new(),
        unknown_vehicles: Vec::new(),
    };
    for r in reported {
        let Some(&i) = by_number.get(&r.number) else {
            plan.unknown_spots.push(r.number);
            continue;
        };
        let spot_id = state[i].id;
        plan.known.push((r.number, spot_id));
        let mut vehicle_id = None;
        if let Some(serial) = r.vehicle_serial.as_deref().filter(|_| r.occupied) {
            match by_serial.get(serial) {
                Some(v) => vehicle_id = Some(v.id),
                None => plan.unknown_vehicles.push(serial.to_owned()),
            }
        }
        // The vehicle that was in the spot and is no longer: it left the spot.
        if let Some(previous) = state[i].vehicle
            && Some(previous) != vehicle_id
        {
            match placed.get_mut(&previous) {
                Some(at) if *at == Some(spot_id) => *at = None,
                Some(_) => {}
                None => left.push((previous, spot_id)),
            }
        }
        if let Some(v) = vehicle_id {
            // A vehicle is in one spot at a time: it leaves any other reported one.
            for other in state.iter_mut().filter(|o| o.id != spot_id) {
                if other.vehicle == Some(v) {
                    other.vehicle = None;
                    other.occupied = false;
                }
            }
            placed.insert(v, Some(spot_id));
        }
        state[i].vehicle = vehicle_id;
        state[i].occupied = r.occupied;
    }
    let reported_ids: HashSet<i64> = state.iter().map(|s| s.id).collect();
    // A placed vehicle held by another spot than its last: that spot lets go first (the
    // others of the station are written below; those elsewhere just let go).
    let by_id: HashMap<i64, &store::DockedVehicle> = vehicles.iter().map(|v| (v.id, v)).collect();
    let mut release = BTreeMap::new();
    for (&v, &at) in &placed {
        let docked = by_id[&v];
        if let Some(held) = docked.held_by
            && Some(held) != at
        {
            release.insert(held, ());
        }
        if docked.spot_id != at || docked.virtual_parking_id.is_some() {
            plan.changes.vehicles.push((v, at));
        }
    }
    plan.changes.release = release.keys().copied().collect();
    for s in &state {
        if (s.occupied, s.vehicle) != s.was || release.contains_key(&s.id) {
            plan.changes.spots.push((s.id, s.occupied, s.vehicle));
        }
    }
    debug_assert!(
        plan.changes
            .spots
            .iter()
            .all(|s| reported_ids.contains(&s.0))
    );
    left.retain(|(v, _)| !placed.contains_key(v));
    plan.changes.left = left;
    plan
}

/// Applies a station status; answers its outcome and the vehicles whose spot it may have changed.
async fn station_status(
    db: &impl ConnectionTrait,
    serial: &str,
    status: &StationStatus,
) -> Result<(Outcome, Vec<i64>)> {
    let at = status.ts.unwrap_or_else(Utc::now);
    // The station's own state first: this finds it (nothing written for an unknown serial).
    let s = store::report_station_status(db, serial, status.power_ok, status.temperature, at)
        .await?
        .ok_or_else(|| unknown("station", serial))?;
    let mut alerts = Vec::new();
    let alert = |alert_type: AlertType, spot_id: Option<i64>, details: String| NewAlert {
        network_id: s.network_id,
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
    if !status.power_ok {
        if !s.power_cut_open {
            store::open_power_cut(db, s.id, at).await?;
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
    } else if s.power_cut_open {
        store::close_power_cut(db, s.id, at).await?;
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
    let mut numbers: Vec<i32> = status.spots.iter().map(|r| r.number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let spots = store::station_spots(db, s.id, &numbers).await?;
    let mut serials: Vec<&str> = status
        .spots
        .iter()
        .filter(|r| r.occupied)
        .filter_map(|r| r.vehicle_serial.as_deref())
        .collect();
    serials.sort_unstable();
    serials.dedup();
    let vehicles = store::vehicles_by_serial(db, &serials).await?;
    let plan = plan_spots(&status.spots, &spots, &vehicles);
    store::apply_spots(db, &plan.changes).await?;
    // A vehicle docked by the report ends its trip there, at the report's instant.
    let in_trip: HashSet<i64> = vehicles
        .iter()
        .filter(|v| v.trip_id.is_some())
        .map(|v| v.id)
        .collect();
    let docked: Vec<i64> = plan
        .changes
        .vehicles
        .iter()
        .filter(|(v, spot)| spot.is_some() && in_trip.contains(v))
        .map(|(v, _)| *v)
        .collect();
    relais_store::ride::end_docked(db, &docked, at).await?;
    let spot_of: HashMap<i32, i64> = plan.known.iter().copied().collect();
    for reported in &status.spots {
        if let Some(t) = reported.temperature
            && t > HIGH_TEMPERATURE
            && let Some(&spot_id) = spot_of.get(&reported.number)
        {
            let (a, new) = fleet_alerts::raise(
                db,
                alert(
                    AlertType::SpotHighTemperature,
                    Some(spot_id),
                    format!(
                        "spot {} of station {serial} reports {t} °C",
                        reported.number
                    ),
                ),
            )
            .await?;
            if new {
                alerts.push(a.id);
            }
        }
    }
    let moved = plan
        .changes
        .vehicles
        .iter()
        .map(|v| v.0)
        .chain(plan.changes.left.iter().map(|v| v.0))
        .collect();
    Ok((
        Outcome::StationStatus {
            station_id: s.id,
            alerts,
            unknown_spots: plan.unknown_spots,
            unknown_vehicles: plan.unknown_vehicles,
        },
        moved,
    ))
}

async fn energy(db: &impl ConnectionTrait, serial: &str, e: &Energy) -> Result<Outcome> {
    let s = store::station_by_serial(db, serial)
        .await?
        .ok_or_else(|| unknown("station", serial))?;
    let at = e.ts.unwrap_or_else(Utc::now);
    let reading_id = store::record_energy(db, s.id, at, e.energy_wh).await?;
    Ok(Outcome::Energy {
        station_id: s.id,
        reading_id,
    })
}

async fn ack(
    db: &impl ConnectionTrait,
    pre: Option<&mut Preloaded>,
    serial: &str,
    a: &Ack,
) -> Result<Outcome> {
    let v = vehicle(db, pre, serial).await?;
    let error: Option<String> = (!a.ok).then(|| {
        a.error
            .as_deref()
            .unwrap_or("refused by the vehicle")
            .chars()
            .take(500)
            .collect()
    });
    match store::acknowledge(db, v.id, a.id, error.as_deref()).await? {
        Acked::Applied => Ok(Outcome::Ack {
            command_id: a.id,
            ok: a.ok,
        }),
        Acked::Stale => Ok(Outcome::StaleAck { command_id: a.id }),
        Acked::NotThisVehicles => Err(IngestError::UnknownDevice {
            kind: "command",
            serial: format!("{serial}#{}", a.id),
        }),
    }
}
