//! Exact conversions between relais amounts (a [`Decimal`] in major units) and the integer minor
//! units providers want (`12.50` EUR is `1250`; `500` JPY is `500`; `1.250` KWD is `1250`).
//!
//! The minor units of a currency are ISO 4217's, from relais's currency table
//! ([`relais_domain::reference::minor_units`]). An amount with more decimals than its currency has
//! is refused, never rounded: rounding money silently is how a ledger drifts.

use relais_domain::reference;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::PaymentError;

/// The currency code in upper case, if relais knows it and ISO 4217 gives it minor units.
pub fn normalize_currency(currency: &str) -> Result<String, PaymentError> {
    let code = currency.trim().to_ascii_uppercase();
    minor_units(&code)?;
    Ok(code)
}

/// The ISO 4217 minor units of `currency` (2 for EUR, 0 for JPY, 3 for KWD).
pub fn minor_units(currency: &str) -> Result<u32, PaymentError> {
    let code = currency.trim().to_ascii_uppercase();
    match reference::currency(&code) {
        None => Err(PaymentError::invalid(
            "currency",
            format!("unknown currency `{}`", currency.trim()),
        )),
        Some(found) => found.minor_units.map(u32::from).ok_or_else(|| {
            PaymentError::invalid(
                "currency",
                format!("{code} has no minor unit and cannot be charged"),
            )
        }),
    }
}

/// `amount` of `currency` in minor units, exactly; refused if it has more decimals than the
/// currency or does not fit an `i64`.
pub fn to_minor_units(amount: Decimal, currency: &str) -> Result<i64, PaymentError> {
    let units = minor_units(currency)?;
    let code = currency.trim().to_ascii_uppercase();
    let scaled = amount
        .checked_mul(Decimal::from(10_i64.pow(units)))
        .ok_or_else(|| PaymentError::invalid("amount", format!("{amount} {code} is too large")))?;
    if !scaled.fract().is_zero() {
        return Err(PaymentError::invalid(
            "amount",
            format!("{amount} {code} has more than the {units} decimals of {code}"),
        ));
    }
    scaled
        .to_i64()
        .ok_or_else(|| PaymentError::invalid("amount", format!("{amount} {code} is too large")))
}

/// `minor` minor units of `currency` as a [`Decimal`] with the currency's scale (`1250` EUR is
/// `12.50`).
pub fn from_minor_units(minor: i64, currency: &str) -> Result<Decimal, PaymentError> {
    let units = minor_units(currency)?;
    Ok(Decimal::new(minor, units))
}

/// A positive amount of `currency`, at the currency's scale, with its minor units; `param` names
/// the field in the error.
pub(crate) fn positive(
    amount: Decimal,
    currency: &str,
    param: &str,
) -> Result<(Decimal, i64), PaymentError> {
    let minor = to_minor_units(amount, currency).map_err(|error| match error {
        PaymentError::InvalidRequest {
            message,
            param: Some(field),
        } if field == "amount" => PaymentError::invalid(param, message),
        other => other,
    })?;
    if minor <= 0 {
        return Err(PaymentError::invalid(
            param,
            format!("the amount must be positive, not {amount}"),
        ));
    }
    Ok((from_minor_units(minor, currency)?, minor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn converts_with_the_iso_minor_units() {
        assert_eq!(to_minor_units(dec("12.50"), "EUR").unwrap(), 1250);
        assert_eq!(to_minor_units(dec("12.5"), "eur").unwrap(), 1250);
        assert_eq!(to_minor_units(dec("12.500"), "EUR").unwrap(), 1250);
        assert_eq!(to_minor_units(dec("500"), "JPY").unwrap(), 500);
        assert_eq!(to_minor_units(dec("1.25"), "KWD").unwrap(), 1250);
        assert_eq!(to_minor_units(dec("0.01"), "USD").unwrap(), 1);
        assert_eq!(to_minor_units(dec("15000"), "UZS").unwrap(), 1_500_000);
    }

    #[test]
    fn refuses_amounts_finer_than_the_currency() {
        let error = to_minor_units(dec("12.505"), "EUR").unwrap_err();
        assert!(error.to_string().contains("2 decimals"), "{error}");
        assert!(to_minor_units(dec("1.5"), "JPY").is_err());
        assert!(to_minor_units(dec("1.2505"), "KWD").is_err());
    }

    #[test]
    fn refuses_unknown_currencies_and_those_without_minor_units() {
        let error = to_minor_units(dec("1"), "XYZ").unwrap_err();
        assert_eq!(
            error,
            PaymentError::invalid("currency", "unknown currency `XYZ`")
        );
        assert!(to_minor_units(dec("1"), "XAU").is_err());
    }

    #[test]
    fn refuses_overflow() {
        assert!(to_minor_units(Decimal::MAX, "EUR").is_err());
        assert!(to_minor_units(dec("100000000000000000000"), "EUR").is_err());
    }

    #[test]
    fn back_from_minor_units_at_the_currency_scale() {
        assert_eq!(from_minor_units(1250, "EUR").unwrap().to_string(), "12.50");
        assert_eq!(from_minor_units(500, "JPY").unwrap().to_string(), "500");
        assert_eq!(from_minor_units(1250, "KWD").unwrap().to_string(), "1.250");
    }

    #[test]
    fn positive_amounts_only() {
        assert_eq!(
            positive(dec("3"), "EUR", "amount").unwrap(),
            (dec("3.00"), 300)
        );
        assert!(positive(dec("0"), "EUR", "amount").is_err());
        assert!(positive(dec("-1"), "EUR", "amount").is_err());
        let error = positive(dec("0.001"), "EUR", "amount_to_capture").unwrap_err();
        assert!(matches!(
            error,
            PaymentError::InvalidRequest { param: Some(ref p), .. } if p == "amount_to_capture"
        ));
    }
}
