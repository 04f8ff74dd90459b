//! Seed group `Transactions`: the money riders paid, listed, detailed and refunded by staff.

use crate::common::{TestApp, World};
use chrono::{Duration, Utc};
use relais_domain::Permission;
use relais_store::entity::transaction::{MoneySource, TransactionKind, TransactionStatus};
use relais_store::transactions::NewTransaction;
use relais_store::wallets::Movement;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A payment from `user`'s wallet (credited first by staff with `credit`), `days_ago`.
async fn wallet_payment(
    app: &TestApp,
    user: i64,
    network: i64,
    amount: &str,
    title: &str,
    days_ago: i64,
) -> i64 {
    relais_store::transactions::record(
        &app.db,
        NewTransaction {
            network_id: network,
            user_id: Some(user),
            trip_id: None,
            kind: TransactionKind::Trip,
            source: MoneySource::Wallet,
            status: TransactionStatus::Succeeded,
            amount_w_vat: d(amount),
            product_title: title.into(),
            payment_provider: "wallet".into(),
            payment_method_type: "wallet".into(),
            user_payment_method_id: None,
            bank_guarantee_id: None,
            debt_id: None,
            provider_reference: None,
            payment_provider_fee: Decimal::ZERO,
            auto_payment: false,
            at: Utc::now() - Duration::days(days_ago),
        },
    )
    .await
    .expect("wallet payment")
    .id
}

async fn credit(app: &TestApp, user: i64, amount: &str) {
    relais_store::wallets::apply(
        &app.db,
        user,
        "EUR",
        Movement {
            amount: relais_domain::money::to_stored(d(amount)).unwrap(),
            kind: relais_store::entity::wallet_movement::MovementKind::StaffCredit,
            reason: "Welcome credits".into(),
            actor_id: None,
            at: Utc::now() - Duration::days(30),
            transaction_id: None,
        },
    )
    .await
    .expect("credit");
}

async fn balance(app: &TestApp, user: i64) -> i64 {
    relais_store::wallets::of_user(&app.db, user, true)
        .await
        .unwrap()[0]
        .balance
}

