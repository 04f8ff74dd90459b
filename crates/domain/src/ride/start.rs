//! The checks before an unlock (rules 1 to 13 of "Start a trip"), the refusals riders are
//! told, and whether a guarantee is held.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::fmt;

/// Which out-of-order situation refuses an unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfOrderCause {
    /// The network is declared out of order now.
    Network,
    /// The vehicle's cluster is declared out of order now.
    Cluster,
    /// Staff forced the vehicle's cluster down.
    ClusterForcedDown,
}

/// Why a vehicle is not available to rent (rule 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailability {
    /// Decommissioned.
    NotInService,
    /// Its status is not `available` (maintenance, missing, in use).
    NotAvailable,
    /// Another trip holds it.
    InTrip,
    /// Stored in a stock.
    InStock,
    /// Neither docked, in a virtual parking, nor free floating inside the border.
    Misplaced,
}

/// Why an unlock is refused or failed; its [`key`](Self::key) is what the API and
/// `trips.cancel_reason` / `unlock_requests.reason` carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockRefusal {
    /// Rule 1: the rider is blocked or erased.
    AccountUnusable,
    /// Rule 2: the rider has an open debt.
    UnpaidDebt {
        /// What remains to pay.
        amount: Decimal,
    },
    /// Rule 3: the network is closed.
    NetworkClosed,
    /// Rule 4: the network or the vehicle's cluster is out of order.
    OutOfOrder {
        /// Which.
        cause: OutOfOrderCause,
    },
    /// Rule 5: no access rule of the network lets the rider in.
    AccessDenied,
    /// Rule 6: the vehicle cannot be rented.
    VehicleUnavailable {
        /// Why.
        why: Unavailability,
    },
    /// Rule 7: the vehicle has not been heard from recently.
    VehicleOffline {
        /// Whole minutes since it was last seen (rounded up); `None` when never seen.
        unseen_minutes: Option<i64>,
    },
    /// Rule 8: the battery is below `min_battery_to_rent`, or unknown.
    BatteryTooLow {
        /// The battery level in percent, when known.
        battery: Option<i32>,
        /// `min_battery_to_rent`.
        required: i32,
    },
    /// Rule 9: the rider is farther than the cluster's `max_unlock_distance`.
    TooFar {
        /// The distance, in whole metres rounded up.
        distance_m: u32,
        /// The cluster's `max_unlock_distance`.
        max_m: u32,
    },
    /// Rule 10: the rider already holds `max_simultaneous_rented_vehicle` vehicles.
    TooManyVehicles {
        /// The rider's open trips on the network.
        open: u32,
        /// `max_simultaneous_rented_vehicle`.
        max: u32,
    },
    /// Rule 11: the network requires a first purchase.
    FirstPurchaseRequired,
    /// Rule 12: no usable payment method and not enough credit for the unlock price.
    NoPaymentMethod {
        /// The unlock price in force.
        unlock_price: Decimal,
    },
    /// Rule 13: a guarantee is needed and the rider has no card to hold it on.
    GuaranteeNeedsCard {
        /// The guarantee's amount.
        amount: Decimal,
    },
    /// The provider declined the hold.
    GuaranteeDeclined,
    /// The provider asks the rider to confirm the hold (3-D Secure).
    GuaranteeRequiresAction,
    /// The vehicle did not answer the `unlock` command in time.
    VehicleNotResponding,
    /// The vehicle answered the `unlock` command with an error.
    VehicleRefused,
}

