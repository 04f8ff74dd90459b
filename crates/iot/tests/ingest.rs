//! The ingest on the test database (SQLite, or PostgreSQL with `RELAIS_TEST_DATABASE_URL`):
//! each message kind, each alert, the border actions and their supersession, the zones kept
//! per network, batches, the statements a message costs, and the messages that must change
//! nothing.

mod common;

use common::*;
use relais_domain::geometry::Shape;
use relais_iot::{IngestError, IotConfig, IotLink, Outcome, handle_message};
use relais_store::entity::{
    energy_reading, spot, station, station_outage, vehicle_command, vehicle_event,
};
use relais_store::geofencing::BorderSettings;
use relais_store::network_vehicles;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const P: &str = "relais";

async fn send(
    db: &DatabaseConnection,
    topic: &str,
    payload: Value,
) -> Result<Outcome, IngestError> {
    handle_message(db, P, topic, payload.to_string().as_bytes()).await
}

async fn events(db: &DatabaseConnection, vehicle_id: i64) -> Vec<vehicle_event::Model> {
    vehicle_event::Entity::find()
        .filter(vehicle_event::Column::VehicleId.eq(vehicle_id))
        .order_by_asc(vehicle_event::Column::Id)
        .all(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn telemetry_updates_the_live_state_of_the_vehicle() {
    let t = db().await;
    let net = network(&t.db).await;
    let v = vehicle(&t.db, net, "VEH001").await;
    let outcome = send(
        &t.db,
        "relais/vehicles/VEH001/telemetry",
        json!({"lat": 45.75, "lng": 4.85, "battery": 80, "locked": false, "speed": 12.5, "ts": "2026-11-23T10:00:00Z"}),
    )
    .await
    .unwrap();
    assert_eq!(
        outcome,
        Outcome::Telemetry {
            vehicle_id: v,
            left_border: false,
            alerts: vec![],
            commands: vec![]
        }
    );
    let row = get_vehicle(&t.db, v).await;
    assert_eq!((row.latitude, row.longitude), (Some(45.75), Some(4.85)));
    assert_eq!(row.battery, Some(80));
    assert!(!row.locked);
    assert_eq!(row.speed, Some(12.5));
    assert_eq!(
        row.last_seen_at.unwrap().to_rfc3339(),
        "2026-11-23T10:00:00+00:00"
    );
    // Fields left out stay as they were.
    send(
        &t.db,
        "relais/vehicles/VEH001/telemetry",
        json!({"lat": 45.76, "lng": 4.86}),
    )
    .await
    .unwrap();
    let row = get_vehicle(&t.db, v).await;
    assert_eq!(row.battery, Some(80));
    assert_eq!(row.latitude, Some(45.76));
    assert!(
        row.last_seen_at.unwrap()
            > "2026-11-23T10:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
    );
}

#[tokio::test]
async fn leaving_the_border_raises_the_alert_and_applies_every_setting_once() {
    let t = db().await;
    let net = network(&t.db).await;
    border(&t.db, net, ALL_ACTIONS).await;
    let v = vehicle(&t.db, net, "VEH002").await;
    let topic = "relais/vehicles/VEH002/telemetry";
    send(&t.db, topic, json!({"lat": 45.75, "lng": 4.85}))
        .await
        .unwrap();
    assert!(alerts(&t.db, net).await.is_empty());
    let Outcome::Telemetry {
        left_border,
        alerts: raised,
        commands,
        ..
    } = send(&t.db, topic, json!({"lat": 45.95, "lng": 4.85}))
        .await
        .unwrap()
    else {
        panic!("telemetry");
    };
    assert!(left_border);
    assert_eq!(raised.len(), 1);
    assert_eq!(commands.len(), 3);
    let all = alerts(&t.db, net).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].alert_type, "vehicle-out-of-network-area");
    assert_eq!(all[0].severity, "high");
    assert_eq!(all[0].vehicle_id, Some(v));
    let queued = network_vehicles::vehicle_commands(&t.db, v).await.unwrap();
    let kinds: Vec<&str> = queued.iter().map(|c| c.command.as_str()).collect();
    assert_eq!(kinds, vec!["reduce-speed", "play-sound", "lock"]);
    assert!(queued.iter().all(|c| c.state == "pending"));
    let speed: Value = serde_json::from_str(&queued[0].payload).unwrap();
    assert!(speed["max_speed"].is_i64());
    let notified = events(&t.db, v).await;
    assert_eq!(notified.len(), 1);
    assert_eq!(notified[0].kind, "notify-user");

    // Still outside: nothing again.
    let again = send(&t.db, topic, json!({"lat": 45.96, "lng": 4.85}))
        .await
        .unwrap();
    assert!(matches!(
        again,
        Outcome::Telemetry {
            left_border: false,
            ..
        }
    ));
    assert_eq!(alerts(&t.db, net).await.len(), 1);
    assert_eq!(
        network_vehicles::vehicle_commands(&t.db, v)
            .await
            .unwrap()
            .len(),
        3
    );
    // Back inside then out again: the alert is still open, so not raised twice; the actions
    // apply again on the new crossing.
    send(&t.db, topic, json!({"lat": 45.75, "lng": 4.85}))
        .await
        .unwrap();
    send(&t.db, topic, json!({"lat": 45.95, "lng": 4.85}))
        .await
        .unwrap();
    assert_eq!(alerts(&t.db, net).await.len(), 1);
    assert_eq!(
        network_vehicles::vehicle_commands(&t.db, v)
            .await
            .unwrap()
            .len(),
        6
    );
}

