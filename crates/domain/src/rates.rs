//! Currency conversion at the European Central Bank's euro foreign exchange reference rates.
//!
//! # What this module owns
//!
//! - **Reading the ECB's files.** [`RateTable::parse`] reads the ECB's XML in any of its three
//!   published forms, which share one structure: the daily file `eurofxref-daily.xml` (one
//!   day), `eurofxref-hist-90d.xml` (about the last 90 days) and `eurofxref-hist.xml` (every
//!   day since 1999), newest day first. A rate is how many units of the currency one euro buys
//!   (`USD 1.1600`: 1 EUR = 1.16 USD); the euro itself is implicit at 1.
//! - **Converting.** [`RateTable::convert`] turns an amount of one currency into another at the
//!   rates of one day, and says which day and rate it used ([`Conversion`]).
//! - **The shipped snapshot.** [`RateTable::shipped`] is a table compiled into the binary, so
//!   that conversion works offline and on first start.
//!
//! It does no I/O: fetching a fresh file (by default [`ECB_DAILY_URL`]) is the server's job,
//! which hands the text to [`RateTable::parse`] and [`RateTable::merge`]s the result over the
//! shipped table. (No server code fetches it yet: only this domain module exists so far.)
//!
//! # Choices
//!
//! - **XML crate: `roxmltree`.** The files are small (the full history is a few MB) and only
//!   read, so a read-only tree is the simplest correct reader. `roxmltree` matches elements by
//!   *expanded* name (namespace URI + local name), so the ECB's default namespace is checked
//!   without depending on prefixes; it refuses DTDs by default (no entity expansion from a
//!   hostile download), forbids `unsafe`, depends only on `memchr` (already in the workspace),
//!   and keeps positions, so every error names its line. `quick-xml` is a streaming reader: it
//!   would make this code track nesting and namespace scopes by hand for no gain at these
//!   sizes.
//! - **Exact rates.** A rate is read from its attribute text with
//!   [`Decimal::from_str_exact`] after a strict check (digits, an optional fraction), never
//!   through `f64`, and keeps the scale the ECB printed (`1.1600` stays `1.1600`).
//! - **Which day.** The ECB publishes on TARGET working days only (no weekends, 1 January,
//!   Good Friday, Easter Monday, 1 May, 25 and 26 December). A conversion on date `on` uses the
//!   latest published day on or before `on`, so a Saturday or a holiday uses the previous
//!   working day. A date after the table's last day uses the last day: callers that care about
//!   staleness compare [`Conversion::rate_date`] with the date asked.
//! - **No older day for a missing currency.** A currency absent from the day used is
//!   [`RateError::Unpublished`], even if older days list it: the ECB drops a currency when it
//!   stops existing (HRK in 2023, BGN in 2026) or suspends it (RUB since 2022), and an old rate
//!   would be wrong, not stale.
//! - **Cross rates through the euro.** `from` to `to` is `amount / rate(from) * rate(to)`,
//!   computed as `amount * rate(to) / rate(from)` in `Decimal` (the same value, with a single
//!   division and so a single rounding at `Decimal`'s 28 digits).
//! - **Rounding: half away from zero, to the target currency's ISO 4217 minor units** (2 when
//!   the currency has none, "N.A."), written with exactly that many decimals (`11.60 USD`,
//!   `1805 JPY`). This is the rule of Council Regulation (EC) No 1103/97, article 5, for euro
//!   conversions (a sum exactly half-way is rounded up), what a person checking an amount by
//!   hand expects, symmetric for refunds (-1.165 gives -1.17), and the rule
//!   [`crate::pricing`] already uses for trip prices. Banker's rounding (half to even) avoids a
//!   bias when many rounded values are summed; a converted amount is shown or charged on its
//!   own, so that advantage does not apply.
//! - **The rate is not rounded.** [`Conversion::rate`] is the published rate itself when one
//!   side is the euro, and otherwise the `Decimal` quotient `rate(to) / rate(from)` (exact when
//!   it terminates within 28 significant digits, rounded there otherwise).
//! - **Currencies.** `from` and `to` must be codes of [`crate::reference::currencies`] (the
//!   codes the API accepts, exact and uppercase), else [`RateError::UnknownCurrency`]. The same
//!   currency on both sides converts at rate 1 without looking at the table.
//! - **Merging.** [`RateTable::merge`] adds the other table's days and, on a day both have,
//!   takes the other table's day whole: the freshly fetched file is the authority for the days
//!   it lists.
//!
//! # The shipped snapshot is a stand-in
//!
//! `rates/eurofxref-hist-90d.xml` has the ECB's exact format and covers the TARGET working
//! days from 2026-09-02 to 2026-11-30 for the 29 currencies the ECB publishes (its usual list
//! without BGN, which the euro replaced on 1 January 2026), with the ECB's number of decimals
//! for each. **Its figures are not the ECB's published rates**: the machine that built this
//! module had no internet, so `scripts/ecb-snapshot.py` generated them (a seeded random walk
//! ending at plausible late-2025 levels: USD 1.16, GBP 0.8805, CHF 0.9315, JPY 180.25). The
//! server is meant to refresh from the configured source (default [`ECB_DAILY_URL`]) whenever
//! it can and merge the real figures over these; replace the file with the ECB's own
//! `eurofxref-hist-90d.xml` when building with network access.

use crate::reference::{self, CurrencyCode};
use chrono::NaiveDate;
use roxmltree::{Document, Node};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use thiserror::Error;

/// The ECB's daily reference-rate file, the default source the server refreshes from.
pub const ECB_DAILY_URL: &str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml";