/// The ids of a page, in order.
fn ids(reply: &Value) -> Vec<i64> {
    reply
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

async fn list(app: &TestApp, w: &World, query: &str) -> Vec<i64> {
    let reply = app
        .get(&format!("/dashboard/transactions?{query}"))
        .token(&w.admin)
        .send()
        .await;
    ids(reply.ok())
}

#[tokio::test]
async fn transactions_are_listed_with_every_filter_and_sort() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let n1 = w.n1;
    let (other, _) = app.rider("other-rider@relais.test", &[n1]).await;
    credit(&app, w.user_n1, "50").await;
    let old = wallet_payment(&app, w.user_n1, n1, "1.10", "Trip 3 min", 10).await;
    let big = wallet_payment(&app, w.user_n1, n1, "9.90", "Trip 41 min", 2).await;
    let card = app.card_payment(other, n1, None, "5.00", "5.00").await;
    let card_in_n2 = app.card_payment(other, w.n2, None, "7.00", "7.00").await;
    let card_n1 = w.transaction_n1;
    // Networks: only those asked for; newest first by default.
    let all = list(&app, &w, &format!("networks={n1}")).await;
    assert_eq!(all, {
        let mut v = vec![card_n1, old, big, card];
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    });
    // Sorts: amount with VAT ascending; product title; network then id.
    assert_eq!(
        list(
            &app,
            &w,
            &format!("networks={n1}&sort_by=amount_w_vat&sort_dir=ASC")
        )
        .await,
        vec![old, card_n1, card, big]
    );
    let titles = list(
        &app,
        &w,
        &format!("networks={n1}&sort_by=product_title&sort_dir=ASC&primary_key_dir=ASC"),
    )
    .await;
    assert_eq!(titles, vec![card_n1, card, old, big]);
    assert_eq!(
        list(
            &app,
            &w,
            &format!("networks={n1},{}&sort_by=network_id&sort_dir=DESC", w.n2)
        )
        .await[0],
        card_in_n2
    );
    // Filters, each alone.
    for (query, expected) in [
        (format!("user_id={other}"), vec![card]),
        ("email=OTHER-rid".to_owned(), vec![card]),
        ("product_title=41%20MIN".to_owned(), vec![big]),
        (
            "amount_w_vat_min=2&amount_w_vat_max=9".to_owned(),
            vec![card, card_n1],
        ),
        // 9.90 with a VAT of 20 % is 8.25 without.
        ("amount_min=8.25&amount_max=8.25".to_owned(), vec![big]),
        ("payment_provider=SANDB".to_owned(), vec![card, card_n1]),
        ("payment_method_type=wal".to_owned(), vec![big, old]),
        ("auto_payment=false".to_owned(), vec![big, old]),
        ("status=succeeded".to_owned(), vec![card, big, old, card_n1]),
        ("status=failed".to_owned(), vec![]),
        (
            format!(
                "date_min={}&date_max={}",
                (Utc::now() - Duration::days(10)).date_naive(),
                (Utc::now() - Duration::days(2)).date_naive()
            ),
            vec![big, old],
        ),
        (
            format!("transaction_id_min={big}&transaction_id_max={big}"),
            vec![big],
        ),
        (
            "payment_provider_fee_max=0".to_owned(),
            vec![card, big, old, card_n1],
        ),
    ] {
        assert_eq!(
            list(&app, &w, &format!("networks={n1}&{query}")).await,
            expected,
            "{query}"
        );
    }
    // A refund makes it refunded, dated today.
    app.post(&format!("/dashboard/transactions/{big}/refunds"))
        .token(&w.admin)
        .json(json!({"reason": "Brake failed on the way", "amount": "1.00"}))
        .send()
        .await
        .ok();
    let today = Utc::now().date_naive();
    assert_eq!(
        list(&app, &w, &format!("networks={n1}&refunded=true")).await,
        vec![big]
    );
    assert_eq!(
        list(
            &app,
            &w,
            &format!("networks={n1}&refund_date_min={today}&refund_date_max={today}")
        )
        .await,
        vec![big]
    );
    assert_eq!(
        list(&app, &w, &format!("networks={n1}&refunded=false")).await,
        vec![card, old, card_n1]
    );
    assert_eq!(
        list(&app, &w, &format!("networks={n1}&sort_by=refund_amount")).await[0],
        big
    );
    // Bounds out of order name the maximum; bad values are refused naming the field.
    for (query, field) in [
        ("amount_w_vat_min=5&amount_w_vat_max=1", "amount_w_vat_max"),
        ("date_min=2026-02-02&date_max=2026-02-01", "date_max"),
        (
            "payment_provider_fee_min=2&payment_provider_fee_max=1",
            "payment_provider_fee_max",
        ),
        ("amount_min=-1", "amount_min"),
        ("product_title=", "product_title"),
        ("payment_provider=abcdefghijklmnopqrstu", "payment_provider"),
        ("transaction_id_min=0", "transaction_id_min"),
    ] {
        app.get(&format!("/dashboard/transactions?networks={n1}&{query}"))
            .token(&w.admin)
            .send()
            .await
            .fails(422, -11)
            .names(field);
    }
    app.get(&format!(
        "/dashboard/transactions?networks={n1}&sort_by=price"
    ))
    .token(&w.admin)
    .send()
    .await
    .fails(400, -10);
}