impl UnlockRefusal {
    /// Every key, in the order of the design's table (rules 1 to 13, then the hold, then the
    /// vehicle's answer): for `docs/errors.md`.
    pub const KEYS: &'static [&'static str] = &[
        "account_unusable",
        "unpaid_debt",
        "network_closed",
        "out_of_order",
        "access_denied",
        "vehicle_unavailable",
        "vehicle_offline",
        "battery_too_low",
        "too_far",
        "too_many_vehicles",
        "first_purchase_required",
        "no_payment_method",
        "guarantee_needs_card",
        "guarantee_declined",
        "guarantee_requires_action",
        "vehicle_not_responding",
        "vehicle_refused",
    ];

    /// The stable key: stored, and sent first in the field's message.
    pub fn key(&self) -> &'static str {
        match self {
            Self::AccountUnusable => "account_unusable",
            Self::UnpaidDebt { .. } => "unpaid_debt",
            Self::NetworkClosed => "network_closed",
            Self::OutOfOrder { .. } => "out_of_order",
            Self::AccessDenied => "access_denied",
            Self::VehicleUnavailable { .. } => "vehicle_unavailable",
            Self::VehicleOffline { .. } => "vehicle_offline",
            Self::BatteryTooLow { .. } => "battery_too_low",
            Self::TooFar { .. } => "too_far",
            Self::TooManyVehicles { .. } => "too_many_vehicles",
            Self::FirstPurchaseRequired => "first_purchase_required",
            Self::NoPaymentMethod { .. } => "no_payment_method",
            Self::GuaranteeNeedsCard { .. } => "guarantee_needs_card",
            Self::GuaranteeDeclined => "guarantee_declined",
            Self::GuaranteeRequiresAction => "guarantee_requires_action",
            Self::VehicleNotResponding => "vehicle_not_responding",
            Self::VehicleRefused => "vehicle_refused",
        }
    }

    /// The request field the refusal is reported on: `payment` for what the rider fixes in
    /// their wallet or payment methods, `vehicle_id` otherwise.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnpaidDebt { .. }
            | Self::FirstPurchaseRequired
            | Self::NoPaymentMethod { .. }
            | Self::GuaranteeNeedsCard { .. }
            | Self::GuaranteeDeclined
            | Self::GuaranteeRequiresAction => "payment",
            _ => "vehicle_id",
        }
    }

    /// An English sentence for staff and riders, with the figures the refusal carries.
    pub fn message(&self) -> String {
        match self {
            Self::AccountUnusable => "this account is blocked or erased".into(),
            Self::UnpaidDebt { amount } => format!("an unpaid debt of {amount} must be paid first"),
            Self::NetworkClosed => "the network is closed".into(),
            Self::OutOfOrder { cause } => match cause {
                OutOfOrderCause::Network => "the network is out of order".into(),
                OutOfOrderCause::Cluster => "the vehicle's cluster is out of order".into(),
                OutOfOrderCause::ClusterForcedDown => {
                    "the vehicle's cluster is closed by staff".into()
                }
            },
            Self::AccessDenied => "this account may not use this network".into(),
            Self::VehicleUnavailable { why } => match why {
                Unavailability::NotInService => "the vehicle is out of service".into(),
                Unavailability::NotAvailable => "the vehicle is not available".into(),
                Unavailability::InTrip => "the vehicle is already rented".into(),
                Unavailability::InStock => "the vehicle is in a stock".into(),
                Unavailability::Misplaced => {
                    "the vehicle is neither docked, in a virtual parking, nor inside the border"
                        .into()
                }
            },
            Self::VehicleOffline {
                unseen_minutes: Some(minutes),
            } => format!(
                "the vehicle was last heard from {minutes} minutes ago, {} at most are allowed",
                OFFLINE_AFTER_SECONDS / 60
            ),
            Self::VehicleOffline {
                unseen_minutes: None,
            } => "the vehicle has never been heard from".into(),
            Self::BatteryTooLow {
                battery: Some(battery),
                required,
            } => format!("the battery is at {battery} %, {required} % is needed"),
            Self::BatteryTooLow {
                battery: None,
                required,
            } => format!("the battery level is unknown, {required} % is needed"),
            Self::TooFar { distance_m, max_m } => {
                format!("the vehicle is {distance_m} m away, {max_m} m at most are allowed")
            }
            Self::TooManyVehicles { open, max } => format!(
                "{open} {} already rented on this network, {max} at a time at most",
                if *open == 1 {
                    "vehicle is"
                } else {
                    "vehicles are"
                }
            ),
            Self::FirstPurchaseRequired => "a first purchase is needed before renting".into(),
            Self::NoPaymentMethod { unlock_price } => format!(
                "no usable payment method, and the wallet holds less than the unlock price of {unlock_price}"
            ),
            Self::GuaranteeNeedsCard { amount } => {
                format!("a guarantee of {amount} is held before the trip: a card is needed")
            }
            Self::GuaranteeDeclined => "the bank declined the guarantee".into(),
            Self::GuaranteeRequiresAction => "the bank asks to confirm the guarantee".into(),
            Self::VehicleNotResponding => "the vehicle did not answer the unlock command".into(),
            Self::VehicleRefused => "the vehicle refused to unlock".into(),
        }
    }
}

impl fmt::Display for UnlockRefusal {
    /// `key: message`, as the API writes it under [`field`](Self::field).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key(), self.message())
    }
}

impl std::error::Error for UnlockRefusal {}