/// Namespace of the `gesmes:` envelope elements.
const GESMES_NS: &str = "http://www.gesmes.org/xml/2002-08-01";

/// Namespace of the `Cube` elements (the files' default namespace).
const EUROFXREF_NS: &str = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref";

/// The euro: the base of every rate, implicit at 1.
const EUR: &str = "EUR";

/// The stand-in snapshot compiled into the binary (see the module documentation).
const SNAPSHOT: &str = include_str!("rates/eurofxref-hist-90d.xml");

static SHIPPED: LazyLock<RateTable> =
    LazyLock::new(|| RateTable::parse(SNAPSHOT).expect("the shipped ECB snapshot parses (tested)"));

/// Why an ECB reference-rate file is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// The text is not well-formed XML (or has a DTD, which is refused).
    #[error("unreadable XML: {0}")]
    Xml(String),
    /// Well-formed XML, but not the ECB's structure (envelope, outer `Cube`, day and rate cubes).
    #[error("line {line}: not an ECB reference-rate file: {message}")]
    Structure {
        /// Line of the offending node (1-based).
        line: u32,
        /// What was expected and what was found.
        message: String,
    },
    /// The outer `Cube` holds no `<Cube time="...">` day.
    #[error("no <Cube time=\"YYYY-MM-DD\"> day in the file")]
    NoDays,
    /// A day's `time` is not a date written `YYYY-MM-DD`.
    #[error("line {line}: bad date {value:?} in <Cube time>: expected a date written YYYY-MM-DD")]
    BadDate {
        /// Line of the day's `Cube` (1-based).
        line: u32,
        /// The `time` attribute as written.
        value: String,
    },
    /// The same date appears in two day cubes.
    #[error("line {line}: the day {date} appears twice")]
    DuplicateDay {
        /// Line of the second occurrence (1-based).
        line: u32,
        /// The repeated date.
        date: NaiveDate,
    },
    /// A day lists no currency.
    #[error("line {line}: the day {date} lists no currency")]
    EmptyDay {
        /// Line of the day's `Cube` (1-based).
        line: u32,
        /// The empty day.
        date: NaiveDate,
    },
    /// A currency code that is not three uppercase letters, or is `EUR` (implicit at 1).
    #[error(
        "line {line}: bad currency code {value:?} on {date}: expected three uppercase letters, other than EUR"
    )]
    BadCurrency {
        /// Line of the rate's `Cube` (1-based).
        line: u32,
        /// The day it belongs to.
        date: NaiveDate,
        /// The `currency` attribute as written.
        value: String,
    },
    /// The same currency appears twice in one day.
    #[error("line {line}: {currency} appears twice on {date}")]
    DuplicateCurrency {
        /// Line of the second occurrence (1-based).
        line: u32,
        /// The day.
        date: NaiveDate,
        /// The repeated code.
        currency: String,
    },
    /// A rate that is not a plain decimal number (`1.0512`).
    #[error(
        "line {line}: bad rate {value:?} for {currency} on {date}: expected a decimal number such as 1.0512"
    )]
    BadRate {
        /// Line of the rate's `Cube` (1-based).
        line: u32,
        /// The day.
        date: NaiveDate,
        /// The currency.
        currency: String,
        /// The `rate` attribute as written.
        value: String,
    },
    /// A rate of zero or less.
    #[error("line {line}: rate {value} for {currency} on {date} is not positive")]
    NonPositiveRate {
        /// Line of the rate's `Cube` (1-based).
        line: u32,
        /// The day.
        date: NaiveDate,
        /// The currency.
        currency: String,
        /// The rate as parsed.
        value: Decimal,
    },
}

/// Why a conversion cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RateError {
    /// A code outside the currencies the API accepts (exact, uppercase: `USD`, not `usd`).
    #[error(
        "unknown currency {currency:?}: expected an ISO 4217 code the API accepts, in uppercase"
    )]
    UnknownCurrency {
        /// The code as given.
        currency: String,
    },
    /// A currency the ECB does not publish a reference rate for (on the day used).
    #[error("the ECB publishes no euro reference rate for {currency}")]
    Unpublished {
        /// The currency.
        currency: String,
    },
    /// The table has no published day on or before the date asked.
    #[error("no ECB reference rate was published on or before {date} (in this rate table)")]
    NoRateBefore {
        /// The date asked.
        date: NaiveDate,
    },
    /// The converted amount does not fit in a `Decimal`.
    #[error("{amount} {from} converted to {to} does not fit in a decimal")]
    Overflow {
        /// The amount given.
        amount: Decimal,
        /// The source currency.
        from: CurrencyCode,
        /// The target currency.
        to: CurrencyCode,
    },
}

/// The result of a conversion: the amount, and the rate and day it was computed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// The converted amount, rounded half away from zero to `to`'s minor units (2 if none).
    pub amount: Decimal,
    /// Units of `to` for one unit of `from`, unrounded (1 for the same currency).
    pub rate: Decimal,
    /// The ECB day whose rates were used (the date asked for the same currency).
    pub rate_date: NaiveDate,
    /// The source currency.
    pub from: CurrencyCode,
    /// The target currency.
    pub to: CurrencyCode,
}

/// Euro reference rates by day: for each published day, units of each currency per euro.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateTable {
    days: BTreeMap<NaiveDate, BTreeMap<String, Decimal>>,
}