#[tokio::test]
async fn border_settings_off_mean_no_action() {
    let t = db().await;
    let net = network(&t.db).await;
    border(
        &t.db,
        net,
        BorderSettings {
            trigger_alert: false,
            notify_user: false,
            reduce_vehicle_speed: false,
            play_vehicle_sound: true,
            lock_vehicle: false,
        },
    )
    .await;
    let v = vehicle(&t.db, net, "VEH003").await;
    // A first position outside counts as leaving (the previous one is unknown).
    let outcome = send(
        &t.db,
        "relais/vehicles/VEH003/telemetry",
        json!({"lat": 10.0, "lng": 10.0}),
    )
    .await
    .unwrap();
    assert!(matches!(
        outcome,
        Outcome::Telemetry {
            left_border: true,
            ..
        }
    ));
    assert!(alerts(&t.db, net).await.is_empty());
    assert!(events(&t.db, v).await.is_empty());
    let kinds: Vec<String> = network_vehicles::vehicle_commands(&t.db, v)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.command)
        .collect();
    assert_eq!(kinds, vec!["play-sound"]);
    // A network without a border: anywhere is inside.
    let free = network(&t.db).await;
    vehicle(&t.db, free, "VEH004").await;
    let outcome = send(
        &t.db,
        "relais/vehicles/VEH004/telemetry",
        json!({"lat": 10.0, "lng": 10.0}),
    )
    .await
    .unwrap();
    assert!(matches!(
        outcome,
        Outcome::Telemetry {
            left_border: false,
            ..
        }
    ));
}

#[tokio::test]
async fn vehicle_events_are_recorded_and_raise_their_alerts_once() {
    let t = db().await;
    let net = network(&t.db).await;
    let v = vehicle(&t.db, net, "VEH010").await;
    let topic = "relais/vehicles/VEH010/events";
    for (event, alert_type, severity) in [
        ("lifted", "vehicle-lifted", "high"),
        ("fallen", "vehicle-fallen", "low"),
        ("dismantling", "vehicle-dismantling", "critical"),
        ("illegal-moving", "vehicle-illegal-moving", "high"),
    ] {
        let Outcome::Event {
            alert: Some(id),
            vehicle_id,
            ..
        } = send(
            &t.db,
            topic,
            json!({"event": event, "ts": "2026-11-23T10:00:00Z", "g": 2.5}),
        )
        .await
        .unwrap()
        else {
            panic!("{event}");
        };
        assert_eq!(vehicle_id, v);
        let alert = alerts(&t.db, net)
            .await
            .into_iter()
            .find(|a| a.id == id)
            .unwrap();
        assert_eq!(
            (alert.alert_type.as_str(), alert.severity.as_str()),
            (alert_type, severity)
        );
        assert_eq!(alert.vehicle_id, Some(v));
        // The same event again: the open alert is answered, not a new one.
        let Outcome::Event {
            alert: Some(same), ..
        } = send(&t.db, topic, json!({"event": event})).await.unwrap()
        else {
            panic!("{event}");
        };
        assert_eq!(same, id);
    }
    assert_eq!(alerts(&t.db, net).await.len(), 4);
    let recorded = events(&t.db, v).await;
    assert_eq!(recorded.len(), 8);
    assert_eq!(recorded[0].kind, "lifted");
    let payload: Value = serde_json::from_str(&recorded[0].payload).unwrap();
    assert_eq!(payload["g"], 2.5);
    // Other events are recorded without alert.
    let outcome = send(&t.db, topic, json!({"event": "unlocked"}))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Event { alert: None, .. }));
    assert_eq!(alerts(&t.db, net).await.len(), 4);
    // Once resolved, the same event raises a new alert.
    use sea_orm::{ActiveModelTrait, Set};
    let first = alerts(&t.db, net).await[0].id;
    relais_store::entity::fleet_alert::ActiveModel {
        id: Set(first),
        resolved_at: Set(Some(chrono::Utc::now())),
        ..Default::default()
    }
    .update(&t.db)
    .await
    .unwrap();
    let Outcome::Event {
        alert: Some(new), ..
    } = send(&t.db, topic, json!({"event": "lifted"}))
        .await
        .unwrap()
    else {
        panic!("lifted");
    };
    assert_ne!(new, first);
    assert_eq!(alerts(&t.db, net).await.len(), 5);
}

