//! Seed group `Users` (accounts, money, messages) and the `Devices`, `Payment methods` and
//! `Phone` groups: what staff see and do to riders, through HTTP, refusals included.

use crate::common::TestApp;
use chrono::Utc;
use relais_domain::Permission;
use relais_store::entity::user_device::Platform;
use relais_store::entity::user_payment_method::MethodStatus;
use serde_json::{Value, json};

const LIST: &str = "currency=EUR&timezone=Europe/Paris&without_network=false";

fn ids(data: &Value) -> Vec<i64> {
    data.as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect()
}

async fn card(app: &TestApp, user: i64, fingerprint: &str) -> i64 {
    relais_store::payment_methods::add(
        &app.db,
        user,
        relais_store::payment_methods::SavedMethod {
            method_key: "sandbox-card".into(),
            provider: "sandbox".into(),
            provider_token: format!("sbx_pm_{user}_{fingerprint}"),
            provider_customer: None,
            brand: Some("visa".into()),
            last4: Some("4242".into()),
            exp_month: Some(12),
            exp_year: Some(2030),
            fingerprint: Some(fingerprint.into()),
            status: MethodStatus::Ready,
        },
        Utc::now(),
    )
    .await
    .expect("payment method")
    .id
}

#[tokio::test]
async fn users_are_listed_by_network_with_filters_and_sorts() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let n1 = app.network("Lyon").await;
    let n2 = app.network("Paris").await;
    let (alice, _) = app.rider("alice@relais.test", &[n1]).await;
    let (bob, _) = app.rider("bob@relais.test", &[n1, n2]).await;
    let (carol, _) = app.rider("carol@relais.test", &[n2]).await;
    let (nobody, _) = app.rider("nobody@relais.test", &[]).await;
    let list = |query: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.get(&format!("/dashboard/users?{query}"))
                .token(&admin)
                .send()
                .await
        }
    };
    // Members of network 1, newest first.
    let page = list(format!("networks={n1}&{LIST}")).await;
    assert_eq!(ids(page.ok()), vec![bob, alice]);
    assert_eq!(page.body["data"][0]["networks"], json!([n1, n2]));
    // Dates in the requested zone: Paris is UTC+1 in winter, +2 in summer.
    let registered = page.body["data"][0]["register_at"].as_str().unwrap();
    assert!(
        registered.ends_with("+01:00") || registered.ends_with("+02:00"),
        "{registered}"
    );
    // Both networks: each member once.
    assert_eq!(
        ids(list(format!("networks={n1},{n2}&{LIST}")).await.ok()),
        vec![carol, bob, alice]
    );
    // And the users of no network.
    let all = list(format!(
        "networks={n1}&currency=EUR&timezone=UTC&without_network=true"
    ))
    .await;
    let all = ids(all.ok());
    assert!(all.contains(&nobody) && all.contains(&alice) && !all.contains(&carol));
    // Filters.
    let only = |q: &str| list(format!("networks={n1},{n2}&{LIST}&{q}"));
    assert_eq!(ids(only("email=ALI").await.ok()), vec![alice]);
    assert_eq!(ids(only("email=li").await.ok()), vec![alice]);
    assert_eq!(ids(only("lastname=CAROL").await.ok()), vec![carol]);
    assert_eq!(
        ids(only(&format!("user_id_min={bob}")).await.ok()),
        vec![carol, bob]
    );
    assert_eq!(ids(only("blocked=true").await.ok()), Vec::<i64>::new());
    assert_eq!(ids(only("trip_count_min=1").await.ok()), Vec::<i64>::new());
    assert_eq!(ids(only("trip_count_max=0").await.ok()).len(), 3);
    assert_eq!(
        ids(only("organization_name=Acme").await.ok()),
        Vec::<i64>::new()
    );
    // A sort, both ways, with keyset pages of one.
    let asc = ids(only("sort_by=register_at&sort_dir=ASC&primary_key_dir=ASC")
        .await
        .ok());
    assert_eq!(asc, vec![alice, bob, carol]);
    let first = only("sort_by=last_activity&page_size=10").await;
    assert_eq!(first.body["page"]["has_more"], false);
    // Refusals name the field.
    list(format!(
        "networks={n1}&currency=eur&timezone=UTC&without_network=false"
    ))
    .await
    .fails(400, -10)
    .names("currency");
    list(format!(
        "networks={n1}&currency=EUR&timezone=Mars/Olympus&without_network=false"
    ))
    .await
    .fails(400, -10)
    .names("timezone");
    list(format!("networks={n1},{n1}&{LIST}"))
        .await
        .fails(422, -11)
        .names("networks");
    list(format!("networks={n1}&currency=EUR&timezone=UTC"))
        .await
        .fails(400, -10)
        .names("without_network");
    list(format!("networks={n1}&{LIST}&user_id_min=5&user_id_max=2"))
        .await
        .fails(422, -11)
        .names("user_id_max");
    list(format!(
        "networks={n1}&{LIST}&trip_count_min=5&trip_count_max=2"
    ))
    .await
    .fails(422, -11)
    .names("trip_count_max");
    list(format!("networks={n1}&{LIST}&lastname={}", "x".repeat(51)))
        .await
        .fails(422, -11)
        .names("lastname");
    list(format!("networks={n1}&{LIST}&sort_by=name"))
        .await
        .fails(400, -10)
        .names("sort_by");
}