impl RateTable {
    /// Reads an ECB reference-rate file (daily, 90-day or full history).
    pub fn parse(xml: &str) -> Result<Self, ParseError> {
        let doc = Document::parse(xml).map_err(|e| ParseError::Xml(e.to_string()))?;
        let envelope = doc.root_element();
        if !envelope.has_tag_name((GESMES_NS, "Envelope")) {
            return Err(structure(
                envelope,
                format!(
                    "the root element is {}, expected gesmes:Envelope of {GESMES_NS}",
                    describe(envelope)
                ),
            ));
        }
        let mut outer = None;
        for child in elements(envelope)? {
            if child.has_tag_name((EUROFXREF_NS, "Cube")) {
                if outer.is_some() {
                    return Err(structure(child, "a second <Cube> in the envelope".into()));
                }
                outer = Some(child);
            } else if child.tag_name().namespace() != Some(GESMES_NS) {
                // gesmes:subject and gesmes:Sender are the header: present, not read.
                return Err(unexpected(child, "in the envelope"));
            }
        }
        let Some(outer) = outer else {
            return Err(structure(
                envelope,
                format!("the envelope has no <Cube> of {EUROFXREF_NS}"),
            ));
        };

        let mut days = BTreeMap::new();
        for day in elements(outer)? {
            if !day.has_tag_name((EUROFXREF_NS, "Cube")) {
                return Err(unexpected(day, "in the outer <Cube>"));
            }
            let Some(time) = day.attribute("time") else {
                return Err(structure(
                    day,
                    "a <Cube> in the outer <Cube> has no time attribute".into(),
                ));
            };
            let date = parse_date(time).ok_or_else(|| ParseError::BadDate {
                line: line(day),
                value: time.to_owned(),
            })?;
            let rates = parse_day(day, date)?;
            if rates.is_empty() {
                return Err(ParseError::EmptyDay {
                    line: line(day),
                    date,
                });
            }
            if days.insert(date, rates).is_some() {
                return Err(ParseError::DuplicateDay {
                    line: line(day),
                    date,
                });
            }
        }
        if days.is_empty() {
            return Err(ParseError::NoDays);
        }
        Ok(RateTable { days })
    }

    /// The table compiled into the binary: a stand-in snapshot up to 2026-11-30, parsed once.
    pub fn shipped() -> &'static RateTable {
        &SHIPPED
    }

    /// Converts `amount` of `from` into `to` at the rates of the latest day on or before `on`.
    pub fn convert(
        &self,
        amount: Decimal,
        from: &str,
        to: &str,
        on: NaiveDate,
    ) -> Result<Conversion, RateError> {
        let from = known(from)?;
        let to = known(to)?;
        if from == to {
            return Ok(Conversion {
                amount: round_to_minor_units(amount, to),
                rate: Decimal::ONE,
                rate_date: on,
                from,
                to,
            });
        }
        let (rate_date, rates) = self.day_on_or_before(on)?;
        let from_rate = euro_leg(rates, from)?;
        let to_rate = euro_leg(rates, to)?;
        let overflow = || RateError::Overflow { amount, from, to };
        let rate = if from.code() == EUR {
            to_rate
        } else {
            to_rate.checked_div(from_rate).ok_or_else(overflow)?
        };
        let converted = amount
            .checked_mul(to_rate)
            .and_then(|product| product.checked_div(from_rate))
            .ok_or_else(overflow)?;
        Ok(Conversion {
            amount: round_to_minor_units(converted, to),
            rate,
            rate_date,
            from,
            to,
        })
    }

    /// Units of `currency` per euro on the latest day on or before `on`, with that day.
    pub fn euro_rate(
        &self,
        currency: &str,
        on: NaiveDate,
    ) -> Result<(NaiveDate, Decimal), RateError> {
        let code = known(currency)?;
        let (date, rates) = self.day_on_or_before(on)?;
        Ok((date, euro_leg(rates, code)?))
    }

    /// Adds `other`'s days; on a day both tables have, `other`'s day replaces this one whole.
    pub fn merge(&mut self, other: RateTable) {
        self.days.extend(other.days);
    }

    /// The rates published on `date` exactly (code to units per euro), if it is in the table.
    pub fn day(&self, date: NaiveDate) -> Option<&BTreeMap<String, Decimal>> {
        self.days.get(&date)
    }

    /// The published days, oldest first.
    pub fn dates(&self) -> impl DoubleEndedIterator<Item = NaiveDate> + '_ {
        self.days.keys().copied()
    }

    /// The oldest day in the table.
    pub fn first_day(&self) -> Option<NaiveDate> {
        self.days.keys().next().copied()
    }

    /// The newest day in the table.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.days.keys().next_back().copied()
    }

    /// The number of published days in the table.
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// Whether the table has no day (only same-currency conversions succeed).
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    fn day_on_or_before(
        &self,
        on: NaiveDate,
    ) -> Result<(NaiveDate, &BTreeMap<String, Decimal>), RateError> {
        self.days
            .range(..=on)
            .next_back()
            .map(|(date, rates)| (*date, rates))
            .ok_or(RateError::NoRateBefore { date: on })
    }
}

/// The code as a currency the API accepts, or `UnknownCurrency`.
fn known(code: &str) -> Result<CurrencyCode, RateError> {
    code.parse().map_err(|_| RateError::UnknownCurrency {
        currency: code.to_owned(),
    })
}

/// Units of `code` per euro among a day's rates (1 for the euro).
fn euro_leg(rates: &BTreeMap<String, Decimal>, code: CurrencyCode) -> Result<Decimal, RateError> {
    if code.code() == EUR {
        return Ok(Decimal::ONE);
    }
    rates
        .get(code.code())
        .copied()
        .ok_or_else(|| RateError::Unpublished {
            currency: code.code().to_owned(),
        })
}

