//! Pricing: the weekly pricing rules of a network and the price of a trip.
//!
//! # Pricing rules
//!
//! A network's pricing is a set of rules. Each rule is in force during a weekly window in the
//! network's local time, from `start_dow` `start_hod` to `end_dow` `end_hod` (day 0 is Sunday,
//! hours are `HH:MM:SS`), and sets an unlock price, an included use time, a free-floating lock
//! price, a price per minute of use and a price per minute on hold.
//!
//! - A window includes its start and excludes its end: a rule ending at 20:00:00 and a rule
//!   starting at 20:00:00 touch without overlapping, and at 20:00:00 the second is in force.
//! - `24:00:00` is the end of its day, that is 00:00:00 of the next day (Saturday 24:00:00 is
//!   Sunday 00:00:00).
//! - A window whose end comes before its start in the week wraps over the end of the week
//!   (Saturday 22:00:00 to Monday 06:00:00).
//! - A window may not end where it starts (Monday 10:00:00 to Monday 10:00:00, or Monday
//!   24:00:00 to Tuesday 00:00:00): it is refused as ambiguous. The whole week is written
//!   Sunday 00:00:00 to Saturday 24:00:00.
//! - The rules of a network may not overlap. They need not cover the whole week.
//!
//! # Price of a trip
//!
//! 1. **Unlock.** The rule in force when the trip starts (the tariff the rider was shown when
//!    unlocking) gives the unlock price, the included use time and the free-floating lock price.
//!    Rules crossed later in the trip do not change these three.
//! 2. **Use.** Riding time (trip time not on hold) first consumes the included time. Beyond it,
//!    riding time is counted on a clock that runs only while riding; every started minute is
//!    charged in full, at the `use_per_minute_price` of the rule in force at the instant the
//!    minute starts (a minute straddling a window boundary is priced by the rule in force at
//!    its start).
//! 3. **On hold.** Time on hold is counted the same way on its own clock, which runs only
//!    during the on-hold periods of the trip (all periods together): every started minute is
//!    charged at the `on_hold_price` of the rule in force at its start. Time on hold does not
//!    consume the included time. On-hold periods are clipped to the trip and merged when they
//!    overlap.
//! 4. **Free-floating lock.** When the trip ends outside a station, the `freefloat_lock_price`
//!    of the rule in force at the trip start is added.
//! 5. **Time with no rule in force** is free: it is priced 0 and reported in the breakdown
//!    (lines without a rule, and [`TripPrice::uncovered_seconds`]). A trip starting in such time
//!    pays no unlock price and no free-floating lock price, and has no included time.
//! 6. **Balancing discount.** [`price_trip`] gives none; `ride::adjust` adds it afterwards as a
//!    negative last line, capped at the price (see [`crate::ride::adjust`]).
//!
//! **Time.** Instants are taken to the whole second (fractions of a second are dropped). The
//! billed time is the real elapsed time: the trip is walked in UTC and each instant is mapped
//! to the network's local wall-clock time with the time zone database to find the rule in
//! force. On the day clocks go forward, the skipped local times do not exist, so a window
//! boundary inside the skipped hour takes effect at the jump. On the day clocks go back, the
//! repeated local hour is priced as the wall clock shows it (a boundary inside it is crossed
//! twice), but every real minute is billed once: a one-hour trip across the change is billed
//! 60 minutes.
//!
//! **Rounding.** Each line amount (unit price times minutes, unlock price, lock price) is
//! rounded to the currency's minor unit (`minor_units` decimal places: 2 for EUR, 0 for JPY),
//! half away from zero (0.125 EUR gives 0.13 EUR, 46.5 JPY gives 47 JPY), and written with
//! exactly `minor_units` decimals. Every total is the sum of its rounded lines, so the
//! breakdown shown to riders and operators adds up exactly.

use chrono::{DateTime, Datelike, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;
use utoipa::ToSchema;

/// Seconds in a day.
pub const SECONDS_PER_DAY: u32 = 86_400;

/// Seconds in a week.
pub const SECONDS_PER_WEEK: u32 = 7 * SECONDS_PER_DAY;

const DAY: i64 = SECONDS_PER_DAY as i64;
const WEEK: i64 = SECONDS_PER_WEEK as i64;

/// Why pricing input is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PricingError {
    /// An hour of day that does not match `HH:MM:SS` (00:00:00 to 23:59:59) nor `24:00:00`.
    #[error("invalid hour of day {0:?}: expected HH:MM:SS from 00:00:00 to 23:59:59, or 24:00:00")]
    InvalidHourOfDay(String),
    /// A day of week outside 0 (Sunday) to 6 (Saturday).
    #[error("invalid day of week {0}: expected 0 (Sunday) to 6 (Saturday)")]
    InvalidDayOfWeek(u8),
    /// A window that ends where it starts.
    #[error(
        "a pricing window must not end where it starts; the whole week is Sunday 00:00:00 to Saturday 24:00:00"
    )]
    EmptyWindow,
    /// A negative price.
    #[error("{field} must not be negative")]
    NegativePrice {
        /// The offending field, as the API names it.
        field: &'static str,
    },
    /// Two rules of the same network are in force at the same time.
    #[error("pricing rules {first} and {second} overlap")]
    Overlap {
        /// Index of the first rule.
        first: usize,
        /// Index of the second rule.
        second: usize,
    },
    /// The trip ends before it starts.
    #[error("the trip ends before it starts")]
    TripEndsBeforeStart,
    /// An on-hold period ends before it starts.
    #[error("on-hold period {index} ends before it starts")]
    InvalidOnHoldPeriod {
        /// Index of the period.
        index: usize,
    },
    /// An amount too large for a decimal number.
    #[error("an amount is too large to compute")]
    Overflow,
}

/// An hour of day, `00:00:00` to `24:00:00` (the end of the day), to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HourOfDay(u32);

impl HourOfDay {
    /// Midnight at the start of the day.
    pub const MIDNIGHT: Self = Self(0);
    /// `24:00:00`, the end of the day.
    pub const END_OF_DAY: Self = Self(SECONDS_PER_DAY);

