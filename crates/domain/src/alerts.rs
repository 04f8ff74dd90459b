//! Alerts and notifications: the kinds of alert the system raises, their severities, and the
//! kinds of notification a network sends about them. The strings are the seed's; they are what
//! the API reads and writes and what the database stores (`as_str` / `FromStr`).

use std::str::FromStr;

/// A string value that is not one of an enumeration's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

/// An enumeration of fixed strings: serde, OpenAPI, `ALL`, `as_str`, `FromStr` and `Display`
/// from one list, so the stored, sent and documented spellings cannot drift apart. Paths are
/// absolute: other modules of the crate use it too (`crate::alerts::string_enum`).
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] #[schema(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every value, in the seed's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The value as the seed spells it, also its stored form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::alerts::UnknownValue;

            fn from_str(s: &str) -> Result<Self, $crate::alerts::UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)*
                    other => Err($crate::alerts::UnknownValue { kind: $kind, value: other.to_owned() }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// The type of a notification a network sends.
    NotificationType, "notification type" {
        FleetAlert = "fleet-alert",
        VehicleFault = "vehicle-fault",
        StationDown = "station-down",
        SupportReport = "support-report",
        SupportMessage = "support-message",
    }
}

string_enum! {
    /// A kind of alert raised on the fleet.
    AlertType, "alert type" {
        UnexpectedUnlock = "unexpected-unlock",
        SpotIdentifyFail = "spot-identify-fail",
        SpotHighTemperature = "spot-high-temperature",
        StationPowerCut = "station-power-cut",
        StationAlarmTriggered = "station-alarm-triggered",
        VehicleIllegalMoving = "vehicle-illegal-moving",
        VehicleDismantling = "vehicle-dismantling",
        VehicleLifted = "vehicle-lifted",
        VehicleFallen = "vehicle-fallen",
        VehicleOutOfNetworkArea = "vehicle-out-of-network-area",
    }
}

string_enum! {
    /// How serious an alert is.
    AlertSeverity, "alert severity" {
        Low = "low",
        High = "high",
        Critical = "critical",
    }
}

/// Join values for storage in one text column (`"low,critical"`).
pub fn join<T: Copy + Into<&'static str>>(values: &[T]) -> String {
    values
        .iter()
        .map(|v| (*v).into())
        .collect::<Vec<&str>>()
        .join(",")
}

/// Split a stored list back into values; an empty text is an empty list.
pub fn split<T: FromStr<Err = UnknownValue>>(stored: &str) -> Result<Vec<T>, UnknownValue> {
    stored
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

impl From<AlertType> for &'static str {
    fn from(v: AlertType) -> Self {
        v.as_str()
    }
}

impl From<AlertSeverity> for &'static str {
    fn from(v: AlertSeverity) -> Self {
        v.as_str()
    }
}

impl From<NotificationType> for &'static str {
    fn from(v: NotificationType) -> Self {
        v.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip() {
        for t in AlertType::ALL {
            assert_eq!(t.as_str().parse::<AlertType>().unwrap(), *t);
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                serde_json::Value::String(t.as_str().into())
            );
        }
        for s in AlertSeverity::ALL {
            assert_eq!(s.as_str().parse::<AlertSeverity>().unwrap(), *s);
        }
        for n in NotificationType::ALL {
            assert_eq!(n.as_str().parse::<NotificationType>().unwrap(), *n);
        }
        assert_eq!(AlertType::ALL.len(), 10);
        assert!("Low".parse::<AlertSeverity>().is_err());
    }

    #[test]
    fn lists_are_stored_comma_separated() {
        let stored = join(&[AlertSeverity::Low, AlertSeverity::Critical]);
        assert_eq!(stored, "low,critical");
        assert_eq!(
            split::<AlertSeverity>(&stored).unwrap(),
            vec![AlertSeverity::Low, AlertSeverity::Critical]
        );
        assert_eq!(split::<AlertType>("").unwrap(), vec![]);
        assert!(split::<AlertType>("vehicle-lifted,nope").is_err());
        let parsed: AlertType = serde_json::from_str("\"vehicle-out-of-network-area\"").unwrap();
        assert_eq!(parsed, AlertType::VehicleOutOfNetworkArea);
    }
}
