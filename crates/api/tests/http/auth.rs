//! Signing in and out, token forms, and refusals of callers.

use crate::common::{PASSWORD, Reply, TestApp};
use chrono::{Duration, Utc};
use relais_api::ApiSettings;
use relais_domain::Permission;
use serde_json::json;

async fn login(app: &TestApp, email: &str, password: &str) -> crate::common::Reply {
    app.post("/auth/login")
        .json(json!({"email": email, "password": password}))
        .send()
        .await
}

#[tokio::test]
async fn a_password_gives_a_token_that_works_until_logout() {
    let app = TestApp::new().await;
    let user = app.user("ann@relais.test").await;
    app.grant(user, Permission::DashboardAccess, None, false)
        .await;
    // Emails compare without regard to case.
    let reply = login(&app, "ANN@relais.test", PASSWORD).await;
    let data = reply.ok();
    let token = data["token"].as_str().unwrap().to_owned();
    assert_eq!(data["user"]["email"], "ann@relais.test");
    assert!(data["expires_at"].as_str().unwrap() > Utc::now().to_rfc3339().as_str());

    let me = app.get("/auth/me").token(&token).send().await;
    assert_eq!(me.ok()["user"]["id"], user);
    assert_eq!(me.ok()["permissions"][0]["permission"], "dashboard.access");
    assert!(me.ok()["user"]["last_activity_at"].is_string());

    app.post("/auth/logout").token(&token).send().await.ok();
    app.get("/auth/me")
        .token(&token)
        .send()
        .await
        .fails(401, -20);
}

#[tokio::test]
async fn wrong_credentials_are_refused_alike() {
    let app = TestApp::new().await;
    app.user("ann@relais.test").await;
    login(&app, "ann@relais.test", "not the password")
        .await
        .fails(401, -21);
    login(&app, "nobody@relais.test", PASSWORD)
        .await
        .fails(401, -21);
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let app = TestApp::new().await;
    app.user("ann@relais.test").await;
    for _ in 0..5 {
        login(&app, "ann@relais.test", "guess")
            .await
            .fails(401, -21);
    }
    let reply = login(&app, "ann@relais.test", PASSWORD).await;
    reply.fails(429, -23);
    let wait: u64 = reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 900);
    // Another account is not held back by it.
    app.user("bob@relais.test").await;
    login(&app, "bob@relais.test", PASSWORD).await.ok();
}

/// A fresh application that takes the client address from `X-Forwarded-For`, so that a test
/// can sign in from several addresses.
async fn behind_a_proxy() -> TestApp {
    TestApp::with_settings(ApiSettings {
        trust_forwarded_for: true,
        ..ApiSettings::default()
    })
    .await
}

async fn login_as(app: &TestApp, address: &str, email: &str, password: &str) -> Reply {
    app.post("/auth/login")
        .header("x-forwarded-for", address)
        .json(json!({"email": email, "password": password}))
        .send()
        .await
}