    /// Parse `HH:MM:SS` exactly as the API pattern `(([0-1]?\d|2[0-3]):[0-5]\d:[0-5]\d)|24:00:00`,
    /// matched against the whole string.
    pub fn parse(text: &str) -> Result<Self, PricingError> {
        let invalid = || PricingError::InvalidHourOfDay(text.to_owned());
        if text == "24:00:00" {
            return Ok(Self::END_OF_DAY);
        }
        let mut parts = text.split(':');
        let (Some(h), Some(m), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        // ASCII digits only: `str::parse` would also accept a leading `+`.
        let number = |part: &str, lengths: &[usize]| {
            (lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u32>().ok())
                .flatten()
        };
        let (Some(h), Some(m), Some(s)) = (number(h, &[1, 2]), number(m, &[2]), number(s, &[2]))
        else {
            return Err(invalid());
        };
        if h > 23 || m > 59 || s > 59 {
            return Err(invalid());
        }
        Ok(Self(h * 3600 + m * 60 + s))
    }

    /// Build from seconds since midnight, `0..=86_400`.
    pub fn from_seconds(seconds: u32) -> Option<Self> {
        (seconds <= SECONDS_PER_DAY).then_some(Self(seconds))
    }

    /// Seconds since midnight, `0..=86_400`.
    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl FromStr for HourOfDay {
    type Err = PricingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for HourOfDay {
    type Error = PricingError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<HourOfDay> for String {
    fn from(hod: HourOfDay) -> Self {
        hod.to_string()
    }
}

impl fmt::Display for HourOfDay {
    /// Always two digits per field: `07:05:09`, `24:00:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(f, "{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// A day of week (0 = Sunday to 6 = Saturday) and an hour of day, in network local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeOfWeek {
    dow: u8,
    hod: HourOfDay,
}

impl TimeOfWeek {
    /// Build from a day of week 0 (Sunday) to 6 (Saturday) and an hour of day.
    pub fn new(dow: u8, hod: HourOfDay) -> Result<Self, PricingError> {
        if dow > 6 {
            return Err(PricingError::InvalidDayOfWeek(dow));
        }
        Ok(Self { dow, hod })
    }

    /// Parse a day of week and an `HH:MM:SS` hour of day.
    pub fn parse(dow: u8, hod: &str) -> Result<Self, PricingError> {
        Self::new(dow, HourOfDay::parse(hod)?)
    }

    /// The time of week of a local date and time (fractions of a second dropped).
    pub fn from_local(local: NaiveDateTime) -> Self {
        let dow = local.weekday().num_days_from_sunday() as u8;
        Self {
            dow,
            hod: HourOfDay(local.num_seconds_from_midnight()),
        }
    }

    /// The local time of week of an instant in a time zone.
    pub fn at(instant: DateTime<Utc>, tz: Tz) -> Self {
        Self::from_local(instant.with_timezone(&tz).naive_local())
    }

    /// The day of week, 0 (Sunday) to 6 (Saturday).
    pub fn dow(self) -> u8 {
        self.dow
    }

    /// The hour of day.
    pub fn hod(self) -> HourOfDay {
        self.hod
    }

    /// Seconds since Sunday 00:00:00, `0..SECONDS_PER_WEEK` (Saturday 24:00:00 is 0).
    pub fn week_second(self) -> u32 {
        (u32::from(self.dow) * SECONDS_PER_DAY + self.hod.0) % SECONDS_PER_WEEK
    }

    /// Seconds since Sunday 00:00:00 as written, `0..=SECONDS_PER_WEEK`.
    fn written_seconds(self) -> u32 {
        u32::from(self.dow) * SECONDS_PER_DAY + self.hod.0
    }
}

/// A weekly window in network local time, from its start (included) to its end (excluded),
/// possibly wrapping over the end of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WindowFields", into = "WindowFields")]
pub struct WeeklyWindow {
    start: TimeOfWeek,
    end: TimeOfWeek,
    /// Length in seconds, `1..=SECONDS_PER_WEEK`.
    len: u32,
}

impl WeeklyWindow {
    /// Build a window; refused when it ends where it starts, except Sunday 00:00:00 to
    /// Saturday 24:00:00, the whole week.
    pub fn new(start: TimeOfWeek, end: TimeOfWeek) -> Result<Self, PricingError> {
        let (s, e) = (start.written_seconds(), end.written_seconds());
        let len = if s == 0 && e == SECONDS_PER_WEEK {
            SECONDS_PER_WEEK
        } else {
            (i64::from(e) - i64::from(s)).rem_euclid(WEEK) as u32
        };
        if len == 0 {
            return Err(PricingError::EmptyWindow);
        }
        Ok(Self { start, end, len })
    }

    /// Parse the four API fields `start_dow`, `start_hod`, `end_dow`, `end_hod`.
    pub fn parse(
        start_dow: u8,
        start_hod: &str,
        end_dow: u8,
        end_hod: &str,
    ) -> Result<Self, PricingError> {
        Self::new(
            TimeOfWeek::parse(start_dow, start_hod)?,
            TimeOfWeek::parse(end_dow, end_hod)?,
        )
    }

    /// The start, as written.
    pub fn start(&self) -> TimeOfWeek {
        self.start
    }

    /// The end, as written.
    pub fn end(&self) -> TimeOfWeek {
        self.end
    }

    /// The length of the window in seconds, `1..=SECONDS_PER_WEEK`.
    pub fn len_seconds(&self) -> u32 {
        self.len
    }

    /// Whether the window covers the whole week.
    pub fn is_whole_week(&self) -> bool {
        self.len == SECONDS_PER_WEEK
    }

    /// Whether the window is in force at a time of week.
    pub fn contains(&self, at: TimeOfWeek) -> bool {
        self.contains_second(at.week_second())
    }

    fn contains_second(&self, week_second: u32) -> bool {
        self.offset_of(week_second) < self.len
    }

    /// Seconds from the window start forward to `week_second`, `0..SECONDS_PER_WEEK`.
    fn offset_of(&self, week_second: u32) -> u32 {
        (i64::from(week_second) - i64::from(self.start.week_second())).rem_euclid(WEEK) as u32
    }
}

/// The API's four window fields, for serde.
#[derive(Serialize, Deserialize)]
struct WindowFields {
    start_dow: u8,
    start_hod: HourOfDay,
    end_dow: u8,
    end_hod: HourOfDay,
}

impl TryFrom<WindowFields> for WeeklyWindow {
    type Error = PricingError;

    fn try_from(f: WindowFields) -> Result<Self, Self::Error> {
        Self::new(
            TimeOfWeek::new(f.start_dow, f.start_hod)?,
            TimeOfWeek::new(f.end_dow, f.end_hod)?,
        )
    }
}

impl From<WeeklyWindow> for WindowFields {
    fn from(w: WeeklyWindow) -> Self {
        Self {
            start_dow: w.start.dow,
            start_hod: w.start.hod,
            end_dow: w.end.dow,
            end_hod: w.end.hod,
        }
    }
}

/// Whether two weekly windows share at least one instant (touching at a boundary is not
/// overlapping).
pub fn overlaps(a: &WeeklyWindow, b: &WeeklyWindow) -> bool {
    // Two arcs of the week circle intersect exactly when one starts inside the other.
    a.contains_second(b.start.week_second()) || b.contains_second(a.start.week_second())
}

/// One pricing rule of a network, in force during its window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingRule {
    /// When the rule is in force, in network local time.
    #[serde(flatten)]
    pub window: WeeklyWindow,
    /// Price to unlock the vehicle.
    pub unlock_price: Decimal,
    /// Use time included in the unlock price, in seconds.
    pub unlock_included_time: u32,
    /// Price to lock the vehicle in free floating (outside a station).
    pub freefloat_lock_price: Decimal,
    /// Price per minute of use beyond the included time.
    pub use_per_minute_price: Decimal,
    /// Price per minute on hold (rented but locked).
    pub on_hold_price: Decimal,
}

impl PricingRule {
    /// Check that no price is negative.
    pub fn validate(&self) -> Result<(), PricingError> {
        for (field, price) in [
            ("unlock_price", self.unlock_price),
            ("freefloat_lock_price", self.freefloat_lock_price),
            ("use_per_minute_price", self.use_per_minute_price),
            ("on_hold_price", self.on_hold_price),
        ] {
            if price.is_sign_negative() && !price.is_zero() {
                return Err(PricingError::NegativePrice { field });
            }
        }
        Ok(())
    }
}

/// Index of the first rule whose window overlaps `window` (to refuse adding it), if any.
pub fn overlapping_rule(rules: &[PricingRule], window: &WeeklyWindow) -> Option<usize> {
    rules.iter().position(|rule| overlaps(&rule.window, window))
}

/// Check that no two rules of a network overlap.
pub fn check_no_overlap(rules: &[PricingRule]) -> Result<(), PricingError> {
    for (first, a) in rules.iter().enumerate() {
        if let Some(offset) = overlapping_rule(&rules[first + 1..], &a.window) {
            return Err(PricingError::Overlap {
                first,
                second: first + 1 + offset,
            });
        }
    }
    Ok(())
}

/// Index of the rule in force at a local time of week, if any.
pub fn rule_index_at(rules: &[PricingRule], at: TimeOfWeek) -> Option<usize> {
    rule_index_at_second(rules, at.week_second())
}

/// The rule in force at a local time of week, if any.
pub fn rule_at(rules: &[PricingRule], at: TimeOfWeek) -> Option<&PricingRule> {
    rule_index_at(rules, at).map(|index| &rules[index])
}

fn rule_index_at_second(rules: &[PricingRule], week_second: u32) -> Option<usize> {
    rules
        .iter()
        .position(|r| r.window.contains_second(week_second))
}

/// A time interval, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Period {
    /// Start, included.
    pub start: DateTime<Utc>,
    /// End, excluded.
    pub end: DateTime<Utc>,
}

/// What the price of a trip depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TripTimes {
    /// When the vehicle was unlocked.
    pub start: DateTime<Utc>,
    /// When the rent ended (or billing was stopped).
    pub end: DateTime<Utc>,
    /// Periods on hold (rented but locked), within the trip.
    pub on_hold: Vec<Period>,
    /// Whether the trip ends in free floating (outside a station).
    pub ends_in_freefloat: bool,
}

/// What a line of a trip price charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// The unlock price.
    Unlock,
    /// Riding time covered by the included time (free).
    IncludedUse,
    /// Riding time beyond the included time, per minute.
    Use,
    /// Time on hold, per minute.
    OnHold,
    /// The free-floating lock price.
    FreefloatLock,
    /// The balancing discount of the trip's route (negative), added by `ride::adjust`.
    BalancingDiscount,
}

