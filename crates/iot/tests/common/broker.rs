//! The MQTT broker of a test. By default a real broker (rumqttd, MQTT 3.1.1) started inside the
//! test process on a free port, so that the tests need nothing but Rust;
//! `RELAIS_TEST_MQTT_URL=mqtt://host:port` runs them against that broker instead (Mosquitto in
//! CI), each test keeping to its own topic prefix and client ids.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The URL of a broker for one test: the outside one when `RELAIS_TEST_MQTT_URL` is set, else
/// a broker of its own, started here.
pub fn broker() -> String {
    match std::env::var("RELAIS_TEST_MQTT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => format!("mqtt://{}", start_broker()),
    }
}

/// Held while a port is chosen and taken, so that two tests of this process never pick the
/// same free port.
static STARTING: Mutex<()> = Mutex::new(());

/// Start a rumqttd broker on a free loopback port and wait until it accepts connections. Its
/// threads live as long as the test process.
fn start_broker() -> SocketAddr {
    let _guard = STARTING.lock().unwrap_or_else(|e| e.into_inner());
    let addr = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let server = rumqttd::ServerSettings {
        name: format!("test-{}", addr.port()),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections: rumqttd::ConnectionSettings {
            connection_timeout_ms: 10_000,
            max_payload_size: 64 * 1024,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 100,
            max_outgoing_packet_count: 200,
            max_segment_size: 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some(HashMap::from([("1".to_owned(), server)])),
        ..Default::default()
    };
    std::thread::Builder::new()
        .name(format!("mqtt-broker-{}", addr.port()))
        .spawn(move || {
            // `start` runs the servers and returns only if they stop.
            if let Err(err) = rumqttd::Broker::new(config).start() {
                eprintln!("test MQTT broker on {addr}: {err}");
            }
        })
        .expect("broker thread");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the test MQTT broker did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    addr
}