/// `amount` rounded half away from zero to the minor units of `currency` (2 if it has none),
/// with exactly that many decimals, and no negative zero.
fn round_to_minor_units(amount: Decimal, currency: CurrencyCode) -> Decimal {
    let places = u32::from(reference::minor_units(currency.code()).unwrap_or(2));
    let mut rounded = amount.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(places);
    if rounded.is_zero() {
        rounded.set_sign_positive(true);
    }
    rounded
}

/// The rate cubes of one day.
fn parse_day(day: Node, date: NaiveDate) -> Result<BTreeMap<String, Decimal>, ParseError> {
    let mut rates = BTreeMap::new();
    for cube in elements(day)? {
        if !cube.has_tag_name((EUROFXREF_NS, "Cube")) {
            return Err(unexpected(cube, "in a day's <Cube>"));
        }
        let line = line(cube);
        let Some(code) = cube.attribute("currency") else {
            return Err(structure(
                cube,
                format!("a <Cube> in the day {date} has no currency attribute"),
            ));
        };
        if !(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())) || code == EUR {
            return Err(ParseError::BadCurrency {
                line,
                date,
                value: code.to_owned(),
            });
        }
        let Some(text) = cube.attribute("rate") else {
            return Err(structure(
                cube,
                format!("the <Cube> of {code} on {date} has no rate attribute"),
            ));
        };
        let rate = parse_rate(text).ok_or_else(|| ParseError::BadRate {
            line,
            date,
            currency: code.to_owned(),
            value: text.to_owned(),
        })?;
        if rate <= Decimal::ZERO {
            return Err(ParseError::NonPositiveRate {
                line,
                date,
                currency: code.to_owned(),
                value: rate,
            });
        }
        if rates.insert(code.to_owned(), rate).is_some() {
            return Err(ParseError::DuplicateCurrency {
                line,
                date,
                currency: code.to_owned(),
            });
        }
    }
    Ok(rates)
}

/// A date written exactly `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A rate written as digits with an optional fraction (and an optional minus sign, so that a
/// negative rate is reported as not positive rather than as unreadable), read exactly.
fn parse_rate(text: &str) -> Option<Decimal> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

/// The element children of `node`; text other than whitespace is refused, comments skipped.
fn elements<'a, 'input>(node: Node<'a, 'input>) -> Result<Vec<Node<'a, 'input>>, ParseError> {
    let mut found = Vec::new();
    for child in node.children() {
        if child.is_element() {
            found.push(child);
        } else if child.is_text() && child.text().is_some_and(|t| !t.trim().is_empty()) {
            return Err(structure(
                child,
                format!("unexpected text in {}", describe(node)),
            ));
        }
    }
    Ok(found)
}

/// The 1-based line where `node` starts.
fn line(node: Node) -> u32 {
    node.document().text_pos_at(node.range().start).row
}

/// A structure error at `node`.
fn structure(node: Node, message: String) -> ParseError {
    ParseError::Structure {
        line: line(node),
        message,
    }
}

/// An unexpected element at `node`, found `place`.
fn unexpected(node: Node, place: &str) -> ParseError {
    structure(
        node,
        format!("unexpected element {} {place}", describe(node)),
    )
}

