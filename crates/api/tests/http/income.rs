//! The income statistics of seed group `Transactions`, from the income rollups.

use crate::common::TestApp;
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use relais_store::entity::transaction::{MoneySource, TransactionKind, TransactionStatus};
use relais_store::transactions::NewTransaction;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// A succeeded payment recorded as a provider reported it (an import: no hold behind it);
/// `wallet` as the provider pays from the wallet.
async fn paid(
    app: &TestApp,
    network: i64,
    user: i64,
    amount: &str,
    kind: TransactionKind,
    provider: &str,
    when: DateTime<Utc>,
) -> i64 {
    let source = if provider == "wallet" {
        MoneySource::Wallet
    } else {
        MoneySource::Provider
    };
    relais_store::transactions::record(
        &app.db,
        NewTransaction {
            network_id: network,
            user_id: Some(user),
            trip_id: None,
            kind,
            source,
            status: TransactionStatus::Succeeded,
            amount_w_vat: d(amount),
            product_title: "Imported".into(),
            payment_provider: provider.into(),
            payment_method_type: "card".into(),
            user_payment_method_id: None,
            bank_guarantee_id: None,
            debt_id: None,
            provider_reference: None,
            payment_provider_fee: d("0.10"),
            auto_payment: true,
            at: when,
        },
    )
    .await
    .unwrap()
    .id
}

async fn income(app: &TestApp, token: &str, what: &str, query: &str) -> Value {
    app.get(&format!("/dashboard/transactions/income/{what}?{query}"))
        .token(token)
        .send()
        .await
        .ok()
        .clone()
}

#[tokio::test]
async fn income_is_counted_by_local_day_source_and_provider_without_wallet_payments() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let n1 = w.n1;
    let user = w.user_n1;
    // Monday 2 November noon in Paris; Tuesday 3 November 00:30 in Paris, still the 2nd in UTC.
    paid(
        &app,
        n1,
        user,
        "5.00",
        TransactionKind::TopUp,
        "sandbox",
        at("2026-11-02T11:00:00Z"),
    )
    .await;
    paid(
        &app,
        n1,
        user,
        "10.00",
        TransactionKind::Trip,
        "stripe",
        at("2026-11-02T23:30:00Z"),
    )
    .await;
    // Not income: a wallet payment (the top-up was), and another network's money.
    relais_store::wallets::apply(
        &app.db,
        user,
        "EUR",
        relais_store::wallets::Movement {
            amount: 100_000,
            kind: relais_store::entity::wallet_movement::MovementKind::StaffCredit,
            reason: "Credits".into(),
            actor_id: None,
            at: at("2026-11-01T00:00:00Z"),
            transaction_id: None,
        },
    )
    .await
    .unwrap();
    paid(
        &app,
        n1,
        user,
        "7.00",
        TransactionKind::Trip,
        "wallet",
        at("2026-11-02T12:00:00Z"),
    )
    .await;
    paid(
        &app,
        w.n2,
        user,
        "99.00",
        TransactionKind::Trip,
        "stripe",
        at("2026-11-02T12:00:00Z"),
    )
    .await;
    let period = format!("networks={n1}&start_date=2026-11-02&end_date=2026-11-03&currency=EUR");
    let paris = format!("{period}&timezone=Europe/Paris");
    let days = income(&app, &w.admin, "by-day", &paris).await;
    assert_eq!(days.as_array().unwrap().len(), 2);
    assert_eq!(days[0]["date"], "2026-11-02");
    assert_eq!(days[0]["income_w_vat"], "5.00");
    assert_eq!(
        days[0]["providers"],
        json!([{"provider": "sandbox", "income_w_vat": "5.00", "income": "4.17", "refunds_w_vat": "0.00", "count": 1}])
    );
    assert_eq!(days[1]["income_w_vat"], "10.00");
    assert_eq!(days[1]["count"], 1);
    // In UTC both fall on the 2nd.
    let utc = income(&app, &w.admin, "by-day", &format!("{period}&timezone=UTC")).await;
    assert_eq!(utc[0]["income_w_vat"], "15.00");
    assert_eq!(utc[1]["income_w_vat"], "0.00");
    // The summary: 20 % VAT included, fees apart.
    let s = income(&app, &w.admin, "summary", &paris).await;
    assert_eq!(s["gross_w_vat"], "15.00");
    assert_eq!(s["income_w_vat"], "15.00");
    assert_eq!(s["income"], "12.50");
    assert_eq!(s["vat"], "2.50");
    assert_eq!(s["provider_fees"], "0.20");
    assert_eq!(s["net_after_fees"], "12.30");
    assert_eq!(s["transaction_count"], 2);
    assert_eq!(s["average_w_vat"], "7.50");
    // Sources, with their shares; every source listed.
    let sources = income(&app, &w.admin, "sources", &paris).await;
    let share = |source: &str| {
        sources
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == source)
            .unwrap()["share"]
            .clone()
    };
    assert_eq!(share("trip"), "66.67");
    assert_eq!(share("top_up"), "33.33");
    assert_eq!(share("debt"), "0.00");
    // Days of the week: Monday (1) and Tuesday (2) in Paris.
    let dow = income(&app, &w.admin, "by-dow", &paris).await;
    assert_eq!(dow.as_array().unwrap().len(), 7);
    assert_eq!(dow[1]["income_w_vat"], "5.00");
    assert_eq!(dow[2]["income_w_vat"], "10.00");
    assert_eq!(dow[0]["income_w_vat"], "0.00");
    // One provider alone.
    let stripe = income(
        &app,
        &w.admin,
        "summary",
        &format!("{paris}&provider=stripe"),
    )
    .await;
    assert_eq!(stripe["gross_w_vat"], "10.00");
    // Another currency: each day at its own ECB rate.
    let usd = income(
        &app,
        &w.admin,
        "summary",
        &format!("{}&timezone=Europe/Paris", period.replace("EUR", "USD")),
    )
    .await;
    let table = relais_domain::rates::RateTable::shipped();
    let day = |s: &str| chrono::NaiveDate::from_str(s).unwrap();
    let expected = table
        .convert(d("5.00"), "EUR", "USD", day("2026-11-02"))
        .unwrap()
        .amount
        + table
            .convert(d("10.00"), "EUR", "USD", day("2026-11-03"))
            .unwrap()
            .amount;
    assert_eq!(s["currency"], "EUR");
    assert_eq!(usd["gross_w_vat"], expected.to_string());
}

