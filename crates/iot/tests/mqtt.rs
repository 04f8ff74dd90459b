//! Through a real broker: one started in this process for each test, or the one named by
//! `RELAIS_TEST_MQTT_URL` (Mosquitto in CI), where each test uses its own topic prefix and
//! client ids, so runs in parallel never see each other.

mod common;

use common::broker::broker;
use common::*;
use relais_iot::{Counters, IotConfig, IotLink};
use relais_store::network_vehicles;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

fn config(broker: &str, prefix: &str) -> IotConfig {
    let mut config = IotConfig::new(broker.to_owned());
    config.client_id = unique("relais-test-");
    config.topic_prefix = prefix.to_owned();
    config.poll_interval = Duration::from_millis(100);
    config
}

/// A device: a client publishing, and the messages of its subscriptions.
async fn device(
    broker: &str,
    subscribe: Option<String>,
) -> (AsyncClient, mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    let (host, port) = IotConfig::new(broker.to_owned()).address().unwrap();
    let options = MqttOptions::new(unique("device-"), host, port);
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    let (tx, rx) = mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = oneshot::channel();
    let mut ready = Some(ready_tx);
    let wanted = subscribe.clone();
    let sub_client = client.clone();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    if let Some(topic) = &wanted {
                        sub_client
                            .subscribe(topic.clone(), QoS::AtLeastOnce)
                            .await
                            .unwrap();
                    } else if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = tx.send((p.topic.clone(), p.payload.to_vec()));
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), ready_rx)
        .await
        .expect("device connected")
        .unwrap();
    (client, rx)
}

