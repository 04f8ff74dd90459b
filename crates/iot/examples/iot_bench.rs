//! The IoT ingest measured end to end: a fresh database with generated networks (each with a
//! border and every border action on) and vehicles, the real link connected to a real broker,
//! and a publisher sending telemetry and events with QoS 1. It reports the messages applied per
//! second (from the first publish to the last commit) and the latency from publish to commit.
//!
//! ```text
//! cargo build --release --example iot_bench -p relais-iot
//! target/release/examples/iot_bench [--messages 100000] [--vehicles 5000] [--networks 10]
//!     [--window 800] [--broker mqtt://127.0.0.1:1883] [--database postgres://...]
//! ```
//!
//! The broker is `--broker`, else Mosquitto at 127.0.0.1:1883 when it answers, else a rumqttd
//! started in this process. The database is a temporary SQLite file unless `--database` names a
//! PostgreSQL server, where a database is created for the run and dropped after it.
//!
//! The publisher keeps at most `--window` messages published and not yet applied: a broker
//! queues a bounded number of QoS 1 messages for a slow subscriber (Mosquitto 1000 by default)
//! and drops the rest, which would measure the broker's queue instead of the ingest.

#[path = "../tests/common/broker.rs"]
#[allow(dead_code)]
mod broker;

use chrono::Utc;
use relais_domain::geometry::Shape;
use relais_iot::{Counters, IotConfig, IotLink};
use relais_store::entity::{app_label, vehicle, vehicle_model};
use relais_store::geofencing::BorderSettings;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Args {
    messages: usize,
    vehicles: usize,
    networks: usize,
    window: u64,
    broker: Option<String>,
    database: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        messages: 100_000,
        vehicles: 5_000,
        networks: 10,
        window: 800,
        broker: None,
        database: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--messages" => a.messages = value().parse().expect("--messages"),
            "--vehicles" => a.vehicles = value().parse().expect("--vehicles"),
            "--networks" => a.networks = value().parse().expect("--networks"),
            "--window" => a.window = value().parse().expect("--window"),
            "--broker" => a.broker = Some(value()),
            "--database" => a.database = Some(value()),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// Where network `n`'s border is: a 0.2° square, side by side along the equator's north.
fn centre(n: usize) -> (f64, f64) {
    (10.0 + n as f64, 45.0)
}

async fn populate(db: &sea_orm::DatabaseConnection, a: &Args) -> Vec<String> {
    let now = Utc::now();
    let label = app_label::ActiveModel {
        name: Set("bench".into()),
        display_name: Set("Bench".into()),
        require_sms_validation: Set(false),
        require_terms_of_use: Set(false),
        auto_delete_users: Set(false),
        saved_payment_method_is_optional: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("app label");
    let model = vehicle_model::ActiveModel {
        name: Set("Bench bike".into()),
        kind: Set("bike".into()),
        manufacturer: Set("Acme".into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("model");
    let mut networks = Vec::new();
    for n in 0..a.networks {
        let network = relais_store::networks::create(
            db,
            relais_store::networks::NewNetwork {
                name: format!("Bench {n}"),
                default_vat: rust_decimal::Decimal::new(2, 1),
                country_id: 250,
                currency: "EUR".into(),
                default_vehicle_guarantee: rust_decimal::Decimal::new(150, 0),
                trip_to_skip_pre_auth_guarantee: 3,
                timezone: "Europe/Paris".into(),
                third_party_id: None,
                app_label_id: label.id,
                created_by: None,
            },
        )
        .await
        .expect("network");
        let (lng, lat) = centre(n);
        let shape = Shape::new(&[
            [lng - 0.1, lat - 0.1],
            [lng + 0.1, lat - 0.1],
            [lng + 0.1, lat + 0.1],
            [lng - 0.1, lat + 0.1],
        ])
        .expect("shape");
        relais_store::geofencing::set_border_shape(db, network.id, &shape)
            .await
            .expect("border");
        relais_store::geofencing::set_border_settings(
            db,
            network.id,
            BorderSettings {
                trigger_alert: true,
                notify_user: true,
                reduce_vehicle_speed: true,
                play_vehicle_sound: true,
                lock_vehicle: true,
            },
        )
        .await
        .expect("border settings");
        networks.push(network.id);
    }
    let serials: Vec<String> = (0..a.vehicles).map(|i| format!("BENCH{i:06}")).collect();
    for chunk in serials.chunks(500).enumerate().map(|(c, s)| (c * 500, s)) {
        let (first, chunk) = chunk;
        vehicle::Entity::insert_many(chunk.iter().enumerate().map(|(k, serial)| {
            vehicle::ActiveModel {
                serial: Set(serial.clone()),
                network_id: Set(networks[(first + k) % networks.len()]),
                model_id: Set(model.id),
                created_at: Set(now),
                status: Set("available".into()),
                locked: Set(true),
                ..Default::default()
            }
        }))
        .exec_without_returning(db)
        .await
        .expect("vehicles");
    }
    serials
}

/// The `"seq":<n>` of a payload, without a JSON parser (the probe runs on the ingest task).
fn seq_of(payload: &[u8]) -> Option<usize> {
    let key = b"\"seq\":";
    let at = payload.windows(key.len()).position(|w| w == key)? + key.len();
    let digits = payload[at..].iter().take_while(|b| b.is_ascii_digit());
    let mut n = 0usize;
    let mut any = false;
    for d in digits {
        n = n * 10 + usize::from(d - b'0');
        any = true;
    }
    any.then_some(n)
}

/// Message of round `round` (the vehicle's `round`-th message) for vehicle `i`, in 20 rounds:
/// 17 positions inside the border, 2 outside in a row (the first crosses the border: alert,
/// three commands superseding the last ones, a rider event), 1 event. So 85 % of the messages
/// are telemetry inside, 10 % outside (5 % crossings) and 5 % events.
fn payload(seq: usize, round: usize, i: usize, networks: usize) -> (bool, String) {
    let (lng, lat) = centre(i % networks);
    let jitter = (seq % 97) as f64 * 0.0005;
    match (round + i) % 20 {
        10 => (
            false,
            format!(r#"{{"event":"unlocked","seq":{seq},"lat":{lat},"lng":{lng}}}"#),
        ),
        4 | 5 => (
            true,
            format!(
                r#"{{"lat":{},"lng":{},"battery":{},"speed":12.5,"seq":{seq}}}"#,
                lat + 0.3,
                lng + jitter,
                seq % 100
            ),
        ),
        _ => (
            true,
            format!(
                r#"{{"lat":{},"lng":{},"battery":{},"locked":false,"speed":14.0,"seq":{seq}}}"#,
                lat + jitter - 0.02,
                lng + jitter - 0.02,
                seq % 100
            ),
        ),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank]
}

#[tokio::main]
async fn main() {
    let a = args();
    let broker = a.broker.clone().unwrap_or_else(|| {
        if std::net::TcpStream::connect_timeout(
            &"127.0.0.1:1883".parse().unwrap(),
            Duration::from_millis(300),
        )
        .is_ok()
        {
            "mqtt://127.0.0.1:1883".to_owned()
        } else {
            broker::broker()
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, postgres) = match &a.database {
        Some(server) if server.starts_with("postgres") => {
            let admin = relais_store::connect(server, 1).await.expect("PostgreSQL");
            let name = format!("relais_bench_{}", std::process::id());
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await
                .expect("drop");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
            let (base, _) = server.rsplit_once('/').expect("URL with a database");
            (format!("{base}/{name}"), Some((admin, name)))
        }
        Some(other) => panic!("--database must be a postgres:// URL, not {other}"),
        None => (
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            ),
            None,
        ),
    };
    let db = relais_store::connect(&url, 5).await.expect("connect");
    relais_store::db::migrate(&db).await.expect("migrate");
    let started = Instant::now();
    let serials = populate(&db, &a).await;
    println!(
        "database: {} ({} networks, {} vehicles, made in {:.1} s)",
        if postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        a.networks,
        a.vehicles,
        started.elapsed().as_secs_f64()
    );
    println!("broker: {broker}");

    let n = a.messages;
    let origin = Instant::now();
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let applied_at: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let prefix = format!("bench{}", std::process::id());
    let mut config = IotConfig::new(broker.clone());
    config.client_id = format!("relais-bench-{}", std::process::id());
    config.topic_prefix = prefix.clone();
    let probe_times = applied_at.clone();
    let link = IotLink::new(db.clone(), config).with_probe(Arc::new(move |payload, done| {
        if let Some(seq) = seq_of(payload)
            && let Some(slot) = probe_times.get(seq)
        {
            slot.store(
                done.duration_since(origin).as_nanos() as u64,
                Ordering::Relaxed,
            );
        }
    }));
    let counters = link.counters();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let link_task = tokio::spawn(link.run(async {
        let _ = stopped.await;
    }));
    while Counters::get(&counters.connections) == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (host, port) = IotConfig::new(broker.clone())
        .address()
        .expect("broker URL");
    let mut options = MqttOptions::new(
        format!("bench-publisher-{}", std::process::id()),
        host,
        port,
    );
    options.set_inflight(1000);
    options.set_keep_alive(Duration::from_secs(30));
    let (publisher, mut events) = AsyncClient::new(options, 1000);
    tokio::spawn(async move {
        loop {
            if events.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let done = |c: &Counters| {
        Counters::get(&c.ingested)
            + Counters::get(&c.malformed)
            + Counters::get(&c.unknown_devices)
            + Counters::get(&c.unknown_topics)
            + Counters::get(&c.errors)
    };
    let load_before = load_average();
    let first = Instant::now();
    for seq in 0..n {
        while seq as u64 - done(&counters) >= a.window {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        // Every vehicle in turn, in a scrambled order (7919 is prime).
        let i = (seq * 7919) % serials.len();
        let (telemetry, body) = payload(seq, seq / serials.len(), i, a.networks);
        let topic = format!(
            "{prefix}/vehicles/{}/{}",
            serials[i],
            if telemetry { "telemetry" } else { "events" }
        );
        sent[seq].store(origin.elapsed().as_nanos() as u64, Ordering::Relaxed);
        publisher
            .publish(topic, QoS::AtLeastOnce, false, body)
            .await
            .expect("publish");
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while done(&counters) < n as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = first.elapsed().as_secs_f64();
    let load_after = load_average();
    let finished = done(&counters);
    let last = applied_at
        .iter()
        .map(|t| t.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    let span = (last as f64 / 1e9) - first.duration_since(origin).as_secs_f64();
    let mut latencies: Vec<f64> = sent
        .iter()
        .zip(applied_at.iter())
        .filter_map(|(s, d)| {
            let (s, d) = (s.load(Ordering::Relaxed), d.load(Ordering::Relaxed));
            (d > 0).then(|| (d.saturating_sub(s)) as f64 / 1e6)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let seen = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM vehicles WHERE last_seen_at IS NOT NULL",
        ))
        .await
        .expect("count")
        .and_then(|row| row.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    println!(
        "messages: {n} published, {} applied, {} refused, {} failed, in {} batches (window {})",
        Counters::get(&counters.ingested),
        Counters::get(&counters.malformed)
            + Counters::get(&counters.unknown_devices)
            + Counters::get(&counters.unknown_topics),
        Counters::get(&counters.errors),
        Counters::get(&counters.batches),
        a.window
    );
    if finished < n as u64 {
        println!("INCOMPLETE: {finished} of {n} after {elapsed:.1} s");
    }
    println!(
        "throughput: {:.0} messages/s ({n} in {span:.2} s, first publish to last commit)",
        n as f64 / span
    );
    println!(
        "latency publish -> commit (ms): p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    println!("vehicles seen: {seen} of {}", a.vehicles);
    println!("load average: before {load_before}, after {load_after}");
    stop.send(()).ok();
    let _ = tokio::time::timeout(Duration::from_secs(10), link_task).await;
    db.close().await.ok();
    if let Some((admin, name)) = postgres {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
}