/// A vehicle silent for longer than this (seconds) is offline (rule 7).
pub const OFFLINE_AFTER_SECONDS: i64 = 600;

/// Where a vehicle stands (rule 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// In a station's spot.
    Docked,
    /// In a virtual parking.
    InParking,
    /// Free floating inside the network's border (or a network without a border).
    FreeFloatingInside,
    /// Outside the border, or with no known position.
    Outside,
}

/// What [`check_start`] needs to know, loaded by the store in the start transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct StartFacts {
    /// `users.blocked`.
    pub rider_blocked: bool,
    /// `users.deleted_at` is set.
    pub rider_erased: bool,
    /// What remains of the rider's open debts, if any.
    pub open_debt: Option<Decimal>,
    /// The network is closed.
    pub network_closed: bool,
    /// The network is declared out of order now.
    pub network_out_of_order: bool,
    /// The vehicle's cluster is declared out of order now.
    pub cluster_out_of_order: bool,
    /// The vehicle's cluster is forced down.
    pub cluster_forced_down: bool,
    /// An access rule lets the rider in (true when the network has none).
    pub access_allowed: bool,
    /// Not decommissioned.
    pub vehicle_in_service: bool,
    /// Status `available`.
    pub vehicle_available: bool,
    /// `vehicles.trip_id` is set.
    pub vehicle_has_trip: bool,
    /// In a stock.
    pub vehicle_in_stock: bool,
    /// Where the vehicle stands.
    pub placement: Placement,
    /// When the vehicle was last heard from.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Battery level in percent, when known.
    pub battery: Option<i32>,
    /// Rider to vehicle, in metres; `None` when the app sent no position.
    pub distance_to_rider_m: Option<f64>,
    /// The cluster's `max_unlock_distance` for a docked vehicle; `None` otherwise.
    pub max_unlock_distance_m: Option<u32>,
    /// The rider's open trips on the network.
    pub open_trips: u32,
    /// `users.first_purchase_at` is set.
    pub first_purchase_done: bool,
    /// A ready default card whose kind the app label offers and the server's provider keeps.
    pub ready_card: bool,
    /// The rider's wallet balance in the network's currency; `None` without such a wallet.
    pub wallet_balance: Option<Decimal>,
    /// The unlock price of the rule in force (0 when none is).
    pub unlock_price: Decimal,
    /// `users.pre_auth_disabled`.
    pub pre_auth_disabled: bool,
    /// `users.trip_count`: finished trips.
    pub trip_count: i64,
    /// The vehicle model's `pre_auth` on the network, when set.
    pub model_pre_auth: Option<Decimal>,
    /// The caller holds `unlock.admin` over the network.
    pub admin_unlock: bool,
}

/// The network's rent settings [`check_start`] applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RentRules {
    /// Lowest battery level, in percent, to rent.
    pub min_battery_to_rent: i32,
    /// Open trips a rider may hold at once on the network.
    pub max_simultaneous_rented_vehicle: i32,
    /// A first purchase is needed before the first trip.
    pub first_purchase_required: bool,
    /// Finished trips after which no guarantee is held (-1: always held, 0: never).
    pub trip_to_skip_pre_auth_guarantee: i32,
    /// The guarantee when the vehicle model sets none.
    pub default_vehicle_guarantee: Decimal,
}

/// What an accepted start needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartPlan {
    /// The amount to hold on the rider's card before unlocking, if any.
    pub guarantee: Option<Decimal>,
}

