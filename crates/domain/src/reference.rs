//! Reference data: countries, currencies and time zones, as the Dashboard API (seed 004)
//! accepts them.
//!
//! - **Countries.** The API's `country_id` ("integer >= 1, the identifier of the country where
//!   the network is situated") is, in relais, the **ISO 3166-1 numeric code** of the country:
//!   France is 250, Uzbekistan 860, the United States 840. These codes are assigned by ISO,
//!   never reused for another country, identical in every deployment and database (no table
//!   sequence to keep in step), and all >= 1 (the smallest is Afghanistan, 4), so they satisfy
//!   the seed's constraint as they are. The table holds the 249 countries of ISO 3166-1 with
//!   their alpha-2 code (which partner APIs send), alpha-3 code and English short name.
//! - **Currencies.** Exactly the 167 codes the seed enumerates for `currency` (`AED` ... `ZWL`),
//!   with their ISO 4217 minor units. The list is the seed's, not today's ISO 4217 list: it
//!   keeps some superseded codes (`HRK`, `VEF`, `ZWL`...) and three codes outside ISO 4217
//!   (`GGP`, `IMP`, `JEP`); [`Currency::status`] tells them apart.
//! - **Time zones.** Exactly the 425 IANA names the seed enumerates for `timezone`
//!   (`Africa/Abidjan` ... `UTC`), each backed by a [`chrono_tz::Tz`].
//!
//! [`CurrencyCode`] and [`TimeZone`] are the serde/OpenAPI types for request bodies: they
//! refuse anything outside the seed's lists with a message naming the value.

mod countries;
mod currencies;
mod time_zones;

use chrono_tz::Tz;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

// ---------------------------------------------------------------------------------------------
// Countries

/// A country of ISO 3166-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Country {
    /// ISO 3166-1 numeric code, which is also relais' `country_id` (France = 250).
    pub id: u16,
    /// ISO 3166-1 alpha-2 code, uppercase (`FR`).
    pub alpha2: &'static str,
    /// ISO 3166-1 alpha-3 code, uppercase (`FRA`).
    pub alpha3: &'static str,
    /// ISO 3166-1 English short name (`France`, `Korea, Republic of`).
    pub name: &'static str,
}

/// Every ISO 3166-1 country (249), sorted by name.
pub fn countries() -> &'static [Country] {
    countries::COUNTRIES
}

/// The country whose ISO 3166-1 numeric code (relais' `country_id`) is `id`.
pub fn country(id: u16) -> Option<&'static Country> {
    countries::COUNTRIES.iter().find(|c| c.id == id)
}

/// The country with the ISO 3166-1 alpha-2 code `code`, case-insensitively (`fr`, `FR`).
pub fn country_by_alpha2(code: &str) -> Option<&'static Country> {
    countries::COUNTRIES
        .iter()
        .find(|c| c.alpha2.eq_ignore_ascii_case(code))
}

/// The country with the ISO 3166-1 alpha-3 code `code`, case-insensitively (`fra`, `FRA`).
pub fn country_by_alpha3(code: &str) -> Option<&'static Country> {
    countries::COUNTRIES
        .iter()
        .find(|c| c.alpha3.eq_ignore_ascii_case(code))
}

// ---------------------------------------------------------------------------------------------
// Currencies

/// Where a currency code of the seed stands with respect to ISO 4217 today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "by", rename_all = "snake_case")]
pub enum CurrencyStatus {
    /// A code of the current ISO 4217 list.
    Active,
    /// A code ISO 4217 has replaced by the given one (`HRK` by `EUR`, `VEF` by `VES`).
    Superseded(&'static str),
    /// Not an ISO 4217 code (`GGP`, `IMP`, `JEP`: local issues of the pound sterling).
    NotIso,
}

/// A currency the Dashboard API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Currency {
    /// Three-letter code, uppercase (`EUR`).
    pub code: &'static str,
    /// English name, as ISO 4217 gives it (`Euro`, `Yen`).
    pub name: &'static str,
    /// ISO 4217 minor units (decimals): 0 for JPY, 2 for EUR, 3 for BHD; `None` where ISO says
    /// "N.A." (XAG, XAU, XDR).
    pub minor_units: Option<u8>,
    /// Whether the code is current ISO 4217, superseded, or outside ISO 4217.
    pub status: CurrencyStatus,
}

/// Every currency the Dashboard API accepts (167), sorted by code.
pub fn currencies() -> &'static [Currency] {
    currencies::CURRENCIES
}