#[tokio::test]
async fn a_transactions_detail_splits_its_vat_and_lists_its_refunds() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let reply = app
        .get(&format!("/dashboard/transactions/{}", w.transaction_n1))
        .token(&w.admin)
        .send()
        .await;
    let t = reply.ok();
    assert_eq!(t["id"], w.transaction_n1);
    assert_eq!(t["network_id"], w.n1);
    assert_eq!(t["user_id"], w.user_n1);
    assert_eq!(t["email"], "rider-n1@relais.test");
    assert_eq!(t["trip_id"], w.trip_n1);
    assert_eq!(t["kind"], "trip");
    assert_eq!(t["currency"], "EUR");
    // 2.40 with 20 % VAT: 2.00 without, 0.40 of VAT.
    assert_eq!(t["amount_w_vat"], "2.40");
    assert_eq!(t["amount"], "2.00");
    assert_eq!(t["vat_rate"], "0.2");
    assert_eq!(t["source"], "provider");
    assert_eq!(t["payment_provider"], "sandbox");
    assert_eq!(t["payment_method_type"], "card");
    assert_eq!(t["status"], "succeeded");
    assert_eq!(t["refunded"], false);
    assert_eq!(t["refundable"], "2.40");
    assert!(
        t["provider_reference"]
            .as_str()
            .unwrap()
            .starts_with("sbx_")
    );
    assert_eq!(t["refunds"], json!([]));
    app.get("/dashboard/transactions/999999")
        .token(&w.admin)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn a_card_payment_is_refunded_through_the_provider_in_parts() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let path = format!("/dashboard/transactions/{}/refunds", w.transaction_n1);
    let refund = |amount: &str| {
        app.post(&path)
            .token(&w.admin)
            .json(json!({"reason": "The brake failed on the way", "amount": amount}))
    };
    let first = refund("1.00").send().await;
    let r = first.ok();
    assert_eq!(r["status"], "succeeded");
    assert_eq!(r["amount"], "1.00");
    assert_eq!(r["transaction_refund_amount"], "1.00");
    assert_eq!(r["refundable"], "1.40");
    assert_eq!(r["created_by"]["email"], "admin@relais.test");
    // More than remains: refused naming the amount, with what remains.
    let over = refund("1.41").send().await;
    over.fails(422, -11).names("amount");
    assert!(over.text.contains("1.40"), "{}", over.text);
    // More decimals than the currency has, or nothing: refused.
    refund("0.001").send().await.fails(422, -11).names("amount");
    refund("0").send().await.fails(422, -11).names("amount");
    // The rest: the transaction is refunded whole.
    refund("1.40").send().await.ok();
    let detail = app
        .get(&format!("/dashboard/transactions/{}", w.transaction_n1))
        .token(&w.admin)
        .send()
        .await;
    let t = detail.ok();
    assert_eq!(t["refund_amount"], "2.40");
    assert_eq!(t["refundable"], "0.00");
    assert_eq!(t["refunded"], true);
    let refunds = t["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 2);
    assert!(refunds.iter().all(|r| r["status"] == "succeeded"));
    assert_eq!(refunds[0]["reason"], "The brake failed on the way");
    // The provider gave back exactly that: its hold is refunded whole.
    let hold: String = t["provider_reference"].as_str().unwrap().to_owned();
    let ledger = relais_store::sandbox::SqlLedger::new(app.db.clone());
    let held = relais_payments::SandboxLedger::find_hold(&ledger, &hold)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.refunded, d("2.40"));
    assert!(
        relais_store::transactions::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    // The reason's bounds and the body's shape.
    app.post(&path)
        .token(&w.admin)
        .json(json!({"reason": "too short", "amount": "0.10"}))
        .send()
        .await
        .fails(422, -11)
        .names("reason");
    app.post(&path)
        .token(&w.admin)
        .json(json!({"reason": "a".repeat(2049), "amount": "0.10"}))
        .send()
        .await
        .fails(422, -11)
        .names("reason");
    let unknown = app
        .post(&path)
        .token(&w.admin)
        .json(json!({"reason": "The brake failed", "amount": "0.10", "to": "me"}))
        .send()
        .await;
    assert!(
        matches!(unknown.status.as_u16(), 400 | 422),
        "{}",
        unknown.text
    );
}