#[tokio::test]
async fn station_status_updates_the_station_its_spots_outages_and_alerts() {
    let t = db().await;
    let net = network(&t.db).await;
    let (cluster, st, [spot1, spot2]) = station(&t.db, net, "STA001").await;
    let v1 = vehicle(&t.db, net, "VEH020").await;
    let topic = "relais/stations/STA001/status";
    let outcome = send(
        &t.db,
        topic,
        json!({"power_ok": true, "temperature": 21.5, "ts": "2026-11-23T10:00:00Z", "spots": [
            {"number": 1, "occupied": true, "vehicle_serial": "VEH020"},
            {"number": 2, "occupied": false, "vehicle_serial": null},
            {"number": 9, "occupied": true},
            {"number": 2, "occupied": false, "vehicle_serial": "NOPE99", "temperature": 20}
        ]}),
    )
    .await
    .unwrap();
    assert_eq!(
        outcome,
        Outcome::StationStatus {
            station_id: st,
            alerts: vec![],
            unknown_spots: vec![9],
            unknown_vehicles: vec![],
        }
    );
    let s = station::Entity::find_by_id(st)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert!(s.power_ok);
    assert_eq!(s.temperature, Some(21.5));
    assert!(s.last_seen_at.is_some());
    let s1 = spot::Entity::find_by_id(spot1)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert!(s1.occupied);
    assert_eq!(s1.vehicle_id, Some(v1));
    assert_eq!(get_vehicle(&t.db, v1).await.spot_id, Some(spot1));

    // The vehicle moves to spot 2; power cut; too hot.
    let outcome = send(
        &t.db,
        topic,
        json!({"power_ok": false, "temperature": 65.0, "spots": [
            {"number": 1, "occupied": false},
            {"number": 2, "occupied": true, "vehicle_serial": "VEH020", "temperature": 70.5}
        ]}),
    )
    .await
    .unwrap();
    let Outcome::StationStatus { alerts: raised, .. } = outcome else {
        panic!()
    };
    assert_eq!(raised.len(), 3);
    let all = alerts(&t.db, net).await;
    let kinds: Vec<(&str, &str, Option<i64>)> = all
        .iter()
        .map(|a| (a.alert_type.as_str(), a.severity.as_str(), a.spot_id))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("station-power-cut", "critical", None),
            ("spot-high-temperature", "high", None),
            ("spot-high-temperature", "high", Some(spot2)),
        ]
    );
    assert!(
        all.iter()
            .all(|a| a.station_id == Some(st) && a.cluster_id == Some(cluster))
    );
    let s1 = spot::Entity::find_by_id(spot1)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!s1.occupied);
    assert_eq!(s1.vehicle_id, None);
    assert_eq!(get_vehicle(&t.db, v1).await.spot_id, Some(spot2));
    let outages = station_outage::Entity::find().all(&t.db).await.unwrap();
    assert_eq!(outages.len(), 1);
    assert_eq!(outages[0].kind, "power-cut");
    assert_eq!(outages[0].ended_at, None);

    // Still cut: no second outage nor alert.
    send(&t.db, topic, json!({"power_ok": false}))
        .await
        .unwrap();
    assert_eq!(
        station_outage::Entity::find()
            .all(&t.db)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(alerts(&t.db, net).await.len(), 3);
    // Power back: the outage closes.
    send(
        &t.db,
        topic,
        json!({"power_ok": true, "ts": "2030-01-01T00:00:00Z"}),
    )
    .await
    .unwrap();
    let outages = station_outage::Entity::find().all(&t.db).await.unwrap();
    assert_eq!(
        outages[0].ended_at.unwrap().to_rfc3339(),
        "2030-01-01T00:00:00+00:00"
    );
    // The vehicle leaves spot 2.
    send(
        &t.db,
        topic,
        json!({"power_ok": true, "spots": [{"number": 2, "occupied": false}]}),
    )
    .await
    .unwrap();
    assert_eq!(get_vehicle(&t.db, v1).await.spot_id, None);
}

#[tokio::test]
async fn energy_readings_are_recorded() {
    let t = db().await;
    let net = network(&t.db).await;
    let (_, st, _) = station(&t.db, net, "STA002").await;
    let outcome = send(
        &t.db,
        "relais/stations/STA002/energy",
        json!({"energy_wh": 1234, "ts": "2026-11-23T10:00:00Z"}),
    )
    .await
    .unwrap();
    let Outcome::Energy {
        station_id,
        reading_id,
    } = outcome
    else {
        panic!()
    };
    assert_eq!(station_id, st);
    let r = energy_reading::Entity::find_by_id(reading_id)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.energy_wh, 1234);
    assert_eq!(r.measured_at.to_rfc3339(), "2026-11-23T10:00:00+00:00");
    let err = send(
        &t.db,
        "relais/stations/STA002/energy",
        json!({"energy_wh": -1}),
    )
    .await;
    assert!(matches!(err, Err(IngestError::Malformed(_))));
}

