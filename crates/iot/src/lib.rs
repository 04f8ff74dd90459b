//! The IoT link: vehicles and stations talk to relais over MQTT.
//!
//! # Topics
//!
//! Every topic starts with a configurable prefix (`topic_prefix`, default `relais`). Payloads are
//! JSON; `ts` is an RFC 3339 instant (the time of reception when absent).
//!
//! | topic | from | payload |
//! |---|---|---|
//! | `<prefix>/vehicles/<serial>/telemetry` | vehicle | `{"lat", "lng", "battery", "locked", "speed", "ts"}` (`lat`/`lng` required) |
//! | `<prefix>/vehicles/<serial>/events` | vehicle | `{"event": "lifted" \| "fallen" \| "dismantling" \| "illegal-moving" \| ..., "ts", "lat", "lng", ...}` |
//! | `<prefix>/stations/<serial>/status` | station | `{"power_ok", "temperature", "spots": [{"number", "occupied", "vehicle_serial", "temperature"}], "ts"}` |
//! | `<prefix>/stations/<serial>/energy` | station | `{"energy_wh", "ts"}` |
//! | `<prefix>/vehicles/<serial>/commands` | relais | `{"id", "command", "payload"}` |
//! | `<prefix>/vehicles/<serial>/acks` | vehicle | `{"id", "ok", "error"}` |
//!
//! # What messages do
//!
//! [`Ingest`] applies messages through the store, several in one transaction when they wait
//! together, and [`handle_message`] one alone (see `docs/iot.md`):
//!
//! - telemetry updates the vehicle's live state (position, battery, locked, speed,
//!   `last_seen_at`). When the position leaves the network's border (the previous one was inside,
//!   or unknown), the network's border settings apply: `border_trigger_alert` raises
//!   `vehicle-out-of-network-area`; `border_reduce_vehicle_speed`, `border_play_vehicle_sound` and
//!   `border_lock_vehicle` queue `reduce-speed`, `play-sound` and `lock` in the command outbox;
//!   `border_notify_user` records a `notify-user` vehicle event for the rider side. They apply on
//!   the crossing only, not again for every position outside.
//! - events are recorded as vehicle events; `lifted`, `fallen`, `dismantling` and
//!   `illegal-moving` raise `vehicle-lifted` (high), `vehicle-fallen` (low),
//!   `vehicle-dismantling` (critical) and `vehicle-illegal-moving` (high).
//! - station status updates power, temperature and `last_seen_at`, each spot's occupancy and
//!   vehicle; `power_ok: false` opens a `power-cut` outage and raises `station-power-cut`
//!   (critical), `power_ok: true` closes the open outage; a temperature above 60 °C raises
//!   `spot-high-temperature` (high) for the station, or for the spot when a spot reports it.
//! - energy records an energy reading.
//! - acks mark the command delivered (`ok: true`) or record a failed attempt.
//!
//! An alert already open for the same vehicle (else spot, else station) and type is not raised
//! again.
//!
//! # Robustness
//!
//! Malformed payloads, unknown devices and unknown topics are counted in [`Counters`] and logged
//! at warn with the topic and at most 200 characters of the payload; they change nothing. The
//! link reconnects with exponential backoff (1 s to 30 s) when the broker goes away, and
//! subscribes again on each connection.
//!
//! # Off the event loop
//!
//! The MQTT event loop only receives: each message goes into a bounded queue ([`QUEUE`]) that
//! one ingest task empties in batches ([`BATCH`] at most per transaction), so a slow database
//! never delays keep-alives. When the queue is full the event loop waits (back-pressure: the
//! broker holds what is not read yet) rather than drop messages.

mod ingest;
mod metrics;
pub mod topics;

pub use ingest::{
    HIGH_TEMPERATURE, Ingest, IngestError, LOCK, Message, NOTIFY_USER, Outcome, PLAY_SOUND,
    POWER_CUT, REDUCE_SPEED, handle_message, severity_of,
};
pub use metrics::IotMetrics;

use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use relais_store::entity::vehicle;
use relais_store::network_vehicles;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Messages received and not yet applied, at most; the event loop waits beyond.
pub const QUEUE: usize = 1024;
/// Messages applied in one transaction, at most.
pub const BATCH: usize = 256;

