//! Maintenances: what a maintenance type applies to, how serious it is, and the built-in labels
//! of the common type keys. The strings are the seed's; they are also what the database stores.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use utoipa::ToSchema;

/// A string value that is not one of an enumeration's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

/// The type of object on which a maintenance type applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MaintenanceTargetType {
    Station,
    Spot,
    Vehicle,
}

impl MaintenanceTargetType {
    /// Every value, in the seed's order.
    pub const ALL: &'static [MaintenanceTargetType] = &[Self::Station, Self::Spot, Self::Vehicle];

    /// The value as the seed spells it, also its stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Station => "station",
            Self::Spot => "spot",
            Self::Vehicle => "vehicle",
        }
    }
}

/// The severity of the problem a maintenance type describes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum MaintenanceSeverity {
    /// Does not impact the service but still needs to be known.
    Info,
    /// Reduces the quality of the service.
    Low,
    /// Makes the service unusable.
    High,
}

impl MaintenanceSeverity {
    /// Every value, in the seed's order.
    pub const ALL: &'static [MaintenanceSeverity] = &[Self::Info, Self::Low, Self::High];

    /// The value as the seed spells it, also its stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::High => "high",
        }
    }
}

macro_rules! text_forms {
    ($name:ident, $kind:literal) => {
        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownValue {
                        kind: $kind,
                        value: s.to_owned(),
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_forms!(MaintenanceTargetType, "maintenance target type");
text_forms!(MaintenanceSeverity, "maintenance severity");

/// Built-in labels of common maintenance type keys: (key, English, French).
const LABELS: &[(&str, &str, &str)] = &[
    ("flat-tyre", "Flat tyre", "Pneu crevé"),
    ("brake", "Brake problem", "Problème de frein"),
    ("light", "Light problem", "Problème d'éclairage"),
    ("lock", "Lock problem", "Problème d'antivol"),
    ("screen", "Screen problem", "Problème d'écran"),
    ("power", "Power problem", "Problème d'alimentation"),
    ("cleaning", "Cleaning needed", "Nettoyage nécessaire"),
];

/// The label of a maintenance type key in `lang` (two letters): French for `fr`, English
/// otherwise; a key without a built-in label is its own label.
pub fn label(key: &str, lang: &str) -> String {
    match LABELS.iter().find(|(k, _, _)| *k == key) {
        Some((_, _, french)) if lang == "fr" => (*french).to_owned(),
        Some((_, english, _)) => (*english).to_owned(),
        None => key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for value in MaintenanceTargetType::ALL {
            assert_eq!(value.as_str().parse::<MaintenanceTargetType>(), Ok(*value));
        }
        for value in MaintenanceSeverity::ALL {
            assert_eq!(value.as_str().parse::<MaintenanceSeverity>(), Ok(*value));
        }
        assert!("Station".parse::<MaintenanceTargetType>().is_err());
    }

    #[test]
    fn labels_fall_back_to_english_then_to_the_key() {
        assert_eq!(label("brake", "fr"), "Problème de frein");
        assert_eq!(label("brake", "de"), "Brake problem");
        assert_eq!(label("custom-thing", "fr"), "custom-thing");
    }
}