#[tokio::test]
async fn acks_mark_commands_delivered_or_failed() {
    let t = db().await;
    let net = network(&t.db).await;
    let v = vehicle(&t.db, net, "VEH030").await;
    let other = vehicle(&t.db, net, "VEH031").await;
    let ok = queue(&t.db, v, "lock").await;
    let ko = queue(&t.db, v, "play-sound").await;
    let foreign = queue(&t.db, other, "lock").await;
    let topic = "relais/vehicles/VEH030/acks";
    assert_eq!(
        send(&t.db, topic, json!({"id": ok, "ok": true}))
            .await
            .unwrap(),
        Outcome::Ack {
            command_id: ok,
            ok: true
        }
    );
    assert_eq!(
        send(
            &t.db,
            topic,
            json!({"id": ko, "ok": false, "error": "busy"})
        )
        .await
        .unwrap(),
        Outcome::Ack {
            command_id: ko,
            ok: false
        }
    );
    // A second ack of a delivered command changes nothing.
    assert_eq!(
        send(
            &t.db,
            topic,
            json!({"id": ok, "ok": false, "error": "late"})
        )
        .await
        .unwrap(),
        Outcome::StaleAck { command_id: ok }
    );
    // Another vehicle's command, or none: unknown.
    assert!(matches!(
        send(&t.db, topic, json!({"id": foreign, "ok": true})).await,
        Err(IngestError::UnknownDevice { .. })
    ));
    assert!(matches!(
        send(&t.db, topic, json!({"id": 999999, "ok": true})).await,
        Err(IngestError::UnknownDevice { .. })
    ));
    let rows = vehicle_command::Entity::find().all(&t.db).await.unwrap();
    let by_id = |id| rows.iter().find(|c| c.id == id).unwrap();
    assert_eq!(by_id(ok).state, "delivered");
    assert!(by_id(ok).delivered_at.is_some());
    assert_eq!(by_id(ko).state, "pending");
    assert_eq!(by_id(ko).attempts, 1);
    assert_eq!(by_id(ko).last_error.as_deref(), Some("busy"));
    assert_eq!(by_id(foreign).state, "pending");
}

#[tokio::test]
async fn bad_messages_are_counted_and_change_nothing() {
    let t = db().await;
    let net = network(&t.db).await;
    border(&t.db, net, ALL_ACTIONS).await;
    let v = vehicle(&t.db, net, "VEH040").await;
    station(&t.db, net, "STA040").await;
    let link = IotLink::new(t.db.clone(), IotConfig::new("mqtt://127.0.0.1:1883"));
    let long = "x".repeat(10_000);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("relais/vehicles/VEH040/telemetry", b"{not json".to_vec()),
        (
            "relais/vehicles/VEH040/telemetry",
            br#"{"lat": "north", "lng": 4.8}"#.to_vec(),
        ),
        (
            "relais/vehicles/VEH040/telemetry",
            br#"{"lat": 95.0, "lng": 4.8}"#.to_vec(),
        ),
        (
            "relais/vehicles/VEH040/telemetry",
            br#"{"lat": 45.9, "lng": 4.8, "battery": 101}"#.to_vec(),
        ),
        (
            "relais/vehicles/VEH040/events",
            br#"{"event": "DROP TABLE"}"#.to_vec(),
        ),
        (
            "relais/vehicles/VEH040/events",
            br#"{"evnt": "lifted"}"#.to_vec(),
        ),
        (
            "relais/stations/STA040/status",
            br#"{"power_ok": "yes"}"#.to_vec(),
        ),
        ("relais/stations/STA040/energy", long.clone().into_bytes()),
        ("relais/vehicles/VEH040/acks", b"[]".to_vec()),
        ("relais/vehicles/VEH040/telemetry", vec![0xff, 0xfe, 0x00]),
    ];
    for (topic, payload) in &cases {
        assert_eq!(link.handle(topic, payload).await, None, "{topic}");
    }
    let unknown_devices = [
        (
            "relais/vehicles/NOSUCH/telemetry",
            json!({"lat": 45.9, "lng": 4.8}),
        ),
        ("relais/vehicles/NOSUCH/events", json!({"event": "lifted"})),
        ("relais/stations/NOSUCH/status", json!({"power_ok": false})),
        ("relais/stations/NOSUCH/energy", json!({"energy_wh": 1})),
    ];
    for (topic, payload) in &unknown_devices {
        assert_eq!(
            link.handle(topic, payload.to_string().as_bytes()).await,
            None
        );
    }
    for topic in [
        "relais/vehicles/VEH040/commands",
        "relais/vehicles/VEH040/selfie",
        "relais/buses/VEH040/telemetry",
        "elsewhere/vehicles/VEH040/telemetry",
        "relais",
    ] {
        assert_eq!(link.handle(topic, b"{}").await, None, "{topic}");
    }
    let c = link.counters();
    let get = relais_iot::Counters::get;
    assert_eq!(get(&c.malformed), cases.len() as u64);
    assert_eq!(get(&c.unknown_devices), 4);
    assert_eq!(get(&c.unknown_topics), 5);
    assert_eq!(get(&c.ingested), 0);
    assert_eq!(get(&c.received), cases.len() as u64 + 9);
    // Nothing changed.
    let row = get_vehicle(&t.db, v).await;
    assert_eq!(
        (row.latitude, row.battery, row.last_seen_at),
        (None, None, None)
    );
    assert!(alerts(&t.db, net).await.is_empty());
    assert!(events(&t.db, v).await.is_empty());
    assert!(
        network_vehicles::vehicle_commands(&t.db, v)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        energy_reading::Entity::find()
            .all(&t.db)
            .await
            .unwrap()
            .is_empty()
    );
    // And the link still works.
    assert!(
        link.handle(
            "relais/vehicles/VEH040/telemetry",
            br#"{"lat": 45.75, "lng": 4.85}"#
        )
        .await
        .is_some()
    );
    assert_eq!(get(&c.ingested), 1);
}

