//! Exact amounts: `Decimal` in the domain and the API, integers of ten-thousandths in the
//! database (SQLite would keep a decimal column as a float).

use rust_decimal::{Decimal, RoundingStrategy};

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

/// Split a VAT-inclusive amount into its part without VAT and its VAT, so that invoices and
/// income show both and they add up exactly to what was paid.
///
/// `vat_rate` is a fraction, as networks store `default_vat` (0.2 for 20 %, 0.055 for 5.5 %;
/// the API bounds it to 0..=1). The part without VAT is `amount_w_vat / (1 + vat_rate)` rounded
/// half away from zero to `minor_units` decimals; the VAT is the difference, never rounded on its
/// own, so `amount + vat == amount_w_vat` always holds. A rate that leaves nothing to divide by
/// (at or below -1) or an overflow gives no VAT: `(amount_w_vat, 0)`.
pub fn split_vat(amount_w_vat: Decimal, vat_rate: Decimal, minor_units: u32) -> (Decimal, Decimal) {
    let divisor = Decimal::ONE
        .checked_add(vat_rate)
        .filter(|d| d.is_sign_positive() && !d.is_zero());
    let Some(without) = divisor.and_then(|d| amount_w_vat.checked_div(d)) else {
        return (amount_w_vat, Decimal::ZERO);
    };
    let mut amount =
        without.round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero);
    amount.rescale(minor_units);
    (amount, amount_w_vat - amount)
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

    #[test]
    fn vat_split_of_common_amounts() {
        for (w_vat, rate, units, amount, vat) in [
            ("12.00", "0.2", 2, "10.00", "2.00"),
            ("1.00", "0.2", 2, "0.83", "0.17"),
            ("0.01", "0.2", 2, "0.01", "0.00"),
            ("0.01", "0.055", 2, "0.01", "0.00"),
            ("10.55", "0.055", 2, "10.00", "0.55"),
            ("5.00", "0", 2, "5.00", "0.00"),
            ("0", "0.2", 2, "0.00", "0.00"),
            // 1000 / 1.1 = 909.09..., yen have no minor unit.
            ("1000", "0.1", 0, "909", "91"),
            // Half away from zero: 0.03 / 1.2 = 0.025 gives 0.03 (banker's rounding: 0.02).
            ("0.03", "0.2", 2, "0.03", "0.00"),
            ("-1.00", "0.2", 2, "-0.83", "-0.17"),
        ] {
            let (a, v) = split_vat(d(w_vat), d(rate), units);
            assert_eq!((a, v), (d(amount), d(vat)), "{w_vat} at {rate}");
            assert_eq!(a.scale(), units, "{w_vat} at {rate}");
        }
        assert_eq!(split_vat(d("12"), d("0.2"), 2).0.to_string(), "10.00");
    }

    #[test]
    fn vat_split_always_adds_up() {
        for rate in ["0", "0.055", "0.2", "0.13", "1"] {
            let rate = d(rate);
            for cents in 0..5_000i64 {
                let w_vat = Decimal::new(cents, 2);
                let (amount, vat) = split_vat(w_vat, rate, 2);
                assert_eq!(amount + vat, w_vat, "{w_vat} at {rate}");
                assert!(
                    vat >= Decimal::ZERO && amount >= Decimal::ZERO,
                    "{w_vat} at {rate}"
                );
                // The part without VAT is the nearest cent to the exact quotient.
                let exact = w_vat / (Decimal::ONE + rate);
                assert!((amount - exact).abs() <= d("0.005"), "{w_vat} at {rate}");
            }
        }
    }

    #[test]
    fn vat_split_without_a_divisor_keeps_the_amount() {
        assert_eq!(split_vat(d("3.00"), d("-1"), 2), (d("3.00"), Decimal::ZERO));
        assert_eq!(split_vat(d("3.00"), d("-2"), 2), (d("3.00"), Decimal::ZERO));
    }
}
