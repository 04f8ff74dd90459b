//! What a trip costs and how it is paid: the balancing discount on the price, the split of
//! what is due between the wallet and the provider, and when the wallet runs out.

use crate::pricing::{LineKind, PriceLine, PricingError, PricingRule, TripPrice, TripTimes};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};

/// How the part of a trip's price the wallet does not cover is taken from the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderPart {
    /// The wallet covered everything (or nothing was due).
    Nothing,
    /// Capture this much on the trip's hold, which covers it; the provider releases the rest.
    Capture {
        /// Amount to capture.
        amount: Decimal,
    },
    /// Capture the whole hold, which is too small, and charge the difference.
    CaptureAndCharge {
        /// The hold's amount, captured in full.
        capture: Decimal,
        /// What remains, charged to the default method.
        charge: Decimal,
    },
    /// No hold: charge the default method.
    Charge {
        /// Amount to charge.
        amount: Decimal,
    },
}

/// How a due amount is paid: wallet first, then the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// Debited from the wallet.
    pub wallet_part: Decimal,
    /// Left for the provider: `due - wallet_part`.
    pub rest: Decimal,
    /// How the provider takes `rest`.
    pub provider: ProviderPart,
}

/// Split what a trip still owes (`due = price_total - amount_paid`) between the wallet and the
/// provider (§4.5): the wallet pays `min(due, balance)` when its balance is positive, the rest
/// is captured on the trip's hold (`hold`: its amount, when one is `in_use`), partly captured
/// and partly charged when the hold is smaller, or charged. Nothing is due at zero or below.
pub fn plan_settlement(due: Decimal, wallet_balance: Decimal, hold: Option<Decimal>) -> Settlement {
    // A zero with the amount's decimals, so "0.00" stays "0.00".
    let mut zero = Decimal::ZERO;
    zero.rescale(due.scale());
    let due = due.max(zero);
    let wallet_part = if wallet_balance > Decimal::ZERO {
        due.min(wallet_balance)
    } else {
        zero
    };
    let rest = due - wallet_part;
    let provider = if rest <= Decimal::ZERO {
        ProviderPart::Nothing
    } else {
        match hold.filter(|amount| *amount > Decimal::ZERO) {
            Some(held) if held >= rest => ProviderPart::Capture { amount: rest },
            Some(held) => ProviderPart::CaptureAndCharge {
                capture: held,
                charge: rest - held,
            },
            None => ProviderPart::Charge { amount: rest },
        }
    };
    Settlement {
        wallet_part,
        rest,
        provider,
    }
}

/// Apply the route's balancing discount to a price from [`crate::pricing::price_trip`]: a
/// negative [`LineKind::BalancingDiscount`] line at the trip end, rounded half away from zero
/// to the price's decimals and capped at the price, so the total never goes below zero. The
/// line's `unit_price` is the discount offered (negated), its `amount` what was taken off. No
/// discount, or one of zero or less, leaves the price as it is; so does a free trip.
pub fn adjust(mut price: TripPrice, balancing_discount: Option<Decimal>) -> TripPrice {
    let Some(offered) = balancing_discount.filter(|d| *d > Decimal::ZERO) else {
        return price;
    };
    let scale = price.total.scale();
    let mut rounded = offered.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(scale);
    let taken = rounded.min(price.total);
    if taken <= Decimal::ZERO {
        return price;
    }
    let at = price
        .lines
        .iter()
        .map(|line| line.to)
        .max()
        .unwrap_or_default();
    price.lines.push(PriceLine {
        kind: LineKind::BalancingDiscount,
        rule: None,
        from: at,
        to: at,
        seconds: 0,
        minutes: 0,
        unit_price: -offered,
        amount: -taken,
    });
    price.balancing_discount -= taken;
    price.total -= taken;
    price
}

/// How far ahead [`depletion_at`] looks, in minutes: a day (a trip that long has other timers).
pub const DEPLETION_HORIZON_MINUTES: i64 = 24 * 60;

