//! Signing in and out, token forms, and refusals of callers.

use crate::common::{PASSWORD, TestApp};
use chrono::{Duration, Utc};
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
    use sea_orm::{ActiveModelTrait, Set};
    let app = TestApp::new().await;
    let (user, token) = app.staff("ann@relais.test", &[]).await;
    relais_store::entity::user::ActiveModel {
        id: Set(user),
        blocked: Set(true),
        ..Default::default()
    }
    .update(&app.db)
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