#[tokio::test]
async fn a_decommissioned_vehicle_is_unknown() {
    use sea_orm::{ActiveModelTrait, Set};
    let t = db().await;
    let net = network(&t.db).await;
    let v = vehicle(&t.db, net, "VEH050").await;
    relais_store::entity::vehicle::ActiveModel {
        id: Set(v),
        decommissioned_at: Set(Some(chrono::Utc::now())),
        ..Default::default()
    }
    .update(&t.db)
    .await
    .unwrap();
    assert!(matches!(
        send(
            &t.db,
            "relais/vehicles/VEH050/telemetry",
            json!({"lat": 45.0, "lng": 4.0})
        )
        .await,
        Err(IngestError::UnknownDevice {
            kind: "vehicle",
            ..
        })
    ));
}

#[tokio::test]
async fn a_second_border_exit_supersedes_the_waiting_commands() {
    let t = db().await;
    let net = network(&t.db).await;
    border(&t.db, net, ALL_ACTIONS).await;
    let v = vehicle(&t.db, net, "VEH060").await;
    let topic = "relais/vehicles/VEH060/telemetry";
    let inside = json!({"lat": 45.75, "lng": 4.85});
    let outside = json!({"lat": 45.95, "lng": 4.85});
    send(&t.db, topic, inside.clone()).await.unwrap();
    let Outcome::Telemetry {
        commands: first, ..
    } = send(&t.db, topic, outside.clone()).await.unwrap()
    else {
        panic!("telemetry");
    };
    // A command the Dashboard queued for the vehicle, of another kind: left alone.
    let other = queue(&t.db, v, "apply-settings").await;
    send(&t.db, topic, inside).await.unwrap();
    let Outcome::Telemetry {
        commands: second, ..
    } = send(&t.db, topic, outside).await.unwrap()
    else {
        panic!("telemetry");
    };
    assert_eq!((first.len(), second.len()), (3, 3));
    let rows = network_vehicles::vehicle_commands(&t.db, v).await.unwrap();
    let state = |id: i64| rows.iter().find(|c| c.id == id).unwrap().state.clone();
    assert!(
        first.iter().all(|&id| state(id) == "superseded"),
        "{rows:?}"
    );
    assert!(second.iter().all(|&id| state(id) == "pending"), "{rows:?}");
    assert_eq!(state(other), "pending");
    // Only the newest of each kind waits for delivery.
    let pending: Vec<_> = network_vehicles::pending_commands(&t.db, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.vehicle_id == v)
        .map(|c| c.command)
        .collect();
    assert_eq!(
        pending,
        vec!["apply-settings", "reduce-speed", "play-sound", "lock"]
    );
}