/// An element's name as `<name>` with its namespace, for messages.
fn describe(node: Node) -> String {
    let name = node.tag_name();
    match name.namespace() {
        Some(ns) => format!("<{}> of {ns}", name.name()),
        None => format!("<{}> (no namespace)", name.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// An ECB file (same layout as the ECB's) with the given days, newest first.
    fn file(days: &[(&str, &[(&str, &str)])]) -> String {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" \
             xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n\
             \t<gesmes:subject>Reference rates</gesmes:subject>\n\
             \t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n\
             \t</gesmes:Sender>\n\t<Cube>\n",
        );
        for (time, rates) in days {
            xml.push_str(&format!("\t\t<Cube time=\"{time}\">\n"));
            for (code, rate) in *rates {
                xml.push_str(&format!(
                    "\t\t\t<Cube currency=\"{code}\" rate=\"{rate}\"/>\n"
                ));
            }
            xml.push_str("\t\t</Cube>\n");
        }
        xml.push_str("\t</Cube>\n</gesmes:Envelope>\n");
        xml
    }

    fn table(days: &[(&str, &[(&str, &str)])]) -> RateTable {
        RateTable::parse(&file(days)).unwrap()
    }

    /// The ECB's daily file as it is published (layout, header and currency order).
    const DAILY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender>
		<gesmes:name>European Central Bank</gesmes:name>
	</gesmes:Sender>
	<Cube>
		<Cube time='2026-11-30'>
			<Cube currency='USD' rate='1.0512'/>
			<Cube currency='JPY' rate='158.34'/>
			<Cube currency='CZK' rate='25.103'/>
			<Cube currency='GBP' rate='0.83750'/>
			<Cube currency='HUF' rate='410.20'/>
			<Cube currency='CHF' rate='0.9280'/>
			<Cube currency='ISK' rate='145.90'/>
			<Cube currency='IDR' rate='16842.55'/>
		</Cube>
	</Cube>
</gesmes:Envelope>"#;

    #[test]
    fn parses_the_daily_file_exactly() {
        let t = RateTable::parse(DAILY).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t.first_day(), Some(date("2026-11-30")));
        assert_eq!(t.last_day(), Some(date("2026-11-30")));
        let day = t.day(date("2026-11-30")).unwrap();
        assert_eq!(day.len(), 8);
        assert_eq!(day["USD"], d("1.0512"));
        // The printed scale is kept: no float, no normalisation.
        assert_eq!(day["GBP"].to_string(), "0.83750");
        assert_eq!(day["IDR"].to_string(), "16842.55");
        assert!(!day.contains_key("EUR"));
        assert_eq!(
            t.euro_rate("USD", date("2026-11-30")),
            Ok((date("2026-11-30"), d("1.0512")))
        );
        assert_eq!(
            t.euro_rate("EUR", date("2026-12-01")),
            Ok((date("2026-11-30"), Decimal::ONE))
        );
    }

    #[test]
    fn parses_a_multi_day_file_newest_first() {
        let t = table(&[
            ("2026-11-30", &[("USD", "1.1600"), ("GBP", "0.88050")]),
            ("2026-11-27", &[("USD", "1.1624"), ("GBP", "0.88110")]),
            ("2026-11-26", &[("USD", "1.1591")]),
        ]);
        assert_eq!(t.len(), 3);
        assert_eq!(
            t.dates().collect::<Vec<_>>(),
            [date("2026-11-26"), date("2026-11-27"), date("2026-11-30")]
        );
        assert_eq!(t.day(date("2026-11-27")).unwrap()["GBP"], d("0.88110"));
        assert_eq!(t.day(date("2026-11-26")).unwrap().len(), 1);
        assert_eq!(t.day(date("2026-11-28")), None);
    }

    #[test]
    fn weekends_and_target_holidays_use_the_previous_published_day() {
        // Christmas 2025, New Year 2026, Easter 2026 (Good Friday 3 April, Easter Monday 6 April).
        let t = table(&[
            ("2026-04-07", &[("USD", "1.1708")]),
            ("2026-04-02", &[("USD", "1.1707")]),
            ("2026-01-02", &[("USD", "1.1706")]),
            ("2025-12-31", &[("USD", "1.1705")]),
            ("2025-12-29", &[("USD", "1.1703")]),
            ("2025-12-24", &[("USD", "1.1702")]),
            ("2025-12-23", &[("USD", "1.1701")]),
        ]);
        for (asked, used) in [
            ("2025-12-23", "2025-12-23"),
            ("2025-12-24", "2025-12-24"),
            ("2025-12-25", "2025-12-24"), // Christmas Day
            ("2025-12-26", "2025-12-24"), // 26 December
            ("2025-12-27", "2025-12-24"), // Saturday
            ("2025-12-28", "2025-12-24"), // Sunday
            ("2025-12-29", "2025-12-29"),
            ("2026-01-01", "2025-12-31"), // New Year's Day
            ("2026-01-03", "2026-01-02"), // Saturday
            ("2026-04-03", "2026-04-02"), // Good Friday
            ("2026-04-05", "2026-04-02"), // Easter Sunday
            ("2026-04-06", "2026-04-02"), // Easter Monday
            ("2026-04-07", "2026-04-07"),
            ("2027-06-01", "2026-04-07"), // after the last day: the last day (check rate_date)
        ] {
            let c = t
                .convert(d("10.00"), "EUR", "USD", date(asked))
                .unwrap_or_else(|e| panic!("{asked}: {e}"));
            assert_eq!(c.rate_date, date(used), "{asked}");
            assert_eq!(c.rate, t.day(date(used)).unwrap()["USD"], "{asked}");
        }
    }

    #[test]
    fn cross_rate_usd_to_gbp_goes_through_the_euro() {
        // 1 EUR = 1.25 USD = 0.8125 GBP, so 1 USD = 0.8125 / 1.25 = 0.65 GBP exactly.
        let t = table(&[("2026-11-30", &[("USD", "1.2500"), ("GBP", "0.8125")])]);
        let c = t
            .convert(d("100.00"), "USD", "GBP", date("2026-11-30"))
            .unwrap();
        assert_eq!(c.amount, d("65.00"));
        assert_eq!(c.amount.to_string(), "65.00");
        assert_eq!(c.rate, d("0.65"));
        assert_eq!(c.rate_date, date("2026-11-30"));
        assert_eq!((c.from.code(), c.to.code()), ("USD", "GBP"));
        // Back: 65 GBP / 0.8125 * 1.25 = 80 EUR * 1.25 = 100 USD.
        let back = t
            .convert(d("65.00"), "GBP", "USD", date("2026-11-30"))
            .unwrap();
        assert_eq!(back.amount, d("100.00"));
        // 1.25 / 0.8125 = 1.538461538461538461538461538...
        assert_eq!(back.rate.round_dp(20), d("1.53846153846153846154"));

        // Realistic figures: 250 USD at USD 1.1579, GBP 0.87735:
        // 250 / 1.1579 = 215.908... EUR; * 0.87735 = 189.42697987... GBP, so 189.43 GBP.
        let t = table(&[("2026-11-30", &[("USD", "1.1579"), ("GBP", "0.87735")])]);
        let c = t
            .convert(d("250.00"), "USD", "GBP", date("2026-11-30"))
            .unwrap();
        assert_eq!(c.amount.to_string(), "189.43");
        // 0.87735 / 1.1579 = 0.75770791950945677519647637965...
        assert_eq!(c.rate.round_dp(20), d("0.75770791950945677520"));
        // Via the euro leg by leg, both ways round to the same amount.
        let eur = t
            .convert(d("250.00"), "USD", "EUR", date("2026-11-30"))
            .unwrap();
        assert_eq!(eur.amount, d("215.91")); // 250 / 1.1579 = 215.9080...
        assert_eq!(eur.rate, Decimal::ONE / d("1.1579"));
    }

    #[test]
    fn rounds_half_away_from_zero_to_the_target_minor_units() {
        let t = table(&[(
            "2026-11-30",
            &[
                ("USD", "1.1650"),
                ("JPY", "180.45"),
                ("KRW", "1702.35"),
                ("HUF", "385.40"),
            ],
        )]);
        let on = date("2026-11-30");
        let convert = |amount, to| t.convert(d(amount), "EUR", to, on).unwrap().amount;
        // JPY: 0 decimals. 10 EUR = 1804.5 JPY exactly: half away from zero gives 1805
        // (banker's rounding would give 1804).
        assert_eq!(convert("10.00", "JPY").to_string(), "1805");
        assert_eq!(convert("-10.00", "JPY").to_string(), "-1805");
        assert_eq!(convert("0.01", "JPY").to_string(), "2"); // 1.8045
        assert_eq!(convert("1", "KRW").to_string(), "1702"); // 1702.35
        // USD: 2 decimals. 1 EUR = 1.165 USD exactly: 1.17 (banker's: 1.16).
        assert_eq!(convert("1.00", "USD").to_string(), "1.17");
        assert_eq!(convert("-1.00", "USD").to_string(), "-1.17");
        assert_eq!(convert("10", "USD").to_string(), "11.65");
        assert_eq!(convert("2", "HUF").to_string(), "770.80");
        // Written with exactly the minor units, and never as negative zero.
        assert_eq!(convert("0", "USD").to_string(), "0.00");
        assert_eq!(convert("-0.001", "USD").to_string(), "0.00");
        // The rate itself is not rounded.
        assert_eq!(
            t.convert(d("1"), "EUR", "JPY", on).unwrap().rate,
            d("180.45")
        );
        // Into the euro: 1804.5 JPY / 180.45 = 10 EUR; 1 JPY = 0.0055417... EUR.
        assert_eq!(
            t.convert(d("1804.5"), "JPY", "EUR", on).unwrap().amount,
            d("10.00")
        );
        assert_eq!(
            t.convert(d("1"), "JPY", "EUR", on)
                .unwrap()
                .amount
                .to_string(),
            "0.01"
        );
    }

    #[test]
    fn three_decimal_currencies_round_to_three_places() {
        // The ECB publishes no BHD rate; a file of another source that lists one shows that
        // the rounding follows ISO 4217 (3 decimals for BHD): 1 EUR = 0.4365 BHD gives 0.437.
        let t = table(&[("2026-11-30", &[("BHD", "0.4365")])]);
        let c = t
            .convert(d("1.00"), "EUR", "BHD", date("2026-11-30"))
            .unwrap();
        assert_eq!(c.amount.to_string(), "0.437");
        // XAU has no minor units in ISO 4217 ("N.A."): 2 decimals.
        let t = table(&[("2026-11-30", &[("XAU", "0.0003")])]);
        let c = t
            .convert(d("12345"), "EUR", "XAU", date("2026-11-30"))
            .unwrap();
        assert_eq!(c.amount.to_string(), "3.70"); // 3.7035
    }

    #[test]
    fn currencies_the_ecb_does_not_publish_are_named() {
        let t = RateTable::shipped();
        let on = date("2026-11-30");
        let unpublished = |c: &str| RateError::Unpublished {
            currency: c.to_owned(),
        };
        assert_eq!(t.convert(d("1"), "EUR", "BHD", on), Err(unpublished("BHD")));
        assert_eq!(t.convert(d("1"), "XOF", "USD", on), Err(unpublished("XOF")));
        assert_eq!(t.convert(d("1"), "USD", "BGN", on), Err(unpublished("BGN")));
        assert_eq!(t.euro_rate("XOF", on), Err(unpublished("XOF")));
        let message = t.convert(d("1"), "EUR", "BHD", on).unwrap_err().to_string();
        assert!(message.contains("BHD"), "{message}");
        // A currency listed on an older day but not on the day used is unpublished too.
        let t = table(&[
            ("2026-01-02", &[("USD", "1.1700")]),
            ("2025-12-31", &[("USD", "1.1690"), ("BGN", "1.9558")]),
        ]);
        assert!(t.convert(d("1"), "EUR", "BGN", date("2025-12-31")).is_ok());
        assert_eq!(
            t.convert(d("1"), "EUR", "BGN", date("2026-01-05")),
            Err(unpublished("BGN"))
        );
    }

    #[test]
    fn the_same_currency_converts_at_one_without_a_table() {
        let empty = RateTable::default();
        assert!(empty.is_empty());
        let on = date("1990-01-01");
        let c = empty.convert(d("12.345"), "USD", "USD", on).unwrap();
        assert_eq!(c.amount.to_string(), "12.35");
        assert_eq!(c.rate, Decimal::ONE);
        assert_eq!(c.rate_date, on);
        let c = empty.convert(d("100.5"), "JPY", "JPY", on).unwrap();
        assert_eq!(c.amount.to_string(), "101");
        let c = empty.convert(d("7"), "EUR", "EUR", on).unwrap();
        assert_eq!(c.amount.to_string(), "7.00");
        assert_eq!(
            empty.convert(d("7"), "XOF", "XOF", on).unwrap().amount,
            d("7")
        );
    }

    #[test]
    fn unknown_currencies_are_refused() {
        let t = RateTable::shipped();
        let on = date("2026-11-30");
        for code in ["usd", "XYZ", "EURO", "", "US"] {
            let unknown = RateError::UnknownCurrency {
                currency: code.to_owned(),
            };
            assert_eq!(t.convert(d("1"), code, "EUR", on), Err(unknown.clone()));
            assert_eq!(t.convert(d("1"), "EUR", code, on), Err(unknown.clone()));
            assert_eq!(t.convert(d("1"), code, code, on), Err(unknown.clone()));
            assert_eq!(t.euro_rate(code, on), Err(unknown));
        }
        // Checked before the table: an unknown code before the first day is still unknown.
        assert_eq!(
            RateTable::default().convert(d("1"), "usd", "EUR", on),
            Err(RateError::UnknownCurrency {
                currency: "usd".into()
            })
        );
    }

    #[test]
    fn a_date_before_the_first_day_has_no_rate() {
        let t = table(&[("2026-11-30", &[("USD", "1.1600")])]);
        let early = date("2026-11-29");
        assert_eq!(
            t.convert(d("1"), "EUR", "USD", early),
            Err(RateError::NoRateBefore { date: early })
        );
        assert_eq!(
            t.euro_rate("USD", early),
            Err(RateError::NoRateBefore { date: early })
        );
        let message = t
            .convert(d("1"), "EUR", "USD", early)
            .unwrap_err()
            .to_string();
        assert!(message.contains("2026-11-29"), "{message}");
        assert_eq!(
            RateTable::default().convert(d("1"), "EUR", "USD", early),
            Err(RateError::NoRateBefore { date: early })
        );
        let before_snapshot = date("2026-09-01");
        assert_eq!(
            RateTable::shipped().convert(d("1"), "EUR", "USD", before_snapshot),
            Err(RateError::NoRateBefore {
                date: before_snapshot
            })
        );
    }

    #[test]
    fn an_amount_too_large_is_an_error_not_a_panic() {
        let t = table(&[("2026-11-30", &[("IDR", "19385.40")])]);
        let c = t.convert(Decimal::MAX, "EUR", "IDR", date("2026-11-30"));
        assert!(matches!(c, Err(RateError::Overflow { .. })), "{c:?}");
    }

    #[test]
    fn malformed_files_are_refused_with_what_is_wrong() {
        let day = |rates: &str| {
            file(&[]).replace(
                "\t<Cube>\n",
                &format!("\t<Cube>\n\t\t<Cube time=\"2026-11-30\">{rates}</Cube>\n"),
            )
        };
        let usd = |rate: &str| day(&format!("<Cube currency=\"USD\" rate=\"{rate}\"/>"));
        let cases: Vec<(String, &str)> = vec![
            ("not xml at all".into(), "unreadable XML"),
            ("<a><b></a>".into(), "unreadable XML"),
            (
                "<!DOCTYPE x [<!ENTITY e \"e\">]><x>&e;</x>".into(),
                "unreadable XML",
            ),
            ("<rates/>".into(), "root element is <rates>"),
            (
                DAILY.replace(
                    " xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\"",
                    "",
                ),
                "no namespace",
            ),
            (
                DAILY
                    .replace(
                        "\t<Cube>\n\t\t<Cube time='2026-11-30'>",
                        "\t<Cube>\n\t\t<Day time='2026-11-30'>",
                    )
                    .replace("\t\t</Cube>\n\t</Cube>", "\t\t</Day>\n\t</Cube>"),
                "unexpected element <Day>",
            ),
            (
                file(&[]).replace("\t<Cube>\n\t</Cube>\n", ""),
                "the envelope has no <Cube>",
            ),
            (file(&[]), "no <Cube time=\"YYYY-MM-DD\"> day"),
            (
                day("").replace(" time=\"2026-11-30\"", ""),
                "has no time attribute",
            ),
            (
                day("").replace("2026-11-30", "2026-13-01"),
                "bad date \"2026-13-01\"",
            ),
            (
                day("").replace("2026-11-30", "30/11/2026"),
                "bad date \"30/11/2026\"",
            ),
            (
                day("").replace("2026-11-30", "2026-2-1"),
                "bad date \"2026-2-1\"",
            ),
            (day("").replace("2026-11-30", "+2026-11-30"), "bad date"),
            (day(""), "line 8: the day 2026-11-30 lists no currency"),
            (
                usd("1,0512"),
                "line 8: bad rate \"1,0512\" for USD on 2026-11-30",
            ),
            (usd("abc"), "bad rate \"abc\""),
            (usd(""), "bad rate \"\""),
            (usd("1e3"), "bad rate \"1e3\""),
            (usd(" 1.05"), "bad rate \" 1.05\""),
            (usd("1."), "bad rate \"1.\""),
            (usd(".5"), "bad rate \".5\""),
            (usd("N/A"), "bad rate \"N/A\""),
            (usd("99999999999999999999999999999999"), "bad rate"),
            (usd("0"), "rate 0 for USD on 2026-11-30 is not positive"),
            (usd("0.0000"), "is not positive"),
            (
                usd("-1.0512"),
                "rate -1.0512 for USD on 2026-11-30 is not positive",
            ),
            (
                day("<Cube currency=\"USD\"/>"),
                "the <Cube> of USD on 2026-11-30 has no rate",
            ),
            (day("<Cube rate=\"1.05\"/>"), "has no currency attribute"),
            (
                day("<Cube currency=\"usd\" rate=\"1.05\"/>"),
                "bad currency code \"usd\"",
            ),
            (
                day("<Cube currency=\"EUR\" rate=\"1\"/>"),
                "bad currency code \"EUR\"",
            ),
            (
                day("<Cube currency=\"USD\" rate=\"1.05\"/><Cube currency=\"USD\" rate=\"1.06\"/>"),
                "USD appears twice on 2026-11-30",
            ),
            (
                file(&[
                    ("2026-11-30", &[("USD", "1.05")]),
                    ("2026-11-30", &[("USD", "1.06")]),
                ]),
                "the day 2026-11-30 appears twice",
            ),
            (day("1.05"), "unexpected text"),
            (
                file(&[]).replace("\t<Cube>\n\t</Cube>\n", "\t<Cube/>\n\t<Cube/>\n"),
                "a second <Cube>",
            ),
            (
                file(&[])
                    .replace("<gesmes:subject>", "<gesmes:subject><x/>")
                    .replace(
                        "</gesmes:subject>",
                        "</gesmes:subject><other xmlns=\"urn:x\"/>",
                    ),
                "unexpected element <other> of urn:x in the envelope",
            ),
        ];
        for (xml, expected) in cases {
            let error = RateTable::parse(&xml).expect_err(&xml).to_string();
            assert!(
                error.contains(expected),
                "{expected:?} not in {error:?} for\n{xml}"
            );
        }
        assert_eq!(RateTable::parse(&file(&[])), Err(ParseError::NoDays));
        assert!(matches!(
            RateTable::parse(&usd("-1")),
            Err(ParseError::NonPositiveRate { line: 8, .. })
        ));
    }

    #[test]
    fn the_shipped_snapshot_parses_and_covers_up_to_2026_11_30() {
        assert!(SNAPSHOT.contains("STAND-IN SNAPSHOT, NOT THE ECB'S PUBLISHED FIGURES"));
        let t = RateTable::shipped();
        assert_eq!(t.last_day(), Some(date("2026-11-30")));
        assert_eq!(t.first_day(), Some(date("2026-09-02")));
        assert!((60..=66).contains(&t.len()), "{} days", t.len());
        let published = [
            "USD", "JPY", "CZK", "DKK", "GBP", "HUF", "PLN", "RON", "SEK", "CHF", "ISK", "NOK",
            "TRY", "AUD", "BRL", "CAD", "CNY", "HKD", "IDR", "ILS", "INR", "KRW", "MXN", "MYR",
            "NZD", "PHP", "SGD", "THB", "ZAR",
        ];
        for day in t.dates() {
            use chrono::Datelike;
            assert!(
                day.weekday().number_from_monday() <= 5,
                "{day} is a weekend day"
            );
            let rates = t.day(day).unwrap();
            assert_eq!(rates.len(), published.len(), "{day}");
            for code in published {
                assert!(rates[code] > Decimal::ZERO, "{code} on {day}");
                assert!(reference::currency(code).is_some(), "{code}");
            }
        }
        // Every day of the covered range converts, weekends through the Friday before.
        let mut day = date("2026-09-02");
        while day <= date("2026-11-30") {
            let c = t.convert(d("100"), "GBP", "CHF", day).unwrap();
            assert!(c.rate_date <= day && day - c.rate_date <= chrono::Duration::days(3));
            day = day.succ_opt().unwrap();
        }
        let c = t
            .convert(d("100.00"), "EUR", "USD", date("2026-11-30"))
            .unwrap();
        assert_eq!(
            (c.rate.to_string(), c.amount.to_string()),
            ("1.1600".into(), "116.00".into())
        );
        let saturday = t.convert(d("1"), "EUR", "JPY", date("2026-11-28")).unwrap();
        assert_eq!(saturday.rate_date, date("2026-11-27"));
        assert!(std::ptr::eq(t, RateTable::shipped()));
    }

    #[test]
    fn merge_keeps_both_histories_and_the_newer_file_wins_on_a_shared_day() {
        let mut history = RateTable::shipped().clone();
        let days_before = history.len();
        let fresh = table(&[
            ("2026-12-01", &[("USD", "1.1655"), ("GBP", "0.88200")]),
            ("2026-11-30", &[("USD", "1.1611")]),
        ]);
        history.merge(fresh);
        assert_eq!(history.len(), days_before + 1);
        assert_eq!(history.first_day(), Some(date("2026-09-02")));
        assert_eq!(history.last_day(), Some(date("2026-12-01")));
        // The old history is still there.
        assert_eq!(
            history.day(date("2026-11-27")),
            RateTable::shipped().day(date("2026-11-27"))
        );
        // The new day is there.
        let c = history
            .convert(d("10"), "EUR", "GBP", date("2026-12-02"))
            .unwrap();
        assert_eq!((c.rate_date, c.rate), (date("2026-12-01"), d("0.88200")));
        // The shared day is the newer file's, whole: its USD, and no currency it left out.
        let shared = history.day(date("2026-11-30")).unwrap();
        assert_eq!(shared.len(), 1);
        assert_eq!(shared["USD"], d("1.1611"));
        assert_eq!(
            history.convert(d("1"), "EUR", "GBP", date("2026-11-30")),
            Err(RateError::Unpublished {
                currency: "GBP".into()
            })
        );
        // The shipped table itself is untouched.
        assert_eq!(RateTable::shipped().last_day(), Some(date("2026-11-30")));
        assert_eq!(
            RateTable::shipped().day(date("2026-11-30")).unwrap()["USD"],
            d("1.1600")
        );
        // Merging into an empty table gives the other table.
        let mut empty = RateTable::default();
        empty.merge(RateTable::parse(DAILY).unwrap());
        assert_eq!(empty, RateTable::parse(DAILY).unwrap());
    }
}