#[tokio::test]
async fn a_refund_is_counted_on_its_own_day() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let paid = app
        .card_payment(w.user_n1, w.n1, None, "4.00", "4.00")
        .await;
    app.post(&format!("/dashboard/transactions/{paid}/refunds"))
        .token(&w.admin)
        .json(json!({"reason": "The saddle was broken", "amount": "1.00"}))
        .send()
        .await
        .ok();
    let today = Utc::now().date_naive();
    let q = format!(
        "networks={}&start_date={today}&end_date={today}&currency=EUR&timezone=UTC",
        w.n1
    );
    let days = income(&app, &w.admin, "by-day", &q).await;
    // The world's 2.40 and this 4.00, less the 1.00 given back.
    assert_eq!(days[0]["refunds_w_vat"], "1.00");
    assert_eq!(days[0]["income_w_vat"], "5.40");
    let s = income(&app, &w.admin, "summary", &q).await;
    assert_eq!(s["refund_count"], 1);
    assert_eq!(s["gross_w_vat"], "6.40");
}

#[tokio::test]
async fn every_constraint_of_the_income_statistics_is_enforced() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let base = "currency=EUR&timezone=Europe/Paris";
    for (query, status, code, field) in [
        (
            "start_date=2026-11-02&end_date=2026-11-01",
            422,
            -11,
            Some("end_date"),
        ),
        (
            "start_date=2025-01-01&end_date=2026-01-03",
            422,
            -11,
            Some("end_date"),
        ),
        ("start_date=2026-11-02", 400, -10, None),
        ("start_date=tomorrow&end_date=2026-11-01", 400, -10, None),
    ] {
        let reply = app
            .get(&format!(
                "/dashboard/transactions/income/summary?{base}&{query}"
            ))
            .token(&w.admin)
            .send()
            .await;
        reply.fails(status, code);
        if let Some(field) = field {
            reply.names(field);
        }
    }
    for bad in [
        "start_date=2026-11-01&end_date=2026-11-02&currency=XXX&timezone=UTC",
        "start_date=2026-11-01&end_date=2026-11-02&currency=EUR&timezone=Mars/Olympus",
        "start_date=2026-11-01&end_date=2026-11-02&currency=EUR&timezone=UTC&provider=paypal",
    ] {
        let reply = app
            .get(&format!("/dashboard/transactions/income/by-day?{bad}"))
            .token(&w.admin)
            .send()
            .await;
        assert!(
            matches!(reply.status.as_u16(), 400 | 422),
            "{bad}: {}",
            reply.text
        );
    }
    // Scope: a grant restricted to clusters reaches no network whole.
    let unit = app.unit_with("Cluster A", &[w.n1], &[w.cluster_a]).await;
    let (_, cluster) = app
        .staff(
            "cluster@relais.test",
            &[(Permission::Transactions, Some(unit), false)],
        )
        .await;
    app.get(&format!(
        "/dashboard/transactions/income/summary?{base}&start_date=2026-11-01&end_date=2026-11-02&networks={}",
        w.n1
    ))
    .token(&cluster)
    .send()
    .await
    .fails(403, -31)
    .names("networks");
    // Without networks, only those reached whole count: none here.
    let today = Utc::now().date_naive();
    let s = income(
        &app,
        &cluster,
        "summary",
        &format!("{base}&start_date={today}&end_date={today}"),
    )
    .await;
    assert_eq!(s["gross_w_vat"], "0.00");
    // The administrator sees the world's payment.
    let s = income(
        &app,
        &w.admin,
        "summary",
        &format!("{base}&start_date={today}&end_date={today}"),
    )
    .await;
    assert_eq!(s["gross_w_vat"], "2.40");
}
