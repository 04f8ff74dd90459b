//! The ride's rules, pure: the trip state machine ([`next`]), the checks before an unlock
//! ([`check_start`]), the guarantee ([`guarantee_needed`]), how a due amount is taken
//! ([`plan_settlement`]), the balancing discount ([`adjust`]) and when a wallet runs out
//! ([`depletion_at`]). The store loads the facts, calls these and applies what they decide.
//!
//! Here the states and their transitions; in `start` the unlock checks and the guarantee; in
//! `billing` the settlement, the discount and the depletion time.

mod billing;
mod start;

pub use billing::{
    DEPLETION_HORIZON_MINUTES, ProviderPart, Settlement, adjust, depletion_at, plan_settlement,
};
pub use start::{
    OFFLINE_AFTER_SECONDS, OutOfOrderCause, Placement, RentRules, StartFacts, StartPlan,
    Unavailability, UnlockRefusal, check_start, guarantee_needed,
};

use crate::alerts::string_enum;
use thiserror::Error;

string_enum! {
    /// Where a trip stands (`trips.state`), spelt as the seed's trip states.
    TripState, "trip state" {
        /// Accepted; the vehicle has not acknowledged the unlock yet.
        Unlocking = "unlocking",
        /// Unlocked and ridden.
        Running = "running",
        /// Rented but locked (paused by the rider or by `auto_pause`).
        OnHold = "on-hold",
        /// Ended and priced.
        Finished = "finished",
        /// The unlock failed: never ridden, never priced.
        Cancelled = "cancelled",
    }
}

impl TripState {
    /// Whether the trip still holds its vehicle (unlocking, running or on hold): it counts
    /// against `max_simultaneous_rented_vehicle` and its timers may fire.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Unlocking | Self::Running | Self::OnHold)
    }
}

string_enum! {
    /// What ended a trip (`trips.ended_by`).
    EndedBy, "trip end cause" {
        /// The rider, with "End a trip".
        Rider = "rider",
        /// A station reported the vehicle docked.
        Station = "station",
        /// The `auto_lock` timer.
        AutoLock = "auto_lock",
        /// The `max_pause` timer: on hold for too long.
        MaxPause = "max_pause",
        /// The wallet ran out (`credit_check`).
        CreditDepletion = "credit_depletion",
        /// The battery fell below `min_battery_to_auto_lock`.
        LowBattery = "low_battery",
        /// The `stolen` timer: the vehicle was not returned.
        Stolen = "stolen",
        /// Staff ended it.
        Staff = "staff",
        /// The unlock failed (the trip is cancelled, not finished).
        UnlockFailed = "unlock_failed",
    }
}

string_enum! {
    /// Where a trip ended (`trips.end_place`).
    EndPlace, "trip end place" {
        /// Docked in a station's spot.
        Station = "station",
        /// In a virtual parking.
        VirtualParking = "virtual_parking",
        /// Free floating inside the border.
        FreeFloating = "free_floating",
    }
}

string_enum! {
    /// How far a trip's payment has gone (`trips.payment_status`).
    PaymentStatus, "payment status" {
        /// Nothing is due yet (the trip is not priced).
        None = "none",
        /// Priced; the payment is being taken.
        Pending = "pending",
        /// Paid in full.
        Paid = "paid",
        /// A payment failed: the rest is a debt.
        Debt = "debt",
        /// Nothing to pay (a demo trip or a zero price).
        Free = "free",
    }
}

/// Something that happens to a trip; [`next`] says what state it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripEvent {
    /// The vehicle acknowledged the `unlock` command.
    UnlockAcknowledged,
    /// The unlock failed (the vehicle refused or did not answer in time, the hold was
    /// declined); the reason becomes `trips.cancel_reason`.
    UnlockFailed {
        /// Why, as the rider is told.
        reason: UnlockRefusal,
    },
    /// The trip is put on hold.
    Pause {
        /// By the `auto_pause` timer rather than the rider.
        auto: bool,
    },
    /// The trip leaves hold.
    Resume,
    /// The trip ends (any cause but [`EndedBy::UnlockFailed`], which is [`TripEvent::UnlockFailed`]).
    End {
        /// What ended it.
        by: EndedBy,
    },
}