/// One line of a trip price: a fixed price, or a stretch of time priced by one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PriceLine {
    /// What the line charges.
    pub kind: LineKind,
    /// Index of the pricing rule that priced the line; none when no rule was in force.
    pub rule: Option<usize>,
    /// Start of the stretch of time (the trip start for the unlock, its end for the lock).
    pub from: DateTime<Utc>,
    /// End of the stretch of time (equal to `from` for fixed prices).
    pub to: DateTime<Utc>,
    /// Real seconds in the stretch.
    pub seconds: u64,
    /// Minutes charged: the minutes of the clock (use or on hold) that start in the stretch.
    pub minutes: u64,
    /// Price per minute for time lines, the fixed price otherwise.
    pub unit_price: Decimal,
    /// Amount charged, rounded to the currency minor unit.
    pub amount: Decimal,
}

/// The price of a trip, with its breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TripPrice {
    /// Unlock price.
    pub unlock: Decimal,
    /// Use beyond the included time.
    pub use_amount: Decimal,
    /// Time on hold.
    pub on_hold_amount: Decimal,
    /// Free-floating lock price (0 when the trip ends in a station).
    pub freefloat_lock: Decimal,
    /// Balancing discount, zero or negative (set by `ride::adjust`; 0 when a stored breakdown
    /// lacks it).
    #[serde(default)]
    pub balancing_discount: Decimal,
    /// Sum of the five amounts above, and of the line amounts; never negative.
    pub total: Decimal,
    /// Index of the rule in force at the trip start, which set unlock, included time and lock.
    pub start_rule: Option<usize>,
    /// Trip duration in seconds.
    pub duration_seconds: u64,
    /// Seconds riding (not on hold).
    pub riding_seconds: u64,
    /// Seconds on hold.
    pub on_hold_seconds: u64,
    /// Riding seconds covered by the included time.
    pub included_seconds: u64,
    /// Minutes of use charged.
    pub use_minutes: u64,
    /// Minutes on hold charged.
    pub on_hold_minutes: u64,
    /// Seconds with no rule in force (free).
    pub uncovered_seconds: u64,
    /// The lines, in time order; their amounts add up to `total`.
    pub lines: Vec<PriceLine>,
}

/// Price a trip with the rules of its network, whose local time is `tz`, rounding amounts to
/// `minor_units` decimal places (see the module documentation for the billing rules).
pub fn price_trip(
    rules: &[PricingRule],
    tz: Tz,
    trip: &TripTimes,
    minor_units: u32,
) -> Result<TripPrice, PricingError> {
    for rule in rules {
        rule.validate()?;
    }
    check_no_overlap(rules)?;
    if trip.end < trip.start {
        return Err(PricingError::TripEndsBeforeStart);
    }
    let (start, end) = (trip.start.timestamp(), trip.end.timestamp());
    let holds = normalize_holds(&trip.on_hold, start, end)?;
    let pieces = split(&rule_spans(rules, tz, start, end), &holds, start, end);

    let start_rule = rule_index_at_second(rules, week_second_of(start + utc_offset(tz, start)));
    let included = start_rule.map_or(0, |i| u64::from(rules[i].unlock_included_time));
    let round = |amount: Decimal| {
        let mut rounded =
            amount.round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(minor_units);
        rounded
    };
    let fixed_line = |kind, at: i64, price: Option<Decimal>| PriceLine {
        kind,
        rule: start_rule,
        from: instant(at),
        to: instant(at),
        seconds: 0,
        minutes: 0,
        unit_price: price.unwrap_or_default(),
        amount: round(price.unwrap_or_default()),
    };

    let mut lines = vec![fixed_line(
        LineKind::Unlock,
        start,
        start_rule.map(|i| rules[i].unlock_price),
    )];
    // Clocks in seconds: riding (the included time first), riding beyond it, on hold.
    let (mut riding, mut billed, mut held) = (0u64, 0u64, 0u64);
    let mut uncovered = 0u64;
    for piece in pieces {
        let len = (piece.to - piece.from) as u64;
        if piece.rule.is_none() {
            uncovered += len;
        }
        let rule = piece.rule.map(|i| &rules[i]);
        let line = |kind, from: i64, to: i64, minutes: u64, unit: Decimal| {
            let amount = unit
                .checked_mul(Decimal::from(minutes))
                .ok_or(PricingError::Overflow)?;
            Ok::<_, PricingError>(PriceLine {
                kind,
                rule: piece.rule,
                from: instant(from),
                to: instant(to),
                seconds: (to - from) as u64,
                minutes,
                unit_price: unit,
                amount: round(amount),
            })
        };
        if piece.on_hold {
            let minutes = advance(&mut held, len);
            let unit = rule.map_or(Decimal::ZERO, |r| r.on_hold_price);
            lines.push(line(LineKind::OnHold, piece.from, piece.to, minutes, unit)?);
        } else {
            let free = included.saturating_sub(riding).min(len);
            riding += len;
            let split_at = piece.from + free as i64;
            if free > 0 {
                lines.push(line(
                    LineKind::IncludedUse,
                    piece.from,
                    split_at,
                    0,
                    Decimal::ZERO,
                )?);
            }
            if split_at < piece.to {
                let minutes = advance(&mut billed, len - free);
                let unit = rule.map_or(Decimal::ZERO, |r| r.use_per_minute_price);
                lines.push(line(LineKind::Use, split_at, piece.to, minutes, unit)?);
            }
        }
    }
    if trip.ends_in_freefloat {
        lines.push(fixed_line(
            LineKind::FreefloatLock,
            end,
            start_rule.map(|i| rules[i].freefloat_lock_price),
        ));
    }

    let sum = |kind: LineKind| {
        lines
            .iter()
            .filter(|line| line.kind == kind)
            .try_fold(round(Decimal::ZERO), |acc, line| {
                acc.checked_add(line.amount)
            })
            .ok_or(PricingError::Overflow)
    };
    let unlock = sum(LineKind::Unlock)?;
    let use_amount = sum(LineKind::Use)?;
    let on_hold_amount = sum(LineKind::OnHold)?;
    let freefloat_lock = sum(LineKind::FreefloatLock)?;
    let total = [use_amount, on_hold_amount, freefloat_lock]
        .into_iter()
        .try_fold(unlock, Decimal::checked_add)
        .ok_or(PricingError::Overflow)?;
    let minutes = |kind: LineKind| {
        lines
            .iter()
            .filter(|line| line.kind == kind)
            .map(|line| line.minutes)
            .sum()
    };
    Ok(TripPrice {
        unlock,
        use_amount,
        on_hold_amount,
        freefloat_lock,
        balancing_discount: round(Decimal::ZERO),
        total,
        start_rule,
        duration_seconds: (end - start) as u64,
        riding_seconds: riding,
        on_hold_seconds: held,
        included_seconds: included.min(riding),
        use_minutes: minutes(LineKind::Use),
        on_hold_minutes: minutes(LineKind::OnHold),
        uncovered_seconds: uncovered,
        lines,
    })
}