#[tokio::test]
async fn scoped_staff_see_only_the_riders_of_their_networks() {
    let app = TestApp::new().await;
    let n1 = app.network("Lyon").await;
    let n2 = app.network("Paris").await;
    let (alice, _) = app.rider("alice@relais.test", &[n1]).await;
    let (carol, _) = app.rider("carol@relais.test", &[n2]).await;
    let (_, nobody) = app.rider("nobody@relais.test", &[]).await;
    let unit = app.unit("Lyon only", &[n1]).await;
    let (_, local) = app
        .staff(
            "local@relais.test",
            &[(Permission::UsersList, Some(unit), false)],
        )
        .await;
    app.get(&format!("/dashboard/users?networks={n2}&{LIST}"))
        .token(&local)
        .send()
        .await
        .fails(403, -31)
        .names("networks");
    app.get(&format!(
        "/dashboard/users?networks={n1}&currency=EUR&timezone=UTC&without_network=true"
    ))
    .token(&local)
    .send()
    .await
    .fails(403, -31)
    .names("without_network");
    let mine = app
        .get(&format!("/dashboard/users?networks={n1}&{LIST}"))
        .token(&local)
        .send()
        .await;
    assert_eq!(ids(mine.ok()), vec![alice]);
    app.get(&format!("/dashboard/users/{alice}"))
        .token(&local)
        .send()
        .await
        .ok();
    app.get(&format!("/dashboard/users/{carol}"))
        .token(&local)
        .send()
        .await
        .fails(403, -31)
        .names("id");
    app.get("/dashboard/users/987654")
        .token(&local)
        .send()
        .await
        .fails(404, -2);
    // A search answers only what the scope reaches.
    let found = app
        .get("/dashboard/users/search?email=relais.test")
        .token(&local)
        .send()
        .await;
    assert_eq!(ids(found.ok()), vec![alice]);
    // A rider has no Dashboard access at all.
    app.get(&format!("/dashboard/users?networks={n1}&{LIST}"))
        .token(&nobody)
        .send()
        .await
        .fails(403, -30);
}

#[tokio::test]
async fn a_search_puts_the_exact_address_first() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let n1 = app.network("Lyon").await;
    let (_, _) = app.rider("ann.smith@relais.test", &[n1]).await;
    let (ann, _) = app.rider("ann@relais.test", &[n1]).await;
    let found = app
        .get("/dashboard/users/search?email=ANN@relais.test")
        .token(&admin)
        .send()
        .await;
    assert_eq!(ids(found.ok()), vec![ann]);
    let found = app
        .get("/dashboard/users/search?email=ann")
        .token(&admin)
        .send()
        .await;
    assert_eq!(found.ok().as_array().unwrap().len(), 2);
    assert_eq!(found.body["data"][0]["email"], "ann.smith@relais.test");
    app.get("/dashboard/users/search?email=an")
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("email");
}

