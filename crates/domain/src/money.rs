//! Exact amounts: `Decimal` in the domain and the API, integers of ten-thousandths in the
//! database (SQLite would keep a decimal column as a float).

use rust_decimal::Decimal;

/// Decimal places kept in storage.
pub const STORED_SCALE: u32 = 4;

/// The stored form of `amount`, or `None` when it has more than four decimal places or does not
/// fit (callers refuse such input rather than round it silently).
pub fn to_stored(amount: Decimal) -> Option<i64> {
    let normalized = amount.normalize();
    if normalized.scale() > STORED_SCALE {
        return None;
    }
    let mut scaled = normalized;
    scaled.rescale(STORED_SCALE);
    i64::try_from(scaled.mantissa()).ok()
}

/// The amount a stored value stands for, without trailing zeros beyond the second place.
pub fn from_stored(stored: i64) -> Decimal {
    let mut amount = Decimal::new(stored, STORED_SCALE).normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount
}

/// A validator: at most four decimal places (the stored precision).
pub fn fits_storage(amount: &Decimal) -> bool {
    to_stored(*amount).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn amounts_round_trip_exactly() {
        for (text, stored) in [
            ("0", 0),
            ("12.5", 125_000),
            ("0.0825", 825),
            ("1999.99", 19_999_900),
            ("-3.10", -31_000),
        ] {
            assert_eq!(to_stored(d(text)), Some(stored), "{text}");
            assert_eq!(from_stored(stored), d(text), "{text}");
        }
        assert_eq!(from_stored(125_000).to_string(), "12.50");
        assert_eq!(from_stored(825).to_string(), "0.0825");
    }

    #[test]
    fn more_precision_than_stored_is_refused() {
        assert_eq!(to_stored(d("0.00001")), None);
        assert_eq!(to_stored(d("1.50000")), Some(15_000));
        assert!(!fits_storage(&d("79228162514264337593543950335")));
    }
}