/// How to reach the broker and how the link behaves.
#[derive(Debug, Clone)]
pub struct IotConfig {
    /// `mqtt://host:port` (port 1883 when absent; `tcp://` is accepted too).
    pub url: String,
    /// The MQTT client id of relais.
    pub client_id: String,
    /// First segment(s) of every topic.
    pub topic_prefix: String,
    /// How long a published command waits for its ack before the attempt counts as failed.
    pub ack_timeout: Duration,
    /// How often the outbox is read for pending commands.
    pub poll_interval: Duration,
}

impl IotConfig {
    pub fn new(url: impl Into<String>) -> Self {
        IotConfig {
            url: url.into(),
            client_id: "relais".into(),
            topic_prefix: "relais".into(),
            ack_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(2),
        }
    }

    /// Host and port of the broker.
    pub fn address(&self) -> Result<(String, u16), String> {
        let rest = self
            .url
            .strip_prefix("mqtt://")
            .or_else(|| self.url.strip_prefix("tcp://"))
            .ok_or_else(|| format!("mqtt_url must start with mqtt://: {}", self.url))?;
        let rest = rest.trim_end_matches('/');
        match rest.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse()
                    .map_err(|_| format!("invalid port in mqtt_url: {}", self.url))?;
                Ok((host.to_owned(), port))
            }
            None if !rest.is_empty() => Ok((rest.to_owned(), 1883)),
            None => Err(format!("no host in mqtt_url: {}", self.url)),
        }
    }
}

/// What the link has seen and done since it started.
#[derive(Debug)]
pub struct Counters {
    /// Messages received on the subscribed topics.
    pub received: AtomicU64,
    /// Messages applied.
    pub ingested: AtomicU64,
    /// Payloads that were not the JSON their topic carries.
    pub malformed: AtomicU64,
    /// Messages from vehicles or stations relais does not know (or acks of unknown commands).
    pub unknown_devices: AtomicU64,
    /// Messages on topics relais does not handle.
    pub unknown_topics: AtomicU64,
    /// Messages that failed for another reason (database).
    pub errors: AtomicU64,
    /// Commands published.
    pub commands_published: AtomicU64,
    /// Commands acknowledged ok.
    pub commands_delivered: AtomicU64,
    /// Attempts that failed (ack error or timeout).
    pub commands_failed: AtomicU64,
    /// Connections established (1 for the first, more after reconnections).
    pub connections: AtomicU64,
    /// Connection failures or losses.
    pub disconnections: AtomicU64,
    /// Messages received and waiting in the queue for the ingest task.
    pub queued: AtomicU64,
    /// Batches applied: one transaction each, unless a database error made the batch apply its
    /// messages one transaction each.
    pub batches: AtomicU64,
    /// Seconds from a message's reception to the end of its transaction.
    pub latency: Histogram,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            received: AtomicU64::default(),
            ingested: AtomicU64::default(),
            malformed: AtomicU64::default(),
            unknown_devices: AtomicU64::default(),
            unknown_topics: AtomicU64::default(),
            errors: AtomicU64::default(),
            commands_published: AtomicU64::default(),
            commands_delivered: AtomicU64::default(),
            commands_failed: AtomicU64::default(),
            connections: AtomicU64::default(),
            disconnections: AtomicU64::default(),
            queued: AtomicU64::default(),
            batches: AtomicU64::default(),
            // 100 µs to about 3 s.
            latency: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    /// A counter's value.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The first 200 characters of a payload, for logs.
fn excerpt(payload: &[u8]) -> String {
    String::from_utf8_lossy(payload).chars().take(200).collect()
}

/// Called with each applied message's payload and the instant its transaction ended (a
/// measurement hook: the benchmark reads its own send times from the payloads).
pub type AppliedProbe = Arc<dyn Fn(&[u8], Instant) + Send + Sync>;

/// A message received, waiting for the ingest task.
struct Received {
    publish: rumqttc::Publish,
    at: Instant,
}

/// The link: a database, a configuration and its counters.
#[derive(Clone)]
pub struct IotLink {
    db: DatabaseConnection,
    config: IotConfig,
    ingest: Arc<Ingest>,
    probe: Option<AppliedProbe>,
    counters: Arc<Counters>,
    /// Commands published and waiting for their ack, with when they were published.
    in_flight: Arc<Mutex<HashMap<i64, Instant>>>,
    connected: Arc<AtomicBool>,
}

impl IotLink {
    pub fn new(db: DatabaseConnection, config: IotConfig) -> Self {
        IotLink {
            db,
            ingest: Arc::new(Ingest::new(config.topic_prefix.clone())),
            config,
            probe: None,
            counters: Arc::default(),
            in_flight: Arc::default(),
            connected: Arc::default(),
        }
    }

    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// The counters as Prometheus metrics, to register on the server's `/metrics`.
    pub fn metrics(&self) -> IotMetrics {
        IotMetrics::new(self.counters.clone())
    }