#[tokio::test]
async fn a_blocked_rider_is_refused_at_once_and_staff_see_who_and_why() {
    let app = TestApp::new().await;
    let (admin_id, admin) = app.admin().await;
    let n1 = app.network("Lyon").await;
    let (rider, rider_token) = app.rider("rider@relais.test", &[n1]).await;
    app.get("/auth/me").token(&rider_token).send().await.ok();
    app.post(&format!("/dashboard/users/{rider}/block"))
        .token(&admin)
        .json(json!({"reason": "no"}))
        .send()
        .await
        .fails(422, -11)
        .names("reason");
    app.post(&format!("/dashboard/users/{admin_id}/block"))
        .token(&admin)
        .json(json!({"reason": "testing myself"}))
        .send()
        .await
        .fails(409, -41);
    app.post(&format!("/dashboard/users/{rider}/block"))
        .token(&admin)
        .json(json!({"reason": "Left scooters in the river"}))
        .send()
        .await
        .ok();
    app.get("/auth/me")
        .token(&rider_token)
        .send()
        .await
        .fails(403, -22);
    let info = app
        .get(&format!("/dashboard/users/{rider}/block"))
        .token(&admin)
        .send()
        .await;
    let info = info.ok();
    assert_eq!(info["blocked"], true);
    assert_eq!(info["reason"], "Left scooters in the river");
    assert_eq!(info["blocked_by"]["id"], admin_id);
    assert!(info["blocked_at"].is_string());
    app.post(&format!("/dashboard/users/{rider}/block"))
        .token(&admin)
        .json(json!({"reason": "again and again"}))
        .send()
        .await
        .fails(409, -41);
    let blocked = app
        .get(&format!(
            "/dashboard/users?networks={n1}&{LIST}&blocked=true"
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(ids(blocked.ok()), vec![rider]);
    app.delete(&format!("/dashboard/users/{rider}/block"))
        .token(&admin)
        .send()
        .await
        .ok();
    app.get("/auth/me").token(&rider_token).send().await.ok();
    let info = app
        .get(&format!("/dashboard/users/{rider}/block"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(info.ok()["blocked"], false);
    assert_eq!(info.body["data"]["blocked_by"], Value::Null);
    app.delete(&format!("/dashboard/users/{rider}/block"))
        .token(&admin)
        .send()
        .await
        .fails(409, -41);
    // Reading the block needs users.block; changing it, with write.
    let (_, reader) = app
        .staff(
            "reader@relais.test",
            &[(Permission::UsersBlock, None, false)],
        )
        .await;
    app.get(&format!("/dashboard/users/{rider}/block"))
        .token(&reader)
        .send()
        .await
        .ok();
    app.post(&format!("/dashboard/users/{rider}/block"))
        .token(&reader)
        .json(json!({"reason": "not allowed to"}))
        .send()
        .await
        .fails(403, -30);
}

#[tokio::test]
async fn wallets_move_by_recorded_movements_and_sum_across_currencies() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let n1 = app.network("Lyon").await;
    let (rider, _) = app.rider("rider@relais.test", &[n1]).await;
    let credit = |amount: Value, currency: &str, reason: &str| {
        let body = json!({"amount": amount, "currency": currency, "reason": reason});
        let admin = admin.clone();
        let app = &app;
        async move {
            app.post(&format!("/dashboard/users/{rider}/wallets"))
                .token(&admin)
                .json(body)
                .send()
                .await
        }
    };
    let eur = credit(json!(10.5), "EUR", "Goodwill gesture").await;
    assert_eq!(eur.ok()["balance"], "10.50");
    let eur_id = eur.body["data"]["id"].as_i64().unwrap();
    // The same currency credits the same wallet.
    let again = credit(json!("0.25"), "EUR", "Second gesture").await;
    assert_eq!(again.ok()["id"], eur_id);
    assert_eq!(again.body["data"]["balance"], "10.75");
    credit(json!(20), "USD", "Refund of a double charge")
        .await
        .ok();
    credit(json!(1000), "XOF", "Promotion in Dakar").await.ok();
    // Refusals name the field.
    credit(json!(0.001), "EUR", "Too small an amount")
        .await
        .fails(422, -11)
        .names("amount");
    credit(json!(1.00001), "EUR", "Too precise an amount")
        .await
        .fails(422, -11)
        .names("amount");
    credit(json!(1), "EURO", "Unknown currency")
        .await
        .fails(400, -10)
        .names("currency");
    credit(json!(1), "EUR", "shrt")
        .await
        .fails(422, -11)
        .names("reason");
    credit(json!([1]), "EUR", "An array for a number")
        .await
        .fails(400, -10)
        .names("amount");
    let wallets = app
        .get(&format!("/dashboard/users/{rider}/wallets"))
        .token(&admin)
        .send()
        .await;
    let currencies: Vec<&str> = wallets
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["currency"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, vec!["EUR", "USD", "XOF"]);
    // The sum in EUR: USD converted at the reference rate, XOF not published by the ECB.
    let sum = app
        .get(&format!(
            "/dashboard/users/{rider}/wallets/sum?currency=EUR"
        ))
        .token(&admin)
        .send()
        .await;
    let sum = sum.ok();
    let table = relais_domain::rates::RateTable::shipped();
    let usd = table
        .convert(
            rust_decimal::Decimal::from(20),
            "USD",
            "EUR",
            Utc::now().date_naive(),
        )
        .unwrap();
    let expected = rust_decimal::Decimal::new(1075, 2) + usd.amount;
    assert_eq!(sum["amount"], expected.to_string());
    assert_eq!(sum["rate_date"], usd.rate_date.to_string());
    assert_eq!(
        sum["unconverted"],
        json!([{"amount": "1000.00", "currency": "XOF"}])
    );
    app.get(&format!(
        "/dashboard/users/{rider}/wallets/sum?currency=eur"
    ))
    .token(&admin)
    .send()
    .await
    .fails(400, -10)
    .names("currency");
    // Deleting writes what remains off, and the wallet leaves the list.
    app.delete(&format!(
        "/dashboard/users/{rider}/wallets?wallet={eur_id}&reason=no"
    ))
    .token(&admin)
    .send()
    .await
    .fails(422, -11)
    .names("reason");
    app.delete(&format!(
        "/dashboard/users/{rider}/wallets?wallet=987654&reason=closing"
    ))
    .token(&admin)
    .send()
    .await
    .fails(404, -2)
    .names("wallet");
    app.delete(&format!(
        "/dashboard/users/{rider}/wallets?wallet={eur_id}&reason=Account%20closed"
    ))
    .token(&admin)
    .send()
    .await
    .ok();
    let movements = relais_store::wallets::movements(&app.db, eur_id, 10)
        .await
        .unwrap();
    assert_eq!(movements.len(), 3);
    assert_eq!(movements[0].amount, -107_500);
    assert_eq!(movements[0].reason, "Account closed");
    let left = app
        .get(&format!("/dashboard/users/{rider}/wallets?get_empty=true"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(left.ok().as_array().unwrap().len(), 2);
    assert!(
        relais_store::wallets::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The rule: 1,000 concurrent movements on one wallet end with the exact sum.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_credits_on_one_wallet_lose_nothing() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    const CREDITS: usize = 1000;
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let n1 = app.network("Lyon").await;
    let (rider, _) = app.rider("rider@relais.test", &[n1]).await;
    // Each client retries what the server sheds under this load (503, -50: "retry later"), as
    // a real client does; every credit lands once, and only once.
    let mut credits = tokio::task::JoinSet::new();
    for i in 0..CREDITS {
        let router = app.router.clone();
        let admin = admin.clone();
        credits.spawn(async move {
            let body =
                json!({"amount": "0.01", "currency": "EUR", "reason": format!("credit {i}")});
            for _ in 0..200 {
                let request = Request::post(format!("/dashboard/users/{rider}/wallets"))
                    .header("authorization", format!("Bearer {admin}"))
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .expect("request");
                let response = router.clone().oneshot(request).await.expect("response");
                let status = response.status();
                let text = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("body");
                if status.as_u16() != 503 {
                    return (status, String::from_utf8_lossy(&text).into_owned());
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            panic!("credit {i} shed 200 times");
        });
    }
    while let Some(done) = credits.join_next().await {
        let (status, body) = done.expect("credit");
        assert!(status.is_success(), "{status} {body}");
    }
    let wallets = app
        .get(&format!("/dashboard/users/{rider}/wallets"))
        .token(&admin)
        .send()
        .await;
    let wallets = wallets.ok().as_array().unwrap().clone();
    assert_eq!(wallets.len(), 1, "one wallet per currency");
    assert_eq!(wallets[0]["balance"], "10.00");
    assert!(
        relais_store::wallets::check(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn payment_methods_are_shown_removed_and_found_by_fingerprint() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let n1 = app.network("Lyon").await;
    let n2 = app.network("Paris").await;
    let (rider, _) = app.rider("rider@relais.test", &[n1]).await;
    let (twin, _) = app.rider("twin@relais.test", &[n2]).await;
    let first = card(&app, rider, "fp-shared").await;
    let second = card(&app, rider, "fp-other").await;
    let twins = card(&app, twin, "fp-shared").await;
    let methods = app
        .get(&format!("/dashboard/users/{rider}/payment-methods"))
        .token(&admin)
        .send()
        .await;
    let groups = methods.ok().as_array().unwrap().clone();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["provider"], "sandbox");
    let listed = ids(&groups[0]["methods"]);
    assert_eq!(listed, vec![first, second], "the default first");
    assert_eq!(groups[0]["methods"][0]["is_default"], true);
    assert_eq!(groups[0]["methods"][0]["last4"], "4242");
    // The same card on two accounts.
    let shared = app
        .get("/dashboard/payment-methods?fingerprint=fp-shared")
        .token(&admin)
        .send()
        .await;
    let owners: Vec<i64> = shared
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(owners, vec![twin, rider]);
    // ...of which a staff member of network 1 sees only their rider.
    let unit = app.unit("Lyon only", &[n1]).await;
    let (_, local) = app
        .staff(
            "local@relais.test",
            &[(Permission::UsersList, Some(unit), false)],
        )
        .await;
    let seen = app
        .get("/dashboard/payment-methods?fingerprint=fp-shared")
        .token(&local)
        .send()
        .await;
    assert_eq!(seen.ok().as_array().unwrap().len(), 1);
    // Another rider's method is not this rider's.
    app.delete(&format!("/dashboard/users/{rider}/payment-methods/{twins}"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2)
        .names("user_method_id");
    // Removing the default makes the newest remaining one the default.
    app.delete(&format!("/dashboard/users/{rider}/payment-methods/{first}"))
        .token(&admin)
        .send()
        .await
        .ok();
    let methods = app
        .get(&format!("/dashboard/users/{rider}/payment-methods"))
        .token(&admin)
        .send()
        .await;
    let left = &methods.ok()[0]["methods"];
    assert_eq!(ids(left), vec![second]);
    assert_eq!(left[0]["is_default"], true);
}

#[tokio::test]
async fn devices_show_who_shares_a_phone_and_never_its_push_token() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let n1 = app.network("Lyon").await;
    let (rider, _) = app.rider("rider@relais.test", &[n1]).await;
    let (other, _) = app.rider("other@relais.test", &[n1]).await;
    for user in [rider, other] {
        relais_store::devices::register(
            &app.db,
            user,
            relais_store::devices::DeviceReport {
                device_id: "pixel-8-abc".into(),
                platform: Platform::Android,
                model: Some("Pixel 8".into()),
                app_version: Some("4.2.0".into()),
                push_token: Some("secret-push-token".into()),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    }
    let devices = app
        .get(&format!("/dashboard/users/{rider}/devices"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(devices.ok()[0]["device_id"], "pixel-8-abc");
    assert_eq!(devices.body["data"][0]["push_enabled"], true);
    assert!(!devices.text.contains("secret-push-token"));
    let sharing = app
        .get("/dashboard/devices/pixel-8-abc/users")
        .token(&admin)
        .send()
        .await;
    assert_eq!(sharing.ok().as_array().unwrap().len(), 2);
    assert!(!sharing.text.contains("secret-push-token"));
    let none = app
        .get("/dashboard/devices/unknown-phone/users")
        .token(&admin)
        .send()
        .await;
    assert_eq!(none.ok().as_array().unwrap().len(), 0);
    app.get(&format!("/dashboard/devices/{}/users", "x".repeat(51)))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("id");
    // Staff's messages go to each device by push and by mail, recorded for staff to see.
    app.post(&format!("/dashboard/users/{rider}/messages"))
        .token(&admin)
        .json(json!({"message": "hi"}))
        .send()
        .await
        .fails(422, -11)
        .names("message");
    let sent = app
        .post(&format!("/dashboard/users/{rider}/messages"))
        .token(&admin)
        .json(json!({"message": "Your scooter was left on the tramway line."}))
        .send()
        .await;
    let channels: Vec<&str> = sent
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, vec!["push", "mail"]);
    assert!(!sent.text.contains("secret-push-token"));
    let mails = app
        .get(&format!("/dashboard/users/{rider}/mails"))
        .token(&admin)
        .send()
        .await;
    let mails = mails.ok().as_array().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["recipient"], "rider@relais.test");
    assert_eq!(
        mails[0]["body"],
        "Your scooter was left on the tramway line."
    );
    assert_eq!(mails[0]["template"], "staff_message");
    let pushes = app
        .get(&format!("/dashboard/users/{rider}/push-notifications"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(pushes.ok().as_array().unwrap().len(), 1);
    assert!(!pushes.text.contains("secret-push-token"));
    // Older than the oldest: nothing.
    let created = mails[0]["created_at"].as_str().unwrap();
    let before = app
        .get(&format!(
            "/dashboard/users/{rider}/mails?before_date={}",
            created.replace('+', "%2B")
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(before.ok().as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_users_requests_are_read_from_the_access_log() {
    let app = TestApp::new().await;
    let (admin_id, admin) = app.admin().await;
    for _ in 0..3 {
        app.get("/dashboard/permissions?lang=en")
            .token(&admin)
            .send()
            .await
            .ok();
    }
    app.access_log.flush().await;
    let requests = app
        .get(&format!("/dashboard/users/{admin_id}/api-requests?items=2"))
        .token(&admin)
        .send()
        .await;
    let rows = requests.ok().as_array().unwrap().clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["target_path"], "/dashboard/permissions");
    // The three reads and the first list of them, the oldest last.
    app.access_log.flush().await;
    let later = app
        .get(&format!(
            "/dashboard/users/{admin_id}/api-requests?offset=3&items=10"
        ))
        .token(&admin)
        .send()
        .await;
    assert_eq!(later.ok().as_array().unwrap().len(), 1);
    app.get(&format!("/dashboard/users/{admin_id}/api-requests?items=0"))
        .token(&admin)
        .send()
        .await
        .fails(422, -11)
        .names("items");
    app.get(&format!(
        "/dashboard/users/{admin_id}/api-requests?offset=10001"
    ))
    .token(&admin)
    .send()
    .await
    .fails(422, -11)
    .names("offset");
}

#[tokio::test]
async fn bank_guarantees_can_be_turned_off_for_a_rider() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let n1 = app.network("Lyon").await;
    let (rider, _) = app.rider("rider@relais.test", &[n1]).await;
    let guarantees = app
        .get(&format!("/dashboard/users/{rider}/bank-guarantees"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(guarantees.ok()["pre_auth_disabled"], false);
    assert_eq!(guarantees.body["data"]["guarantees"], json!([]));
    app.put(&format!(
        "/dashboard/users/{rider}/bank-guarantees/pre-auth"
    ))
    .token(&admin)
    .json(json!({"disabled": "yes"}))
    .send()
    .await
    .fails(400, -10)
    .names("disabled");
    app.put(&format!(
        "/dashboard/users/{rider}/bank-guarantees/pre-auth"
    ))
    .token(&admin)
    .json(json!({"disabled": true}))
    .send()
    .await
    .ok();
    let profile = app
        .get(&format!("/dashboard/users/{rider}"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(profile.ok()["pre_auth_disabled"], true);
    assert_eq!(profile.body["data"]["networks"][0]["network_id"], n1);
}

#[tokio::test]
async fn the_sms_providers_are_listed_with_what_is_configured() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let providers = app
        .get("/dashboard/phone/providers")
        .token(&admin)
        .send()
        .await;
    let providers = providers.ok().as_array().unwrap().clone();
    let kinds: Vec<(&str, bool)> = providers
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap(),
                p["configured"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds, vec![("twilio", false), ("recorded", true)]);
}