/// Wait until `check` holds (10 s at most).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Start the link; answers its counters and the way to stop it.
async fn start(
    link: IotLink,
) -> (
    std::sync::Arc<Counters>,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let counters = link.counters();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        link.run(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    let c = counters.clone();
    eventually("the link to connect", || {
        let c = c.clone();
        async move { Counters::get(&c.connections) >= 1 }
    })
    .await;
    // Let the subscriptions reach the broker.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (counters, stop, task)
}

#[tokio::test]
async fn published_telemetry_updates_the_vehicle() {
    let t = db().await;
    let net = network(&t.db).await;
    let serial = "MQT001";
    let v = vehicle(&t.db, net, serial).await;
    let broker = broker();
    let prefix = unique("test/");
    let link = IotLink::new(t.db.clone(), config(&broker, &prefix));
    let metrics = link.metrics();
    let (counters, stop, task) = start(link).await;
    let (device, _) = device(&broker, None).await;
    device
        .publish(
            format!("{prefix}/vehicles/{serial}/telemetry"),
            QoS::AtLeastOnce,
            false,
            r#"{"lat": 45.75, "lng": 4.85, "battery": 42, "locked": true, "speed": 0}"#,
        )
        .await
        .unwrap();
    // A malformed one and one for an unknown vehicle: counted, the link goes on.
    device
        .publish(
            format!("{prefix}/vehicles/{serial}/telemetry"),
            QoS::AtLeastOnce,
            false,
            "nope",
        )
        .await
        .unwrap();
    device
        .publish(
            format!("{prefix}/vehicles/NOSUCH/telemetry"),
            QoS::AtLeastOnce,
            false,
            r#"{"lat": 1, "lng": 1}"#,
        )
        .await
        .unwrap();
    let db = t.db.clone();
    eventually("the vehicle to move", || {
        let db = db.clone();
        async move { get_vehicle(&db, v).await.battery == Some(42) }
    })
    .await;
    let row = get_vehicle(&t.db, v).await;
    assert_eq!((row.latitude, row.longitude), (Some(45.75), Some(4.85)));
    assert!(row.last_seen_at.is_some());
    let c = counters.clone();
    eventually("the bad messages to be counted", || {
        let c = c.clone();
        async move { Counters::get(&c.malformed) == 1 && Counters::get(&c.unknown_devices) == 1 }
    })
    .await;
    assert_eq!(Counters::get(&counters.ingested), 1);
    // The same figures as the server's /metrics shows them.
    let mut registry = prometheus_client::registry::Registry::with_prefix("relais");
    registry.register_collector(Box::new(metrics));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    for line in [
        "relais_iot_messages_received_total 3",
        "relais_iot_messages_applied_total 1",
        r#"relais_iot_messages_rejected_total{reason="malformed"} 1"#,
        r#"relais_iot_messages_rejected_total{reason="unknown_device"} 1"#,
        "relais_iot_queue_depth 0",
        "relais_iot_ingest_latency_seconds_count 3",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_pending_command_is_published_and_its_ack_marks_it_delivered() {
    let t = db().await;
    let net = network(&t.db).await;
    let serial = "MQT002";
    let v = vehicle(&t.db, net, serial).await;
    let id = queue(&t.db, v, "lock").await;
    let broker = broker();
    let prefix = unique("test/");
    let (device, mut inbox) = device(
        &broker,
        Some(format!("{prefix}/vehicles/{serial}/commands")),
    )
    .await;
    let (counters, stop, task) = start(IotLink::new(t.db.clone(), config(&broker, &prefix))).await;
    let (topic, payload) = tokio::time::timeout(Duration::from_secs(10), inbox.recv())
        .await
        .expect("a command")
        .unwrap();
    assert_eq!(topic, format!("{prefix}/vehicles/{serial}/commands"));
    let command: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(command["id"], id);
    assert_eq!(command["command"], "lock");
    assert_eq!(command["payload"], serde_json::json!({"x": 1}));
    device
        .publish(
            format!("{prefix}/vehicles/{serial}/acks"),
            QoS::AtLeastOnce,
            false,
            format!(r#"{{"id": {id}, "ok": true, "error": null}}"#),
        )
        .await
        .unwrap();
    let db = t.db.clone();
    eventually("the command to be delivered", || {
        let db = db.clone();
        async move {
            network_vehicles::vehicle_commands(&db, v).await.unwrap()[0].state == "delivered"
        }
    })
    .await;
    assert_eq!(Counters::get(&counters.commands_delivered), 1);
    // Delivered: never published again.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(inbox.try_recv().is_err());
    assert_eq!(Counters::get(&counters.commands_published), 1);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_command_without_ack_counts_as_a_failed_attempt_and_is_retried() {
    let t = db().await;
    let net = network(&t.db).await;
    let serial = "MQT003";
    let v = vehicle(&t.db, net, serial).await;
    queue(&t.db, v, "play-sound").await;
    let broker = broker();
    let prefix = unique("test/");
    let (_device, mut inbox) = device(
        &broker,
        Some(format!("{prefix}/vehicles/{serial}/commands")),
    )
    .await;
    let mut config = config(&broker, &prefix);
    config.ack_timeout = Duration::from_millis(300);
    let (_, stop, task) = start(IotLink::new(t.db.clone(), config)).await;
    for _ in 0..2 {
        tokio::time::timeout(Duration::from_secs(10), inbox.recv())
            .await
            .expect("a command, then its retry")
            .unwrap();
    }
    let db = t.db.clone();
    eventually("a failed attempt to be recorded", || {
        let db = db.clone();
        async move {
            let c = &network_vehicles::vehicle_commands(&db, v).await.unwrap()[0];
            c.attempts >= 1 && c.last_error.as_deref() == Some("no ack in time")
        }
    })
    .await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn an_unreachable_broker_is_retried_until_shutdown() {
    let t = db().await;
    // Port 1: nothing listens there.
    let config = config("mqtt://127.0.0.1:1", "unused");
    let link = IotLink::new(t.db.clone(), config);
    let counters = link.counters();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(link.run(async {
        let _ = stopped.await;
    }));
    let c = counters.clone();
    eventually("a failed connection", || {
        let c = c.clone();
        async move { Counters::get(&c.disconnections) >= 1 }
    })
    .await;
    assert!(!task.is_finished());
    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result, Ok(()));
}