/// The instant a trip's price reaches the rider's wallet `balance` (the `credit_check` timer):
/// the first whole minute after `times.start` at which the price of the trip so far
/// (`price_trip` with `end` at that minute) is at least `balance`, or `None` when it stays
/// below within [`DEPLETION_HORIZON_MINUTES`]. The engine charges every started minute in full,
/// so at the instant returned the rider has used all the time the price covers.
///
/// `times.end` is ignored; `times.on_hold` and `times.ends_in_freefloat` are as the trip stands
/// (an ongoing pause is a period ending at or beyond the horizon). The price never decreases as
/// the trip goes on, so the minutes are searched by halves: the same answer as stepping through
/// them one by one, in about a dozen pricings instead of 1,440.
pub fn depletion_at(
    rules: &[PricingRule],
    tz: Tz,
    times: &TripTimes,
    balance: Decimal,
    minor_units: u32,
) -> Result<Option<DateTime<Utc>>, PricingError> {
    let at = |minutes: i64| {
        times
            .start
            .checked_add_signed(Duration::minutes(minutes))
            .ok_or(PricingError::Overflow)
    };
    let reaches = |minutes: i64| -> Result<bool, PricingError> {
        let so_far = TripTimes {
            start: times.start,
            end: at(minutes)?,
            on_hold: times.on_hold.clone(),
            ends_in_freefloat: times.ends_in_freefloat,
        };
        Ok(crate::pricing::price_trip(rules, tz, &so_far, minor_units)?.total >= balance)
    };
    if !reaches(DEPLETION_HORIZON_MINUTES)? {
        return Ok(None);
    }
    // The price reaches the balance at `high`, and at no minute before `low`.
    let (mut low, mut high) = (0, DEPLETION_HORIZON_MINUTES);
    while low < high {
        let middle = low + (high - low) / 2;
        if reaches(middle)? {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    at(high).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::{Period, WeeklyWindow, price_trip};

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    // ---- settlement ----------------------------------------------------------------------

    #[test]
    fn settlement_takes_the_wallet_first() {
        let plan = |due: &str, balance: &str, hold: Option<&str>| {
            plan_settlement(d(due), d(balance), hold.map(d))
        };
        let settled = |wallet: &str, rest: &str, provider| Settlement {
            wallet_part: d(wallet),
            rest: d(rest),
            provider,
        };
        // Empty wallet: everything to the provider, charged without a hold.
        assert_eq!(
            plan("5.20", "0.00", None),
            settled("0", "5.20", ProviderPart::Charge { amount: d("5.20") })
        );
        // A negative balance counts as empty.
        assert_eq!(
            plan("5.20", "-2.00", None),
            settled("0", "5.20", ProviderPart::Charge { amount: d("5.20") })
        );
        // Partial wallet: the rest captured on a hold that covers it.
        assert_eq!(
            plan("5.20", "2.00", Some("150.00")),
            settled("2.00", "3.20", ProviderPart::Capture { amount: d("3.20") })
        );
        // The wallet covers it all: nothing for the provider, the hold stays.
        assert_eq!(
            plan("5.20", "10.00", Some("150.00")),
            settled("5.20", "0", ProviderPart::Nothing)
        );
        assert_eq!(
            plan("5.20", "5.20", None),
            settled("5.20", "0", ProviderPart::Nothing)
        );
        // A hold exactly the rest: captured; smaller: captured in full and the rest charged.
        assert_eq!(
            plan("30.00", "0", Some("30.00")),
            settled("0", "30.00", ProviderPart::Capture { amount: d("30.00") })
        );
        assert_eq!(
            plan("30.00", "5.00", Some("20.00")),
            settled(
                "5.00",
                "25.00",
                ProviderPart::CaptureAndCharge {
                    capture: d("20.00"),
                    charge: d("5.00")
                }
            )
        );
        // A hold of nothing is no hold.
        assert_eq!(
            plan("3.00", "0", Some("0")),
            settled("0", "3.00", ProviderPart::Charge { amount: d("3.00") })
        );
        // Nothing due, or less than nothing: nothing moves.
        for due in ["0.00", "-1.00"] {
            let s = plan(due, "10.00", Some("150.00"));
            assert_eq!(s, settled("0", "0", ProviderPart::Nothing), "{due}");
        }
        assert_eq!(plan("0.00", "10.00", None).wallet_part.to_string(), "0.00");
        // Parts always add up to what is due.
        for (due, balance, hold) in [("7.35", "2.10", Some("5")), ("0.01", "0.005", None)] {
            let s = plan(due, balance, hold);
            assert_eq!(s.wallet_part + s.rest, d(due));
        }
    }

    // ---- balancing discount --------------------------------------------------------------

    fn whole_week(unlock: &str, included: u32, per_minute: &str, on_hold: &str) -> PricingRule {
        PricingRule {
            window: WeeklyWindow::parse(0, "00:00:00", 6, "24:00:00").unwrap(),
            unlock_price: d(unlock),
            unlock_included_time: included,
            freefloat_lock_price: d("0.50"),
            use_per_minute_price: d(per_minute),
            on_hold_price: d(on_hold),
        }
    }

    fn times(start: &str, minutes: i64) -> TripTimes {
        TripTimes {
            start: at(start),
            end: at(start) + Duration::minutes(minutes),
            on_hold: Vec::new(),
            ends_in_freefloat: false,
        }
    }

    fn paris() -> Tz {
        chrono_tz::Europe::Paris
    }

    fn ten_minutes() -> TripPrice {
        // 1.00 + 10 × 0.25 = 3.50.
        let rules = [whole_week("1.00", 0, "0.25", "0.10")];
        price_trip(&rules, paris(), &times("2026-03-10T10:00:00Z", 10), 2).unwrap()
    }

    fn assert_adds_up(price: &TripPrice) {
        let lines: Decimal = price.lines.iter().map(|l| l.amount).sum();
        assert_eq!(lines, price.total);
        assert_eq!(
            price.unlock
                + price.use_amount
                + price.on_hold_amount
                + price.freefloat_lock
                + price.balancing_discount,
            price.total
        );
        assert!(price.total >= Decimal::ZERO);
    }

    #[test]
    fn discount_is_a_negative_last_line() {
        let base = ten_minutes();
        assert_eq!(base.total, d("3.50"));
        let price = adjust(base.clone(), Some(d("1.20")));
        assert_eq!(price.total.to_string(), "2.30");
        assert_eq!(price.balancing_discount, d("-1.20"));
        let last = price.lines.last().unwrap();
        assert_eq!(
            (
                last.kind,
                last.rule,
                last.amount,
                last.unit_price,
                last.minutes
            ),
            (LineKind::BalancingDiscount, None, d("-1.20"), d("-1.20"), 0)
        );
        assert_eq!(last.from, at("2026-03-10T10:10:00Z"));
        assert_eq!(price.lines.len(), base.lines.len() + 1);
        assert_adds_up(&price);
        let json = serde_json::to_value(&price).unwrap();
        assert_eq!(json["lines"][2]["kind"], "balancing_discount");
    }

    #[test]
    fn discount_is_capped_at_the_price_and_rounded() {
        let price = adjust(ten_minutes(), Some(d("5.00")));
        assert_eq!(price.total.to_string(), "0.00");
        assert_eq!(price.balancing_discount, d("-3.50"));
        let last = price.lines.last().unwrap();
        assert_eq!((last.amount, last.unit_price), (d("-3.50"), d("-5.00")));
        assert_adds_up(&price);
        // Half away from zero to the price's decimals.
        let price = adjust(ten_minutes(), Some(d("0.125")));
        assert_eq!(price.total.to_string(), "3.37");
        assert_adds_up(&price);
        // Nothing, zero, negative, or a free trip: unchanged.
        for discount in [None, Some(d("0")), Some(d("-1.00")), Some(d("0.004"))] {
            assert_eq!(
                adjust(ten_minutes(), discount),
                ten_minutes(),
                "{discount:?}"
            );
        }
        let free = price_trip(&[], paris(), &times("2026-03-10T10:00:00Z", 10), 2).unwrap();
        assert_eq!(adjust(free.clone(), Some(d("1.00"))), free);
        assert_eq!(ten_minutes().balancing_discount.to_string(), "0.00");
    }

    #[test]
    fn breakdowns_stored_before_the_discount_still_read() {
        let mut json = serde_json::to_value(ten_minutes()).unwrap();
        json.as_object_mut().unwrap().remove("balancing_discount");
        let read: TripPrice = serde_json::from_value(json).unwrap();
        assert_eq!(read.balancing_discount, Decimal::ZERO);
        assert_eq!(read.total, d("3.50"));
    }

    // ---- depletion -----------------------------------------------------------------------

    #[test]
    fn depletion_of_a_per_minute_price() {
        // 1.00 to unlock, 0.25 a minute: k minutes cost 1.00 + 0.25 k.
        let rules = [whole_week("1.00", 0, "0.25", "0.10")];
        let trip = times("2026-03-10T10:00:00Z", 0);
        let depleted = |balance: &str| depletion_at(&rules, paris(), &trip, d(balance), 2).unwrap();
        assert_eq!(depleted("2.00"), Some(at("2026-03-10T10:04:00Z")));
        assert_eq!(depleted("1.90"), Some(at("2026-03-10T10:04:00Z")));
        assert_eq!(depleted("2.01"), Some(at("2026-03-10T10:05:00Z")));
        assert_eq!(depleted("1.25"), Some(at("2026-03-10T10:01:00Z")));
        // The unlock price alone reaches it: at once.
        assert_eq!(depleted("1.00"), Some(trip.start));
        assert_eq!(depleted("0"), Some(trip.start));
        assert_eq!(depleted("-3.00"), Some(trip.start));
        // 1.00 + 0.25 × 1440 = 361.00: reached at the last minute of the horizon, not beyond.
        assert_eq!(depleted("361.00"), Some(at("2026-03-11T10:00:00Z")));
        assert_eq!(depleted("361.01"), None);
        assert_eq!(depleted("1000"), None);
        // `end` plays no part.
        let mut ended = trip.clone();
        ended.end = at("2026-03-10T10:30:00Z");
        assert_eq!(
            depletion_at(&rules, paris(), &ended, d("2.00"), 2).unwrap(),
            Some(at("2026-03-10T10:04:00Z"))
        );
    }

    #[test]
    fn depletion_counts_included_time_holds_and_the_lock() {
        // 5 minutes included, 0.20 a minute beyond, 0.10 on hold, 0.50 for a free-floating end.
        let rules = [whole_week("0.00", 300, "0.20", "0.10")];
        let mut trip = times("2026-03-10T10:00:00Z", 0);
        // Minutes 5 and 6 are paid: 0.40 at 10:07.
        assert_eq!(
            depletion_at(&rules, paris(), &trip, d("0.40"), 2).unwrap(),
            Some(at("2026-03-10T10:07:00Z"))
        );
        trip.ends_in_freefloat = true;
        assert_eq!(
            depletion_at(&rules, paris(), &trip, d("0.90"), 2).unwrap(),
            Some(at("2026-03-10T10:07:00Z"))
        );
        // An ongoing pause from 10:02 with free hold time: the price never moves.
        let free_hold = [whole_week("0.50", 0, "0.20", "0")];
        let mut paused = times("2026-03-10T10:00:00Z", 0);
        paused.on_hold = vec![Period {
            start: at("2026-03-10T10:02:00Z"),
            end: at("2026-03-12T00:00:00Z"),
        }];
        assert_eq!(
            depletion_at(&free_hold, paris(), &paused, d("0.90"), 2).unwrap(),
            Some(at("2026-03-10T10:02:00Z"))
        );
        assert_eq!(
            depletion_at(&free_hold, paris(), &paused, d("0.91"), 2).unwrap(),
            None
        );
        // An invalid pause is the engine's error, not an answer.
        paused.on_hold[0].end = at("2026-03-10T10:01:00Z");
        assert_eq!(
            depletion_at(&free_hold, paris(), &paused, d("1.00"), 2),
            Err(PricingError::InvalidOnHoldPeriod { index: 0 })
        );
    }

    #[test]
    fn depletion_search_agrees_with_stepping_minute_by_minute() {
        // Day 07:00-20:00 at 0.25, night at 0.40, across 20:00 with a pause: the search by
        // halves must find what a minute-by-minute walk finds.
        let window = |sd, sh, ed, eh| WeeklyWindow::parse(sd, sh, ed, eh).unwrap();
        let rule = |w, unlock: &str, per_minute: &str| PricingRule {
            window: w,
            unlock_price: d(unlock),
            unlock_included_time: 120,
            freefloat_lock_price: d("1.00"),
            use_per_minute_price: d(per_minute),
            on_hold_price: d("0.05"),
        };
        let rules: Vec<PricingRule> = (0..7u8)
            .flat_map(|dow| {
                [
                    rule(window(dow, "07:00:00", dow, "20:00:00"), "1.00", "0.25"),
                    rule(
                        window(dow, "20:00:00", (dow + 1) % 7, "07:00:00"),
                        "1.50",
                        "0.40",
                    ),
                ]
            })
            .collect();
        let mut trip = times("2026-03-10T19:41:30+01:00", 0);
        trip.on_hold = vec![Period {
            start: at("2026-03-10T19:50:10+01:00"),
            end: at("2026-03-10T20:03:20+01:00"),
        }];
        let walk = |balance: Decimal| {
            (0..=DEPLETION_HORIZON_MINUTES)
                .map(|k| trip.start + Duration::minutes(k))
                .find(|&end| {
                    let so_far = TripTimes {
                        end,
                        ..trip.clone()
                    };
                    price_trip(&rules, paris(), &so_far, 2).unwrap().total >= balance
                })
        };
        for balance in ["1.00", "1.01", "3.00", "4.65", "7.77", "12.00", "40.00"] {
            let balance = d(balance);
            assert_eq!(
                depletion_at(&rules, paris(), &trip, balance, 2).unwrap(),
                walk(balance),
                "{balance}"
            );
        }
    }
}