/// Run a per-minute clock on by `seconds`; returns how many of its minutes start meanwhile
/// (every started minute is charged, at the rule in force when it starts).
fn advance(clock: &mut u64, seconds: u64) -> u64 {
    let started_before = clock.div_ceil(60);
    *clock += seconds;
    clock.div_ceil(60) - started_before
}

/// A stretch of the trip, in Unix seconds, with the rule in force and whether on hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    from: i64,
    to: i64,
    rule: Option<usize>,
    on_hold: bool,
}

/// An instant from Unix seconds taken from the trip's own instants, hence representable.
fn instant(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).expect("an instant within the trip")
}

/// UTC offset of `tz` at an instant, in seconds.
fn utc_offset(tz: Tz, at: i64) -> i64 {
    let offset = tz.offset_from_utc_datetime(&instant(at).naive_utc());
    i64::from(offset.fix().local_minus_utc())
}

/// Seconds since Sunday 00:00:00 of a local time given as seconds since 1970-01-01 00:00:00.
fn week_second_of(local: i64) -> u32 {
    // 1970-01-01 was a Thursday, day 4 counting from Sunday.
    (local + 4 * DAY).rem_euclid(WEEK) as u32
}

/// Split `[start, end)` into maximal stretches with one rule (or none) in force.
fn rule_spans(rules: &[PricingRule], tz: Tz, start: i64, end: i64) -> Vec<Piece> {
    let mut boundaries: Vec<u32> = rules
        .iter()
        .flat_map(|r| [r.window.start.week_second(), r.window.end.week_second()])
        .collect();
    boundaries.sort_unstable();
    boundaries.dedup();

    let mut spans: Vec<Piece> = Vec::new();
    let mut t = start;
    while t < end {
        let offset = utc_offset(tz, t);
        let week_second = week_second_of(t + offset);
        let rule = rule_index_at_second(rules, week_second);
        let to_boundary = boundaries
            .iter()
            .map(
                |&b| match (i64::from(b) - i64::from(week_second)).rem_euclid(WEEK) {
                    0 => WEEK,
                    d => d,
                },
            )
            .min()
            .unwrap_or(WEEK);
        // Steps of at most a day, so that at most one UTC offset change falls in a step.
        let mut next = end.min(t + to_boundary).min(t + DAY);
        // Local time runs with UTC only while the offset holds: stop where it changes.
        if utc_offset(tz, next - 1) != offset {
            let (mut same, mut changed) = (t, next - 1);
            while changed - same > 1 {
                let mid = same + (changed - same) / 2;
                if utc_offset(tz, mid) == offset {
                    same = mid;
                } else {
                    changed = mid;
                }
            }
            next = changed;
        }
        match spans.last_mut() {
            Some(last) if last.rule == rule => last.to = next,
            _ => spans.push(Piece {
                from: t,
                to: next,
                rule,
                on_hold: false,
            }),
        }
        t = next;
    }
    spans
}