#[tokio::test]
async fn a_border_changed_in_the_store_is_seen_by_the_next_message() {
    let t = db().await;
    let net = network(&t.db).await;
    border(&t.db, net, ALL_ACTIONS).await;
    vehicle(&t.db, net, "VEH061").await;
    let link = IotLink::new(t.db.clone(), IotConfig::new("mqtt://127.0.0.1:1883"));
    let topic = "relais/vehicles/VEH061/telemetry";
    let moved = |lng: f64| json!({"lat": 45.75, "lng": lng}).to_string();
    // Inside the border (lng 4.80..4.90): the zones are read and kept.
    for lng in [4.85, 4.88, 4.85] {
        let outcome = link.handle(topic, moved(lng).as_bytes()).await.unwrap();
        assert!(matches!(
            outcome,
            Outcome::Telemetry {
                left_border: false,
                ..
            }
        ));
    }
    // The border shrinks to lng 4.80..4.86: 4.88 is now outside, which the kept zones do not
    // know.
    let before = zones_version(&t.db, net).await;
    let shape = Shape::new(&[[4.80, 45.70], [4.86, 45.70], [4.86, 45.80], [4.80, 45.80]]).unwrap();
    relais_store::geofencing::set_border_shape(&t.db, net, &shape)
        .await
        .unwrap();
    assert!(zones_version(&t.db, net).await > before);
    let outcome = link.handle(topic, moved(4.88).as_bytes()).await.unwrap();
    assert!(
        matches!(
            outcome,
            Outcome::Telemetry {
                left_border: true,
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn every_geofencing_change_raises_the_zones_version() {
    let t = db().await;
    let net = network(&t.db).await;
    assert_eq!(zones_version(&t.db, net).await, 0);
    let shape = Shape::new(&[[4.80, 45.70], [4.86, 45.70], [4.86, 45.80], [4.80, 45.80]]).unwrap();
    let mut last = 0;
    let mut raised = |now: i64, what: &str| {
        assert!(now > last, "{what} left the zones version at {now}");
        last = now;
    };
    use relais_store::geofencing as g;
    g::set_border_shape(&t.db, net, &shape).await.unwrap();
    raised(zones_version(&t.db, net).await, "set_border_shape");
    g::set_border_settings(&t.db, net, ALL_ACTIONS)
        .await
        .unwrap();
    raised(zones_version(&t.db, net).await, "set_border_settings");
    let zone = g::create_speed_zone(&t.db, net, &shape, 10).await.unwrap();
    raised(zones_version(&t.db, net).await, "create_speed_zone");
    g::update_speed_zone(&t.db, zone.id, None, Some(12))
        .await
        .unwrap();
    raised(zones_version(&t.db, net).await, "update_speed_zone");
    g::delete_speed_zone(&t.db, zone.id, chrono::Utc::now())
        .await
        .unwrap();
    raised(zones_version(&t.db, net).await, "delete_speed_zone");
    let parking = g::create_virtual_parking(&t.db, Some(net), &shape, 5)
        .await
        .unwrap();
    raised(zones_version(&t.db, net).await, "create_virtual_parking");
    g::update_virtual_parking(&t.db, parking.id, &shape, 6)
        .await
        .unwrap();
    raised(zones_version(&t.db, net).await, "update_virtual_parking");
    g::delete_virtual_parking(&t.db, parking.id, chrono::Utc::now())
        .await
        .unwrap();
    raised(zones_version(&t.db, net).await, "delete_virtual_parking");
    // A refused change raises nothing.
    let version = zones_version(&t.db, net).await;
    assert!(
        g::delete_speed_zone(&t.db, zone.id, chrono::Utc::now())
            .await
            .is_err()
    );
    assert_eq!(zones_version(&t.db, net).await, version);
}

/// The statements a message costs, BEGIN and COMMIT aside.
async fn statements_of(db: &DatabaseConnection, topic: &str, payload: Value) -> (usize, Outcome) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut counted = db.clone();
    let sink = seen.clone();
    counted.set_metric_callback(move |info| {
        sink.lock().unwrap().push(info.statement.sql.clone());
    });
    let outcome = relais_iot::Ingest::new(P)
        .handle(&counted, topic, payload.to_string().as_bytes())
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    let statements = seen
        .iter()
        .filter(|sql| {
            let sql = sql.trim_start().to_ascii_uppercase();
            !["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"]
                .iter()
                .any(|k| sql.starts_with(k))
        })
        .count();
    (statements, outcome)
}

/// A station of `n` spots and `n` vehicles; answers the statements of three reports: every
/// vehicle docking, every vehicle moving to the next spot, and the same again (no change).
async fn station_report_costs(n: i32) -> [usize; 3] {
    let t = db().await;
    let net = network(&t.db).await;
    let serial = unique("ST");
    let (_, st, _) = station(&t.db, net, &serial).await;
    let mut vehicles = Vec::new();
    for number in 1..=n {
        // Spots 1 and 2 come with the station.
        if number > 2 {
            spot(&t.db, st, number).await;
        }
        let vs = format!("{serial}V{number}");
        vehicles.push((vs.clone(), vehicle(&t.db, net, &vs).await));
    }
    let topic = format!("relais/stations/{serial}/status");
    let report = |shift: usize| {
        let spots: Vec<Value> = (0..n as usize)
            .map(|i| {
                json!({"number": i as i32 + 1, "occupied": true,
                       "vehicle_serial": vehicles[(i + shift) % n as usize].0})
            })
            .collect();
        json!({"power_ok": true, "spots": spots})
    };
    let (docking, _) = statements_of(&t.db, &topic, report(0)).await;
    let (moving, _) = statements_of(&t.db, &topic, report(1)).await;
    // Each vehicle is where the second report put it, and in one spot.
    let all_spots = spot::Entity::find()
        .filter(spot::Column::StationId.eq(st))
        .all(&t.db)
        .await
        .unwrap();
    for (i, (_, id)) in vehicles.iter().enumerate() {
        let number = ((i + n as usize - 1) % n as usize) as i32 + 1;
        let holding: Vec<i32> = all_spots
            .iter()
            .filter(|s| s.vehicle_id == Some(*id))
            .map(|s| s.number)
            .collect();
        assert_eq!(holding, vec![number], "vehicle {i} of {n}");
        let row = get_vehicle(&t.db, *id).await;
        let expected = all_spots.iter().find(|s| s.number == number).unwrap().id;
        assert_eq!(row.spot_id, Some(expected));
    }
    let (steady, _) = statements_of(&t.db, &topic, report(1)).await;
    [docking, moving, steady]
}

#[tokio::test]
async fn a_station_report_costs_the_same_few_statements_whatever_its_spots() {
    let small = station_report_costs(2).await;
    let large = station_report_costs(40).await;
    assert_eq!(small, large, "statements of 2 spots, then of 40");
    assert!(large.iter().all(|&n| n <= 6), "{large:?}");
    // Nothing changed: find the station, its spots and the vehicles, and stop there.
    assert_eq!(large[2], 3);
}

#[tokio::test]
async fn telemetry_costs_two_statements_once_the_zones_are_kept() {
    let t = db().await;
    let net = network(&t.db).await;
    border(&t.db, net, ALL_ACTIONS).await;
    vehicle(&t.db, net, "VEH062").await;
    let seen: Arc<Mutex<usize>> = Arc::default();
    let mut counted = t.db.clone();
    let sink = seen.clone();
    counted.set_metric_callback(move |info| {
        let sql = info.statement.sql.trim_start().to_ascii_uppercase();
        if !sql.starts_with("BEGIN") && !sql.starts_with("COMMIT") {
            *sink.lock().unwrap() += 1;
        }
    });
    let ingest = relais_iot::Ingest::new(P);
    let message = json!({"lat": 45.75, "lng": 4.85, "battery": 50}).to_string();
    let topic = "relais/vehicles/VEH062/telemetry";
    ingest
        .handle(&counted, topic, message.as_bytes())
        .await
        .unwrap();
    *seen.lock().unwrap() = 0;
    ingest
        .handle(&counted, topic, message.as_bytes())
        .await
        .unwrap();
    // The vehicle with its network's zones version, then its update.
    assert_eq!(*seen.lock().unwrap(), 2);
}

#[tokio::test]
async fn a_batch_applies_every_message_and_one_that_fails_changes_nothing() {
    let t = db().await;
    let net = network(&t.db).await;
    let a = vehicle(&t.db, net, "VEH070").await;
    let b = vehicle(&t.db, net, "VEH071").await;
    let (_, st, _) = station(&t.db, net, "STA070").await;
    // A database failure for one message: readings of 666 Wh are refused by a trigger.
    match t.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            t.db.execute_unprepared(
                "CREATE FUNCTION refuse_666() RETURNS trigger AS $$ BEGIN \
                 IF NEW.energy_wh = 666 THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END \
                 $$ LANGUAGE plpgsql",
            )
            .await
            .unwrap();
            t.db.execute_unprepared(
                "CREATE TRIGGER refuse_666 BEFORE INSERT ON energy_readings \
                 FOR EACH ROW EXECUTE FUNCTION refuse_666()",
            )
            .await
            .unwrap();
        }
        _ => {
            t.db.execute_unprepared(
                "CREATE TRIGGER refuse_666 BEFORE INSERT ON energy_readings \
                 WHEN NEW.energy_wh = 666 BEGIN SELECT RAISE(ABORT, 'boom'); END",
            )
            .await
            .unwrap();
        }
    }
    let ingest = relais_iot::Ingest::new(P);
    let batch: Vec<(&str, Vec<u8>)> = vec![
        (
            "relais/vehicles/VEH070/telemetry",
            br#"{"lat": 45.1, "lng": 4.1}"#.to_vec(),
        ),
        ("relais/vehicles/VEH070/telemetry", b"{nope".to_vec()),
        (
            "relais/vehicles/NOSUCH/telemetry",
            br#"{"lat": 1, "lng": 1}"#.to_vec(),
        ),
        (
            "relais/stations/STA070/energy",
            br#"{"energy_wh": 10}"#.to_vec(),
        ),
        (
            "relais/vehicles/VEH071/events",
            br#"{"event": "unlocked"}"#.to_vec(),
        ),
        (
            "relais/vehicles/VEH071/telemetry",
            br#"{"lat": 45.2, "lng": 4.2}"#.to_vec(),
        ),
    ];
    let messages: Vec<relais_iot::Message<'_>> =
        batch.iter().map(|(t, p)| (*t, p.as_slice())).collect();
    let results = ingest.handle_batch(&t.db, &messages).await;
    assert!(results[0].is_ok() && results[3].is_ok() && results[4].is_ok() && results[5].is_ok());
    assert!(matches!(results[1], Err(IngestError::Malformed(_))));
    assert!(matches!(results[2], Err(IngestError::UnknownDevice { .. })));
    assert_eq!(get_vehicle(&t.db, a).await.latitude, Some(45.1));
    assert_eq!(get_vehicle(&t.db, b).await.latitude, Some(45.2));
    assert_eq!(events(&t.db, b).await.len(), 1);

    // The same with a message the database refuses in the middle: the others are kept (the
    // batch is applied again one message at a time), the failing one left nothing.
    let batch: Vec<(&str, Vec<u8>)> = vec![
        (
            "relais/vehicles/VEH070/telemetry",
            br#"{"lat": 45.3, "lng": 4.3}"#.to_vec(),
        ),
        (
            "relais/stations/STA070/energy",
            br#"{"energy_wh": 666, "ts": "2031-01-01T00:00:00Z"}"#.to_vec(),
        ),
        (
            "relais/vehicles/VEH071/telemetry",
            br#"{"lat": 45.4, "lng": 4.4}"#.to_vec(),
        ),
    ];
    let messages: Vec<relais_iot::Message<'_>> =
        batch.iter().map(|(t, p)| (*t, p.as_slice())).collect();
    let results = ingest.handle_batch(&t.db, &messages).await;
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(
        matches!(results[1], Err(IngestError::Store(_))),
        "{results:?}"
    );
    assert_eq!(get_vehicle(&t.db, a).await.latitude, Some(45.3));
    assert_eq!(get_vehicle(&t.db, b).await.latitude, Some(45.4));
    let readings = energy_reading::Entity::find().all(&t.db).await.unwrap();
    assert_eq!(readings.len(), 1);
    let s = station::Entity::find_by_id(st)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    // The failed reading did not mark the station seen in 2031.
    assert!(
        s.last_seen_at.unwrap()
            < "2030-01-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
    );
}

#[tokio::test]
async fn a_batch_follows_each_vehicle_from_one_message_to_the_next() {
    let t = db().await;
    let net = network(&t.db).await;
    border(&t.db, net, ALL_ACTIONS).await;
    let v = vehicle(&t.db, net, "VEH080").await;
    let (cluster, st, [spot1, _]) = station(&t.db, net, "STA080").await;
    let ingest = relais_iot::Ingest::new(P);
    let batch: Vec<(&str, String)> = vec![
        (
            "relais/vehicles/VEH080/telemetry",
            json!({"lat": 45.75, "lng": 4.85, "battery": 70}).to_string(),
        ),
        // Outside, as the previous message of the batch left it: a crossing.
        (
            "relais/vehicles/VEH080/telemetry",
            json!({"lat": 45.95, "lng": 4.85, "speed": 3.0}).to_string(),
        ),
        // Without a position: the last one reported, in this batch.
        (
            "relais/vehicles/VEH080/events",
            json!({"event": "unlocked"}).to_string(),
        ),
        (
            "relais/vehicles/VEH080/telemetry",
            json!({"lat": 45.76, "lng": 4.86}).to_string(),
        ),
        (
            "relais/stations/STA080/status",
            json!({"power_ok": true, "spots": [
            {"number": 1, "occupied": true, "vehicle_serial": "VEH080"}]})
            .to_string(),
        ),
        // Docked by the report just before: the alert names its spot.
        (
            "relais/vehicles/VEH080/events",
            json!({"event": "lifted"}).to_string(),
        ),
        (
            "relais/vehicles/VEH080/telemetry",
            json!({"lat": 45.77, "lng": 4.87, "locked": true}).to_string(),
        ),
    ];
    let messages: Vec<relais_iot::Message<'_>> =
        batch.iter().map(|(t, p)| (*t, p.as_bytes())).collect();
    let results = ingest.handle_batch(&t.db, &messages).await;
    let outcomes: Vec<Outcome> = results.into_iter().map(Result::unwrap).collect();
    assert!(matches!(
        outcomes[0],
        Outcome::Telemetry {
            left_border: false,
            ..
        }
    ));
    assert!(
        matches!(&outcomes[1], Outcome::Telemetry { left_border: true, commands, .. } if commands.len() == 3),
        "{:?}",
        outcomes[1]
    );
    let recorded = events(&t.db, v).await;
    let unlocked = recorded.iter().find(|e| e.kind == "unlocked").unwrap();
    assert_eq!(
        (unlocked.latitude, unlocked.longitude),
        (Some(45.95), Some(4.85))
    );
    let lifted = alerts(&t.db, net)
        .await
        .into_iter()
        .find(|a| a.alert_type == "vehicle-lifted")
        .unwrap();
    assert_eq!(
        (lifted.cluster_id, lifted.station_id, lifted.spot_id),
        (Some(cluster), Some(st), Some(spot1))
    );
    let row = get_vehicle(&t.db, v).await;
    assert_eq!((row.latitude, row.longitude), (Some(45.77), Some(4.87)));
    assert_eq!(
        (row.battery, row.speed, row.locked),
        (Some(70), Some(3.0), true)
    );
    assert_eq!(row.spot_id, Some(spot1));
}

#[tokio::test]
async fn a_station_docking_a_vehicle_ends_its_trip_there() {
    use relais_store::entity::trip::{self, EndPlace, EndedBy, TripState};
    let t = db().await;
    let net = network(&t.db).await;
    let (cluster, _, [spot1, _]) = station(&t.db, net, "STA077").await;
    let v = vehicle(&t.db, net, "VEH077").await;
    let started = chrono::Utc::now() - chrono::Duration::minutes(12);
    let ride = relais_store::trips::record(
        &t.db,
        relais_store::trips::NewTrip {
            network_id: net,
            vehicle_id: Some(v),
            started_at: started,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ride.state, TripState::Running);
    // The vehicle serves it, as a start leaves it.
    let mut taken: relais_store::entity::vehicle::ActiveModel = get_vehicle(&t.db, v).await.into();
    taken.trip_id = sea_orm::Set(Some(ride.id));
    taken.status = sea_orm::Set("in_use".into());
    sea_orm::ActiveModelTrait::update(taken, &t.db)
        .await
        .unwrap();
    let at = chrono::Utc::now();
    send(
        &t.db,
        "relais/stations/STA077/status",
        json!({"power_ok": true, "ts": at.to_rfc3339(), "spots": [
            {"number": 1, "occupied": true, "vehicle_serial": "VEH077"}
        ]}),
    )
    .await
    .unwrap();
    let ended = trip::Entity::find_by_id(ride.id)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.state, TripState::Finished);
    assert_eq!(ended.ended_by, Some(EndedBy::Station));
    assert_eq!(ended.end_place, Some(EndPlace::Station));
    assert_eq!(ended.end_spot_id, Some(spot1));
    assert_eq!(ended.end_cluster_id, Some(cluster));
    assert_eq!(
        ended.duration,
        Some((ended.ended_at.unwrap() - started).num_seconds())
    );
    // Priced (no rule: free) and its settlement armed.
    assert_eq!(ended.price_total, Some(0));
    assert!(
        relais_store::jobs::find(&t.db, relais_store::ride::SETTLE_JOB, ride.id)
            .await
            .unwrap()
            .is_some()
    );
    // A second report changes nothing more.
    send(
        &t.db,
        "relais/stations/STA077/status",
        json!({"power_ok": true, "spots": [
            {"number": 1, "occupied": true, "vehicle_serial": "VEH077"}
        ]}),
    )
    .await
    .unwrap();
    let again = trip::Entity::find_by_id(ride.id)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.ended_at, ended.ended_at);
}