#[tokio::test]
async fn a_provider_refusing_a_refund_leaves_it_failed_and_refundable_again() {
    let app = TestApp::new().await;
    let w = app.world().await;
    // The provider captured less than relais recorded: it refuses to give back more.
    let short = app
        .card_payment(w.user_n1, w.n1, None, "10.00", "4.00")
        .await;
    let path = format!("/dashboard/transactions/{short}/refunds");
    let refused = app
        .post(&path)
        .token(&w.admin)
        .json(json!({"reason": "Charged twice for one trip", "amount": "6.00"}))
        .send()
        .await;
    refused.fails(409, -41);
    let detail = app
        .get(&format!("/dashboard/transactions/{short}"))
        .token(&w.admin)
        .send()
        .await;
    let t = detail.ok();
    assert_eq!(t["refund_amount"], "0.00");
    assert_eq!(t["refunded"], false);
    assert_eq!(t["refundable"], "10.00");
    assert_eq!(t["refunds"][0]["status"], "failed");
    // What the provider holds can still be refunded.
    app.post(&path)
        .token(&w.admin)
        .json(json!({"reason": "Charged twice for one trip", "amount": "4.00"}))
        .send()
        .await
        .ok();
    assert!(
        relais_store::transactions::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_wallet_payment_is_refunded_to_the_wallet_and_an_imported_one_needs_its_provider() {
    let app = TestApp::new().await;
    let w = app.world().await;
    credit(&app, w.user_n1, "20").await;
    let paid = wallet_payment(&app, w.user_n1, w.n1, "5.00", "Trip 12 min", 1).await;
    assert_eq!(balance(&app, w.user_n1).await, 150_000);
    let reply = app
        .post(&format!("/dashboard/transactions/{paid}/refunds"))
        .token(&w.admin)
        .json(json!({"reason": "Goodwill after a flat tyre", "amount": 2}))
        .send()
        .await;
    assert_eq!(reply.ok()["status"], "succeeded");
    assert_eq!(balance(&app, w.user_n1).await, 170_000);
    assert!(
        relais_store::transactions::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        relais_store::wallets::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    // A payment taken by a provider this server is not configured with: refused, nothing
    // changed.
    let imported = relais_store::transactions::record(
        &app.db,
        NewTransaction {
            network_id: w.n1,
            user_id: Some(w.user_n1),
            trip_id: None,
            kind: TransactionKind::Trip,
            source: MoneySource::Provider,
            status: TransactionStatus::Succeeded,
            amount_w_vat: d("3.00"),
            product_title: "Trip 9 min".into(),
            payment_provider: "stripe".into(),
            payment_method_type: "card".into(),
            user_payment_method_id: None,
            bank_guarantee_id: None,
            debt_id: None,
            provider_reference: Some("pi_123".into()),
            payment_provider_fee: d("0.10"),
            auto_payment: true,
            at: Utc::now(),
        },
    )
    .await
    .unwrap()
    .id;
    let refused = app
        .post(&format!("/dashboard/transactions/{imported}/refunds"))
        .token(&w.admin)
        .json(json!({"reason": "Goodwill after a flat tyre", "amount": 1}))
        .send()
        .await;
    refused.fails(409, -41);
    assert!(refused.text.contains("stripe"), "{}", refused.text);
    // A payment that has not succeeded cannot be refunded.
    let failed = relais_store::transactions::record(
        &app.db,
        NewTransaction {
            network_id: w.n1,
            user_id: Some(w.user_n1),
            trip_id: None,
            kind: TransactionKind::Trip,
            source: MoneySource::Provider,
            status: TransactionStatus::Failed,
            amount_w_vat: d("3.00"),
            product_title: "Trip 9 min".into(),
            payment_provider: "sandbox".into(),
            payment_method_type: "card".into(),
            user_payment_method_id: None,
            bank_guarantee_id: None,
            debt_id: None,
            provider_reference: None,
            payment_provider_fee: Decimal::ZERO,
            auto_payment: true,
            at: Utc::now(),
        },
    )
    .await
    .unwrap()
    .id;
    app.post(&format!("/dashboard/transactions/{failed}/refunds"))
        .token(&w.admin)
        .json(json!({"reason": "Goodwill after a flat tyre", "amount": 1}))
        .send()
        .await
        .fails(409, -41);
}

#[tokio::test]
async fn two_refunds_at_once_never_give_back_more_than_was_paid() {
    let app = TestApp::new().await;
    let w = app.world().await;
    credit(&app, w.user_n1, "20").await;
    let paid = wallet_payment(&app, w.user_n1, w.n1, "10.00", "Trip 30 min", 1).await;
    let path = format!("/dashboard/transactions/{paid}/refunds");
    let refund = || {
        app.post(&path)
            .token(&w.admin)
            .json(json!({"reason": "Refund asked twice at once", "amount": "6.00"}))
            .send()
    };
    let (a, b) = tokio::join!(refund(), refund());
    let statuses = [a.status.as_u16(), b.status.as_u16()];
    assert!(
        statuses.contains(&200) && statuses.contains(&422),
        "{statuses:?}"
    );
    // 20 credited, 10 paid, 6 back.
    assert_eq!(balance(&app, w.user_n1).await, 160_000);
    assert!(
        relais_store::transactions::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn transactions_need_their_networks_whole_and_the_transactions_permission() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let detail = format!("/dashboard/transactions/{}", w.transaction_n1);
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::Transactions, Some(w.unit_n1), false)],
        )
        .await;
    app.get(&detail).token(&reader).send().await.ok();
    // Reading is not refunding.
    app.post(&format!("{detail}/refunds"))
        .token(&reader)
        .json(json!({"reason": "Goodwill after a flat tyre", "amount": 1}))
        .send()
        .await
        .fails(403, -30);
    // Restricted to a cluster of the network: a rider's money is not a cluster's.
    let unit = app.unit_with("Cluster A", &[w.n1], &[w.cluster_a]).await;
    let (_, cluster) = app
        .staff(
            "cluster@relais.test",
            &[(Permission::Transactions, Some(unit), false)],
        )
        .await;
    app.get(&detail)
        .token(&cluster)
        .send()
        .await
        .fails(403, -31)
        .names("id");
    app.get(&format!("/dashboard/transactions?networks={}", w.n1))
        .token(&cluster)
        .send()
        .await
        .fails(403, -31)
        .names("networks");
}
