//! The sandbox provider: every test card and every rule, on a [`MemoryLedger`] (and on ledgers
//! that race or fail).

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use relais_payments::sandbox::{
    CardRecord, HoldRecord, HoldStatus, LedgerError, LedgerFuture, OperationKind,
};
use relais_payments::{
    CaptureRequest, CustomerRef, HoldRequest, MemoryLedger, MethodStatus, PaymentError,
    PaymentProvider, PaymentsConfig, ProviderKey, RefundRequest, RefundStatus, Sandbox,
    SandboxCard, SandboxConfig, SandboxLedger, SavedMethod, SetupRequest, SetupStart,
    build_provider,
};
use rust_decimal::Decimal;

const SECRET: &str = "sandbox-test-secret-0123456789";

const VISA: &str = "4242 4242 4242 4242";
const DECLINED: &str = "4000 0000 0000 0002";
const INSUFFICIENT_FUNDS: &str = "4000 0000 0000 9995";
const THREE_D_SECURE: &str = "4000 0027 6000 3184";
const MASTERCARD: &str = "5555 5555 5555 4444";
const AMEX: &str = "3782 822463 10005";

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn may_2026() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 15, 12, 0, 0).unwrap()
}

/// A sandbox on a memory ledger, its clock fixed in May 2026 (movable through the returned cell).
fn sandbox() -> (Sandbox, Arc<MemoryLedger>, Arc<Mutex<DateTime<Utc>>>) {
    let ledger = Arc::new(MemoryLedger::new());
    let now = Arc::new(Mutex::new(may_2026()));
    let clock = Arc::clone(&now);
    let sandbox = Sandbox::new(SandboxConfig::new(SECRET), ledger.clone())
        .unwrap()
        .with_clock(move || *clock.lock().unwrap());
    (sandbox, ledger, now)
}

fn card(number: &str) -> SandboxCard {
    let cvc = if number.starts_with('3') {
        "1234"
    } else {
        "123"
    };
    SandboxCard::new(number, 12, 2030, cvc)
}

fn setup(user: &str, card: SandboxCard, key: &str) -> SetupRequest {
    SetupRequest {
        customer: CustomerRef::new(user),
        card: Some(card),
        idempotency_key: key.into(),
    }
}

async fn save(sandbox: &Sandbox, user: &str, number: &str, key: &str) -> SavedMethod {
    match sandbox
        .begin_setup(&setup(user, card(number), key))
        .await
        .unwrap()
    {
        SetupStart::Saved(method) => method,
        other => panic!("the sandbox saves at once, got {other:?}"),
    }
}

fn hold_request(method: &SavedMethod, amount: &str, key: &str) -> HoldRequest {
    HoldRequest {
        customer_id: method.customer_id.clone(),
        method_token: method.token.clone(),
        amount: dec(amount),
        currency: "EUR".into(),
        reference: Some("rental-7".into()),
        idempotency_key: key.into(),
    }
}

fn capture_request(hold_id: &str, amount: &str, key: &str) -> CaptureRequest {
    CaptureRequest {
        hold_id: hold_id.into(),
        amount: dec(amount),
        currency: "EUR".into(),
        idempotency_key: key.into(),
    }
}

fn refund_request(hold_id: &str, amount: &str, key: &str) -> RefundRequest {
    RefundRequest {
        hold_id: hold_id.into(),
        amount: dec(amount),
        currency: "EUR".into(),
        reason: Some("goodwill".into()),
        idempotency_key: key.into(),
    }
}

