//! The card details the sandbox takes, their checks, and the test cards' behaviours.

use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;

use super::ledger::CardBehaviour;
use crate::PaymentError;

/// A card's details as the rider typed them, for the sandbox only.
///
/// It lives only as long as the setup request: the sandbox keeps the brand, the last four digits,
/// the expiry and a keyed fingerprint, never the number or the CVC. `Debug` shows neither, and it
/// cannot be serialized (only deserialized, from the app's request).
#[derive(Clone, Deserialize)]
pub struct SandboxCard {
    /// The card number; spaces and dashes are ignored.
    pub number: String,
    /// Expiry month, 1 to 12.
    pub exp_month: u8,
    /// Expiry year, four digits (two digits are read as 20xx).
    pub exp_year: u16,
    /// The security code: 3 digits, 4 for American Express.
    pub cvc: String,
}

impl SandboxCard {
    /// A card with these details.
    pub fn new(
        number: impl Into<String>,
        exp_month: u8,
        exp_year: u16,
        cvc: impl Into<String>,
    ) -> Self {
        Self {
            number: number.into(),
            exp_month,
            exp_year,
            cvc: cvc.into(),
        }
    }
}

impl fmt::Debug for SandboxCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxCard")
            .field("number", &"<redacted>")
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cvc", &"<redacted>")
            .finish()
    }
}

/// What a test card number does, as Stripe's test card with the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestOutcome {
    /// Refused when saved, with this decline code (`4000 0000 0000 0002`).
    DeclinedAtSetup(&'static str),
    /// Saved, then behaves so when held.
    Saved(CardBehaviour),
}

/// A card that passed the checks, with its number still in hand for the fingerprint.
pub(crate) struct CheckedCard {
    /// The digits of the number: only to compute the fingerprint, then dropped.
    pub digits: String,
    pub brand: &'static str,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub outcome: TestOutcome,
}

/// Checks `card` as of `now`: well-formed number with a valid Luhn check digit, expiry month and
/// year, CVC, not expired. Errors name the field and never contain the number.
pub(crate) fn check(card: &SandboxCard, now: DateTime<Utc>) -> Result<CheckedCard, PaymentError> {
    let mut digits = String::with_capacity(19);
    for c in card.number.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' => {}
            _ => {
                return Err(PaymentError::invalid(
                    "number",
                    "the card number must be digits (spaces and dashes are allowed)",
                ));
            }
        }
    }
    if !(12..=19).contains(&digits.len()) {
        return Err(PaymentError::invalid(
            "number",
            "the card number must have 12 to 19 digits",
        ));
    }
    if !luhn_valid(&digits) {
        return Err(PaymentError::invalid(
            "number",
            "the card number is not valid (its check digit is wrong)",
        ));
    }
    if !(1..=12).contains(&card.exp_month) {
        return Err(PaymentError::invalid(
            "exp_month",
            "the expiry month must be 1 to 12",
        ));
    }
    let exp_year = if card.exp_year < 100 {
        2000 + card.exp_year
    } else {
        card.exp_year
    };
    if !(2000..=2999).contains(&exp_year) {
        return Err(PaymentError::invalid(
            "exp_year",
            "the expiry year must have four digits",
        ));
    }
    let brand = brand(&digits);
    let cvc_len = if brand == "amex" { 4 } else { 3 };
    if card.cvc.len() != cvc_len || !card.cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PaymentError::invalid(
            "cvc",
            format!("the security code must be {cvc_len} digits"),
        ));
    }
    if expired(card.exp_month, exp_year, now) {
        return Err(PaymentError::Declined {
            code: "expired_card".into(),
            hold_id: None,
        });
    }
    let last4 = digits[digits.len() - 4..].to_owned();
    let outcome = test_outcome(&digits);
    Ok(CheckedCard {
        digits,
        brand,
        last4,
        exp_month: card.exp_month,
        exp_year,
        outcome,
    })
}

/// Whether a card expiring in `exp_month`/`exp_year` has expired by `now` (a card is valid through
/// the last day of its expiry month).
pub(crate) fn expired(exp_month: u8, exp_year: u16, now: DateTime<Utc>) -> bool {
    (i32::from(exp_year), u32::from(exp_month)) < (now.year(), now.month())
}

/// Whether the last digit of `digits` is the Luhn check digit of the others.
pub(crate) fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The card network from the number's leading digits (IIN), lower case as Stripe spells it.
pub(crate) fn brand(digits: &str) -> &'static str {
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
    if digits.starts_with('4') {
        "visa"
    } else if prefix(2).is_some_and(|p| (51..=55).contains(&p))
        || prefix(4).is_some_and(|p| (2221..=2720).contains(&p))
    {
        "mastercard"
    } else if prefix(2).is_some_and(|p| p == 34 || p == 37) {
        "amex"
    } else {
        "unknown"
    }
}

