//! Fixtures: a migrated database (a SQLite file in a temporary folder, or a database made on
//! the PostgreSQL server named by `RELAIS_TEST_DATABASE_URL` and dropped afterwards), rows made
//! in the store, and an MQTT broker.

#![allow(dead_code)]

pub mod broker;

use chrono::Utc;
use relais_domain::geometry::Shape;
use relais_store::entity::{
    app_label, cluster, fleet_alert, spot, station, vehicle, vehicle_command, vehicle_model,
};
use relais_store::geofencing::BorderSettings;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::sync::atomic::{AtomicU64, Ordering};

pub struct TestDb {
    pub db: DatabaseConnection,
    _place: Place,
}

enum Place {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server: String, name: String },
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Place::Postgres { server, name } = self {
            let (server, name) = (server.clone(), name.clone());
            // Outside the test's runtime: on a thread and runtime of its own.
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(async move {
                        if let Ok(admin) = relais_store::connect(&server, 1).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
            })
            .join();
        }
    }
}

pub async fn db() -> TestDb {
    let (db, place) = match std::env::var("RELAIS_TEST_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            let admin = relais_store::connect(&server, 1)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL from RELAIS_TEST_DATABASE_URL: {e}"));
            let name = unique("relais_iot_test_");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let (base, _) = server.rsplit_once('/').expect("URL with a database");
            let db = relais_store::connect(&format!("{base}/{name}"), 4)
                .await
                .expect("connect");
            (db, Place::Postgres { server, name })
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("relais.db").display()
            );
            let db = relais_store::connect(&url, 4).await.expect("connect");
            (db, Place::Sqlite(dir))
        }
    };
    relais_store::db::migrate(&db).await.expect("migrate");
    TestDb { db, _place: place }
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A name unique in this process (and across processes, thanks to the pid and the time).
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}x{}x{}",
        std::process::id(),
        Utc::now().timestamp_micros() % 1_000_000_000,
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn network(db: &DatabaseConnection) -> i64 {
    let label: String = unique("")
        .chars()
        .map(|c| (b'a' + (c as u8 % 26)) as char)
        .take(20)
        .collect();
    let label = app_label::ActiveModel {
        name: Set(label.clone()),
        display_name: Set(label),
        require_sms_validation: Set(false),
        require_terms_of_use: Set(false),
        auto_delete_users: Set(false),
        saved_payment_method_is_optional: Set(false),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("app label");
    relais_store::networks::create(
        db,
        relais_store::networks::NewNetwork {
            name: unique("Network "),
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
    .expect("network")
    .id
}

/// The square border (lng 4.80..4.90, lat 45.70..45.80) and the settings asked for.
pub async fn border(db: &DatabaseConnection, network: i64, settings: BorderSettings) {
    let shape =
        Shape::new(&[[4.80, 45.70], [4.90, 45.70], [4.90, 45.80], [4.80, 45.80]]).expect("shape");
    relais_store::geofencing::set_border_shape(db, network, &shape)
        .await
        .expect("border");
    relais_store::geofencing::set_border_settings(db, network, settings)
        .await
        .expect("settings");
}

pub const ALL_ACTIONS: BorderSettings = BorderSettings {
    trigger_alert: true,
    notify_user: true,
    reduce_vehicle_speed: true,
    play_vehicle_sound: true,
    lock_vehicle: true,
};

pub async fn vehicle(db: &DatabaseConnection, network: i64, serial: &str) -> i64 {
    let model = vehicle_model::ActiveModel {
        name: Set(unique("Model ")),
        kind: Set("bike".into()),
        manufacturer: Set("Acme".into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("model");
    vehicle::ActiveModel {
        serial: Set(serial.into()),
        network_id: Set(network),
        model_id: Set(model.id),
        created_at: Set(Utc::now()),
        status: Set("available".into()),
        locked: Set(true),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("vehicle")
    .id
}

/// Spot `number` of station `station`.
pub async fn spot(db: &DatabaseConnection, station: i64, number: i32) -> i64 {
    spot::ActiveModel {
        station_id: Set(station),
        number: Set(number),
        occupied: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("spot")
    .id
}

/// The zones version of network `network`.
pub async fn zones_version(db: &DatabaseConnection, network: i64) -> i64 {
    relais_store::networks::existing(db, network)
        .await
        .expect("network")
        .zones_version
}

/// A cluster with a station of serial `serial` and spots 1 and 2; answers (cluster, station,
/// [spot 1, spot 2]).
pub async fn station(db: &DatabaseConnection, network: i64, serial: &str) -> (i64, i64, [i64; 2]) {
    let cluster = cluster::ActiveModel {
        network_id: Set(network),
        name: Set(unique("Cluster ")),
        created_at: Set(Utc::now()),
        max_unlock_distance: Set(50),
        forced_down: Set(false),
        badge_reader: Set(false),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("cluster");
    let station = station::ActiveModel {
        cluster_id: Set(cluster.id),
        created_at: Set(Utc::now()),
        serial: Set(Some(serial.into())),
        name: Set(Some("Station".into())),
        power_ok: Set(true),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("station");
    let mut spots = [0; 2];
    for (i, number) in [1, 2].into_iter().enumerate() {
        spots[i] = spot::ActiveModel {
            station_id: Set(station.id),
            number: Set(number),
            occupied: Set(false),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("spot")
        .id;
    }
    (cluster.id, station.id, spots)
}

pub async fn get_vehicle(db: &DatabaseConnection, id: i64) -> vehicle::Model {
    vehicle::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

pub async fn alerts(db: &DatabaseConnection, network: i64) -> Vec<fleet_alert::Model> {
    fleet_alert::Entity::find()
        .filter(fleet_alert::Column::NetworkId.eq(network))
        .order_by_asc(fleet_alert::Column::Id)
        .all(db)
        .await
        .unwrap()
}

pub async fn queue(db: &DatabaseConnection, vehicle_id: i64, command: &str) -> i64 {
    vehicle_command::ActiveModel {
        vehicle_id: Set(vehicle_id),
        command: Set(command.into()),
        payload: Set(r#"{"x":1}"#.into()),
        state: Set("pending".into()),
        attempts: Set(0),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("command")
    .id
}