/// The field an invalid request names, or a panic.
fn param(error: &PaymentError) -> &str {
    match error {
        PaymentError::InvalidRequest { param, .. } => param.as_deref().unwrap_or("<none>"),
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

fn message(error: &PaymentError) -> &str {
    match error {
        PaymentError::InvalidRequest { message, .. } => message,
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

#[tokio::test]
async fn the_always_succeeding_card_goes_through_the_whole_flow() {
    let (sandbox, ledger, _) = sandbox();
    assert_eq!(sandbox.key(), ProviderKey::Sandbox);
    let method = save(&sandbox, "u-1", VISA, "setup-1").await;
    assert!(method.token.starts_with("sbx_pm_"), "{}", method.token);
    assert!(method.customer_id.starts_with("sbx_cus_"));
    assert_eq!(method.brand, "visa");
    assert_eq!(method.last4, "4242");
    assert_eq!((method.exp_month, method.exp_year), (12, 2030));
    assert_eq!(method.status, MethodStatus::Ready);
    assert_eq!(method.fingerprint.len(), 64);
    assert!(method.fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        sandbox.fingerprint(&method.token).await.unwrap(),
        method.fingerprint
    );
    // complete_setup answers the saved method.
    let completed = sandbox
        .complete_setup(&CustomerRef::new("u-1"), &method.token)
        .await
        .unwrap();
    assert_eq!(completed, method);

    let hold = sandbox
        .hold(&hold_request(&method, "20", "hold-1"))
        .await
        .unwrap();
    assert!(hold.id.starts_with("sbx_hold_"));
    assert_eq!(hold.amount, dec("20.00"));
    assert_eq!(hold.currency, "EUR");

    let capture = sandbox
        .capture(&capture_request(&hold.id, "12.34", "capture-1"))
        .await
        .unwrap();
    assert_eq!(capture.amount, dec("12.34"));

    let refund = sandbox
        .refund(&refund_request(&hold.id, "5", "refund-1"))
        .await
        .unwrap();
    assert!(refund.id.starts_with("sbx_re_"));
    assert_eq!(refund.amount, dec("5.00"));
    assert_eq!(refund.status, RefundStatus::Succeeded);
    let over = sandbox
        .refund(&refund_request(&hold.id, "7.35", "refund-2"))
        .await
        .unwrap_err();
    assert_eq!(param(&over), "amount");
    assert!(
        message(&over).contains("7.34 EUR of the 12.34 EUR captured is left"),
        "{over}"
    );
    sandbox
        .refund(&refund_request(&hold.id, "7.34", "refund-3"))
        .await
        .unwrap();
    let nothing_left = sandbox
        .refund(&refund_request(&hold.id, "0.01", "refund-4"))
        .await
        .unwrap_err();
    assert_eq!(param(&nothing_left), "amount");

    let [stored] = &ledger.holds()[..] else {
        panic!("one hold")
    };
    assert_eq!(stored.status, HoldStatus::Captured);
    assert_eq!(
        (stored.amount, stored.captured, stored.refunded),
        (dec("20.00"), dec("12.34"), dec("12.34"))
    );
    let kinds: Vec<OperationKind> = stored.operations.iter().map(|op| op.kind).collect();
    assert_eq!(
        kinds,
        [
            OperationKind::Capture,
            OperationKind::Refund,
            OperationKind::Refund
        ]
    );
    assert_eq!(stored.operations[1].reason.as_deref(), Some("goodwill"));
}

#[tokio::test]
async fn the_declined_card_is_refused_when_saved() {
    let (sandbox, ledger, _) = sandbox();
    let error = sandbox
        .begin_setup(&setup("u-1", card(DECLINED), "setup-1"))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        PaymentError::Declined {
            code: "generic_decline".into(),
            hold_id: None
        }
    );
    assert!(!error.retryable());
    assert!(ledger.cards().is_empty());
}

#[tokio::test]
async fn the_insufficient_funds_card_is_saved_and_its_holds_declined() {
    let (sandbox, ledger, _) = sandbox();
    let method = save(&sandbox, "u-1", INSUFFICIENT_FUNDS, "setup-1").await;
    assert_eq!(method.status, MethodStatus::Ready);
    assert_eq!(method.last4, "9995");
    let error = sandbox
        .hold(&hold_request(&method, "10", "hold-1"))
        .await
        .unwrap_err();
    let hold_id = match &error {
        PaymentError::InsufficientFunds { hold_id } => hold_id.clone().unwrap(),
        other => panic!("expected insufficient funds, got {other:?}"),
    };
    assert_eq!(
        ledger.holds()[0].status,
        HoldStatus::Declined {
            code: "insufficient_funds".into()
        }
    );
    // The same key answers the decline again, without a second attempt.
    let again = sandbox
        .hold(&hold_request(&method, "10", "hold-1"))
        .await
        .unwrap_err();
    assert_eq!(again, error);
    assert_eq!(ledger.holds().len(), 1);
    // Nothing was held: nothing to capture or release.
    let capture = sandbox
        .capture(&capture_request(&hold_id, "1", "capture-1"))
        .await
        .unwrap_err();
    assert!(message(&capture).contains("declined"), "{capture}");
    assert!(sandbox.release(&hold_id, "release-1").await.is_err());
}

#[tokio::test]
async fn the_3ds_card_requires_action_on_setup_and_on_every_hold() {
    let (sandbox, _, _) = sandbox();
    let method = save(&sandbox, "u-1", THREE_D_SECURE, "setup-1").await;
    assert_eq!(method.status, MethodStatus::RequiresAction);
    // The app authenticates the setup, then relais completes it.
    let ready = sandbox
        .complete_setup(&CustomerRef::new("u-1"), &method.token)
        .await
        .unwrap();
    assert_eq!(ready.status, MethodStatus::Ready);
    assert_eq!(
        sandbox
            .complete_setup(&CustomerRef::new("u-1"), &method.token)
            .await
            .unwrap()
            .status,
        MethodStatus::Ready
    );

    // Even set up, every hold asks for authentication.
    let error = sandbox
        .hold(&hold_request(&ready, "10", "hold-1"))
        .await
        .unwrap_err();
    let PaymentError::RequiresAction { hold_id, .. } = &error else {
        panic!("expected requires_action, got {error:?}");
    };
    let hold_id = hold_id.clone().unwrap();
    let capture = sandbox
        .capture(&capture_request(&hold_id, "10", "capture-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(capture, PaymentError::RequiresAction { .. }),
        "{capture:?}"
    );

    let held = sandbox.authenticate_hold(&hold_id).await.unwrap();
    assert_eq!(held.amount, dec("10.00"));
    assert_eq!(sandbox.authenticate_hold(&hold_id).await.unwrap(), held);
    sandbox
        .capture(&capture_request(&hold_id, "10", "capture-1"))
        .await
        .unwrap();
    assert!(sandbox.authenticate_hold(&hold_id).await.is_err());

    // A hold waiting for authentication can be released.
    let error = sandbox
        .hold(&hold_request(&ready, "10", "hold-2"))
        .await
        .unwrap_err();
    sandbox
        .release(error.hold_id().unwrap(), "release-2")
        .await
        .unwrap();
}

#[tokio::test]
async fn other_valid_numbers_succeed_with_their_brand() {
    let (sandbox, _, _) = sandbox();
    for (number, brand, last4) in [
        (MASTERCARD, "mastercard", "4444"),
        ("2223 0031 2200 3222", "mastercard", "3222"),
        (AMEX, "amex", "0005"),
        ("6011 1111 1111 1117", "unknown", "1117"),
        ("4000 0566 5566 5556", "visa", "5556"),
    ] {
        let method = save(&sandbox, "u-1", number, number).await;
        assert_eq!(
            (method.brand.as_str(), method.last4.as_str()),
            (brand, last4)
        );
        assert_eq!(method.status, MethodStatus::Ready);
        sandbox
            .hold(&hold_request(&method, "1", &format!("hold {number}")))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_invalid_luhn_is_refused_naming_the_field() {
    let (sandbox, ledger, _) = sandbox();
    let number = "4242 4242 4242 4241";
    let error = sandbox
        .begin_setup(&setup("u-1", card(number), "setup-1"))
        .await
        .unwrap_err();
    assert_eq!(param(&error), "number");
    assert!(message(&error).contains("check digit"), "{error}");
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains("4241") && !shown.contains("4242"),
        "{shown}"
    );
    assert!(ledger.cards().is_empty());

    let bad_cvc = SandboxCard::new(VISA, 12, 2030, "12a");
    let error = sandbox
        .begin_setup(&setup("u-1", bad_cvc, "setup-2"))
        .await
        .unwrap_err();
    assert_eq!(param(&error), "cvc");
    let no_card = SetupRequest {
        card: None,
        ..setup("u-1", card(VISA), "setup-3")
    };
    assert_eq!(
        param(&sandbox.begin_setup(&no_card).await.unwrap_err()),
        "card"
    );
}

#[tokio::test]
async fn expired_cards_are_refused_at_setup_and_declined_once_expired() {
    let (sandbox, ledger, now) = sandbox();
    let last_month = SandboxCard::new(VISA, 4, 2026, "123");
    let error = sandbox
        .begin_setup(&setup("u-1", last_month, "setup-1"))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        PaymentError::Declined {
            code: "expired_card".into(),
            hold_id: None
        }
    );
    assert!(ledger.cards().is_empty());

    // Valid through the end of its month; declined once it has passed.
    let this_month = SandboxCard::new(VISA, 5, 2026, "123");
    let SetupStart::Saved(method) = sandbox
        .begin_setup(&setup("u-1", this_month, "setup-2"))
        .await
        .unwrap()
    else {
        panic!()
    };
    sandbox
        .hold(&hold_request(&method, "5", "hold-1"))
        .await
        .unwrap();
    *now.lock().unwrap() = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let error = sandbox
        .hold(&hold_request(&method, "5", "hold-2"))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        PaymentError::Declined {
            code: "expired_card".into(),
            hold_id: error.hold_id().map(str::to_owned)
        }
    );
    assert!(error.hold_id().is_some());
}

#[tokio::test]
async fn fingerprints_find_the_same_card_on_two_accounts() {
    let (sandbox, _, _) = sandbox();
    let alice = save(&sandbox, "alice", VISA, "setup-a").await;
    let bob = save(&sandbox, "bob", "4242-4242-4242-4242", "setup-b").await;
    let other = save(&sandbox, "bob", MASTERCARD, "setup-c").await;
    assert_ne!(alice.token, bob.token);
    assert_ne!(alice.customer_id, bob.customer_id);
    assert_eq!(alice.fingerprint, bob.fingerprint);
    assert_ne!(alice.fingerprint, other.fingerprint);

    // The fingerprint is keyed: another sandbox secret gives another one.
    let elsewhere = Sandbox::new(
        SandboxConfig::new("another-sandbox-secret-xyz"),
        Arc::new(MemoryLedger::new()),
    )
    .unwrap()
    .with_clock(may_2026);
    let there = save(&elsewhere, "alice", VISA, "setup-a").await;
    assert_ne!(there.fingerprint, alice.fingerprint);
}

#[tokio::test]
async fn card_numbers_are_never_kept() {
    let (sandbox, ledger, _) = sandbox();
    for (i, number) in [VISA, INSUFFICIENT_FUNDS, THREE_D_SECURE, MASTERCARD, AMEX]
        .into_iter()
        .enumerate()
    {
        let method = save(&sandbox, "u-1", number, &format!("setup-{i}")).await;
        let _ = sandbox
            .hold(&hold_request(&method, "3", &format!("hold-{i}")))
            .await;
    }
    let stored = serde_json::to_string(&(ledger.cards(), ledger.holds())).unwrap();
    let debug = format!("{:?} {:?} {sandbox:?}", ledger.cards(), ledger.holds());
    for number in [VISA, INSUFFICIENT_FUNDS, THREE_D_SECURE, MASTERCARD, AMEX] {
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        for text in [&stored, &debug] {
            assert!(!text.contains(&digits), "{digits} kept in {text}");
            assert!(
                !text.contains(&digits[..12]),
                "{digits} kept in part in {text}"
            );
        }
    }
    assert!(!debug.contains(SECRET));
}

#[tokio::test]
async fn capture_is_at_most_the_held_amount_and_once() {
    let (sandbox, _, _) = sandbox();
    let method = save(&sandbox, "u-1", VISA, "setup-1").await;
    let hold = sandbox
        .hold(&hold_request(&method, "10", "hold-1"))
        .await
        .unwrap();
    let over = sandbox
        .capture(&capture_request(&hold.id, "10.01", "capture-1"))
        .await
        .unwrap_err();
    assert_eq!(param(&over), "amount");
    for zero in ["0", "-1"] {
        let error = sandbox
            .capture(&capture_request(&hold.id, zero, "capture-2"))
            .await
            .unwrap_err();
        assert_eq!(param(&error), "amount");
    }
    let capture = sandbox
        .capture(&capture_request(&hold.id, "10", "capture-3"))
        .await
        .unwrap();
    assert_eq!(capture.amount, dec("10.00"));
    // The same key replays; another key, or the same key with another amount, is refused.
    assert_eq!(
        sandbox
            .capture(&capture_request(&hold.id, "10", "capture-3"))
            .await
            .unwrap(),
        capture
    );
    let twice = sandbox
        .capture(&capture_request(&hold.id, "1", "capture-4"))
        .await
        .unwrap_err();
    assert!(message(&twice).contains("already captured"), "{twice}");
    let reused = sandbox
        .capture(&capture_request(&hold.id, "9", "capture-3"))
        .await
        .unwrap_err();
    assert_eq!(param(&reused), "idempotency_key");
}

#[tokio::test]
async fn release_only_an_uncaptured_hold() {
    let (sandbox, ledger, _) = sandbox();
    let method = save(&sandbox, "u-1", VISA, "setup-1").await;
    let hold = sandbox
        .hold(&hold_request(&method, "10", "hold-1"))
        .await
        .unwrap();
    sandbox.release(&hold.id, "release-1").await.unwrap();
    sandbox.release(&hold.id, "release-1").await.unwrap();
    assert!(
        message(&sandbox.release(&hold.id, "release-2").await.unwrap_err()).contains("released")
    );
    let capture = sandbox
        .capture(&capture_request(&hold.id, "1", "capture-1"))
        .await
        .unwrap_err();
    assert!(message(&capture).contains("was released"), "{capture}");
    let refund = sandbox
        .refund(&refund_request(&hold.id, "1", "refund-1"))
        .await
        .unwrap_err();
    assert_eq!(param(&refund), "hold_id");

    let captured = sandbox
        .hold(&hold_request(&method, "10", "hold-2"))
        .await
        .unwrap();
    sandbox
        .capture(&capture_request(&captured.id, "4", "capture-2"))
        .await
        .unwrap();
    let error = sandbox
        .release(&captured.id, "release-3")
        .await
        .unwrap_err();
    assert!(message(&error).contains("already captured"), "{error}");
    let released = ledger
        .holds()
        .into_iter()
        .find(|h| h.id == hold.id)
        .unwrap();
    assert_eq!(released.status, HoldStatus::Released);
    assert_eq!(released.operations.len(), 1, "the repeat wrote nothing");
}

#[tokio::test]
async fn refunds_need_a_capture_and_replay_by_key() {
    let (sandbox, _, _) = sandbox();
    let method = save(&sandbox, "u-1", VISA, "setup-1").await;
    let hold = sandbox
        .hold(&hold_request(&method, "10", "hold-1"))
        .await
        .unwrap();
    let early = sandbox
        .refund(&refund_request(&hold.id, "1", "refund-1"))
        .await
        .unwrap_err();
    assert!(message(&early).contains("not captured"), "{early}");
    sandbox
        .capture(&capture_request(&hold.id, "6", "capture-1"))
        .await
        .unwrap();
    let first = sandbox
        .refund(&refund_request(&hold.id, "6", "refund-1"))
        .await
        .unwrap();
    // A lost answer retried with the same key refunds nothing more.
    assert_eq!(
        sandbox
            .refund(&refund_request(&hold.id, "6", "refund-1"))
            .await
            .unwrap(),
        first
    );
    let other_reason = RefundRequest {
        reason: None,
        ..refund_request(&hold.id, "6", "refund-1")
    };
    assert_eq!(
        param(&sandbox.refund(&other_reason).await.unwrap_err()),
        "idempotency_key"
    );
}

#[tokio::test]
async fn amounts_and_currencies_are_checked() {
    let (sandbox, _, _) = sandbox();
    let method = save(&sandbox, "u-1", VISA, "setup-1").await;
    for (amount, currency, field) in [
        ("10.001", "EUR", "amount"),
        ("0", "EUR", "amount"),
        ("1.5", "JPY", "amount"),
        ("1", "XYZ", "currency"),
    ] {
        let request = HoldRequest {
            currency: currency.into(),
            ..hold_request(&method, amount, "hold-x")
        };
        assert_eq!(
            param(&sandbox.hold(&request).await.unwrap_err()),
            field,
            "{amount} {currency}"
        );
    }
    let yen = HoldRequest {
        currency: "jpy".into(),
        ..hold_request(&method, "500", "hold-1")
    };
    let hold = sandbox.hold(&yen).await.unwrap();
    assert_eq!((hold.amount, hold.currency.as_str()), (dec("500"), "JPY"));
    let euros = sandbox
        .capture(&capture_request(&hold.id, "5", "capture-1"))
        .await
        .unwrap_err();
    assert_eq!(param(&euros), "currency");
}

#[tokio::test]
async fn setups_and_holds_replay_by_key_and_refuse_other_parameters() {
    let (sandbox, ledger, _) = sandbox();
    let first = save(&sandbox, "u-1", VISA, "setup-1").await;
    assert_eq!(save(&sandbox, "u-1", VISA, "setup-1").await, first);
    assert_eq!(ledger.cards().len(), 1);
    let other_card = sandbox
        .begin_setup(&setup("u-1", card(MASTERCARD), "setup-1"))
        .await
        .unwrap_err();
    assert_eq!(param(&other_card), "idempotency_key");
    let other_user = sandbox
        .begin_setup(&setup("u-2", card(VISA), "setup-1"))
        .await
        .unwrap_err();
    assert_eq!(param(&other_user), "idempotency_key");

    let hold = sandbox
        .hold(&hold_request(&first, "10", "hold-1"))
        .await
        .unwrap();
    assert_eq!(
        sandbox
            .hold(&hold_request(&first, "10", "hold-1"))
            .await
            .unwrap(),
        hold
    );
    // Replayed as first answered, even after a capture.
    sandbox
        .capture(&capture_request(&hold.id, "3", "capture-1"))
        .await
        .unwrap();
    assert_eq!(
        sandbox
            .hold(&hold_request(&first, "10", "hold-1"))
            .await
            .unwrap(),
        hold
    );
    assert_eq!(ledger.holds().len(), 1);
    let other_amount = sandbox
        .hold(&hold_request(&first, "11", "hold-1"))
        .await
        .unwrap_err();
    assert_eq!(param(&other_amount), "idempotency_key");
    for blank in ["", "   "] {
        let error = sandbox
            .hold(&hold_request(&first, "10", blank))
            .await
            .unwrap_err();
        assert_eq!(param(&error), "idempotency_key");
    }
}

#[tokio::test]
async fn a_method_serves_only_its_customer() {
    let (sandbox, _, _) = sandbox();
    let alice = save(&sandbox, "alice", VISA, "setup-a").await;
    let bob = save(&sandbox, "bob", MASTERCARD, "setup-b").await;
    let stolen = HoldRequest {
        customer_id: bob.customer_id.clone(),
        ..hold_request(&alice, "10", "hold-1")
    };
    assert_eq!(
        param(&sandbox.hold(&stolen).await.unwrap_err()),
        "payment_method"
    );
    let error = sandbox
        .complete_setup(&CustomerRef::new("bob"), &alice.token)
        .await
        .unwrap_err();
    assert_eq!(param(&error), "setup_id");
    // The customer id, once known, can be given instead of being derived from the user.
    let known = CustomerRef {
        provider_id: Some(alice.customer_id.clone()),
        ..CustomerRef::new("renamed")
    };
    assert!(sandbox.complete_setup(&known, &alice.token).await.is_ok());
}

#[tokio::test]
async fn removed_cards_cannot_be_held_and_removing_twice_is_fine() {
    let (sandbox, ledger, _) = sandbox();
    let method = save(&sandbox, "u-1", VISA, "setup-1").await;
    sandbox.remove(&method.token, "remove-1").await.unwrap();
    assert!(ledger.cards().is_empty());
    sandbox.remove(&method.token, "remove-2").await.unwrap();
    let error = sandbox
        .hold(&hold_request(&method, "10", "hold-1"))
        .await
        .unwrap_err();
    assert!(
        message(&error).contains("no such payment method"),
        "{error}"
    );
    assert_eq!(
        param(&sandbox.fingerprint(&method.token).await.unwrap_err()),
        "payment_method"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_captures_of_one_hold_capture_once() {
    let (sandbox, ledger, _) = sandbox();
    let sandbox = Arc::new(sandbox);
    let method = save(&sandbox, "u-1", VISA, "setup-1").await;
    let hold = sandbox
        .hold(&hold_request(&method, "10", "hold-1"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let sandbox = Arc::clone(&sandbox);
            let id = hold.id.clone();
            tokio::spawn(async move {
                sandbox
                    .capture(&capture_request(&id, "1", &format!("capture-{i}")))
                    .await
            })
        })
        .collect();
    let mut captured = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            captured += 1;
        }
    }
    assert_eq!(captured, 1);
    assert_eq!(ledger.holds()[0].operations.len(), 1);
}

/// A ledger where another writer releases the hold just before the sandbox's first update.
struct ReleasedUnderfoot {
    inner: MemoryLedger,
    raced: AtomicBool,
}

impl SandboxLedger for ReleasedUnderfoot {
    fn save_card<'a>(&'a self, card: &'a CardRecord) -> LedgerFuture<'a, ()> {
        self.inner.save_card(card)
    }

    fn find_card<'a>(&'a self, token: &'a str) -> LedgerFuture<'a, Option<CardRecord>> {
        self.inner.find_card(token)
    }

    fn remove_card<'a>(&'a self, token: &'a str) -> LedgerFuture<'a, bool> {
        self.inner.remove_card(token)
    }

    fn create_hold<'a>(&'a self, hold: &'a HoldRecord) -> LedgerFuture<'a, bool> {
        self.inner.create_hold(hold)
    }

    fn find_hold<'a>(&'a self, id: &'a str) -> LedgerFuture<'a, Option<HoldRecord>> {
        self.inner.find_hold(id)
    }

    fn update_hold<'a>(
        &'a self,
        expected_version: u64,
        hold: &'a HoldRecord,
    ) -> LedgerFuture<'a, bool> {
        Box::pin(async move {
            if !self.raced.swap(true, Ordering::SeqCst) {
                let mut other = self.inner.find_hold(&hold.id).await?.unwrap();
                other.status = HoldStatus::Released;
                other.version += 1;
                assert!(self.inner.update_hold(expected_version, &other).await?);
            }
            self.inner.update_hold(expected_version, hold).await
        })
    }
}

#[tokio::test]
async fn a_lost_race_is_read_again_before_deciding() {
    let ledger = Arc::new(ReleasedUnderfoot {
        inner: MemoryLedger::new(),
        raced: AtomicBool::new(false),
    });
    let sandbox = Sandbox::new(SandboxConfig::new(SECRET), ledger.clone())
        .unwrap()
        .with_clock(may_2026);
    let method = save(&sandbox, "u-1", VISA, "setup-1").await;
    let hold = sandbox
        .hold(&hold_request(&method, "10", "hold-1"))
        .await
        .unwrap();
    let error = sandbox
        .capture(&capture_request(&hold.id, "5", "capture-1"))
        .await
        .unwrap_err();
    assert!(message(&error).contains("was released"), "{error}");
    let stored = ledger.inner.holds().remove(0);
    assert_eq!(stored.status, HoldStatus::Released);
    assert_eq!(stored.captured, Decimal::ZERO);
}

/// A ledger whose database is down.
struct Down;

impl SandboxLedger for Down {
    fn save_card<'a>(&'a self, _: &'a CardRecord) -> LedgerFuture<'a, ()> {
        Box::pin(async { Err(LedgerError("connection refused".into())) })
    }

    fn find_card<'a>(&'a self, _: &'a str) -> LedgerFuture<'a, Option<CardRecord>> {
        Box::pin(async { Err(LedgerError("connection refused".into())) })
    }

    fn remove_card<'a>(&'a self, _: &'a str) -> LedgerFuture<'a, bool> {
        Box::pin(async { Err(LedgerError("connection refused".into())) })
    }

    fn create_hold<'a>(&'a self, _: &'a HoldRecord) -> LedgerFuture<'a, bool> {
        Box::pin(async { Err(LedgerError("connection refused".into())) })
    }

    fn find_hold<'a>(&'a self, _: &'a str) -> LedgerFuture<'a, Option<HoldRecord>> {
        Box::pin(async { Err(LedgerError("connection refused".into())) })
    }

    fn update_hold<'a>(&'a self, _: u64, _: &'a HoldRecord) -> LedgerFuture<'a, bool> {
        Box::pin(async { Err(LedgerError("connection refused".into())) })
    }
}

#[tokio::test]
async fn a_failing_ledger_is_unavailable_and_retryable() {
    let sandbox = Sandbox::new(SandboxConfig::new(SECRET), Arc::new(Down))
        .unwrap()
        .with_clock(may_2026);
    let error = sandbox
        .begin_setup(&setup("u-1", card(VISA), "setup-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, PaymentError::Unavailable { ref message } if message.contains("connection refused")),
        "{error:?}"
    );
    assert!(error.retryable());
    assert!(
        sandbox
            .release("sbx_hold_1", "release-1")
            .await
            .unwrap_err()
            .retryable()
    );
}

#[tokio::test]
async fn built_from_the_configuration_as_a_shared_trait_object() {
    let config: PaymentsConfig =
        serde_json::from_value(serde_json::json!({"sandbox": {"secret": SECRET}})).unwrap();
    let provider: Arc<dyn PaymentProvider> =
        build_provider(&config, Arc::new(MemoryLedger::new())).unwrap();
    assert_eq!(provider.key(), ProviderKey::Sandbox);
    let shared = Arc::clone(&provider);
    let method = tokio::spawn(async move {
        match shared
            .begin_setup(&setup(
                "u-1",
                SandboxCard::new(VISA, 12, 2099, "123"),
                "setup-1",
            ))
            .await
        {
            Ok(SetupStart::Saved(method)) => method,
            other => panic!("{other:?}"),
        }
    })
    .await
    .unwrap();
    let hold = provider
        .hold(&hold_request(&method, "2.50", "hold-1"))
        .await
        .unwrap();
    provider.release(&hold.id, "release-1").await.unwrap();

    let short = Sandbox::new(SandboxConfig::new("short"), Arc::new(MemoryLedger::new()));
    assert!(short.is_err());
    assert!(!format!("{:?}", SandboxConfig::new(SECRET)).contains(SECRET));
}