/// What the number does: Stripe's test cards behave as Stripe documents them, every other valid
/// number succeeds.
fn test_outcome(digits: &str) -> TestOutcome {
    match digits {
        "4000000000000002" => TestOutcome::DeclinedAtSetup("generic_decline"),
        "4000000000009995" => TestOutcome::Saved(CardBehaviour::InsufficientFunds),
        "4000002760003184" => TestOutcome::Saved(CardBehaviour::AlwaysAuthenticate),
        _ => TestOutcome::Saved(CardBehaviour::Succeeds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 15, 12, 0, 0).unwrap()
    }

    fn card(number: &str) -> SandboxCard {
        SandboxCard::new(number, 12, 2030, "123")
    }

    fn param(error: PaymentError) -> String {
        match error {
            PaymentError::InvalidRequest { param, .. } => param.unwrap(),
            other => panic!("expected an invalid request, got {other:?}"),
        }
    }

    #[test]
    fn luhn() {
        for valid in [
            "4242424242424242",
            "4000000000000002",
            "4000000000009995",
            "4000002760003184",
            "5555555555554444",
            "378282246310005",
            "2223003122003222",
        ] {
            assert!(luhn_valid(valid), "{valid}");
        }
        for invalid in ["4242424242424241", "4000000000000001", "1234567812345678"] {
            assert!(!luhn_valid(invalid), "{invalid}");
        }
    }

    #[test]
    fn brands_from_the_iin() {
        assert_eq!(brand("4242424242424242"), "visa");
        assert_eq!(brand("5105105105105100"), "mastercard");
        assert_eq!(brand("5555555555554444"), "mastercard");
        assert_eq!(brand("2221000000000009"), "mastercard");
        assert_eq!(brand("2720990000000007"), "mastercard");
        assert_eq!(brand("2721000000000004"), "unknown");
        assert_eq!(brand("2220990000000008"), "unknown");
        assert_eq!(brand("5600000000000003"), "unknown");
        assert_eq!(brand("378282246310005"), "amex");
        assert_eq!(brand("340000000000009"), "amex");
        assert_eq!(brand("6011111111111117"), "unknown");
    }

    #[test]
    fn accepts_spaces_and_dashes_and_keeps_last4() {
        let checked = check(&card("4242 4242-4242 4242"), now()).unwrap();
        assert_eq!(checked.digits, "4242424242424242");
        assert_eq!(checked.last4, "4242");
        assert_eq!(checked.brand, "visa");
        assert_eq!(checked.outcome, TestOutcome::Saved(CardBehaviour::Succeeds));
    }

    #[test]
    fn test_cards_behave_like_stripes() {
        let outcome = |number| check(&card(number), now()).unwrap().outcome;
        assert_eq!(
            outcome("4000 0000 0000 0002"),
            TestOutcome::DeclinedAtSetup("generic_decline")
        );
        assert_eq!(
            outcome("4000 0000 0000 9995"),
            TestOutcome::Saved(CardBehaviour::InsufficientFunds)
        );
        assert_eq!(
            outcome("4000 0027 6000 3184"),
            TestOutcome::Saved(CardBehaviour::AlwaysAuthenticate)
        );
        assert_eq!(
            outcome("5555 5555 5555 4444"),
            TestOutcome::Saved(CardBehaviour::Succeeds)
        );
    }

    #[test]
    fn refusals_name_the_field_and_never_the_number() {
        let refused = |c: SandboxCard| check(&c, now()).err().unwrap();
        for number in [
            "4242424242424241",
            "4242x42424242424",
            "42424242",
            "42424242424242424242",
        ] {
            let error = refused(card(number));
            assert!(!error.to_string().contains(number), "{error}");
            assert!(!format!("{error:?}").contains(number), "{error:?}");
            assert_eq!(param(error), "number");
        }
        assert_eq!(
            param(refused(SandboxCard::new(
                "4242424242424242",
                13,
                2030,
                "123"
            ))),
            "exp_month"
        );
        assert_eq!(
            param(refused(SandboxCard::new(
                "4242424242424242",
                0,
                2030,
                "123"
            ))),
            "exp_month"
        );
        assert_eq!(
            param(refused(SandboxCard::new(
                "4242424242424242",
                12,
                1999,
                "123"
            ))),
            "exp_year"
        );
        assert_eq!(
            param(refused(SandboxCard::new(
                "4242424242424242",
                12,
                2030,
                "12"
            ))),
            "cvc"
        );
        assert_eq!(
            param(refused(SandboxCard::new(
                "4242424242424242",
                12,
                2030,
                "1234"
            ))),
            "cvc"
        );
        assert_eq!(
            param(refused(SandboxCard::new(
                "378282246310005",
                12,
                2030,
                "123"
            ))),
            "cvc"
        );
        assert!(
            check(
                &SandboxCard::new("378282246310005", 12, 2030, "1234"),
                now()
            )
            .is_ok()
        );
    }

    #[test]
    fn expired_cards_are_declined_and_the_expiry_month_still_counts() {
        let expired_card = check(&SandboxCard::new("4242424242424242", 4, 2026, "123"), now())
            .err()
            .unwrap();
        assert_eq!(
            expired_card,
            PaymentError::Declined {
                code: "expired_card".into(),
                hold_id: None
            }
        );
        assert!(check(&SandboxCard::new("4242424242424242", 5, 2026, "123"), now()).is_ok());
        let two_digits = check(&SandboxCard::new("4242424242424242", 1, 27, "123"), now()).unwrap();
        assert_eq!(two_digits.exp_year, 2027);
        assert!(expired(12, 2025, now()));
        assert!(!expired(5, 2026, now()));
    }

    #[test]
    fn debug_redacts_the_number_and_cvc() {
        let shown = format!(
            "{:?}",
            SandboxCard::new("4242424242424242", 12, 2030, "987")
        );
        assert!(!shown.contains("4242"), "{shown}");
        assert!(!shown.contains("987"), "{shown}");
    }
}