/// The currency with the code `code`, which must be exact (uppercase, as the API spells it).
pub fn currency(code: &str) -> Option<&'static Currency> {
    let table = currencies::CURRENCIES;
    table
        .binary_search_by(|c| c.code.cmp(code))
        .ok()
        .map(|i| &table[i])
}

/// The ISO 4217 minor units of the currency `code`; `None` if unknown or if ISO says "N.A.".
pub fn minor_units(code: &str) -> Option<u8> {
    currency(code).and_then(|c| c.minor_units)
}

/// A currency code outside the Dashboard API's list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown currency `{0}`: expected one of the {count} ISO 4217 codes the API accepts, in uppercase (AED ... ZWL)",
    count = currencies::CURRENCIES.len()
)]
pub struct UnknownCurrency(pub String);

/// A currency code of the Dashboard API's list, for request and response bodies.
///
/// (De)serializes as the code (`"EUR"`); deserializing anything else fails with
/// [`UnknownCurrency`]'s message.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode(&'static str);

impl CurrencyCode {
    /// The code (`EUR`).
    pub fn code(self) -> &'static str {
        self.0
    }

    /// The currency's reference row.
    pub fn currency(self) -> &'static Currency {
        currency(self.0).expect("a CurrencyCode is always in the table")
    }

    /// ISO 4217 minor units (`None` for XAG, XAU, XDR).
    pub fn minor_units(self) -> Option<u8> {
        self.currency().minor_units
    }
}

impl FromStr for CurrencyCode {
    type Err = UnknownCurrency;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        currency(s)
            .map(|c| CurrencyCode(c.code))
            .ok_or_else(|| UnknownCurrency(s.to_owned()))
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.0)
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParseVisitor::<CurrencyCode>::new("a currency code"))
    }
}

impl PartialSchema for CurrencyCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An ISO 4217 currency code, uppercase, among the codes the Dashboard API accepts.",
            ))
            .enum_values(Some(currencies::CURRENCIES.iter().map(|c| c.code)))
            .examples(["EUR"])
            .into()
    }
}

impl ToSchema for CurrencyCode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CurrencyCode")
    }
}

// ---------------------------------------------------------------------------------------------
// Time zones

/// Every IANA time zone name the Dashboard API accepts (425), sorted.
pub fn time_zones() -> &'static [&'static str] {
    time_zones::TIME_ZONES
}

/// A time zone name outside the Dashboard API's list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone `{0}`: expected one of the {count} IANA time zone names the API accepts (Africa/Abidjan ... UTC)",
    count = time_zones::TIME_ZONES.len()
)]
pub struct UnknownTimeZone(pub String);

/// A time zone of the Dashboard API's list, for request and response bodies.
///
/// (De)serializes as the IANA name (`"Europe/Paris"`); deserializing a name outside the list
/// fails with [`UnknownTimeZone`]'s message.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(Tz);

impl TimeZone {
    /// The IANA name (`Europe/Paris`).
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The chrono-tz zone, for local date and time computations.
    pub fn tz(self) -> Tz {
        self.0
    }
}

impl FromStr for TimeZone {
    type Err = UnknownTimeZone;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        time_zones::TIME_ZONES
            .binary_search(&s)
            .ok()
            .and_then(|_| s.parse::<Tz>().ok())
            .map(TimeZone)
            .ok_or_else(|| UnknownTimeZone(s.to_owned()))
    }
}

impl TryFrom<Tz> for TimeZone {
    type Error = UnknownTimeZone;

    /// Accepts the chrono-tz zones whose name is in the Dashboard API's list.
    fn try_from(tz: Tz) -> Result<Self, Self::Error> {
        tz.name().parse()
    }
}

impl From<TimeZone> for Tz {
    fn from(zone: TimeZone) -> Tz {
        zone.0
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZone({})", self.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParseVisitor::<TimeZone>::new("an IANA time zone name"))
    }
}

impl PartialSchema for TimeZone {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An IANA time zone name, among the names the Dashboard API accepts.",
            ))
            .enum_values(Some(time_zones::TIME_ZONES.iter().copied()))
            .examples(["Europe/Paris"])
            .into()
    }
}

impl ToSchema for TimeZone {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TimeZone")
    }
}

// ---------------------------------------------------------------------------------------------
// Shared serde plumbing

/// Deserializes a string through `T::from_str`, reporting its error message as is.
struct ParseVisitor<T> {
    expecting: &'static str,
    target: std::marker::PhantomData<T>,
}

impl<T> ParseVisitor<T> {
    fn new(expecting: &'static str) -> Self {
        ParseVisitor {
            expecting,
            target: std::marker::PhantomData,
        }
    }
}