    /// Call `probe` after each message applied (see [`AppliedProbe`]).
    pub fn with_probe(mut self, probe: AppliedProbe) -> Self {
        self.probe = Some(probe);
        self
    }

    /// Apply a message and count it; never fails (failures are counted and logged).
    pub async fn handle(&self, topic: &str, payload: &[u8]) -> Option<Outcome> {
        bump(&self.counters.received);
        let result = self.ingest.handle(&self.db, topic, payload).await;
        bump(&self.counters.batches);
        self.count(topic, payload, result)
    }

    /// Apply the messages waiting together (see [`Ingest::handle_batch`]) and count them.
    async fn handle_received(&self, batch: &[Received]) {
        let messages: Vec<Message<'_>> = batch
            .iter()
            .map(|m| (m.publish.topic.as_str(), m.publish.payload.as_ref()))
            .collect();
        let results = self.ingest.handle_batch(&self.db, &messages).await;
        let done = Instant::now();
        bump(&self.counters.batches);
        for (m, result) in batch.iter().zip(results) {
            self.counters
                .latency
                .observe(done.duration_since(m.at).as_secs_f64());
            let applied = result.is_ok();
            self.count(&m.publish.topic, &m.publish.payload, result);
            if applied && let Some(probe) = &self.probe {
                probe(&m.publish.payload, done);
            }
        }
    }

    fn count(
        &self,
        topic: &str,
        payload: &[u8],
        result: Result<Outcome, IngestError>,
    ) -> Option<Outcome> {
        let c = &self.counters;
        match result {
            Ok(outcome) => {
                bump(&c.ingested);
                match outcome {
                    Outcome::Ack { command_id, ok } => {
                        self.in_flight
                            .lock()
                            .expect("in-flight")
                            .remove(&command_id);
                        bump(if ok {
                            &c.commands_delivered
                        } else {
                            &c.commands_failed
                        });
                    }
                    Outcome::StaleAck { command_id } => {
                        self.in_flight
                            .lock()
                            .expect("in-flight")
                            .remove(&command_id);
                    }
                    _ => {}
                }
                Some(outcome)
            }
            Err(err) => {
                let counter = match &err {
                    IngestError::UnknownTopic => &c.unknown_topics,
                    IngestError::Malformed(_) => &c.malformed,
                    IngestError::UnknownDevice { .. } => &c.unknown_devices,
                    IngestError::Store(_) => &c.errors,
                };
                bump(counter);
                tracing::warn!(topic, payload = %excerpt(payload), error = %err, "IoT message ignored");
                None
            }
        }
    }

    /// Publish pending commands not already waiting for an ack, and count the attempts whose
    /// ack did not come in time as failed. Answers how many commands were published.
    pub async fn deliver(&self, client: &AsyncClient) -> Result<u64, relais_store::StoreError> {
        self.expire_in_flight().await;
        if !self.connected.load(Ordering::Relaxed) {
            return Ok(0);
        }
        // The claim holds each command for the ack's time: no other process publishes it
        // meanwhile, and this one does not publish it again before its attempt is counted.
        let lease = chrono::Duration::from_std(self.config.ack_timeout)
            .unwrap_or(chrono::Duration::seconds(30));
        let claimed =
            network_vehicles::claim_commands(&self.db, chrono::Utc::now(), lease, 200).await?;
        let waiting: Vec<_> = {
            let in_flight = self.in_flight.lock().expect("in-flight");
            claimed
                .into_iter()
                .filter(|c| !in_flight.contains_key(&c.id))
                .collect()
        };
        if waiting.is_empty() {
            return Ok(0);
        }
        let serials: HashMap<i64, String> = vehicle::Entity::find()
            .filter(vehicle::Column::Id.is_in(waiting.iter().map(|c| c.vehicle_id)))
            .all(&self.db)
            .await
            .map_err(relais_store::StoreError::from)?
            .into_iter()
            .map(|v| (v.id, v.serial))
            .collect();
        let mut published = 0;
        let mut unpublished = Vec::new();
        let mut commands = waiting.into_iter();
        for command in commands.by_ref() {
            let Some(serial) = serials.get(&command.vehicle_id) else {
                unpublished.push(command.id);
                continue;
            };
            let payload: serde_json::Value =
                serde_json::from_str(&command.payload).unwrap_or(serde_json::Value::Null);
            let message = serde_json::json!({
                "id": command.id,
                "command": command.command,
                "payload": payload,
            });
            let topic = topics::commands(&self.config.topic_prefix, serial);
            match client.try_publish(topic, QoS::AtLeastOnce, false, message.to_string()) {
                Ok(()) => {
                    self.in_flight
                        .lock()
                        .expect("in-flight")
                        .insert(command.id, Instant::now());
                    bump(&self.counters.commands_published);
                    published += 1;
                }
                // The request queue is full: the rest waits for the next round.
                Err(_) => {
                    unpublished.push(command.id);
                    break;
                }
            }
        }
        unpublished.extend(commands.map(|c| c.id));
        network_vehicles::release_commands(&self.db, &unpublished).await?;
        Ok(published)
    }

