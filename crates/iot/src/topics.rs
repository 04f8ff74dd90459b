//! The MQTT topics of the link, under a configurable prefix (default `relais`).

/// A topic of a vehicle, after `<prefix>/vehicles/<serial>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VehicleTopic {
    Telemetry,
    Events,
    /// Published by relais, never ingested.
    Commands,
    Acks,
}

/// A topic of a station, after `<prefix>/stations/<serial>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StationTopic {
    Status,
    Energy,
}

/// A parsed topic: the device's serial and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Vehicle(String, VehicleTopic),
    Station(String, StationTopic),
}

impl Route {
    /// Parse `topic` under `prefix`; `None` for anything else (including empty serials and
    /// serials longer than the 64 characters a serial may have).
    pub fn parse(prefix: &str, topic: &str) -> Option<Route> {
        let rest = topic.strip_prefix(prefix)?.strip_prefix('/')?;
        let mut parts = rest.split('/');
        let (family, serial, kind) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || serial.is_empty() || serial.chars().count() > 64 {
            return None;
        }
        let serial = serial.to_owned();
        match (family, kind) {
            ("vehicles", "telemetry") => Some(Route::Vehicle(serial, VehicleTopic::Telemetry)),
            ("vehicles", "events") => Some(Route::Vehicle(serial, VehicleTopic::Events)),
            ("vehicles", "commands") => Some(Route::Vehicle(serial, VehicleTopic::Commands)),
            ("vehicles", "acks") => Some(Route::Vehicle(serial, VehicleTopic::Acks)),
            ("stations", "status") => Some(Route::Station(serial, StationTopic::Status)),
            ("stations", "energy") => Some(Route::Station(serial, StationTopic::Energy)),
            _ => None,
        }
    }
}

/// The subscriptions of the link (every topic relais ingests).
pub fn subscriptions(prefix: &str) -> Vec<String> {
    vec![
        format!("{prefix}/vehicles/+/telemetry"),
        format!("{prefix}/vehicles/+/events"),
        format!("{prefix}/vehicles/+/acks"),
        format!("{prefix}/stations/+/status"),
        format!("{prefix}/stations/+/energy"),
    ]
}

/// The topic relais publishes the commands of vehicle `serial` on.
pub fn commands(prefix: &str, serial: &str) -> String {
    format!("{prefix}/vehicles/{serial}/commands")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_parse_under_their_prefix() {
        assert_eq!(
            Route::parse("relais", "relais/vehicles/AB1234/telemetry"),
            Some(Route::Vehicle("AB1234".into(), VehicleTopic::Telemetry))
        );
        assert_eq!(
            Route::parse("a/b", "a/b/stations/S1/energy"),
            Some(Route::Station("S1".into(), StationTopic::Energy))
        );
        assert_eq!(Route::parse("relais", "other/vehicles/A/telemetry"), None);
        assert_eq!(Route::parse("relais", "relaisx/vehicles/A/telemetry"), None);
        assert_eq!(Route::parse("relais", "relais/vehicles//telemetry"), None);
        assert_eq!(
            Route::parse("relais", "relais/vehicles/A/telemetry/x"),
            None
        );
        assert_eq!(Route::parse("relais", "relais/stations/A/telemetry"), None);
        assert_eq!(commands("relais", "A"), "relais/vehicles/A/commands");
    }
}