impl<T> Visitor<'_> for ParseVisitor<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Name order as the table keeps it: accents folded, case ignored.
    fn sort_key(name: &str) -> String {
        name.chars()
            .map(|c| match c {
                'Å' => 'a',
                'ô' => 'o',
                'ç' => 'c',
                'é' => 'e',
                'ü' => 'u',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    }

    #[test]
    fn countries_are_the_249_of_iso_3166_1_sorted_by_name() {
        let all = countries();
        assert_eq!(all.len(), 249);
        for pair in all.windows(2) {
            assert!(
                sort_key(pair[0].name) < sort_key(pair[1].name),
                "{} must sort before {}",
                pair[0].name,
                pair[1].name
            );
        }
        let names: String = all.iter().map(|c| c.name).collect();
        assert!(
            names.chars().all(|c| c.is_ascii() || "Åôçéü".contains(c)),
            "sort_key must fold every non-ASCII letter of the names"
        );
    }

    #[test]
    fn country_ids_and_codes_are_unique_and_well_formed() {
        let all = countries();
        let ids: HashSet<u16> = all.iter().map(|c| c.id).collect();
        let alpha2: HashSet<&str> = all.iter().map(|c| c.alpha2).collect();
        let alpha3: HashSet<&str> = all.iter().map(|c| c.alpha3).collect();
        assert_eq!(ids.len(), 249);
        assert_eq!(alpha2.len(), 249);
        assert_eq!(alpha3.len(), 249);
        for c in all {
            assert!((1..=999).contains(&c.id), "{c:?}");
            assert!(c.alpha2.len() == 2 && c.alpha2.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(c.alpha3.len() == 3 && c.alpha3.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(!c.name.is_empty() && c.name.trim() == c.name);
            assert_eq!(country(c.id), Some(c));
            assert_eq!(country_by_alpha2(c.alpha2), Some(c));
            assert_eq!(country_by_alpha3(c.alpha3), Some(c));
        }
    }

    #[test]
    fn country_spot_checks() {
        let expect = |id: u16, alpha2: &str, alpha3: &str, name: &str| {
            let c = country(id).unwrap_or_else(|| panic!("country {id}"));
            assert_eq!((c.alpha2, c.alpha3, c.name), (alpha2, alpha3, name));
        };
        expect(250, "FR", "FRA", "France");
        expect(860, "UZ", "UZB", "Uzbekistan");
        expect(840, "US", "USA", "United States of America");
        expect(
            826,
            "GB",
            "GBR",
            "United Kingdom of Great Britain and Northern Ireland",
        );
        expect(276, "DE", "DEU", "Germany");
        expect(4, "AF", "AFG", "Afghanistan");
        expect(248, "AX", "ALA", "Åland Islands");
        expect(384, "CI", "CIV", "Côte d'Ivoire");
        expect(531, "CW", "CUW", "Curaçao");
        expect(535, "BQ", "BES", "Bonaire, Sint Eustatius and Saba");
        expect(728, "SS", "SSD", "South Sudan");
        expect(729, "SD", "SDN", "Sudan");
        expect(688, "RS", "SRB", "Serbia");
        expect(499, "ME", "MNE", "Montenegro");
        expect(807, "MK", "MKD", "North Macedonia");
        expect(748, "SZ", "SWZ", "Eswatini");
        expect(792, "TR", "TUR", "Türkiye");
        expect(626, "TL", "TLS", "Timor-Leste");
        expect(831, "GG", "GGY", "Guernsey");
        expect(894, "ZM", "ZMB", "Zambia");
        expect(716, "ZW", "ZWE", "Zimbabwe");
        assert_eq!(countries()[0].name, "Afghanistan");
        assert_eq!(countries()[248].name, "Zimbabwe");
    }

    #[test]
    fn country_lookups_refuse_unknown_values() {
        assert_eq!(country(0), None);
        assert_eq!(country(1), None);
        assert_eq!(country(999), None);
        assert_eq!(country_by_alpha2("XK"), None); // Kosovo: user-assigned, not ISO 3166-1
        assert_eq!(country_by_alpha2("F"), None);
        assert_eq!(country_by_alpha2("FRA"), None);
        assert_eq!(country_by_alpha2(""), None);
        assert_eq!(country_by_alpha3("FR"), None);
    }

    #[test]
    fn country_by_alpha2_ignores_case() {
        for code in ["fr", "FR", "Fr", "fR"] {
            assert_eq!(country_by_alpha2(code).map(|c| c.id), Some(250));
        }
        assert_eq!(country_by_alpha2("uz").map(|c| c.id), Some(860));
        assert_eq!(country_by_alpha3("usa").map(|c| c.id), Some(840));
    }

    #[test]
    fn currencies_are_the_seeds_167_sorted_and_unique() {
        let all = currencies();
        assert_eq!(all.len(), 167);
        assert_eq!(all[0].code, "AED");
        assert_eq!(all[166].code, "ZWL");
        for pair in all.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} then {}",
                pair[0].code,
                pair[1].code
            );
        }
        for c in all {
            assert!(c.code.len() == 3 && c.code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(!c.name.is_empty());
            assert_eq!(currency(c.code), Some(c));
            if let CurrencyStatus::Superseded(by) = c.status {
                assert!(by.len() == 3 && by != c.code);
            }
        }
    }

    #[test]
    fn currency_minor_units() {
        for (code, units) in [
            ("JPY", Some(0)),
            ("EUR", Some(2)),
            ("USD", Some(2)),
            ("UZS", Some(2)),
            ("BHD", Some(3)),
            ("KWD", Some(3)),
            ("TND", Some(3)),
            ("CLF", Some(4)),
            ("CLP", Some(0)),
            ("KRW", Some(0)),
            ("XOF", Some(0)),
            ("XPF", Some(0)),
            ("VND", Some(0)),
            ("ISK", Some(0)),
            ("BYR", Some(0)),
            ("XAU", None),
            ("XAG", None),
            ("XDR", None),
        ] {
            assert_eq!(currency(code).map(|c| c.minor_units), Some(units), "{code}");
            assert_eq!(minor_units(code), units, "{code}");
        }
        assert_eq!(minor_units("EURO"), None);
        let code: CurrencyCode = "BHD".parse().unwrap();
        assert_eq!(code.minor_units(), Some(3));
        assert_eq!(code.currency().name, "Bahraini Dinar");
    }

    #[test]
    fn currency_statuses() {
        assert_eq!(currency("EUR").unwrap().status, CurrencyStatus::Active);
        assert_eq!(
            currency("HRK").unwrap().status,
            CurrencyStatus::Superseded("EUR")
        );
        assert_eq!(
            currency("VEF").unwrap().status,
            CurrencyStatus::Superseded("VES")
        );
        let not_iso: Vec<&str> = currencies()
            .iter()
            .filter(|c| c.status == CurrencyStatus::NotIso)
            .map(|c| c.code)
            .collect();
        assert_eq!(not_iso, ["GGP", "IMP", "JEP"]);
    }

    #[test]
    fn currency_lookup_is_exact() {
        assert!(currency("EUR").is_some());
        assert_eq!(currency("eur"), None);
        assert_eq!(currency("EURO"), None);
        assert_eq!(currency("XXX"), None);
        assert_eq!(currency(""), None);
        assert_eq!(currency("VES"), None); // not in the seed's list
    }

    #[test]
    fn currency_code_serde_round_trip() {
        let code: CurrencyCode = serde_json::from_str("\"EUR\"").unwrap();
        assert_eq!(code.code(), "EUR");
        assert_eq!(code.to_string(), "EUR");
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"EUR\"");
        for c in currencies() {
            let json = serde_json::to_string(&c.code).unwrap();
            let code: CurrencyCode = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&code).unwrap(), json);
            assert_eq!(code.currency(), c);
        }
        // Escaped strings go through the same path.
        let code: CurrencyCode = serde_json::from_str("\"\\u0045UR\"").unwrap();
        assert_eq!(code.code(), "EUR");
    }

    #[test]
    fn currency_code_refuses_unknown_codes() {
        for bad in ["EURO", "XXX", "eur", "", "VES"] {
            let err = serde_json::from_str::<CurrencyCode>(&format!("\"{bad}\"")).unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains(&format!("unknown currency `{bad}`")),
                "{message}"
            );
            assert!(message.contains("167 ISO 4217 codes"), "{message}");
            assert_eq!(
                bad.parse::<CurrencyCode>(),
                Err(UnknownCurrency(bad.to_owned()))
            );
        }
        let err = serde_json::from_str::<CurrencyCode>("978").unwrap_err();
        assert!(
            err.to_string().contains("expected a currency code"),
            "{err}"
        );
        assert_eq!(
            UnknownCurrency("EURO".into()).to_string(),
            "unknown currency `EURO`: expected one of the 167 ISO 4217 codes the API accepts, \
             in uppercase (AED ... ZWL)"
        );
    }

    #[test]
    fn time_zones_are_the_seeds_425_sorted_and_unique() {
        let all = time_zones();
        assert_eq!(all.len(), 425);
        assert_eq!(all[0], "Africa/Abidjan");
        assert_eq!(all[424], "UTC");
        for pair in all.windows(2) {
            assert!(pair[0] < pair[1], "{} then {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn every_time_zone_parses_with_chrono_tz() {
        let missing: Vec<&str> = time_zones()
            .iter()
            .copied()
            .filter(|name| name.parse::<Tz>().is_err())
            .collect();
        assert!(missing.is_empty(), "missing from chrono-tz: {missing:?}");
        for &name in time_zones() {
            let zone: TimeZone = name.parse().unwrap();
            assert_eq!(zone.name(), name, "chrono-tz must keep the seed's name");
            assert_eq!(zone.tz().name(), name);
        }
    }

    #[test]
    fn time_zone_serde_round_trip() {
        let zone: TimeZone = serde_json::from_str("\"Europe/Paris\"").unwrap();
        assert_eq!(zone.tz(), chrono_tz::Europe::Paris);
        assert_eq!(Tz::from(zone), chrono_tz::Europe::Paris);
        assert_eq!(zone.to_string(), "Europe/Paris");
        assert_eq!(serde_json::to_string(&zone).unwrap(), "\"Europe/Paris\"");
        for &name in time_zones() {
            let json = serde_json::to_string(name).unwrap();
            let zone: TimeZone = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&zone).unwrap(), json);
        }
        assert_eq!(
            TimeZone::try_from(chrono_tz::Asia::Tashkent).map(TimeZone::name),
            Ok("Asia/Tashkent")
        );
    }

    #[test]
    fn time_zone_refuses_names_outside_the_list() {
        // Not IANA at all, wrong case, and real IANA names the seed does not list.
        for bad in [
            "Mars/Olympus",
            "europe/paris",
            "",
            "Etc/UTC",
            "US/Eastern",
            "Europe/Kyiv",
        ] {
            let err = serde_json::from_str::<TimeZone>(&format!("\"{bad}\"")).unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains(&format!("unknown time zone `{bad}`")),
                "{message}"
            );
            assert!(message.contains("425 IANA time zone names"), "{message}");
        }
        assert_eq!(
            TimeZone::try_from(chrono_tz::Etc::UTC),
            Err(UnknownTimeZone("Etc/UTC".into()))
        );
        let err = serde_json::from_str::<TimeZone>("1").unwrap_err();
        assert!(
            err.to_string().contains("expected an IANA time zone name"),
            "{err}"
        );
    }

    #[test]
    fn schemas_list_the_allowed_values() {
        let schema = serde_json::to_value(CurrencyCode::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        let values = schema["enum"].as_array().unwrap();
        assert_eq!(values.len(), 167);
        assert_eq!(values[0], "AED");
        assert_eq!(<CurrencyCode as ToSchema>::name(), "CurrencyCode");

        let schema = serde_json::to_value(TimeZone::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        let values = schema["enum"].as_array().unwrap();
        assert_eq!(values.len(), 425);
        assert_eq!(values[424], "UTC");
        assert_eq!(<TimeZone as ToSchema>::name(), "TimeZone");
    }

    /// A request body as the API layer will write it.
    #[derive(Debug, Deserialize, ToSchema)]
    #[allow(dead_code)]
    struct NetworkBody {
        currency: CurrencyCode,
        timezone: TimeZone,
    }

    #[test]
    fn works_inside_derived_bodies() {
        let body: NetworkBody =
            serde_json::from_str(r#"{"currency": "UZS", "timezone": "Asia/Tashkent"}"#).unwrap();
        assert_eq!(body.currency.minor_units(), Some(2));
        assert_eq!(body.timezone.tz(), chrono_tz::Asia::Tashkent);

        let err = serde_json::from_str::<NetworkBody>(
            r#"{"currency": "EUR", "timezone": "Mars/Olympus"}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown time zone `Mars/Olympus`"),
            "{err}"
        );

        let schema = serde_json::to_value(NetworkBody::schema()).unwrap();
        assert_eq!(
            schema["properties"]["currency"]["$ref"],
            "#/components/schemas/CurrencyCode"
        );
        assert_eq!(
            schema["properties"]["timezone"]["$ref"],
            "#/components/schemas/TimeZone"
        );
        let mut components = Vec::new();
        NetworkBody::schemas(&mut components);
        let names: Vec<&str> = components.iter().map(|(name, _)| name.as_str()).collect();
        assert!(
            names.contains(&"CurrencyCode") && names.contains(&"TimeZone"),
            "{names:?}"
        );
    }
}