/// Check the rules of "Start a trip" in the design's order (1 to 13); the first that fails is
/// the refusal. `unlock.admin` skips 5 (access), 8 (battery) and 10 to 13 (vehicles at once,
/// first purchase, payment, guarantee): staff move vehicles, they do not pay for them.
pub fn check_start(
    facts: &StartFacts,
    rent: &RentRules,
    now: DateTime<Utc>,
) -> Result<StartPlan, UnlockRefusal> {
    let admin = facts.admin_unlock;
    if facts.rider_blocked || facts.rider_erased {
        return Err(UnlockRefusal::AccountUnusable);
    }
    if let Some(amount) = facts.open_debt {
        return Err(UnlockRefusal::UnpaidDebt { amount });
    }
    if facts.network_closed {
        return Err(UnlockRefusal::NetworkClosed);
    }
    let out_of_order = if facts.network_out_of_order {
        Some(OutOfOrderCause::Network)
    } else if facts.cluster_forced_down {
        Some(OutOfOrderCause::ClusterForcedDown)
    } else if facts.cluster_out_of_order {
        Some(OutOfOrderCause::Cluster)
    } else {
        None
    };
    if let Some(cause) = out_of_order {
        return Err(UnlockRefusal::OutOfOrder { cause });
    }
    if !admin && !facts.access_allowed {
        return Err(UnlockRefusal::AccessDenied);
    }
    let unavailable = if !facts.vehicle_in_service {
        Some(Unavailability::NotInService)
    } else if !facts.vehicle_available {
        Some(Unavailability::NotAvailable)
    } else if facts.vehicle_has_trip {
        Some(Unavailability::InTrip)
    } else if facts.vehicle_in_stock {
        Some(Unavailability::InStock)
    } else if facts.placement == Placement::Outside {
        Some(Unavailability::Misplaced)
    } else {
        None
    };
    if let Some(why) = unavailable {
        return Err(UnlockRefusal::VehicleUnavailable { why });
    }
    // A clock ahead of ours (last seen "in the future") counts as just seen.
    let unseen = facts.last_seen_at.map(|seen| (now - seen).num_seconds());
    match unseen {
        Some(seconds) if seconds <= OFFLINE_AFTER_SECONDS => {}
        _ => {
            return Err(UnlockRefusal::VehicleOffline {
                unseen_minutes: unseen.map(|s| s.div_euclid(60) + i64::from(s % 60 != 0)),
            });
        }
    }
    if !admin {
        match facts.battery {
            Some(battery) if battery >= rent.min_battery_to_rent => {}
            battery => {
                return Err(UnlockRefusal::BatteryTooLow {
                    battery,
                    required: rent.min_battery_to_rent,
                });
            }
        }
    }
    if let (Some(distance), Some(max)) = (facts.distance_to_rider_m, facts.max_unlock_distance_m)
        && distance > f64::from(max)
    {
        return Err(UnlockRefusal::TooFar {
            distance_m: distance.ceil() as u32,
            max_m: max,
        });
    }
    if admin {
        return Ok(StartPlan { guarantee: None });
    }
    if i64::from(facts.open_trips) >= i64::from(rent.max_simultaneous_rented_vehicle) {
        return Err(UnlockRefusal::TooManyVehicles {
            open: facts.open_trips,
            max: u32::try_from(rent.max_simultaneous_rented_vehicle).unwrap_or(0),
        });
    }
    if rent.first_purchase_required && !facts.first_purchase_done {
        return Err(UnlockRefusal::FirstPurchaseRequired);
    }
    let wallet_covers = facts
        .wallet_balance
        .is_some_and(|balance| balance >= facts.unlock_price);
    if !facts.ready_card && !wallet_covers {
        return Err(UnlockRefusal::NoPaymentMethod {
            unlock_price: facts.unlock_price,
        });
    }
    let amount = facts
        .model_pre_auth
        .unwrap_or(rent.default_vehicle_guarantee);
    let guarantee = guarantee_needed(
        facts.pre_auth_disabled,
        rent.trip_to_skip_pre_auth_guarantee,
        facts.trip_count,
        amount,
    );
    if let Some(amount) = guarantee
        && !facts.ready_card
    {
        return Err(UnlockRefusal::GuaranteeNeedsCard { amount });
    }
    Ok(StartPlan { guarantee })
}