    async fn expire_in_flight(&self) {
        let expired: Vec<i64> = {
            let mut in_flight = self.in_flight.lock().expect("in-flight");
            let timeout = self.config.ack_timeout;
            let expired: Vec<i64> = in_flight
                .iter()
                .filter(|(_, at)| at.elapsed() >= timeout)
                .map(|(id, _)| *id)
                .collect();
            for id in &expired {
                in_flight.remove(id);
            }
            expired
        };
        for id in expired {
            bump(&self.counters.commands_failed);
            if let Err(err) = network_vehicles::mark_failed(&self.db, id, "no ack in time").await {
                tracing::debug!(command = id, error = %err, "timed-out command not marked");
            }
        }
    }

    /// Run the link until `shutdown` completes: connect, subscribe, ingest, deliver commands,
    /// reconnect with backoff.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), String> {
        let (host, port) = self.config.address()?;
        let mut options = MqttOptions::new(self.config.client_id.clone(), host, port);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_session(true);
        options.set_max_packet_size(256 * 1024, 256 * 1024);
        let (client, mut eventloop) = AsyncClient::new(options, 256);
        let prefix = self.config.topic_prefix.clone();
        let (queue, mut waiting) = tokio::sync::mpsc::channel::<Received>(QUEUE);
        let ingester = {
            let link = self.clone();
            tokio::spawn(async move {
                let mut batch = Vec::with_capacity(BATCH);
                while waiting.recv_many(&mut batch, BATCH).await > 0 {
                    link.counters
                        .queued
                        .fetch_sub(batch.len() as u64, Ordering::Relaxed);
                    link.handle_received(&batch).await;
                    batch.clear();
                }
            })
        };
        let deliverer = {
            let link = self.clone();
            let client = client.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(link.config.poll_interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    if let Err(err) = link.deliver(&client).await {
                        tracing::warn!(error = %err, "IoT command delivery failed");
                    }
                }
            })
        };
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_secs(1);
        let result = loop {
            tokio::select! {
                _ = &mut shutdown => break Ok(()),
                event = eventloop.poll() => match event {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        backoff = Duration::from_secs(1);
                        bump(&self.counters.connections);
                        tracing::info!(url = %self.config.url, "IoT link connected");
                        for topic in topics::subscriptions(&prefix) {
                            if let Err(err) = client.try_subscribe(topic, QoS::AtLeastOnce) {
                                tracing::warn!(error = %err, "IoT subscription failed");
                            }
                        }
                        self.connected.store(true, Ordering::Relaxed);
                    }
                    Ok(Event::Incoming(Packet::Publish(publish))) => {
                        bump(&self.counters.received);
                        bump(&self.counters.queued);
                        let message = Received { publish, at: Instant::now() };
                        // Full: wait for room (the broker keeps what is not read yet).
                        tokio::select! {
                            _ = &mut shutdown => break Ok(()),
                            sent = queue.send(message) => if sent.is_err() {
                                break Err("the IoT ingest task stopped".to_owned());
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(err) => {
                        self.connected.store(false, Ordering::Relaxed);
                        bump(&self.counters.disconnections);
                        tracing::warn!(error = %err, retry_in = ?backoff, "IoT link disconnected");
                        tokio::select! {
                            _ = &mut shutdown => break Ok(()),
                            _ = tokio::time::sleep(backoff) => {}
                        }
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                    }
                }
            }
        };
        deliverer.abort();
        // What was received is applied before the link stops.
        drop(queue);
        let _ = ingester.await;
        let _ = client.try_disconnect();
        result
    }
}

/// Run the link on `db` with `config` until `shutdown` completes.
pub async fn run(
    db: DatabaseConnection,
    config: IotConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), String> {
    IotLink::new(db, config).run(shutdown).await
}