impl TripEvent {
    /// The event's name in errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::UnlockAcknowledged => "unlock_acknowledged",
            Self::UnlockFailed { .. } => "unlock_failed",
            Self::Pause { .. } => "pause",
            Self::Resume => "resume",
            Self::End { .. } => "end",
        }
    }

    /// The `ended_by` the event records, for the events that close a trip.
    pub fn ended_by(&self) -> Option<EndedBy> {
        match self {
            Self::UnlockFailed { .. } => Some(EndedBy::UnlockFailed),
            Self::End { by } => Some(*by),
            _ => None,
        }
    }
}

/// Why a trip cannot take an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RideError {
    /// The event does not apply in the trip's state (a race lost to another event, or a rider
    /// acting on a trip that moved on).
    #[error("{event} is not possible on a trip that is {state}")]
    NotAllowed {
        /// The trip's state.
        state: TripState,
        /// The event's [`TripEvent::name`].
        event: &'static str,
    },
    /// `End` with a cause that does not finish a trip.
    #[error("a trip that is {state} cannot end by {by}")]
    Cause {
        /// The trip's state.
        state: TripState,
        /// The cause given.
        by: EndedBy,
    },
}

/// The state a trip moves to on an event: the only place transitions are decided.
///
/// | from | event | to |
/// |---|---|---|
/// | unlocking | unlock acknowledged | running |
/// | unlocking | unlock failed | cancelled |
/// | running | pause (rider or auto) | on-hold |
/// | on-hold | resume | running |
/// | running, on-hold | end | finished |
///
/// Anything else is refused; the store applies the answer with a guarded update on the state
/// it read, so a transition raced by another changes nothing.
pub fn next(state: TripState, event: &TripEvent) -> Result<TripState, RideError> {
    use TripEvent as E;
    use TripState as S;
    if let E::End {
        by: by @ EndedBy::UnlockFailed,
    } = event
    {
        return Err(RideError::Cause { state, by: *by });
    }
    match (state, event) {
        (S::Unlocking, E::UnlockAcknowledged) => Ok(S::Running),
        (S::Unlocking, E::UnlockFailed { .. }) => Ok(S::Cancelled),
        (S::Running, E::Pause { .. }) => Ok(S::OnHold),
        (S::OnHold, E::Resume) => Ok(S::Running),
        (S::Running | S::OnHold, E::End { .. }) => Ok(S::Finished),
        _ => Err(RideError::NotAllowed {
            state,
            event: event.name(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- states --------------------------------------------------------------------------

    #[test]
    fn states_are_spelt_as_the_seed() {
        let spelt: Vec<&str> = TripState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            spelt,
            ["unlocking", "running", "on-hold", "finished", "cancelled"]
        );
        for state in TripState::ALL {
            assert_eq!(state.as_str().parse::<TripState>(), Ok(*state));
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::Value::String(state.as_str().into())
            );
        }
        assert_eq!(
            serde_json::from_str::<TripState>("\"on-hold\"").unwrap(),
            TripState::OnHold
        );
        assert!("on_hold".parse::<TripState>().is_err());
        assert!("Running".parse::<TripState>().is_err());
        let open: Vec<TripState> = TripState::ALL
            .iter()
            .copied()
            .filter(|s| s.is_open())
            .collect();
        assert_eq!(
            open,
            [TripState::Unlocking, TripState::Running, TripState::OnHold]
        );
    }

    #[test]
    fn causes_places_and_payment_statuses_are_snake_case() {
        let spelt = |all: Vec<&'static str>| all.join(",");
        assert_eq!(
            spelt(EndedBy::ALL.iter().map(|v| v.as_str()).collect()),
            "rider,station,auto_lock,max_pause,credit_depletion,low_battery,stolen,staff,unlock_failed"
        );
        assert_eq!(
            spelt(EndPlace::ALL.iter().map(|v| v.as_str()).collect()),
            "station,virtual_parking,free_floating"
        );
        assert_eq!(
            spelt(PaymentStatus::ALL.iter().map(|v| v.as_str()).collect()),
            "none,pending,paid,debt,free"
        );
        for v in EndedBy::ALL {
            assert_eq!(v.as_str().parse::<EndedBy>(), Ok(*v));
        }
        for v in EndPlace::ALL {
            assert_eq!(v.as_str().parse::<EndPlace>(), Ok(*v));
        }
        for v in PaymentStatus::ALL {
            assert_eq!(v.as_str().parse::<PaymentStatus>(), Ok(*v));
            assert_eq!(v.to_string(), v.as_str());
        }
        assert!("free-floating".parse::<EndPlace>().is_err());
    }

    #[test]
    fn transitions_follow_the_table() {
        use TripState as S;
        let events = [
            TripEvent::UnlockAcknowledged,
            TripEvent::UnlockFailed {
                reason: UnlockRefusal::VehicleNotResponding,
            },
            TripEvent::Pause { auto: false },
            TripEvent::Pause { auto: true },
            TripEvent::Resume,
            TripEvent::End { by: EndedBy::Rider },
            TripEvent::End {
                by: EndedBy::Station,
            },
            TripEvent::End {
                by: EndedBy::CreditDepletion,
            },
        ];
        // One row per state, one column per event above; None: refused.
        let table: [(S, [Option<S>; 8]); 5] = [
            (
                S::Unlocking,
                [
                    Some(S::Running),
                    Some(S::Cancelled),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                ],
            ),
            (
                S::Running,
                [
                    None,
                    None,
                    Some(S::OnHold),
                    Some(S::OnHold),
                    None,
                    Some(S::Finished),
                    Some(S::Finished),
                    Some(S::Finished),
                ],
            ),
            (
                S::OnHold,
                [
                    None,
                    None,
                    None,
                    None,
                    Some(S::Running),
                    Some(S::Finished),
                    Some(S::Finished),
                    Some(S::Finished),
                ],
            ),
            (S::Finished, [None; 8]),
            (S::Cancelled, [None; 8]),
        ];
        for (state, row) in table {
            for (event, expected) in events.iter().zip(row) {
                let got = next(state, event);
                match expected {
                    Some(to) => assert_eq!(got, Ok(to), "{state} {event:?}"),
                    None => assert_eq!(
                        got,
                        Err(RideError::NotAllowed {
                            state,
                            event: event.name()
                        }),
                        "{state} {event:?}"
                    ),
                }
            }
        }
        // A late acknowledgement of a cancelled trip is refused, and says why.
        let late = next(S::Cancelled, &TripEvent::UnlockAcknowledged).unwrap_err();
        assert_eq!(
            late.to_string(),
            "unlock_acknowledged is not possible on a trip that is cancelled"
        );
    }

    #[test]
    fn unlock_failed_is_not_an_end() {
        let end = TripEvent::End {
            by: EndedBy::UnlockFailed,
        };
        for state in TripState::ALL {
            assert_eq!(
                next(*state, &end),
                Err(RideError::Cause {
                    state: *state,
                    by: EndedBy::UnlockFailed
                })
            );
        }
        let failed = TripEvent::UnlockFailed {
            reason: UnlockRefusal::VehicleRefused,
        };
        assert_eq!(failed.ended_by(), Some(EndedBy::UnlockFailed));
        assert_eq!(
            TripEvent::End {
                by: EndedBy::Stolen
            }
            .ended_by(),
            Some(EndedBy::Stolen)
        );
        assert_eq!(TripEvent::Resume.ended_by(), None);
    }
}