/// The guarantee to hold before a trip, if any (rule 13): none for a rider whose
/// pre-authorisation staff disabled, none when the network sets `trip_to_skip` to 0, none once
/// the rider has finished `trip_to_skip` trips when it is positive; always otherwise (-1, or
/// any negative value). An amount of zero or less needs no hold.
pub fn guarantee_needed(
    pre_auth_disabled: bool,
    trip_to_skip_pre_auth_guarantee: i32,
    trip_count: i64,
    amount: Decimal,
) -> Option<Decimal> {
    let skip = trip_to_skip_pre_auth_guarantee;
    let exempt = pre_auth_disabled || skip == 0 || (skip > 0 && trip_count >= i64::from(skip));
    (!exempt && amount > Decimal::ZERO).then_some(amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn now() -> DateTime<Utc> {
        at("2026-03-10T10:00:00Z")
    }

    // ---- refusals ------------------------------------------------------------------------

    fn every_refusal() -> Vec<UnlockRefusal> {
        vec![
            UnlockRefusal::AccountUnusable,
            UnlockRefusal::UnpaidDebt { amount: d("4.20") },
            UnlockRefusal::NetworkClosed,
            UnlockRefusal::OutOfOrder {
                cause: OutOfOrderCause::Network,
            },
            UnlockRefusal::AccessDenied,
            UnlockRefusal::VehicleUnavailable {
                why: Unavailability::InTrip,
            },
            UnlockRefusal::VehicleOffline {
                unseen_minutes: Some(14),
            },
            UnlockRefusal::BatteryTooLow {
                battery: Some(12),
                required: 20,
            },
            UnlockRefusal::TooFar {
                distance_m: 340,
                max_m: 100,
            },
            UnlockRefusal::TooManyVehicles { open: 2, max: 2 },
            UnlockRefusal::FirstPurchaseRequired,
            UnlockRefusal::NoPaymentMethod {
                unlock_price: d("1.00"),
            },
            UnlockRefusal::GuaranteeNeedsCard {
                amount: d("150.00"),
            },
            UnlockRefusal::GuaranteeDeclined,
            UnlockRefusal::GuaranteeRequiresAction,
            UnlockRefusal::VehicleNotResponding,
            UnlockRefusal::VehicleRefused,
        ]
    }

    #[test]
    fn refusal_keys_fields_and_messages() {
        let keys: Vec<&str> = every_refusal().iter().map(UnlockRefusal::key).collect();
        assert_eq!(keys, UnlockRefusal::KEYS);
        let payment: Vec<&str> = every_refusal()
            .iter()
            .filter(|r| r.field() == "payment")
            .map(UnlockRefusal::key)
            .collect();
        assert_eq!(
            payment,
            [
                "unpaid_debt",
                "first_purchase_required",
                "no_payment_method",
                "guarantee_needs_card",
                "guarantee_declined",
                "guarantee_requires_action"
            ]
        );
        for refusal in every_refusal() {
            assert!(["payment", "vehicle_id"].contains(&refusal.field()));
            assert!(!refusal.message().is_empty());
            assert!(
                refusal
                    .to_string()
                    .starts_with(&format!("{}: ", refusal.key()))
            );
        }
        let texts: Vec<String> = every_refusal().iter().map(|r| r.to_string()).collect();
        assert_eq!(
            texts[7],
            "battery_too_low: the battery is at 12 %, 20 % is needed"
        );
        assert_eq!(
            texts[1],
            "unpaid_debt: an unpaid debt of 4.20 must be paid first"
        );
        assert_eq!(
            texts[6],
            "vehicle_offline: the vehicle was last heard from 14 minutes ago, 10 at most are allowed"
        );
        assert_eq!(
            texts[8],
            "too_far: the vehicle is 340 m away, 100 m at most are allowed"
        );
        assert_eq!(
            texts[9],
            "too_many_vehicles: 2 vehicles are already rented on this network, 2 at a time at most"
        );
        assert_eq!(
            UnlockRefusal::TooManyVehicles { open: 1, max: 1 }.message(),
            "1 vehicle is already rented on this network, 1 at a time at most"
        );
        assert_eq!(
            UnlockRefusal::BatteryTooLow {
                battery: None,
                required: 20
            }
            .message(),
            "the battery level is unknown, 20 % is needed"
        );
        assert_eq!(
            texts[12],
            "guarantee_needs_card: a guarantee of 150.00 is held before the trip: a card is needed"
        );
    }

    // ---- start ---------------------------------------------------------------------------

    /// A start every rule accepts, with a guarantee of 150.00 to hold.
    fn good() -> StartFacts {
        StartFacts {
            rider_blocked: false,
            rider_erased: false,
            open_debt: None,
            network_closed: false,
            network_out_of_order: false,
            cluster_out_of_order: false,
            cluster_forced_down: false,
            access_allowed: true,
            vehicle_in_service: true,
            vehicle_available: true,
            vehicle_has_trip: false,
            vehicle_in_stock: false,
            placement: Placement::Docked,
            last_seen_at: Some(now() - Duration::seconds(30)),
            battery: Some(80),
            distance_to_rider_m: Some(12.0),
            max_unlock_distance_m: Some(100),
            open_trips: 0,
            first_purchase_done: true,
            ready_card: true,
            wallet_balance: Some(d("0.00")),
            unlock_price: d("1.00"),
            pre_auth_disabled: false,
            trip_count: 3,
            model_pre_auth: None,
            admin_unlock: false,
        }
    }

    fn rent() -> RentRules {
        RentRules {
            min_battery_to_rent: 20,
            max_simultaneous_rented_vehicle: 1,
            first_purchase_required: true,
            trip_to_skip_pre_auth_guarantee: -1,
            default_vehicle_guarantee: d("150.00"),
        }
    }

    /// Facts that break every rule, with the change that mends each, in the rules' order.
    type Mend = fn(&mut StartFacts);
    fn broken() -> (StartFacts, Vec<(&'static str, Mend)>) {
        let facts = StartFacts {
            rider_blocked: true,
            rider_erased: true,
            open_debt: Some(d("3.50")),
            network_closed: true,
            network_out_of_order: true,
            cluster_out_of_order: true,
            cluster_forced_down: true,
            access_allowed: false,
            vehicle_in_service: false,
            vehicle_available: false,
            vehicle_has_trip: true,
            vehicle_in_stock: true,
            placement: Placement::Outside,
            last_seen_at: None,
            battery: Some(5),
            distance_to_rider_m: Some(500.0),
            max_unlock_distance_m: Some(100),
            open_trips: 1,
            first_purchase_done: false,
            ready_card: false,
            wallet_balance: Some(d("0.50")),
            unlock_price: d("1.00"),
            pre_auth_disabled: false,
            trip_count: 0,
            model_pre_auth: None,
            admin_unlock: false,
        };
        let mends: Vec<(&'static str, Mend)> = vec![
            ("account_unusable", |f| {
                f.rider_blocked = false;
                f.rider_erased = false;
            }),
            ("unpaid_debt", |f| f.open_debt = None),
            ("network_closed", |f| f.network_closed = false),
            ("out_of_order", |f| {
                f.network_out_of_order = false;
                f.cluster_out_of_order = false;
                f.cluster_forced_down = false;
            }),
            ("access_denied", |f| f.access_allowed = true),
            ("vehicle_unavailable", |f| {
                f.vehicle_in_service = true;
                f.vehicle_available = true;
                f.vehicle_has_trip = false;
                f.vehicle_in_stock = false;
                f.placement = Placement::FreeFloatingInside;
            }),
            ("vehicle_offline", |f| f.last_seen_at = Some(now())),
            ("battery_too_low", |f| f.battery = Some(20)),
            ("too_far", |f| f.distance_to_rider_m = Some(100.0)),
            ("too_many_vehicles", |f| f.open_trips = 0),
            ("first_purchase_required", |f| f.first_purchase_done = true),
            ("no_payment_method", |f| f.wallet_balance = Some(d("1.00"))),
            ("guarantee_needs_card", |f| f.ready_card = true),
        ];
        (facts, mends)
    }

    #[test]
    fn a_good_start_plans_the_guarantee() {
        assert_eq!(
            check_start(&good(), &rent(), now()),
            Ok(StartPlan {
                guarantee: Some(d("150.00"))
            })
        );
        // The model's pre-authorisation wins over the network's default.
        let mut facts = good();
        facts.model_pre_auth = Some(d("80.00"));
        assert_eq!(
            check_start(&facts, &rent(), now()).unwrap().guarantee,
            Some(d("80.00"))
        );
        facts.model_pre_auth = Some(d("0"));
        assert_eq!(check_start(&facts, &rent(), now()).unwrap().guarantee, None);
    }

    #[test]
    fn the_first_failing_rule_wins_in_order() {
        let (mut facts, mends) = broken();
        for (key, mend) in mends {
            let refusal = check_start(&facts, &rent(), now()).unwrap_err();
            assert_eq!(refusal.key(), key);
            mend(&mut facts);
        }
        // Everything mended: accepted, the guarantee on the card just added.
        assert_eq!(
            check_start(&facts, &rent(), now()),
            Ok(StartPlan {
                guarantee: Some(d("150.00"))
            })
        );
    }

    #[test]
    fn each_rule_alone_refuses_with_its_key() {
        let (_, mends) = broken();
        // Break one rule at a time on a good start.
        let breaks: Vec<(&str, Mend)> = vec![
            ("account_unusable", |f| f.rider_erased = true),
            ("unpaid_debt", |f| f.open_debt = Some(d("0.01"))),
            ("network_closed", |f| f.network_closed = true),
            ("out_of_order", |f| f.cluster_forced_down = true),
            ("access_denied", |f| f.access_allowed = false),
            ("vehicle_unavailable", |f| f.vehicle_in_stock = true),
            ("vehicle_offline", |f| f.last_seen_at = None),
            ("battery_too_low", |f| f.battery = None),
            ("too_far", |f| f.distance_to_rider_m = Some(100.5)),
            ("too_many_vehicles", |f| f.open_trips = 1),
            ("first_purchase_required", |f| f.first_purchase_done = false),
            ("no_payment_method", |f| {
                f.ready_card = false;
                f.wallet_balance = None;
            }),
            ("guarantee_needs_card", |f| {
                f.ready_card = false;
                f.wallet_balance = Some(d("5.00"));
            }),
        ];
        assert_eq!(breaks.len(), mends.len());
        for ((key, breaking), (mend_key, _)) in breaks.into_iter().zip(mends) {
            assert_eq!(key, mend_key);
            let mut facts = good();
            breaking(&mut facts);
            let refusal = check_start(&facts, &rent(), now()).unwrap_err();
            assert_eq!(refusal.key(), key, "{refusal}");
        }
    }

    #[test]
    fn admins_skip_access_battery_and_the_money_rules() {
        let (mut facts, _) = broken();
        facts.admin_unlock = true;
        let mut keys = Vec::new();
        loop {
            match check_start(&facts, &rent(), now()) {
                Ok(plan) => {
                    assert_eq!(plan.guarantee, None);
                    break;
                }
                Err(refusal) => {
                    keys.push(refusal.key());
                    let (_, mends) = broken();
                    let (_, mend) = mends
                        .into_iter()
                        .find(|(key, _)| *key == refusal.key())
                        .unwrap();
                    mend(&mut facts);
                }
            }
        }
        assert_eq!(
            keys,
            [
                "account_unusable",
                "unpaid_debt",
                "network_closed",
                "out_of_order",
                "vehicle_unavailable",
                "vehicle_offline",
                "too_far"
            ]
        );
        // Still refused: access denied, battery 5 %, a trip open, no purchase, no payment.
        assert!(!facts.access_allowed && facts.battery == Some(5) && !facts.ready_card);
    }

    #[test]
    fn out_of_order_and_unavailability_details() {
        let refusal = |change: Mend| {
            let mut facts = good();
            change(&mut facts);
            check_start(&facts, &rent(), now()).unwrap_err()
        };
        assert_eq!(
            refusal(|f| {
                f.network_out_of_order = true;
                f.cluster_forced_down = true;
            }),
            UnlockRefusal::OutOfOrder {
                cause: OutOfOrderCause::Network
            }
        );
        assert_eq!(
            refusal(|f| f.cluster_out_of_order = true),
            UnlockRefusal::OutOfOrder {
                cause: OutOfOrderCause::Cluster
            }
        );
        for (change, why) in [
            (
                (|f: &mut StartFacts| f.vehicle_in_service = false) as Mend,
                Unavailability::NotInService,
            ),
            (
                |f| f.vehicle_available = false,
                Unavailability::NotAvailable,
            ),
            (|f| f.vehicle_has_trip = true, Unavailability::InTrip),
            (|f| f.vehicle_in_stock = true, Unavailability::InStock),
            (
                |f| f.placement = Placement::Outside,
                Unavailability::Misplaced,
            ),
        ] {
            assert_eq!(refusal(change), UnlockRefusal::VehicleUnavailable { why });
        }
        for placement in [
            Placement::Docked,
            Placement::InParking,
            Placement::FreeFloatingInside,
        ] {
            let mut facts = good();
            facts.placement = placement;
            assert!(check_start(&facts, &rent(), now()).is_ok());
        }
    }

    #[test]
    fn offline_battery_distance_and_count_limits() {
        let check = |change: &dyn Fn(&mut StartFacts)| {
            let mut facts = good();
            change(&mut facts);
            check_start(&facts, &rent(), now())
        };
        // Seen exactly 10 minutes ago: online; a second more: offline, "11 minutes".
        assert!(check(&|f| f.last_seen_at = Some(now() - Duration::seconds(600))).is_ok());
        assert_eq!(
            check(&|f| f.last_seen_at = Some(now() - Duration::seconds(601))),
            Err(UnlockRefusal::VehicleOffline {
                unseen_minutes: Some(11)
            })
        );
        assert_eq!(
            check(&|f| f.last_seen_at = Some(now() - Duration::minutes(14))),
            Err(UnlockRefusal::VehicleOffline {
                unseen_minutes: Some(14)
            })
        );
        assert!(check(&|f| f.last_seen_at = Some(now() + Duration::seconds(5))).is_ok());
        // Battery at the minimum passes, below it or unknown does not.
        assert!(check(&|f| f.battery = Some(20)).is_ok());
        assert_eq!(
            check(&|f| f.battery = Some(12)),
            Err(UnlockRefusal::BatteryTooLow {
                battery: Some(12),
                required: 20
            })
        );
        // Distance: at the limit passes; beyond it refused (rounded up); without a position,
        // or for a vehicle that is not docked (no limit), not checked.
        assert!(check(&|f| f.distance_to_rider_m = Some(100.0)).is_ok());
        assert_eq!(
            check(&|f| f.distance_to_rider_m = Some(100.2)),
            Err(UnlockRefusal::TooFar {
                distance_m: 101,
                max_m: 100
            })
        );
        assert!(check(&|f| f.distance_to_rider_m = None).is_ok());
        assert!(
            check(&|f| {
                f.distance_to_rider_m = Some(5_000.0);
                f.max_unlock_distance_m = None;
            })
            .is_ok()
        );
        // Two vehicles allowed: one open trip passes, two are refused.
        let mut two = rent();
        two.max_simultaneous_rented_vehicle = 2;
        let mut facts = good();
        facts.open_trips = 1;
        assert!(check_start(&facts, &two, now()).is_ok());
        facts.open_trips = 2;
        assert_eq!(
            check_start(&facts, &two, now()),
            Err(UnlockRefusal::TooManyVehicles { open: 2, max: 2 })
        );
        // First purchase not required: not checked.
        let mut lenient = rent();
        lenient.first_purchase_required = false;
        let mut facts = good();
        facts.first_purchase_done = false;
        assert!(check_start(&facts, &lenient, now()).is_ok());
    }

    #[test]
    fn payment_by_card_or_by_a_wallet_holding_the_unlock_price() {
        // No card, no guarantee needed (pre-authorisation disabled): the wallet decides.
        let mut facts = good();
        facts.ready_card = false;
        facts.pre_auth_disabled = true;
        for (balance, accepted) in [
            (Some("1.00"), true),
            (Some("5.00"), true),
            (Some("0.99"), false),
            (None, false),
        ] {
            facts.wallet_balance = balance.map(d);
            assert_eq!(
                check_start(&facts, &rent(), now()).is_ok(),
                accepted,
                "{balance:?}"
            );
        }
        facts.wallet_balance = Some(d("0.99"));
        assert_eq!(
            check_start(&facts, &rent(), now()),
            Err(UnlockRefusal::NoPaymentMethod {
                unlock_price: d("1.00")
            })
        );
        // A free unlock and an empty wallet: enough; no wallet at all: not.
        facts.unlock_price = d("0");
        facts.wallet_balance = Some(d("0"));
        assert_eq!(
            check_start(&facts, &rent(), now()),
            Ok(StartPlan { guarantee: None })
        );
        facts.wallet_balance = None;
        assert!(check_start(&facts, &rent(), now()).is_err());
    }

    #[test]
    fn guarantee_matrix() {
        let amount = d("150.00");
        // (pre_auth_disabled, trip_to_skip, trip_count, amount, needed)
        for (disabled, skip, count, amount, needed) in [
            (false, -1, 0, amount, true),
            (false, -1, 1_000, amount, true),
            (true, -1, 0, amount, false),
            (false, 0, 0, amount, false),
            (false, 0, 50, amount, false),
            (false, 3, 0, amount, true),
            (false, 3, 2, amount, true),
            (false, 3, 3, amount, false),
            (false, 3, 4, amount, false),
            (true, 3, 0, amount, false),
            (false, 1, 0, amount, true),
            (false, 1, 1, amount, false),
            (false, -5, 100, amount, true),
            (false, -1, 0, d("0"), false),
            (false, -1, 0, d("0.00"), false),
            (false, -1, 0, d("-1"), false),
            (false, 3, 0, d("0.01"), true),
        ] {
            assert_eq!(
                guarantee_needed(disabled, skip, count, amount),
                needed.then_some(amount),
                "{disabled} {skip} {count} {amount}"
            );
        }
        // In check_start: enough trips skip the hold, and a wallet then suffices.
        let mut rules = rent();
        rules.trip_to_skip_pre_auth_guarantee = 3;
        let mut facts = good();
        facts.trip_count = 3;
        facts.ready_card = false;
        facts.wallet_balance = Some(d("2.00"));
        assert_eq!(
            check_start(&facts, &rules, now()),
            Ok(StartPlan { guarantee: None })
        );
        facts.trip_count = 2;
        assert_eq!(
            check_start(&facts, &rules, now()),
            Err(UnlockRefusal::GuaranteeNeedsCard {
                amount: d("150.00")
            })
        );
    }
}