/// Send the attempts all at once; the answers' statuses counted, and every 429 checked for a
/// `Retry-After` of at most `max_wait` seconds.
async fn burst(
    app: &TestApp,
    attempts: &[(String, String, &str)],
    max_wait: u64,
) -> (usize, usize) {
    let tasks: Vec<_> = attempts
        .iter()
        .map(|(address, email, password)| {
            app.post("/auth/login")
                .header("x-forwarded-for", address)
                .json(json!({"email": email, "password": password}))
                .spawn()
        })
        .collect();
    let (mut refused, mut throttled) = (0, 0);
    for task in tasks {
        let reply: Reply = task.await.expect("login task");
        match reply.status.as_u16() {
            401 => {
                reply.fails(401, -21);
                refused += 1;
            }
            429 => {
                reply.fails(429, -23);
                let wait: u64 = reply.headers["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=max_wait).contains(&wait), "Retry-After: {wait}");
                throttled += 1;
            }
            _ => panic!("unexpected answer: {}", reply.text),
        }
    }
    (refused, throttled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_passwords_get_exactly_the_pair_limit() {
    let app = behind_a_proxy().await;
    app.user("ann@relais.test").await;
    let attempts: Vec<_> = (0..60)
        .map(|_| ("198.51.100.1".into(), "ann@relais.test".into(), "guess"))
        .collect();
    // Counted before the verification, atomically: not one more than the limit gets through.
    assert_eq!(burst(&app, &attempts, 180).await, (5, 55));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_spray_from_one_address_stops_at_the_address_limit() {
    let app = behind_a_proxy().await;
    let attempts: Vec<_> = (0..24)
        .map(|i| {
            (
                "198.51.100.1".into(),
                format!("user{i}@relais.test"),
                "guess",
            )
        })
        .collect();
    assert_eq!(burst(&app, &attempts, 45).await, (20, 4));
    // Another address is not held back by it.
    login_as(&app, "198.51.100.2", "user0@relais.test", "guess")
        .await
        .fails(401, -21);
}

#[tokio::test]
async fn the_owner_signs_in_from_elsewhere_while_an_attacker_is_throttled() {
    let app = behind_a_proxy().await;
    app.user("ann@relais.test").await;
    let attacker: Vec<_> = (0..10)
        .map(|_| ("198.51.100.1".into(), "ann@relais.test".into(), "guess"))
        .collect();
    assert_eq!(burst(&app, &attacker, 180).await, (5, 5));
    login_as(&app, "198.51.100.1", "ann@relais.test", PASSWORD)
        .await
        .fails(429, -23);
    login_as(&app, "192.0.2.10", "ann@relais.test", PASSWORD)
        .await
        .ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_addresses_slow_an_account_down_but_not_its_owner() {
    let app = behind_a_proxy().await;
    app.user("ann@relais.test").await;
    login_as(&app, "192.0.2.10", "ann@relais.test", PASSWORD)
        .await
        .ok();
    let botnet: Vec<_> = (0..24)
        .map(|i| (format!("198.51.100.{i}"), "ann@relais.test".into(), "guess"))
        .collect();
    // Ten attempts on the account from anywhere, then a delay between attempts.
    assert_eq!(burst(&app, &botnet, 1).await, (10, 14));
    // The owner's address, which signed in before, does not wait for it.
    login_as(&app, "192.0.2.10", "ann@relais.test", PASSWORD)
        .await
        .ok();
}

#[tokio::test]
async fn a_success_clears_the_failures_of_its_account_and_address() {
    let app = TestApp::new().await;
    app.user("ann@relais.test").await;
    for _ in 0..4 {
        login(&app, "ann@relais.test", "guess")
            .await
            .fails(401, -21);
    }
    login(&app, "ann@relais.test", PASSWORD).await.ok();
    for _ in 0..5 {
        login(&app, "ann@relais.test", "guess")
            .await
            .fails(401, -21);
    }
    login(&app, "ann@relais.test", PASSWORD)
        .await
        .fails(429, -23);
}

#[tokio::test]
async fn login_requests_are_validated() {
    let app = TestApp::new().await;
    app.post("/auth/login")
        .json(json!({"email": "a@b.c"}))
        .send()
        .await
        .fails(400, -10)
        .names("password");
    app.post("/auth/login")
        .json(json!({"email": "a@b.c", "password": "x", "remember": true}))
        .send()
        .await
        .fails(400, -10)
        .names("remember");
    app.post("/auth/login")
        .json(json!({"email": "a@b.c", "password": ""}))
        .send()
        .await
        .fails(422, -11)
        .names("password");
}

#[tokio::test]
async fn a_blocked_account_is_refused() {
    let app = TestApp::new().await;
    let (user, token) = app.staff("ann@relais.test", &[]).await;
    // Known to the caller cache before the block.
    app.get("/auth/me").token(&token).send().await.ok();
    relais_store::users::set_blocked(
        &app.db,
        user,
        Some(relais_store::users::Block {
            at: chrono::Utc::now(),
            by: None,
            reason: None,
        }),
    )
    .await
    .unwrap();
    app.get("/auth/me")
        .token(&token)
        .send()
        .await
        .fails(403, -22);
    login(&app, "ann@relais.test", PASSWORD)
        .await
        .fails(403, -22);
}

#[tokio::test]
async fn tokens_are_accepted_in_the_three_header_forms() {
    let app = TestApp::new().await;
    let (_, token) = app.staff("ann@relais.test", &[]).await;
    for (name, value) in [
        ("authorization", format!("Bearer {token}")),
        ("authorization", format!("Token {token}")),
        ("authentication", token.clone()),
    ] {
        app.get("/auth/me").header(name, &value).send().await.ok();
    }
}

#[tokio::test]
async fn bad_and_expired_tokens_are_refused() {
    let app = TestApp::new().await;
    let (user, token) = app.staff("ann@relais.test", &[]).await;
    let (id, _) = token.split_once('.').unwrap();
    let forged = format!("{id}.{}", "0".repeat(64));
    for bad in ["garbage", forged.as_str(), ""] {
        app.get("/auth/me").token(bad).send().await.fails(401, -20);
    }
    let (_, expired) = relais_store::tokens::issue(
        &app.db,
        user,
        "test",
        Some(Utc::now() - Duration::seconds(1)),
    )
    .await
    .unwrap();
    app.get("/auth/me")
        .token(&expired)
        .send()
        .await
        .fails(401, -20);
}

#[tokio::test]
async fn dashboard_operations_need_dashboard_access() {
    let app = TestApp::new().await;
    let user = app.user("ann@relais.test").await;
    app.grant(user, Permission::UsersPermissions, None, true)
        .await;
    let token = app.token_for(user).await;
    let reply = app
        .get("/dashboard/permissions?lang=en")
        .token(&token)
        .send()
        .await;
    reply.fails(403, -30);
    assert!(
        reply.body["message"]["text"]
            .as_str()
            .unwrap()
            .contains("dashboard.access")
    );
    app.grant(user, Permission::DashboardAccess, None, false)
        .await;
    app.get("/dashboard/permissions?lang=en")
        .token(&token)
        .send()
        .await
        .ok();
}