/// On-hold periods in Unix seconds, clipped to the trip, sorted and merged.
fn normalize_holds(
    periods: &[Period],
    start: i64,
    end: i64,
) -> Result<Vec<(i64, i64)>, PricingError> {
    let mut holds = Vec::with_capacity(periods.len());
    for (index, period) in periods.iter().enumerate() {
        if period.end < period.start {
            return Err(PricingError::InvalidOnHoldPeriod { index });
        }
        let (from, to) = (
            period.start.timestamp().max(start),
            period.end.timestamp().min(end),
        );
        if from < to {
            holds.push((from, to));
        }
    }
    holds.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(holds.len());
    for (from, to) in holds {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    Ok(merged)
}

/// Cut the rule stretches further where the trip goes on and off hold.
fn split(spans: &[Piece], holds: &[(i64, i64)], start: i64, end: i64) -> Vec<Piece> {
    // Riding and on-hold stretches covering the trip, in order.
    let mut states = Vec::with_capacity(2 * holds.len() + 1);
    let mut t = start;
    for &(from, to) in holds {
        if t < from {
            states.push((t, from, false));
        }
        states.push((from, to, true));
        t = to;
    }
    if t < end {
        states.push((t, end, false));
    }

    let mut pieces = Vec::with_capacity(spans.len() + states.len());
    let (mut i, mut j, mut t) = (0, 0, start);
    while i < spans.len() && j < states.len() {
        let to = spans[i].to.min(states[j].1);
        if t < to {
            pieces.push(Piece {
                from: t,
                to,
                rule: spans[i].rule,
                on_hold: states[j].2,
            });
        }
        t = to;
        if spans[i].to == t {
            i += 1;
        }
        if states[j].1 == t {
            j += 1;
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn hod(text: &str) -> HourOfDay {
        HourOfDay::parse(text).unwrap()
    }

    fn window(start_dow: u8, start_hod: &str, end_dow: u8, end_hod: &str) -> WeeklyWindow {
        WeeklyWindow::parse(start_dow, start_hod, end_dow, end_hod).unwrap()
    }

    fn tow(dow: u8, hod: &str) -> TimeOfWeek {
        TimeOfWeek::parse(dow, hod).unwrap()
    }

    /// A rule with prices as text: unlock, included seconds, lock, per minute, on hold.
    fn rule(
        w: WeeklyWindow,
        unlock: &str,
        included: u32,
        lock: &str,
        per_minute: &str,
        on_hold: &str,
    ) -> PricingRule {
        PricingRule {
            window: w,
            unlock_price: d(unlock),
            unlock_included_time: included,
            freefloat_lock_price: d(lock),
            use_per_minute_price: d(per_minute),
            on_hold_price: d(on_hold),
        }
    }

    const DAY_RULE: usize = 0;
    const NIGHT_RULE: usize = 1;

    /// Every day: day rate 07:00-20:00, night rate 20:00-07:00 the next day. Rule `2 * dow`
    /// is the day of `dow`, `2 * dow + 1` its night; Saturday night wraps to Sunday.
    fn day_and_night() -> Vec<PricingRule> {
        (0..7u8)
            .flat_map(|dow| {
                [
                    rule(
                        window(dow, "07:00:00", dow, "20:00:00"),
                        "1.00",
                        300,
                        "2.00",
                        "0.25",
                        "0.10",
                    ),
                    rule(
                        window(dow, "20:00:00", (dow + 1) % 7, "07:00:00"),
                        "1.50",
                        0,
                        "3.00",
                        "0.40",
                        "0.15",
                    ),
                ]
            })
            .collect()
    }

    fn day_of(dow: u8) -> usize {
        2 * usize::from(dow) + DAY_RULE
    }

    fn night_of(dow: u8) -> usize {
        2 * usize::from(dow) + NIGHT_RULE
    }

    fn paris() -> Tz {
        chrono_tz::Europe::Paris
    }

    /// An instant given in the local time of `tz`; the offset disambiguates repeated hours.
    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn trip(start: &str, end: &str) -> TripTimes {
        TripTimes {
            start: at(start),
            end: at(end),
            on_hold: Vec::new(),
            ends_in_freefloat: false,
        }
    }

    fn priced(rules: &[PricingRule], tz: Tz, trip: &TripTimes) -> TripPrice {
        price_trip(rules, tz, trip, 2).unwrap()
    }

    /// (kind, rule, minutes, amount) of each line, for compact assertions.
    fn summary(price: &TripPrice) -> Vec<(LineKind, Option<usize>, u64, Decimal)> {
        price
            .lines
            .iter()
            .map(|l| (l.kind, l.rule, l.minutes, l.amount))
            .collect()
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
    }

    #[test]
    fn hour_of_day_accepts_the_api_pattern() {
        for (text, seconds, shown) in [
            ("00:00:00", 0, "00:00:00"),
            ("7:05:09", 7 * 3600 + 5 * 60 + 9, "07:05:09"),
            ("09:30:00", 9 * 3600 + 30 * 60, "09:30:00"),
            ("19:59:59", 19 * 3600 + 59 * 60 + 59, "19:59:59"),
            ("23:59:59", 86_399, "23:59:59"),
            ("24:00:00", 86_400, "24:00:00"),
        ] {
            let parsed = hod(text);
            assert_eq!(parsed.seconds(), seconds, "{text}");
            assert_eq!(parsed.to_string(), shown, "{text}");
            assert_eq!(text.parse::<HourOfDay>().unwrap(), parsed);
        }
    }

    #[test]
    fn hour_of_day_refuses_anything_else() {
        for text in [
            "",
            "24:00:01",
            "24:30:00",
            "25:00:00",
            "30:00:00",
            "12:60:00",
            "12:00:60",
            "12:00",
            "12:5:00",
            "12:05:0",
            "123:00:00",
            "012:00:00",
            " 12:00:00",
            "12:00:00 ",
            "+1:00:00",
            "-1:00:00",
            "aa:bb:cc",
            "12:00:00.5",
            "12:00:00:00",
            "１２:00:00",
            "24:00",
            "12h00m00",
        ] {
            assert_eq!(
                HourOfDay::parse(text),
                Err(PricingError::InvalidHourOfDay(text.to_owned())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn window_refuses_bad_days_and_empty_windows_and_accepts_the_whole_week() {
        assert_eq!(
            TimeOfWeek::parse(7, "10:00:00"),
            Err(PricingError::InvalidDayOfWeek(7))
        );
        for (sd, sh, ed, eh) in [
            (1, "10:00:00", 1, "10:00:00"),
            (1, "24:00:00", 2, "00:00:00"),
            (6, "24:00:00", 0, "00:00:00"),
            (0, "00:00:00", 0, "00:00:00"),
        ] {
            assert_eq!(
                WeeklyWindow::parse(sd, sh, ed, eh),
                Err(PricingError::EmptyWindow),
                "{sd} {sh} {ed} {eh}"
            );
        }
        let whole = window(0, "00:00:00", 6, "24:00:00");
        assert!(whole.is_whole_week());
        assert_eq!(whole.len_seconds(), SECONDS_PER_WEEK);
        assert!(whole.contains(tow(0, "00:00:00")));
        assert!(whole.contains(tow(6, "23:59:59")));
        // Saturday 22:00 to Monday 06:00 wraps over the week end: 32 hours.
        let weekend = window(6, "22:00:00", 1, "06:00:00");
        assert_eq!(weekend.len_seconds(), 32 * 3600);
        assert!(weekend.contains(tow(6, "22:00:00")));
        assert!(weekend.contains(tow(0, "12:00:00")));
        assert!(weekend.contains(tow(1, "05:59:59")));
        assert!(!weekend.contains(tow(1, "06:00:00")));
        assert!(!weekend.contains(tow(6, "21:59:59")));
    }

    #[test]
    fn window_serializes_as_the_api_fields() {
        let json = serde_json::json!({
            "start_dow": 6, "start_hod": "22:00:00", "end_dow": 1, "end_hod": "6:00:00",
            "unlock_price": "1.00", "unlock_included_time": 300, "freefloat_lock_price": "2.00",
            "use_per_minute_price": "0.25", "on_hold_price": "0.10"
        });
        let parsed: PricingRule = serde_json::from_value(json).unwrap();
        assert_eq!(
            parsed,
            rule(
                window(6, "22:00:00", 1, "06:00:00"),
                "1.00",
                300,
                "2.00",
                "0.25",
                "0.10"
            )
        );
        let back = serde_json::to_value(&parsed).unwrap();
        assert_eq!(back["end_hod"], "06:00:00");
        assert_eq!(back["start_dow"], 6);
        let empty = serde_json::json!({
            "start_dow": 1, "start_hod": "10:00:00", "end_dow": 1, "end_hod": "10:00:00",
            "unlock_price": "1", "unlock_included_time": 0, "freefloat_lock_price": "0",
            "use_per_minute_price": "0", "on_hold_price": "0"
        });
        assert!(serde_json::from_value::<PricingRule>(empty).is_err());
    }

    #[test]
    fn overlap_of_windows() {
        // "dow HH:MM:SS dow HH:MM:SS" (start, end), then whether they overlap.
        let cases = [
            // Same day, sharing 11:00-12:00; one inside the other.
            ("1 08:00:00 1 12:00:00", "1 11:00:00 1 13:00:00", true),
            ("1 08:00:00 1 12:00:00", "1 09:00:00 1 10:00:00", true),
            // Touching: the first ends when the second starts. Then one second apart, and one
            // second shared.
            ("1 08:00:00 1 12:00:00", "1 12:00:00 1 14:00:00", false),
            ("1 08:00:00 1 12:00:00", "1 12:00:01 1 14:00:00", false),
            ("1 08:00:00 1 12:00:01", "1 12:00:00 1 14:00:00", true),
            // Wrapping over the week end.
            ("6 22:00:00 1 06:00:00", "0 10:00:00 0 11:00:00", true),
            ("6 22:00:00 1 06:00:00", "1 06:00:00 1 07:00:00", false),
            ("6 22:00:00 1 06:00:00", "6 21:00:00 6 22:00:00", false),
            ("6 22:00:00 1 06:00:00", "6 21:00:00 6 22:00:01", true),
            ("6 22:00:00 1 06:00:00", "5 22:00:00 0 01:00:00", true),
            ("6 22:00:00 1 06:00:00", "2 00:00:00 5 00:00:00", false),
            // 24:00:00 is the next day's 00:00:00.
            ("1 20:00:00 1 24:00:00", "2 00:00:00 2 06:00:00", false),
            ("6 20:00:00 6 24:00:00", "0 00:00:00 0 01:00:00", false),
            ("1 24:00:00 2 01:00:00", "2 00:30:00 2 02:00:00", true),
            ("1 20:00:00 1 24:00:00", "1 23:59:59 2 01:00:00", true),
            // The whole week overlaps everything.
            ("0 00:00:00 6 24:00:00", "3 12:00:00 3 12:00:01", true),
        ];
        let parse = |text: &str| {
            let f: Vec<&str> = text.split(' ').collect();
            window(f[0].parse().unwrap(), f[1], f[2].parse().unwrap(), f[3])
        };
        for (a, b, expected) in cases {
            let (a, b) = (parse(a), parse(b));
            assert_eq!(overlaps(&a, &b), expected, "{a:?} / {b:?}");
            assert_eq!(overlaps(&b, &a), expected, "{b:?} / {a:?}");
        }
    }

    #[test]
    fn rule_sets_without_and_with_overlap() {
        let mut rules = day_and_night();
        assert_eq!(check_no_overlap(&rules), Ok(()));
        let promo = window(3, "12:00:00", 3, "14:00:00");
        assert_eq!(overlapping_rule(&rules, &promo), Some(day_of(3)));
        rules.push(rule(promo, "0", 0, "0", "0.05", "0.05"));
        assert_eq!(
            check_no_overlap(&rules),
            Err(PricingError::Overlap {
                first: day_of(3),
                second: 14
            })
        );
        let err = price_trip(
            &rules,
            paris(),
            &trip("2026-03-11T12:00:00+01:00", "2026-03-11T12:10:00+01:00"),
            2,
        );
        assert_eq!(
            err,
            Err(PricingError::Overlap {
                first: day_of(3),
                second: 14
            })
        );
        // Negative prices are refused too.
        let mut negative = day_and_night();
        negative[0].on_hold_price = d("-0.01");
        assert_eq!(
            price_trip(
                &negative,
                paris(),
                &trip("2026-03-11T12:00:00+01:00", "2026-03-11T12:10:00+01:00"),
                2
            ),
            Err(PricingError::NegativePrice {
                field: "on_hold_price"
            })
        );
    }

    #[test]
    fn rule_lookup_at_a_time_of_week() {
        let rules = day_and_night();
        let index = |dow, hod| rule_index_at(&rules, tow(dow, hod));
        assert_eq!(index(2, "12:00:00"), Some(day_of(2)));
        assert_eq!(index(2, "19:59:59"), Some(day_of(2)));
        // A boundary belongs to the window starting there.
        assert_eq!(index(2, "20:00:00"), Some(night_of(2)));
        assert_eq!(index(3, "06:59:59"), Some(night_of(2)));
        assert_eq!(index(2, "24:00:00"), Some(night_of(2)));
        // Saturday night wraps over the week end into Sunday morning.
        assert_eq!(index(0, "03:00:00"), Some(night_of(6)));
        assert_eq!(index(6, "23:59:59"), Some(night_of(6)));
        assert_eq!(
            rule_at(&rules, tow(0, "07:00:00"))
                .unwrap()
                .use_per_minute_price,
            d("0.25")
        );
        let tuesday_only = vec![rules[day_of(2)].clone()];
        assert_eq!(rule_at(&tuesday_only, tow(2, "20:00:00")), None);
        assert_eq!(rule_at(&tuesday_only, tow(1, "12:00:00")), None);
        // From an instant: 18:59:59 UTC is 19:59:59 in Paris in March (UTC+1).
        let local = TimeOfWeek::at(at("2026-03-10T18:59:59Z"), paris());
        assert_eq!((local.dow(), local.hod()), (2, hod("19:59:59")));
        assert_eq!(rule_index_at(&rules, local), Some(day_of(2)));
        assert_eq!(
            rule_index_at(&rules, TimeOfWeek::at(at("2026-03-10T19:00:00Z"), paris())),
            Some(night_of(2))
        );
    }

    #[test]
    fn simple_trip_inside_one_window() {
        // Tuesday night, no included time: 12 minutes at 0.40.
        let rules = day_and_night();
        let price = priced(
            &rules,
            paris(),
            &trip("2026-03-10T21:00:00+01:00", "2026-03-10T21:12:00+01:00"),
        );
        assert_eq!(price.start_rule, Some(night_of(2)));
        assert_eq!(price.unlock, d("1.50"));
        assert_eq!(price.use_amount, d("4.80"));
        assert_eq!(price.on_hold_amount, d("0"));
        assert_eq!(price.freefloat_lock, d("0"));
        assert_eq!(price.total, d("6.30"));
        assert_eq!(price.total.to_string(), "6.30");
        assert_eq!((price.duration_seconds, price.riding_seconds), (720, 720));
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(night_of(2)), 0, d("1.50")),
                (LineKind::Use, Some(night_of(2)), 12, d("4.80")),
            ]
        );
        assert_eq!(price.lines[1].from, at("2026-03-10T20:00:00Z"));
        assert_eq!(price.lines[1].to, at("2026-03-10T20:12:00Z"));
        assert_eq!(price.lines[1].unit_price, d("0.40"));
        assert_adds_up(&price);
    }

    #[test]
    fn included_time_then_every_started_minute() {
        // Tuesday day: 5 minutes included, then 0.25 per started minute.
        let rules = day_and_night();
        let short = priced(
            &rules,
            paris(),
            &trip("2026-03-10T10:00:00+01:00", "2026-03-10T10:05:00+01:00"),
        );
        assert_eq!((short.use_amount, short.total), (d("0"), d("1.00")));
        assert_eq!(short.included_seconds, 300);
        let longer = priced(
            &rules,
            paris(),
            &trip("2026-03-10T10:00:00+01:00", "2026-03-10T10:15:01+01:00"),
        );
        // 10 min 1 s beyond the included time: 11 started minutes.
        assert_eq!(longer.use_minutes, 11);
        assert_eq!(longer.use_amount, d("2.75"));
        assert_eq!(longer.total, d("3.75"));
        assert_eq!(
            summary(&longer),
            vec![
                (LineKind::Unlock, Some(day_of(2)), 0, d("1.00")),
                (LineKind::IncludedUse, Some(day_of(2)), 0, d("0")),
                (LineKind::Use, Some(day_of(2)), 11, d("2.75")),
            ]
        );
        assert_eq!(longer.lines[1].seconds, 300);
        assert_eq!(longer.lines[2].seconds, 601);
        // One second past the included time already starts a minute.
        let one_second = priced(
            &rules,
            paris(),
            &trip("2026-03-10T10:00:00+01:00", "2026-03-10T10:05:01+01:00"),
        );
        assert_eq!(one_second.total, d("1.25"));
        assert_adds_up(&longer);
    }

    #[test]
    fn trip_across_the_day_to_night_boundary() {
        // Tuesday 19:50:30 to 20:10:45: 5 min included (to 19:55:30), then minutes start at
        // 19:55:30 ... 19:59:30 (day, the last straddling 20:00) and 20:00:30 ... 20:10:30
        // (night, the last one started).
        let rules = day_and_night();
        let price = priced(
            &rules,
            paris(),
            &trip("2026-03-10T19:50:30+01:00", "2026-03-10T20:10:45+01:00"),
        );
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(day_of(2)), 0, d("1.00")),
                (LineKind::IncludedUse, Some(day_of(2)), 0, d("0")),
                (LineKind::Use, Some(day_of(2)), 5, d("1.25")),
                (LineKind::Use, Some(night_of(2)), 11, d("4.40")),
            ]
        );
        assert_eq!(price.lines[3].from, at("2026-03-10T20:00:00+01:00"));
        assert_eq!(price.lines[3].seconds, 645);
        assert_eq!(price.use_amount, d("5.65"));
        assert_eq!(price.total, d("6.65"));
        assert_adds_up(&price);
    }

    #[test]
    fn trip_across_the_week_wrap() {
        // Saturday 23:30 to Sunday 00:30 stays in Saturday's night rule, one line.
        let rules = day_and_night();
        let price = priced(
            &rules,
            paris(),
            &trip("2026-03-14T23:30:00+01:00", "2026-03-15T00:30:00+01:00"),
        );
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(night_of(6)), 0, d("1.50")),
                (LineKind::Use, Some(night_of(6)), 60, d("24.00")),
            ]
        );
        assert_eq!(price.total, d("25.50"));

        // A weekend rule Friday 20:00 to Monday 06:00 and a weekday rule: Sunday 23:50 to
        // Monday 06:10 is weekend until 06:00, then weekday.
        let rules = vec![
            rule(
                window(5, "20:00:00", 1, "06:00:00"),
                "0.50",
                0,
                "0",
                "0.10",
                "0",
            ),
            rule(
                window(1, "06:00:00", 5, "20:00:00"),
                "1.00",
                0,
                "0",
                "0.30",
                "0",
            ),
        ];
        let price = priced(
            &rules,
            paris(),
            &trip("2026-03-15T23:50:00+01:00", "2026-03-16T06:10:00+01:00"),
        );
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(0), 0, d("0.50")),
                (LineKind::Use, Some(0), 370, d("37.00")),
                (LineKind::Use, Some(1), 10, d("3.00")),
            ]
        );
        assert_eq!(price.total, d("40.50"));
        assert_adds_up(&price);
    }

    #[test]
    fn on_hold_periods_do_not_consume_included_time() {
        // Tuesday 10:00 to 10:30, on hold 10:03 to 10:13: 3 min included, 10 min on hold,
        // 2 more min included, then 15 min of use.
        let rules = day_and_night();
        let mut times = trip("2026-03-10T10:00:00+01:00", "2026-03-10T10:30:00+01:00");
        times.on_hold = vec![Period {
            start: at("2026-03-10T10:03:00+01:00"),
            end: at("2026-03-10T10:13:00+01:00"),
        }];
        let price = priced(&rules, paris(), &times);
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(day_of(2)), 0, d("1.00")),
                (LineKind::IncludedUse, Some(day_of(2)), 0, d("0")),
                (LineKind::OnHold, Some(day_of(2)), 10, d("1.00")),
                (LineKind::IncludedUse, Some(day_of(2)), 0, d("0")),
                (LineKind::Use, Some(day_of(2)), 15, d("3.75")),
            ]
        );
        assert_eq!(price.lines[3].from, at("2026-03-10T10:13:00+01:00"));
        assert_eq!(price.lines[3].to, at("2026-03-10T10:15:00+01:00"));
        assert_eq!((price.riding_seconds, price.on_hold_seconds), (1200, 600));
        assert_eq!(price.included_seconds, 300);
        assert_eq!(price.on_hold_amount, d("1.00"));
        assert_eq!(price.total, d("5.75"));
        assert_adds_up(&price);
    }

    #[test]
    fn on_hold_minutes_run_on_one_clock_across_periods_and_rules() {
        // Wednesday 06:50 to 07:02, in Tuesday's night rule until 07:00 (no included time).
        // On hold 40 s, then 200 s across 07:00 (clipped at the trip end): 240 s on one clock
        // is 4 minutes (rounding each period up would give 1 + 4), each priced by the rule in
        // force when it starts.
        let rules = day_and_night();
        let mut times = trip("2026-03-11T06:50:00+01:00", "2026-03-11T07:02:00+01:00");
        times.on_hold = vec![
            // Overlapping periods are merged: 06:51:00 to 06:51:40.
            Period {
                start: at("2026-03-11T06:51:00+01:00"),
                end: at("2026-03-11T06:51:30+01:00"),
            },
            Period {
                start: at("2026-03-11T06:51:20+01:00"),
                end: at("2026-03-11T06:51:40+01:00"),
            },
            // 06:58:40 to 07:02:00 (clipped): hold clock at 40 s, minutes start at 06:58:60
            // = 06:59:00 (night), 07:00:00 and 07:01:00 (day).
            Period {
                start: at("2026-03-11T06:58:40+01:00"),
                end: at("2026-03-11T07:05:00+01:00"),
            },
        ];
        let price = priced(&rules, paris(), &times);
        assert_eq!(price.on_hold_seconds, 40 + 200);
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(night_of(2)), 0, d("1.50")),
                (LineKind::Use, Some(night_of(2)), 1, d("0.40")),
                (LineKind::OnHold, Some(night_of(2)), 1, d("0.15")),
                (LineKind::Use, Some(night_of(2)), 7, d("2.80")),
                (LineKind::OnHold, Some(night_of(2)), 1, d("0.15")),
                (LineKind::OnHold, Some(day_of(3)), 2, d("0.20")),
            ]
        );
        // Riding: 06:50:00-06:51:00 and 06:51:40-06:58:40 = 8 minutes.
        assert_eq!(price.use_minutes, 8);
        assert_eq!(price.on_hold_minutes, 4);
        assert_eq!(price.total, d("5.20"));
        assert_adds_up(&price);

        let mut inverted = times.clone();
        inverted.on_hold[1].end = at("2026-03-11T06:51:00+01:00");
        assert_eq!(
            price_trip(&rules, paris(), &inverted, 2),
            Err(PricingError::InvalidOnHoldPeriod { index: 1 })
        );
    }

    #[test]
    fn freefloat_lock_is_priced_by_the_rule_at_trip_start() {
        // Starts in Tuesday's day rule (lock 2.00), ends at night (lock 3.00): 2.00.
        let rules = day_and_night();
        let mut times = trip("2026-03-10T19:40:00+01:00", "2026-03-10T20:05:00+01:00");
        let in_station = priced(&rules, paris(), &times);
        times.ends_in_freefloat = true;
        let freefloat = priced(&rules, paris(), &times);
        // Unlock 1.00, 15 day minutes after the 5 included (3.75), 5 night minutes (2.00).
        assert_eq!(in_station.total, d("6.75"));
        assert_eq!(freefloat.freefloat_lock, d("2.00"));
        assert_eq!(freefloat.total, in_station.total + d("2.00"));
        let last = freefloat.lines.last().unwrap();
        assert_eq!(
            (last.kind, last.rule, last.amount, last.from),
            (
                LineKind::FreefloatLock,
                Some(day_of(2)),
                d("2.00"),
                at("2026-03-10T20:05:00+01:00")
            )
        );
        assert_adds_up(&freefloat);
    }

    #[test]
    fn time_with_no_rule_is_free_and_reported() {
        // Only Tuesday 07:00-20:00 is priced, with no included time.
        let rules = vec![rule(
            window(2, "07:00:00", 2, "20:00:00"),
            "1.00",
            0,
            "2.00",
            "0.25",
            "0.10",
        )];
        let evening = priced(
            &rules,
            paris(),
            &trip("2026-03-10T19:50:00+01:00", "2026-03-10T20:10:00+01:00"),
        );
        assert_eq!(
            summary(&evening),
            vec![
                (LineKind::Unlock, Some(0), 0, d("1.00")),
                (LineKind::Use, Some(0), 10, d("2.50")),
                (LineKind::Use, None, 10, d("0")),
            ]
        );
        assert_eq!(evening.uncovered_seconds, 600);
        assert_eq!(evening.total, d("3.50"));

        // Starting before 07:00: no unlock price, no included time, no lock price.
        let mut morning = trip("2026-03-10T06:50:00+01:00", "2026-03-10T07:10:00+01:00");
        morning.ends_in_freefloat = true;
        let morning = priced(&rules, paris(), &morning);
        assert_eq!(morning.start_rule, None);
        assert_eq!(
            summary(&morning),
            vec![
                (LineKind::Unlock, None, 0, d("0")),
                (LineKind::Use, None, 10, d("0")),
                (LineKind::Use, Some(0), 10, d("2.50")),
                (LineKind::FreefloatLock, None, 0, d("0")),
            ]
        );
        assert_eq!(morning.total, d("2.50"));
        assert_eq!(morning.total.to_string(), "2.50");

        // No rules at all: everything free, nothing refused.
        let free = priced(
            &[],
            paris(),
            &trip("2026-03-10T06:50:00+01:00", "2026-03-10T07:10:00+01:00"),
        );
        assert_eq!((free.total, free.uncovered_seconds), (d("0"), 1200));
        assert_eq!(free.total.to_string(), "0.00");
    }

    #[test]
    fn spring_forward_in_paris() {
        // Sunday 2026-03-29, 02:00 CET becomes 03:00 CEST (01:00 UTC). 01:50 CET (00:50 UTC)
        // to 07:10 CEST (05:10 UTC) is 4 h 20 of real time; Sunday's day rate starts at 07:00
        // CEST, 05:00 UTC: 250 night minutes, 10 day minutes (no included time: the trip
        // started at night).
        let rules = day_and_night();
        let price = priced(
            &rules,
            paris(),
            &trip("2026-03-29T01:50:00+01:00", "2026-03-29T07:10:00+02:00"),
        );
        assert_eq!(price.duration_seconds, 260 * 60);
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(night_of(6)), 0, d("1.50")),
                (LineKind::Use, Some(night_of(6)), 250, d("100.00")),
                (LineKind::Use, Some(day_of(0)), 10, d("2.50")),
            ]
        );
        assert_eq!(price.lines[2].from, at("2026-03-29T05:00:00Z"));
        assert_eq!(price.total, d("104.00"));

        // A boundary at 02:30, a local time that does not exist that day, takes effect at the
        // jump: 01:45 CET to 03:15 CEST is 15 minutes before, 15 after.
        let rules = vec![
            rule(
                window(6, "12:00:00", 0, "02:30:00"),
                "0",
                0,
                "0",
                "0.10",
                "0",
            ),
            rule(
                window(0, "02:30:00", 0, "12:00:00"),
                "0",
                0,
                "0",
                "1.00",
                "0",
            ),
        ];
        let price = priced(
            &rules,
            paris(),
            &trip("2026-03-29T01:45:00+01:00", "2026-03-29T03:15:00+02:00"),
        );
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(0), 0, d("0.00")),
                (LineKind::Use, Some(0), 15, d("1.50")),
                (LineKind::Use, Some(1), 15, d("15.00")),
            ]
        );
        assert_eq!(price.lines[2].from, at("2026-03-29T01:00:00Z"));
        assert_eq!(price.total, d("16.50"));
    }

    #[test]
    fn fall_back_in_paris() {
        // Sunday 2026-10-25, 03:00 CEST becomes 02:00 CET (01:00 UTC). 02:30 CEST to 02:30 CET
        // is one real hour: 60 minutes, although the wall clock shows the same time.
        let rules = day_and_night();
        let price = priced(
            &rules,
            paris(),
            &trip("2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"),
        );
        assert_eq!(price.duration_seconds, 3600);
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(night_of(6)), 0, d("1.50")),
                (LineKind::Use, Some(night_of(6)), 60, d("24.00")),
            ]
        );
        assert_eq!(price.total, d("25.50"));

        // A boundary at 02:30 is crossed twice, as the wall clock shows it: 02:00-02:30 CEST
        // rule 0, 02:30-03:00 CEST rule 1, 02:00-02:30 CET rule 0, 02:30-02:45 CET rule 1.
        let rules = vec![
            rule(
                window(6, "12:00:00", 0, "02:30:00"),
                "0",
                0,
                "0",
                "0.10",
                "0",
            ),
            rule(
                window(0, "02:30:00", 0, "12:00:00"),
                "0",
                0,
                "0",
                "1.00",
                "0",
            ),
        ];
        let price = priced(
            &rules,
            paris(),
            &trip("2026-10-25T02:00:00+02:00", "2026-10-25T02:45:00+01:00"),
        );
        assert_eq!(price.duration_seconds, 105 * 60);
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(0), 0, d("0")),
                (LineKind::Use, Some(0), 30, d("3.00")),
                (LineKind::Use, Some(1), 30, d("30.00")),
                (LineKind::Use, Some(0), 30, d("3.00")),
                (LineKind::Use, Some(1), 15, d("15.00")),
            ]
        );
        assert_eq!(price.lines[3].from, at("2026-10-25T01:00:00Z"));
        assert_eq!(price.total, d("51.00"));
        assert_adds_up(&price);
    }

    #[test]
    fn spring_forward_in_new_york() {
        // Sunday 2026-03-08, 02:00 EST becomes 03:00 EDT (07:00 UTC). 01:30 EST (06:30 UTC) to
        // 07:10 EDT (11:10 UTC) is 4 h 40 real; the day rate starts at 07:00 EDT, 11:00 UTC
        // (with a fixed UTC-5 it would be 12:00 UTC and the whole trip night).
        let rules = day_and_night();
        let tz = chrono_tz::America::New_York;
        let price = priced(
            &rules,
            tz,
            &trip("2026-03-08T01:30:00-05:00", "2026-03-08T07:10:00-04:00"),
        );
        assert_eq!(price.duration_seconds, 280 * 60);
        assert_eq!(
            summary(&price),
            vec![
                (LineKind::Unlock, Some(night_of(6)), 0, d("1.50")),
                (LineKind::Use, Some(night_of(6)), 270, d("108.00")),
                (LineKind::Use, Some(day_of(0)), 10, d("2.50")),
            ]
        );
        assert_eq!(price.lines[2].from, at("2026-03-08T11:00:00Z"));
        assert_eq!(price.total, d("112.00"));
    }

    #[test]
    fn rounding_to_two_minor_units_half_away_from_zero() {
        // 0.125 per minute: 5 minutes = 0.625, rounded to 0.63 (banker's rounding gives 0.62).
        let rules = vec![rule(
            window(0, "00:00:00", 6, "24:00:00"),
            "0.995",
            0,
            "0.005",
            "0.125",
            "0",
        )];
        let mut times = trip("2026-03-10T10:00:00+01:00", "2026-03-10T10:05:00+01:00");
        times.ends_in_freefloat = true;
        let price = price_trip(&rules, paris(), &times, 2).unwrap();
        assert_eq!(price.use_amount.to_string(), "0.63");
        assert_eq!(price.unlock.to_string(), "1.00");
        assert_eq!(price.freefloat_lock.to_string(), "0.01");
        assert_eq!(price.total.to_string(), "1.64");
        // Unit prices stay exact.
        assert_eq!(price.lines[1].unit_price, d("0.125"));
        assert_adds_up(&price);
    }

    #[test]
    fn rounding_to_zero_minor_units_for_yen() {
        // JPY: 100 to unlock, 15.5 per minute; 3 minutes = 46.5, rounded to 47.
        let rules = vec![rule(
            window(0, "00:00:00", 6, "24:00:00"),
            "100",
            60,
            "50",
            "15.5",
            "4.5",
        )];
        let tz = chrono_tz::Asia::Tokyo;
        let mut times = trip("2026-03-10T10:00:00+09:00", "2026-03-10T10:05:00+09:00");
        times.on_hold = vec![Period {
            start: at("2026-03-10T10:04:00+09:00"),
            end: at("2026-03-10T10:05:00+09:00"),
        }];
        let price = price_trip(&rules, tz, &times, 0).unwrap();
        // 4 min riding, 1 included: 3 billed; 1 min on hold = 4.5, rounded to 5.
        assert_eq!(price.use_amount.to_string(), "47");
        assert_eq!(price.on_hold_amount.to_string(), "5");
        assert_eq!(price.total.to_string(), "152");
        assert_adds_up(&price);
    }

    #[test]
    fn zero_length_and_inverted_trips() {
        let rules = day_and_night();
        let mut instant = trip("2026-03-10T10:00:00+01:00", "2026-03-10T10:00:00+01:00");
        instant.ends_in_freefloat = true;
        let price = priced(&rules, paris(), &instant);
        assert_eq!(price.total, d("3.00"));
        assert_eq!(price.lines.len(), 2);
        assert_eq!(
            price_trip(
                &rules,
                paris(),
                &trip("2026-03-10T10:00:00+01:00", "2026-03-10T09:59:59+01:00"),
                2
            ),
            Err(PricingError::TripEndsBeforeStart)
        );
    }

    #[test]
    fn long_trip_over_a_week_bills_every_minute_once() {
        // Eight days with a whole-week flat rule: 11 520 minutes, across a DST change.
        let rules = vec![rule(
            window(0, "00:00:00", 6, "24:00:00"),
            "1",
            0,
            "0",
            "0.01",
            "0",
        )];
        let price = priced(
            &rules,
            paris(),
            &trip("2026-03-25T12:00:00+01:00", "2026-04-02T12:00:00+02:00"),
        );
        assert_eq!(price.use_minutes, 8 * 24 * 60 - 60);
        assert_eq!(price.lines.len(), 2);
        assert_eq!(
            price.total,
            d("1") + d("0.01") * Decimal::from(8 * 24 * 60 - 60)
        );
    }
}
